"""The bundled mesh chart: its templates in the package, defaults in the ``values/`` tree,
named overlays in ``profiles/``.

In a source checkout ``values/`` and ``profiles/`` sit beside the package; an installed wheel
carries them in ``meshcharts/_bundle/``.
"""
from __future__ import annotations

import functools
from pathlib import Path

from .errors import ChartError, MeshchartsError
from .values import Values, merge_maps, read_values_file

PACKAGE_DIR = Path(__file__).resolve().parent
CHART_DIR = PACKAGE_DIR / "chart"


def _data_dir(name: str) -> Path:
    for candidate in (PACKAGE_DIR / "_bundle" / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise MeshchartsError(f"the bundled {name}/ directory is missing from this installation")


def values_dir() -> Path:
    return _data_dir("values")


def profiles_dir() -> Path:
    return _data_dir("profiles")


@functools.lru_cache(maxsize=1)
def bundled_defaults() -> Values:
    """The parent chart's values: ``values/istio.yaml`` plus each ``values/<child>.yaml`` as
    the parent's ``<child>:`` section."""
    directory = values_dir()
    values = read_values_file(directory / "istio.yaml", "values/istio.yaml")
    for path in sorted(directory.glob("*.yaml")):
        if path.stem != "istio":
            merge_maps(values, {path.stem: read_values_file(path, f"values/{path.name}")})
    return values


def profile_names(directory: Path | None = None) -> list[str]:
    """``default`` and the profiles in ``directory`` (default: the bundled chart's)."""
    return ["default"] + sorted(p.stem for p in (directory or profiles_dir()).glob("*.yaml"))


def profile_description(name: str) -> str:
    if name == "default":
        return "The chart's defaults, no overlay"
    first = (profiles_dir() / f"{name}.yaml").read_text(encoding="utf-8").split("\n", 1)[0]
    return first.lstrip("#").strip() if first.startswith("#") else ""


def profile_path(name: str, directory: Path | None = None) -> Path | None:
    """The overlay file of profile ``name`` in ``directory`` (default: the bundled chart's
    profiles; None for ``default``); unknown names are an error that lists the known ones."""
    if name == "default":
        return None
    path = (directory or profiles_dir()) / f"{name}.yaml"
    if "/" in name or not path.is_file():
        raise ChartError(f"unknown profile {name!r}; known profiles: {', '.join(profile_names(directory))}",
                         "--profile")
    return path
