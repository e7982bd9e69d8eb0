"""Reading and writing YAML the way Helm does (PyYAML's one home in meshcharts).

Helm reads values with YAML 1.1 rules through Go's yaml.v2 (``y``/``n`` are booleans, ``1:30`` and
dates stay strings, ``0o17`` is octal) and writes ``toYaml`` with yaml.v2's emitter (its own key
order, double quotes for strings that would read back as another type, literal blocks for text).
"""
from __future__ import annotations

import functools
import marshal
import math
import re

from .cache import DiskCache, digest
from .errors import ValuesError
from .golang import INT64_MAX, INT64_MIN, UINT64_MAX, format_float32, go_g, go_key, merge_maps, parse_int, type_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Expanded size above which a document is treated as an alias bomb: real values files are a few
# thousand nodes; a "billion laughs" file is small on disk but expands past any budget.
MAX_EXPANDED_NODES = 2_000_000
# Entries merge keys (``<<: [*a, *b]``) may copy per document: each alias in a merge list copies
# the whole aliased map, so a small file can otherwise cost quadratic time.
MAX_MERGED_ENTRIES = 100_000
# Nesting depth of values: real charts stay under twenty levels; far deeper documents would only
# exhaust the stack of every recursive step after loading.
MAX_DEPTH = 100

# --- plain scalars as Go reads them ---------------------------------------------------------
# yaml.v2 types a plain scalar by its first character: words from a fixed table, then (for digits
# and signs) an int64, a uint64 or a float; anything else is text. sigs.k8s.io/yaml then turns the
# document into JSON, which Helm reads back: every number becomes a float64.

_WORDS: dict[str, Any] = {
    **{w: True for w in "y Y yes Yes YES on On ON true True TRUE".split()},
    **{w: False for w in "n N no No NO off Off OFF false False FALSE".split()},
    **{w: None for w in ("", "~", "null", "Null", "NULL")},
    **{w: math.inf for w in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{w: -math.inf for w in ("-.inf", "-.Inf", "-.INF")},
    **{w: math.nan for w in (".nan", ".NaN", ".NAN")},
}
_MERGE = "<<"
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_GO_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_TIMESTAMP = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
                        r"(?:(?:[Tt]| )([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.[0-9]+)?"
                        r"(Z|[-+][0-9]{2}:[0-9]{2})?)?")


def _is_timestamp(text: str) -> bool:
    """yaml.v2's timestamp forms (``2006-1-2``, with a time after ``T``, ``t`` or a space; a zone
    only after ``T``/``t``), with Go's range checks on each field."""
    m = _TIMESTAMP.fullmatch(text)
    if not m:
        return False
    year, month, day, hour, minute, second, zone = m.groups()
    if hour is not None and zone is not None and text[10] == " ":
        return False
    if hour is not None and zone is None and text[10] in "Tt":
        return False
    import calendar  # only for text shaped like a date
    if not 1 <= int(month) <= 12 or not 1 <= int(day) <= calendar.monthrange(int(year), int(month))[1]:
        return False
    return hour is None or (int(hour) < 24 and int(minute) < 60 and int(second) < 60)


def resolve_plain(text: str) -> Any:
    """What Helm's loader makes of a plain (unquoted, untagged) scalar: True/False, None, an int
    (int64 or uint64 range), a float (``1e3``, ``08``, ``.5``, ``.inf``), or the text itself.
    ``0X1F``, ``0B101``, ``0O17`` are integers; ``1e400`` (out of float range) stays text."""
    if text in _WORDS:
        return _WORDS[text]
    first = text[:1]
    if first == ".":
        f = float(text) if _GO_FLOAT.fullmatch(text) else math.inf
        return text if math.isinf(f) else f
    if not (first.isdigit() and first.isascii()) and first not in ("+", "-"):
        return text
    plain = text.replace("_", "")
    if len(plain) > 400:  # no int64 and no float64 either: yaml.v2 keeps such a number as text
        return text
    n = parse_int(plain)
    if n is None:
        n = parse_int(plain, unsigned=True)
    if n is not None:
        return n
    if _YAML_FLOAT.fullmatch(plain):
        f = float(plain)
        return text if math.isinf(f) else f
    if plain.startswith(("0b", "-0b")):
        digits = plain[3:] if plain[0] == "-" else plain[2:]
        if digits and set(digits) <= {"0", "1"}:
            n = int(digits, 2) * (-1 if plain[0] == "-" else 1)
            if INT64_MIN <= n <= INT64_MAX:
                return n
    return text


