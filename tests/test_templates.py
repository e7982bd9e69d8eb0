"""The template language: Helm's objects, include/define across charts, tpl, Helm's functions
with Go and sprig semantics, number printing and missing keys.

Most tests render one line ``out=[...]`` and compare what stands between the brackets, so
whitespace the function produced is part of the assertion."""
from __future__ import annotations

import re

import pytest

from meshcharts.api import RenderOptions, load, render_templates
from meshcharts.errors import TemplateError

VALUES = """\
s: text
num: 5
zero: 0
f1: 1.0
f100: 100.0
f15: 1.5
big: 1000000
huge: 12345678
tiny: 0.00001
t: true
fl: false
empty: ""
lst: [a, b]
m: {b: 2, a: 1}
nul: null
multi: "a\\nb\\n"
tplsrc: "{{ Release.Name }}-{{ Values.s }}"
"""


@pytest.fixture
def out(make_chart):
    """Render ``out=[EXPR-TEMPLATE]`` in a chart with VALUES; return what is inside the brackets.
    The template's text is taken from the engine: what a function prints need not be YAML."""
    def run(body: str, values: str = VALUES, extra: dict[str, str] | None = None, **options) -> str:
        spec = {"values.yaml": values, "templates/t.yaml": f"out=[{body}]\n", **(extra or {})}
        opts = RenderOptions(chart=make_chart(spec), **options)
        text = render_templates(opts, *load(opts))["parent/templates/t.yaml"]
        m = re.fullmatch(r"out=\[(.*)\]\n", text, re.S)
        assert m, text
        return m.group(1)
    return run


# --- built-in objects -----------------------------------------------------------------------

OBJECTS = [
    ("{{ Values.s }}", "text"),
    ("{{ Release.Name }}/{{ Release.Namespace }}", "rel/ns"),
    ("{{ Release.Service }} {{ Release.Revision }} {{ Release.IsInstall }} {{ Release.IsUpgrade }}",
     "Helm 1 true false"),
    ("{{ Chart.Name }} {{ Chart.Version }} {{ Chart.AppVersion }} {{ Chart.IsRoot }}", "parent 0.3.1 0.12 true"),
    ("{{ Chart.Description }}|{{ Chart.notAField }}", "demo chart|"),
    ("{{ Capabilities.KubeVersion }} {{ Capabilities.KubeVersion.Major }} {{ Capabilities.KubeVersion.Minor }}",
     "v1.36.0 1 36"),
    ("{{ Template.Name }} {{ Template.BasePath }}", "parent/templates/t.yaml parent/templates"),
    ("{{ root.Values.s }} {{ root.Release.Name }}", "text rel"),
]


@pytest.mark.parametrize(("body", "expected"), OBJECTS, ids=["values", "release-name-namespace", "release-fixed",
                                                               "chart", "chart-other-fields", "capabilities",
                                                               "template", "root"])
def test_builtin_objects(out, body, expected):
    extra = {"Chart.yaml": "apiVersion: v1\nname: parent\nversion: 0.3.1\nappVersion: 0.12\ndescription: demo chart\n"}
    assert out(body, extra=extra, name="rel", namespace="ns") == expected


def test_child_objects_are_its_own(render_chart):
    manifest = render_chart({
        "charts/kid/Chart.yaml": "name: kid\nversion: 2.0.0\n",
        "charts/kid/templates/k.yaml": "kind: T\nv: {{ Chart.Name }} {{ Chart.Version }} {{ Chart.IsRoot }} "
                                       "{{ Template.Name }} {{ Template.BasePath }}\n"})
    assert manifest.documents[0].object["v"] == "kid 2.0.0 false parent/charts/kid/templates/k.yaml " \
                                                "parent/charts/kid/templates"


