"""Bad input stops a render cleanly: one message naming what and where (file:line:column, key
path or the --set argument), exit status 1, no traceback, nothing on stdout, nothing written or
removed on disk."""
from __future__ import annotations

import subprocess
import sys
import time
import tracemalloc

import pytest

from meshcharts import render
from cli_runner import invoke
from meshcharts.errors import MeshchartsError, ValuesError
from meshcharts.yamlio import MAX_DEPTH, load_values_text
from meshcharts.values import MAX_INDEX


def run(*args: str):
    return invoke(list(args))


def assert_clean_failure(result, *fragments: str) -> str:
    """Exit 1 with exactly one ``Error:`` message on stderr holding every fragment; returns it."""
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("Error: ") == 1
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    return result.stderr


@pytest.fixture
def write(tmp_path):
    def make(name: str, text: str) -> str:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return str(path)
    return make


# --- values files, profiles, --set -------------------------------------------------------------

def test_malformed_values_file_names_file_line_and_column(write):
    path = write("site.yaml", "pilot:\n  replicaCount: 2\n  env: [a\nglobal: {}\n")
    assert_clean_failure(run("render", "-f", path), f"{path}:4:7: invalid YAML: did not find expected ',' or ']'")


def test_malformed_profile_names_the_profile_file(make_chart):
    chart = make_chart({"templates/cm.yaml": "kind: ConfigMap\n", "profiles/broken.yaml": "a: b: c\n"})
    assert_clean_failure(run("render", "--chart", str(chart), "--profile", "broken"),
                         f"{chart}/profiles/broken.yaml:1:5: invalid YAML: mapping values are not allowed")


@pytest.mark.parametrize(("args", "fragment"), [
    (["-f", "/nonexistent/site.yaml"], "/nonexistent/site.yaml: values file not found"),
    (["--set-file", "global.hub=/nonexistent/hub.txt"],
     "--set-file global.hub=/nonexistent/hub.txt: file '/nonexistent/hub.txt' not found"),
], ids=["values-file", "set-file"])
def test_missing_files_are_named(args, fragment):
    assert_clean_failure(run("render", *args), fragment)


def test_unknown_profile_lists_the_known_ones():
    message = assert_clean_failure(run("render", "--profile", "demoo"),
                                   "--profile: unknown profile 'demoo' (did you mean 'demo'?)")
    assert "known profiles: default, auth," in message and "demo," in message


def test_unknown_profile_of_a_chart_lists_its_profiles(make_chart):
    chart = make_chart({"templates/cm.yaml": "kind: ConfigMap\n", "profiles/small.yaml": "a: 1\n"})
    assert_clean_failure(run("render", "--chart", str(chart), "--profile", "../small"),
                         "--profile: unknown profile '../small' (did you mean 'small'?); known profiles: default, small")


@pytest.mark.parametrize(("arg", "fragment"), [
    ("global.hub", "--set global.hub: expected KEY=VALUE"),
    ("pilot..x=1", "--set pilot..x=1: "),
    ("gateways.istio-ingressgateway.ports[x].port=1", "is not a number"),
    (f"global.imagePullSecrets[{MAX_INDEX + 1}]=x", f"greater than maximum supported index of {MAX_INDEX}"),
    ("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.aa.bb.cc.dd.ee.ff=1", "nested level"),
], ids=["no-value", "empty-key", "bad-index", "index-above-cap", "too-deep"])
def test_set_syntax_errors_name_the_argument(arg, fragment):
    assert_clean_failure(run("render", "--set", arg), f"--set {arg}: ", fragment)


# --- values of the wrong type ----------------------------------------------------------------------

def test_string_where_a_map_is_needed_names_key_path_and_argument():
    assert_clean_failure(run("render", "--set", "pilot.resources=lots"),
                         "--set pilot.resources=lots: pilot.resources: expected a map, got a string (\"lots\")")


def test_schema_violation_from_a_file_names_file_line_and_key(write):
    path = write("site.yaml", "global:\n  hub: registry.local/istio\npilot:\n  replicaCount: two\n")
    assert_clean_failure(run("render", "-f", path),
                         f"{path}:4:3: pilot.replicaCount: expected a whole number, got a string (\"two\")")


def test_every_schema_violation_is_listed_in_the_one_message(write):
    path = write("site.yaml", "pilot:\n  replicaCount: two\n  sidecar: maybe\n")
    message = assert_clean_failure(run("render", "-f", path, "--set", "global.imagePullPolicy=Sometimes"))
    assert f"{path}:2:3: pilot.replicaCount" in message
    assert f"{path}:3:3: pilot.sidecar: expected a boolean" in message
    assert "--set global.imagePullPolicy=Sometimes: global.imagePullPolicy: \"Sometimes\" is not one of: Always" \
        in message


def test_child_section_that_is_not_a_map():
    assert_clean_failure(run("render", "--set", "pilot=off"), "pilot: ")


def test_template_reading_a_field_of_a_string_names_the_key(make_chart):
    chart = make_chart({"values.yaml": "server:\n  resources:\n    cpu: 1\n",
                        "templates/d.yaml": "kind: Pod\ncpu: {{ Values.server.resources.cpu }}\n"})
    assert_clean_failure(run("render", "--chart", str(chart), "--set", "server.resources=big"),
                         "parent/templates/d.yaml:2: can't evaluate field cpu in type string",
                         "(server.resources is a string ('big'), not a map)")


def test_child_template_error_names_the_users_key(make_chart):
    chart = make_chart({"charts/kid/values.yaml": "opts:\n  level: 1\n",
                        "charts/kid/templates/d.yaml": "kind: Pod\nlevel: {{ Values.opts.level }}\n"})
    assert_clean_failure(run("render", "--chart", str(chart), "--set", "kid.opts=[1]"),
                         "parent/charts/kid/templates/d.yaml:2: ", "(kid.opts is a string ('[1]'), not a map)")


@pytest.mark.parametrize(("flag", "value", "fragment"), [
    ("--name", "Istio Prod", "--name: invalid release name 'Istio Prod'"),
    ("--name", "x" * 54, "at most 53 characters"),
    ("--namespace", "istio: system", "--namespace: invalid namespace 'istio: system'"),
], ids=["name-with-space", "name-too-long", "namespace-with-colon"])
def test_release_name_and_namespace_are_checked(flag, value, fragment):
    assert_clean_failure(run("render", flag, value), fragment)


# --- hostile YAML ---------------------------------------------------------------------------------

def _bounded(text: str, where: str = "bomb.yaml") -> tuple[str, float, int]:
    """Load ``text``; return the error, the seconds it took and the peak memory in bytes (the
    YAML loader is made first, so that the measure is of the document, not of importing PyYAML
    under tracemalloc, which alone can take most of a second on a busy machine)."""
    load_values_text("warm: up\n", "warm-up.yaml")
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ValuesError) as info:
            load_values_text(text, where)
    finally:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return str(info.value), elapsed, peak


def test_billion_laughs_is_refused_fast_in_bounded_memory():
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    message, elapsed, peak = _bounded("\n".join(lines) + "\n")
    assert message.startswith("bomb.yaml: YAML aliases expand past a safe size")
    assert elapsed < 1.0
    assert peak < 50 * 2**20


def test_merge_key_bomb_is_refused_fast_in_bounded_memory():
    keys = ", ".join(f"k{i}: {i}" for i in range(3000))
    text = f"base: &base {{{keys}}}\ncopies: {{<<: [{', '.join(['*base'] * 3000)}]}}\n"
    message, elapsed, peak = _bounded(text)
    assert message.startswith("bomb.yaml:2:") and "merge keys (<<) copy too many entries" in message
    assert elapsed < 1.0
    assert peak < 50 * 2**20


@pytest.mark.parametrize("text", [
    "a: " + "[" * 500 + "]" * 500 + "\n",
    "a: " + "{b: " * 500 + "1" + "}" * 500 + "\n",
], ids=["lists", "maps"])
def test_deep_nesting_is_refused(text):
    message, elapsed, _ = _bounded(text, "deep.yaml")
    assert message == f"deep.yaml: values nest more than {MAX_DEPTH} levels deep; refusing to read them"
    assert elapsed < 1.0


def test_alias_bomb_through_the_cli_in_a_real_process(write):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    path = write("bomb.yaml", "\n".join(lines) + "\n")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "meshcharts", "render", "-f", path],
                          capture_output=True, text=True)
    assert time.perf_counter() - start < 5  # a whole process, start-up included
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == f"Error: {path}: YAML aliases expand past a safe size (an alias bomb?); refusing to read it\n"


# --- template errors ------------------------------------------------------------------------------

def test_template_error_names_file_line_and_include_chain(make_chart):
    chart = make_chart({
        "templates/_helpers.tpl": '{% define "outer" %}\n{{ include("inner", dot) }}\n{% enddefine %}\n'
                                  '{% define "inner" %}\nport: {{ fail("no port") }}\n{% enddefine %}\n',
        "templates/svc.yaml": "kind: Service\n\nspec: {{ include(\"outer\", root) }}\n"})
    message = assert_clean_failure(run("render", "--chart", str(chart)))
    assert message.splitlines() == ["Error: parent/templates/_helpers.tpl:5: no port",
                                    "  included from parent/templates/_helpers.tpl:2",
                                    "  included from parent/templates/svc.yaml:3"]


