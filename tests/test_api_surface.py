"""The Python API as a caller meets it: sequences, types, values as data, findings as data."""
from __future__ import annotations

from pathlib import Path

import pytest

import meshcharts
from meshcharts import Finding, MeshchartsError, RenderOptions, effective_values, lint, render


@pytest.fixture
def site(tmp_path) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text("pilot:\n  replicaCount: 3\n")
    return path


def _replicas(manifest) -> int:
    return next(d.object for d in manifest.documents if d.name == "istio-pilot" and d.kind == "Deployment")["spec"]["replicas"]


@pytest.mark.parametrize("as_given", [str, Path, lambda p: [str(p)], lambda p: (Path(p),)])
def test_a_bare_str_or_path_is_one_values_file(site, as_given):
    assert _replicas(render(values_files=as_given(site))) == 3


def test_a_bare_str_is_one_set_argument():
    assert _replicas(render(set_values="pilot.replicaCount=4")) == 4


@pytest.mark.parametrize(("kwargs", "parameter"), [
    ({"values_files": 5}, "values_files"),
    ({"set_values": [5]}, "set_values"),
    ({"set_values": {"a": 1}}, "set_values"),
    ({"name": 7}, "name"),
    ({"registry": ["r"]}, "registry"),
    ({"chart": 1.5}, "chart"),
    ({"values": ["x"]}, "values"),
    ({"values": {"pilot": {1: "x"}}}, "values.pilot"),
    ({"values": {"pilot": {"x": object()}}}, "values.pilot.x"),
])
def test_wrong_types_raise_type_error_naming_the_parameter(kwargs, parameter):
    with pytest.raises(TypeError) as err:
        render(**kwargs)
    assert str(err.value).startswith(parameter)


def test_values_mapping_applies_after_files_and_before_set(site):
    assert _replicas(render(values_files=[site], values={"pilot": {"replicaCount": 5}})) == 5
    assert _replicas(render(values={"pilot": {"replicaCount": 5}}, set_values=["pilot.replicaCount=6"])) == 6
    # Python ints are integers (as from --set): a million prints as one, not as 1e+06.
    got = effective_values(RenderOptions(values={"pilot": {"replicaCount": 1000000}}))
    assert got["pilot"]["replicaCount"] == 1000000 and type(got["pilot"]["replicaCount"]) is int


def test_values_mapping_is_checked_and_located_like_any_source():
    with pytest.raises(MeshchartsError) as err:
        render(values={"pilot": {"replicaCount": "two"}})
    assert str(err.value).startswith("values=pilot.replicaCount: pilot.replicaCount: expected a whole number")


def test_lint_returns_findings_as_data(site):
    site.write_text("pilot:\n  replicaCont: 3\n")
    found = lint(values_files=site)
    assert found and all(isinstance(f, Finding) for f in found)
    first = found[0]
    assert (first.path, first.where) == (("pilot", "replicaCont"), f"{site}:2:3")
    assert str(first) == f"{site}:2:3: pilot.replicaCont: unknown key (did you mean replicaCount?)"
    assert lint(kube_version="v1.15.0") == []  # a Kubernetes release Istio 1.0.6 runs on
    assert lint() and all(f.path == () for f in lint())  # at 1.36 the manifest fails validation


def test_lint_reports_a_render_error_as_a_finding(make_chart):
    chart = make_chart({"templates/a.yaml": "kind: A\nx: {{ Values.a.b }}\n", "values.yaml": "a:\n  b: 1\n"})
    (finding,) = lint(chart=chart, set_values=["a=flat"])
    assert finding.path == () and finding.where == "parent/templates/a.yaml:2"
    assert finding.message.splitlines()[1] == "  caused by --set a=flat: a is a string where the chart has a map"


def test_documents_have_api_version():
    docs = render().documents
    assert {(d.kind, d.api_version) for d in docs if d.name == "istio-pilot"} >= {("Deployment", "extensions/v1beta1")}
    assert all(d.api_version == d.object["apiVersion"] for d in docs)


def test_package_exports_lint_and_finding_even_after_cli_use():
    from tests.cli_runner import invoke
    invoke(["lint"])  # imports the lint machinery; the package's `lint` is still the function
    assert meshcharts.lint is lint and callable(meshcharts.lint)
    assert "lint" in meshcharts.__all__ and "Finding" in meshcharts.__all__


def test_api_reference_describes_every_public_name_and_parameter():
    import inspect
    reference = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text()
    for name in meshcharts.__all__:
        assert f"`{name}" in reference, name
    for function in (render, lint):
        for parameter in inspect.signature(function).parameters:
            assert f"`{parameter}`" in reference, (function.__name__, parameter)
