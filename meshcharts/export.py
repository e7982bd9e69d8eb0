"""``meshcharts export``: a bundled chart as a self-contained Helm-shaped directory that users
can fork, keep in git and render with ``meshcharts render --chart DIR``.

A copy of the bundled mesh chart's folder alone does not render: its defaults do not live in
the folder but in the top-level ``values/`` tree (``istio.yaml`` for the parent, one file per
child section) and its profiles in ``profiles/`` (see :mod:`meshcharts.bundle`), so the copy has
no values at all and the first template that reads ``Values.global`` fails. The export writes
the chart's files, one ``values.yaml`` that holds every default (each child's file as its
section, comments kept) and the profiles under ``profiles/``, where a directory chart keeps them.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from .bundle import resolve
from .errors import MeshchartsError
from .values import read_values_file
from .yamlio import load_values_text, to_yaml


def _merged_values_text(defaults_dir: Path, parent: str) -> str:
    """The parent's defaults file followed by each child's file indented as its section."""
    parts = [(defaults_dir / f"{parent}.yaml").read_text(encoding="utf-8").rstrip("\n") + "\n"]
    for path in sorted(defaults_dir.glob("*.yaml")):
        if path.stem == parent:
            continue
        body = path.read_text(encoding="utf-8").rstrip("\n")
        indented = "\n".join(f"  {line}" if line.strip() else "" for line in body.split("\n"))
        parts.append(f"\n# --- defaults of the {path.stem} chart ---\n{path.stem}:\n{indented}\n")
    return "".join(parts)


def export_chart(destination: str | Path, chart: str | None = None) -> list[Path]:
    """Write the bundled chart ``chart`` (default: the mesh) to ``destination``, which must not
    exist or be empty; returns the files written. Rendering the result with ``--chart`` gives
    the same bytes as rendering the bundled chart with the same flags."""
    source = resolve(chart)
    if not source.bundled:
        raise MeshchartsError("not a bundled chart; a chart directory is already self-contained", "--chart")
    dest = Path(destination)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise MeshchartsError("destination exists and is not an empty directory", str(destination))
    staging = dest.parent / f".{dest.name}.meshcharts-export"
    if staging.exists():
        shutil.rmtree(staging)
    try:
        shutil.copytree(source.directory, staging, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        if source.defaults_dir is not None:
            text = _merged_values_text(Path(source.defaults_dir), source.name)
            # The text keeps every comment; should it ever not read back as the same values,
            # write the values themselves instead.
            if load_values_text(text, "values.yaml") != source.defaults():
                text = to_yaml(source.defaults()) + "\n"
            (staging / "values.yaml").write_text(text, encoding="utf-8")
        if source.profiles_dir is not None and Path(source.profiles_dir).is_dir():
            profiles = staging / "profiles"
            profiles.mkdir(exist_ok=True)
            for path in sorted(Path(source.profiles_dir).glob("*.yaml")):
                read_values_file(path, str(path))  # refuse to export a profile that does not read
                shutil.copyfile(path, profiles / path.name)
        if dest.exists():
            dest.rmdir()
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, dest)
    except OSError as e:
        shutil.rmtree(staging, ignore_errors=True)
        raise MeshchartsError(f"cannot write the chart: {e.strerror}", str(e.filename or destination)) from None
    return sorted(p for p in dest.rglob("*") if p.is_file())