@functools.lru_cache(maxsize=4096)  # the same quantities, ports and names print again and again
def reads_as_text(text: str) -> bool:
    """Whether yaml.v2 reads ``text``, printed plain, back as this same text: not a word it types,
    a number, a timestamp or a base-60 float (``toYaml`` double-quotes every string that fails)."""
    if text[:1].isalpha():  # only the typed words start with a letter
        return text not in _WORDS
    if _BASE60.fullmatch(text) or _is_timestamp(text):
        return False
    return type(resolve_plain(text)) is str


_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_PLAIN_TAG = "tag:meshcharts,2024:go-plain"


def _construct_plain(loader: Any, node: Any) -> Any:
    return resolve_plain(node.value)


def _construct_number(loader: Any, node: Any) -> Any:
    """An explicit ``!!int`` or ``!!float``: the scalar must read as a number."""
    value = resolve_plain(loader.construct_scalar(node))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        import yaml  # PyYAML's error type; PyYAML is loading this document, so it costs nothing
        raise yaml.constructor.ConstructorError(None, None, f"cannot read {node.value!r} as {node.tag.rsplit(':', 1)[-1]}",
                                                node.start_mark)
    return value


@functools.lru_cache(maxsize=1)
def _yaml() -> Any:
    """PyYAML with the loader and dumper meshcharts needs; imported on first use, since a render
    whose values files are cached and whose ``toYaml`` calls are plain never needs it."""
    import yaml  # 20 ms: a render of cached values and plain toYaml never needs PyYAML

    base_loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    base_dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class GoYamlLoader(base_loader):  # type: ignore[misc,valid-type]
        """Safe loader with yaml.v2's implicit types: every plain scalar goes through
        :func:`resolve_plain` (the merge key ``<<`` keeps its own tag)."""

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is yaml.ScalarNode and implicit[0]:
                return "tag:yaml.org,2002:merge" if value == _MERGE else _PLAIN_TAG
            return super().resolve(kind, value, implicit)

    GoYamlLoader.add_constructor(_PLAIN_TAG, _construct_plain)
    GoYamlLoader.add_constructor("tag:yaml.org,2002:int", _construct_number)
    GoYamlLoader.add_constructor("tag:yaml.org,2002:float", _construct_number)
    GoYamlLoader.flatten_mapping = _budgeted_flatten(base_loader.flatten_mapping, yaml)
    GoYamlLoader.construct_mapping = _unique_keys(base_loader.construct_mapping, yaml)
    for kind in _NOT_JSON:  # PyYAML would build sets, dates, pairs: none is a value
        GoYamlLoader.add_constructor(f"tag:yaml.org,2002:{kind}", _refuse_type)

    class GoYamlDumper(base_dumper):  # type: ignore[misc,valid-type]
        """Emitter settings and representers that reproduce Helm's ``toYaml``."""

    for kind, fn in ((str, _repr_str), (float, _repr_number), (int, _repr_number), (dict, _repr_dict),
                     (type(None), _repr_none)):
        GoYamlDumper.add_representer(kind, fn)
    GoYamlDumper.add_multi_representer(dict, _repr_dict)
    yaml.GoYamlLoader, yaml.GoYamlDumper, yaml.PlainLoader = GoYamlLoader, GoYamlDumper, base_loader
    return yaml


# Refused: a value of these types would read differently elsewhere (`!!binary` is read as Helm
# reads it, as the text its base64 holds).
_NOT_JSON = ("set", "omap", "pairs", "timestamp")


def _refuse_type(loader: Any, node: Any) -> Any:
    import yaml  # loaded already: called by PyYAML's loader
    raise yaml.constructor.ConstructorError(
        None, None, f"{node.tag.replace('tag:yaml.org,2002:', '!!')} is not a values type (maps, lists, strings, "
        "numbers, booleans and null are)", node.start_mark)


def _check_unique(loader: Any, node: Any, yaml: Any) -> None:
    """Refuse a map that sets one key twice (yaml.v2 and PyYAML keep the last silently, and the
    first block is lost), naming both lines. Checked before merge keys are expanded: a key that
    overrides a merged one is what ``<<`` is for."""
    checked = loader.__dict__.setdefault("unique_checked", set())
    if id(node) in checked:
        return
    checked.add(id(node))
    seen: dict[tuple[str, str], Any] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        first = seen.setdefault((key_node.tag, key_node.value), key_node)
        if first is not key_node:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key_node.value!r} (first set at line {first.start_mark.line + 1}); "
                "the earlier one would be lost", key_node.start_mark)


