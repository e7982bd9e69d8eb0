"""`meshcharts diff`: object identity, the summary and per-path changes, the prune list, outputs
and exit status. Expected object sets are worked out here from the parsed renders, apart from
the diff's own code."""
from __future__ import annotations

import io
import json
import shutil
import sys

import pytest
import yaml

from cli_runner import invoke
from meshcharts import render
from meshcharts.diff import diff_manifests, format_diff
from meshcharts.manifest import Manifest, read_manifest

NS = "istio-system"
BUILTIN_CLUSTER = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
                   "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "PodSecurityPolicy"}


def objects(text: str) -> dict[tuple, dict]:
    """Every object of a manifest by (kind, namespace, name), worked out from PyYAML's parse."""
    docs = [d for d in yaml.safe_load_all(text) if d]
    flat = []
    for d in docs:
        flat.extend(d["items"] if d.get("kind") == "List" else [d])
    cluster = set(BUILTIN_CLUSTER)
    cluster |= {d["spec"]["names"]["kind"] for d in flat
                if d["kind"] == "CustomResourceDefinition" and d["spec"].get("scope") == "Cluster"}
    out = {}
    for d in flat:
        ns = "" if d["kind"] in cluster else d["metadata"].get("namespace") or NS
        out[(d["kind"], ns, d["metadata"]["name"])] = d
    return out


def key_of(ref: dict) -> tuple:
    return (ref["kind"], ref["namespace"] or "", ref["name"])


def expected_sets(old_text: str, new_text: str):
    old, new = objects(old_text), objects(new_text)
    added = set(new) - set(old)
    removed = set(old) - set(new)
    changed = {k for k in set(old) & set(new) if old[k] != new[k]}
    return added, removed, changed


def by_kind(keys) -> dict[str, int]:
    out: dict[str, int] = {}
    for kind, _, _ in keys:
        out[kind] = out.get(kind, 0) + 1
    return out


def run(*args):
    return invoke(list(args))


# --- a directory rendered twice ----------------------------------------------------------------

@pytest.mark.parametrize(("first", "second"), [("default", "demo"), ("demo", "default")])
def test_diff_of_two_renders_into_one_directory_matches_the_object_sets(tmp_path, first, second):
    out, before = tmp_path / "manifests", tmp_path / "before"
    assert run("render", "--profile", first, "--output-dir", str(out), "-q").exit_code == 0
    shutil.copytree(out, before)
    assert run("render", "--profile", second, "--output-dir", str(out), "-q").exit_code == 0

    # the directory mirrors the second render exactly: no file of the first is left over
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == sorted([".meshcharts.index", *render(second).by_source()])

    added, removed, changed = expected_sets(render(first).text, render(second).text)
    assert added or removed
    for args in ((str(before), str(out)), ("--against", str(before), "--profile", second)):
        result = run("diff", *args, "-o", "json")
        assert result.exit_code == 1, result.stderr
        data = json.loads(result.stdout)
        assert {key_of(r) for r in data["added"]} == added
        assert {key_of(r) for r in data["removed"]} == removed
        assert {key_of(r) for r in data["changed"]} == changed
        assert data["summary"]["added"] == len(added) and data["summary"]["removed"] == len(removed)
        assert data["summary"]["changed"] == len(changed)
        expected_kinds = {}
        for what, keys in (("added", added), ("removed", removed), ("changed", changed)):
            for kind, n in by_kind(keys).items():
                expected_kinds.setdefault(kind, {"added": 0, "removed": 0, "changed": 0})[what] = n
        assert data["summary"]["byKind"] == expected_kinds
        assert {key_of(r) for r in data["prune"]} == removed


