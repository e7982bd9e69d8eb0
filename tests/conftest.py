"""Shared fixtures: the golden-file snapshot extension and helpers to build tiny charts."""
from __future__ import annotations

import os
import re
import tempfile
import textwrap
from pathlib import Path

# The suite keeps its compiled-template and YAML caches to itself (subprocesses inherit this too),
# so it neither depends on nor disturbs the user's ~/.cache/meshcharts.
os.environ["MESHCHARTS_CACHE_DIR"] = tempfile.mkdtemp(prefix="meshcharts-test-cache-")

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "golden"


class GoldenYaml(SingleFileSnapshotExtension):
    """Snapshots as plain ``golden/<name>.yaml`` files, so a golden diff reads like a manifest
    diff. The name comes from the test's parameter id (``test_profile[demo]`` → ``demo.yaml``)."""

    file_extension = "yaml"
    _write_mode = WriteMode.TEXT

    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(GOLDEN)

    @classmethod
    def discovery_dirname(cls, *, test_location) -> str:
        return str(GOLDEN)

    @classmethod
    def get_snapshot_name(cls, *, test_location, index=0) -> str:
        name = test_location.testname
        m = re.search(r"\[(.*)\]$", name)
        base = m.group(1) if m else name
        base = re.sub(r"[^A-Za-z0-9_.-]+", "-", base)
        return base if index == 0 else f"{base}.{index}"


@pytest.fixture
def golden(snapshot):
    return snapshot.use_extension(GoldenYaml)


def write_tree(root: Path, spec: dict[str, str]) -> Path:
    """Create files from ``{relative path: text}`` (text is dedented)."""
    for rel, text in spec.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


@pytest.fixture
def make_chart(tmp_path):
    """Build a chart from a ``{path: text}`` spec; ``Chart.yaml`` files default to a minimal one."""
    counter = [0]

    def make(spec: dict[str, str], name: str = "parent") -> Path:
        counter[0] += 1
        root = tmp_path / f"chart{counter[0]}"
        full = dict(spec)
        full.setdefault("Chart.yaml", f"apiVersion: v1\nname: {name}\nversion: 0.1.0\n")
        for rel in list(spec):
            m = re.match(r"^((?:.*/)?charts/([^/]+))/", rel)
            if m:
                full.setdefault(f"{m.group(1)}/Chart.yaml", f"apiVersion: v1\nname: {m.group(2)}\nversion: 0.1.0\n")
        return write_tree(root, full)

    return make


@pytest.fixture
def render_chart(make_chart):
    """Build a chart from a spec (as ``make_chart``) and render it through the API; keyword
    arguments go to :func:`meshcharts.render`."""
    from meshcharts import render

    def run(spec: dict[str, str], chart_name: str = "parent", **options):
        return render(chart=make_chart(spec, name=chart_name), **options)

    return run

