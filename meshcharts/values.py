"""User values and Helm's values model: ``-f`` files, the ``--set`` family, coalescing, globals.

Precedence, highest first: user values (``-f`` files left to right, then ``--set``,
``--set-string``, ``--set-file``) > a parent's ``<child>:`` section > the child's own defaults.
Maps merge deeply; lists and scalars replace; a user ``null`` deletes a default; ``global`` flows
from a parent into every enabled child, never upward or sideways.
"""
from __future__ import annotations

import marshal
import sys
from pathlib import Path

from .cache import IdentityMemo
from .errors import ValuesError, printable
from .golang import merge_maps, type_name
from .yamlio import load_values_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence

    Values = dict[str, Any]
    from .loader import Chart, Dependency

    class ChartLike(Protocol):
        @property
        def name(self) -> str: ...
        @property
        def values(self) -> Values: ...
        @property
        def children(self) -> Sequence[Any]: ...
else:
    Values = dict

# Helm's caps on --set: list indexes and key nesting.
MAX_INDEX = 65536
MAX_NESTED_NAME_LEVEL = 30


STDIN = "-"  # ``-f -``: the values come from standard input
_stdin_text: list = []  # (stream, text): read once, since a value's origin is looked up in it again later
URL_SCHEMES = ("http://", "https://", "ftp://", "oci://", "s3://", "gs://", "file://")


def values_text(path: str | Path) -> str:
    """The text of a ``-f`` source: a file, or standard input for ``-`` (read once per process)."""
    if str(path) == STDIN:
        if not _stdin_text or _stdin_text[0] is not sys.stdin:
            text = sys.stdin.read(MAX_VALUES_BYTES + 1)
            if len(text) > MAX_VALUES_BYTES:
                raise _TooLarge
            _stdin_text[:] = [sys.stdin, _newlines(text)]
        return _stdin_text[1]
    return _newlines(read_limited(path).decode("utf-8-sig"))


def read_values_file(path: str | Path, label: str | None = None, persist: bool = False) -> Values:
    """Load one ``-f`` values file (``-``: standard input); errors name the file (and line for bad
    YAML). Only a chart's own files (its defaults and profiles) may be ``persist``-ed in the
    on-disk cache. A URL is refused: meshcharts never goes on the network."""
    label = label or str(path)
    if str(path).lower().startswith(URL_SCHEMES):
        raise ValuesError("values from a URL are not fetched (meshcharts works offline); download the file "
                          "and pass its path, or pipe it in with -f -", label)
    try:
        text = values_text(path)
    except FileNotFoundError:
        raise ValuesError("values file not found", label) from None
    except IsADirectoryError:
        raise ValuesError("values file is a directory", label) from None
    except UnicodeDecodeError:
        raise ValuesError("values file is not UTF-8 text", label) from None
    except _TooLarge:
        raise ValuesError(f"values file is larger than {MAX_VALUES_BYTES >> 20} MiB", label) from None
    except ValueError:  # a NUL in the path
        raise ValuesError("values file name has a NUL character", printable(label)) from None
    except OSError as e:
        raise ValuesError(f"cannot read values file: {e.strerror}", label) from None
    return load_values_text(text, label, persist)


# The most a values file (or --set-file) may hold: a pipe (`-f <(...)`) is read too, and
# `-f /dev/zero` would otherwise be read until memory runs out.
MAX_VALUES_BYTES = 64 << 20


class _TooLarge(Exception):
    pass


