"""Helm's template functions with Go's and sprig's semantics, as plain Python.

Templates call them as Jinja filters with the subject first (``x | default("d")``) or as
functions (``printf("%s-%s", a, b)``). Nothing here knows about Jinja: a missing value arrives
as an instance of :class:`Missing`.
"""
from __future__ import annotations

import base64
import posixpath
import re

from . import bounds
from ..errors import TemplateError
from ..golang import Missing, float_to_int64, go_g, go_quote, go_str, go_type, is_empty, is_nil, parse_int
from ..golang import semver_compare as _semver_compare
from ..yamlio import load_values_text, to_yaml

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


_VERB = re.compile(r"%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])")
# The largest width or precision Go's fmt accepts (its parsenum overflow guard).
_GO_MAX_WIDTH = 10_000_009


class FailRequested(Exception):
    """``fail``/``required`` stopping a render: the message is the chart author's."""


class ValueRejected(FailRequested):
    """``failValue``: a chart's own check of a value failed. ``path`` is the key path in the
    failing chart's values, so that the message can name the file and line the user set it in."""

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path = path


def semver_compare(constraint: str, version: Any) -> bool:
    """``semverCompare`` for templates: a version it cannot read fails the template."""
    try:
        return _semver_compare(constraint, version)
    except ValueError as e:
        raise TemplateError(str(e)) from None


def printf(fmt: str, *args: Any) -> str:
    """Go's ``fmt.Sprintf`` for the verbs templates use: %s %v %d %q %f %x %t %%."""
    args_iter = iter(args)
    used = [0]

    def next_arg() -> tuple[bool, Any]:
        try:
            v = next(args_iter)
            used[0] += 1
            return True, v
        except StopIteration:
            return False, None

    def repl(m: re.Match[str]) -> str:
        flags, width, prec, verb = m.groups()
        if verb == "%":
            return "%"
        if any(n and int(n) > _GO_MAX_WIDTH for n in (width, prec)):
            return "%!(NOVERB)"  # Go gives up on the verb rather than pad to such a width
        ok, v = next_arg()
        if not ok:
            return f"%!{verb}(MISSING)"
        if verb in "sv":
            if verb == "s" and not isinstance(v, str) and not is_nil(v) and not isinstance(v, (list, dict)):
                text = f"%!s({go_type(v)}={go_str(v)})"
            else:
                text = go_str(v, "<nil>") if not (verb == "s" and is_nil(v)) else "%!s(<nil>)"
        elif verb == "d":
            # Whole numbers print as integers, float64 ones too: in a template they are lengths,
            # sums of values or counts far more often than values Go would refuse (`%!d(float64=5)`).
            if isinstance(v, int) and not isinstance(v, bool):
                text = str(int(v))
            elif isinstance(v, float) and v.is_integer():
                text = str(int(v))
            else:
                text = f"%!d({go_type(v)}={go_str(v)})"
        elif verb == "q":
            text = go_quote(go_str(v))
        elif verb == "t":
            text = go_str(v)
        elif verb in "fFeEgG":
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return f"%!{verb}({go_type(v)}={go_str(v)})"  # Go prints the mistake, it does not fail
            return ("%" + flags + (width or "") + ("." + prec if prec else "") + verb) % float(v)
        elif verb in "xX":
            text = format(int(v), verb) if isinstance(v, int) else go_str(v).encode().hex()
        else:
            text = go_str(v)
        if width:
            w = int(width)
            text = text.ljust(w) if "-" in flags else text.rjust(w, "0" if "0" in flags and verb == "d" else " ")
        return text

    out = _VERB.sub(repl, fmt)
    extra = list(args_iter)
    if extra:
        out += "%!(EXTRA " + ", ".join(f"{go_type(v)}={go_str(v)}" for v in extra) + ")"
    return out


