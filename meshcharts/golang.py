"""Go's and Helm's primitives that every stage shares: how Go prints a value (``%v``, ``%q``,
float64 against int64), Go's type names, ``filepath.Match`` globs and semantic versions.

The ground floor of meshcharts: it imports nothing of the package, so loading, values, templates
and the manifest stage can all use it without depending on each other.
"""
from __future__ import annotations

import functools
import math
import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


# --- nil and emptiness ---------------------------------------------------------------------

class Missing:
    """Marker base for "no value" (a missing key): prints empty, counts as empty."""


def is_nil(value: Any) -> bool:
    return value is None or isinstance(value, Missing)


def is_empty(value: Any) -> bool:
    """Go's emptiness (``default``, ``empty``): nil, false, 0, "", empty list or map."""
    if is_nil(value):
        return True
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value == 0
    if isinstance(value, (str, list, tuple, dict)):
        return len(value) == 0
    return False



# --- printing values as Go does -----------------------------------------------------------

def go_str(value: Any, nil: str = "") -> str:
    """A value as Go's ``%v`` prints it (``nil`` is what a missing value prints as)."""
    if isinstance(value, str):
        return value
    if is_nil(value):
        return nil
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_number(value)
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_str(v, "<nil>") for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_str(v, '<nil>')}" for k, v in sorted(value.items())) + "]"
    return str(value)


_GO_TYPES = {"bool": "bool", "int64": "int", "number": "float64", "string": "string",
             "list": "[]interface {}", "map": "map[string]interface {}"}


def go_type(value: Any) -> str:
    """A value's type as Go names it in template errors (values-file numbers are float64)."""
    if is_nil(value):
        return "<nil>"
    kind = value_kind(value)
    return _GO_TYPES.get(kind, kind)


_NEEDS_ESCAPE = re.compile(r'[^\x20-\x7e]|["\\]')


