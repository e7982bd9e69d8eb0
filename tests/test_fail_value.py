"""``failValue`` and Sprig's ``regexMatch``/``regexFindAll`` for any chart: a chart's own check
of a value is reported where the user set that value, like a schema violation."""
from __future__ import annotations

import pytest

from cli_runner import invoke
from meshcharts import MeshchartsError

CHECKED = """
{% if not regexMatch("^[0-9]+(ms|s)$", Values.timeout) %}
{{ failValue(["timeout"], printf("%q is not a timeout", Values.timeout)) }}
{% endif %}
kind: T
parts: {{ regexFindAll("[0-9]+", Values.timeout) | toJson }}
"""


def test_a_failing_check_names_the_values_file_line_and_key(render_chart, tmp_path):
    values = tmp_path / "site.yaml"
    values.write_text("name: x\ntimeout: soon\n")
    with pytest.raises(MeshchartsError) as caught:
        render_chart({"values.yaml": "timeout: 1s\n", "templates/t.yaml": CHECKED}, values_files=[values])
    assert str(caught.value) == f'{values}:2:1: timeout: "soon" is not a timeout'


def test_a_set_argument_is_named(render_chart):
    with pytest.raises(MeshchartsError) as caught:
        render_chart({"values.yaml": "timeout: 1s\n", "templates/t.yaml": CHECKED}, set_values=["timeout=soon"])
    assert str(caught.value) == '--set timeout=soon: timeout: "soon" is not a timeout'


def test_a_chart_default_is_named_by_the_template(render_chart):
    with pytest.raises(MeshchartsError) as caught:
        render_chart({"values.yaml": "timeout: later\n", "templates/t.yaml": CHECKED})
    assert str(caught.value) == 'parent/templates/t.yaml:2: timeout: "later" is not a timeout'


def test_a_child_charts_check_names_the_parents_key(render_chart, tmp_path):
    values = tmp_path / "site.yaml"
    values.write_text("child:\n  timeout: 5 s\n")
    with pytest.raises(MeshchartsError) as caught:
        render_chart({"charts/child/values.yaml": "timeout: 1s\n", "charts/child/templates/t.yaml": CHECKED},
                     values_files=[values])
    assert str(caught.value) == f'{values}:2:3: child.timeout: "5 s" is not a timeout'


def test_passing_values_render(render_chart):
    manifest = render_chart({"values.yaml": "timeout: 1500ms\n", "templates/t.yaml": CHECKED})
    assert manifest.documents[0].object["parts"] == ["1500"]


def test_a_bad_path_or_pattern_is_a_template_error(render_chart):
    with pytest.raises(MeshchartsError, match="failValue: the path must be a list"):
        render_chart({"templates/t.yaml": '{{ failValue("timeout", "x") }}\n'})
    with pytest.raises(MeshchartsError, match="invalid regular expression"):
        render_chart({"templates/t.yaml": '{{ regexMatch("(", "x") }}\n'})


def test_lint_reports_the_check_at_the_values_line(make_chart, tmp_path):
    chart = make_chart({"values.yaml": "timeout: 1s\n", "templates/t.yaml": CHECKED})
    values = tmp_path / "site.yaml"
    values.write_text("timeout: soon\n")
    result = invoke(["lint", "--chart", str(chart), "-f", str(values)])
    assert result.exit_code == 1
    assert f'Error: {values}:1:1: timeout: "soon" is not a timeout' in result.stderr