def quote(*values: Any) -> str:
    if len(values) == 1 and type(values[0]) is str:  # the usual `x | quote`
        return go_quote(values[0])
    return " ".join(go_quote(go_str(v)) for v in values if not is_nil(v))


def squote(*values: Any) -> str:
    if len(values) == 1 and type(values[0]) is str:
        return f"'{values[0]}'"
    return " ".join(f"'{go_str(v)}'" for v in values if not is_nil(v))


def default(value: Any, fallback: Any = "") -> Any:
    return fallback if is_empty(value) else value


def indent(text: Any, width: int) -> str:
    text = go_str(text)
    bounds.indent_size(text, width)
    pad = " " * int(width)
    return pad + text.replace("\n", "\n" + pad)


def nindent(text: Any, width: int) -> str:
    return "\n" + indent(text, width)


def trunc(text: Any, length: int) -> str:
    raw = go_str(text).encode("utf-8")
    n = int(length)
    cut = raw[:n] if n >= 0 else raw[len(raw) + n:] if -n < len(raw) else raw
    return cut.decode("utf-8", errors="ignore")


def trim_suffix(text: Any, suffix: str) -> str:
    s = go_str(text)
    return s[: -len(suffix)] if suffix and s.endswith(suffix) else s


def trim_prefix(text: Any, prefix: str) -> str:
    s = go_str(text)
    return s[len(prefix):] if prefix and s.startswith(prefix) else s


def replace(text: Any, old: str, new: str) -> str:
    text, old, new = go_str(text), go_str(old), go_str(new)
    bounds.replace_size(text, old, new)
    return text.replace(old, new)


def contains(text: Any, sub: Any) -> bool:
    return go_str(sub) in go_str(text)


def b64enc(text: Any) -> str:
    return base64.b64encode(go_str(text).encode()).decode()


def b64dec(text: Any) -> str:
    return base64.b64decode(go_str(text).encode()).decode(errors="replace")


def sha256sum(text: Any) -> str:
    try:  # the hash's own module (3.11; 3.12 names it _sha2): hashlib would load OpenSSL, 2 ms
        from _sha256 import sha256
    except ImportError:
        try:
            from _sha2 import sha256
        except ImportError:
            from hashlib import sha256
    return sha256(go_str(text).encode()).hexdigest()


def base(path: Any) -> str:
    p = go_str(path).rstrip("/")
    return posixpath.basename(p) if p else ("/" if go_str(path).startswith("/") else ".")


def to_int(value: Any) -> int:
    """sprig's ``int`` (spf13/cast): an integer, always. Floats truncate toward zero (out of
    int64 range: MinInt64, as Go converts on amd64); strings parse as Go literals after a
    ``.0``/``.00`` ending is dropped (``"010"`` is octal 8, ``"0x10"`` 16); anything that does not
    parse, overflows or is missing is 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return float_to_int64(value)
    if isinstance(value, str):
        return parse_int(_trim_zero_decimal(value)) or 0
    return 0


def _trim_zero_decimal(text: str) -> str:
    """cast's trimZeroDecimal: ``"10.00"`` → ``"10"``; anything else unchanged."""
    found_zero = False
    for i in range(len(text), 0, -1):
        ch = text[i - 1]
        if ch == ".":
            return text[:i - 1] if found_zero else text
        if ch != "0":
            return text
        found_zero = True
    return text


# Text that YAML reads as one plain scalar when printed bare after "key: " (it may read as a
# number or a boolean, exactly as it does when Helm prints it): only printable characters (the
# complement is matched: YAML's printable set itself takes 5 ms to compile) and no U+2028, U+2029
# or BOM, no ": " or " #", no trailing space or colon, and no indicator first.
_NOT_PLAIN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]|: | #|[ :]\\Z")
_INDICATORS = frozenset("?:,[]{}#&*!|>'\"%@`")


