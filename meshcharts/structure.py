"""Values must not change the manifest's structure: a user string that a template prints (bare,
or inside quotes the template writes) must stay inside one scalar of the output.

Upstream's templates print many values unquoted, so a value such as ``x\\n  privileged: true``,
``#x`` (a comment), ``*x`` (an alias) or ``a" , "b`` (closing the template's quotes) would add
keys, list items or documents, or silently change what the line means. Helm renders those.

How it is found: only user strings that are not inert text (see :func:`meshcharts.yamlio.inert`:
names, registries, tags and the like cannot break anything) are looked for. Each place such a string appears in a rendered document must lie inside one scalar
token whose value still contains the string (so quotes and escapes did not eat part of it), or
inside a comment the template itself wrote before it. A value that the template quotes, or that
``toYaml`` prints, is escaped and no longer appears as written, so it passes untouched.
"""
from __future__ import annotations

import bisect
import re

from .errors import ValuesError, printable
from .origin import dotted
from .values import copy_values
from .yamlio import inert, scalar_spans

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterator

    from .loader import Chart
    from .manifest import Manifest
    from .origin import Origins
    from .values import Values


def check_structure(manifest: Manifest, origins: Origins, tree: Chart,
                    rerender: Callable[[Values], Manifest] | None = None) -> None:
    """Raise :class:`~meshcharts.errors.ValuesError` naming the value's origin and the template
    when a user string printed into the manifest does not stay inside one scalar.

    The same text can also be the chart's own (a value ``app: pilot`` next to a label the chart
    writes): when ``rerender`` is given, a suspect value is confirmed by rendering once more with
    the value replaced by an inert placeholder. If its text then breaks out of scalars as often
    as before, those places are the chart's, not the value's."""
    texts: dict[str, list[tuple[tuple, bool]]] = {}
    for text, path, is_key in _user_strings(origins.values(with_profiles=False)):
        if text.strip() and not inert(text):
            texts.setdefault(text, []).append((path, is_key))
    for text, places in texts.items():
        found = _breakouts(manifest, text)
        if not found:
            continue
        culprit = places[0]
        if rerender is not None:
            placeholder = f"meshcharts-placeholder-{len(text)}"
            before = len(found)
            found = _new_in(found, _breakouts(rerender(_replaced(origins.values(), places, placeholder)), text))
            if not found:
                continue
            if len(places) > 1:  # several values hold this text: name one whose text breaks out
                for place in places:
                    if len(_breakouts(rerender(_replaced(origins.values(), [place], placeholder)), text)) < before:
                        culprit = place
                        break
        doc, number, at = found[0]
        raise _error(doc, number, at, text, culprit[0], origins, tree)


def _breakouts(manifest: Manifest, text: str) -> list[tuple[Any, int, int]]:
    """Where ``text`` appears in the manifest outside one scalar: ``(document, its number among
    its template's documents, offset)``."""
    found = []
    number: dict[str, int] = {}
    for doc in manifest.documents:
        number[doc.source] = number.get(doc.source, 0) + 1
        at = doc.text.find(text)
        if at < 0:
            continue
        spans = scalar_spans(doc.text)
        if spans is None:
            continue  # not YAML at all: the parse check names the line
        starts = [s[0] for s in spans]
        while at >= 0:
            if not _stays_scalar(doc.text, spans, starts, at, text):
                found.append((doc, number[doc.source], at))
            at = doc.text.find(text, at + 1)
    return found


def _new_in(found: list, baseline: list) -> list:
    """The break-outs of ``found`` beyond those of ``baseline``, counted per template."""
    left: dict[str, int] = {}
    for doc, _, _ in baseline:
        left[doc.source] = left.get(doc.source, 0) + 1
    new = []
    for entry in found:
        source = entry[0].source
        if left.get(source, 0) > 0:
            left[source] -= 1
        else:
            new.append(entry)
    return new


def _replaced(user: Values, places: list[tuple[tuple, bool]], placeholder: str) -> Values:
    """A copy of ``user`` with the string (or map key) at each place replaced by ``placeholder``."""
    copy = copy_values(user)
    for path, is_key in places:
        node: Any = copy
        for part in path[:-1]:
            node = node[part]
        last = path[-1]
        if is_key:
            node[placeholder] = node.pop(last)
        elif isinstance(node, (dict, list)):
            node[last] = placeholder
    return copy


def _user_strings(value: Any, path: tuple = ()) -> Iterator[tuple[str, tuple, bool]]:
    """Every string the user gave, map keys too, with its key path and whether it is a key."""
    stack = [(value, path)]
    while stack:
        v, p = stack.pop()
        if isinstance(v, str):
            yield v, p, False
        elif isinstance(v, dict):
            for k, x in v.items():
                if isinstance(k, str):
                    yield k, (*p, k), True
                stack.append((x, (*p, k)))
        elif isinstance(v, list):
            stack.extend((x, (*p, i)) for i, x in enumerate(v))


def _stays_scalar(doc: str, spans: list, starts: list, at: int, text: str) -> bool:
    end = at + len(text)
    i = bisect.bisect_right(starts, at) - 1
    if i >= 0:
        s_start, s_end, value = spans[i]
        if s_start <= at and end <= s_end and text in value:
            return True
    if "\n" in text or "\r" in text:
        return False
    # Inside a comment the template wrote before the value: harmless (one line, no structure).
    line_start = doc.rfind("\n", 0, at) + 1
    for m in re.finditer(r"(?:^|[ \t])#", doc[line_start:at]):
        hash_at = line_start + m.end() - 1
        j = bisect.bisect_right(starts, hash_at) - 1
        if j < 0 or spans[j][1] <= hash_at:
            return True
    return False


def _error(doc: Any, number: int, at: int, text: str, path: tuple, origins: Origins, tree: Chart) -> ValuesError:
    where = origins.where(path) or dotted(path)
    line_no = doc.text.count("\n", 0, at) + 1
    shown = doc.text.split("\n")[line_no - 1]
    printed_by = _template_line(tree, doc.source, path) or doc.source
    return ValuesError(
        f"{dotted(path)}: the value {printable(text)!r} changes the YAML structure where {printed_by} prints it "
        f"(line {line_no} of document {number} it renders: {printable(shown.strip())!r}); a value must stay one "
        "scalar: quote it in the template or change the value", where)


def _template_line(tree: Chart, source: str, path: tuple) -> str | None:
    """``template:line`` of the first line of the rendering template (else of any template or
    helper of the chart tree) that names the value's last key."""
    names = [p for p in path if isinstance(p, str)]
    if not names:
        return None
    pattern = re.compile(rf"\b{re.escape(names[-1])}\b")
    candidates = sorted(_templates(tree, ""), key=lambda t: t[0] != source)
    for full, text in candidates:
        for n, line in enumerate(text.split("\n"), 1):
            if pattern.search(line) and ("{{" in line or "{%" in line):
                return f"{full}:{n}"
    return None


def _templates(chart: Chart, parent: str) -> Iterator[tuple[str, str]]:
    base = chart.template_path(parent)
    for rel, text in chart.templates:
        yield f"{base}/{rel}", text
    for child in chart.children:
        yield from _templates(child, base)