@pytest.mark.parametrize(("body", "options", "expected"), [
    ('{{ Capabilities.APIVersions.Has("apps/v1") }}', {}, "true"),
    ('{{ Capabilities.APIVersions.Has("autoscaling/v2beta1") }}', {}, "false"),
    ('{{ Capabilities.APIVersions.Has("mesh.example.io/v1") }}', {}, "false"),
    ('{{ Capabilities.APIVersions.Has("mesh.example.io/v1") }}', {"api_versions": ["mesh.example.io/v1"]}, "true"),
    ('{{ Capabilities.APIVersions.Has("apps/v1") }}', {"api_versions": ["mesh.example.io/v1"]}, "true"),
    ("{{ Capabilities.KubeVersion.Version }} {{ Capabilities.KubeVersion.Minor }}", {"kube_version": "v1.20.3"},
     "v1.20.3 20"),
    ("{{ Capabilities.KubeVersion }}", {"kube_version": "1.9"}, "v1.9.0"),
], ids=["has-default", "lacks-removed", "lacks-custom", "api-versions-adds", "api-versions-keeps-defaults",
        "kube-version", "kube-version-normalised"])
def test_capabilities(out, body, options, expected):
    assert out(body, **options) == expected


FILES = {
    "conf/b.txt": "bee\n",
    "conf/a.txt": "ay",
    "conf/sub/c.txt": "sea",
    "data.json": '{"k": "{{ not a template }}"}',
    ".env": "dotted",
    "env": "plain",
}


@pytest.mark.parametrize(("body", "expected"), [
    ('{{ Files.Get("conf/a.txt") }}', "ay"),
    ('{{ Files.Get("data.json") }}', '{"k": "{{ not a template }}"}'),
    ('{{ Files.Get("absent.txt") }}', ""),
    ('{{ Files.Get("./.env") }}|{{ Files.Get(".env") }}|{{ Files.Get("./conf/a.txt") }}', "dotted|dotted|ay"),
    ('{% for p, t in Files.Glob("conf/*.txt") | items %}{{ p }}={{ t | trim }};{% endfor %}',
     "conf/a.txt=ay;conf/b.txt=bee;"),
    ('{{ Files.Glob("conf/*.txt").AsConfig() }}', "a.txt: ay\nb.txt: |\n  bee"),
    ('{{ Files.Glob("nothing/*").AsConfig() }}', ""),
    ('{{ Files.Get("values.yaml") }}|{{ Files.Get("Chart.yaml") }}|{{ Files.Get("templates/t.yaml") }}', "||"),
    ('{{ Files.Get("../outside.txt") }}|{{ Files.Get("/etc/hostname") }}', "|"),
    ('{{ Files.Glob("conf/[z-a].txt") }}|{{ Files.Glob("conf/[") }}', "map[]|map[]"),
], ids=["get", "get-is-never-templated", "get-missing", "get-strips-a-dot-slash-prefix-only", "glob-sorted-one-level", "as-config", "as-config-empty",
        "chart-own-files-excluded", "no-read-outside-chart", "glob-that-does-not-compile-matches-nothing"])
def test_files(out, body, expected):
    assert out(body, extra=FILES) == expected


def test_files_are_per_chart(render_chart):
    manifest = render_chart({"shared.txt": "parent", "charts/kid/shared.txt": "kid",
                             "templates/a.yaml": "kind: T\nv: {{ Files.Get('shared.txt') }}\n",
                             "charts/kid/templates/a.yaml": "kind: T\nv: {{ Files.Get('shared.txt') }}\n"})
    assert {d.source: d.object["v"] for d in manifest.documents} == {
        "parent/templates/a.yaml": "parent", "parent/charts/kid/templates/a.yaml": "kid"}


def test_files_cannot_reach_outside_the_chart(make_chart):
    from meshcharts import render
    chart = make_chart({"templates/t.yaml": "kind: T\nv: '{{ Files.Get(\"../secret.txt\") }}'\n"})
    (chart.parent / "secret.txt").write_text("leaked")
    assert render(chart=chart).documents[0].object["v"] == ""


# --- include / define -----------------------------------------------------------------------

def test_include_passes_root_and_keeps_caller_template(render_chart):
    manifest = render_chart({
        "templates/_h.tpl": '{% define "who" %}{{ Values.s }}@{{ Template.Name }}{% enddefine %}',
        "templates/a.yaml": 'kind: T\nv: {{ include("who", root) }}\n',
        "charts/kid/values.yaml": "s: kid-value\n",
        "charts/kid/templates/k.yaml": 'kind: T\nv: {{ include("who", root) }}\n',
        "values.yaml": "s: parent-value\n"})
    assert {d.source: d.object["v"] for d in manifest.documents} == {
        "parent/templates/a.yaml": "parent-value@parent/templates/a.yaml",
        "parent/charts/kid/templates/k.yaml": "kid-value@parent/charts/kid/templates/k.yaml"}


