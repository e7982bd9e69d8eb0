"""How much work one render may do: a time budget and an output budget, so that nested loops or
an exponential fan-out of ``include`` stop with one clear error instead of running for minutes
or eating the machine's memory.

- Time: ``time_limit`` seconds for the whole render (default 60; ``--time-limit``, the
  ``MESHCHARTS_TIME_LIMIT`` variable or ``RenderOptions.time_limit``; 0 turns it off). On the
  main thread a timer interrupts the render wherever it is; elsewhere (Python delivers signals
  to the main thread only) the render checks the clock at every ``include``, ``tpl`` and template.
- Output: ``output_limit`` characters of text built by templates and includes in all (default
  256 MiB, about 400 times the whole mesh; ``--max-output``, ``MESHCHARTS_MAX_OUTPUT``,
  ``RenderOptions.output_limit``). The timer also watches the process' memory on Linux, since a
  single loop can build text without passing through an include.

Single steps that build text (``*``, ``%``, ``indent``, ``replace``, ``join``, ``center``,
``wordwrap``, ``slice``, ``lipsum``, ``range``) are bounded where they are done (the template
runtime and functions).
"""
from __future__ import annotations

import os
import time
from contextvars import ContextVar

from .errors import MeshchartsError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

DEFAULT_TIME_LIMIT = 60.0
DEFAULT_OUTPUT_LIMIT = 256 << 20
# Memory the process may grow by during a render before it is stopped: several times what the
# output budget allows, so that a render within its output budget is never stopped for memory.
MEMORY_FACTOR = 8
_TICK = 0.1


class BudgetError(MeshchartsError):
    """A render went past its time or output budget."""


class _OverBudget(BaseException):
    """Raised inside the render by the timer. A BaseException, so that no ``except Exception``
    of a template function (``fromYaml`` keeps errors as values) can swallow it."""


def _number(variable: str, default: float) -> float:
    text = os.environ.get(variable)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise MeshchartsError(f"expected a number, got {text!r}", variable) from None
    if value < 0:
        raise MeshchartsError(f"expected a number of at least 0, got {text!r}", variable)
    return value


def limits(time_limit: float | None, output_limit: int | None) -> tuple[float, int]:
    """The budgets in force: an explicit value, else the environment's, else the default."""
    t = _number("MESHCHARTS_TIME_LIMIT", DEFAULT_TIME_LIMIT) if time_limit is None else float(time_limit)
    o = _number("MESHCHARTS_MAX_OUTPUT", DEFAULT_OUTPUT_LIMIT) if output_limit is None else output_limit
    return t, int(o)


class Budget:
    def __init__(self, time_limit: float, output_limit: int):
        self.time_limit, self.output_limit = time_limit, output_limit
        self.deadline = time.monotonic() + time_limit if time_limit else None
        self.output = 0
        self.memory_start = _resident()
        self.over: str | None = None
        self.raised_at: float | None = None

    def spend(self, characters: int) -> None:
        """Count text a template or include built; raise past either budget."""
        self.output += characters
        if self.output_limit and self.output > self.output_limit:
            self._raise(f"the render built more than {self.output_limit} characters of text (output budget; raise it "
                        "with --max-output or MESHCHARTS_MAX_OUTPUT)")
        if self.deadline is not None and time.monotonic() > self.deadline:
            self._raise(self._time_message())

    def _raise(self, message: str) -> None:
        self.over = message
        if self.raised_at is None:
            self.raised_at = time.monotonic()
        raise BudgetError(message)

    def _time_message(self) -> str:
        return (f"the render took longer than {self.time_limit:g} s (time budget; raise it with --time-limit or "
                "MESHCHARTS_TIME_LIMIT)")

    def tick(self) -> None:
        """The timer's check: past the deadline, or grown past the memory a render may take. The
        first time, an ordinary error that the engine locates (template line, include chain);
        if the render is still running a second later (something caught it), one nothing catches."""
        if self.raised_at is not None:
            if time.monotonic() - self.raised_at > 1.0:
                raise _OverBudget()
            return
        if self.deadline is not None and time.monotonic() > self.deadline:
            self._raise(self._time_message())
        if self.output_limit and self.memory_start is not None:
            now = _resident()
            if now is not None and now - self.memory_start > MEMORY_FACTOR * self.output_limit:
                self._raise(f"the render grew past {MEMORY_FACTOR * self.output_limit >> 20} MiB of memory (output "
                            "budget; raise it with --max-output or MESHCHARTS_MAX_OUTPUT)")


_CURRENT: ContextVar[Budget | None] = ContextVar("meshcharts_budget", default=None)


def spend(characters: int) -> None:
    """Count ``characters`` of built text against the running render's budget (if any)."""
    budget = _CURRENT.get()
    if budget is not None:
        budget.spend(characters)


def _resident() -> int | None:
    """Resident memory of this process in bytes (Linux), else None."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class budgeted:
    """``with budgeted(time_limit, output_limit):`` runs a render under its budgets."""

    def __init__(self, time_limit: float | None = None, output_limit: int | None = None):
        self.budget = Budget(*limits(time_limit, output_limit))

    def __enter__(self) -> Budget:
        self.token = _CURRENT.set(self.budget)
        self.timer = None
        if self.budget.deadline is not None or self.budget.output_limit:
            import signal  # only a render with a budget arms a timer; --help and imports skip it
            if hasattr(signal, "setitimer"):
                previous = signal.getsignal(signal.SIGALRM)
                if previous in (signal.SIG_DFL, signal.SIG_IGN, None):  # not someone else's timer
                    def on_tick(signum: int, frame: Any) -> None:
                        self.budget.tick()
                    try:
                        signal.signal(signal.SIGALRM, on_tick)
                    except ValueError:  # not the main thread: the clock checks at includes serve
                        return self.budget
                    signal.setitimer(signal.ITIMER_REAL, _TICK, _TICK)
                    self.timer = previous
        return self.budget

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> bool:
        if self.timer is not None:
            import signal  # loaded already by __enter__
            signal.setitimer(signal.ITIMER_REAL, 0, 0)
            signal.signal(signal.SIGALRM, self.timer)
        _CURRENT.reset(self.token)
        if isinstance(error, _OverBudget):
            raise BudgetError(self.budget.over or self.budget._time_message(), _template_at(traceback)) from None
        return False


def _template_at(traceback: Any) -> str | None:
    """``template:line`` of the innermost template frame the render was in, if any."""
    found = None
    for frame, line in _frames(traceback):
        name = frame.f_code.co_filename
        if not name.endswith(".py") and not name.startswith("<"):
            found = f"{name}:{line}"
    return found


def _frames(traceback: Any) -> Iterator[tuple[Any, int]]:
    while traceback is not None:
        yield traceback.tb_frame, traceback.tb_lineno
        traceback = traceback.tb_next
