"""A live oracle for the compiled runtime: hypothesis writes templates and values, and
meshcharts' compiled code and Jinja2's own SandboxedEnvironment must print the same text, or both
fail. Jinja is given meshcharts' lookups (map keys, not Python attributes), missing value and
Helm's functions; its own built-in filters and tests, and its own objects (loop, namespace,
cycler, macros), stay Jinja's, so the runtime's versions of them are checked too.

FUZZ_EXAMPLES=N explores N fresh random examples instead of the fixed, reproducible sequence."""
from __future__ import annotations

import os

import jinja2
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace

from meshcharts.template import funcs, runtime
from meshcharts.template.engine import Engine

_EXPLORE = int(os.environ.get("FUZZ_EXAMPLES", "0"))
ORACLE = settings(max_examples=_EXPLORE or 200, derandomize=not _EXPLORE, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

ENGINE = Engine(persistent=False)
_JINJA_OBJECTS = (LoopContext, Macro, Namespace, Cycler, Joiner)


class _Missing(jinja2.Undefined):
    """Jinja makes meshcharts' missing value wherever it makes one of its own."""

    def __new__(cls, hint=None, obj=None, name=None, exc=None):
        return runtime.Undefined(name, hint)


class _Oracle(SandboxedEnvironment):
    """Jinja2 itself, reading data as meshcharts does (map keys, never Python attributes)."""

    def getattr(self, obj, attribute):
        if isinstance(obj, _JINJA_OBJECTS):
            return super().getattr(obj, attribute)
        return runtime.getattr_(obj, attribute)

    def getitem(self, obj, argument):
        if isinstance(obj, _JINJA_OBJECTS):
            return super().getitem(obj, argument)
        return runtime.getitem(obj, argument)


JINJA = _Oracle(undefined=_Missing, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                autoescape=False, finalize=runtime.finalize)
# Helm's functions are meshcharts' own on both sides; Jinja's built-ins are Jinja's own here, except
# those that ask whether a value is missing (the missing value is meshcharts').
_NATIVE = set(runtime.FILTERS) | {"select", "reject", "selectattr", "rejectattr", "map"}
JINJA.filters.update({name: f for name, f in ENGINE.table.filters.items() if name not in _NATIVE or name == "d"})
JINJA.tests.update({name: runtime.TESTS[name] for name in ("defined", "undefined")})
JINJA.globals.update(funcs.FUNCTIONS)


def _outcome(render):
    try:
        return "ok", render()
    except Exception as e:  # noqa: BLE001 - any failure counts as failing
        return "failed", type(e).__name__


def meshcharts_renders(template: str, values: dict):
    return _outcome(lambda: ENGINE.compile(template, "oracle.yaml").root({"Values": values}))


def jinja_renders(template: str, values: dict):
    return _outcome(lambda: JINJA.from_string(template).render(Values=values))


# --- templates ---------------------------------------------------------------------------------

# Expressions come in sorts, so that most templates render (a mix that fails on both sides proves
# little); the `any` sort mixes them, for the failures.
NAMES = st.sampled_from(["x", "y", "i"])


def _bin(left, ops, right):
    return st.tuples(left, st.sampled_from(ops), right).map(lambda t: f"({t[0]} {t[1]} {t[2]})")


def _piped(subject, filters):
    return st.tuples(subject, st.sampled_from(filters)).map(lambda t: f"({t[0]} | {t[1]})")


NUMS = st.deferred(lambda: st.one_of(
    st.integers(-3, 12).map(str), st.sampled_from(["Values.n", "Values.l[0]", "Values.m.a", "x"]),
    _bin(NUMS, ["+", "-", "*", "//", "%"], NUMS),
    _piped(LISTS, ["length", "count"]), _piped(INT_LISTS, ["sum", "min", "max", "first", "last"]),
    _piped(PEOPLE, ["sum(attribute='age')", "length"]), _piped(NUMS, ["abs", "int", "float"]),
    _piped(TEXTS, ["length", "int"]),
))
TEXTS = st.deferred(lambda: st.one_of(
    st.sampled_from(["'a'", "'B'", "'b c'", "''", "'10'", "Values.s", "Values.w[-1]", "y"]),
    _bin(TEXTS, ["~", "+"], TEXTS), _bin(TEXTS, ["~"], ANY),
    _piped(TEXTS, ["upper", "lower", "capitalize", "trim", "quote", "string", "d('D')", "default('D')"]),
    _piped(LISTS, ["join(',')", "join", "string", "toJson"]), _piped(WORD_LISTS, ["min", "max", "first", "last"]),
    st.tuples(TEXTS, NUMS).map(lambda t: f"printf('%v-%d', {t[0]}, {t[1]})"),
))
INT_LISTS = st.deferred(lambda: st.one_of(
    st.sampled_from(["Values.l", "Values.l[1:]", "[]", "[3, 1, 2]", "range(4)"]),
    st.lists(NUMS, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
    _piped(INT_LISTS, ["sort", "sort(reverse=true)", "unique | list", "select('odd') | list",
                       "reject('even') | list", "reverse | list", "list"]),
    _piped(PEOPLE, ["map(attribute='age') | list", "sort(attribute='age') | map(attribute='age') | list"]),
))
WORD_LISTS = st.deferred(lambda: st.one_of(
    st.sampled_from(["Values.w", "['b', 'A', 'a']", "list('x', 'Y')", "Values.m | keys"]),
    _piped(WORD_LISTS, ["sort", "sort(case_sensitive=true)", "unique | list", "unique(true) | list",
                        "map('upper') | list", "map('lower') | sort | list", "reverse | list"]),
    _piped(PEOPLE, ["map(attribute='name') | list"]),
))
PEOPLE = st.deferred(lambda: st.one_of(
    st.just("Values.people"),
    _piped(PEOPLE, ["sort(attribute='age,name')", "unique(attribute='age') | list",
                    "selectattr('age', 'gt', 25) | list", "rejectattr('name', 'lower') | list"]),
))
MAPS = st.one_of(st.sampled_from(["Values.m", "{'b': 1, 'a': 2}", "dict('k', 1)", "{}"]))
LISTS = st.one_of(INT_LISTS, WORD_LISTS, PEOPLE, _piped(MAPS, ["dictsort", "dictsort(by='value')",
                                                               "dictsort(reverse=true)", "items"]))
BOOLS = st.deferred(lambda: st.one_of(
    st.sampled_from(["true", "false", "none", "Values.none", "Values.nope", "Values.m.nope"]),
    _bin(NUMS, ["==", "!=", "<", ">="], NUMS),
    _bin(TEXTS, ["==", "in", "not in"], TEXTS), _bin(NUMS, ["in", "not in"], INT_LISTS),
    _bin(BOOLS, ["and", "or"], ANY), BOOLS.map(lambda e: f"(not {e})"),
    st.tuples(ANY, st.sampled_from(["defined", "undefined", "none", "number", "string", "odd", "even",
                                    "mapping", "sequence", "iterable", "boolean", "integer", "lower", "upper",
                                    "eq 3", "in [1, 2]", "sameas none", "divisibleby 3"]), st.booleans()).map(
        lambda t: f"({t[0]} is {'not ' if t[2] else ''}{t[1]})"),
))
ANY = st.deferred(lambda: st.one_of(
    NUMS, TEXTS, LISTS, MAPS, BOOLS,
    st.tuples(ANY, BOOLS, ANY).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
))
EXPRESSIONS = ANY
TEXT = st.sampled_from(["a", " ", "\n", "  b\n", "-", "x: ", "\n\n"])
OPEN = st.sampled_from(["{%", "{%-", "{%+"])
CLOSE = st.sampled_from(["%}", "-%}", "+%}"])


def _tag(body: str):
    return st.tuples(st.sampled_from(["", "  ", "\n", "\n  "]), OPEN, CLOSE).map(
        lambda t: f"{t[0]}{t[1]} {body} {t[2]}")


LOOP_FIELDS = st.sampled_from(["", "{{ loop.index }}", "{{ loop.first }}-{{ loop.last }}", "{{ loop.length }}",
                               "{{ loop.revindex0 }}", "{{ loop.cycle('o', 'e') }}"])


def _statements(inner):
    block = st.lists(inner, min_size=0, max_size=3).map("".join)
    return st.one_of(
        st.tuples(BOOLS, block, block, st.booleans()).flatmap(lambda t: st.tuples(
            _tag(f"if {t[0]}"), st.just(t[1]), _tag("else") if t[3] else st.just(""), st.just(t[2] if t[3] else ""),
            _tag("endif")).map("".join)),
        st.tuples(NAMES, LISTS, block, block, st.booleans(), LOOP_FIELDS).flatmap(lambda t: st.tuples(
            _tag(f"for {t[0]} in {t[1]}"), st.just(t[5] + t[2]), _tag("else") if t[4] else st.just(""),
            st.just(t[3] if t[4] else ""), _tag("endfor")).map("".join)),
        st.tuples(NAMES, EXPRESSIONS).flatmap(lambda t: _tag(f"set {t[0]} = {t[1]}")),
        st.tuples(NAMES, EXPRESSIONS, block).flatmap(lambda t: st.tuples(
            _tag(f"with {t[0]} = {t[1]}"), st.just(t[2]), _tag("endwith")).map("".join)),
        st.tuples(NAMES, block).flatmap(lambda t: st.tuples(
            _tag(f"set {t[0]}"), st.just(t[1]), _tag("endset")).map("".join)),
        st.tuples(block, EXPRESSIONS).flatmap(lambda t: st.tuples(
            _tag("macro m(x, y=2)"), st.just(t[0]), _tag("endmacro"), st.just(f"{{{{ m({t[1]}) }}}}")).map("".join)),
    )


OUTPUT = st.one_of(TEXT, EXPRESSIONS.map(lambda e: f"{{{{ {e} }}}}"),
                   EXPRESSIONS.map(lambda e: f"{{{{- {e} -}}}}"))
TEMPLATES = st.recursive(OUTPUT, _statements, max_leaves=8)
PROGRAMS = st.lists(TEMPLATES, min_size=1, max_size=4).map("".join)

WORDS = st.sampled_from(["a", "B", "b", "C", "10", "", "x y"])
VALUES = st.fixed_dictionaries({
    "n": st.integers(-5, 40), "s": WORDS, "l": st.lists(st.integers(-3, 9), max_size=4),
    "w": st.lists(WORDS, min_size=1, max_size=4), "m": st.dictionaries(WORDS, st.integers(0, 5), max_size=3),
    "none": st.none(),
    "people": st.lists(st.fixed_dictionaries({"name": WORDS, "age": st.integers(18, 40)}), max_size=3),
})


@ORACLE
@given(template=PROGRAMS, values=VALUES)
@example(template=(  # every option of the filters done natively, at least once
    "{{ Values.l | sort(reverse=true) }}|{{ Values.w | sort }}|{{ Values.w | sort(case_sensitive=true) }}|"
    "{{ Values.people | sort(attribute='age,name') }}|{{ Values.l | min }}{{ Values.l | max }}{{ Values.w | min }}"
    "{{ Values.w | max(case_sensitive=true) }}|{{ Values.people | min(attribute='age') }}|{{ Values.l | sum }}"
    "{{ Values.people | sum(attribute='age', start=1) }}|{{ Values.w | unique | list }}"
    "{{ Values.w | unique(true) | list }}{{ Values.people | unique(attribute='age') | list }}|{{ Values.m | dictsort }}"
    "{{ Values.m | dictsort(true, 'value', true) }}{{ Values.m | dictsort(by='value') }}|{{ [] | min }}{{ [] | sum }}"
    "{{ Values.w | select('upper') | list }}{{ Values.people | rejectattr('age', 'lt', 25) | map(attribute='name') | join(',') }}"),
    values={"n": 1, "s": "a", "l": [3, 1, 2], "w": ["b", "A", "a", "B"], "m": {"b": 2, "A": 1, "a": 3}, "none": None,
            "people": [{"name": "p", "age": 30}, {"name": "Q", "age": 20}, {"name": "r", "age": 30}]})
@example(template="{% set x = 0 %}{% for i in Values.l %}{% set x = x + i %}{{ loop.index }}{% endfor %}{{ x }}",
         values={"n": 1, "s": "a", "l": [3, 1], "w": ["a"], "m": {}, "none": None, "people": []})
def test_compiled_code_prints_what_jinja_prints(template, values):
    ours, jinjas = meshcharts_renders(template, values), jinja_renders(template, values)
    assert ours == jinjas or ours[0] == jinjas[0] == "failed", template


def test_the_oracle_can_tell_them_apart():
    """The comparison is not vacuous: templates that render, and a difference shows."""
    values = {"l": [3, 1, 2], "m": {"b": 1, "a": 2}}
    assert meshcharts_renders("{{ Values.l | sort }} {{ Values.m | dictsort }}", values) == (
        "ok", "[1 2 3] [[a 2] [b 1]]")
    assert jinja_renders("{{ Values.l | sort }} {{ Values.m | dictsort }}", values) == ("ok", "[1 2 3] [[a 2] [b 1]]")
    assert meshcharts_renders("{{ Values.l.x }}", values)[0] == jinja_renders("{{ Values.l.x }}", values)[0] == "failed"


@pytest.mark.parametrize("template", [
    "{% for i in [1, 2] %}{% set y = i %}{% endfor %}[{{ y }}]",
    "{% macro m(x, y=2) %}{{ x }}{{ y }}{{ varargs }}{% endmacro %}{{ m(1) }}{{ m(1, 3, 4) }}",
    "{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}",
    "{% for i in [1, 2, 3] if i > 1 %}{{ loop.index }}{{ loop.last }}{% else %}none{% endfor %}",
    "a\n  {% if true %}\n  b\n  {%- endif %}\n{%+ if 1 %} c {% endif -%}\n d",
    "{{ Values.w | map('lower') | unique | sort | join }}",
])
def test_hand_written_cases_agree(template):
    values = {"w": ["b", "A", "a"]}
    ours = meshcharts_renders(template, values)
    assert ours[0] == "ok" and ours == jinja_renders(template, values)


def test_a_literal_tested_for_none_compiles_without_a_python_warning():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert meshcharts_renders("{{ 3 is none }} {{ none is none }} {{ 'a' is not none }}", {}) == (
            "ok", "false true true")