def _unique_keys(construct_mapping: Any, yaml: Any) -> Any:
    def checked_construct_mapping(loader: Any, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            _check_unique(loader, node, yaml)
        return construct_mapping(loader, node, deep)
    return checked_construct_mapping


def _budgeted_flatten(flatten: Any, yaml: Any) -> Any:
    """PyYAML's merge-key expansion, refusing documents whose merges copy more than
    :data:`MAX_MERGED_ENTRIES` entries in all."""
    def flatten_mapping(loader: Any, node: Any) -> None:
        for key_node, value_node in node.value:
            if key_node.tag != "tag:yaml.org,2002:merge":
                continue
            merged = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for sub in merged:
                if isinstance(sub, yaml.MappingNode):
                    _check_unique(loader, sub, yaml)  # before its own merges are folded in
                    flatten_mapping(loader, sub)  # final size first; flattening twice is a no-op
                    loader.merged_entries = getattr(loader, "merged_entries", 0) + len(sub.value)
                    if loader.merged_entries > MAX_MERGED_ENTRIES:
                        raise yaml.constructor.ConstructorError(
                            None, None, "merge keys (<<) copy too many entries (an alias bomb?); refusing "
                            "to read it", key_node.start_mark)
        flatten(loader, node)
    return flatten_mapping


class _Unreadable(Exception):
    """A value Helm's loader refuses (found while normalizing): its key path and why."""

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path, self.message = path, message


def json_key(key: Any, path: tuple = ()) -> str:
    """A map key as sigs.k8s.io/yaml turns it into a JSON key: text as it is, ``true``/``false``,
    integers in decimal, floats in 32-bit precision (``3.1415927``); a null key and one in uint64
    range only are refused."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int) and INT64_MIN <= key <= INT64_MAX:
        return str(key)
    if isinstance(key, float):  # yaml.v2's spelling of the special values, as sigs.k8s.io/yaml borrows it
        text = format_float32(key)
        return {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(text, text)
    if isinstance(key, bytes):
        return key.decode("utf-8", "replace")
    kind = "null" if key is None else "a number beyond int64" if isinstance(key, int) else type_name(key)
    raise _Unreadable(path, f"a map key that is {kind} ({key!r}); Helm cannot read it (quote the key)")


def _json_scalar(value: Any, path: tuple) -> Any:
    """A scalar as it comes back from JSON: numbers as float64, ``!!binary`` as its text."""
    if type(value) is int:
        return float(value)
    if type(value) is float and (value != value or value in (math.inf, -math.inf)):
        raise _Unreadable(path, f"{'.nan' if value != value else '.inf'} is not a number Helm can read "
                                "(JSON has no infinity or NaN); quote it to keep it as text")
    if type(value) is bytes:  # !!binary: Go keeps the decoded bytes as a string
        return value.decode("utf-8", "replace")
    return value


def _normalize(value: Any, where: str, json_numbers: bool = True) -> Any:
    """The document as Helm holds it after its JSON round trip (string keys, float64 numbers,
    see :func:`json_key` and :func:`_json_scalar`); reject recursive and exploding (alias bomb)
    documents."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def walk(v: Any, depth: int, path: tuple) -> tuple[Any, int]:
        if isinstance(v, dict):
            children = v.items()
        elif isinstance(v, list):
            children = enumerate(v)
        else:
            return (_json_scalar(v, path) if json_numbers else v), 1
        vid = id(v)
        if vid in active:
            raise ValuesError("a YAML alias refers to itself (recursive document)", where)
        if vid in sizes:  # shared through an alias: counts again every time it is reused
            total = sizes[vid]
            _check(total)
            return v, total
        if depth > MAX_DEPTH:
            raise ValuesError(f"values nest more than {MAX_DEPTH} levels deep; refusing to read them", where)
        active.add(vid)
        total = 1
        if isinstance(v, dict):
            if any(not isinstance(k, str) for k in v):
                fixed = {json_key(k, path): x for k, x in v.items()}
                v.clear()
                v.update(fixed)
            for k in v:
                v[k], n = walk(v[k], depth + 1, path + (k,))
                total += n
        else:
            for i, x in children:
                v[i], n = walk(x, depth + 1, path + (i,))
                total += n
        active.discard(vid)
        sizes[vid] = total
        _check(total)
        return v, total

    seen_total = [0]

    def _check(n: int) -> None:
        seen_total[0] += n
        if n > MAX_EXPANDED_NODES or seen_total[0] > 4 * MAX_EXPANDED_NODES:
            raise ValuesError("YAML aliases expand past a safe size (an alias bomb?); refusing to read it", where)

    return walk(value, 1, ())[0]


def _normalized(doc: Any, text: str, where: str) -> Any:
    """:func:`_normalize`, with a refused value located at its line in ``text``."""
    try:
        return _normalize(doc, where)
    except _Unreadable as e:
        from .golang import go_str
        position = key_position(text, e.path) if e.path else None
        loc = f"{where}:{position[0]}:{position[1]}" if position else where
        shown = ".".join(f"[{p}]" if isinstance(p, int) else go_str(p) for p in e.path).replace(".[", "[")
        raise ValuesError(f"{shown + ': ' if shown else ''}{e.message}", loc) from None


# Parses of user values kept for this process only (never on disk), oldest dropped past the cap.
_IN_MEMORY: dict[str, bytes] = {}
_IN_MEMORY_MAX_BYTES = 64 << 20


def _cached(kind: str, text: str, parse: Any, persist: bool = True, cache_name: str = "yaml") -> Any:
    """``parse()``'s result for this exact text, from the on-disk cache when it was seen before
    (a fresh object each time: callers may change what they get). Without ``persist`` (user
    values, which hold passwords) nothing is written to disk: the parse is kept in this process's
    memory only, so a long-running caller that renders the same values again does not parse them
    again."""
    key = kind + digest(text.encode("utf-8", "surrogatepass"))
    if not persist:
        blob = _IN_MEMORY.get(key)
        if blob is not None:
            return marshal.loads(blob)
        value = parse()
        try:
            blob = marshal.dumps(value)
        except ValueError:  # not plain data: just don't keep it
            return value
        if len(blob) <= _IN_MEMORY_MAX_BYTES:
            while _IN_MEMORY and sum(map(len, _IN_MEMORY.values())) + len(blob) > _IN_MEMORY_MAX_BYTES:
                del _IN_MEMORY[next(iter(_IN_MEMORY))]  # the oldest first
            _IN_MEMORY[key] = blob
        return value
    cache = DiskCache.named(cache_name)
    blob = cache.get(key)
    if blob is not None:
        return marshal.loads(blob)
    value = parse()
    try:
        cache.put(key, marshal.dumps(value))
    except ValueError:  # not plain data: just don't cache it
        pass
    return value


def load_values_text(text: str, where: str, persist: bool = False) -> dict:
    """Parse one values document (a map, or empty) read from ``where`` (a path or flag). Only a
    chart's own values files may be ``persist``-ed in the on-disk cache, never a user's."""
    return _cached("values:", text, lambda: _load_values_text(text, where), persist)


def _parse_all(text: str, where: str) -> list[Any]:
    """Every YAML document in ``text``; a syntax error names ``where:line:column``."""
    yaml = _yaml()
    try:
        return list(yaml.load_all(text, Loader=yaml.GoYamlLoader))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        loc = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark else where
        problem = e.problem or e.context or "invalid YAML"
        raise ValuesError(f"invalid YAML: {problem}", loc) from None
    except yaml.YAMLError as e:
        raise ValuesError(f"invalid YAML: {e}", where) from None


def _load_values_text(text: str, where: str) -> dict:
    merged: dict = {}
    for doc in _parse_all(text, where):  # several documents merge, later ones winning (Helm 4)
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise ValuesError(f"values must be a map of keys, not {type_name(doc)}", where)
        merge_maps(merged, _normalized(doc, text, where))
    return merged


def load_data(text: str, where: str) -> Any:
    """Parse any single YAML document (Chart.yaml, requirements.yaml)."""
    return _cached("data:", text, lambda: _load_data(text, where))


def _load_data(text: str, where: str) -> Any:
    docs = _parse_all(text, where)
    if len(docs) > 1:
        raise ValuesError("expected one YAML document, found several", where)
    return _normalized(docs[0], text, where) if docs else None


def parse_document(text: str) -> Any:
    """Parse one rendered manifest document (plain safe rules: what kubectl will read)."""
    yaml = _yaml()
    return yaml.load(text, Loader=yaml.PlainLoader)


_JSON_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq"))


def document_problem(text: str) -> tuple[int, int, str] | None:
    """Why a rendered document is not valid YAML, as ``(line, column, problem)`` (1-based within
    the document), or None when it parses. Only the parser runs: no objects are built."""
    yaml = _yaml()
    anchors: set[str] = set()
    try:
        # Events only (no objects are built), but what every consumer must be able to load: an
        # alias names an anchor defined before it, and tags are the JSON types.
        for event in yaml.parse(text, Loader=yaml.PlainLoader):
            if isinstance(event, yaml.AliasEvent):
                if event.anchor not in anchors:
                    mark = event.start_mark
                    return mark.line + 1, mark.column + 1, f"alias *{event.anchor} names no anchor"
            elif isinstance(event, yaml.NodeEvent):
                if event.anchor is not None:
                    anchors.add(event.anchor)
                tag = getattr(event, "tag", None)
                if tag is not None and tag != "!" and tag not in _JSON_TAGS:
                    mark = event.start_mark
                    return mark.line + 1, mark.column + 1, f"tag {tag.replace('tag:yaml.org,2002:', '!!')} is not one every reader loads"
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return line, column, e.problem or e.context or "invalid YAML"
    except yaml.reader.ReaderError as e:  # a character YAML does not allow in a stream
        before = text[:e.position]
        return before.count("\n") + 1, e.position - before.rfind("\n"), f"{e.reason} (#x{e.character:04x})" \
            if isinstance(e.character, int) else e.reason
    return None


def scalar_spans(text: str) -> list[tuple[int, int, str]] | None:
    """Each scalar of a rendered document as ``(start, end, value)``: character offsets of its
    text as written (quotes included) and the string it reads as. None if the text does not scan."""
    yaml = _yaml()
    try:
        return [(t.start_mark.index, t.end_mark.index, t.value)
                for t in yaml.scan(text, Loader=yaml.PlainLoader) if isinstance(t, yaml.ScalarToken)]
    except yaml.YAMLError:
        return None


# Text that stays one plain scalar wherever a template prints it (bare, inside quotes, as a key,
# in a block, next to other text): names, registries, tags, quantities, paths. No indicator can
# start it, no quote, space, `#`, `: `, flow bracket or comma can appear, and a colon is never last.
_INERT_TEXT = r"[A-Za-z0-9_/][A-Za-z0-9_./@+=~-]*(?::[A-Za-z0-9_./@+=~-]+)*"
_INERT_LINES = re.compile(rf"(?:{_INERT_TEXT})?(?:\n(?:{_INERT_TEXT})?)*")


def inert(value: Any) -> bool:
    """Whether every string in ``value`` (map keys included) is inert text (see above): such
    values cannot break the YAML a template prints them into."""
    texts: set[str] = set()  # each distinct text once: keys and labels repeat across entries
    stack = [value]
    while stack:  # iterative: values files can be large (hundreds of gateways)
        v = stack.pop()
        if isinstance(v, str):
            texts.add(v)
        elif isinstance(v, dict):
            texts.update(v)  # keys are strings once values are read
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    # One regex pass over all of them, a line each (an empty string is inert too); a text that
    # holds a line break itself shows up as one line too many.
    try:
        joined = "\n".join(texts)
    except TypeError:  # a non-string key: judge its text form
        joined = "\n".join(t if isinstance(t, str) else go_key(t) for t in texts)
    return joined.count("\n") == max(len(texts) - 1, 0) and _INERT_LINES.fullmatch(joined) is not None


def key_position(text: str, path: tuple[str | int, ...]) -> tuple[int, int] | None:
    """Line and column (1-based) where a values document sets ``path`` (map keys, list indexes),
    from the last document in ``text`` that sets it; None if none does or the text does not parse."""
    yaml = _yaml()
    found = None
    try:
        for node in yaml.compose_all(text, Loader=yaml.GoYamlLoader):
            mark = None
            for part in path:
                if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                    hit = [(k, v) for k, v in node.value if k.value == part]
                    if not hit:
                        break
                    mark, node = hit[-1][0].start_mark, hit[-1][1]
                elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                    node = node.value[part]
                    mark = node.start_mark
                else:
                    break
            else:
                if mark is not None:
                    found = (mark.line + 1, mark.column + 1)
    except yaml.YAMLError:
        return found
    return found


# --- toYaml ----------------------------------------------------------------------------------

def _v2_key_less(a: str, b: str) -> int:
    """yaml.v2's key order: letters after non-letters, digit runs compared as numbers."""
    ar, br = a, b
    for i in range(min(len(ar), len(br))):
        ca, cb = ar[i], br[i]
        if ca == cb:
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return -1 if ca < cb else 1
        if al or bl:
            return -1 if bl else 1
        # Go's unicode.IsDigit is Python's isdecimal (not isdigit, which takes "²"); a digit run
        # is summed as Go does, rune minus '0' into an int64 that wraps.
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and ar[j].isdecimal():
                if ar[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(ar) and ar[ai].isdecimal():
            an = _wrap64(an * 10 + ord(ar[ai]) - 48)
            ai += 1
        bi = i
        while bi < len(br) and br[bi].isdecimal():
            bn = _wrap64(bn * 10 + ord(br[bi]) - 48)
            bi += 1
        if an != bn:
            return -1 if an < bn else 1
        if ai != bi:
            return -1 if ai < bi else 1
        return -1 if ca < cb else 1
    return (len(ar) > len(br)) - (len(ar) < len(br))


def _wrap64(n: int) -> int:
    return (n + (1 << 63)) % (1 << 64) - (1 << 63)


_v2_key = functools.cmp_to_key(_v2_key_less)
# Keys of ASCII letters, '.', '-' and '/' only: there yaml.v2's order is plain code-point order
# (no digit runs, and every such non-letter sorts below every letter either way).
_PLAIN_ORDER_KEYS = re.compile(r"[A-Za-z./\n-]*")


def v2_sorted(mapping: dict) -> list:
    """The keys of ``mapping`` in yaml.v2's order."""
    keys = list(mapping)
    if all(type(k) is str for k in keys) and _PLAIN_ORDER_KEYS.fullmatch("\n".join(keys)):
        keys.sort()
        return keys
    return sorted(keys, key=lambda k: _v2_key(k if type(k) is str else go_key(k)))

def _repr_str(dumper: Any, value: str) -> Any:
    style = None
    if "\n" in value:
        style = "|"
    elif not value or not reads_as_text(value):
        style = '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def yaml_number(value: int | float) -> str:
    """A number as Helm's ``toYaml`` writes it: Go's JSON form read back by yaml.v2, so whole
    numbers in int64 or uint64 range print as integers (``9007199254740993`` from a values file
    is the float64 ``9007199254740992``) and everything else in Go's shortest form (``1e+20``)."""
    if type(value) is not float:
        if INT64_MIN <= value <= UINT64_MAX:
            return int.__repr__(value)
        value = float(value)
    if value.is_integer() and INT64_MIN <= value <= UINT64_MAX:
        return go_g(value, 21)  # Go's JSON form: the shortest digits, then zeros (…893000, not …892608)
    return go_g(value, 6)


def _repr_number(dumper: Any, value: int | float) -> Any:
    if value != value or value in (math.inf, -math.inf):
        text = ".nan" if value != value else ".inf" if value > 0 else "-.inf"
    else:
        text = yaml_number(value)
    # yaml.v2 writes every number plain. PyYAML would add `!!float` where its own float pattern
    # (which wants a dot) does not read the text as one, as in `1e+21`: so the scalar takes the
    # tag PyYAML reads its text as, and no tag is written.
    return dumper.represent_scalar(dumper.resolve(_yaml().ScalarNode, text, (True, False)), text)


def _repr_dict(dumper: Any, value: dict) -> Any:
    items = sorted(((go_key(k), v) for k, v in value.items()), key=lambda kv: _v2_key(kv[0]))
    return dumper.represent_mapping("tag:yaml.org,2002:map", items)


def _repr_none(dumper: Any, value: None) -> Any:
    return dumper.represent_scalar("tag:yaml.org,2002:null", "null")


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_./][\x20-\x7e]*$")


class _NotSimple(Exception):
    """The fast emitter met something only the full emitter writes correctly."""


def _literal_block(text: str, indent: int) -> str:
    """A multi-line string as yaml.v2 writes it: a ``|`` block (``|-`` without a final newline,
    ``|+`` with several). Anything the emitter would quote instead is left to it."""
    if text[0] in " \n" or " \n" in text or text.endswith(" ") or "\r" in text:
        raise _NotSimple
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    if text.isascii():
        if _CONTROL.search(text):
            raise _NotSimple
    elif not all(line.isprintable() for line in body.split("\n")) or any(c in text for c in "\x85\u2028\u2029\ufeff"):
        raise _NotSimple
    pad = " " * indent
    head = "|" if trailing == 1 else "|-" if trailing == 0 else "|+"
    indented = pad + body.replace("\n", "\n" + pad)
    if "\n\n" in body:  # empty lines stay empty, without indentation
        indented = "\n".join(line if line.strip() else "" for line in indented.split("\n"))
    return head + "\n" + indented + "\n" * (trailing - 1 if trailing > 1 else 0)


def _simple_scalar(value: Any, column: int, indent: int = 0) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    t = type(value)
    if t is int:
        return yaml_number(value)
    if t is float:
        if math.isnan(value) or math.isinf(value):
            raise _NotSimple
        return yaml_number(value)
    if t is str:
        if "\n" in value:
            return _literal_block(value, indent + 2)
        if (not _PLAIN_SAFE.match(value) or value[-1] in " :" or "#" in value or ": " in value
                or not reads_as_text(value) or (" " in value and column + len(value) > 80)):
            raise _NotSimple
        return value
    raise _NotSimple


def _v2_items(mapping: dict) -> Any:
    """A map's entries in yaml.v2's key order, keys as Go prints them (``toYaml``)."""
    for key in v2_sorted(mapping):
        yield (key if type(key) is str else go_key(key)), mapping[key]


def _own_items(mapping: dict) -> Any:
    """A map's entries in its own order (a manifest keeps its author's); text keys only."""
    for key, item in mapping.items():
        if type(key) is not str:
            raise _NotSimple
        yield key, item


def _block(value: Any, indent: int, out: list[str], items: Any = _v2_items, scalar: Any = _simple_scalar) -> None:
    """Block YAML of plain data as yaml.v2 writes it (lists not indented under their key), maps'
    entries as ``items`` gives them and scalars as ``scalar`` writes them; raises _NotSimple for
    anything else."""
    pad = " " * indent
    if type(value) is dict:
        for k, item in items(value):
            if "\n" in k:
                raise _NotSimple
            k = scalar(k, indent, indent)
            if type(item) is dict and item:
                out.append(f"{pad}{k}:")
                _block(item, indent + 2, out, items, scalar)
            elif type(item) is list and item:
                out.append(f"{pad}{k}:")
                _block(item, indent, out, items, scalar)  # yaml.v2 does not indent lists under a key
            elif type(item) in (dict, list):
                out.append(f"{pad}{k}: {'{}' if type(item) is dict else '[]'}")
            else:
                out.append(f"{pad}{k}: {scalar(item, indent + len(k) + 2, indent)}")
    elif type(value) is list:
        for item in value:
            if type(item) in (dict, list) and item:
                start = len(out)
                _block(item, indent + 2, out, items, scalar)
                out[start] = f"{pad}- {out[start][indent + 2:]}"
            elif type(item) in (dict, list):
                out.append(f"{pad}- {'{}' if type(item) is dict else '[]'}")
            else:
                out.append(f"{pad}- {scalar(item, indent + 2, indent)}")
    else:
        raise _NotSimple


def to_yaml(value: Any, prepare: Any = None) -> str:
    """Helm's ``toYaml``: block style, yaml.v2 key order, no trailing newline. ``prepare`` turns
    values the full emitter cannot represent into plain data; the fast path never needs it."""
    text = fast_yaml(value)
    if text is not None:
        return text
    return full_yaml(prepare(value) if prepare is not None else value)


def fast_yaml(value: Any) -> str | None:
    """``toYaml`` of plain data written directly, or None when only the full emitter can write
    ``value``. Most values (resources, labels, selectors) take this path and skip PyYAML."""
    if isinstance(value, (dict, list)) and not value:
        return "{}" if isinstance(value, dict) else "[]"
    try:
        if type(value) in (dict, list):
            lines: list[str] = []
            _block(value, 0, lines)
            return "\n".join(lines)
        return _simple_scalar(value, 0)
    except _NotSimple:
        return None


def full_yaml(value: Any) -> str:
    """``toYaml`` through PyYAML's emitter, set up as yaml.v2's; writes the same text as
    :func:`fast_yaml` wherever that one writes any."""
    if isinstance(value, (dict, list)) and not value:
        return "{}" if isinstance(value, dict) else "[]"
    yaml = _yaml()
    text = yaml.dump(value, Dumper=yaml.GoYamlDumper, default_flow_style=False, allow_unicode=True,
                     sort_keys=False, width=80)
    if text.endswith("\n...\n"):  # PyYAML's document-end marker; yaml.v2 writes none
        text = text[:-4]
    return text[:-1] if text.endswith("\n") else text  # Helm trims exactly one newline


def embedded_yaml(text: str) -> list | None:
    """The documents of ``text`` when it is YAML holding maps or lists (YAML kept in a ConfigMap
    value: a mesh config, nested manifests), else None: scalars only, or not YAML at all."""
    yaml = _yaml()
    try:
        docs = [d for d in yaml.load_all(text, Loader=yaml.PlainLoader) if d is not None]
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        return None
    return docs if docs and all(isinstance(d, (dict, list)) for d in docs) else None


def load_manifest_documents(text: str, where: str) -> list[Any]:
    """Every YAML document of a Kubernetes manifest, read as kubectl and the API server read it
    (yaml.v2's implicit types: ``on`` is a boolean, dates stay strings).
    A syntax error raises :class:`ValuesError` naming ``where:line:column``."""
    # Not kept on disk: a manifest carries the user's values (a Secret's password) as they are.
    return _cached("manifest:", text, lambda: _parse_all(text, where), False, "manifests")


_MANIFESTS: dict[str, list[list[Any]]] = {}


def load_manifest_texts(texts: list[str], wheres: list[str]) -> list[list[Any]]:
    """:func:`load_manifest_documents` of many texts at once, cached as one entry: a render's
    documents are read back together, and one cache look-up costs less than a hundred. The same
    texts again in this process give the same objects: callers must not change them."""
    joined = "\x00".join(texts)
    found = _MANIFESTS.get(joined)
    if found is None:
        found = _cached("manifests:", joined, lambda: [_parse_all(t, w) for t, w in zip(texts, wheres)], False,
                        "manifests")
        if len(_MANIFESTS) >= 4:
            _MANIFESTS.clear()
        _MANIFESTS[joined] = found
    return found


# --- manifests read and written object by object (sidecar injection) ---------------------------

def load_document(text: str, where: str, first_line: int = 1) -> Any:
    """One document of a Kubernetes manifest, read with Go's YAML 1.1 rules (as kubectl and
    istioctl read it); ``first_line`` is where the document starts in its file, so that a
    syntax error names ``where:line:column`` of the file."""
    yaml = _yaml()
    try:  # plain documents (no anchors, aliases or tags), the common case: built straight from events
        return _events_to_object(yaml.parse(text, Loader=yaml.PlainLoader), yaml)
    except (_NotSimple, yaml.YAMLError):  # the full loader handles them, or names the error
        pass
    try:
        docs = list(yaml.load_all(text, Loader=yaml.GoYamlLoader))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        loc = f"{where}:{mark.line + first_line}:{mark.column + 1}" if mark else where
        raise ValuesError(f"invalid YAML: {e.problem or e.context or 'invalid YAML'}", loc) from None
    except yaml.YAMLError as e:
        raise ValuesError(f"invalid YAML: {e}", where) from None
    if len(docs) > 1:
        raise ValuesError("expected one YAML document, found several", where)
    return _normalize(docs[0], where, json_numbers=False) if docs else None


def _events_to_object(events: Any, yaml: Any) -> Any:
    """One document's object from parser events, with the Go loader's implicit types; raises
    _NotSimple for what only the full loader builds (anchors, aliases, tags, merge keys, complex
    keys, several documents, deep nesting) - three times faster than PyYAML's constructor."""
    ScalarEvent, MappingStartEvent, SequenceStartEvent = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    CollectionEndEvent, DocumentStartEvent = yaml.CollectionEndEvent, yaml.DocumentStartEvent
    stack: list[Any] = []  # open collections: [container, pending key or _NO_KEY]
    result: Any = None
    documents = 0
    for ev in events:
        cls = type(ev)
        if cls is ScalarEvent:
            if ev.anchor is not None or (ev.tag is not None and ev.tag != "!"):
                raise _NotSimple
            value: Any = ev.value
            if not ev.style and ev.implicit[0]:  # plain (the C parser says "", the Python one None)
                value = resolve_plain(value)
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            if ev.anchor is not None or (ev.tag is not None and ev.tag != "!") or len(stack) > MAX_DEPTH:
                raise _NotSimple
            container: Any = {} if cls is MappingStartEvent else []
            stack.append([container, _NO_KEY])
            continue
        elif isinstance(ev, CollectionEndEvent):
            value = stack.pop()[0]
        elif cls is DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _NotSimple
            continue
        elif isinstance(ev, yaml.AliasEvent):
            raise _NotSimple
        else:  # stream and document ends
            continue
        if not stack:
            result = value
            continue
        top = stack[-1]
        if type(top[0]) is list:
            top[0].append(value)
        elif top[1] is _NO_KEY:
            if type(value) in (dict, list):
                raise _NotSimple
            if type(value) is not str:
                if value == "<<" or type(value) is float and value != value:
                    raise _NotSimple
                value = go_key(value)
            top[1] = value
        else:
            if top[1] == "<<":
                raise _NotSimple  # a merge key (resolved as such only in the full loader)
            top[0][top[1]] = value
            top[1] = _NO_KEY
    return result


_NO_KEY = object()


@functools.lru_cache(maxsize=1)
def _ordered_dumper() -> Any:
    yaml = _yaml()

    class OrderedDumper(yaml.GoYamlDumper):  # type: ignore[misc,name-defined]
        """Helm's scalars, but maps keep their own key order (a manifest keeps its author's)."""

    def repr_ordered(dumper: Any, value: dict) -> Any:
        return dumper.represent_mapping("tag:yaml.org,2002:map", list(value.items()))

    OrderedDumper.add_representer(dict, repr_ordered)
    OrderedDumper.add_multi_representer(dict, repr_ordered)
    return OrderedDumper


def dump_document(value: Any) -> str:
    """One object as block YAML, keys in their own order, strings quoted only where another type
    would read back; ends with a newline."""
    if type(value) is dict and value:
        try:  # plain data, the common case: written directly, without PyYAML's representer
            lines: list[str] = []
            _block(value, 0, lines, _own_items, _document_scalar)
            return "\n".join(lines) + "\n"
        except _NotSimple:
            pass
    yaml = _yaml()
    text = yaml.dump(value, Dumper=_ordered_dumper(), default_flow_style=False, allow_unicode=True,
                     sort_keys=False, width=1 << 16)
    return text[:-4] if text.endswith("\n...\n") else text


def _document_scalar(value: Any, column: int, indent: int) -> str:
    """A scalar as ``toYaml`` writes it, or quoted where ``toYaml`` would need PyYAML's emitter
    to choose a style: single quotes (nothing escaped) unless the text holds one, else double
    quotes with JSON's escapes (which are YAML's)."""
    try:
        return _simple_scalar(value, column, indent)
    except _NotSimple:
        if type(value) is str and "\n" not in value and value.isprintable() and "\x7f" not in value:
            if "'" not in value and value[:1] != " " and value[-1:] != " ":
                return f"'{value}'"
            import json
            return json.dumps(value, ensure_ascii=False)
        raise
