"""``--output-dir`` as an exact mirror of one render, with a record of how it was made.

After a render the directory holds exactly that render's files: a template that no longer
renders anything loses its file. Only files meshcharts wrote are ever deleted: the record
``.meshcharts.index`` in the directory lists them, so a user's own files beside them (a README,
a kustomization they wrote) survive. A file meshcharts did not write, standing where the render
needs to write, is an error rather than overwritten. A tree written before the record existed is
adopted: every ``*.yaml`` file in it that starts like a render (``---`` then ``# Source:``) counts
as meshcharts'.

The record also says how the tree was made (meshcharts' version, the chart and its version, the
profile, every flag, and a SHA-256 digest of each values file; never the values themselves), so
``meshcharts diff --against DIR`` and ``meshcharts check-dir DIR`` can render it again from
the same inputs and tell whether the committed tree is still what they render. Its name has no
``.yaml`` or ``.json`` ending, so Argo CD, Flux and kustomize never take it for a manifest.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .api import RenderOptions, chart_of, chart_source, render_options
from .diff import diff_manifests
from .errors import MeshchartsError
from .golang import glob_match
from .manifest import Manifest, read_manifest_path, write_output_dir
from .values import values_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

RECORD = ".meshcharts.index"
KUSTOMIZATION = "kustomization.yaml"
RECORD_FORMAT = 1
ADOPTABLE_HEAD = "---\n# Source: "


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # as cli's --version: only when asked
    try:
        return version("meshcharts")
    except PackageNotFoundError:
        return "unknown"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _relative(path: str, directory: Path) -> str:
    """``path`` (relative to the working directory, or absolute) as seen from ``directory``."""
    return Path(os.path.relpath(Path(path).resolve(), directory.resolve())).as_posix()


def read_record(directory: str | Path) -> dict | None:
    """The record of an output directory, or None when it has none."""
    path = Path(directory) / RECORD
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise MeshchartsError(f"unreadable record ({e}); delete it to let meshcharts adopt the tree again",
                              str(path)) from None
    if not isinstance(record, dict) or not isinstance(record.get("files"), list) \
            or not all(isinstance(f, str) for f in record["files"]):
        raise MeshchartsError("not a meshcharts record (no list of files)", str(path))
    return record


def provenance(options: Any, directory: Path) -> dict:
    """How a render was made: versions, profile, flags, digests of the files it read. Paths are
    kept relative to ``directory`` so the record reads the same from any working directory."""
    source = chart_source(options)
    meta = chart_of(options).metadata
    values_files = []
    for f in options.values_files:
        if str(f) == "-":
            values_files.append({"path": "-", "digest": _digest(values_text("-").encode("utf-8"))})
        else:
            values_files.append({"path": _relative(str(f), directory), "digest": _digest(Path(f).read_bytes())})
    set_files = []
    for arg in options.set_file_values:
        key, _, path = arg.partition("=")
        set_files.append({"key": key, "path": _relative(path, directory), "digest": _digest(Path(path).read_bytes())})
    chart = options.chart
    if chart is not None and not source.bundled:
        chart = _relative(str(chart), directory)
    flags = {
        "chart": chart, "profile": options.profile, "name": options.name, "namespace": options.namespace,
        "kubeVersion": options.kube_version, "apiVersions": list(options.api_versions),
        "set": list(options.set_values), "setString": list(options.set_string_values),
        "showOnly": list(options.show_only), "registry": options.registry,
        "noHooks": options.no_hooks, "skipHooks": list(options.skip_hooks), "skipCrds": options.skip_crds,
        "includeCrds": options.include_crds,
    }
    return {"format": RECORD_FORMAT, "meshcharts": _version(),
            "chart": {"name": meta.get("name"), "version": meta.get("version"), "bundled": source.bundled},
            "flags": flags, "valuesFiles": values_files, "setFiles": set_files}


def options_from_record(record: dict, directory: str | Path) -> Any:
    """The render options a record was made with, its paths resolved from ``directory``."""
    directory = Path(directory)
    where = str(directory / RECORD)
    flags = record.get("provenance", {}).get("flags")
    if not isinstance(flags, dict):
        raise MeshchartsError("the record says nothing of how the tree was rendered", where)
    prov = record["provenance"]
    files = []
    for entry in prov.get("valuesFiles", []):
        if entry.get("path") == "-":
            raise MeshchartsError("this tree was rendered from values on standard input (-f -); it cannot be "
                                  "rendered again from the record", where)
        files.append(str(directory / entry["path"]))
    chart = flags.get("chart")
    if chart is not None and not prov.get("chart", {}).get("bundled"):
        chart = str(directory / chart)
    return RenderOptions(
        chart=chart, profile=flags.get("profile", "default"), values_files=tuple(files),
        set_values=tuple(flags.get("set", ())), set_string_values=tuple(flags.get("setString", ())),
        set_file_values=tuple(f"{e['key']}={directory / e['path']}" for e in prov.get("setFiles", [])),
        name=flags.get("name", "istio"), namespace=flags.get("namespace", "istio-system"),
        kube_version=flags.get("kubeVersion", "v1.36.0"), api_versions=tuple(flags.get("apiVersions", ())),
        show_only=tuple(flags.get("showOnly", ())), registry=flags.get("registry"),
        no_hooks=bool(flags.get("noHooks")), skip_hooks=tuple(flags.get("skipHooks", ())),
        skip_crds=bool(flags.get("skipCrds")), include_crds=bool(flags.get("includeCrds")))


def changed_inputs(record: dict, directory: str | Path) -> list[str]:
    """The values files (and ``--set-file`` files) whose digest differs from the record's."""
    directory = Path(directory)
    out = []
    prov = record.get("provenance", {})
    for entry in [*prov.get("valuesFiles", []), *prov.get("setFiles", [])]:
        path = directory / entry["path"]
        try:
            now = _digest(path.read_bytes())
        except OSError:
            out.append(f"{entry['path']} (missing)")
            continue
        if now != entry.get("digest"):
            out.append(entry["path"])
    return out