def _newlines(text: str) -> str:
    """Line ends as reading in text mode gives them (what values files were always read with)."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def read_limited(path: str | Path, limit: int | None = None) -> bytes:
    """The bytes of ``path``, refusing (``_TooLarge``) more than ``limit``."""
    limit = MAX_VALUES_BYTES if limit is None else limit
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise _TooLarge()
    return data


# --- the --set grammar ----------------------------------------------------------------------

class _SetParser:
    """A port of Helm's strvals parser: ``a.b=1,c[0]=x,d={e,f}`` with ``\\`` escapes."""

    def __init__(self, text: str, flag: str, reader: Callable[[str], Any]):
        self.text, self.pos, self.flag, self.reader = text, 0, flag, reader
        self.lists = 0

    def fail(self, message: str) -> ValuesError:
        return ValuesError(message, f"{self.flag} {self.text}")

    def until(self, stop: str) -> tuple[str, str | None]:
        out = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            self.pos += 1
            if ch in stop:
                return "".join(out), ch
            if ch == "\\":
                if self.pos >= len(self.text):
                    return "".join(out), None
                out.append(self.text[self.pos])
                self.pos += 1
            else:
                out.append(ch)
        return "".join(out), None

    def parse_into(self, data: Values) -> None:
        while self.key(data, 0):
            pass

    def key(self, data: Values, level: int) -> bool:
        """Parse one ``key...=value``; return False at the end of the text."""
        k, last = self.until("=[,.")
        if last is None:
            if k:
                raise self.fail(f"key {k!r} has no value")
            return False
        if last == "[":
            index = self.index()
            current = data.get(k)
            if current is not None and not isinstance(current, list):
                raise self.fail(f"key {k!r} is {type_name(current)}, not a list")
            lst, more = self.list_item(list(current or []), index, level)
            if k:
                data[k] = lst
            return more
        if last == "=":
            if not k and level == 0:
                # Helm drops `=x` (and `a=1,=x`) without a word: a value that goes nowhere.
                raise self.fail("no key before '=' (expected KEY=VALUE)")
            value, more = self.value()
            if k:
                data[k] = value
            return more
        if last == ",":
            raise self.fail(f"key {k!r} has no value (cannot end with ,)")
        # last == ".": a nested map
        level += 1
        if level > MAX_NESTED_NAME_LEVEL:
            raise self.fail(f"value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}")
        inner = data.get(k)
        if k not in data:
            inner = {}
        elif inner is None:  # as in Helm's strvals: a null is not a map to set keys in
            raise self.fail(f"key {k!r} is null, not a map: cannot set {k}.<key> (set {k} to a map first, "
                            f"or drop the null)")
        elif not isinstance(inner, dict):
            raise self.fail(f"key {k!r} is {type_name(inner)}, not a map: cannot set {k}.<key>")
        else:
            inner = dict(inner)  # it may also sit elsewhere (a YAML alias): change a copy
        more = self.key(inner, level)
        if not more and not inner:
            raise self.fail(f"key map {k!r} has no value")
        if inner and k:
            data[k] = inner
        return more

    def index(self) -> int:
        text, last = self.until("]")
        if last is None:
            raise self.fail("error parsing index: missing ']'")
        i = _atoi(text)
        if i is None:  # Go's strconv.Atoi: an optional sign and decimal digits, nothing else
            raise self.fail(f"error parsing index: {text!r} is not a number")
        if i < 0:
            raise self.fail(f"error parsing index: negative {i} index not allowed")
        if i > MAX_INDEX:
            raise self.fail(f"error parsing index: index of {i} is greater than maximum supported index of {MAX_INDEX}")
        return i

    def list_item(self, lst: list, i: int, level: int) -> tuple[list, bool]:
        k, last = self.until("[.=")
        if k:
            raise self.fail(f"unexpected data at end of array index: {k!r}")
        if last is None:
            raise self.fail("unexpected end of text after an array index")
        if last == "=":
            value, more = self.value()
            return _set_index(lst, i, value), more
        if last == "[":
            j = self.index()
            existing = lst[i] if i < len(lst) else None
            if existing is not None and not isinstance(existing, list):
                raise self.fail(f"index {i} holds {type_name(existing)}, not a list")
            self.lists += 1  # a[0][0][0]...: nested lists count like nested names
            if self.lists > MAX_NESTED_NAME_LEVEL:
                raise self.fail(f"list index nested more than {MAX_NESTED_NAME_LEVEL} deep")
            inner_list, more = self.list_item(list(existing or []), j, level)
            return _set_index(lst, i, inner_list), more
        inner = dict(lst[i]) if i < len(lst) and isinstance(lst[i], dict) else {}
        more = self.key(inner, level)
        return _set_index(lst, i, inner), more

    def value(self) -> tuple[Any, bool]:
        """A value after ``=``: a ``{a,b}`` list or a scalar up to the next ``,``."""
        if self.pos < len(self.text) and self.text[self.pos] == "{":
            self.pos += 1
            items = []
            while True:
                raw, last = self.until(",}")
                if last is None:
                    raise self.fail("list must terminate with '}'")
                items.append(self.reader(raw))
                if last == "}":
                    more = self.pos < len(self.text)
                    if more and self.text[self.pos] == ",":
                        self.pos += 1
                    return items, self.pos < len(self.text) or more
        if self.pos >= len(self.text):
            return "", False
        raw, last = self.until(",")
        return self.reader(raw), last is not None


