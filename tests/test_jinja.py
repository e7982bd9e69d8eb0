"""Jinja's own language on meshcharts' compiled runtime: each expected text is what Jinja2 itself
renders for the template (checked against it when the runtime replaced the Jinja2 sandbox), so
these pin Jinja's scoping, loops, macros and blocks."""
from __future__ import annotations

import pytest

from meshcharts.api import RenderOptions, load, render_templates
from meshcharts.errors import TemplateError

VALUES = "nums: [3, 1, 2]\nd: {b: 2, a: 1}\ncnt: 3\nlst: [a, b, c]\n"


@pytest.fixture
def jinja(make_chart):
    """The text template ``t.yaml`` renders to (a failure raises its TemplateError)."""
    def run(template: str) -> str:
        opts = RenderOptions(chart=make_chart({"values.yaml": VALUES, "templates/t.yaml": template}))
        return render_templates(opts, *load(opts))["parent/templates/t.yaml"]
    return run


RENDERS = [
    # loops
    ("{% for i in Values.nums %}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.length }},{% endfor %}",
     "1true false 3,2false false 3,3false true 3,".replace(" ", "")),
    ("{% for i in Values.nums if i > 1 %}{{ loop.index }}={{ i }};{% endfor %}", "1=3;2=2;"),
    ("{% for i in [] %}x{% else %}none{% endfor %}", "none"),
    ("{% for k, v in Values.d | items %}{{ k }}{{ v }}{% endfor %}", "a1b2"),
    ("{% for i in [1, 2] %}{% for j in [] %}{% else %}{{ loop.index }}{% endfor %}{% endfor %}", "12"),
    ("{% for i in [1, 2] %}{{ loop.cycle('x', 'y') }}{{ loop.revindex }}{% endfor %}", "x2y1"),
    ("{% for i in [1, 1, 2] %}{{ loop.changed(i) }} {% endfor %}", "true false true "),
    ("{% for i in [1] %}{{ loop }}{% endfor %}", "<LoopContext 1/1>"),
    ("{% for i in [1, 2] %}{% macro m() %}{{ loop.index }}{% endmacro %}{{ m() }}{% endfor %}", "12"),
    ("{% for n in [{'v': 1, 'c': [{'v': 2, 'c': []}, {'v': 3}]}] recursive %}{{ n.v }}@{{ loop.depth }}"
     "({{ loop(n.c) }}){% endfor %}", "1@1(2@2()3@2())"),
    # scoping: a set inside a loop pass stays there and starts from the outer value each pass
    ("{% set x = 0 %}{% for i in [1, 2] %}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }}", "110"),
    ("{% for i in [1, 2] %}{% if i == 1 %}{% set y = 7 %}{% endif %}[{{ y }}]{% endfor %}", "[7][]"),
    ("{% if false %}{% set z = 1 %}{% endif %}[{{ z }}]", "[]"),
    ("{% set ns = namespace(n=0) %}{% for i in [1, 2, 3] %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", "6"),
    ("{% set x = 1 %}{% set y %}{% set x = 2 %}{{ x }}{% endset %}{{ x }} {{ y }}", "1 2"),
    ("{% set x = 1 %}{% set x %}[{{ x }}]{% endset %}{{ x }}", "[1]"),
    ("{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]", "3[]"),
    # macros
    ("{% macro m(a, b='B', c=none) %}[{{ a }}|{{ b }}|{{ c }}]{% endmacro %}{{ m(1) }}{{ m(1, c=3) }}{{ m(b=2, a=1) }}",
     "[1|B|][1|B|3][1|2|]"),
    ("{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, k=3) }}", "[1 2]map[k:3]"),
    ("{% set x = 'outer' %}{% macro m() %}[{{ x }}]{% set x = 1 %}[{{ x }}]{% endmacro %}{{ m() }}", "[outer][1]"),
    ("{% macro m(a=b, b=1) %}[{{ a }}]{% endmacro %}{{ m() }}", "[]"),
    ("{% set b = 'outer' %}{% macro m(a=b, b=1) %}[{{ a }}]{% endmacro %}{{ m() }}", "[]"),
    ("{% macro m() %}{% macro inner() %}{{ varargs }}{% endmacro %}{{ inner() }}{% endmacro %}{{ m(1) }}", "[]"),
    ("{% set a = 1 %}{% macro m() %}{{ a }}{% endmacro %}{% set a = 2 %}{{ m() }}", "2"),
    ("{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}", "321"),
    ("{% macro m() %}x{% endmacro %}{{ m }} {{ m.name }} {{ m.caller }} {{ caller is defined }}",
     "<Macro 'm'> m false false"),
    # blocks
    ("{% filter upper %}ab{% endfilter %}", "AB"),
    ("{% filter replace('a', 'b') | upper %}aaa{% endfilter %}", "BBB"),
    ("{% set v | trim %}  x  {% endset %}[{{ v }}]", "[x]"),
    ("{% block b %}in place{% endblock %}", "in place"),
    ("{% autoescape false %}<{{ '&' }}>{% endautoescape %}", "<&>"),
    # expressions and Jinja's built-ins
    ("{{ Values.lst | join(',') }} {{ Values.lst | map('upper') | list }} {{ Values.nums | sort | first }}",
     "a,b,c [A B C] 1"),
    ("{{ Values.nums | select('odd') | list }} {{ [{'a': 1}, {'a': 2}] | selectattr('a', 'even') | list }}",
     "[3 1] [map[a:2]]"),
    ("{{ nope | d('x') }} {{ 'toYaml' is filter }} {{ Values.lst is sequence }} {{ 'a' ~ 1 ~ none }}",
     "x true true a1None"),
    ("{{ 'x' if false }}|{{ (1 if Values.cnt > 2 else 2) }}|{{ Values.lst[1:] }}|{{ 7 // 2 }} {{ 2 ** 3 }}",
     "|1|[b c]|3 8"),
    ("{% set a = [1, [2]] %}{% set b = [1, [2]] %}{{ a is sameas b }} {{ a == b }}", "false true"),
    ("{{ range(3) | list }} {{ cycler('a', 'b').next() }} {% set j = joiner('-') %}{{ j() }}x{{ j() }}y",
     "[0 1 2] a x-y"),
]


