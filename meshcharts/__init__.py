"""meshcharts: render the Istio 1.0.6 service mesh (or any Helm-shaped Jinja2 chart) like
``helm template``, without Helm."""
from __future__ import annotations

# Modules import typing only for type checkers (annotations are never evaluated): importing it
# costs a fresh process 5 ms, more than rendering a cached chart's smallest templates.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["render", "lint", "inject", "RenderOptions", "render_options", "effective_values", "Manifest",
           "Document", "Finding", "MeshchartsError", "validate_render", "validate_manifest", "validate_path",
           "read_manifest_path"]


# GitOps functions, each beside its command: diff, check-dir, export, values --show-origin, profiles diff.
_GITOPS = {"compare": "diff", "check_dir": "mirror", "write_mirror": "mirror",
           "export_chart": "export", "origins": "explain", "profile_diff": "explain"}
__all__ += list(_GITOPS)


def __getattr__(name: str) -> Any:  # imports on first use keep `meshcharts --help` fast
    if name in ("render", "RenderOptions", "render_options", "effective_values"):
        from . import api as module  # on first use: `import meshcharts` stays cheap
        return getattr(module, name)
    if name in ("lint", "Finding"):
        from . import linting  # on first use, as above
        return getattr(linting, name)
    if name in ("Manifest", "Document"):
        from . import manifest  # on first use, as above
        return getattr(manifest, name)
    if name in _GITOPS:
        import importlib  # on first use, as above
        return getattr(importlib.import_module(f"meshcharts.{_GITOPS[name]}"), name)
    if name in ("validate_render", "validate_manifest", "validate_path"):
        from . import validate  # on first use, as above
        return getattr(validate, name)
    if name == "read_manifest_path":
        from .manifest import read_manifest_path  # on first use, as above
        return read_manifest_path
    if name == "inject":
        from .injection.api import inject  # on first use, as above
        return inject
    if name == "MeshchartsError":
        from .errors import MeshchartsError  # on first use, as above
        return MeshchartsError
    raise AttributeError(name)