def _atoi(text: str) -> int | None:
    """Go's ``strconv.Atoi``: ``[+-]`` and ASCII digits only (no spaces, no base prefix)."""
    body = text[1:] if text[:1] in ("+", "-") else text
    if not body or not (body.isdigit() and body.isascii()):
        return None
    return int(text)


def _set_index(lst: list, i: int, value: Any) -> list:
    if len(lst) <= i:
        lst.extend([None] * (i + 1 - len(lst)))
    lst[i] = value
    return lst


def plain_values(mapping: Any, where: str = "values") -> Values:
    """A copy of values given as Python data, as Helm holds values: maps with string keys, lists
    (tuples become lists), text, booleans, null, integers (int64, as ``--set`` types them) and
    floats (float64). Anything else is a TypeError naming where it is."""
    def copy(value: Any, at: str) -> Any:
        if value is None or isinstance(value, (str, bool, float)):
            return value
        if isinstance(value, int):
            if not -(2**63) <= value < 2**63:
                raise TypeError(f"{at}: {value} does not fit in int64")
            return int(value)
        if isinstance(value, dict) or hasattr(value, "keys") and hasattr(value, "__getitem__"):
            out = {}
            for key in value.keys():
                if not isinstance(key, str):
                    raise TypeError(f"{at}: keys must be str, not {type(key).__name__} ({key!r})")
                out[key] = copy(value[key], f"{at}.{key}")
            return out
        if isinstance(value, (list, tuple)):
            return [copy(v, f"{at}[{i}]") for i, v in enumerate(value)]
        raise TypeError(f"{at}: a values datum must be a map, list, str, int, float, bool or None, "
                        f"not {type(value).__name__}")
    result = copy(mapping, where)
    if not isinstance(result, dict):
        raise TypeError(f"{where} must be a mapping, not {type(mapping).__name__}")
    return result


def typed_value(text: str) -> Any:
    """``--set`` typing: true/false/null (any case), integers without a leading zero (int64, which
    print as integers where a values file's float64 numbers would not), else text."""
    low = text.lower()
    if low == "true":
        return True
    if low == "false":
        return False
    if low == "null":
        return None
    if text == "0":
        return 0
    if text and text[0] != "0":
        body = text[1:] if text[0] in "+-" else text
        if body.isdigit() and body.isascii() and len(body) <= 19:  # longer ones are no int64: text
            n = int(text)
            if -(2**63) <= n < 2**63:
                return n
    return text


def apply_set(data: Values, arg: str, kind: str = "--set") -> None:
    """Apply one ``--set``/``--set-string``/``--set-file`` argument to ``data`` in place."""
    if kind == "--set":
        reader: Callable[[str], Any] = typed_value
    elif kind == "--set-string":
        reader = str
    elif kind == "--set-file":
        def reader(path: str) -> str:
            try:
                return _newlines(read_limited(path).decode("utf-8"))
            except FileNotFoundError:
                raise ValuesError(f"file {path!r} not found", f"--set-file {arg}") from None
            except _TooLarge:
                raise ValuesError(f"file {path!r} is larger than {MAX_VALUES_BYTES >> 20} MiB",
                                  f"--set-file {arg}") from None
            except (OSError, ValueError) as e:  # UnicodeDecodeError is a ValueError, and so is a NUL
                raise ValuesError(f"cannot read {path!r}: {e}", f"--set-file {arg}") from None
    else:
        raise ValueError(kind)
    if "=" not in arg and kind != "--set-file":
        raise ValuesError("expected KEY=VALUE", f"{kind} {arg}")
    try:  # bytes that are not UTF-8 (in a non-UTF-8 locale) would end up in the manifest as such
        arg.encode("utf-8")
    except UnicodeEncodeError:
        raise ValuesError("argument is not UTF-8 text", f"{kind} {printable(arg)}") from None
    _SetParser(arg, kind, reader).parse_into(data)


