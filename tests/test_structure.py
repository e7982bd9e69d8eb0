"""Values and chart content cannot change the manifest's structure: a printed value stays one
scalar, what exits 0 loads everywhere, names cannot add documents, images cannot hide from the
registry checks, and values files cannot lose keys silently."""
from __future__ import annotations

import os

import pytest

from meshcharts import render
from meshcharts.errors import MeshchartsError
from tests.cli_runner import invoke

PILOT_GATEWAY = "istio/charts/pilot/templates/gateway.yaml"


@pytest.mark.parametrize(("value", "shown"), [
    ("*x", "istio: *x"),                                  # an alias: a loader error far from here
    ("x #y", "istio: x #y"),                              # half of it becomes a comment
    ("ingress\n  evil: true", "istio: ingress"),          # a key added to the selector
    ("&a ingress", "istio: &a ingress"),                  # an anchor
    ("!!binary aW5ncmVzcw==", "istio: !!binary aW5ncmVzcw=="),  # a tag
    ("#", "istio: #"),                                    # the whole value a comment: the key reads null
    ("|", "istio: |"),                                    # a block scalar swallowing what follows
], ids=["alias", "comment", "new-key", "anchor", "tag", "only-a-comment", "block-indicator"])
def test_value_that_adds_structure_is_an_error_naming_its_origin_and_template(tmp_path, value, shown):
    site = tmp_path / "site.yaml"
    import json
    site.write_text(f"global:\n  k8sIngressSelector: {json.dumps(value)}\n")
    result = invoke(["render", "-f", str(site)])
    assert (result.exit_code, result.stdout) == (1, "")
    message = result.stderr
    assert message.startswith(f"Error: {site}:2:3: global.k8sIngressSelector: the value ")
    assert f"changes the YAML structure where {PILOT_GATEWAY}:" in message
    assert f"{shown!r}" in message and message.count("\n") == 1


