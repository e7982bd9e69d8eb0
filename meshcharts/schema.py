"""Values against a chart's ``values.schema.json`` (jsonschema's one home in meshcharts), and the
keys a schema does not know.

As in Helm, every chart of the enabled tree that ships a schema validates its coalesced values
(a child chart its own section), on every render. jsonschema itself is imported only when there
is something to validate and no earlier run already found these exact values valid.

Unknown keys: a map whose schema lists ``properties`` and says nothing about
``additionalProperties`` (or ``patternProperties``, or a combinator) is closed for this check. A
user key it does not list still renders, as JSON Schema and Helm allow, but ``render`` warns and
``lint`` fails, naming the closest known key. Maps that take any key say
``"additionalProperties": true`` (or give the schema of every extra entry).
"""
from __future__ import annotations

import difflib
import json
import marshal
from dataclasses import dataclass

from .cache import DiskCache, IdentityMemo, digest
from .loader import Chart
from .errors import ChartError, ValuesError, printable
from .origin import KeyPath, Origins, dotted
from .values import Values
from .golang import type_name
from .yamlio import yaml_number

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

# Keywords that let a map take keys its `properties` do not list.
_OPENING = ("additionalProperties", "patternProperties", "unevaluatedProperties", "allOf", "anyOf", "oneOf",
            "if", "not", "dependencies", "dependentSchemas", "$ref")
_JSON_TYPES = {"object": "a map", "array": "a list", "string": "a string", "integer": "a whole number",
               "number": "a number", "boolean": "a boolean (true/false)", "null": "null"}


@dataclass(frozen=True)
class Problem:
    """One finding about a value: its key path (empty for a render error), what is wrong, and
    where the value came from (``file:line:column``, a ``--set`` argument, a template location
    for a render error, or None for a chart default). ``str()`` is the line ``lint`` prints."""
    path: KeyPath
    message: str
    where: str | None = None   # file:line:column or the --set argument; None for chart defaults

    def __str__(self) -> str:
        head = f"{self.where}: " if self.where else ""
        first, *rest = self.message.split("\n")  # keys are the user's: shown without raw controls
        head = printable(f"{head}{dotted(self.path) + ': ' if self.path else ''}{first}")
        return "\n".join([head, *(printable(line) for line in rest)])


def has_schema(tree: Chart) -> bool:
    return tree.schema is not None or any(has_schema(c) for c in tree.children)


def check(tree: Chart, values: Values, origins: Origins) -> list[str]:
    """What every render does: raise :class:`ValuesError` listing each schema violation, and
    return a warning for each user key no schema knows."""
    problems = violations(tree, values, origins)
    if problems:
        first, *rest = problems
        raise ValuesError(f"{dotted(first.path)}: {first.message} (values.schema.json)", first.where,
                          [f"  {p}" for p in rest])
    return [f"{p}" for p in unknown_keys(tree, values, origins)]


# --- schema violations ---------------------------------------------------------------------

def violations(tree: Chart, values: Values, origins: Origins | None = None) -> list[Problem]:
    """Every schema violation in the enabled chart tree, parent first, each located."""
    found: list[Problem] = []
    for chart, section, prefix in _sections(tree, values, ()):
        if chart.schema is None or _known_valid(chart, section):
            continue
        errors = sorted(_iter_errors(chart, section), key=lambda e: [str(p) for p in e.absolute_path])
        for error in errors:
            path = _user_path(prefix + tuple(error.absolute_path))
            where = origins.where(path) if origins else None
            found.append(Problem(path, _message(error) + _set_hint(error, path, where), where))
        if not errors:
            _remember_valid(chart, section)
    return found


def _sections(chart: Chart, values: Values, prefix: KeyPath) -> Iterator[tuple[Chart, Values, KeyPath]]:
    yield chart, values, prefix
    for child in chart.children:
        section = values.get(child.name)
        yield from _sections(child, section if isinstance(section, dict) else {}, prefix + (child.name,))


def _user_path(path: KeyPath) -> KeyPath:
    """A child's copy of ``global`` comes from the parent's: name the key the user sets."""
    return path[path.index("global"):] if "global" in path else path


def _compile(schema: dict) -> Any:
    import jsonschema  # 40 ms: only when values must be checked against a schema
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    cls.check_schema(schema)
    _check_refs(schema)
    # The keywords that run a schema's regular expressions, with a time limit each: a chart's
    # `pattern` that backtracks catastrophically must not hang the render.
    cls = jsonschema.validators.extend(cls, {"pattern": _pattern, "patternProperties": _pattern_properties,
                                             "additionalProperties": _additional_properties})
    return cls(schema)


def _iter_errors(chart: Chart, section: Values) -> list[Any]:
    """The violations of one chart's section; a schema that cannot be applied is the chart's error."""
    where = f"{chart.directory}/values.schema.json"
    validator = _validator(chart)
    try:
        return list(validator.iter_errors(section))
    except _SlowPattern as e:
        raise ChartError(f"pattern {e.args[0]!r} takes longer than {PATTERN_SECONDS:g} s to match {e.args[1]!r} "
                         "(it backtracks catastrophically); simplify it", where) from None
    except RecursionError:
        raise ChartError("the schema refers to itself without end ($ref)", where) from None
    except Exception as e:  # jsonschema's and referencing's errors for $refs it cannot follow
        if type(e).__module__.split(".")[0] in ("jsonschema", "referencing"):
            raise ChartError(f"cannot apply the schema: {str(e).splitlines()[0]}", where) from None
        raise


