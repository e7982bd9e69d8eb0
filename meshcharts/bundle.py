"""Where a chart comes from: a bundled chart named on the command line (``istio``, the default,
or any other folder of ``meshcharts/charts/``), or a chart directory anywhere.

Every chart is then loaded and rendered the same way; what differs is only where its defaults
and its profiles (named values overlays) live. A directory chart keeps both inside itself
(``values.yaml``, ``profiles/*.yaml``). The bundled mesh chart keeps its defaults in the
repository's top-level ``values/`` tree (``istio.yaml`` for the parent, one file per child) and its
overlays in ``profiles/``, so that they read as the product's configuration rather than as chart
internals; an installed wheel carries both in ``meshcharts/_bundle/``.
"""
from __future__ import annotations

import functools
from collections import namedtuple
from pathlib import Path

from .errors import ChartError, MeshchartsError
from .golang import merge_maps
from .values import Values, read_values_file

PACKAGE_DIR = Path(__file__).resolve().parent
CHARTS_DIR = PACKAGE_DIR / "charts"
DEFAULT_CHART = "istio"


def _data_dir(name: str) -> Path:
    for candidate in (PACKAGE_DIR / "_bundle" / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise MeshchartsError(f"the bundled {name}/ directory is missing from this installation")


class ChartSource(namedtuple("ChartSource", "name directory profiles_dir profiles_label defaults_dir bundled")):
    """One chart to render: ``directory`` holds Chart.yaml and templates; profiles are
    ``profiles_dir/NAME.yaml`` (named ``profiles_label/NAME.yaml`` in messages); ``defaults_dir``,
    when set, replaces the chart's own values.yaml by a tree of files (the parent's in
    ``<chart name>.yaml``, each child's section in ``<child>.yaml``); ``bundled`` charts ship with
    meshcharts, and their defaults and profiles are tested against their schema."""
    __slots__ = ()

    def defaults(self) -> Values | None:
        """The chart's default values when they live outside the chart directory, else None."""
        return None if self.defaults_dir is None else _tree_defaults(self.defaults_dir, self.name)

    def profile_names(self) -> list[str]:
        """``default`` (no overlay) and the chart's profiles."""
        directory = self.profiles_dir
        found = sorted(p.stem for p in directory.glob("*.yaml")) if directory is not None and directory.is_dir() else []
        return ["default"] + found

    def profile_path(self, name: str) -> tuple[Path, str] | None:
        """The overlay file of profile ``name`` and its name in messages (None for ``default``);
        an unknown name is an error that lists the known ones and suggests the closest."""
        if name == "default":
            return None
        path = self.profiles_dir / f"{name}.yaml" if self.profiles_dir is not None else None
        if "/" in name or "\\" in name or path is None or not path.is_file():
            known = self.profile_names()
            import difflib  # 6 ms, only for the message of an unknown profile
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ChartError(f"unknown profile {name!r}{hint}; known profiles: {', '.join(known)}", "--profile")
        label = f"{self.profiles_label}/{name}.yaml" if self.bundled else str(path)
        return path, label

    def profile_description(self, name: str) -> str:
        """The first comment line of a profile's file: what the profile is for."""
        if name == "default":
            return "The chart's defaults, no overlay"
        found = self.profile_path(name)
        first = found[0].read_text(encoding="utf-8").split("\n", 1)[0] if found else ""
        return first.lstrip("#").strip() if first.startswith("#") else ""


@functools.lru_cache(maxsize=4)
def _tree_defaults(directory: Path, parent: str) -> Values:
    values = read_values_file(directory / f"{parent}.yaml", f"values/{parent}.yaml", persist=True)
    for path in sorted(directory.glob("*.yaml")):
        if path.stem != parent:
            merge_maps(values, {path.stem: read_values_file(path, f"values/{path.name}", persist=True)})
    return values


def bundled_names() -> list[str]:
    """The charts that ship with meshcharts, the default first."""
    names = sorted(p.name for p in CHARTS_DIR.iterdir() if (p / "Chart.yaml").is_file())
    return sorted(names, key=lambda n: n != DEFAULT_CHART)


def bundled(name: str) -> ChartSource:
    directory = CHARTS_DIR / name
    if name == DEFAULT_CHART:
        return ChartSource(name, directory, _data_dir("profiles"), "profiles", _data_dir("values"), True)
    return ChartSource(name, directory, directory / "profiles", f"{name}/profiles", None, True)


def resolve(spec: str | Path | None) -> ChartSource:
    """The chart ``--chart`` names: None for the default bundled chart, the name of a bundled
    chart (a bare name without a path separator; write ``./NAME`` for a directory of that name),
    or a chart directory."""
    if spec is None:
        return bundled(DEFAULT_CHART)
    text = str(spec)
    if "\0" in text:
        raise ChartError("chart path has a NUL character", "--chart")
    if isinstance(spec, str) and "/" not in text and "\\" not in text and text in bundled_names():
        return bundled(text)
    directory = Path(text).resolve()
    return ChartSource(directory.name, directory, directory / "profiles", "profiles", None, False)
