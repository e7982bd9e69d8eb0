"""Values that cannot go wrong silently: checks beyond the schema, each naming the user's own
value by ``file:line:column`` or ``--set`` argument.

- :func:`culprits`: when a template fails, the user's values that most likely made it fail (a
  null where the chart has a value, or a value of another kind than the chart's default);
- :func:`numbers_as_text`: numbers where text is meant (image tags, versions): Helm prints
  ``tag: 1.10`` as ``1.1``;
- :func:`list_replacements`: ``--set`` indexes that replace a list of the chart's defaults, as
  Helm's ``--set`` does (``ports[0].port=81`` leaves one port, not eight);
- :func:`misread_text`: text that the chart prints where Helm's output would read it back as
  another value (a ``#`` comment, a newline, a map); meshcharts quotes it and keeps the text.

``render`` reports the last three as warnings, ``lint`` as problems.
"""
from __future__ import annotations

import re

from .errors import ValuesError, printable
from .golang import go_quote, go_str, type_name, value_kind
from .origin import KeyPath, Origins, dotted
from .schema import Problem
from .template.funcs import bare_or_quoted

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

    from .loader import Chart


# --- what a failing template read ------------------------------------------------------------

def _default_at(chart: Chart, path: KeyPath) -> tuple[bool, Any]:
    """``(found, value)`` of the chart's own default at ``path`` (a child's defaults under its name)."""
    node: Any = chart.values
    children = {c.name: c for c in chart.children}
    for i, part in enumerate(path):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif i == 0 and part in children:
            found, value = _default_at(children[part], path[1:])
            return found, value
        else:
            return False, None
    return True, node