# --- $ref: local, resolvable, and not a loop of references ---------------------------------------

def _check_refs(schema: dict) -> None:
    """Refuse what would otherwise fail in the middle of validation, or never end: a ``$ref``
    outside this file (nothing is fetched), one that points to nothing, and references that only
    lead to each other (``{"$ref": "#"}`` at the top)."""
    import jsonschema
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                seen = [ref]
                target = _pointer(schema, ref)
                while isinstance(target, dict) and isinstance(target.get("$ref"), str):
                    if target["$ref"] in seen:
                        raise jsonschema.SchemaError(f"$ref {ref!r} leads back to itself ({' -> '.join(seen)})")
                    seen.append(target["$ref"])
                    target = _pointer(schema, target["$ref"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _pointer(schema: dict, ref: str) -> Any:
    # jsonschema (40 ms) only when a schema is checked; bundled charts without user values skip it
    import jsonschema
    from urllib.parse import unquote
    if not ref.startswith("#"):
        raise jsonschema.SchemaError(f"$ref {ref!r} is outside values.schema.json (only '#/...' references are "
                                     "followed; nothing is fetched)")
    if ref in ("#", "#/"):
        return schema
    if not ref.startswith("#/"):
        return None  # a named anchor: jsonschema resolves it
    node: Any = schema
    for part in unquote(ref[2:]).split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise jsonschema.SchemaError(f"$ref {ref!r} points to nothing in values.schema.json")
    return node


# --- regular expressions with a time limit ---------------------------------------------------

PATTERN_SECONDS = 1.0


class _SlowPattern(Exception):
    """(pattern, text): matching took longer than PATTERN_SECONDS."""


_REGEXES: dict[str, Any] = {}


def _search(pattern: str, text: str) -> bool:
    import regex  # like re, and a search can be given a time limit
    compiled = _REGEXES.get(pattern)
    if compiled is None:
        if len(_REGEXES) > 1024:
            _REGEXES.clear()
        compiled = _REGEXES[pattern] = regex.compile(pattern)
    try:
        return compiled.search(text, timeout=PATTERN_SECONDS) is not None
    except TimeoutError:
        raise _SlowPattern(pattern, text[:60]) from None


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict) -> Iterator[Any]:
    import jsonschema  # loaded already: called by jsonschema's validator
    if validator.is_type(instance, "string") and not _search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: dict, instance: Any, schema: dict) -> Iterator[Any]:
    if validator.is_type(instance, "object"):
        for pattern, subschema in patterns.items():
            for key, value in instance.items():
                if _search(pattern, key):
                    yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator: Any, extra: Any, instance: Any, schema: dict) -> Iterator[Any]:
    import jsonschema  # loaded already: called by jsonschema's validator
    if not validator.is_type(instance, "object"):
        return
    known, patterns = schema.get("properties", {}), list(schema.get("patternProperties", {}))
    extras = [k for k in instance if k not in known and not any(_search(p, k) for p in patterns)]
    if validator.is_type(extra, "object"):
        for key in extras:
            yield from validator.descend(instance[key], extra, path=key)
    elif not extra and extras:
        yield jsonschema.ValidationError(f"unexpected key{'s' if len(extras) > 1 else ''}: "
                                         f"{', '.join(repr(k) for k in sorted(extras, key=str))}")


_VALIDATORS = IdentityMemo(_compile, 256)


def _validator(chart: Chart) -> Any:
    """The compiled validator of a chart's schema (once per schema per process)."""
    import jsonschema  # as in _compile
    try:
        return _VALIDATORS(chart.schema)
    except jsonschema.SchemaError as e:
        raise ChartError(f"invalid values schema: {e.message}", f"{chart.directory}/values.schema.json") from None


def _message(error: Any) -> str:
    """A violation in the user's words: what was expected and what was given."""
    value = error.instance
    if error.validator == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        expected = " or ".join(_JSON_TYPES.get(t, t) for t in wanted)
        shown = _shown(value)
        return f"expected {expected}, got {type_name(value)}{f' ({shown})' if shown else ''}"
    if error.validator == "enum":
        return f"{_shown(value) or type_name(value)} is not one of: {', '.join(map(str, error.validator_value))}"
    if error.validator == "additionalProperties" and error.validator_value is False:
        known = list((error.schema.get("properties") or {}))
        extra = sorted(set(value) - set(known)) if isinstance(value, dict) else []
        hints = [f"{k}{_suggestion(k, known)}" for k in extra]
        return f"unknown key{'s' if len(hints) > 1 else ''} {', '.join(hints)} (this map takes no other keys)"
    if type(value) is float:  # jsonschema shows Python's form (0.0): show the number as written
        return error.message.replace(repr(value), _shown(value), 1)
    return error.message


