"""meshcharts validate: the demo render against every Kubernetes release, manifests read back
from files, the API server's reading of objects, cross-object checks, and the command line."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_runner import invoke as run
from meshcharts import render
from meshcharts.manifest import read_manifest, read_manifest_path
from meshcharts.validate import kube, validate_manifest, validate_path
from meshcharts.validate.core import validate_documents

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "samples" / "expected"
if not SAMPLES.is_dir():
    SAMPLES = Path("/work/shared/conformance/samples/expected")


@pytest.fixture(scope="module")
def demo():
    return render("demo")


def refused(report) -> set[tuple[str, str, str]]:
    return {(f.api_version, f.kind, f.name) for f in report.errors}


def names(demo, api_version: str, kind: str) -> set[tuple[str, str, str]]:
    return {(api_version, kind, d.name) for d in demo.documents
            if d.kind == kind and d.object.get("apiVersion") == api_version}


# --- the demo render, release by release -----------------------------------------------------------

@pytest.mark.parametrize("minor", range(9, 16))
def test_demo_applies_to_kubernetes_1_9_to_1_15(demo, minor):
    report = validate_manifest(demo, f"v1.{minor}.0")
    assert report.errors == [], report.text()


def test_demo_at_1_16_loses_exactly_the_extensions_deployments(demo):
    report = validate_manifest(demo, "v1.16.0")
    deployments = names(demo, "extensions/v1beta1", "Deployment")
    assert len(deployments) == 12
    assert refused(report) == deployments
    pilot = next(f for f in report.errors if f.name == "istio-pilot")
    assert str(pilot) == ("istio/charts/pilot/templates/deployment.yaml: extensions/v1beta1 Deployment "
                          "istio-system/istio-pilot: removed in Kubernetes 1.16; use apps/v1 (spec.selector becomes "
                          "required)")


def test_demo_at_1_22_adds_the_v1beta1_crds_rbac_and_webhooks(demo):
    report = validate_manifest(demo, "v1.22.0")
    added = refused(report) - refused(validate_manifest(demo, "v1.21.0"))
    crds = names(demo, "apiextensions.k8s.io/v1beta1", "CustomResourceDefinition")
    rbac = (names(demo, "rbac.authorization.k8s.io/v1beta1", "ClusterRole")
            | names(demo, "rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"))
    webhook = names(demo, "admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration")
    galley = {("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration", "istio-galley")}
    assert (len(crds), len(rbac), len(webhook)) == (48, 22, 1)
    assert added == crds | rbac | webhook | galley
    nested = next(f for f in report.errors if f.kind == "ValidatingWebhookConfiguration")
    assert (nested.source, nested.key) == ("istio/charts/galley/templates/configmap.yaml",
                                           "data key validatingwebhookconfiguration.yaml")
    # the 23 Istio objects whose CRDs the cluster refuses: warned about, the CRDs being the errors
    assert len(report.warnings) == 23
    assert all("its CustomResourceDefinition (apiextensions.k8s.io/v1beta1) is refused by Kubernetes 1.22" in f.message
               for f in report.warnings)


def test_demo_at_1_25_adds_the_autoscalers(demo):
    added = refused(validate_manifest(demo, "v1.25.0")) - refused(validate_manifest(demo, "v1.24.0"))
    assert added == names(demo, "autoscaling/v2beta1", "HorizontalPodAutoscaler")
    assert len(added) == 5


def test_demo_at_the_newest_release_counts_every_unserved_object(demo):
    report = validate_manifest(demo, "v1.36.0")
    assert len(report.errors) == 12 + 48 + 22 + 1 + 1 + 5
    assert all("removed in Kubernetes" in f.message for f in report.errors)


def test_categories_are_dropped_by_1_9_with_a_warning(demo):
    report = validate_manifest(demo, "1.9")
    assert report.ok and report.warnings
    assert all(f.path == "spec.names.categories" and "added in 1.10" in f.message for f in report.warnings)


# --- versions --------------------------------------------------------------------------------------

def test_versions_compare_as_versions():
    assert kube.release_for("v1.9.0") == (1, 9)
    assert kube.release_for("1.10") == (1, 10)
    assert kube.release_for("v1.16.3") == (1, 16)
    newest = kube.releases()[-1]
    assert kube.release_for("v1.100.0") == newest  # newer than known: judged by the newest
    assert kube.releases() == sorted(kube.releases()) and (1, 9) in kube.releases() and len(kube.releases()) >= 28


@pytest.mark.parametrize("version,message", [("v1.8.0", "older than the oldest"), ("latest", "not a Kubernetes version")])
def test_bad_versions_are_refused(version, message):
    with pytest.raises(Exception, match=message):
        kube.release_for(version)


# --- reading manifests back --------------------------------------------------------------------------

def test_read_manifest_numbers_documents_and_keeps_sources():
    text = "# a comment\n---\n# Source: x/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n" \
           "---\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: ns}\n"
    docs = read_manifest(text, "in.yaml")
    assert [(d.source, d.number, d.kind, d.name, d.namespace) for d in docs] == [
        ("x/templates/a.yaml", 1, "ConfigMap", "a", None), ("in.yaml", 2, "Service", "b", "ns")]


def test_read_manifest_reads_values_as_kubectl_does():
    (doc,) = read_manifest("kind: ConfigMap\ndata:\n  flag: on\n  when: 2019-01-01\n", "-")
    assert doc.object["data"] == {"flag": True, "when": "2019-01-01"}


def test_read_manifest_locates_broken_yaml_in_the_whole_file():
    with pytest.raises(Exception, match=r"^in\.yaml:6:1: invalid YAML"):
        read_manifest("kind: A\n---\nkind: B\nx:\n  - [\n", "in.yaml")


def test_output_dir_tree_reads_back_like_the_render(tmp_path, demo):
    assert run(["render", "--profile", "demo", "--output-dir", str(tmp_path / "out")]).exit_code == 0
    docs = read_manifest_path(tmp_path / "out")
    assert sorted((d.source, d.kind, d.name) for d in docs) == sorted((d.source, d.kind, d.name) for d in demo.documents)


def test_missing_paths_are_errors(tmp_path):
    with pytest.raises(Exception, match="no such file"):
        read_manifest_path(tmp_path / "nope.yaml")
    (tmp_path / "empty").mkdir()
    with pytest.raises(Exception, match="no .yaml"):
        read_manifest_path(tmp_path / "empty")


# --- the API server's reading -------------------------------------------------------------------------

def check(text: str, version: str = "1.15"):
    return validate_documents(read_manifest(text, "m.yaml"), version)


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: %s
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        resources: {limits: {cpu: 1, memory: 128Mi}}
"""


