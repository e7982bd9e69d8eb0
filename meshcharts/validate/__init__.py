"""``meshcharts validate``: what a Kubernetes cluster of a given version, with Istio 1.0, will
refuse in a manifest, found offline and before anything is applied (see :mod:`.core`).

    >>> from meshcharts.validate import validate_render, validate_path
    >>> report = validate_render("demo", kube_version="v1.15.0")
    >>> report.ok, [str(f) for f in report.errors]
    >>> validate_path("istio.yaml", kube_version="1.22").json()
"""
from __future__ import annotations

from ..cache import DiskCache
from ..manifest import read_manifest_path
from .kube import parse_version, removed_apis

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Iterable

    from ..manifest import Document, Manifest
    from .core import Finding, Report

__all__ = ["Finding", "Report", "validate_documents", "validate_manifest", "validate_path", "validate_render",
           "validate_options", "unserved_apis"]


def __getattr__(name: str) -> Any:  # the checks load only when used: render's note needs none of them
    if name in ("Finding", "Report"):
        from . import core  # the checks load on first use: render's note needs none of them
        return getattr(core, name)
    raise AttributeError(name)


def validate_documents(documents: Iterable[Document], kube_version: str, numbered: bool = True) -> Report:
    """Validate documents (from :func:`meshcharts.manifest.read_manifest`), located by file and number."""
    from .core import validate_documents as run  # the checks, on first use (see __getattr__)
    return run(documents, kube_version, numbered)


def validate_manifest(manifest: Manifest | Iterable[Document], kube_version: str) -> Report:
    """Validate a rendered :class:`~meshcharts.manifest.Manifest` (or its documents), each
    located by its ``# Source:`` template."""
    from .core import parse_for_validation  # the checks, on first use (see __getattr__)
    documents = manifest.documents if hasattr(manifest, "documents") else list(manifest)
    return _saved(validate_documents(parse_for_validation(documents), kube_version, numbered=False))


def _saved(report: Report) -> Report:
    """Keep what this run parsed and loaded for the next process (renders save their own)."""
    DiskCache.save_all()
    return report


def validate_path(path: str | Path, kube_version: str, stdin: Any = None) -> Report:
    """Validate a manifest file, an ``--output-dir`` tree, or ``-`` (stdin), each finding
    located by file and document number."""
    return _saved(validate_documents(read_manifest_path(path, stdin), kube_version))


def validate_options(options: Any) -> Report:
    """Render with ``options`` (a :class:`~meshcharts.api.RenderOptions`) and validate the result
    against ``options.kube_version``."""
    from ..api import render_options  # only to render: validating a file needs no pipeline
    return validate_manifest(render_options(options), options.kube_version)


def validate_render(profile: str = "default", *, kube_version: str = "v1.36.0", **render_args: Any) -> Report:
    """:func:`meshcharts.render` with the same arguments, then validation against ``kube_version``."""
    from ..api import render  # only to render, as in validate_options
    return validate_manifest(render(profile, kube_version=kube_version, **render_args), kube_version)


def unserved_apis(manifest: Manifest, kube_version: str) -> list[str]:
    """``apiVersion Kind`` of each kind in the manifest that Kubernetes ``kube_version`` no longer
    serves, from each document's head and the removals table only (cheap enough for every render)."""
    try:
        target = parse_version(kube_version)
    except Exception:  # a version render itself refuses says so on its own
        return []
    removed = removed_apis(target)
    found: dict[str, None] = {}
    for doc in manifest.documents:
        api_version = _head_api_version(doc.text)
        if api_version and (api_version, doc.kind) in removed:
            found[f"{api_version} {doc.kind}"] = None
    return list(found)


def _head_api_version(text: str) -> str | None:
    at = 0 if text.startswith("apiVersion:") else text.find("\napiVersion:") + 1
    if at == 0 and not text.startswith("apiVersion:"):
        return None
    line = text[at + len("apiVersion:"):text.find("\n", at) if text.find("\n", at) >= 0 else len(text)]
    return line.split("#")[0].strip().strip("'\"") or None