def test_same_render_has_no_changes_and_exit_0(tmp_path):
    out = tmp_path / "m"
    assert run("render", "--profile", "demo", "--output-dir", str(out), "-q").exit_code == 0
    result = run("diff", "--against", str(out))  # the flags come from the tree's record
    assert (result.exit_code, result.stdout) == (0, "no changes\n")
    result = run("diff", "--against", str(out), "--profile", "demo", "-o", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["summary"]["changed"] == 0


def test_two_profiles_as_render_flags():
    result = run("diff", "--profile", "default", "--to-profile", "demo", "-o", "json")
    assert result.exit_code == 1
    added, removed, changed = expected_sets(render("default").text, render("demo").text)
    data = json.loads(result.stdout)
    assert ({key_of(r) for r in data["added"]}, {key_of(r) for r in data["removed"]},
            {key_of(r) for r in data["changed"]}) == (added, removed, changed)


def test_to_set_and_to_values(tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text("pilot:\n  replicaCount: 3\n  autoscaleEnabled: false\n")
    result = run("diff", "--to-values", str(site), "--to-set", "mixer.enabled=false", "-o", "json")
    data = json.loads(result.stdout)
    changed = {(c["kind"], c["name"]): c for c in data["changed"]}
    pilot = changed[("Deployment", "istio-pilot")]
    assert {"op": "~", "path": "spec.replicas", "old": 1, "new": 3} in pilot["changes"]
    assert any(r["name"] == "istio-policy" for r in data["removed"])


# --- identity ------------------------------------------------------------------------------------

def manifest(text: str):
    return Manifest(read_manifest(text, "-"))


def test_group_move_of_a_kubernetes_kind_is_one_changed_object():
    old = manifest("apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata:\n  name: a\nspec:\n  replicas: 1\n")
    new = manifest("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\n  namespace: istio-system\n"
                   "spec:\n  replicas: 1\n")
    result = diff_manifests(old, new)
    assert (len(result.added), len(result.removed), len(result.changed)) == (0, 0, 1)
    _, _, changes = result.changed[0]
    assert [(c.op, c.path, c.old, c.new) for c in changes] == [("~", ("apiVersion",), "extensions/v1beta1",
                                                                  "apps/v1")]


def test_same_kind_in_two_custom_groups_is_two_objects():
    old = manifest("apiVersion: networking.istio.io/v1alpha3\nkind: Gateway\nmetadata:\n  name: g\n")
    new = manifest("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: g\n")
    result = diff_manifests(old, new)
    assert (len(result.added), len(result.removed), len(result.changed)) == (1, 1, 0)


def test_list_items_are_objects_and_release_namespace_fills_in():
    old = manifest("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata:\n"
                   "    name: s\n  spec: {ports: [{port: 80}]}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n"
                   "    name: c\n")
    new = manifest("---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: mesh}\n"
                   "spec: {ports: [{port: 81}]}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
                   "  namespace: mesh\n")
    result = diff_manifests(old, new, namespace="mesh")
    assert (len(result.added), len(result.removed)) == (0, 0)
    assert [(o.key.kind, [(c.path, c.old, c.new) for c in ch]) for o, _, ch in result.changed] == \
        [("Service", [(("spec", "ports", 0, "port"), 80, 81)])]


def test_cluster_scope_comes_from_the_crd():
    crd = ("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n"
           "  name: meshpolicies.authentication.istio.io\nspec:\n  group: authentication.istio.io\n"
           "  names: {kind: MeshPolicy, plural: meshpolicies}\n  scope: Cluster\n")
    old = manifest(crd + "---\napiVersion: authentication.istio.io/v1alpha1\nkind: MeshPolicy\nmetadata:\n"
                   "  name: default\n  namespace: somewhere\n")
    new = manifest(crd + "---\napiVersion: authentication.istio.io/v1alpha1\nkind: MeshPolicy\nmetadata:\n"
                   "  name: default\n")
    result = diff_manifests(old, new)
    assert not result and result.changed == []


def test_yaml_in_a_configmap_is_compared_structurally():
    old, new = render(), render(set_values=["global.enableTracing=false", "global.mtls.enabled=true"])
    result = diff_manifests(old, new)
    changed = {(o.key.kind, o.key.name): ch for o, _, ch in result.changed}
    paths = {c.path: (c.op, c.old, c.new) for c in changed[("ConfigMap", "istio")]}
    assert paths == {("data", "mesh", "|", "enableTracing"): ("~", True, False)}
    assert "~ data.mesh|enableTracing: true -> false" in format_diff(result)
    # nested manifests: by kind and name, one document gained
    nested = changed[("ConfigMap", "istio-security-custom-resources")]
    assert [(c.op, c.path) for c in nested] == [
        ("-", ("data", "custom-resources.yaml", "|", "[MeshPolicy default]", "spec", "peers", 0, "mtls", "mode")),
        ("+", ("data", "custom-resources.yaml", "|", "[DestinationRule default]")),
        ("+", ("data", "custom-resources.yaml", "|", "[DestinationRule api-server]"))]


def test_text_that_is_not_yaml_is_compared_line_by_line():
    old = manifest("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  t: |\n    [[ a ]]: {\n"
                   "    line two\n")
    new = manifest("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  t: |\n    [[ a ]]: {\n"
                   "    line 2\n")
    text = format_diff(diff_manifests(old, new))
    assert "~ data.t: (text)" in text and "    -line two" in text and "    +line 2" in text


# --- the prune list ------------------------------------------------------------------------------

COMPONENTS = [  # (profile, component): each switched off on its own
    ("demo", "pilot"), ("demo", "mixer"), ("demo", "galley"), ("demo", "security"),
    ("demo", "sidecarInjectorWebhook"), ("demo", "gateways"), ("demo", "grafana"), ("demo", "prometheus"),
    ("demo", "tracing"), ("demo", "servicegraph"), ("default", "ingress"),
]


def hook_events(obj: dict) -> list[str]:
    hook = ((obj.get("metadata") or {}).get("annotations") or {}).get("helm.sh/hook") or ""
    return [e.strip() for e in hook.split(",") if e.strip() and e.strip() != "crd-install"]


@pytest.mark.parametrize(("profile", "component"), COMPONENTS, ids=[c for _, c in COMPONENTS])
def test_prune_list_for_each_component_switched_off(profile, component):
    if component == "ingress":
        old_m = render(profile, set_values=["ingress.enabled=true"])
        new_m = render(profile)
    else:
        old_m = render(profile)
        new_m = render(profile, set_values=[f"{component}.enabled=false"])
    old, new = objects(old_m.text), objects(new_m.text)
    removed = set(old) - set(new)
    assert removed
    result = diff_manifests(old_m, new_m)
    prune = {(p.key.kind, p.key.namespace, p.key.name): p for p in result.prune}
    assert set(prune) == removed
    for key, item in prune.items():
        obj = old[key]
        reasons = " | ".join(item.dangers)
        if key[0] == "CustomResourceDefinition":
            assert f"deletes every {obj['spec']['names']['kind']} " in reasons
        if hook_events(obj):
            assert "hook (" in reasons
        leftovers = [v for v in (obj.get("data") or {}).values() if isinstance(v, str) and "\nkind:" in v] \
            if key[0] == "ConfigMap" else []
        if key[0] != "CustomResourceDefinition" and not hook_events(obj) and not leftovers \
                and key != ("Deployment", NS, "istio-citadel"):
            assert item.dangers == [], (key, item.dangers)
    crds = sorted(k[2] for k in removed if k[0] == "CustomResourceDefinition")
    if component == "pilot":
        assert crds == sorted(f"{p}.networking.istio.io" for p in
                              ("virtualservices", "destinationrules", "serviceentries", "gateways", "envoyfilters"))
    if component == "galley":
        assert any("ValidatingWebhookConfiguration istio-galley" in d and "kubectl delete "
                   "validatingwebhookconfiguration istio-galley" in d for p in result.prune for d in p.dangers)
    if component == "security":
        assert any("post-delete" in d for p in result.prune for d in p.dangers)
        assert any("istio.io/key-and-cert" in d for p in result.prune for d in p.dangers)


def test_pilot_off_prune_list_in_text_and_markdown():
    old, new = render(), render(set_values=["pilot.enabled=false"])
    text = format_diff(diff_manifests(old, new))
    assert "CustomResourceDefinition virtualservices.networking.istio.io  DANGER" in text
    md = format_diff(diff_manifests(old, new), "markdown")
    assert md.startswith("**meshcharts diff:** 0 added, 13 removed, 0 changed")
    assert "> [!WARNING]" in md and "`CustomResourceDefinition gateways.networking.istio.io`" in md


# --- command line ------------------------------------------------------------------------------

def test_files_and_stdin(tmp_path, monkeypatch):
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(render().text)
    new.write_text(render(set_values=["pilot.replicaCount=2"]).text)
    result = run("diff", str(old), str(new))
    assert result.exit_code == 1
    assert result.stdout.startswith("0 added, 0 removed, 1 changed\n")
    assert "~ Deployment istio-system/istio-pilot" in result.stdout and "~ spec.replicas: 1 -> 2" in result.stdout
    monkeypatch.setattr(sys, "stdin", io.StringIO(new.read_text()))
    assert run("diff", str(old), "-").stdout == result.stdout


@pytest.mark.parametrize(("args", "fragment"), [
    (["diff"], "nothing to compare"),
    (["diff", "/nonexistent.yaml", "/nonexistent2.yaml"], "/nonexistent.yaml: no such file or directory"),
    (["diff", "a", "b", "c"], "at most two sides"),
    (["diff", "-", "-"], "only one side"),
    (["diff", "--to-profile", "nope"], "--profile: unknown profile 'nope'"),
], ids=["nothing", "missing-file", "three", "two-stdin", "bad-profile"])
def test_errors_exit_2_with_one_line(args, fragment):
    result = run(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("Error: ") and fragment in result.stderr.splitlines()[0]


def test_broken_manifest_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\nkind: [unclosed\n")
    result = run("diff", str(bad), str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {bad}:8:1: invalid YAML")  # located in the whole file


def test_python_api_compare_takes_renders_files_and_directories(tmp_path):
    from meshcharts import RenderOptions, compare
    out = tmp_path / "m"
    assert run("render", "--output-dir", str(out), "-q").exit_code == 0
    result = compare(out, RenderOptions(set_values=("pilot.enabled=false",)))
    assert sorted(p.key.name for p in result.prune if p.dangers) == sorted(
        f"{p}.networking.istio.io" for p in ("virtualservices", "destinationrules", "serviceentries", "gateways",
                                             "envoyfilters"))
    assert not compare(render(), out)