def test_include_with_plain_argument_binds_dot(out):
    assert out('{{ include("d", Values.m) }}', extra={
        "templates/_h.tpl": '{% define "d" %}{{ dot.a }}+{{ dot.b }}{% enddefine %}'}) == "1+2"


@pytest.mark.parametrize(("body", "expected"), [
    ('{% set ns = namespace(i=0) %}{% for x in [1, 2, 3] %}{% set ns.i = ns.i + 1 %}{{ include("i", ns) }}'
     '{% endfor %}', "123"),
    ('{% for x in [1, 2, 3] %}{{ include("index", loop) }}{% endfor %}', "123"),
    ('{% set c = cycler("a", "b") %}{{ include("current", c) }}{{ c.next() and "" }}{{ include("current", c) }}',
     "ab"),
], ids=["namespace", "loop", "cycler"])
def test_include_of_an_object_that_changes_renders_it_again(out, body, expected):
    defines = ('{% define "i" %}{{ dot.i }}{% enddefine %}{% define "index" %}{{ dot.index }}{% enddefine %}'
               '{% define "current" %}{{ dot.current }}{% enddefine %}')
    assert out(body, extra={"templates/_h.tpl": defines}) == expected


def test_include_result_pipes_into_filters(out):
    assert out('{{ include("d", root) | indent(2) }}', extra={
        "templates/_h.tpl": '{% define "d" %}\nx: 1\ny: 2\n{% enddefine %}'}) == "  x: 1\n  y: 2\n  "


DEFINE_CLASHES = [
    # (files defining "n" -> text, template that includes it, expected)
    ({"templates/_h.tpl": "parent", "charts/kid/templates/_h.tpl": "kid"}, "charts/kid/templates/k.yaml", "parent"),
    ({"templates/_h.tpl": "parent", "charts/kid/templates/_h.tpl": "kid"}, "templates/k.yaml", "parent"),
    ({"templates/b_def.yaml": "b", "templates/a_def.yaml": "a"}, "templates/k.yaml", "a"),
    ({"charts/one/templates/_h.tpl": "one", "charts/two/templates/_h.tpl": "two"}, "charts/two/templates/k.yaml",
     "one"),
    ({"templates/deep/_h.tpl": "deep", "templates/_z.tpl": "shallow"}, "templates/k.yaml", "shallow"),
    ({"charts/kid/templates/_h.tpl": "kid-only"}, "templates/k.yaml", "kid-only"),
]


@pytest.mark.parametrize(("defines", "caller", "expected"), DEFINE_CLASHES, ids=[
    "parent-beats-child-in-child", "parent-beats-child-in-parent", "same-depth-alphabetical",
    "sibling-alphabetical", "shallow-beats-deep", "parent-sees-child-define"])
def test_define_precedence_across_charts(render_chart, defines, caller, expected):
    spec = {path: f'{{% define "n" %}}{text}{{% enddefine %}}' for path, text in defines.items()}
    spec[caller] = 'kind: T\nv: {{ include("n", root) }}\n'
    manifest = render_chart(spec)
    assert [d.object["v"] for d in manifest.documents if d.source.endswith(caller)] == [expected]


def test_define_in_ordinary_template_does_not_print(render_chart):
    manifest = render_chart(
        {"templates/a.yaml": 'kind: T\n{% define "x" %}hidden{% enddefine %}\nv: {{ include("x", root) }}\n'})
    assert manifest.documents[0].text == "kind: T\nv: hidden"


DEFINE_SYNTAX = [
    # (template text, what it prints, define "x" renders to, or None: there is no define "x")
    ('a\n  {% define "x" %}\nbody\n  {% enddefine %}\nb', "a\nb", "body\n"),
    ('a {%- define "x" -%}  body  {%- enddefine -%} b', "ab", "body"),
    ('{% define "x" +%}\nbody\n{% enddefine %}', "", "\nbody\n"),
    ('{# {% define "x" %}in a comment{% enddefine %} #}kept', "kept", None),
    ('{% raw %}{% define "x" %}raw{% enddefine %}{% endraw %}', '{% define "x" %}raw{% enddefine %}', None),
    ('{% define "x" %}{% raw %}{% enddefine %}{% endraw %}{% enddefine %}', "", "{% enddefine %}"),
    ('{% define "x" %}{% set v = 1 %}{{ v }}{% enddefine %}{{ v }}', "", "1"),
    ('{% define "x\\"y" %}q{% enddefine %}{{ include("x\\"y", root) }}', "q", None),
]


