"""Bounds on single steps that build text or lists, like ``*``'s: each of these, given a short
template and a small value, could otherwise build a gigabyte in one call, before any time or
output budget gets a chance to look (see :mod:`meshcharts.budget`).

Each check works out the size of the result from the arguments before building it, and refuses
past :data:`MAX_TEXT` characters (or :data:`~meshcharts.template.runtime.MAX_RANGE` lists for
``slice``). Sizes real charts build are far below: the mesh's largest text is 265 KB.
"""
from __future__ import annotations

import re

from . import runtime

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_TEXT = runtime.MAX_REPEAT


def refuse_past(size: int, what: str, limit: int = MAX_TEXT) -> None:
    if size > limit:
        raise runtime.TemplateRuntimeError(f"{what} would build more than {limit} characters or items")


# A printf-style conversion of Python's `%`: its width and precision are what can be large.
_CONVERSION = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?.")


def modulo(left: Any, right: Any) -> Any:
    """Jinja's ``%``: numbers' remainder, or Python's string formatting with bounded widths."""
    if isinstance(left, str):
        size = len(left)
        for m in _CONVERSION.finditer(left):
            for number in m.groups():
                if number and number != "*":
                    size += int(number) if len(number) < 12 else MAX_TEXT + 1
        args = right if isinstance(right, tuple) else (right,)
        if "*" in left:  # widths taken from the arguments
            size += sum(abs(a) for a in args if isinstance(a, int) and not isinstance(a, bool))
        refuse_past(size, "'%'")
    return left % right


def indent_size(text: str, width: Any) -> None:
    refuse_past(len(text) + max(int(width), 0) * (text.count("\n") + 1), "indent")


def replace_size(text: str, old: str, new: str) -> None:
    if len(new) > len(old):
        count = text.count(old) if old else len(text) + 1
        refuse_past(len(text) + count * (len(new) - len(old)), "replace")


def _bounded(name: str, size: Any, jinja: Any) -> Any:
    """Jinja's built-in filter ``name`` (``jinja(name)`` gives it), refusing arguments for which
    ``size`` is too large."""
    def bounded(*args: Any, **kwargs: Any) -> Any:
        size(*args, **kwargs)
        return jinja(name)(*args, **kwargs)
    bounded.__name__ = bounded.__qualname__ = name
    bounded.calls_jinja = True  # type: ignore[attr-defined]  # listed among the filters Jinja2 does
    return bounded


def _center(value: Any, width: Any = 80) -> None:
    refuse_past(int(width), "center")


def _wordwrap(s: Any, width: Any = 79, break_long_words: bool = True, wrapstring: Any = None,
              break_on_hyphens: bool = True) -> None:
    text = str(s)
    lines = len(text) // max(int(width), 1) + len(text.split()) + 1
    refuse_past(len(text) + len(str(wrapstring or "\n")) * lines, "wordwrap")


def _slice(value: Any, slices: Any, fill_with: Any = None) -> None:
    refuse_past(int(slices), "slice", runtime.MAX_RANGE)


def bounded_builtins(jinja_filter: Any, jinja_global: Any) -> tuple[dict[str, Any], Any]:
    """The bounded versions of Jinja's ``center``, ``wordwrap`` and ``slice`` filters and of its
    ``lipsum`` global, given how to reach Jinja's own (the engine's bridge)."""
    filters = {"center": _bounded("center", _center, jinja_filter),
               "wordwrap": _bounded("wordwrap", _wordwrap, jinja_filter),
               "slice": _bounded("slice", _slice, jinja_filter)}

    def lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:  # noqa: A002 - Jinja's names
        refuse_past(int(n) * int(max) * 12, "lipsum")  # up to max words of at most 12 characters each
        return jinja_global("lipsum")(n, html, min, max)
    return filters, lipsum
