"""The injection pipeline as functions: :func:`inject` (beside :func:`meshcharts.render`),
per file, per text and per tree, with the injector and mesh configs from a render, a rendered
manifest or two files."""
from __future__ import annotations

import sys
from pathlib import Path

from ..errors import MeshchartsError
from ..outputdir import replace_tree
from ..manifest import Document, Manifest, split_documents
from ..yamlio import load_document
from .injector import InjectError, Injector
from .mesh import read_mesh_config
from .workloads import Chunk, Options, inject_chunks, iter_yaml_files, join_documents, render_chunks, split_chunks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable

INJECTOR_CONFIGMAP = "istio-sidecar-injector"
MESH_CONFIGMAP = "istio"
POLICIES = ("kube-inject", "webhook")


class Injected(Manifest):
    """The injected manifest: ``text`` is what ``meshcharts inject`` prints, ``documents`` its
    documents (``source`` is the input file), ``warnings`` the notes about workloads left alone
    (host network, or the webhook's policy with ``policy="webhook"``)."""

    def __init__(self, documents: list[Document], texts: list[str], warnings: list[str], injected: int = 0):
        super().__init__(documents, warnings)
        self.texts = texts
        self.injected = injected  # how many documents got a sidecar

    @property
    def text(self) -> str:
        return join_documents(self.texts)


def _configmap_data(manifest: Manifest, name: str, key: str, origin: str) -> tuple[str, str]:
    for doc in manifest.documents:
        if doc.kind != "ConfigMap" or f"name: {name}" not in doc.text:
            continue
        obj = load_document(doc.text, doc.source)
        if isinstance(obj, dict) and (obj.get("metadata") or {}).get("name") == name:
            data = obj.get("data") or {}
            if not isinstance(data.get(key), str):
                raise InjectError(f"ConfigMap {name} has no data key {key!r}", f"{origin}: {doc.source}")
            return data[key], f"{origin}: ConfigMap {name}, key {key}"
    hints = {INJECTOR_CONFIGMAP: " (is global.omitSidecarInjectorConfigMap set?)",
             MESH_CONFIGMAP: " (it comes with pilot: is pilot.enabled false?)"}
    hint = hints[name] if origin == "render" else ""
    raise InjectError(f"no ConfigMap {name} in the manifest, so there is nothing to inject from{hint}", origin)


def _webhook_selector(manifest: Manifest) -> dict | None:
    for doc in manifest.documents:
        if doc.kind == "MutatingWebhookConfiguration" and INJECTOR_CONFIGMAP in doc.text:
            hooks = doc.object.get("webhooks") if isinstance(doc.object, dict) else None
            if hooks and isinstance(hooks[0], dict):
                return hooks[0].get("namespaceSelector")
    return None


def _read_text(path: str | Path, what: str) -> str:
    try:
        if str(path) == "-":
            return sys.stdin.read()
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MeshchartsError(f"{what} not found", str(path)) from None
    except IsADirectoryError:
        raise MeshchartsError(f"{what} is a directory", str(path)) from None
    except UnicodeDecodeError:
        raise MeshchartsError(f"{what} is not UTF-8 text", str(path)) from None
    except OSError as e:
        raise MeshchartsError(f"cannot read {what}: {e.strerror}", str(path)) from None


def read_manifest(path: str | Path) -> Manifest:
    """A manifest file (``-``: stdin) as a :class:`~meshcharts.manifest.Manifest`, each document's
    source being the file."""
    return Manifest(split_documents("<stdin>" if str(path) == "-" else str(path), _read_text(path, "manifest")))