def test_a_valid_deployment_passes_and_quantities_take_numbers():
    assert check(DEPLOYMENT % 2).findings == []


def test_type_errors_and_unknown_fields_are_located():
    report = check(DEPLOYMENT % '"two"' + "        imagePullPolicyy: Always\n")
    assert [(f.path, f.message) for f in report.errors] == [
        ("spec.replicas", 'expected an integer, got a string ("two")'),
        ("spec.template.spec.containers[0].imagePullPolicyy", "unknown field (did you mean imagePullPolicy?)")]
    assert str(report.errors[0]).startswith("m.yaml: document 1: apps/v1 Deployment shop/web: spec.replicas: ")


def test_required_fields_and_bad_quantities():
    report = check("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - image: x\n"
                   "    resources: {requests: {memory: lots}}\n")
    assert sorted((f.path, f.message) for f in report.errors) == [
        ("spec.containers[0].name", "required field is missing"),
        ("spec.containers[0].resources.requests.memory", "'lots' is not a quantity (e.g. 100m, 1.5, 128Mi, 1G)")]


def test_null_fields_are_absent():
    report = check("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\nspec:\n  ports:\n"
                   "  - port: 80\n  selector:\n")
    assert report.findings == []


def test_list_items_are_checked_one_by_one():
    report = check("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: a}\n"
                   "- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: b}\n  automount: true\n")
    assert [(f.key, f.name, f.path) for f in report.errors] == [("items[1]", "b", "automount")]


def test_a_manifest_in_a_configmap_is_checked_at_its_key():
    report = check("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: holder, namespace: ns}\ndata:\n"
                   "  objects.yaml: |-\n    apiVersion: v1\n    kind: Service\n    metadata: {name: inner}\n"
                   "    spec: {ports: [{port: http}]}\n  config.txt: 'kind: not a manifest'\n")
    (finding,) = report.errors
    assert (finding.key, finding.kind, finding.name, finding.path) == ("data key objects.yaml", "Service", "inner",
                                                                       "spec.ports[0].port")
    assert str(finding).startswith("m.yaml: document 1: data key objects.yaml: v1 Service inner: spec.ports[0].port:")