@pytest.mark.parametrize(("text", "printed", "body"), DEFINE_SYNTAX, ids=[
    "lstrip-and-trim-blocks", "minus-markers", "plus-keeps-the-newline", "comment-is-not-a-define",
    "raw-block-is-not-a-define", "raw-block-inside-a-define", "define-has-its-own-scope", "escaped-name"])
def test_define_is_a_tag_of_the_template_language(out, text, printed, body):
    """Jinja's lexer reads define tags: comments, raw blocks and whitespace control as for any
    block tag, and the body is a template of its own."""
    assert out(text) == printed
    included = 'v: {{ include("x", root) }}'
    if body is None:
        with pytest.raises(TemplateError, match='no template "x"'):
            out(included, extra={"templates/_h.tpl": text})
    else:
        assert out('{{ include("x", root) }}', extra={"templates/_h.tpl": text}) == body


def test_define_inside_another_tag_is_refused(render_chart):
    with pytest.raises(TemplateError, match=r"parent/templates/a.yaml:2: define must stand at the top level"):
        render_chart({"templates/a.yaml": 'kind: T\n{% if true %}{% define "x" %}{% enddefine %}{% endif %}\n'})


def test_include_of_unknown_define_is_an_error(render_chart):
    with pytest.raises(TemplateError, match=r'parent/templates/a.yaml:2: no template "nope"'):
        render_chart({"templates/a.yaml": 'kind: T\nv: {{ include("nope", root) }}\n'})


def test_error_inside_define_names_its_line_and_the_caller(render_chart):
    with pytest.raises(TemplateError) as info:
        render_chart({"templates/_h.tpl": '{# helpers #}\n{% define "bad" %}\n{{ Values.missing.x }}\n{% enddefine %}',
                      "templates/a.yaml": 'kind: T\n\nv: {{ include("bad", root) }}\n'})
    assert str(info.value).splitlines() == [
        "parent/templates/_h.tpl:3: nil pointer evaluating interface {}.x",
        "  included from parent/templates/a.yaml:3"]


def test_error_inside_tpl_names_the_calling_template(render_chart):
    with pytest.raises(TemplateError) as info:
        render_chart({"values.yaml": "src: '{{ Values.absent.x }}'\n",
                      "templates/a.yaml": "kind: T\nv: {{ tpl(Values.src, root) }}\n"})
    assert str(info.value).splitlines() == [
        "parent/templates/a.yaml (tpl):1: nil pointer evaluating interface {}.x",
        "  included from parent/templates/a.yaml:2"]


def test_recursive_include_is_an_error_not_a_crash(render_chart):
    with pytest.raises(TemplateError, match="nested more than|recursion"):
        render_chart({"templates/_h.tpl": '{% define "loop" %}{{ include("loop", root) }}{% enddefine %}',
                      "templates/a.yaml": 'kind: T\nv: {{ include("loop", root) }}\n'})


# --- tpl, required, fail --------------------------------------------------------------------

@pytest.mark.parametrize(("body", "expected"), [
    ("{{ tpl(Values.tplsrc, root) }}", "rel-text"),
    ('{{ tpl("{{ include(\\"d\\", root) }}", root) }}', "defined"),
    ('{{ tpl("{{ Template.Name }}", root) }}', "parent/templates/t.yaml"),
    ("{{ Values.tplsrc }}", "{{ Release.Name }}-{{ Values.s }}"),
], ids=["renders-value", "sees-defines", "keeps-template", "values-are-never-evaluated"])
def test_tpl(out, body, expected):
    assert out(body, extra={"templates/_h.tpl": '{% define "d" %}defined{% enddefine %}'}, name="rel") == expected