def build_options(render_options: Any = None, *, from_manifest: str | Path | None = None,
                  injector_config: str | Path | None = None, mesh_config: str | Path | None = None,
                  policy: str = "kube-inject") -> Options:
    """The injector, its mesh and the pull secrets, from a render (``render_options``, a
    :class:`~meshcharts.api.RenderOptions`), a rendered manifest file, or two config files."""
    if policy not in POLICIES:
        raise MeshchartsError(f"unknown policy {policy!r}; known: {', '.join(POLICIES)}", "--policy")
    if (injector_config is None) != (mesh_config is None):
        raise MeshchartsError("--injector-config and --mesh-config go together",
                              "--injector-config" if injector_config is None else "--mesh-config")
    secrets: list[str] = []
    selector = None
    if injector_config is not None:
        if from_manifest is not None:
            raise MeshchartsError("takes the configs from files; drop --from-manifest", "--injector-config")
        config, config_where = _read_text(injector_config, "injector config"), str(injector_config)
        mesh, mesh_where = _read_text(mesh_config, "mesh config"), str(mesh_config)
    else:
        if from_manifest is not None:
            manifest = read_manifest(from_manifest)
            origin = str(from_manifest)
        else:
            from ..api import RenderOptions, load, render_options as render  # only to render: files need no pipeline
            options = render_options if render_options is not None else RenderOptions()
            manifest = render(options)
            origin = "render"
            if options.registry is not None:
                from ..registry import pull_secrets  # only with --registry
                secrets = pull_secrets(load(options)[1])
        config, config_where = _configmap_data(manifest, INJECTOR_CONFIGMAP, "config", origin)
        mesh, mesh_where = _configmap_data(manifest, MESH_CONFIGMAP, "mesh", origin)
        selector = _webhook_selector(manifest)
    injector = Injector(config, read_mesh_config(mesh, mesh_where), config_where)
    return Options(injector, policy, secrets, selector)


def inject_text(text: str, where: str, options: Options) -> Injected:
    """Inject the workloads of one manifest text (``where`` names it in messages)."""
    chunks = split_chunks(text, where)
    notes: list[str] = []
    inject_chunks(chunks, options, notes)
    return _result(chunks, notes)


def _result(chunks: list[Chunk], notes: list[str]) -> Injected:
    texts = render_chunks(chunks)
    docs = []
    for c, t in zip(chunks, texts):
        found = split_documents(c.where, t)
        docs.extend(found[:1])
    return Injected(docs, texts, notes, sum(1 for c in chunks if c.injected))


def inject(inputs: str | Path | Iterable[str | Path] = "-", *, text: str | None = None,
           profile: str = "default", values_files: Iterable[str | Path] = (), set_values: Iterable[str] = (),
           set_string_values: Iterable[str] = (), set_file_values: Iterable[str] = (), name: str = "istio",
           namespace: str = "istio-system", chart: str | Path | None = None, registry: str | None = None,
           from_manifest: str | Path | None = None, injector_config: str | Path | None = None,
           mesh_config: str | Path | None = None, policy: str = "kube-inject") -> Injected:
    """Inject the Istio sidecar into the workloads of ``inputs`` (files; ``-`` is stdin) or of
    ``text``, with the injector and mesh of the release these values render (or of
    ``from_manifest``, or of the ``injector_config`` and ``mesh_config`` files).

    Returns an :class:`Injected` manifest whose ``text`` is what ``meshcharts inject`` prints.
    Bad input raises :class:`~meshcharts.errors.MeshchartsError` naming the file and document.
    """
    from ..api import RenderOptions  # only to render, as in inject_render
    options = build_options(RenderOptions(
        chart=chart, profile=profile, values_files=tuple(values_files), set_values=tuple(set_values),
        set_string_values=tuple(set_string_values), set_file_values=tuple(set_file_values), name=name,
        namespace=namespace, registry=registry), from_manifest=from_manifest,
        injector_config=injector_config, mesh_config=mesh_config, policy=policy)
    if text is not None:
        return inject_text(text, "<text>", options)
    paths = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    return inject_files(paths, options)


def inject_files(paths: list[str | Path], options: Options) -> Injected:
    """Inject several files as one manifest, in order."""
    chunks: list[Chunk] = []
    for p in paths:
        where = "<stdin>" if str(p) == "-" else str(p)
        chunks.extend(split_chunks(_read_text(p, "input file"), where))
    notes: list[str] = []
    inject_chunks(chunks, options, notes)
    return _result(chunks, notes)


def inject_tree(directory: str | Path, options: Options) -> tuple[list[Path], list[str]]:
    """Inject every ``*.yaml``/``*.yml`` file under ``directory`` in place, the whole tree in one
    step (:func:`meshcharts.outputdir.replace_tree`): a bad file leaves every file as it was.
    Files without workloads keep their own bytes. Returns the files changed and the notes."""
    root = Path(directory)
    if not root.is_dir():
        raise MeshchartsError("not a directory", str(directory))
    changed: dict[str, str] = {}
    notes: list[str] = []
    for path in iter_yaml_files(str(root)):
        result = inject_text(_read_text(path, "manifest file"), path, options)
        notes += result.warnings
        if result.injected:
            changed[Path(path).relative_to(root).as_posix()] = result.text
    return (replace_tree(root, changed) if changed else []), notes


__all__ = ["inject", "inject_text", "inject_files", "inject_tree", "build_options", "Injected", "InjectError",
           "Injector"]