@pytest.mark.parametrize(("template", "expected"), RENDERS, ids=[t[:60] for t, _ in RENDERS])
def test_jinja_renders_as_jinja2_does(jinja, template, expected):
    assert jinja(template) == expected


FAILURES = [
    ("x\n{{ Values.nope + 1 }}", "t.yaml:2: 'dict object' has no attribute 'nope'"),
    ("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}", "t.yaml:1: macro 'm' takes not more than 1 argument(s)"),
    ("{% macro m(a) %}{% endmacro %}{{ m(1, a=2) }}", "t.yaml:1: macro 'm' takes no keyword argument 'a'"),
    ("{% for loop in [1] %}{% endfor %}", "Can't assign to special loop variable in for-loop target"),
    ("{{ 1 | nofilter }}", "t.yaml:1: template syntax error: No filter named 'nofilter'."),
    ("{% if false %}{{ 1 | nofilter }}{% endif %}ok\n{{ 1 | nofilter if true }}",
     "t.yaml:2: No filter named 'nofilter' found."),  # inside an if: only when it runs
    ("{% if false %}{% for i in [1] if i | nofilter %}{% endfor %}{% endif %}",
     "template syntax error: No filter named 'nofilter'."),
    ("a\n{{ ('y' if false) + 1 }}", "t.yaml:2: the inline if-expression on line 2 in 'parent/templates/t.yaml' "
                                   "evaluated to false and no else section was defined."),
    ("{% block b %}{% endblock %}{% block b %}{% endblock %}", "block 'b' defined twice"),
    ("{% extends 'base' %}", "t.yaml:1: the extends tag is not supported in meshcharts templates"),
    ("{% for i in [1] %}{{ loop([2]) }}{% endfor %}", "The loop must have the 'recursive' marker"),
    ("{% autoescape true %}{% endautoescape %}", "only {% autoescape false %} is supported"),
    ("{% set ns = 1 %}{% set ns.x = nope.y %}", "cannot assign attribute on non-namespace object"),
    ("{{ " + "(" * 300 + "1" + ")" * 300 + " }}", "template nests expressions or tags too deeply to compile"),
    ("".join(f"{{% for i{n} in [1] %}}" for n in range(25)) + "{% endfor %}" * 25,
     "too deeply nested to compile (too many statically nested blocks)"),
]


@pytest.mark.parametrize(("template", "message"), FAILURES, ids=[t[:60] for t, _ in FAILURES])
def test_jinja_failures_are_located(jinja, template, message):
    with pytest.raises(TemplateError) as info:
        jinja(template)
    assert message in str(info.value)
    assert str(info.value).startswith("parent/templates/t.yaml")
