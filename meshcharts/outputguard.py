"""Standard output that is whole or reported: a failed write (a full disk, ``ulimit -f``, a
closed pipe) must not end in exit status 0 with a truncated manifest that still parses as fewer
documents.

While :func:`guarded_stdout` is active, ``sys.stdout`` is a thin wrapper: a write or flush error
becomes one ``Error:`` line on stderr and exit status 1; a reader that went away (``| head``)
ends the command quietly with status 141, as a shell tool killed by SIGPIPE would. Either way the
real stdout is pointed at ``/dev/null`` afterwards, so that Python's own flush at exit neither
fails again nor prints a traceback.
"""
from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PIPE_CLOSED_STATUS = 141  # 128 + SIGPIPE


class OutputError(Exception):
    """Standard output could not be written (not a MeshchartsError: the command's own error
    handling must not catch it, as its report goes through the guard)."""


class _PipeClosed(Exception):
    pass


class _GuardedStream:
    """Writes go straight to the file descriptor as UTF-8 (a manifest is UTF-8 whatever the
    locale says), every byte accounted for: Python's buffered writer can report a large write as
    done after the system wrote only part of it (``ulimit -f``)."""

    def __init__(self, stream: Any):
        self._stream = stream
        try:
            self._fd = stream.fileno()
        except (OSError, ValueError, AttributeError):  # not a real file (a test's StringIO)
            self._fd = None

    def write(self, text: str) -> int:
        try:
            if self._fd is None:
                return self._stream.write(text)
            self._stream.flush()  # whatever print() left in the buffer goes first
            data = memoryview(text.encode("utf-8", "surrogateescape"))
            while data:
                data = data[os.write(self._fd, data):]
            return len(text)
        except OSError as e:
            raise _failure(e) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as e:
            raise _failure(e) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _failure(error: OSError) -> Exception:
    if isinstance(error, BrokenPipeError):
        return _PipeClosed()
    return OutputError(f"cannot write to standard output: {error.strerror or error}")


class _Guard:
    def __init__(self) -> None:
        self.status = 0
        self.real = sys.stdout

    def flush(self) -> None:
        sys.stdout.flush()


class guarded_stdout:
    """``with guarded_stdout() as guard:`` ... then ``guard.status`` (0, 1 or 141)."""

    def __enter__(self) -> _Guard:
        self.guard = _Guard()
        sys.stdout = _GuardedStream(self.guard.real)
        return self.guard

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> bool:
        sys.stdout = self.guard.real
        if isinstance(error, _PipeClosed):
            self.guard.status = PIPE_CLOSED_STATUS
        elif isinstance(error, OutputError):
            sys.stderr.write(f"Error: {error}\n")
            self.guard.status = 1
        else:
            return False
        _discard_stdout(self.guard.real)
        return True


def _discard_stdout(stream: Any) -> None:
    """Point file descriptor 1 at /dev/null: what is still buffered is dropped at exit, silently."""
    try:
        fd = stream.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass
