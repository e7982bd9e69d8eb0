"""Bounds on work: a hostile chart, values file or flag gets one `Error:` line, quickly, never a
hang, a memory blow-up or a traceback."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from meshcharts import render
from meshcharts.errors import MeshchartsError
from tests.cli_runner import invoke


def chart_with(make_chart, template: str, **extra: str):
    return make_chart({"templates/a.yaml": template, **extra})


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "meshcharts", *args], capture_output=True, text=True,
                          timeout=timeout)


def one_error_line(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Error: ") and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# --- single steps that build text ------------------------------------------------------------

@pytest.mark.parametrize(("expression", "what"), [
    ('"%0999999999d" % 1', "'%'"),
    ('"%*d" % (999999999, 1)', "'%'"),
    ('"x" | indent(999999999)', "indent"),
    ('("x\\n" * 1000) | nindent(999999)', "indent"),
    ('"ab" | replace("", "x" * 9000000)', "replace"),
    ('["a", "b"] | join("x" * 9000000)', "join"),
    ('"a" | center(999999999)', "center"),
    ('"a b c" | wordwrap(1, wrapstring="x" * 9000000)', "wordwrap"),
    ('[1] | slice(999999999) | list', "slice"),
    ('lipsum(1000000, max=1000)', "lipsum"),
], ids=["percent-width", "percent-star", "indent", "nindent", "replace", "join", "center", "wordwrap", "slice",
        "lipsum"])
def test_one_step_cannot_build_a_gigabyte(make_chart, expression, what):
    import tracemalloc
    chart = chart_with(make_chart, f"v: {{{{ {expression} }}}}\n")
    tracemalloc.start()
    try:
        with pytest.raises(MeshchartsError) as info:
            render(chart=chart)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(info.value).startswith(f"parent/templates/a.yaml:1: {what} would build more than")
    assert peak < 100 * 2**20


def test_the_same_steps_at_ordinary_sizes_work_as_before(make_chart):
    chart = chart_with(make_chart, 'v: "{{ "%05d|%s" % (3, "ok") }} {{ 7 % 3 }} {{ "ab" | center(6) }}|'
                                   '{{ [1, 2, 3] | slice(2) | list | length }}|{{ "a b" | wordwrap(1) | length }}|'
                                   '{{ "x" | indent(2) }}|{{ "aXb" | replace("X", "--") }}|{{ ["a", "b"] | join(",") }}"\n')
    assert render(chart=chart).documents[0].object == {"v": "00003|ok 1   ab  |2|3|  x|a--b|a,b"}


# --- the render's time and output budgets ----------------------------------------------------

LOOP = "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}\n"


def test_time_budget_stops_nested_loops(make_chart):
    chart = chart_with(make_chart, LOOP)
    start = time.monotonic()
    result = run("render", "--chart", str(chart), "--time-limit", "1")
    assert time.monotonic() - start < 15
    one_error_line(result, "parent/templates/a.yaml:1: the render took longer than 1 s (time budget")


def test_time_budget_from_the_environment_and_the_api(make_chart, monkeypatch):
    chart = chart_with(make_chart, LOOP)
    monkeypatch.setenv("MESHCHARTS_TIME_LIMIT", "0.5")
    with pytest.raises(MeshchartsError, match="took longer than 0.5 s"):
        render(chart=chart)
    monkeypatch.setenv("MESHCHARTS_TIME_LIMIT", "600")
    with pytest.raises(MeshchartsError, match="took longer than 0.3 s"):
        render(chart=chart, time_limit=0.3)
    monkeypatch.setenv("MESHCHARTS_TIME_LIMIT", "soon")
    with pytest.raises(MeshchartsError, match="MESHCHARTS_TIME_LIMIT: expected a number"):
        render(chart=chart)


def test_time_budget_holds_off_the_main_thread(make_chart):
    import threading
    fan = "".join(f'{{% define "d{i}" %}}{{{{ include("d{i + 1}", {{}}) }}}}{{{{ include("d{i + 1}", {{}}) }}}}'
                  f'{{% enddefine %}}\n' for i in range(40)) + '{% define "d40" %}x{% enddefine %}\n'
    chart = make_chart({"templates/_h.tpl": fan, "templates/a.yaml": 'v: {{ include("d0", {}) }}\n'})
    caught: list[BaseException] = []

    def work() -> None:
        try:
            render(chart=chart, time_limit=0.5)
        except BaseException as e:  # noqa: BLE001 - what the thread ended with is the result
            caught.append(e)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    assert isinstance(caught[0], MeshchartsError) and "took longer than 0.5 s" in str(caught[0])
    assert "included from parent/templates/_h.tpl" in str(caught[0])  # where the time went


def test_output_budget_stops_an_exponential_include_fan_out(make_chart):
    fan = "".join(f'{{% define "d{i}" %}}{{{{ include("d{i + 1}", {{}}) }}}}{{{{ include("d{i + 1}", {{}}) }}}}'
                  f'{{% enddefine %}}\n' for i in range(30)) + '{% define "d30" %}' + "x" * 100 + "{% enddefine %}\n"
    chart = make_chart({"templates/_h.tpl": fan, "templates/a.yaml": 'v: {{ include("d0", {}) }}\n'})
    with pytest.raises(MeshchartsError, match="the render built more than 1000000 characters of text"):
        render(chart=chart, output_limit=1_000_000)


def test_budgets_leave_the_mesh_alone():
    assert render("demo", time_limit=60, output_limit=10_000_000).documents


# --- loading ---------------------------------------------------------------------------------

def test_symlinked_chart_loop_is_one_error(make_chart):
    chart = chart_with(make_chart, "kind: A\n")
    (chart / "charts").mkdir()
    (chart / "charts" / "again").symlink_to("..")
    one_error_line(run("render", "--chart", str(chart)), "the chart contains itself through a symbolic link")


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_fifo_or_device_in_the_chart_is_refused(make_chart, kind):
    chart = chart_with(make_chart, "kind: A\n")
    if kind == "fifo":
        os.mkfifo(chart / "templates" / "pipe.yaml")
    else:
        (chart / "templates" / "zero.yaml").symlink_to("/dev/zero")
    result = run("render", "--chart", str(chart), timeout=30)
    one_error_line(result)
    assert "not a regular file" in result.stderr or "points outside the chart" in result.stderr


def test_device_inside_the_chart_is_refused(make_chart):
    chart = chart_with(make_chart, "kind: A\n")
    if os.geteuid() != 0:
        pytest.skip("making a device file needs root")
    os.mknod(chart / "files.bin", 0o600 | 0o020000, os.makedev(1, 5))  # a /dev/zero of the chart's own
    one_error_line(run("render", "--chart", str(chart), timeout=30), "not a regular file")


def test_catastrophic_helmignore_glob_is_quick(make_chart):
    chart = chart_with(make_chart, "kind: A\n", **{".helmignore": "*a" * 25 + "*b\n"})
    (chart / "templates" / ("a" * 200 + ".yaml")).write_text("kind: B\n")
    start = time.monotonic()
    assert len(render(chart=chart).documents) == 2
    assert time.monotonic() - start < 5


def test_catastrophic_schema_pattern_is_one_error(make_chart):
    chart = chart_with(make_chart, "kind: A\n", **{
        "values.schema.json": '{"properties": {"x": {"type": "string", "pattern": "^(a|aa)+$"}}}'})
    start = time.monotonic()
    result = run("render", "--chart", str(chart), "--set", "x=" + "a" * 60 + "b")
    assert time.monotonic() - start < 30
    one_error_line(result, "values.schema.json: pattern '^(a|aa)+$' takes longer than 1 s")


@pytest.mark.parametrize(("schema", "fragment"), [
    ('{"properties": {"x": {"$ref": "#/definitions/nope"}}}', "points to nothing"),
    ('{"definitions": {"a": {"$ref": "#/definitions/a"}}, "properties": {"x": {"$ref": "#/definitions/a"}}}',
     "leads back to itself"),
    ('{"$ref": "#"}', "leads back to itself"),
    ('{"properties": {"x": {"$ref": "https://example.invalid/s.json"}}}', "nothing is fetched"),
], ids=["unresolvable", "self", "root-self", "remote"])
def test_bad_schema_refs_are_one_error(make_chart, schema, fragment):
    chart = chart_with(make_chart, "kind: A\n", **{"values.schema.json": schema})
    one_error_line(run("render", "--chart", str(chart), "--set", "x=1"), "values.schema.json", fragment)


def test_recursive_schema_still_validates(make_chart):
    chart = chart_with(make_chart, "kind: A\n", **{"values.schema.json":
                       '{"properties": {"node": {"$ref": "#/definitions/n"}}, "definitions": {"n": {"type": "object", '
                       '"properties": {"child": {"$ref": "#/definitions/n"}, "v": {"type": "integer"}}}}}'})
    with pytest.raises(MeshchartsError, match="node.child.child.v: expected a whole number"):
        render(chart=chart, set_values=["node.child.child.v=x"])


def test_values_file_that_never_ends_is_refused():
    one_error_line(run("values", "-f", "/dev/zero", timeout=60), "/dev/zero: values file is larger than 64 MiB")


@pytest.mark.parametrize("how", ["file", "set"])
def test_five_thousand_digit_integer_stays_text(tmp_path, how):
    digits = "9" * 5000
    if how == "file":
        (tmp_path / "v.yaml").write_text(f"x: {digits}\n")
        args = ["-f", str(tmp_path / "v.yaml")]
    else:
        args = ["--set", f"x={digits}"]
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 1.0.0\n")
    (chart / "templates" / "a.yaml").write_text("v: {{ Values.x | quote }}\n")
    result = invoke(["render", "--chart", str(chart), *args])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith(f'v: "{digits}"\n')


@pytest.mark.parametrize("path", [".".join(["a"] * 5000), "a" + "[0]" * 5000], ids=["names", "lists"])
def test_set_path_nested_5000_deep_is_one_error(path):
    result = invoke(["values", "--set", f"{path}=1"])
    assert result.exit_code == 1 and result.exception is not None and isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("Error: --set ") and "nested" in result.stderr


def test_nul_in_a_values_file_name_is_one_error():
    with pytest.raises(MeshchartsError, match="values file name has a NUL character"):
        render(values_files=["site\0.yaml"])


def test_nul_in_the_chart_name_is_refused(make_chart):
    chart = make_chart({"templates/a.yaml": "kind: A\n", "Chart.yaml": 'apiVersion: v1\nname: "a\\0b"\nversion: 0.1.0\n'})
    with pytest.raises(MeshchartsError, match="has a control character"):
        render(chart=chart)


def test_non_utf8_locale_and_argument_bytes():
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": "ascii"}
    result = subprocess.run([sys.executable, "-m", "meshcharts", "render", "--set", b"global.hub=caf\xe9".decode(
        "utf-8", "surrogateescape")], env=env, capture_output=True)
    assert result.returncode == 1 and result.stdout == b""
    assert result.stderr.startswith(b"Error: --set global.hub=caf\\udce9: argument is not UTF-8 text")
    fine = subprocess.run([sys.executable, "-m", "meshcharts", "render", "--set", "global.hub=registry.local/istio"],
                          env=env, capture_output=True)
    assert fine.returncode == 0 and b"registry.local/istio/pilot" in fine.stdout


# --- what fail() and required() print --------------------------------------------------------

@pytest.mark.parametrize("call", ['fail(Values.msg)', 'required(Values.msg, Values.missing)'])
def test_fail_text_cannot_forge_log_lines_or_send_terminal_escapes(make_chart, tmp_path, call):
    chart = chart_with(make_chart, f"v: {{{{ {call} }}}}\n")
    (tmp_path / "v.yaml").write_text('msg: "bad\\n::error file=x::forged\\r\\u001b[2J\\u001b]0;title\\u0007"\n')
    result = invoke(["render", "--chart", str(chart), "-f", str(tmp_path / "v.yaml")])
    assert result.exit_code == 1
    assert result.stderr == ("Error: parent/templates/a.yaml:1: bad\\n::error file=x::forged\\r\\x1b[2J\\x1b]0;title"
                             "\\x07\n")
    assert not any(line.startswith("::") for line in result.stderr.splitlines())


def test_warnings_and_lint_lines_escape_the_users_keys(tmp_path):
    (tmp_path / "v.yaml").write_text('pilot:\n  "replicaCont\\n::error::forged\\u001b[31m": 1\n')
    result = invoke(["render", "-f", str(tmp_path / "v.yaml")])
    assert result.exit_code == 0
    assert [line for line in result.stderr.splitlines() if line.startswith("Warning:")] == [
        f"Warning: {tmp_path / 'v.yaml'}:2:3: pilot.replicaCont\\n::error::forged\\x1b[31m: unknown key"]


def test_nul_in_the_chart_path_or_output_dir_is_one_error(tmp_path):
    from meshcharts.outputdir import replace_tree
    with pytest.raises(MeshchartsError, match="--chart: chart path has a NUL character"):
        render(chart="charts\0x")
    with pytest.raises(MeshchartsError, match="--output-dir: the output directory's name has a NUL character"):
        replace_tree(f"{tmp_path}/out\0x", {"a.yaml": "a: 1\n"})