def user_values(files: Iterable[tuple[str | Path, str]] = (), sets: Iterable[tuple[str, str]] = (),
                chart_files: int = 0, mapping: Values | None = None) -> Values:
    """User values: the ``(path, label)`` files merged in order, then ``mapping`` (values given
    as data), then each ``(flag, arg)``. The first ``chart_files`` files are the chart's own
    (profiles), which the disk cache may keep."""
    data: Values = {}
    for i, (path, label) in enumerate(files):
        merge_maps(data, read_values_file(path, label, persist=i < chart_files))
    if mapping:
        merge_maps(data, plain_values(mapping))
    for kind, arg in sets:
        apply_set(data, arg, kind)
    return data


# --- coalescing (a chart's defaults under the user's values) ---------------------------------

def copy_values(value: Any) -> Any:
    """A deep copy of plain values data (maps, lists, scalars): much faster than copy.deepcopy."""
    if type(value) is dict:
        return {k: copy_values(v) if type(v) in (dict, list) else v for k, v in value.items()}
    if type(value) is list:
        return [copy_values(v) if type(v) in (dict, list) else v for v in value]
    if isinstance(value, dict):
        return {k: copy_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_values(v) for v in value]
    return value


# Helm 4's coalescing, step by step as pkg/chart/common/util/coalesce.go does it, on fresh copies
# (Helm deep-copies the user's values and each chart's defaults before it merges), including
# what its in-place updates do:
# - ``merge`` mode keeps a user ``null`` as a present null; Helm uses it for a parent's section of
#   a child chart, so there a null deletes only what the child's own defaults hold;
# - ``coalesceGlobals`` copies ``global`` one level deep, so a child's defaults written into a map
#   two or more levels below ``global`` land in the parent's own ``global`` too.

def _clean_nulls(values: Values) -> None:
    for key, value in list(values.items()):
        if value is None:
            del values[key]
        elif isinstance(value, dict):
            _clean_nulls(value)


def _coalesce_tables(dst: Values, src: Values, merge: bool) -> Values:
    """Helm's coalesceTablesFullKey: ``src`` under ``dst`` (``dst`` wins), both changed in place."""
    had_value = {key for key, value in src.items() if value is not None}
    for key, value in dst.items():
        if value is None:
            src[key] = None
    for key, value in src.items():
        if key not in dst:
            dst[key] = value
        elif not merge and dst[key] is None and key in had_value:
            del dst[key]  # the user's null deletes a default
        elif isinstance(value, dict) and isinstance(dst[key], dict):
            _coalesce_tables(dst[key], value, merge)
    return dst


def _coalesce_values(chart: ChartLike, mine: Values, merge: bool) -> None:
    """Helm's coalesceValues: the chart's defaults (a fresh copy) under ``mine``, in place."""
    children = {child.name for child in chart.children}
    for key, default in copy_values(chart.values).items():
        if key in mine:
            value = mine[key]
            if value is None and not merge:
                del mine[key]
            elif isinstance(value, dict) and isinstance(default, dict):
                keep_nulls = merge or key in children  # a child's section merges, keeping nulls
                if not keep_nulls:
                    _clean_nulls(default)
                _coalesce_tables(value, default, keep_nulls)
        elif merge or default is not None:
            if not merge and isinstance(default, dict):
                _clean_nulls(default)
            mine[key] = default


def _coalesce_globals(section: Values, parent: Values) -> None:
    """Helm's coalesceGlobals: the parent's ``global`` over the child's, one level deep."""
    mine = section.get("global", {})
    theirs = parent.get("global", {})
    if not isinstance(mine, dict) or not isinstance(theirs, dict):
        return  # Helm skips globals that are not maps (with a warning)
    for key, value in theirs.items():
        if isinstance(value, dict):
            copied = dict(value)  # Helm's copyMap: the maps inside stay the parent's own
            if key not in mine:
                mine[key] = copied
            elif isinstance(mine[key], dict):
                _coalesce_tables(copied, mine[key], True)
                mine[key] = copied
        elif not isinstance(mine.get(key), dict):
            mine[key] = value
    section["global"] = mine