def test_set_argument_is_named_as_the_origin():
    result = invoke(["render", "--set", "global.k8sIngressSelector=*x"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --set global.k8sIngressSelector=*x: global.k8sIngressSelector: ")


def test_injection_through_a_sequence_item_of_a_pod_is_refused(make_chart, tmp_path):
    chart = make_chart({"templates/d.yaml": """
        kind: Deployment
        spec:
          template:
            spec:
              containers:
              - name: app
                image: "registry.local/app:1"
                args: [--level={{ Values.level }}]
        """})
    with pytest.raises(MeshchartsError, match=r"--set level=.*: level: the value .* changes the YAML structure "
                                              r"where parent/templates/d.yaml:8 prints it"):
        render(chart=chart, set_values=["level=info]\n    securityContext: {privileged: true}\n    x: [y"])


def values_file(tmp_path, values: dict) -> str:
    import json
    path = tmp_path / f"v{len(list(tmp_path.iterdir()))}.yaml"
    path.write_text(json.dumps(values))
    return str(path)


def test_value_closing_the_templates_quotes_is_refused(make_chart, tmp_path):
    chart = make_chart({"templates/cm.yaml": 'kind: ConfigMap\ndata:\n  a: "{{ Values.v }}"\n'})
    with pytest.raises(MeshchartsError, match="changes the YAML structure"):
        render(chart=chart, values_files=[values_file(tmp_path, {"v": 'x", "b": "y'})])
    with pytest.raises(MeshchartsError, match="changes the YAML structure"):
        render(chart=chart, values_files=[values_file(tmp_path, {"v": "tab\\there"})])  # an escape the quotes read


LEGIT = {"templates/cm.yaml": """
    kind: ConfigMap
    metadata:
      name: x
      annotations:
    {{- Values.notes | toYaml | nindent(4) }}
    data:
      # owner: {{ Values.owner }}
      image: {{ Values.hub }}/app:1
      quoted: {{ Values.line | quote }}
      text: |
        {{ Values.line }}
    """}


def test_legit_values_render_as_they_always_did(make_chart, tmp_path):
    chart = make_chart(LEGIT)
    manifest = render(chart=chart, values_files=[values_file(tmp_path, {
        "notes": {"a": "#x: *y & !z", "b": "x\ny"}, "owner": "a #team, b", "hub": "reg.local:5000/a b",
        "line": "k: v # c"})])
    assert manifest.documents[0].object == {
        "kind": "ConfigMap", "metadata": {"name": "x", "annotations": {"a": "#x: *y & !z", "b": "x\ny"}},
        "data": {"image": "reg.local:5000/a b/app:1", "quoted": "k: v # c", "text": "k: v # c"}}


def test_the_bundled_chart_takes_values_with_punctuation_printed_safely():
    manifest = render(set_values=["global.hub=registry.local:5000/mirror", "gateways.istio-ingressgateway.ports[0].name=a b",
                                  "gateways.istio-ingressgateway.ports[0].port=80"])  # a port needs its number
    assert "registry.local:5000/mirror/pilot:1.0.6" in manifest.text


# --- what exits 0 loads everywhere -----------------------------------------------------------

@pytest.mark.parametrize(("text", "problem"), [
    ("kind: T\nspec: *nowhere\n", "alias *nowhere names no anchor"),
    ("kind: T\nspec: !custom {a: 1}\n", "tag !custom is not one every reader loads"),
    ("kind: T\nspec: !!set {a, b}\n", "tag !!set is not one every reader loads"),
], ids=["undefined-alias", "unknown-tag", "set"])
def test_chart_text_that_parses_but_does_not_load_is_an_error_at_its_template(make_chart, text, problem):
    chart = make_chart({"templates/t.yaml": text})
    with pytest.raises(MeshchartsError) as info:
        render(chart=chart)
    assert str(info.value).startswith(f"parent/templates/t.yaml: YAML parse error: {problem} (line 2")


# --- names that would add documents ----------------------------------------------------------

def test_line_break_in_a_template_file_name_is_refused(make_chart):
    chart = make_chart({"templates/ok.yaml": "kind: A\n"})
    (chart / "templates" / "x.yaml\n---\nkind: Evil").write_text("kind: B\n")
    with pytest.raises(MeshchartsError, match=r"file name has a control character") as info:
        render(chart=chart)
    assert "\n" not in str(info.value)


def test_line_break_in_the_chart_name_is_refused(make_chart):
    chart = make_chart({"templates/ok.yaml": "kind: A\n",
                        "Chart.yaml": 'apiVersion: v1\nname: "p\\n---\\nkind: Evil"\nversion: 0.1.0\n'})
    with pytest.raises(MeshchartsError, match="chart name .* has a control character"):
        render(chart=chart)


# --- images hidden from a text pre-filter ----------------------------------------------------

POD = """
kind: Pod
metadata:
  name: p
spec:
  {key}
  - name: c
    image: docker.io/evil/miner:1
"""


@pytest.mark.parametrize("key", [
    "? containers\n  :",
    '"contain\\x65rs":',
    "&k containers: []\n  other: 1\n  *k :",
], ids=["explicit-key", "escaped-key", "alias-key"])
def test_images_behind_unusual_keys_are_found(make_chart, key):
    from meshcharts.registry import list_images
    if key.startswith("&k"):  # the anchored key is replaced by the alias key's value (the last wins)
        text = 'kind: Pod\nmetadata:\n  name: p\nspec:\n  &k containers: []\n  *k : [{name: c, image: "docker.io/evil/miner:1"}]\n'
    else:
        text = POD.replace("{key}", key)
    chart = make_chart({"templates/pod.yaml": text})
    manifest = render(chart=chart)
    assert [str(i.ref) for i in list_images(manifest)] == ["docker.io/evil/miner:1"]
    with pytest.raises(MeshchartsError, match="docker.io/evil/miner:1 is outside registry.local"):
        render(chart=chart, check_registry="registry.local")


# --- values files ----------------------------------------------------------------------------

def test_duplicate_key_in_a_values_file_names_both_lines(tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text("pilot:\n  replicaCount: 2\n  resources: {}\n  replicaCount: 3\n")
    result = invoke(["render", "-f", str(site)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"Error: {site}:4:3: invalid YAML: duplicate key 'replicaCount' (first set at line 2); "
                             "the earlier one would be lost\n")


def test_merge_keys_may_still_override(tmp_path):
    from meshcharts.values import read_values_file
    site = tmp_path / "site.yaml"
    site.write_text("base: &b {x: 1, z: 2}\nuse:\n  <<: *b\n  x: 5\n")
    assert read_values_file(site)["use"] == {"x": 5, "z": 2}


@pytest.mark.parametrize("value", ["!!set {a, b}", "!!timestamp 2001-12-14", "!!omap [a: 1]"])
def test_non_json_types_in_values_are_refused(tmp_path, value):
    site = tmp_path / "site.yaml"
    site.write_text(f"x: {value}\n")
    result = invoke(["values", "-f", str(site)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {site}:1:4: invalid YAML: !!") and "is not a values type" in result.stderr


def test_structure_check_costs_nothing_for_inert_values(monkeypatch):
    from meshcharts import structure
    calls = []
    monkeypatch.setattr(structure, "check_structure", lambda *a: calls.append(a))
    render(set_values=["global.hub=registry.local/istio", "pilot.replicaCount=2"])
    assert calls == []
    assert os.environ.get("MESHCHARTS_CACHE_DIR")


def test_value_whose_text_the_chart_also_writes_is_not_blamed_for_the_charts_lines(make_chart, tmp_path):
    """`app: web` is both the user's note (printed quoted, harmless) and a label the chart writes."""
    chart = make_chart({"templates/cm.yaml": """
        kind: ConfigMap
        metadata:
          labels:
            app: web
        data:
          note: {{ Values.note | quote }}
        items:
        - {{ Values.item | default("none") }}
        """})
    manifest = render(chart=chart, values_files=[values_file(tmp_path, {"note": "app: web"})])
    assert manifest.documents[0].object["data"] == {"note": "app: web"}
    with pytest.raises(MeshchartsError, match=r"item: the value 'app: web' changes the YAML structure"):
        render(chart=chart, values_files=[values_file(tmp_path, {"note": "app: web", "item": "app: web"})])


def test_lint_reports_a_value_that_adds_structure():
    result = invoke(["lint", "--set", "global.k8sIngressSelector=*x"])
    assert result.exit_code == 1
    assert "Error: --set global.k8sIngressSelector=*x: global.k8sIngressSelector: the value '*x' changes the YAML " \
           "structure" in result.stderr