def test_removed_and_not_yet_served_apis():
    report = check("apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\n", "1.25")
    assert report.errors[0].message == "removed in Kubernetes 1.25; use batch/v1"
    report = check("apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\n", "1.15")
    assert "first served in 1.21" in report.errors[0].message


def test_custom_kinds_need_their_crd():
    crd = ("apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.ex.io}\n"
           "spec:\n  group: ex.io\n  version: v1\n  scope: Namespaced\n  names: {kind: Widget, plural: widgets}\n")
    widget = "apiVersion: ex.io/v1\nkind: Widget\nmetadata: {name: w}\n"
    assert "no CustomResourceDefinition" in check(widget).errors[0].message
    assert check(crd + "---\n" + widget).findings == []
    # Istio 1.0.6's httpbin sample still uses a kind 1.0 has no CRD for
    policy = "apiVersion: config.istio.io/v1alpha1\nkind: DestinationPolicy\nmetadata: {name: httpbin}\n"
    assert "no CustomResourceDefinition defines DestinationPolicy" in check(policy).errors[0].message.replace(
        " in this manifest", "")
    # Istio 1.0's own kinds need none: the validator knows them
    assert check("apiVersion: config.istio.io/v1alpha2\nkind: metric\nmetadata: {name: m}\nspec: {}\n").findings == []


# --- Istio samples and cross-object checks ---------------------------------------------------------------

@pytest.mark.skipif(not SAMPLES.is_dir(), reason="the conformance kit's samples are not here")
def test_istio_1_0_6_bookinfo_samples_are_valid():
    report = validate_path(SAMPLES, "v1.15.0")
    assert report.errors == [], report.text()
    assert report.objects >= 60
    abort = validate_path(SAMPLES / "virtual-service-ratings-test-abort.yaml", "1.15")
    assert [f.message for f in abort.errors] == [  # alone, its subsets are declared nowhere
        "subset 'v1' of host 'ratings' is declared by no DestinationRule of this manifest"] * 2


GATEWAY = ("apiVersion: networking.istio.io/v1alpha3\nkind: Gateway\nmetadata: {name: gw, namespace: web}\n"
           "spec:\n  servers:\n  - hosts: ['shop.example.org']\n    port: {name: http, number: 80, protocol: HTTP}\n")
RULE = ("apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: shop, namespace: web}\n"
        "spec:\n  host: shop\n  subsets: [{name: v1, labels: {version: v1}}]\n")
SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {name: shop, namespace: web}\nspec: {ports: [{port: 80}]}\n"


def vs(gateway: str, subset: str, host: str = "shop") -> str:
    return ("apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata: {name: shop, namespace: web}\n"
            f"spec:\n  hosts: ['shop.example.org']\n  gateways: [{gateway}]\n  http:\n"
            f"  - route:\n    - destination: {{host: {host}, subset: {subset}}}\n")


def test_cross_object_references():
    assert check("---\n".join([GATEWAY, RULE, SERVICE, vs("gw", "v1")])).findings == []
    report = check("---\n".join([GATEWAY, RULE, SERVICE, vs("gw-typo", "v2", host="shop-typo")]))
    assert sorted((f.severity, f.path, f.message) for f in report.findings) == [
        ("error", "spec.gateways[0]", "gateway 'gw-typo' is not a Gateway of this manifest"),
        ("error", "spec.http[0].route[0].destination.subset",
         "subset 'v2' of host 'shop-typo' is declared by no DestinationRule of this manifest"),
        ("warning", "spec.http[0].route[0].destination.host",
         "host 'shop-typo' matches no Service or ServiceEntry of this manifest")]


# --- the command line ------------------------------------------------------------------------------------

def test_cli_validates_a_render_and_exits_by_result():
    clean = run(["validate", "--profile", "demo", "--kube-version", "v1.15.0"])
    assert (clean.exit_code, clean.stderr) == (0, "")
    assert clean.stdout.endswith("objects checked against Kubernetes 1.15: 0 errors, 0 warnings\n")
    broken = run(["validate", "--profile", "demo", "--kube-version", "v1.16.0"])
    assert broken.exit_code == 1 and broken.stdout == ""
    lines = broken.stderr.splitlines()
    assert len(lines) == 13 and all(line.startswith("Error: ") for line in lines[:-1])
    assert lines[-1].endswith("1.16: 12 errors, 0 warnings")


