"""Values that cannot go wrong silently: each renders with exit 0 in Helm, and here either fails
with a located error, or renders with a warning that ``lint`` turns into a problem."""
from __future__ import annotations

import pytest

from meshcharts import MeshchartsError, lint, render
from tests.cli_runner import invoke


def _lint_lines(*args: str) -> list[str]:
    return invoke(["lint", *args]).stderr.splitlines()


@pytest.mark.parametrize(("flag", "fragment"), [
    # replaces all eight ingress ports with [{prot: 81}] in Helm, and renders `containerPort:` empty
    ("gateways.istio-ingressgateway.ports[0].prot=81", "unknown key prot (did you mean port?)"),
    ("gateways.istio-ingressgateway.ports[0].prot=81", "'port' is a required property"),
    ("gateways.istio-ingressgateway.ports[0].port=x", "expected a whole number"),
    ("gateways.istio-ingressgateway.ports[0].port=70000", "maximum"),
    ("pilot.resources.limts.cpu=1", "unknown key limts (did you mean limits?)"),
    ("mixer.resources.requests.cpuu=1", "unknown key cpuu (did you mean cpu?)"),
    ("pilot.resources.requests.cpu=lots", "does not match"),
    ("global.hub=", "should be non-empty"),          # Helm: image: "/proxy_init:1.0.6"
    ("pilot.replicaCount=-1", "less than the minimum of 0"),
    ("gateways.istio-ingressgateway.ports=null", "expected a list, got null"),  # a LoadBalancer without ports
])
def test_values_that_cannot_make_a_valid_object_are_refused(flag, fragment):
    with pytest.raises(MeshchartsError) as err:
        render(set_values=[flag])
    assert str(err.value).startswith(f"--set {flag}: ")
    assert fragment in str(err.value)


def test_free_form_maps_stay_free():
    manifest = render(set_values=["gateways.istio-ingressgateway.labels.team=a",
                                  "gateways.istio-ingressgateway.serviceAnnotations.x/y=z",
                                  "pilot.env.NEW_VAR=1", "pilot.resources.limits.nvidia\\.com/gpu=1",
                                  "pilot.resources.limits.hugepages-2Mi=1Gi"])
    assert manifest.warnings == []


def test_number_where_text_is_meant_warns_in_render_and_fails_lint(tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text("global:\n  tag: 1.10\n")
    manifest = render(values_files=site)
    assert manifest.warnings == [f"{site}:2:3: global.tag: a number where text is meant: it prints as 1.1; "
                                 f"quote it to keep '1.10' (e.g. tag: \"1.10\", or --set-string)"]
    images = {c["image"] for d in manifest.documents if d.kind == "Deployment"
              for c in d.object["spec"]["template"]["spec"]["containers"]}
    assert "docker.io/istio/pilot:1.1" in images  # what Helm renders too
    assert f"Error: {manifest.warnings[0]}" in _lint_lines("-f", str(site))


def test_lint_says_what_a_set_index_did_to_a_list():
    found = lint(set_values=["gateways.istio-ingressgateway.ports[0].port=81"])
    assert [str(f) for f in found] == [
        "--set gateways.istio-ingressgateway.ports[0].port=81: gateways.istio-ingressgateway.ports: replaces the "
        "chart's list of 8 item(s) with 1 item(s): a --set index builds a new list (Helm does the same); to change "
        "one item, give the whole list in a -f file"]


def test_set_of_one_word_at_a_list_key_hints_at_braces():
    with pytest.raises(MeshchartsError) as err:
        render(set_values=["global.imagePullSecrets=regcred"])
    assert "--set 'global.imagePullSecrets={regcred}'" in str(err.value)


def test_a_template_failing_on_a_mistyped_value_names_the_users_file(render_chart, tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text("other: 1\na: off\n")
    with pytest.raises(MeshchartsError) as err:
        render_chart({"values.yaml": "a: {b: 1}\n", "templates/t.yaml": "x: {{ Values.a.b }}\n"}, values_files=[site])
    first, *details = str(err.value).splitlines()
    assert first.startswith("parent/templates/t.yaml:1: ")  # the template, as before
    assert details == [f"  caused by {site}:2:1: a is a boolean where the chart has a map"]


def test_a_template_failing_on_a_nulled_value_names_the_set_argument():
    # Helm: --set global.proxy=null failed with "nil pointer evaluating interface {}.autoInject".
    with pytest.raises(MeshchartsError) as err:
        render(set_values=["global.proxy=null"])
    assert "  caused by --set global.proxy=null: global.proxy is null where the chart has a map" in str(err.value)


@pytest.mark.parametrize(("text", "reads_as"), [
    # Helm prints `{{ $k }}: {{ $v }}` bare: these came back as the value named (checked with Helm 4).
    ("a #b", "'a'"), ("'q'", "'q'"), ("{a: 1}", "a map"), ("#x", "null"),
])
def test_text_helm_would_read_back_differently_is_kept_and_warned_about(tmp_path, text, reads_as):
    import json
    site = tmp_path / "site.yaml"
    site.write_text(f"gateways:\n  istio-ingressgateway:\n    serviceAnnotations:\n      k: {json.dumps(text)}\n")
    manifest = render(values_files=[site])
    service = next(d.object for d in manifest.documents if d.kind == "Service" and d.name == "istio-ingressgateway")
    assert service["metadata"]["annotations"]["k"] == text  # meshcharts quotes it: the user's text arrives
    assert len(manifest.warnings) == 1 and reads_as in manifest.warnings[0]
    assert manifest.warnings[0].startswith(f"{site}:4:7: ")
    assert any("Helm would print this text" in line for line in _lint_lines("-f", str(site)))


def test_nested_values_in_pasted_maps_print_as_go_does():
    # Helm printed `a: map[b:c]` and `l: [1 2]` for these annotations.
    manifest = render(set_values=["gateways.istio-ingressgateway.serviceAnnotations.a.b=c",
                                  "gateways.istio-ingressgateway.serviceAnnotations.l={1,2}"])
    service = next(d for d in manifest.documents if d.kind == "Service" and d.name == "istio-ingressgateway")
    assert "    a: map[b:c]\n" in service.text
    assert '    l: "[1 2]"\n' in service.text  # Helm's bare [1 2] would read back as a list


@pytest.mark.parametrize("char", ["\x7f", "\x85", "\ufffe"])
def test_text_yaml_cannot_hold_raw_is_refused(char):
    with pytest.raises(MeshchartsError) as err:
        render(set_string_values=[f"global.priorityClassName=a{char}b"])
    assert str(err.value).startswith("--set-string global.priorityClassName=")
    assert "YAML cannot hold raw" in str(err.value)
