"""The public API's annotations, checked by mypy: the package's API modules themselves, and a
caller's usage of them (tests/typing/api_usage.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_package_is_marked_typed():
    assert (ROOT / "meshcharts" / "py.typed").is_file()


def test_public_api_type_checks():
    mypy = pytest.importorskip("mypy.api")
    files = ["meshcharts/api.py", "meshcharts/__init__.py", "tests/typing/api_usage.py"]
    out, err, status = mypy.run(["--follow-imports=silent", "--check-untyped-defs", "--no-incremental",
                                 "--cache-dir=/dev/null", *[str(ROOT / f) for f in files]])
    assert status == 0, out + err