@pytest.mark.parametrize(("spec", "fragment"), [
    ({"templates/_h.tpl": '{% define "loop" %}{{ include("loop", dot) }}{% enddefine %}',
      "templates/a.yaml": 'x: {{ include("loop", root) }}\n'}, 'include "loop" nested more than 100 deep'),
    ({"templates/a.yaml": "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}x: {{ m(0) }}\n"},
     "template recursion too deep"),
    ({"values.yaml": "t: '{{ tpl(Values.t, root) }}'\n", "templates/a.yaml": "x: {{ tpl(Values.t, root) }}\n"},
     "template recursion too deep"),
], ids=["include", "macro", "tpl"])
def test_runaway_recursion_stops_with_an_error(make_chart, spec, fragment):
    assert_clean_failure(run("render", "--chart", str(make_chart(spec))), "parent/templates/", fragment)


def test_value_that_breaks_the_yaml_a_template_prints_is_a_yaml_error(make_chart):
    chart = make_chart({"templates/cm.yaml": "kind: ConfigMap\ndata:\n  note: {{ Values.note }}\n"})
    message = assert_clean_failure(run("render", "--chart", str(chart), "--set", "note=a: b"),
                                   "parent/templates/cm.yaml: YAML parse error: mapping values are not allowed")
    assert "  3:   note: a: b" in message


BROKEN_POD = "kind: Pod\nspec:\n  containers:\n  - image: nginx\n   bad: [\n"


@pytest.mark.parametrize("args", [["render"], ["render", "--registry", "reg.local/m"], ["images"]],
                         ids=["render", "render-registry", "images"])
def test_chart_template_that_prints_broken_yaml_is_a_yaml_error(make_chart, args):
    """A chart's own template can print a document that is not YAML, with no user values at all."""
    chart = make_chart({"templates/pod.yaml": BROKEN_POD})
    message = assert_clean_failure(run(*args, "--chart", str(chart)),
                                   "parent/templates/pod.yaml: YAML parse error: did not find expected key")
    assert "  5:    bad: [" in message


@pytest.mark.parametrize(("text", "fragment"), [
    (BROKEN_POD, "t.yaml: YAML parse error: did not find expected key (line 5, column 4 of a document"),
    ("a: !!python/name:os.system x\n", "t.yaml: YAML parse error: tag !!python/name:os.system is not one every "
                                     "reader loads (line 1, column 4"),
], ids=["does-not-parse", "unknown-tag"])
def test_document_object_of_text_that_is_not_yaml_names_the_template(text, fragment):
    from meshcharts.manifest import Document
    with pytest.raises(MeshchartsError) as info:
        Document("c/templates/t.yaml", text, "Pod").object
    assert str(info.value).startswith(f"c/templates/{fragment}")


# --- nothing written or removed ---------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["--set", "pilot.replicaCount=two"],
    ["--set", "global.hub"],
    ["-f", "/nonexistent/site.yaml"],
    ["--profile", "nope"],
    ["--name", "Bad Name"],
], ids=["schema", "set-syntax", "missing-file", "profile", "release-name"])
def test_failed_render_leaves_output_dir_untouched(tmp_path, args):
    out = tmp_path / "out"
    (out / "istio" / "templates").mkdir(parents=True)
    kept = out / "istio" / "templates" / "configmap.yaml"
    kept.write_text("previous render\n")
    assert_clean_failure(run("render", "--output-dir", str(out), *args))
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "istio", "istio/templates", "istio/templates/configmap.yaml"]
    assert kept.read_text() == "previous render\n"


def test_errors_have_no_traceback_in_a_real_process(write):
    path = write("site.yaml", "pilot:\n  resources: lots\n")
    proc = subprocess.run([sys.executable, "-m", "meshcharts", "render", "-f", path],
                          capture_output=True, text=True)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == (f"Error: {path}:2:3: pilot.resources: expected a map, got a string (\"lots\") "
                           "(values.schema.json)\n")


def test_library_raises_meshcharts_errors():
    from meshcharts import render
    with pytest.raises(MeshchartsError, match="pilot.replicaCount: expected a whole number"):
        render(set_values=["pilot.replicaCount=two"])


def test_statsd_sink_without_host_is_a_clear_error_not_broken_yaml():
    # Helm renders a bare ":" argument here and fails parsing its own output; say what is missing.
    with pytest.raises(MeshchartsError) as caught:
        render(set_values=["global.proxy.envoyStatsd.enabled=true"])
    assert "global.proxy.envoyStatsd.host must be set" in str(caught.value)
