"""The mesh chart's values.schema.json, schema checks of any chart, unknown-key warnings and
`meshcharts lint` (schema violations, unknown keys, values no template reads)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from meshcharts import render
from meshcharts.api import RenderOptions, load, value_origins
from meshcharts.bundle import bundled

MESH = bundled("istio")
CHART_DIR = MESH.directory
from cli_runner import invoke
from meshcharts.errors import ChartError, MeshchartsError
from meshcharts.schema import unknown_keys, violations
from meshcharts.yamlio import load_values_text

SCHEMA = json.loads((CHART_DIR / "values.schema.json").read_text(encoding="utf-8"))
CASES = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "cases"


def run(*args: str):
    return invoke(list(args))


# --- the mesh chart's schema ------------------------------------------------------------------------

def test_schema_is_valid_draft_07():
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(SCHEMA)


def _key_paths(values, path=()):
    for key, value in values.items():
        yield path + (key,)
        if isinstance(value, dict):
            yield from _key_paths(value, path + (key,))


def test_every_default_key_has_a_type_and_a_description():
    for path in _key_paths(MESH.defaults()):
        node = SCHEMA
        for key in path:
            node = node["properties"][key]
            described = node.get("description", "")  # a $ref's node says what it is used for
            while "$ref" in node:
                node = SCHEMA["definitions"][node["$ref"].rsplit("/", 1)[-1]]
                described = described or node.get("description", "")
        assert node.get("type"), path
        assert described.strip(), path


def _profile_cases():
    cases = [(name, ()) for name in MESH.profile_names()]
    for case in sorted(CASES.glob("*.yaml")) if CASES.is_dir() else []:
        spec = load_values_text(case.read_text(), str(case))
        cases.append((spec.get("profile", "default"), tuple(spec.get("set", ()))))
    return cases


@pytest.mark.parametrize(("profile", "sets"), _profile_cases(), ids=lambda v: str(v) if isinstance(v, str) else "")
def test_profiles_and_conformance_cases_validate_cleanly(profile, sets):
    options = RenderOptions(profile=profile, set_values=sets)
    tree, values = load(options)
    assert violations(tree, values) == []
    assert unknown_keys(tree, values, value_origins(options)) == []


def test_open_maps_take_any_key():
    manifest = render(set_values=["gateways.edge.enabled=true", "gateways.edge.labels.app=edge",
                                  "gateways.edge.labels.istio=edge", "gateways.edge.ports[0].port=80",
                                  "gateways.edge.ports[0].name=http", "gateways.edge.serviceAnnotations.a/b=c",
                                  "pilot.resources.limits.cpu=2", "pilot.env.EXTRA=1", "global.arch.arm64=3",
                                  "mixer.nodeSelector.disk=ssd"])
    assert manifest.warnings == []
    assert any(d.kind == "Service" and d.name == "edge" for d in manifest.documents)


def test_values_helm_renders_as_text_pass_the_schema(tmp_path):
    # --set reads 0.5 as text, Kubernetes takes a port's name as its targetPort, and the chart
    # reads arch weights through `int`: Helm renders each of these, so the schema lets them by.
    site = tmp_path / "site.yaml"
    site.write_text("global:\n  arch:\n    amd64: '3'\n")
    manifest = render(values_files=[site], set_values=[
        "pilot.traceSampling=0.5", "gateways.istio-ingressgateway.ports[0].port=80",
        "gateways.istio-ingressgateway.ports[0].name=http2", "gateways.istio-ingressgateway.ports[0].targetPort=http"])
    # The one warning: the --set index replaced the chart's list of ingress ports.
    assert [w.split(": ")[1] for w in manifest.warnings] == ["gateways.istio-ingressgateway.ports"]
    docs = {(d.kind, d.name): d.object for d in manifest.documents}
    pilot = docs[("Deployment", "istio-pilot")]["spec"]["template"]["spec"]
    assert {"name": "PILOT_TRACE_SAMPLING", "value": "0.5"} in pilot["containers"][0]["env"]
    assert pilot["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["weight"] == 3
    assert docs[("Service", "istio-ingressgateway")]["spec"]["ports"][0]["targetPort"] == "http"
    with pytest.raises(MeshchartsError, match=r"global\.arch\.amd64: 'most' does not match"):
        render(set_values=["global.arch.amd64=most"])


def test_user_gateways_are_typed_like_the_bundled_ones():
    with pytest.raises(MeshchartsError, match=r"gateways\.edge\.replicaCount: expected a whole number"):
        render(set_values=["gateways.edge.replicaCount=many"])


# --- unknown keys: a warning when rendering -----------------------------------------------------------

def test_unknown_key_warns_with_closest_key_and_renders(tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text("pilot:\n  replicaCont: 2\n")
    result = run("render", "-f", str(site), "--set", "global.imagePullPolicyy=Always", "--kube-version", "v1.15.0")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == render().text  # unknown keys change nothing
    assert result.stderr.splitlines() == [
        f"Warning: {site}:2:3: pilot.replicaCont: unknown key (did you mean replicaCount?)",
        "Warning: --set global.imagePullPolicyy=Always: global.imagePullPolicyy: unknown key "
        "(did you mean imagePullPolicy?)"]


def test_unknown_key_in_a_user_gateway_is_warned():
    manifest = render(set_values=["gateways.edge.enabled=false", "gateways.edge.replicas=2"])
    assert manifest.warnings == ["--set gateways.edge.replicas=2: gateways.edge.replicas: unknown key "
                                 "(did you mean replicaCount?)"]


# --- any chart's own values.schema.json -------------------------------------------------------------

CHART_SCHEMA = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "definitions": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}},
    "properties": {
        "replicas": {"type": "integer"},
        "service": {"type": "object", "properties": {"port": {"$ref": "#/definitions/port"}}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "strict": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False},
    },
})
SPEC = {"values.schema.json": CHART_SCHEMA, "values.yaml": "replicas: 1\nservice:\n  port: 80\n",
        "templates/cm.yaml": "kind: ConfigMap\nreplicas: {{ Values.replicas }}\n"}


def test_a_charts_schema_is_applied(render_chart):
    assert render_chart(SPEC).warnings == []
    with pytest.raises(MeshchartsError) as info:
        render_chart(SPEC, set_values=["service.port=70000"])
    assert str(info.value) == ("--set service.port=70000: service.port: 70000 is greater than the maximum of 65535 "
                               "(values.schema.json)")


def test_a_charts_own_defaults_are_checked(render_chart):
    with pytest.raises(MeshchartsError, match=r"^replicas: expected a whole number, got a string"):
        render_chart({**SPEC, "values.yaml": "replicas: one\n"})


def test_closed_map_names_the_unknown_key(render_chart):
    with pytest.raises(MeshchartsError) as info:
        render_chart(SPEC, set_values=["strict.aa=1"])
    assert str(info.value) == ("--set strict.aa=1: strict: unknown key aa (did you mean a?) (this map takes no other "
                               "keys) (values.schema.json)")


def test_unknown_keys_follow_refs_and_open_maps(render_chart):
    manifest = render_chart(SPEC, set_values=["service.prot=80", "labels.any=thing", "replicaz=2"])
    assert manifest.warnings == [
        "--set service.prot=80: service.prot: unknown key (did you mean port?)",
        "--set replicaz=2: replicaz: unknown key (did you mean replicas?)"]


def test_child_chart_schema_checks_its_own_section(render_chart):
    spec = {"templates/a.yaml": "kind: A\n", "charts/kid/templates/b.yaml": "kind: B\n",
            "charts/kid/values.schema.json": json.dumps({"properties": {"size": {"type": "integer"}}})}
    with pytest.raises(MeshchartsError, match=r"^--set kid.size=big: kid.size: expected a whole number"):
        render_chart(spec, set_values=["kid.size=big"])


def test_schema_is_not_a_chart_file(render_chart):
    manifest = render_chart({**SPEC, "templates/cm.yaml": "kind: ConfigMap\nx: '{{ Files.Get(\"values.schema.json\") }}'\n"})
    assert "x: ''" in manifest.text


@pytest.mark.parametrize(("text", "fragment"), [
    ('{"type": "object",\n "properties": }', "values.schema.json:2:16: invalid JSON"),
    ('["not", "an", "object"]', "values.schema.json: a values schema must be a JSON object"),
    ('{"type": "obj"}', "values.schema.json: invalid values schema: 'obj' is not valid"),
], ids=["bad-json", "not-an-object", "bad-type-name"])
def test_broken_schema_is_a_chart_error(render_chart, text, fragment):
    with pytest.raises(ChartError, match=fragment.replace(".", r"\.").replace("(", r"\(")):
        render_chart({**SPEC, "values.schema.json": text}, set_values=["replicas=2"])


# --- cost: jsonschema only when there is something to check -------------------------------------------

def _imports_jsonschema(*args: str, cache: Path) -> bool:
    code = ("import sys\nfrom meshcharts.cli import main\n"
            "try:\n    main(list(sys.argv[1:]))\n"
            "finally:\n    sys.stderr.write('jsonschema' in sys.modules and 'IMPORTED' or 'NOT')\n")
    env = {**os.environ, "MESHCHARTS_CACHE_DIR": str(cache)}
    proc = subprocess.run([sys.executable, "-c", code, "render", *args], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr.endswith("IMPORTED")


def test_jsonschema_is_imported_only_to_check_new_values(tmp_path):
    assert not _imports_jsonschema(cache=tmp_path)  # the chart's own defaults: tested here, not at run time
    assert not _imports_jsonschema("--profile", "demo", cache=tmp_path)
    assert _imports_jsonschema("--set", "pilot.replicaCount=2", cache=tmp_path)
    assert not _imports_jsonschema("--set", "pilot.replicaCount=2", cache=tmp_path)  # found valid before
    assert _imports_jsonschema("--set", "pilot.replicaCount=3", cache=tmp_path)


# --- lint -------------------------------------------------------------------------------------------

def test_lint_of_clean_values_passes(tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text("global:\n  hub: registry.local/istio\npilot:\n  replicaCount: 2\n")
    result = run("lint", "-f", str(site), "--profile", "demo", "--kube-version", "v1.15.0")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "no problems found\n", "")


def test_lint_reports_every_kind_of_problem(tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text("pilot:\n  replicaCont: 2\n  replicaCount: two\n"
                    "grafana:\n  replicaCount: 2\n"
                    "gateways:\n  istio-ingressgateway:\n    labels:\n      tier: edge\n"
                    "mixer:\n  prometheusStatsdExporter:\n    tag: v1\n")
    result = run("lint", "-f", str(site), "--set", "global.proxy.envoyStatsd.host=statsd")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: {site}:3:3: pilot.replicaCount: expected a whole number, got a string (\"two\")",
        f"Error: {site}:2:3: pilot.replicaCont: unknown key (did you mean replicaCount?)",
        f"Error: {site}:5:3: grafana.replicaCount: no template reads this value (chart grafana is disabled)",
        f"Error: {site}:12:5: mixer.prometheusStatsdExporter.tag: no template reads this value",
        "Error: --set global.proxy.envoyStatsd.host=statsd: global.proxy.envoyStatsd.host: "
        "no template reads this value",
        "5 problems found"]


def test_lint_does_not_report_profile_keys():
    # The gateways profile sets keys no template reads (global.proxy.envoyStatsd.*): the chart's, not the user's.
    result = run("lint", "--profile", "gateways", "--kube-version", "v1.15.0")
    assert result.exit_code == 0, result.stderr


def test_lint_counts_condition_keys_as_read():
    result = run("lint", "--set", "grafana.enabled=false", "--set", "galley.enabled=false", "--kube-version", "v1.15.0")
    assert result.exit_code == 0, result.stderr


def test_lint_reports_a_render_error(render_chart, make_chart):
    chart = make_chart({"templates/a.yaml": "kind: A\nx: {{ Values.a.b }}\n", "values.yaml": "a:\n  b: 1\n"})
    result = run("lint", "--chart", str(chart), "--set", "a=flat")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: parent/templates/a.yaml:2: can't evaluate field b in type string (a is a string ('flat'), not a map)",
        "  caused by --set a=flat: a is a string where the chart has a map",
        "1 problem found"]


def test_lint_finds_values_a_generic_chart_ignores(make_chart):
    chart = make_chart({"templates/a.yaml": "kind: A\n{% for k, v in Values.labels | items %}{{ k }}: {{ v }}\n"
                                            "{% endfor %}x: {{ Values.used }}\n",
                        "values.yaml": "used: 1\nlabels: {}\n"})
    result = run("lint", "--chart", str(chart), "--set", "used=2,unused=3,labels.a=b")
    assert result.stderr.splitlines() == ["Error: --set used=2,unused=3,labels.a=b: unused: no template reads this value",
                                          "1 problem found"]


def test_lint_errors_on_unreadable_input_like_render():
    result = run("lint", "-f", "/nonexistent/site.yaml")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "Error: /nonexistent/site.yaml: values file not found\n"
