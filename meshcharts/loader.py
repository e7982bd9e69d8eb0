"""Loading a Helm-shaped chart directory: metadata, defaults, templates, files, child charts.

The loader only reads; it never renders. Paths inside a chart are POSIX-style and relative to
that chart's directory; ``.helmignore`` is read from the root chart only and applies to the
whole tree, as in Helm.
"""
from __future__ import annotations

import os
import re
import stat
from collections import namedtuple
from pathlib import Path

from .errors import ChartError, MeshchartsError, printable
from .golang import go_glob
from .golang import format_number, type_name
from .yamlio import load_data, load_values_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Values = dict[str, Any]

# Semantic version 2.0 (what Helm requires of Chart.yaml `version`).
SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")

# What Helm allows in a dependency alias (the alias names the child's values key and path).
ALIAS = re.compile(r"^[a-zA-Z0-9_-]+$")

# Chart.yaml keys and the capitalised names templates read them by (Helm's Go field names).
CHART_FIELDS = {
    "name": "Name", "version": "Version", "appVersion": "AppVersion", "apiVersion": "APIVersion",
    "description": "Description", "keywords": "Keywords", "home": "Home", "sources": "Sources",
    "icon": "Icon", "maintainers": "Maintainers", "condition": "Condition", "tags": "Tags",
    "deprecated": "Deprecated", "annotations": "Annotations", "kubeVersion": "KubeVersion",
    "dependencies": "Dependencies", "type": "Type",
}


# Named tuples rather than dataclasses: importing dataclasses costs a fresh process 5 ms.
class Dependency(namedtuple("Dependency", "name alias condition tags version", defaults=(None, None, (), None))):
    """One entry of requirements.yaml / Chart.yaml ``dependencies``: ``name``, ``alias``,
    ``condition`` (comma-separated value paths), ``tags``, ``version``."""
    __slots__ = ()

    @property
    def key(self) -> str:
        return self.alias or self.name


class Chart(namedtuple("Chart", "name directory metadata values templates files dependencies children schema",
                       defaults=((), (), None))):
    """A loaded chart: what Helm's loader produces, plain data. ``templates``: (path in chart, e.g.
    "templates/a.yaml", text) pairs; ``files``: the other files (path → text) for Files.Get and
    Files.Glob; ``dependencies`` and ``children`` (loaded charts, named by alias); ``schema``:
    values.schema.json parsed (not among ``files``)."""
    __slots__ = ()

    def template_path(self, parent_path: str) -> str:
        return f"{parent_path}/charts/{self.name}" if parent_path else self.name


# --- .helmignore ---------------------------------------------------------------------------

class IgnoreRules:
    """The root chart's .helmignore rules, plus Helm's built-in ``templates/.?*``."""

    def __init__(self) -> None:
        self.rules: list[tuple[re.Pattern[str], bool, bool, bool]] = []

    @classmethod
    def parse(cls, text: str, where: str) -> "IgnoreRules":
        rules = cls()
        rules.add("templates/.?*")
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if "**" in line:
                raise ChartError("'**' is not supported in .helmignore", f"{where}:{n}")
            try:
                rules.add(line)
            except ValueError as e:  # Helm refuses a pattern filepath.Match cannot compile
                raise ChartError(str(e), f"{where}:{n}") from None
        return rules

    def add(self, line: str) -> None:
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        by_path = "/" in line
        self.rules.append((go_glob(line.lstrip("/")), negate, dir_only, by_path))

    def ignored(self, rel: str, is_dir: bool) -> bool:
        if rel in ("", "."):
            return False
        base = rel.rsplit("/", 1)[-1]
        for regex, negate, dir_only, by_path in self.rules:
            if dir_only and not is_dir:
                continue
            hit = bool(regex.match(rel if by_path else base))
            if negate:  # Helm's quirk: a `!p` rule ignores everything that does not match p
                if not hit:
                    return True
                continue
            if hit:
                return True
        return False


# --- loading -------------------------------------------------------------------------------

# The largest chart file read: the mesh's largest is 265 KB; a chart is text, not a disk image.
MAX_CHART_FILE_BYTES = 32 << 20