def kustomization(files: list[str]) -> str:
    """A kustomization listing the manifest files, so users can patch the render with kustomize."""
    lines = ["# Written by meshcharts render --kustomize: the rendered files, in install order of their paths.",
             "apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization", "resources:"]
    return "\n".join(lines + [f"- {f}" for f in files]) + "\n"


def _adoptable(directory: Path) -> set[str]:
    """Files of a tree written before the record existed: YAML files that start like a render."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.endswith((".yaml", ".yml")):
                continue
            path = Path(dirpath) / name
            try:
                with open(path, encoding="utf-8") as fh:
                    head = fh.read(len(ADOPTABLE_HEAD))
            except (OSError, UnicodeDecodeError):
                continue
            if head == ADOPTABLE_HEAD:
                found.add(path.relative_to(directory).as_posix())
    return found


def plan(manifest: Manifest, directory: str | Path, options: Any = None,
         kustomize: bool = False) -> tuple[dict[str, str], list[str]]:
    """What the directory must gain and lose to hold exactly this render: ``(extra files by
    relative path, files to delete)``. The render's own files come from ``manifest``; the extra
    files are the record (and ``kustomization.yaml``). Raises when a file meshcharts did not
    write stands where it must write."""
    root = Path(directory)
    record = read_record(root) if root.is_dir() else None
    ours = set(record["files"]) if record is not None else (_adoptable(root) if root.is_dir() else set())
    ours = {rel for rel in ours if _plain_relative(rel)}  # a hand-edited record names nothing outside
    rendered = sorted(manifest.by_source())
    extra: dict[str, str] = {}
    if kustomize:
        extra[KUSTOMIZATION] = kustomization(rendered)
    wanted = rendered + list(extra)
    in_the_way = [rel for rel in wanted if rel not in ours and (root / rel).is_file()]
    if in_the_way:
        raise MeshchartsError(f"{len(in_the_way)} file(s) that meshcharts did not write stand where the render "
                              "writes; move or delete them (meshcharts never overwrites your files)", str(directory),
                              [f"  {root / rel}" for rel in in_the_way])
    remove = sorted(rel for rel in ours - set(wanted) if (root / rel).is_file())
    show_only = tuple(getattr(options, "show_only", ()) or ())
    if show_only:  # a partial render replaces the templates it shows and leaves the others alone
        remove = [rel for rel in remove if _shown(rel, show_only)]
    kept = sorted(rel for rel in ours - set(wanted) - set(remove) if (root / rel).is_file())
    record_out: dict[str, Any] = {"files": sorted([*wanted, *kept])}
    if options is not None:
        record_out["provenance"] = provenance(options, root)
    extra[RECORD] = json.dumps(record_out, indent=2, sort_keys=True) + "\n"
    return extra, remove


def _plain_relative(rel: str) -> bool:
    parts = rel.split("/")
    return bool(rel) and not rel.startswith("/") and "\\" not in rel and not {"..", ".", ""} & set(parts)


def _shown(rel: str, patterns: tuple[str, ...]) -> bool:
    """Whether ``--show-only`` patterns select the template whose file is ``rel`` (as
    :func:`~meshcharts.manifest.show_only` matches them)."""
    return any(glob_match(p, rel) or glob_match(p, rel.split("/", 1)[-1]) for p in patterns)


def write_mirror(manifest: Manifest, directory: str | Path, options: Any = None,
                 kustomize: bool = False) -> tuple[list[Path], list[Path]]:
    """Make ``directory`` hold exactly this render (plus the user's own files): returns the
    paths written and the paths deleted."""
    removed: list[str] = []

    def decide() -> tuple[dict[str, str], list[str]]:  # under the directory's lock
        extra, remove = plan(manifest, directory, options, kustomize)
        removed.extend(remove)
        return extra, remove
    written = write_output_dir(manifest, directory, decide)
    root = Path(directory).resolve()
    return [p for p in written if p.name != RECORD], [root / rel for rel in removed]


def check_dir(directory: str | Path, with_diff: bool = False) -> tuple[list[str], Any]:
    """Whether a committed output directory is what its recorded flags render now: a list of
    problems (empty when fresh) and, ``with_diff``, the diff of its objects against the render
    (None when the tree is fresh or its files are not manifests any more)."""
    root = Path(directory)
    if not root.is_dir():
        raise MeshchartsError("output directory not found", str(directory))
    record = read_record(root)
    if record is None:
        raise MeshchartsError(f"no {RECORD} record: render into it with meshcharts render --output-dir first",
                              str(directory))
    options = options_from_record(record, root)
    manifest = render_options(options)
    problems = [f"{f}: changed since the render" for f in changed_inputs(record, root)]
    extra, remove = plan(manifest, root, options, KUSTOMIZATION in record["files"])
    expected = {source: "".join(d.render() for d in docs) for source, docs in manifest.by_source().items()}
    expected.update((k, v) for k, v in extra.items() if k != RECORD)
    for rel, text in sorted(expected.items()):
        path = root / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{rel}: differs from the render")
    problems += [f"{rel}: no longer rendered" for rel in remove]
    if not (problems and with_diff):
        return problems, None
    try:
        return problems, diff_manifests(Manifest(read_manifest_path(root)), manifest, options.namespace, (str(directory), "render"))
    except MeshchartsError as e:  # a hand-edited file that is no manifest: the file list says enough
        problems.append(f"(no object diff: {e})")
        return problems, None