def _coalesce(chart: ChartLike, mine: Values, merge: bool, path: str = "") -> Values:
    """Helm's coalesce: ``chart``'s defaults and its children's under ``mine`` (changed in place)."""
    _coalesce_values(chart, mine, merge)
    for child in chart.children:
        section = mine.get(child.name)
        if child.name not in mine:
            section = mine[child.name] = {}
        elif not isinstance(section, dict):
            raise ValuesError(
                f"{type_name(section)} where the chart needs a map of values for its child chart {child.name!r}",
                f"{path}{child.name}")
        _coalesce_globals(section, mine)
        mine[child.name] = _coalesce(child, section, merge, f"{path}{child.name}.")
    return mine


def coalesce(chart: ChartLike, user: Values) -> Values:
    """Helm's CoalesceValues: ``chart``'s defaults and those of each child in ``chart.children``
    under the user's values, globals copied down; a new map (``user`` is not changed)."""
    return _coalesce(chart, copy_values(user), False)


def _folded(chart: Chart) -> Chart:
    """The tree as Helm's import-values step leaves it: a chart that lists dependencies gets, as
    its defaults, its own merged (nulls kept) with its children's and their globals."""
    children = tuple(_FOLDED(child) for child in chart.children)
    chart = chart._replace(children=children)
    if not chart.dependencies:
        return chart
    return chart._replace(values=_coalesce(chart, {}, True))


_FOLDED = IdentityMemo(_folded, 256)


def lookup(values: Values, dotted: str) -> tuple[bool, Any]:
    """``(found, value)`` for a dotted path such as ``pilot.enabled``."""
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


# --- enabling children (conditions and tags) ------------------------------------------------

def enabled_tree(chart: Chart, user: Values) -> tuple[Chart, Values]:
    """The chart with every disabled child removed, and the values its templates see.

    Decided as Helm decides, on the values coalesced over the whole tree: all listed children
    start enabled; tags (top-level ``tags:``) may disable; a condition (first path holding a bool)
    overrides tags; unlisted children always render. A disabled child's section then stays as
    the parent level left it: no defaults of its own, no globals (Helm coalesces again without it)."""
    try:  # the same values again (a pipeline, a watch loop, a benchmark): the same result, shared
        key: Any = (id(chart), marshal.dumps(user, 2))
    except ValueError:  # not plain data (the Python API takes any mapping): work it out each time
        key = None
    hit = _ENABLED.get(key) if key is not None else None
    if hit is not None and hit[0] is chart:
        return hit[1], hit[2]
    values = coalesce(chart, user)
    tags = values.get("tags")
    tree = _PRUNED(chart, tuple(_disabled_paths(chart, values, tags if isinstance(tags, dict) else {}, "")))
    values = coalesce(_FOLDED(tree), user)
    if key is not None:
        if len(_ENABLED) >= 4:
            _ENABLED.clear()
        _ENABLED[key] = (chart, tree, values)
    return tree, values


# Coalesced values are never changed once made (templates cannot, and every later step builds
# maps of its own), so renders with equal user values share them.
_ENABLED: dict[Any, tuple[Chart, Chart, Values]] = {}


def _disabled_paths(chart: Chart, values: Values, tags: dict, prefix: str) -> Iterator[str]:
    deps = {d.key: d for d in chart.dependencies}
    for child in chart.children:
        dep = deps.get(child.name)
        if dep is not None and not _enabled(dep, values, tags, prefix):
            yield prefix + child.name
        else:
            yield from _disabled_paths(child, values, tags, f"{prefix}{child.name}.")


def _pruned(chart: Chart, disabled: tuple[str, ...], prefix: str = "") -> Chart:
    kept = tuple(_pruned(child, disabled, f"{prefix}{child.name}.") for child in chart.children
                 if prefix + child.name not in disabled)
    return chart._replace(children=kept)


# One pruned tree per chart and set of disabled children, so that its folded defaults are worked
# out once per process, not once per render.
_PRUNED = IdentityMemo(_pruned, 256)


def _enabled(dep: Dependency, values: Values, tags: dict, prefix: str) -> bool:
    enabled = True
    found = [tags[t] for t in dep.tags if isinstance(tags.get(t), bool)]
    if found:
        enabled = any(found)
    for path in (dep.condition or "").split(","):
        path = path.strip()
        if not path:
            continue
        ok, value = lookup(values, prefix + path)
        if ok and isinstance(value, bool):
            return value
    return enabled