def _user_leaves(values: Any) -> Iterator[tuple[KeyPath, Any]]:
    """Every ``(path, value)`` of the maps in ``values``, parents before their entries
    (iterative: user values can hold hundreds of gateways)."""
    stack: list[tuple[KeyPath, Any]] = [((), values)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            for key, value in reversed(list(node.items())):
                stack.append((path + (key,), value))
        if path:
            yield path, node


def _template_line(chart: Chart, where: str) -> str:
    """The text of the template line ``where`` (``path:line``) names, or ``""``."""
    path, _, line = where.rpartition(":")
    if not line.isdigit():
        return ""
    prefix = chart.name
    stack = [(chart, prefix)]
    while stack:
        node, at = stack.pop()
        for rel, text in node.templates:
            if f"{at}/{rel}" == path:
                lines = text.split("\n")
                return lines[int(line) - 1] if 0 < int(line) <= len(lines) else ""
        stack.extend((c, f"{at}/charts/{c.name}") for c in node.children)
    return ""


def culprits(where: str | None, origins: Origins, chart: Chart) -> list[str]:
    """Lines naming the user's values a template at ``where`` most likely failed on: nulls where
    the chart has a value, values of another kind than the chart's default, in the failing
    chart's own section or in ``global``; those the failing line mentions first."""
    if not where:
        return []
    template = where.rpartition(":")[0] or where
    scope = tuple(re.findall(r"/charts/([^/]+)", template))
    line = _template_line(chart, where)
    found: list[tuple[bool, KeyPath, str]] = []
    skip: list[KeyPath] = []
    for path, value in _user_leaves(origins.values(with_profiles=False)):
        if any(path[:len(s)] == s for s in skip) or not (path[0] == "global" or path[:len(scope)] == scope):
            continue
        has_default, default = _default_at(chart, path)
        if not has_default or default is None:
            continue
        structural = ("map", "list")
        if value is None:
            why = f"null where the chart has {type_name(default)}"
        elif value_kind(value) != value_kind(default) and (value_kind(value) in structural
                                                           or value_kind(default) in structural):
            why = f"{type_name(value)} where the chart has {type_name(default)}"
        else:
            continue
        skip.append(path)
        found.append((str(path[-1]) not in line, path, why))
    found.sort(key=lambda f: f[0])
    return [f"  caused by {origins.where(path) or dotted(path)}: {dotted(path)} is {why}" for _, path, why in found[:3]]


# --- numbers where text is meant -------------------------------------------------------------------

_TEXT_KEYS = re.compile(r"^(tag|version|.*Version|.*Tag)$")


def numbers_as_text(origins: Origins) -> list[Problem]:
    """User values at tag and version keys that are numbers: Helm prints them as numbers
    (``1.10`` as ``1.1``, ``1.0`` as ``1``), so an image tag or version silently changes."""
    found = []
    hits: list[tuple[KeyPath, Any]] = []
    stack: list[tuple[KeyPath, dict]] = [((), origins.values(with_profiles=False))]
    while stack:  # maps only; a path is built per map, not per value (hundreds of gateways)
        at, node = stack.pop()
        for key, value in node.items():
            if type(value) is dict:
                stack.append((at + (key,), value))
            elif type(value) in (int, float) and _TEXT_KEYS.match(key):
                hits.append((at + (key,), value))
    for path, value in sorted(hits, key=lambda h: [str(p) for p in h[0]]):
        where = origins.where(path)
        shown = _source_text(origins, where) or go_str(value)
        found.append(Problem(path, f"a number where text is meant: it prints as {go_str(value)}; quote it "
                                   f"to keep {shown!r} (e.g. {path[-1]}: \"{shown}\", or --set-string)", where))
    return found


def _source_text(origins: Origins, where: str | None) -> str | None:
    """The number as the user wrote it (``1.10``), read back from the file or ``--set`` argument."""
    if not where:
        return None
    if where.startswith("--set"):
        return where.rsplit("=", 1)[-1]
    label, line, column = (where.rsplit(":", 2) + ["", ""])[:3]
    for file, name in origins.files:
        if name == label and line.isdigit() and column.isdigit():
            try:
                text = open(file, encoding="utf-8-sig").read().split("\n")[int(line) - 1]
            except (OSError, IndexError):
                return None
            m = re.match(r"[^:]*:\s*([-+0-9._eE]+)\s*(?:#.*)?$", text[int(column) - 1:])
            return m.group(1) if m else None
    return None


# --- --set indexes that replace a chart's list -------------------------------------------------------

def list_replacements(origins: Origins, chart: Chart) -> list[Problem]:
    """``--set`` arguments with a list index under a list of the chart's defaults: Helm's
    ``--set`` builds a new list, so the chart's items are gone, not updated."""
    found = []
    reported: set[KeyPath] = set()
    for flag, arg in origins.sets:
        key = arg.split("=", 1)[0]
        m = re.match(r"^((?:[^\[\\]|\\.)*)\[", key)
        if not m:
            continue
        path = tuple(re.sub(r"\\(.)", r"\1", p) for p in re.split(r"(?<!\\)\.", m.group(1)))
        has_default, default = _default_at(chart, path)
        merged = origins.values()
        node: Any = merged
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if has_default and isinstance(default, list) and default and isinstance(node, list) and path not in reported:
            reported.add(path)
            found.append(Problem(path, f"replaces the chart's list of {len(default)} item(s) with "
                                       f"{len(node)} item(s): a --set index builds a new list (Helm does the same); "
                                       f"to change one item, give the whole list in a -f file", f"{flag} {arg}"))
    return found


# --- text Helm's output would read back as another value -----------------------------------------------

# Keys whose text upstream's templates paste between literal double quotes or bare as `key: value`.
_PASTED_KEYS = re.compile(r"^(hub|tag|image|priorityClassName|loadBalancerIP|externalTrafficPolicy)$")
_PASTED_MAPS = re.compile(r"^(labels|serviceAnnotations|podAnnotations|annotations|nodeSelector|selector)$")


def _misread_reason(text: str, quoted: bool) -> str | None:
    """Why Helm's output, printing ``text`` raw (between ``"`` when ``quoted``), would read back
    as something else than meshcharts' output, which quotes it; None when both print it alike."""
    if quoted:
        if go_quote(text) == f'"{text}"':
            return None  # nothing to escape: Helm's literal quotes print the same
        if "\n" in text:
            return "a line break would be folded into a space"
        return "a backslash, double quote or control character would be read as an escape or end the string"
    if bare_or_quoted(text) == text:
        return None  # meshcharts prints it bare too (and YAML reads it alike)
    from .yamlio import parse_document
    try:
        read = parse_document(f"k: {text}")
    except Exception:  # noqa: BLE001 - any YAML error: Helm's document would not even parse
        return "the document would not parse"
    value = read.get("k") if isinstance(read, dict) else None
    return f"it would read back as {type_name(value)}" + (f" ({go_str(value)!r})" if isinstance(value, str) else "")


def misread_text(origins: Origins) -> list[Problem]:
    """User text Helm's templates would print so that the output reads back as another value
    (``a #b`` as ``a``, ``'q'`` as ``q``, ``{a: 1}`` as a map, ``pc\\n`` with a newline);
    meshcharts quotes such text, so the object keeps the user's value, but it differs from Helm's."""
    found = []
    for path, value in _user_leaves(origins.values(with_profiles=False)):
        key = path[-1] if isinstance(path[-1], str) else ""
        in_map = len(path) > 1 and isinstance(path[-2], str) and _PASTED_MAPS.match(path[-2])
        if isinstance(value, (dict, list)) and in_map:
            value = go_str(value, "<nil>")  # Helm prints Go's %v of it: map[b:c], [1 2]
        if not isinstance(value, str) or not (in_map or _PASTED_KEYS.match(key)):
            continue
        reason = _misread_reason(value, quoted=not in_map)
        if reason is None and in_map:
            reason = _misread_reason(key, quoted=False) if key else None
        if reason:
            found.append(Problem(path, f"Helm would print this text so that it reads back differently ({reason}); "
                                       f"meshcharts quotes it and keeps {value!r}", origins.where(path)))
    return found


# Characters YAML cannot hold raw (DEL, C1 controls, surrogates, U+FFFE/U+FFFF): printed bare
# or between quotes by a template they break the output, and escaping them would print text other
# than what the chart's templates print. (C0 controls are escaped wherever they are printed.)
_UNWRITABLE = re.compile("[\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def refuse_unwritable(origins: Origins) -> None:
    """Raise :class:`~meshcharts.errors.ValuesError` for user text (a value or a key) holding a
    character YAML cannot hold raw, naming where it was set."""
    for path, value in _user_leaves(origins.values()):
        for text in (path[-1], value):
            m = _UNWRITABLE.search(text) if isinstance(text, str) else None
            if m:
                raise ValuesError(f"{dotted(path)}: text holds U+{ord(m.group()):04X} ({printable(m.group())}), which "
                                  "YAML cannot hold raw; refusing it rather than printing it changed",
                                  origins.where(path))


def warnings(origins: Origins, chart: Chart, inert: bool = False) -> list[Problem]:
    """Everything :mod:`meshcharts.guard` finds that a render reports as a warning (``inert``:
    the user's text is known to be inert, see :func:`meshcharts.yamlio.inert`, so none of it
    can print differently)."""
    return [*numbers_as_text(origins), *list_replacements(origins, chart), *([] if inert else misread_text(origins))]
