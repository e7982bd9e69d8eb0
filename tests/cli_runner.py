"""Run the command line in this process and capture what a shell would see."""
from __future__ import annotations

import contextlib
import io
from typing import NamedTuple, Sequence

from meshcharts.cli import main


class Result(NamedTuple):
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None  # SystemExit for an orderly failure, anything else is a crash


def invoke(args: Sequence[str]) -> Result:
    out, err = io.StringIO(), io.StringIO()
    exception: BaseException | None = None
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as e:
            exception, code = e, e.code if isinstance(e.code, int) else 1
        except Exception as e:  # noqa: BLE001 - a crash is what the tests look for
            exception, code = e, 1
    return Result(code, out.getvalue(), err.getvalue(), exception)