def test_cli_json_report(tmp_path):
    manifest = tmp_path / "istio.yaml"
    manifest.write_text(render("demo").text)
    result = run(["validate", str(manifest), "--kube-version", "1.25", "--output", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["kubeVersion"], data["errors"], data["warnings"]) == ("1.25", 89, 23)
    first = data["findings"][0]
    assert set(first) == {"severity", "source", "document", "key", "apiVersion", "kind", "namespace", "name", "path",
                          "message"}


def test_cli_reads_stdin(monkeypatch):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO(DEPLOYMENT % "'x'"))
    result = run(["validate", "-", "--kube-version", "1.20"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: -: document 1: apps/v1 Deployment shop/web: spec.replicas: ")


@pytest.mark.parametrize("args,message", [
    (["validate", "/nonexistent.yaml"], "Error: /nonexistent.yaml: no such file or directory\n"),
    (["validate", "--profile", "demo", "--kube-version", "1.8"], "Error: --kube-version: Kubernetes 1.8 is older"),
    (["validate", "x.yaml", "--profile", "demo"], "Error: x.yaml: takes a manifest or values flags, not both\n"),
])
def test_cli_could_not_run_is_status_2(args, message):
    result = run(args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(message)


def test_render_validate_prints_nothing_when_the_cluster_would_refuse():
    result = run(["render", "--profile", "demo", "--validate", "--kube-version", "v1.16.0"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines()[-1] == "Error: --validate: Kubernetes v1.16.0 would refuse this manifest"
    ok = run(["render", "--profile", "demo", "--validate", "--kube-version", "v1.15.0"])
    assert (ok.exit_code, ok.stdout, ok.stderr) == (0, render("demo").text, "")


def test_render_notes_unserved_apis_without_changing_stdout():
    result = run(["render", "--profile", "demo"])
    assert result.exit_code == 0 and result.stdout == render("demo").text
    (note,) = result.stderr.splitlines()
    assert note.startswith("Note: Kubernetes v1.36.0 no longer serves apiextensions.k8s.io/v1beta1 "
                           "CustomResourceDefinition, ")
    assert "extensions/v1beta1 Deployment" in note and note.endswith("see `meshcharts validate` with the same flags")
    assert run(["render", "--profile", "demo", "--kube-version", "v1.15.0"]).stderr == ""


def test_lint_runs_the_same_checks():
    result = run(["lint", "--profile", "demo", "--kube-version", "v1.16.0"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "12 problems found"


def test_malformed_objects_give_findings_never_crashes(demo):
    """Any field of any demo object or bookinfo sample replaced by a value of the wrong shape."""
    import copy
    import random

    from meshcharts.manifest import Document
    objects = [d.object for d in read_manifest(demo.text, "demo.yaml")]
    if SAMPLES.is_dir():
        objects += [d.object for d in read_manifest_path(SAMPLES)]
    shapes = [None, 7, -1, 2**40, 0.5, "x", "", "1s", "*", True, [], {}, [None], [{}], {"a": None}, {"b": [1]}]

    def paths(value, path=()):
        yield path
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in children:
            yield from paths(child, (*path, key))

    rng = random.Random(16)
    for _ in range(400):
        obj = copy.deepcopy(rng.choice(objects))
        for _ in range(rng.randint(1, 3)):
            where = [p for p in paths(obj) if p]
            if not where:
                break
            *parents, last = rng.choice(where)
            target = obj
            for key in parents:
                target = target[key]
            target[last] = copy.deepcopy(rng.choice(shapes))
        for version in ("1.9", "1.15", "1.22", "1.36"):
            validate_documents([Document("m.yaml", "", "", False, obj, 1)], version)


def test_python_api_beside_the_command(tmp_path):
    import meshcharts
    assert meshcharts.validate_render("demo", kube_version="v1.15.0").ok
    report = meshcharts.validate_render("demo", kube_version="v1.16.0")
    assert not report.ok and len(report.errors) == 12
    path = tmp_path / "m.yaml"
    path.write_text(DEPLOYMENT % 1)
    assert meshcharts.validate_path(path, "1.9").ok
    assert [d.kind for d in meshcharts.read_manifest_path(path)] == ["Deployment"]
    assert json.loads(meshcharts.validate_manifest(render("demo"), "1.25").json())["errors"] == 89