@pytest.mark.parametrize(("body", "expected"), [
    ('{{ required("need s", Values.s) }}', "text"),
    ('{{ required("need zero", Values.zero) }}', "0"),
    ('{{ required("need fl", Values.fl) }}', "false"),
], ids=["present", "zero-passes", "false-passes"])
def test_required_passes(out, body, expected):
    assert out(body) == expected


@pytest.mark.parametrize("body", [
    '{{ required("need it", Values.absent) }}',
    '{{ required("need it", Values.empty) }}',
    '{{ required("need it", Values.nul) }}',
    '{{ fail("need it") }}',
], ids=["required-missing", "required-empty-string", "required-null", "fail"])
def test_required_and_fail_stop_with_the_authors_message(render_chart, body):
    with pytest.raises(TemplateError) as info:
        render_chart({"values.yaml": VALUES, "templates/t.yaml": f"kind: T\n\nv: {body}\n"})
    assert str(info.value) == "parent/templates/t.yaml:3: need it"


# --- functions ------------------------------------------------------------------------------

FUNCTIONS = [
    ("{{ Values.m | toYaml }}", "a: 1\nb: 2"),
    ("{{ Values.lst | toYaml }}", "- a\n- b"),
    ('{{ dict("k", "true") | toYaml }}', 'k: "true"'),
    ("{{ Values.absent | toYaml }}", "null"),
    ("{{ Values.m | toJson }}", '{"a":1,"b":2}'),
    ('{{ "<a&b>" | toJson }}', '"\\u003ca\\u0026b\\u003e"'),
    ("{{ Values.f1 | toJson }}", "1"),
    ('{{ ("a: 1\\nb: [x, z]" | fromYaml).b[1] }}', "z"),
    ('{{ ("a: [" | fromYaml).Error != "" }}', "true"),
    ('{{ "a\\nb\\n" | indent(2) }}', "  a\n  b\n  "),
    ('{{ "a\\n\\nb" | indent(3) }}', "   a\n   \n   b"),
    ('{{ "a\\nb" | nindent(2) }}', "\n  a\n  b"),
    ('{{ "x" | quote }}', '"x"'),
    ('{{ "say \\"hi\\"\\t" | quote }}', '"say \\"hi\\"\\t"'),
    ("{{ Values.f1 | quote }}", '"1"'),
    ("{{ Values.absent | quote }}", ""),
    ("{{ Values.t | squote }}", "'true'"),
    ('{{ Values.absent | default("d") }}', "d"),
    ('{{ Values.empty | default("d") }}', "d"),
    ('{{ Values.zero | default("d") }}', "d"),
    ('{{ Values.fl | default("d") }}', "d"),
    ('{{ list() | default("d") }}', "d"),
    ('{{ dict() | default("d") }}', "d"),
    ('{{ Values.nul | default("d") }}', "d"),
    ('{{ Values.s | default("d") }}', "text"),
    ('{{ Values.t | default("d") }}', "true"),
    ('{{ "abcdef" | trunc(3) }}', "abc"),
    ('{{ "abcdef" | trunc(-2) }}', "ef"),
    ('{{ "abc" | trunc(63) }}', "abc"),
    ('{{ "name--" | trimSuffix("-") }}', "name-"),
    ('{{ "prefix-name" | trimPrefix("prefix-") }}', "name"),
    ('{{ "1.0.6+build" | replace("+", "_") }}', "1.0.6_build"),
    ('{{ "docker.io/img" | contains("/") }} {{ "img" | contains("/") }}', "true false"),
    ('{{ "hello" | b64enc }}', "aGVsbG8="),
    ('{{ "hello" | sha256sum }}', "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
    ('{{ "a/b/c.yaml" | base }}', "c.yaml"),
    ('{{ semverCompare(">=1.9", "1.10.0") }} {{ semverCompare(">=1.9", "1.8.2") }}', "true false"),
    ('{{ semverCompare(">=1.9-0", "v1.10.0-gke.1") }} {{ semverCompare("^1.2", "1.9.9") }}', "true true"),
    ('{{ semverCompare("~1.2.0", "1.3.0") }} {{ semverCompare("1.x", "1.7.0") }}', "false true"),
    ('{{ printf("%s-%s", Release.Name, "x") }}', "rel-x"),
    ('{{ printf("%v|%v|%v", Values.num, Values.t, Values.lst) }}', "5|true|[a b]"),
    ('{{ printf("%s", Values.absent) }}|{{ printf("%v", Values.absent) }}', "%!s(<nil>)|<nil>"),
    ('{{ printf("%q", "a") }}{{ printf("%5s|%-3s|", "ab", "c") }}', '"a"   ab|c  |'),
    ('{{ "12" | int }} {{ Values.f15 | int }} {{ "x" | int }}', "12 1 0"),
    ('{% for k, v in Values.m | items %}{{ k }}={{ v }};{% endfor %}', "a=1;b=2;"),
    ('{% for k, v in Values.absent | items %}x{% else %}none{% endfor %}', "none"),
    ("{{ Values.t and Values.s }}|{{ Values.zero or Values.empty or 'x' }}|{{ Values.zero and Values.absent.x }}",
     "text|x|0"),
    ('{{ Values.lst }} {{ Values.m }}', "[a b] map[a:1 b:2]"),
    ('{{ dict("a", 1, "b") }}', "map[a:1 b:]"),
    ('{{ printf("%.1f|%f|%e", Values.f15, "x", Values.t) }}', "1.5|%!f(string=x)|%!e(bool=true)"),
]


@pytest.mark.parametrize(("body", "expected"), FUNCTIONS, ids=[
    "toYaml-map", "toYaml-list", "toYaml-quotes-ambiguous", "toYaml-missing", "toJson-sorted", "toJson-escapes-html",
    "toJson-whole-float", "fromYaml", "fromYaml-error", "indent-sprig", "indent-blank-lines", "nindent", "quote",
    "quote-escapes", "quote-number", "quote-missing", "squote", "default-missing", "default-empty-string",
    "default-zero", "default-false", "default-empty-list", "default-empty-map", "default-null", "default-keeps",
    "default-keeps-true", "trunc", "trunc-negative", "trunc-short", "trimSuffix-once", "trimPrefix", "replace",
    "contains", "b64enc", "sha256sum", "base", "semverCompare", "semverCompare-prerelease-caret",
    "semverCompare-tilde-wildcard", "printf", "printf-v", "printf-nil", "printf-q-width", "int", "items-sorted",
    "items-missing", "and-or-return-operands", "list-map-printing", "dict-odd-arguments", "printf-f-of-non-number"])
def test_functions(out, body, expected):
    assert out(body, name="rel") == expected


# --- numbers and missing values -------------------------------------------------------------

@pytest.mark.parametrize(("key", "expected"), [
    ("f1", "1"), ("f100", "100"), ("f15", "1.5"), ("big", "1e+06"), ("huge", "1.2345678e+07"), ("tiny", "1e-05"),
    ("num", "5"), ("t", "true"), ("fl", "false"),
], ids=["1.0", "100.0", "1.5", "1000000", "12345678", "0.00001", "int", "true", "false"])
def test_number_printing_from_values_file(out, key, expected):
    assert out(f"{{{{ Values.{key} }}}}") == expected


@pytest.mark.parametrize(("body", "expected"), [
    ("{{ Values.absent }}", ""),
    ("{{ Values.nul }}", ""),
    ("{{ Values.m.absent }}", ""),
    ("{{ Values['absent'] }}", ""),
    ("{% if Values.absent %}yes{% else %}no{% endif %}", "no"),
    ("{% if Values.absent is defined %}yes{% else %}no{% endif %}", "no"),
], ids=["missing", "null", "missing-in-map", "subscript", "falsy", "not-defined"])
def test_missing_key_prints_empty(out, body, expected):
    assert out(body) == expected


@pytest.mark.parametrize(("body", "fragment"), [
    ("{{ Values.absent.x }}", "nil pointer evaluating interface {}.x"),
    ("{{ Values.absent['x'] }}", "nil pointer"),
    ("{{ Values.s.x }}", "can't evaluate field x in type string"),
    ("{{ Values.lst.x }}", "can't evaluate field x"),
    ("{{ Values.t.x }}", "can't evaluate field x in type bool"),
    ("{{ Values.s.upper() }}", "can't evaluate field upper"),
    ("{{ Values.lst[5] }}", "index out of range"),
    ("{{ Values.s.__class__ }}", "can't evaluate field __class__"),
    ("{% for k, v in Values.s | items %}{% endfor %}", "range can't iterate over text"),
    ('{{ semverCompare(">1.0", Values.s) }}', "invalid semantic version 'text'"),
], ids=["through-missing", "subscript-through-missing", "field-of-string", "field-of-list", "field-of-bool",
        "no-python-methods", "index-out-of-range", "no-dunder", "range-over-string", "function-error"])
def test_reading_through_a_missing_key_is_an_error_with_file_and_line(render_chart, body, fragment):
    with pytest.raises(TemplateError) as info:
        render_chart({"values.yaml": VALUES, "templates/t.yaml": f"kind: T\nok: 1\nv: {body}\n"})
    assert str(info.value).startswith("parent/templates/t.yaml:3: ")
    assert fragment in str(info.value)


@pytest.mark.parametrize(("text", "line"), [
    ("kind: T\n{% if %}\n", 2),
    ("kind: T\n\n\n{{ Values.s \n", 4),
    ("kind: T\n{% for x in Values.lst %}\n", 2),
    ('kind: T\n{% define "x" %}\n', 2),
], ids=["empty-if", "unclosed-expression", "unclosed-for", "unclosed-define"])
def test_syntax_errors_name_file_and_line(render_chart, text, line):
    with pytest.raises(TemplateError) as info:
        render_chart({"templates/t.yaml": text})
    assert re.match(rf"parent/templates/t\.yaml:{line}: ", str(info.value)), str(info.value)


def test_whitespace_control(render_chart):
    """trim_blocks/lstrip_blocks for tag lines; `{{-`/`-}}` strip as in Helm; `{{ }}` lines stay."""
    manifest = render_chart({"values.yaml": "on_: true\n", "templates/t.yaml": (
        "kind: T\n"
        "a:\n"
        "  {% if Values.on_ %}\n"
        "  b: 1\n"
        "  {% endif %}\n"
        "c: {{- ' x' }}\n"
        "d: {{ 'y' -}}   \n\n  e\n")})
    assert manifest.documents[0].text == "kind: T\na:\n  b: 1\nc: x\nd: ye"


@pytest.mark.parametrize("text, printed", [
    ("plain", "plain"),
    ("true", "true"),                      # Helm prints it bare: YAML reads a boolean, as from Helm
    ("10", "10"),
    ("", ""),                              # bare nothing: null, as from Helm
    ("-5", "-5"),
    ("registry.local:5000/istio", "registry.local:5000/istio"),
    ("a: b", '"a: b"'),                    # would start a map: quoted
    ("x #c", '"x #c"'),                    # would start a comment
    ("multi\nline", '"multi\\nline"'),
    ("- x", '"- x"'),
    ("{{ Release.Name }}", '"{{ Release.Name }}"'),
    ("'s'", "\"'s'\""),
    ("trail ", '"trail "'),
    ("x:", '"x:"'),
    ("é ü", "é ü"),
], ids=lambda v: repr(v))
def test_bare_or_quoted_prints_like_helm_unless_that_breaks_yaml(text, printed):
    from meshcharts.template.funcs import bare_or_quoted
    assert bare_or_quoted(text) == printed


def test_entries_filter_prints_a_map_like_a_helm_range_loop():
    from meshcharts.template.funcs import entries
    # sorted keys; numbers and typed-looking text bare; a missing value prints nothing; hostile text quoted
    assert entries({"b": "true", "a": 10, "c": "x: y", "d": None}) == 'a: 10\nb: true\nc: "x: y"\nd: '
    # a nested map or list prints as Go's %v, as Helm's `{{ $k }}: {{ $v }}` does (Helm printed
    # `n: map[k:v]` and `l: [1 2]`), quoted where bare text would read back as a list
    assert entries({"n": {"k": "v"}, "l": [1, 2]}) == 'l: "[1 2]"\nn: map[k:v]'


def test_text_joins_values_as_printing_them_does():
    from meshcharts.template.funcs import text
    assert text("reg", "/", "pilot", ":", 1.0) == "reg/pilot:1"
    assert text(None, "/proxy:", 5) == "/proxy:5"   # a null prints nothing, as {{ }} does