def _read_text(path: Path | str, where: str) -> str:
    """A chart file's text. Only regular files are read: a FIFO would block the render forever
    and a device (a link to /dev/zero) never ends; opened without blocking to find out."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise ChartError("not a regular file (a FIFO, socket or device); refusing to read it", where)
            if st.st_size > MAX_CHART_FILE_BYTES:
                raise ChartError(f"file is larger than {MAX_CHART_FILE_BYTES >> 20} MiB", where)
            data = fh.read(MAX_CHART_FILE_BYTES + 1)
    except OSError as e:
        raise ChartError(f"cannot read file: {e.strerror}", where) from None
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark is dropped, as Helm does
        data = data[3:]
    return data.decode("utf-8", errors="replace")


def _metadata(directory: Path, where: str, hidden: bool) -> dict[str, Any]:
    path = directory / "Chart.yaml"
    if hidden or not path.is_file():  # hidden: .helmignore ignores it, and Helm never reads it then
        raise ChartError("Chart.yaml file is missing", where)
    try:
        meta = load_data(_read_text(path, f"{where}/Chart.yaml"), f"{where}/Chart.yaml") or {}
    except MeshchartsError as e:
        raise ChartError(e.message, e.where) from None
    if not isinstance(meta, dict):
        raise ChartError("Chart.yaml must be a map", f"{where}/Chart.yaml")
    for key in ("name", "version"):
        if not meta.get(key):
            raise ChartError(f"Chart.yaml has no {key!r}", f"{where}/Chart.yaml")
        if isinstance(meta[key], (dict, list)):
            raise ChartError(f"{key!r} must be a string, not {type_name(meta[key])}", f"{where}/Chart.yaml")
    meta["name"], meta["version"] = _text(meta["name"]), _text(meta["version"])
    # The name becomes a path (charts/<name>/templates/..., --output-dir): one plain segment only.
    if meta["name"] in (".", "..") or "/" in meta["name"] or "\\" in meta["name"]:
        raise ChartError(f"chart name {meta['name']!r} is invalid: it must not be a path", f"{where}/Chart.yaml")
    if not meta["name"].isprintable():  # it is printed in `# Source:` lines: a line break adds a document
        raise ChartError(f"chart name {meta['name']!r} is invalid: it has a control character", f"{where}/Chart.yaml")
    if not SEMVER.match(meta["version"]):
        raise ChartError(f"version {meta['version']!r} is not a semantic version (e.g. 1.0.6)",
                         f"{where}/Chart.yaml")
    if meta.get("type") not in (None, "", "application", "library"):
        raise ChartError(f"chart type {meta['type']!r} is not 'application' or 'library'", f"{where}/Chart.yaml")
    for key in ("appVersion", "apiVersion", "kubeVersion"):  # scalars keep their text
        if key in meta and meta[key] is not None and not isinstance(meta[key], str):
            meta[key] = format_number(meta[key]) if isinstance(meta[key], (int, float)) else str(meta[key])
    return meta


def _text(value: Any) -> str | None:
    """A scalar read into one of Helm's string fields: its text (``true``, ``1.5``)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return format_number(value) if isinstance(value, (int, float)) else str(value)


def _dependencies(directory: Path, meta: dict[str, Any], where: str, hidden: bool) -> tuple[Dependency, ...]:
    """The dependency list of requirements.yaml (unless .helmignore hides it), else Chart.yaml's."""
    source = f"{where}/Chart.yaml"
    entries = meta.get("dependencies")
    req = directory / "requirements.yaml"
    if not hidden and req.is_file():
        source = f"{where}/requirements.yaml"
        data = load_data(_read_text(req, source), source)
        if data is not None and not isinstance(data, dict):
            raise ChartError(f"requirements.yaml must be a map, not {type_name(data)}", source)
        entries = (data or {}).get("dependencies")
    if not isinstance(entries or [], list):
        raise ChartError(f"'dependencies' must be a list, not {type_name(entries)}", source)
    deps, seen = [], set()
    for i, entry in enumerate(entries or []):
        if not isinstance(entry, dict) or not entry.get("name"):
            raise ChartError(f"dependency #{i + 1} has no name", source)
        # Helm reads these as strings: a scalar gives its text, a list or map is an error.
        for key in ("name", "alias", "condition", "version"):
            if isinstance(entry.get(key), (dict, list)):
                raise ChartError(f"dependency #{i + 1}: {key!r} must be a string, not {type_name(entry[key])}",
                                 source)
        tags = entry.get("tags") or []
        if not isinstance(tags, list) or any(isinstance(t, (dict, list)) for t in tags):
            raise ChartError(f"dependency #{i + 1}: 'tags' must be a list of tag names", source)
        dep = Dependency(name=_text(entry["name"]), alias=_text(entry.get("alias")),
                         condition=_text(entry.get("condition")), tags=tuple(_text(t) for t in tags),
                         version=_text(entry.get("version")))
        if dep.alias is not None and not ALIAS.match(dep.alias):
            raise ChartError(f"dependency {dep.name!r} has disallowed characters in its alias {dep.alias!r}", source)
        if dep.key in seen:
            raise ChartError(f"dependency {dep.key!r} is listed twice", source)
        seen.add(dep.key)
        deps.append(dep)
    return tuple(deps)


