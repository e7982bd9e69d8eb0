"""User values and Helm's values model: ``-f`` files, the ``--set`` family, coalescing, globals.

Precedence, highest first: user values (``-f`` files left to right, then ``--set``,
``--set-string``, ``--set-file``) > a parent's ``<child>:`` section > the child's own defaults.
Maps merge deeply; lists and scalars replace; a user ``null`` deletes a default; ``global`` flows
from a parent into every enabled child, never upward or sideways.
"""
from __future__ import annotations

from pathlib import Path

from .cache import IdentityMemo
from .errors import ValuesError
from .golang import merge_maps, type_name
from .yamlio import load_values_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable, Protocol, Sequence

    Values = dict[str, Any]
    from .loader import Chart, Dependency

    class ChartLike(Protocol):
        name: str
        values: Values
        children: Sequence["ChartLike"]
else:
    Values = dict

# Helm's caps on --set: list indexes and key nesting.
MAX_INDEX = 65536
MAX_NESTED_NAME_LEVEL = 30


def read_values_file(path: str | Path, label: str | None = None) -> Values:
    """Load one ``-f`` values file; errors name the file (and line for bad YAML)."""
    label = label or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValuesError("values file not found", label) from None
    except IsADirectoryError:
        raise ValuesError("values file is a directory", label) from None
    except UnicodeDecodeError:
        raise ValuesError("values file is not UTF-8 text", label) from None
    except OSError as e:
        raise ValuesError(f"cannot read values file: {e.strerror}", label) from None
    return load_values_text(text, label)


# --- the --set grammar ----------------------------------------------------------------------

class _SetParser:
    """A port of Helm's strvals parser: ``a.b=1,c[0]=x,d={e,f}`` with ``\\`` escapes."""

    def __init__(self, text: str, flag: str, reader: Callable[[str], Any]):
        self.text, self.pos, self.flag, self.reader = text, 0, flag, reader

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
        if body.isdigit() and body.isascii():
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
                return Path(path).read_text(encoding="utf-8")
            except FileNotFoundError:
                raise ValuesError(f"file {path!r} not found", f"--set-file {arg}") from None
            except (OSError, UnicodeDecodeError) as e:
                raise ValuesError(f"cannot read {path!r}: {e}", f"--set-file {arg}") from None
    else:
        raise ValueError(kind)
    if "=" not in arg and kind != "--set-file":
        raise ValuesError("expected KEY=VALUE", f"{kind} {arg}")
    _SetParser(arg, kind, reader).parse_into(data)


def user_values(files: Iterable[tuple[str | Path, str]] = (), sets: Iterable[tuple[str, str]] = ()) -> Values:
    """User values: the ``(path, label)`` files merged in order, then each ``(flag, arg)``."""
    data: Values = {}
    for path, label in files:
        merge_maps(data, read_values_file(path, label))
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


def _without_nulls(value: Any) -> Any:
    """A deep copy of a chart default with its nulls dropped (Helm 4 ignores default nulls)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return copy_values(value)
    return value


# Chart defaults without their nulls, made once per default and then shared: nothing changes
# coalesced values in place (templates cannot, and coalescing builds new maps), so every render
# can hand out the same default subtrees instead of copying them.
_STRIPPED = IdentityMemo(_without_nulls, 4096)


def _default(value: Any) -> Any:
    return _STRIPPED(value) if type(value) in (dict, list) else value


def _merged(mine: Values, defaults: Values) -> Values:
    """``mine`` over ``defaults`` as a new map, neither changed: maps merge, anything else in
    ``mine`` wins, and a ``null`` in ``mine`` deletes the default."""
    out = dict(mine)
    for key, default in defaults.items():
        if key in mine:
            value = mine[key]
            if value is None:
                del out[key]
            elif isinstance(value, dict) and isinstance(default, dict):
                out[key] = _merged(value, default)
        elif default is not None:
            out[key] = _default(default)
    return out


def _child_globals(parent: Values, child: Values) -> Values:
    """A child's ``global``: the parent's wins, maps merge."""
    out = dict(child)
    for key, value in parent.items():
        if isinstance(value, dict):
            theirs = out.get(key)
            if isinstance(theirs, dict):
                out[key] = _merged(value, theirs)
            elif theirs is None:
                out[key] = value
        elif not isinstance(out.get(key), dict):
            out[key] = value
    return out


def coalesce(chart: ChartLike, user: Values, path: str = "", raw: dict[str, Any] | None = None) -> Values:
    """``chart``'s defaults and those of each child in ``chart.children`` under the user's values,
    globals copied down; a new map (``user`` is not changed). ``raw``, when given, receives each
    child's section as the parent level left it (before the child's defaults and globals), by
    dotted path."""
    out = _merged(user, chart.values)
    # Children whose own section sets no globals all get the same map (nothing changes coalesced
    # values in place): worked out once, not once per child.
    shared_globals: Values | None = None
    for child in chart.children:
        section = out.get(child.name, {})
        if not isinstance(section, dict):
            raise ValuesError(
                f"{type_name(section)} where the chart needs a map of values for its child chart {child.name!r}",
                f"{path}{child.name}")
        if raw is not None:
            raw[f"{path}{child.name}"] = section
        section = dict(section)
        parent_global, child_global = out.get("global") or {}, section.get("global") or {}
        if isinstance(parent_global, dict) and isinstance(child_global, dict):
            if child_global or shared_globals is None:
                # Helm first folds a parent's own defaults into its children's sections (its
                # import-values step), so every child also keeps the parent's default globals: a
                # user null on a global removes it from the parent's templates, not the children's.
                default_global = chart.values.get("global")
                globals_ = child_global
                if isinstance(default_global, dict) and default_global:
                    globals_ = _child_globals(_default(default_global), child_global)
                globals_ = _child_globals(parent_global, globals_)
                if not child_global:
                    shared_globals = globals_
            else:
                globals_ = shared_globals
            section["global"] = globals_
        out[child.name] = coalesce(child, section, f"{path}{child.name}.", raw)
    return out


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
    raw: dict[str, Any] = {}
    values = coalesce(chart, user, raw=raw)
    tags = values.get("tags") if isinstance(values.get("tags"), dict) else {}
    disabled: list[str] = []
    tree = _prune(chart, values, tags, "", disabled)
    for path in disabled:
        *parents, name = path.split(".")
        node = values
        for part in parents:  # maps coalescing built: safe to change
            node = node[part]
        node[name] = raw[path]
    return tree, values


def _prune(chart: Chart, values: Values, tags: dict, prefix: str, disabled: list[str]) -> Chart:
    deps = {d.key: d for d in chart.dependencies}
    kept = []
    for child in chart.children:
        dep = deps.get(child.name)
        if dep is not None and not _enabled(dep, values, tags, prefix):
            disabled.append(prefix + child.name)
            continue
        kept.append(_prune(child, values, tags, f"{prefix}{child.name}.", disabled))
    return chart._replace(children=tuple(kept))


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