def _set_hint(error: Any, path: KeyPath, where: str | None) -> str:
    """For a list key given one word with ``--set``: how ``--set`` writes a list."""
    wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
    if (error.validator == "type" and "array" in wanted and isinstance(error.instance, str) and where
            and where.startswith("--set ")):
        flag = where.split(" ", 1)[0]
        return f" (a list in {flag} is written in braces: {flag} '{dotted(path)}={{{error.instance}}}')"
    return ""


def _shown(value: Any) -> str:
    """A scalar as JSON, shortened; nothing for maps and lists."""
    if isinstance(value, (dict, list)):
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and abs(value) != float("inf"):
        return yaml_number(value)  # as the user wrote it, not Python's float form (1000.0)
    text = json.dumps(value, ensure_ascii=False)
    return f"{text[:60]}..." if len(text) > 60 else text


# A render that repeats with the same values (a pipeline, a watch loop) skips jsonschema: a
# verdict of "valid" is kept on disk under the exact schema and values it was found for.
_SCHEMA_DIGESTS = IdentityMemo(
    lambda schema: digest(json.dumps(schema, sort_keys=True).encode(), 16), 256)


def _verdict_key(chart: Chart, values: Values) -> str:
    try:  # marshal's format 2 writes content only (no back-references), four times faster than repr
        data = marshal.dumps(values, 2)
    except ValueError:  # a value marshal does not take (from the Python API): its text form
        data = repr(values).encode("utf-8", "surrogatepass")
    return f"valid:{_SCHEMA_DIGESTS(chart.schema)}:{digest(data)}"


def _known_valid(chart: Chart, values: Values) -> bool:
    return DiskCache.named("schema").get(_verdict_key(chart, values)) is True


def _remember_valid(chart: Chart, values: Values) -> None:
    DiskCache.named("schema").put(_verdict_key(chart, values), True)


# --- keys the schema does not know ------------------------------------------------------------

def unknown_keys(tree: Chart, values: Values, origins: Origins) -> list[Problem]:
    """Keys some user source sets that the schema of their chart does not list (see the module
    docstring for when a map counts as closed)."""
    user = origins.values()
    found: list[Problem] = []
    # Only what the user sets can be unknown (the chart's defaults are its own), so walk those.
    for chart, section, prefix in _sections(tree, user, ()):
        if chart.schema is None:
            continue
        for path, known in _unknown(section, chart.schema, chart.schema, prefix):
            if "global" in path[1:]:
                continue  # a child's copy of the parent's globals: the parent's schema judges them
            found.append(Problem(path, f"unknown key{_suggestion(path[-1], known)}", origins.where(path)))
    return found


def _unknown(value: Any, schema: Any, root: dict, path: KeyPath) -> list[tuple[KeyPath, list[str]]]:
    found: list[tuple[KeyPath, list[str]]] = []

    # What each schema node says of a map's keys, worked out once: entries (gateways) share nodes.
    plan = IdentityMemo(lambda node: _key_plan(node, root), 1 << 16)

    # Plain recursion into a list, not chained generators: user values can hold hundreds of gateways.
    def visit(value: Any, schema: Any, path: KeyPath) -> None:
        if not isinstance(value, dict):
            return
        properties, extra, closed, extra_applies = plan(schema)
        if properties is None and not extra_applies:  # an open map (or no schema): nothing to check below
            return
        for key, sub in value.items():
            if properties is not None and key in properties:
                visit(sub, properties[key], path + (key,))
            elif extra_applies:
                visit(sub, extra, path + (key,))
            elif closed:
                found.append((path + (key,), sorted(properties)))

    visit(value, schema, path)
    return found


def _key_plan(schema: Any, root: dict) -> tuple[dict | None, Any, bool, bool]:
    """For a map under ``schema``: its listed properties, the schema of other keys, whether other
    keys are unknown (closed), and whether that schema of other keys applies."""
    resolved = _resolve(schema, root)
    if not isinstance(resolved, dict):
        return None, None, False, False
    properties = resolved.get("properties")
    extra = resolved.get("additionalProperties")
    opening = [k for k in _OPENING if k in resolved]
    closed = isinstance(properties, dict) and not opening
    extra_applies = isinstance(extra, dict) and all(k == "additionalProperties" for k in opening)
    return properties if isinstance(properties, dict) else None, extra, closed, extra_applies


def _resolve(schema: Any, root: dict) -> Any:
    """Follow local ``$ref``s (``#/definitions/x``); anything else stays as it is (and so open)."""
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#"):
        node: Any = root
        for part in schema["$ref"][1:].split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            node = node.get(part) if isinstance(node, dict) else None
        seen += 1
        if node is None or seen > 32:
            return None
        schema = node
    return schema


def _suggestion(key: Any, known: list[str]) -> str:
    """`` (did you mean replicaCount?)`` for the closest known key, or nothing."""
    if not isinstance(key, str) or not known:
        return ""
    folded = [k for k in known if k.lower() == key.lower()]
    close = folded or difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""
