"""Byte-exact output of `meshcharts render` for the fixed test chart with two children
(tests/charts/two-children): globals, cross-chart defines, Files, conditions, install order and
hooks in one pinned manifest. Refresh with `pytest --snapshot-update` only for an intended change."""
from __future__ import annotations

from pathlib import Path

import pytest

from cli_runner import invoke

CHART = Path(__file__).resolve().parent / "charts" / "two-children"


@pytest.mark.parametrize("args", [["--name", "store", "--namespace", "shop"]], ids=["engine-two-children"])
def test_engine_golden(args, golden):
    result = invoke(["render", "--chart", str(CHART), *args])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == golden