def _plain_scalar(text: str) -> bool:
    if not text or _NOT_PLAIN.search(text):
        return False
    first = text[0]
    if first == "-":  # a "- " would start a list
        return len(text) > 1 and not text[1].isspace()
    return not first.isspace() and first not in _INDICATORS


def bare_or_quoted(text: str, key: bool = False) -> str:
    """``text`` as Helm prints it (bare) when YAML reads that as one scalar, else double-quoted,
    so that hostile text arrives intact instead of breaking the document. An empty value prints
    as nothing (null, as from Helm); an empty key cannot, so it is quoted."""
    if (text == "" and not key) or _plain_scalar(text):
        return text
    return go_quote(text)


def entries(mapping: Any) -> str:
    """A map's entries one per line in Go's key order, each ``key: value`` printed as Helm's
    ``{{ $k }}: {{ $v }}`` loop prints it (so text like ``true`` or ``10`` reads as Helm's does),
    except that text which would break the YAML is quoted. A nested map or list prints as Go's
    ``%v`` prints it (``map[b:c]``, ``[1 2]``), as in Helm."""
    if is_nil(mapping):
        return ""
    lines = []
    for key, value in items(mapping):
        head = bare_or_quoted(go_str(key), key=True)
        if isinstance(value, (dict, list)):  # Helm prints Go's %v of it: [1 2], map[b:c]
            lines.append(f"{head}: {bare_or_quoted(go_str(value, '<nil>'))}")
        elif isinstance(value, str):
            lines.append(f"{head}: {bare_or_quoted(value)}")
        else:
            lines.append(f"{head}: {go_str(value)}")
    return "\n".join(lines)


def to_yaml_filter(value: Any) -> str:
    return "null" if is_nil(value) else to_yaml(value, _plain)


def go_json_float(f: float) -> str:
    """A float64 as Go's encoding/json writes it: fixed notation from 1e-6 up to 1e21 (shortest
    digits, padded with zeros), exponent notation outside it without a leading zero (``1e-7``)."""
    if f == 0 or 1e-6 <= abs(f) < 1e21:
        return go_g(f, 21) if abs(f) >= 1e-4 or f == 0 else _fixed(f)
    text = go_g(f, 0)
    return re.sub(r"e-0(\d)$", r"e-\1", text)


def _fixed(f: float) -> str:
    """Shortest digits of a small ``f`` (1e-6 <= |f| < 1e-4) in fixed notation."""
    digits, _, exponent = repr(abs(f)).partition("e")
    mantissa = digits.replace(".", "")
    places = -int(exponent) - 1 if exponent else 0
    body = "0." + "0" * places + mantissa.rstrip("0") if exponent else digits
    return ("-" if f < 0 else "") + body


def _go_json(value: Any, floats: list[str]) -> Any:
    """``value`` ready for json.dumps: a float becomes a placeholder for its Go text (json.dumps
    writes floats only Python's way)."""
    if type(value) is float and value == value and abs(value) != float("inf"):
        floats.append(go_json_float(value))
        return f"\0\1{len(floats) - 1}\1\0"
    if isinstance(value, dict):
        return {k: _go_json(v, floats) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_go_json(v, floats) for v in value]
    return None if is_nil(value) else value


