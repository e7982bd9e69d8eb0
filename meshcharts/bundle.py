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
BUNDLED_CHARTS_DIR = PACKAGE_DIR / "charts"   # more bundled charts, each selected by its folder's name
DEFAULT_CHART = "istio"                       # the mesh install: what `--chart` defaults to


def chart_names() -> list[str]:
    """The bundled charts' names: the mesh install first, then the folders of ``charts/``."""
    found = BUNDLED_CHARTS_DIR.glob("*/Chart.yaml") if BUNDLED_CHARTS_DIR.is_dir() else ()
    return [DEFAULT_CHART, *sorted(p.parent.name for p in found if p.parent.name != DEFAULT_CHART)]


def bundled_charts() -> dict[str, str]:
    """Each bundled chart's name and its Chart.yaml description (what ``meshcharts charts`` lists)."""
    from .values import read_values_file
    out = {}
    for name in chart_names():
        directory = CHART_DIR if name == DEFAULT_CHART else BUNDLED_CHARTS_DIR / name
        out[name] = str(read_values_file(directory / "Chart.yaml", f"{name}/Chart.yaml").get("description") or "")
    return out


@functools.lru_cache(maxsize=64)
def chart_dir(chart: str | None) -> str | None:
    """What ``--chart`` names: None for the bundled mesh install (no flag, or its name), a bundled
    chart's folder for another bundled name, otherwise the directory given. A name is a bundled
    chart's only when it holds no path separator (``./mesh-app`` is always a directory)."""
    if chart is None or chart == DEFAULT_CHART:
        return None
    text = str(chart)
    if "/" not in text and "\\" not in text and (BUNDLED_CHARTS_DIR / text / "Chart.yaml").is_file():
        return str(BUNDLED_CHARTS_DIR / text)
    return str(Path(text).resolve())


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
