"""Charts are untrusted: a template can only render. No Python internals, no values evaluated as
templates, no files outside the chart, no writes outside --output-dir, no single step that
exhausts memory."""
from __future__ import annotations

import os

import pytest
import yaml

from meshcharts import render
from cli_runner import invoke
from meshcharts.errors import ChartError, MeshchartsError, TemplateError
from meshcharts.manifest import Document, Manifest, write_output_dir

VALUES = "s: hello\nm:\n  k: v\n"


@pytest.fixture
def out(render_chart):
    """Render ``x: BODY`` and return what follows ``x: ``."""
    def run(body: str, **options) -> str:
        spec = {"values.yaml": VALUES, "templates/t.yaml": f"x: {body}\n"}
        text = render_chart(spec, **options).documents[0].text
        assert text.startswith("x: ")
        return text[3:]
    return run


@pytest.fixture
def fails(render_chart):
    """Render ``x: BODY``; return the (located) error message."""
    def run(body: str) -> str:
        with pytest.raises(TemplateError) as info:
            render_chart({"values.yaml": VALUES, "templates/t.yaml": f"x: {body}\n"})
        message = str(info.value)
        assert message.startswith("parent/templates/t.yaml:1: ")
        assert "<class" not in message and "<function" not in message and "0x" not in message
        return message
    return run


ESCAPES = [
    ("{{ ''.__class__ }}", "can't evaluate field __class__ in type string"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "can't evaluate field __class__ in type string"),
    ("{{ Values.s.upper() }}", "can't evaluate field upper in type string"),
    ("{{ '{0.__class__}'.format(Values) }}", "can't evaluate field format in type string"),
    ("{{ ('x'|attr('__class__')) }}", "can't evaluate field __class__ in type string"),
    ("{{ (Values|attr('clear'))() }}", "clear is not a function"),
    ("{{ (Values|attr('update'))({'s': 'pwned'}) }}", "update is not a function"),
    ("{{ (Files|attr('items'))() }}", "can't evaluate field items in type Files"),
    ("{{ Files.Get.__self__ }}", "can't evaluate field __self__ in type method"),
    ("{{ Capabilities.KubeVersion.__init__ }}", "can't evaluate field __init__ in type KubeVersion"),
    ("{{ lipsum.__globals__ }}", "can't evaluate field __globals__ in type function"),
    ("{{ include.__globals__ }}", "can't evaluate field __globals__ in type function"),
    ("{{ range.__self__ }}", "can't evaluate field __self__ in type function"),
    ("{{ cycler.__init__.__globals__ }}", "can't evaluate field __init__ in type type"),
    ("{{ cycler(1, 2).__class__ }}", "not allowed in a template: Cycler.__class__ is a Python internal"),
    ("{{ cycler(1, 2)|attr('__init__') }}", "not allowed in a template: Cycler.__init__ is a Python internal"),
    ("{{ joiner().__class__ }}", "not allowed in a template: Joiner.__class__ is a Python internal"),
    ("{% for i in [1] %}{{ loop.__class__ }}{% endfor %}",
     "not allowed in a template: LoopContext.__class__ is a Python internal"),
    ("{% for i in [1] %}{{ loop|attr('_items') }}{% endfor %}",
     "not allowed in a template: LoopContext._items is a Python internal"),
    ("{% set ns = namespace(a=1) %}{{ ns.__class__ }}",
     "not allowed in a template: Namespace.__class__ is a Python internal"),
    ("{% macro m() %}{% endmacro %}{{ m._func }}", "not allowed in a template: Macro._func is a Python internal"),
    ("{{ self.__init__ }}", "nil pointer evaluating interface {}.__init__"),  # no `self`: a missing name
    ("{{ [1, 2]|map(attribute='__class__')|list }}", "can't index item of type int"),
    ("{{ Values.__class__.__init__ }}", "nil pointer evaluating interface {}.__init__"),
    ("{{ ('x' * 100000000)|length }}", "'*' would build more than 10000000 characters or items"),
    ("{{ [0] * 100000000 }}", "'*' would build more than 10000000 characters or items"),
    ("{{ 10 ** 100000000 }}", "'**' would build a number of more than 64K bits"),
    ("{{ range(1000000)|length }}", "Range too big"),
]


@pytest.mark.parametrize(("body", "fragment"), ESCAPES, ids=[b for b, _ in ESCAPES])
def test_python_internals_are_out_of_reach(fails, body, fragment):
    assert fragment in fails(body)


def test_a_map_key_named_like_an_internal_is_just_a_missing_key(out):
    assert out("[{{ Values.__class__ }}]") == "[]"  # values are data: a key lookup, nothing more
    assert out("{{ '%s'|format(Values.m) }}") == "map[k:v]"  # Go's printing, never a Python repr


def test_jinja_runtime_objects_keep_their_public_parts(out):
    assert out("{% for i in [1, 2] %}{{ loop.index }}{{ loop.cycle('a', 'b') }}{% endfor %}") == "1a2b"
    assert out("{% set ns = namespace(n=1) %}{% set ns.n = ns.n + 1 %}{{ ns.n }}") == "2"
    assert out("{{ ('ab' * 3) }} {{ 2 ** 10 }}") == "ababab 1024"


def test_printf_width_is_bounded_as_in_go(out):
    assert out("{{ printf('%5d|%099999999d', 1, 2) }}") == "    1|%!(NOVERB)%!(EXTRA int=2)"


# --- values are data ----------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["{{ Release.Name }}", "{% if true %}x{% endif %}", "{# c #}", "[[ .Values ]]"],
                         ids=["expression", "statement", "comment", "go-template"])