def to_json(value: Any) -> str:
    import json  # only for toJson
    floats: list[str] = []
    text = json.dumps(_go_json(_plain(value), floats), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if floats:
        text = re.sub(r'"\\u0000\\u0001(\d+)\\u0001\\u0000"', lambda m: floats[int(m.group(1))], text)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def from_yaml(text: Any) -> dict:
    try:
        return load_values_text(go_str(text), "fromYaml")
    except Exception as e:  # Helm returns the error inside the map instead of failing
        return {"Error": str(e)}


def _plain(value: Any) -> Any:
    """Turn template-side objects (files maps, missing values) into plain data."""
    if isinstance(value, Missing):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def to_string(value: Any) -> str:
    return go_str(value, "<nil>")


def items(mapping: Any) -> list[tuple[str, Any]]:
    """A map's pairs in Go's ``range`` order (sorted keys); nothing for a missing value."""
    if is_nil(mapping):
        return []
    if not isinstance(mapping, dict):
        raise TemplateError(f"range can't iterate over {go_str(mapping)}")
    return sorted(mapping.items())


def keys(mapping: Any) -> list[str]:
    return [k for k, _ in items(mapping)]


def has_key(mapping: Any, key: str) -> bool:
    return isinstance(mapping, dict) and key in mapping


def required(message: str, value: Any) -> Any:
    if is_nil(value) or value == "":
        raise FailRequested(message)
    return value


def fail(message: str) -> None:
    raise FailRequested(message)


def fail_value(path: Any, message: str) -> None:
    """Stop the render because the value at ``path`` (a list of keys and list indexes within
    ``Values``) is wrong; the message is reported against where the user set that value."""
    if not isinstance(path, (list, tuple)) or not all(isinstance(p, (str, int)) for p in path):
        raise TemplateError("failValue: the path must be a list of keys and list indexes")
    raise ValueRejected(tuple(path), go_str(message))


def _regex(pattern: Any) -> re.Pattern:
    try:
        return re.compile(go_str(pattern))
    except re.error as e:
        raise TemplateError(f"invalid regular expression {go_str(pattern)!r}: {e}") from None


def regex_match(pattern: Any, value: Any) -> bool:
    """Sprig's ``regexMatch``: whether the pattern matches anywhere in the text."""
    return _regex(pattern).search(go_str(value)) is not None


def regex_find_all(pattern: Any, value: Any, n: int = -1) -> list[str]:
    """Sprig's ``regexFindAll``: the matched texts, at most ``n`` of them (all when n < 0)."""
    found = [m.group(0) for m in _regex(pattern).finditer(go_str(value))]
    return found if n < 0 else found[:n]


def go_list(*values: Any) -> list:
    return list(values)


def go_dict(*pairs: Any) -> dict:
    """sprig's ``dict``: key, value, key, value...; a last key without a value maps to ``""``."""
    out = {go_str(pairs[i]): pairs[i + 1] for i in range(0, len(pairs) - 1, 2)}
    if len(pairs) % 2:
        out[go_str(pairs[-1])] = ""
    return out


def text(*values: Any) -> str:
    """The values side by side exactly as ``{{ a }}{{ b }}`` prints them (a missing value or
    null prints nothing), for building one string to quote: ``text(hub, "/", image) | quote``."""
    return "".join(go_str(v) for v in values)


def go_print(*values: Any) -> str:
    """Go's ``fmt.Sprint``: a space only between two operands that are not strings."""
    out = []
    for i, v in enumerate(values):
        if i and not isinstance(v, str) and not isinstance(values[i - 1], str):
            out.append(" ")
        out.append(go_str(v, "<nil>"))
    return "".join(out)


FILTERS: dict[str, Any] = {
    "toYaml": to_yaml_filter, "entries": entries, "toJson": to_json, "fromYaml": from_yaml, "indent": indent,
    "nindent": nindent, "quote": quote, "squote": squote, "default": default, "trunc": trunc,
    "trimSuffix": trim_suffix, "trimPrefix": trim_prefix, "replace": replace, "contains": contains,
    "b64enc": b64enc, "b64dec": b64dec, "sha256sum": sha256sum, "base": base, "int": to_int,
    "toString": to_string, "items": items, "keys": keys, "empty": is_empty,
}

FUNCTIONS: dict[str, Any] = {
    "printf": printf, "semverCompare": semver_compare, "required": required, "fail": fail,
    "failValue": fail_value, "regexMatch": regex_match, "regexFindAll": regex_find_all,
    "list": go_list, "dict": go_dict, "hasKey": has_key, "empty": is_empty, "print": go_print, "text": text,
    "quote": quote, "default": lambda fallback, value: default(value, fallback),
}