def go_quote(text: str) -> str:
    """Go's ``%q``: double quotes, backslash escapes, printable Unicode kept."""
    if _NEEDS_ESCAPE.search(text) is None:  # printable ASCII without quotes: nothing to escape
        return f'"{text}"'
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\a\b\f\n\r\t\v":
            out.append({"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def go_key(key: Any) -> str:
    """Map keys become strings, as they do when Helm turns YAML into JSON."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return format_number(key)



def value_kind(value: Any) -> str:
    """The kind of a values datum: null, bool, int64 (an integer: typed on the command line or
    made by a template), number (a float64: every number a values file holds), string, list,
    map, or the Python type's name for anything else."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "map"
    return type(value).__name__


_KIND_NAMES = {"null": "null", "bool": "a boolean", "int64": "a number", "number": "a number",
               "string": "a string", "list": "a list", "map": "a map"}


def type_name(value: Any) -> str:
    """A value's type in words, for messages (``a string``, ``a map``)."""
    kind = value_kind(value)
    return _KIND_NAMES.get(kind, kind)


# --- numbers -------------------------------------------------------------------------------

def format_number(value: int | float) -> str:
    """A number as Go's ``%v`` prints it. The type says which Go type it is: Helm reads every
    number in a values file as float64 (a Python float: ``1.0`` prints ``1``, ``1000000`` prints
    ``1e+06``), while integers typed with ``--set`` or made by a template are integers (a Python
    int) and print plainly (``{{ 1000000 }}`` prints ``1000000``)."""
    if type(value) is int:
        return int.__repr__(value)
    key = (type(value), value)
    text = _FORMATTED.get(key)
    if text is None:
        text = int.__repr__(value) if isinstance(value, int) else _format_float(float(value))
        if len(_FORMATTED) < 4096:
            _FORMATTED[key] = text
    return text


_FORMATTED: dict[tuple[type, float], str] = {}  # the same few numbers print again and again


def _format_float(f: float) -> str:
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    return go_g(f, 6)


def go_g(f: float, eprec: int) -> str:
    """Go's ``%g`` of a float64 with the shortest digits that read back as the same number,
    in exponent form below 1e-04 and from 10**eprec up."""
    if f == 0:
        return "-0" if math.copysign(1, f) < 0 else "0"
    return _g_layout(repr(f), eprec)  # Python's repr is the shortest round-trip form, like Go's


def format_float32(value: float) -> str:
    """Go's ``strconv.FormatFloat(f, 'g', -1, 32)``: the shortest digits that read back as the
    same float32 (Kubernetes' float32 fields, map keys read through sigs.k8s.io/yaml)."""
    import struct  # only for float32 fields, which a render never prints
    if math.isnan(value) or math.isinf(value):
        return _format_float(value)
    if abs(value) >= 3.4028235677973366e38:  # past float32's range: Go's conversion gives an infinity
        return _format_float(math.copysign(math.inf, value))
    f32 = struct.unpack("f", struct.pack("f", value))[0]
    if f32 == 0:
        return "0"
    for digits in range(1, 10):
        text = f"{f32:.{digits - 1}e}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == f32:
            break
    return _g_layout(text, 6)


def _g_layout(text: str, eprec: int) -> str:
    """Shortest digits as Python prints them (``1.5``, ``1e-05``, ``1.5e+20``) laid out as Go's %g."""
    sign = "-" if text.startswith("-") else ""
    text = text.lstrip("-")
    mant, _, exp_s = text.partition("e")
    int_part, _, frac = mant.partition(".")
    digits = (int_part + frac).lstrip("0")
    exp = (int(exp_s) if exp_s else 0) + len(int_part) - 1
    if int_part.strip("0") == "":  # 0.000123: the exponent comes from the leading zeros
        lead = len(frac) - len(frac.lstrip("0"))
        exp = (int(exp_s) if exp_s else 0) - lead - 1
    digits = digits.rstrip("0") or "0"
    if exp < -4 or exp >= eprec:
        m = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{m}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{sign}0.{'0' * (-exp - 1)}{digits}"
    whole = digits[: exp + 1].ljust(exp + 1, "0")
    rest = digits[exp + 1:]
    return f"{sign}{whole}{'.' + rest if rest else ''}"


INT64_MIN, INT64_MAX, UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1


def _underscore_ok(text: str) -> bool:
    """Go's rule for ``_`` in a base-0 integer literal: only between digits (a base prefix
    counts as a digit)."""
    if text[:1] in "+-":
        text = text[1:]
    saw, i, hexa = "^", 0, False
    if len(text) >= 2 and text[0] == "0" and text[1].lower() in "box":
        i, saw, hexa = 2, "0", text[1].lower() == "x"
    for ch in text[i:]:
        if ch.isdigit() and ch.isascii() or hexa and ch.lower() in "abcdef":
            saw = "0"
        elif ch == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
    return saw != "_"


def parse_int(text: str, unsigned: bool = False) -> int | None:
    """Go's ``strconv.ParseInt(text, 0, 64)`` (``ParseUint`` with ``unsigned``): a sign (signed
    only), then ``0x``/``0X``, ``0o``/``0O``/``0``, ``0b``/``0B`` or decimal digits, ``_`` between
    digits; None for anything else or a number out of range."""
    body = text
    negative = False
    if not unsigned and body[:1] in ("+", "-"):
        negative, body = body[0] == "-", body[1:]
    if not body:
        return None
    base, digits = 10, body
    if body[0] == "0":
        prefix = body[1:2].lower()
        if len(body) >= 3 and prefix in ("b", "o", "x"):
            base, digits = {"b": 2, "o": 8, "x": 16}[prefix], body[2:]
        else:
            base, digits = 8, body[1:]
    if "_" in digits:
        if not _underscore_ok(text):
            return None
        digits = digits.replace("_", "")
    allowed = "0123456789abcdef"[:base]
    if any(ch.lower() not in allowed for ch in digits):
        return None
    n = int(digits, base) if digits else 0
    if negative:
        n = -n
    if unsigned:
        return n if n <= UINT64_MAX else None
    return n if INT64_MIN <= n <= INT64_MAX else None


def float_to_int64(f: float) -> int:
    """Go's ``int64(f)`` on amd64: truncation toward zero; NaN and values out of range give
    MinInt64 (the CPU's "integer indefinite")."""
    if math.isnan(f) or math.isinf(f) or not (INT64_MIN <= f < 2.0**63):
        return INT64_MIN
    return int(f)



# --- Helm's merge of values maps ----------------------------------------------------------

def merge_maps(base: dict, overlay: dict) -> dict:
    """Merge ``overlay`` into ``base`` in place as Helm merges ``-f`` files: maps merge
    recursively, anything else (lists, scalars, ``null``) replaces. Only ``base`` itself
    changes: a map nested in it may also sit elsewhere (a YAML alias, an earlier file), so it is
    copied before it takes the overlay."""
    for key, value in overlay.items():
        current = base.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            base[key] = merge_maps(dict(current), value)
        else:
            base[key] = value
    return base



# --- semantic versions (Masterminds semver, as Helm's semverCompare reads them) ----------------

_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def _parse_version(text: str) -> tuple[int, int, int, str]:
    m = _VERSION.match(text.strip())
    if not m:
        raise ValueError(f"invalid semantic version {text!r}")
    return int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0), m.group(4) or ""


def _prerelease_key(pre: str) -> tuple:
    """Semver precedence of a pre-release: none ranks above any; numeric identifiers compare as
    numbers and rank below alphanumeric ones; a longer list wins when one is a prefix of the other."""
    if not pre:
        return (1,)
    return (0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")))


def _cmp_versions(a: tuple, b: tuple) -> int:
    ka, kb = (a[:3], _prerelease_key(a[3])), (b[:3], _prerelease_key(b[3]))
    return (ka > kb) - (ka < kb)


def parse_version(text: str) -> tuple[int, int, int, str]:
    """``v1.2.3-pre`` as (1, 2, 3, "pre"), as Masterminds semver reads it (missing parts are 0);
    ValueError for anything else."""
    return _parse_version(text)


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as version ``a`` precedes, equals or follows ``b`` (semver precedence)."""
    return _cmp_versions(_parse_version(a), _parse_version(b))


def semver_compare(constraint: str, version: Any) -> bool:
    """``semverCompare(">=1.9-0", v)``: comma = and, ``||`` = or; ``~``, ``^``, ``x`` wildcards."""
    v = _parse_version(go_str(version))
    for alternative in go_str(constraint).split("||"):
        parts = [p for p in re.split(r"[,\s]+(?=[<>=!~^]|\d|v)", alternative.strip()) if p.strip()]
        if parts and all(_check(p.strip(), v) for p in parts):
            return True
    return False


def _check(part: str, v: tuple) -> bool:
    m = re.match(r"^(>=|<=|!=|=>|=<|>|<|=|~>|~|\^)?\s*(.*)$", part)
    op, target = (m.group(1) or "="), m.group(2)
    wild = [x in ("x", "X", "*") for x in (target.lstrip("v").split("-")[0].split(".") + ["x", "x"])[:3]]
    t = _parse_version(re.sub(r"(?<![0-9A-Za-z])[xX*](?![0-9A-Za-z])", "0", target) or "0")
    if v[3] and not t[3]:  # a pre-release only satisfies constraints that name one
        return False
    c = _cmp_versions(v, t)
    if op in ("=", "") and any(wild):
        upper = (t[0] + 1, 0, 0, "") if wild[1] else (t[0], t[1] + 1, 0, "")
        return c >= 0 and _cmp_versions(v, upper) < 0
    if op == "=":
        return c == 0
    if op == "!=":
        return c != 0
    if op == ">":
        return c > 0
    if op == "<":
        return c < 0
    if op in (">=", "=>"):
        return c >= 0
    if op in ("<=", "=<"):
        return c <= 0
    if op in ("~", "~>"):
        upper = (t[0] + 1, 0, 0, "") if wild[1] else (t[0], t[1] + 1, 0, "")
        return c >= 0 and _cmp_versions(v, upper) < 0
    if op == "^":
        upper = (t[0] + 1, 0, 0, "") if t[0] > 0 else ((0, t[1] + 1, 0, "") if t[1] > 0 else (0, 0, t[2] + 1, ""))
        return c >= 0 and _cmp_versions(v, upper) < 0
    return False



# --- filepath.Match ------------------------------------------------------------------------

class GoGlob:
    """A compiled Go ``filepath.Match`` pattern. Matched the way Go does it, chunk by chunk
    between the stars, each chunk at its leftmost place: linear in the text, where one regular
    expression with many ``[^/]*`` would backtrack exponentially (``*a*a*a*a*b`` against a long
    name of ``a``: a hostile ``.helmignore`` or ``Files.Glob`` could hang a render)."""

    def __init__(self, chunks: list[tuple[re.Pattern[str], int]], starred: bool):
        self.chunks, self.starred = chunks, starred  # (fixed-width regex, width) between stars

    def match(self, text: str) -> bool:
        chunks = self.chunks
        if not self.starred:
            return chunks[0][0].fullmatch(text) is not None
        first, first_width = chunks[0]
        last, last_width = chunks[-1]
        tail = len(text) - last_width
        if tail < first_width or not first.fullmatch(text, 0, first_width) or not last.fullmatch(text, tail):
            return False
        at = first_width
        for regex, _ in chunks[1:-1]:
            found = regex.search(text, at, tail)
            if found is None or "/" in text[at:found.start()]:
                return False
            at = found.end()
        return "/" not in text[at:tail]


@functools.lru_cache(maxsize=256)
def go_glob(pattern: str) -> GoGlob:
    """Go's filepath.Match, compiled: ``*`` and ``?`` never cross ``/``. A pattern Go rejects
    (an unclosed ``[``, a range such as ``[z-a]``) raises ValueError."""
    chunks: list[tuple[list[str], int]] = [([], 0)]
    i = 0
    while i < len(pattern):
        c = pattern[i]
        out, width = chunks[-1]
        if c == "*":
            if out or len(chunks) == 1 or width:
                chunks.append(([], 0))
            i += 1
            continue
        if c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                raise ValueError(f"syntax error in pattern {pattern!r}: '[' without ']'")
            body = pattern[i + 1:j]
            if body.startswith("^"):
                body = "!" + body[1:]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = j
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        chunks[-1] = (out, width + 1)
        i += 1
    try:
        compiled = [(re.compile("".join(out), re.S), width) for out, width in chunks]
    except re.error as e:
        raise ValueError(f"syntax error in pattern {pattern!r}: {e.msg}") from None
    return GoGlob(compiled, len(chunks) > 1)


def glob_match(pattern: str, path: str) -> bool:
    """Go-style glob (``*`` stays within one path segment)."""
    return bool(go_glob(pattern).match(path))


# --- Go's time.Duration -----------------------------------------------------------------------

# A pattern compiled on first use (by re's own cache): compiling it costs every process 0.4 ms.
_DURATION_PART = r"(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)"
_UNIT_NS = {"ns": 1, "us": 1000, "µs": 1000, "μs": 1000, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def duration_ns(text: str) -> int | None:
    """A duration as Go's ``time.ParseDuration`` reads it (``1m30s``, ``1.5s``, ``300ms``, ``0``,
    a sign in front), in nanoseconds; None if it is not one. A fraction counts as Go counts it:
    through float64, truncated."""
    if not isinstance(text, str):
        return None
    rest, sign = text, 1
    if rest[:1] in ("+", "-"):
        sign, rest = (-1 if rest[0] == "-" else 1), rest[1:]
    if rest == "0":
        return 0
    if not rest:
        return None
    total, pos = 0, 0
    while pos < len(rest):
        m = re.compile(_DURATION_PART).match(rest, pos)
        if m is None or not (m.group(1) or m.group(2)):  # a unit needs digits before or after the dot
            return None
        unit = _UNIT_NS[m.group(3)]
        total += int(m.group(1) or 0) * unit
        if m.group(2):
            total += int(float(int(m.group(2))) * (unit / 10 ** len(m.group(2))))
        pos = m.end()
    return sign * total


def format_duration(nanos: int) -> str:
    """Go's ``time.Duration.String()``: ``45s``, ``1m0s``, ``1.5s``, ``300ms``, ``1µs``, ``0s``."""
    if nanos == 0:
        return "0s"
    u = abs(nanos)
    if u < 1_000_000_000:
        size, unit = next((s, n) for s, n in ((1, "ns"), (1_000, "µs"), (1_000_000, "ms")) if u < s * 1000)
        text = _decimal(u, size) + unit
    else:
        hours, rest = divmod(u, 3_600_000_000_000)
        minutes, rest = divmod(rest, 60_000_000_000)
        text = _decimal(rest, 1_000_000_000) + "s"
        if hours or minutes:
            text = f"{minutes}m" + text
        if hours:
            text = f"{hours}h" + text
    return ("-" if nanos < 0 else "") + text


def _decimal(value: int, size: int) -> str:
    whole, frac = divmod(value, size)
    if not frac:
        return str(whole)
    return f"{whole}.{str(frac).rjust(len(str(size)) - 1, '0').rstrip('0')}"