def load_chart(directory: str | Path, values_override: Values | None = None) -> Chart:
    """Load the chart in ``directory`` with its children. ``values_override`` replaces the
    root chart's values.yaml (the bundled chart keeps its defaults in a values tree)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ChartError("chart directory not found", str(directory))
    ignore_file = directory / ".helmignore"
    rules = (IgnoreRules.parse(_read_text(ignore_file, str(ignore_file)), str(ignore_file))
             if ignore_file.is_file() else IgnoreRules.parse("", ""))
    chart = _load(directory, "", rules, str(directory))
    if values_override is not None:
        chart = chart._replace(values=values_override)
    return chart


def _inside(path: str, root: str, where: str) -> None:
    """Refuse a symbolic link that leads out of the root chart: templates and ``Files`` may
    only ever see the chart's own files."""
    if os.path.islink(path):
        real = os.path.realpath(path)
        if real != root and not real.startswith(root + os.sep):
            raise ChartError("symbolic link points outside the chart; refusing to read it", where)


def _schema(path: str, where: str) -> dict[str, Any]:
    import json  # only for a chart with a values schema
    try:
        schema = json.loads(_read_text(path, where))
    except json.JSONDecodeError as e:
        raise ChartError(f"invalid JSON: {e.msg}", f"{where}:{e.lineno}:{e.colno}") from None
    if not isinstance(schema, dict):
        raise ChartError("a values schema must be a JSON object", where)
    return schema


def _load(directory: Path, rel_root: str, rules: IgnoreRules, where: str, root: str | None = None,
          above: frozenset[str] = frozenset()) -> Chart:
    root = root or os.path.realpath(directory)
    here = os.path.realpath(directory)
    if here in above:  # charts/x is a symbolic link to this chart or one that holds it
        raise ChartError("the chart contains itself through a symbolic link", where)
    above = above | {here}
    meta = _metadata(directory, where, rules.ignored(rel_root + "Chart.yaml", False))
    values: Values = {}
    vfile = directory / "values.yaml"
    if vfile.is_file() and not rules.ignored(rel_root + "values.yaml", False):
        values = load_values_text(_read_text(vfile, f"{where}/values.yaml"), f"{where}/values.yaml",
                                  persist=True)
    templates: list[tuple[str, str]] = []
    files: dict[str, str] = {}
    children: list[Chart] = []
    schema = None
    for dirpath, dirnames, filenames in os.walk(directory):
        rel_dir = os.path.relpath(dirpath, directory).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        if rel_dir == "charts/":
            for name in sorted(dirnames):
                if name.startswith(("_", ".")) or rules.ignored(f"{rel_root}charts/{name}", True):
                    continue
                _inside(os.path.join(dirpath, name), root, f"{where}/charts/{name}")
                children.append(_load(Path(dirpath) / name, f"{rel_root}charts/{name}/", rules,
                                      f"{where}/charts/{name}", root, above))
            dirnames[:] = []
            continue
        dirnames[:] = sorted(d for d in dirnames if not rules.ignored(f"{rel_root}{rel_dir}{d}", True))
        for name in sorted(filenames):
            rel = rel_dir + name
            if rules.ignored(rel_root + rel, False):
                continue
            if not rel.isprintable():  # a path is printed in `# Source:` lines and used as a key
                raise ChartError("file name has a control character or bytes that are not UTF-8 (a line break "
                                 "would add a document to the output); rename it", f"{where}/{printable(rel)}")
            if rel in ("Chart.yaml", "values.yaml", "requirements.yaml", "requirements.lock", "Chart.lock"):
                continue
            _inside(os.path.join(dirpath, name), root, f"{where}/{rel}")
            if rel == "values.schema.json":
                schema = _schema(os.path.join(dirpath, name), f"{where}/{rel}")
                continue
            text = _read_text(os.path.join(dirpath, name), f"{where}/{rel}")
            if rel.startswith("templates/"):
                templates.append((rel, text))
            else:
                files[rel] = text
    if meta.get("type") == "library":
        templates = [(p, t) for p, t in templates if p.rsplit("/", 1)[-1].startswith("_")]
    deps = _dependencies(directory, meta, where, rules.ignored(rel_root + "requirements.yaml", False))
    by_name = {c.metadata["name"]: c for c in children}
    for dep in deps:
        if dep.name not in by_name:
            raise ChartError(f"dependency {dep.name!r} is listed but charts/ has no chart of that name", where)
    # A listed dependency with an alias renders under that alias.
    listed = {d.name: d for d in deps}
    named = []
    for c in children:
        dep = listed.get(c.metadata["name"])
        named.append(c._replace(name=dep.key) if dep and dep.alias else c)
    return Chart(name=meta["name"], directory=directory, metadata=meta, values=values,
                 templates=tuple(sorted(templates)), files=files, dependencies=deps,
                 children=tuple(sorted(named, key=lambda c: c.name)), schema=schema)


def chart_fields(meta: dict[str, Any], is_root: bool) -> dict[str, Any]:
    """``.Chart`` for templates: Chart.yaml under Helm's capitalised names."""
    out = {CHART_FIELDS[k]: v for k, v in meta.items() if k in CHART_FIELDS}
    out["IsRoot"] = is_root
    return out