def test_values_are_never_evaluated(render_chart, tmp_path, value):
    site = tmp_path / "site.yaml"
    site.write_text(f"v: '{value}'\n")
    manifest = render_chart({"templates/t.yaml": "kind: T\nv: {{ Values.v | quote }}\n"}, values_files=[site])
    assert manifest.documents[0].object["v"] == value


HOSTILE = ["line one\nline two", 'say "hi"', "it's", "key: value", "a # not a comment", "{{ Values }}",
           "日本語 ü é", "- item", "---", "*alias", "trailing: "]


@pytest.mark.parametrize("text", HOSTILE, ids=["newline", "double-quote", "single-quote", "colon-space", "hash",
                                               "braces", "non-ascii", "dash", "separator", "alias", "trailing"])
def test_hostile_text_reaches_the_mesh_manifest_intact(tmp_path, text):
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump({"global": {"hub": text, "tag": text}, "gateways": {"istio-ingressgateway": {
        "labels": {"tier": text}, "serviceAnnotations": {text: text}}}}, default_style='"', allow_unicode=True))
    objects = {(d.kind, d.name): d.object for d in render(values_files=[site]).documents}
    pilot = objects[("Deployment", "istio-pilot")]["spec"]["template"]["spec"]["containers"]
    assert f"{text}/pilot:{text}" in [c["image"] for c in pilot]
    service = objects[("Service", "istio-ingressgateway")]
    assert service["metadata"]["annotations"] == {text: text}
    assert service["spec"]["selector"]["tier"] == text


def test_tpl_is_the_one_way_to_evaluate_a_value(render_chart, tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text("v: '{{ Release.Name }}'\n")
    manifest = render_chart({"templates/t.yaml": "kind: T\nv: {{ tpl(Values.v, root) }}\n"}, values_files=[site],
                            name="rel")
    assert manifest.documents[0].object["v"] == "rel"


# --- Files stays inside the chart ------------------------------------------------------------------

def test_files_get_cannot_leave_the_chart(out):
    assert out("[{{ Files.Get('../Chart.yaml') }}{{ Files.Get('/etc/passwd') }}{{ Files.Get('../../t.yaml') }}]") == "[]"


def test_symlink_out_of_the_chart_is_refused(make_chart, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("password\n")
    chart = make_chart({"templates/t.yaml": "kind: T\nv: {{ Files.Get('files/leak.txt') }}\n"})
    (chart / "files").mkdir()
    os.symlink(secret, chart / "files" / "leak.txt")
    with pytest.raises(ChartError, match=r"files/leak\.txt: symbolic link points outside the chart"):
        render(chart=chart)


def test_symlinked_template_out_of_the_chart_is_refused(make_chart, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("kind: Secret\n")
    chart = make_chart({"templates/t.yaml": "kind: T\n"})
    os.symlink(outside, chart / "templates" / "stolen.yaml")
    with pytest.raises(ChartError, match=r"templates/stolen\.yaml: symbolic link points outside the chart"):
        render(chart=chart)


def test_symlinked_child_chart_out_of_the_chart_is_refused(make_chart, tmp_path):
    other = make_chart({"templates/t.yaml": "kind: T\n"}, name="other")
    chart = make_chart({"templates/t.yaml": "kind: T\n"})
    (chart / "charts").mkdir()
    os.symlink(other, chart / "charts" / "other")
    with pytest.raises(ChartError, match=r"charts/other: symbolic link points outside the chart"):
        render(chart=chart)


def test_symlink_inside_the_chart_is_fine(make_chart):
    chart = make_chart({"templates/t.yaml": "kind: T\nv: {{ Files.Get('files/alias.txt') }}\n", "files/real.txt": "ok"})
    os.symlink(chart / "files" / "real.txt", chart / "files" / "alias.txt")
    assert render(chart=chart).documents[0].object["v"] == "ok"


# --- --output-dir stays inside DIR ------------------------------------------------------------------

@pytest.mark.parametrize(("chart_yaml", "fragment"), [
    ("name: ../../escape\nversion: 0.1.0\n", "chart name '../../escape' is invalid"),
    ("name: ..\nversion: 0.1.0\n", "chart name '..' is invalid"),
    ("name: /etc\nversion: 0.1.0\n", "chart name '/etc' is invalid"),
], ids=["dot-dot-path", "dot-dot", "absolute"])
def test_chart_names_that_are_paths_are_refused(make_chart, chart_yaml, fragment):
    chart = make_chart({"Chart.yaml": chart_yaml, "templates/t.yaml": "kind: T\n"})
    with pytest.raises(ChartError, match=fragment):
        render(chart=chart)


def test_dependency_alias_that_is_a_path_is_refused(make_chart):
    chart = make_chart({"templates/t.yaml": "kind: T\n", "charts/kid/templates/k.yaml": "kind: K\n",
                        "requirements.yaml": "dependencies:\n- name: kid\n  alias: ../../../tmp/x\n"})
    with pytest.raises(ChartError, match="disallowed characters in its alias"):
        render(chart=chart)


def test_output_dir_refuses_sources_outside_it(tmp_path):
    manifest = Manifest([Document("../../escaped.yaml", "kind: T", "T")])
    with pytest.raises(MeshchartsError, match="refusing to write outside the output directory"):
        write_output_dir(manifest, tmp_path / "out")
    assert not (tmp_path / "escaped.yaml").exists() and not (tmp_path / "out").exists()


def test_object_names_do_not_steer_output_paths(make_chart, tmp_path):
    chart = make_chart({"templates/t.yaml": "kind: T\nmetadata:\n  name: ../../../etc/passwd\n"})
    result = invoke(["render", "--chart", str(chart), "--output-dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file()) \
        == [".meshcharts.index", "parent/templates/t.yaml"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart1", "out"]
