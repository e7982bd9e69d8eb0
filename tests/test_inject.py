"""`meshcharts inject`: kube-inject's injection, repeatable and readable, with the registry and
webhook options, and one located error for each kind of bad input."""
from __future__ import annotations

import hashlib
import json
import textwrap

import pytest
import yaml

from cli_runner import invoke
from meshcharts import inject, render
from meshcharts.injection.injector import canonical_quantity, decode

# Istio 1.0.6's own status version for the chart's default values: sha256 of the injector
# template exactly as Helm renders it (every byte, whitespace-only lines too).
DEFAULT_TEMPLATE_SHA256 = "ade662dc6d8140465c402213e371068a370501da0d0235939d6260c06a64ea29"

HELLO = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: hello
      namespace: shop
    spec:
      replicas: 2
      selector:
        matchLabels: {app: hello}
      template:
        metadata:
          labels:
            app: hello
            version: v1
        spec:
          containers:
            - name: hello
              image: "registry.example/hello:1.0"
              ports:
                - containerPort: 8080
                  name: http
    """)
SERVICE = textwrap.dedent("""\
    # The service in front of hello; this comment stays.
    kind: Service
    apiVersion: v1
    metadata:
      name: hello
    spec:
      ports:
        - port: 80      # and so does this one
    """)


def objects(text: str) -> list:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def pod(obj: dict) -> dict:
    return obj["spec"]["template"]


def status(obj: dict) -> dict:
    return json.loads(pod(obj)["metadata"]["annotations"]["sidecar.istio.io/status"])


def test_injects_what_kube_inject_adds():
    (dep,) = objects(inject(text=HELLO).text)
    spec = pod(dep)["spec"]
    assert [c["name"] for c in spec["containers"]] == ["hello", "istio-proxy"]
    assert [c["name"] for c in spec["initContainers"]] == ["istio-init"]
    assert [v["name"] for v in spec["volumes"]] == ["istio-envoy", "istio-certs"]
    init = spec["initContainers"][0]
    # Go's typed decoding: the numbers the template prints into args are strings ...
    assert init["args"][:4] == ["-p", "15001", "-u", "1337"]
    assert init["args"][init["args"].index("-b") + 1] == "8080"
    # ... and restartPolicy, which the 1.11-era Container type lacks, is dropped.
    assert "restartPolicy" not in init and "restartPolicy" not in spec["containers"][1]
    proxy = spec["containers"][1]
    assert proxy["image"] == "docker.io/istio/proxyv2:1.0.6"
    assert proxy["args"][proxy["args"].index("--serviceCluster") + 1] == "hello"
    assert proxy["args"][proxy["args"].index("--parentShutdownDuration") + 1] == "1m0s"
    env = {e["name"]: e.get("value") for e in proxy["env"]}
    assert env["ISTIO_METAJSON_LABELS"] == '{"app":"hello","version":"v1"}\n'
    assert status(dep) == {"version": DEFAULT_TEMPLATE_SHA256, "initContainers": ["istio-init"],
                           "containers": ["istio-proxy"], "volumes": ["istio-envoy", "istio-certs"],
                           "imagePullSecrets": None}


def test_status_version_is_sha256_of_the_rendered_template():
    manifest = render(set_values=["global.proxy.privileged=true"])
    cm = next(d.object for d in manifest.documents if d.kind == "ConfigMap" and d.name == "istio-sidecar-injector")
    template = yaml.safe_load(cm["data"]["config"])["template"]
    (dep,) = objects(inject(text=HELLO, set_values=["global.proxy.privileged=true"]).text)
    assert status(dep)["version"] == hashlib.sha256(template.encode()).hexdigest()
    assert status(dep)["version"] == "5fc9f9d7866e7c6d346c21c7cbaf70a358f84daa2738fe2d37e1b2d822efae89"  # Istio's
    assert "securityContext:\n    \n    privileged: true\n    \n" in template  # Helm keeps those spaces


def test_reinjection_gives_the_same_bytes():
    once = inject(text=SERVICE + "---\n" + HELLO).text
    twice = inject(text=once).text
    assert twice == once
    (_, dep) = objects(twice)
    assert [c["name"] for c in pod(dep)["spec"]["containers"]] == ["hello", "istio-proxy"]


def test_reinjection_with_other_values_replaces_the_sidecar():
    once = inject(text=HELLO).text
    again = inject(text=once, set_values=["global.hub=registry.local/istio"])
    (dep,) = objects(again.text)
    images = [c["image"] for c in pod(dep)["spec"]["containers"]]
    assert images == ["registry.example/hello:1.0", "registry.local/istio/proxyv2:1.0.6"]
    assert len(pod(dep)["spec"]["initContainers"]) == 1
    assert status(dep)["version"] != DEFAULT_TEMPLATE_SHA256


def test_output_keeps_the_inputs_fields_order_and_other_documents():
    out = inject(text=SERVICE + "---\n" + HELLO).text
    assert SERVICE in out  # not a workload: byte for byte, comments included
    assert "creationTimestamp" not in out and "strategy: {}" not in out and "\nstatus:" not in out
    assert "resources: {}" not in out
    injected = out.split("---\n")[2]
    top = [line.split(":")[0] for line in injected.splitlines() if line and not line.startswith(" ")]
    assert top == ["apiVersion", "kind", "metadata", "spec"]
    spec_keys = [line.strip().split(":")[0] for line in injected.splitlines() if line.startswith("  ")
                 and not line.startswith("   ")]
    assert spec_keys == ["name", "namespace", "replicas", "selector", "template"]


def test_registry_mirrors_the_injected_images_and_adds_pull_secrets():
    flags = dict(registry="registry.local:5000/mirror", set_values=["global.imagePullSecrets={regcred}"])
    out = inject(text=HELLO, **flags).text
    (dep,) = objects(out)
    spec = pod(dep)["spec"]
    assert spec["initContainers"][0]["image"] == "registry.local:5000/mirror/istio/proxy_init:1.0.6"
    assert spec["containers"][1]["image"] == "registry.local:5000/mirror/istio/proxyv2:1.0.6"
    assert spec["imagePullSecrets"] == [{"name": "regcred"}]
    assert status(dep)["imagePullSecrets"] == ["regcred"]
    assert inject(text=out, **flags).text == out  # still repeatable


def test_registry_keeps_a_pull_secret_the_pod_already_has():
    text = HELLO.replace("      containers:", "      imagePullSecrets:\n      - name: regcred\n      containers:")
    (dep,) = objects(inject(text=text, registry="registry.local:5000/mirror",
                            set_values=["global.imagePullSecrets={regcred}"]).text)
    assert pod(dep)["spec"]["imagePullSecrets"] == [{"name": "regcred"}]
    assert status(dep)["imagePullSecrets"] is None  # not added, so a later injection leaves it


def test_injected_manifest_lists_its_images():
    from meshcharts.registry import list_images
    images = {str(i.ref) for i in list_images(inject(text=HELLO))}
    assert images == {"docker.io/istio/proxy_init:1.0.6", "docker.io/istio/proxyv2:1.0.6",
                      "registry.example/hello:1.0"}


NAMESPACED = textwrap.dedent("""\
    apiVersion: v1
    kind: Namespace
    metadata:
      name: shop
      labels:
        istio-injection: {label}
    ---
    """)


@pytest.mark.parametrize("annotation, label, autoinject, injected", [
    (None, "enabled", "enabled", True),
    ("false", "enabled", "enabled", False),        # the pod says no
    (None, "disabled", "enabled", False),          # the namespace is not selected
    (None, "enabled", "disabled", False),          # the injector's policy says no
    ("true", "enabled", "disabled", True),         # the pod asks for it
])
def test_webhook_policy(annotation, label, autoinject, injected):
    text = HELLO
    if annotation is not None:
        text = text.replace("      labels:\n        app: hello",
                            f"      annotations:\n        sidecar.istio.io/inject: \"{annotation}\"\n"
                            "      labels:\n        app: hello")
    result = inject(text=NAMESPACED.format(label=label) + text, policy="webhook",
                    set_values=[f"global.proxy.autoInject={autoinject}"])
    dep = objects(result.text)[1]
    assert ("istio-proxy" in [c["name"] for c in pod(dep)["spec"]["containers"]]) is injected
    assert bool(result.warnings) is not injected
    if not injected:
        assert text.rstrip("\n") in result.text  # left exactly as it was


def test_kube_inject_policy_injects_regardless():
    text = HELLO.replace("      labels:\n        app: hello",
                         "      annotations:\n        sidecar.istio.io/inject: \"false\"\n      labels:\n        app: hello")
    dep = objects(inject(text=NAMESPACED.format(label="disabled") + text).text)[1]
    assert "istio-proxy" in [c["name"] for c in pod(dep)["spec"]["containers"]]


def test_host_network_pods_are_left_alone_with_a_note():
    text = HELLO.replace("      containers:", "      hostNetwork: true\n      containers:")
    result = inject(text=text)
    (dep,) = objects(result.text)
    assert [c["name"] for c in pod(dep)["spec"]["containers"]] == ["hello"]
    assert "host" in result.warnings[0] and "document 1" in result.warnings[0]


def test_cronjob_status_goes_on_the_job_template():
    text = textwrap.dedent("""\
        apiVersion: batch/v1beta1
        kind: CronJob
        metadata: {name: tick}
        spec:
          schedule: "* * * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  restartPolicy: OnFailure
                  containers: [{name: tick, image: busybox}]
        """)
    (job,) = objects(inject(text=text).text)
    assert "sidecar.istio.io/status" in job["spec"]["jobTemplate"]["metadata"]["annotations"]
    assert [c["name"] for c in job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]] == \
        ["tick", "istio-proxy"]


def test_config_files_and_from_manifest_give_the_same_result(tmp_path):
    manifest = render(profile="demo")
    (tmp_path / "istio.yaml").write_text(manifest.text)
    objs = {d.name: d.object for d in manifest.documents if d.kind == "ConfigMap"}
    (tmp_path / "config").write_text(objs["istio-sidecar-injector"]["data"]["config"])
    (tmp_path / "mesh").write_text(objs["istio"]["data"]["mesh"])
    rendered = inject(text=HELLO, profile="demo").text
    assert inject(text=HELLO, from_manifest=tmp_path / "istio.yaml").text == rendered
    assert inject(text=HELLO, injector_config=tmp_path / "config", mesh_config=tmp_path / "mesh").text == rendered


def test_mesh_defaults_fill_what_the_mesh_config_leaves_out(tmp_path):
    manifest = render()
    config = next(d.object for d in manifest.documents if d.name == "istio-sidecar-injector")["data"]["config"]
    (tmp_path / "config").write_text(config)
    (tmp_path / "mesh").write_text("defaultConfig:\n  concurrency: 0\n  drainDuration: 2500ms\n")
    (dep,) = objects(inject(text=HELLO, injector_config=tmp_path / "config", mesh_config=tmp_path / "mesh").text)
    proxy = pod(dep)["spec"]["containers"][1]
    args = dict(zip(proxy["args"][2::2], proxy["args"][3::2]))
    assert args["--drainDuration"] == "2.5s"
    assert args["--parentShutdownDuration"] == "3s"        # Istio's default
    assert args["--discoveryAddress"] == "istio-pilot:15007"
    assert "--concurrency" not in args
    assert pod(dep)["spec"]["initContainers"][0]["args"][1] == "15001"


def test_cli_output_file_and_stdin(tmp_path, monkeypatch):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO(HELLO))
    out = tmp_path / "out.yaml"
    r = invoke(["inject", "-", "-o", str(out)])
    assert r.exit_code == 0 and r.stdout == ""
    assert out.read_text() == inject(text=HELLO).text.replace("<text>", "<stdin>")


def test_cli_output_dir_injects_in_place_and_atomically(tmp_path):
    apps = tmp_path / "apps"
    (apps / "web").mkdir(parents=True)
    (apps / "web" / "deploy.yaml").write_text(HELLO)
    (apps / "svc.yaml").write_text(SERVICE)
    r = invoke(["inject", "--output-dir", str(apps)])
    assert r.exit_code == 0, r.stderr
    assert "istio-proxy" in (apps / "web" / "deploy.yaml").read_text()
    assert (apps / "svc.yaml").read_text() == SERVICE  # no workload: not rewritten
    injected = (apps / "web" / "deploy.yaml").read_text()
    (apps / "broken.yaml").write_text("kind: Deployment\nspec: [\n")
    (apps / "web" / "deploy.yaml").write_text(HELLO)
    r = invoke(["inject", "--output-dir", str(apps)])
    assert r.exit_code == 1 and "broken.yaml" in r.stderr
    assert (apps / "web" / "deploy.yaml").read_text() == HELLO  # nothing written
    (apps / "broken.yaml").unlink()
    assert invoke(["inject", "--output-dir", str(apps)]).exit_code == 0
    assert (apps / "web" / "deploy.yaml").read_text() == injected


def write(tmp_path, text: str, name: str = "in.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("text, expected", [
    ("kind: Deployment\nspec: [\n", "in.yaml:3:1: invalid YAML"),
    (HELLO.replace("  template:", "  notemplate:"), "document 1 (Deployment hello): spec.template: missing"),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", "document 1 (Pod p): spec: missing"),
    (SERVICE + "---\napiVersion: v1\nmetadata: {name: x}\n", "document 2: no kind"),
    ("- just\n- a list\n", "document 1: not a Kubernetes object"),
    (HELLO.replace("      labels:\n        app: hello",
                   "      annotations:\n        traffic.sidecar.istio.io/includeInboundPorts: \"80,http\"\n"
                   "      labels:\n        app: hello"),
     "document 1 (Deployment hello): annotation traffic.sidecar.istio.io/includeInboundPorts: 'http' is not a port"),
    (HELLO.replace("      labels:\n        app: hello",
                   "      annotations:\n        traffic.sidecar.istio.io/excludeOutboundIPRanges: \"10.0.0.0/33\"\n"
                   "      labels:\n        app: hello"),
     "annotation traffic.sidecar.istio.io/excludeOutboundIPRanges: '10.0.0.0/33' is not an IP range"),
])
def test_bad_workloads(tmp_path, text, expected):
    path = write(tmp_path, text)
    r = invoke(["inject", path])
    assert r.exit_code == 1
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert expected in lines[0] and path in lines[0]


@pytest.mark.parametrize("args, expected", [
    (["--set", "global.omitSidecarInjectorConfigMap=true"], "no ConfigMap istio-sidecar-injector"),
    (["--set", "pilot.enabled=false"], "render: no ConfigMap istio in the manifest"),
    (["--injector-config", "config"], "--mesh-config: --injector-config and --mesh-config go together"),
    (["--from-manifest", "missing.yaml"], "missing.yaml: manifest not found"),
    (["--policy", "sometimes"], "invalid choice"),
    (["--registry", "reg.local/x", "--from-manifest", "m.yaml"], "--registry: needs a render"),
    (["--profile", "nosuch"], "--profile"),
])
def test_bad_flags(tmp_path, args, expected):
    path = write(tmp_path, HELLO)
    r = invoke(["inject", *args, path])
    assert r.exit_code in (1, 2)
    assert r.stdout == ""
    assert expected in r.stderr


def test_no_input_is_an_error():
    r = invoke(["inject"])
    assert r.exit_code == 1 and "no input" in r.stderr


def test_bad_mesh_and_injector_configs(tmp_path):
    manifest = render()
    config = next(d.object for d in manifest.documents if d.name == "istio-sidecar-injector")["data"]["config"]
    good_config = write(tmp_path, config, "config")
    good_mesh = write(tmp_path, "{}\n", "mesh")
    path = write(tmp_path, HELLO)
    cases = [
        (good_config, write(tmp_path, "proxyListenPort: 0\n", "m1"), "m1: invalid mesh config: proxyListenPort"),
        (good_config, write(tmp_path, "nosuchSetting: 1\n", "m2"), "m2: nosuchSetting: unknown mesh setting"),
        (good_config, write(tmp_path, "defaultConfig:\n  drainDuration: soon\n", "m3"),
         "m3: defaultConfig.drainDuration: expected a duration"),
        (write(tmp_path, "policy: enabled\ntemplate: |\n  containers:\n  - name: x\n    image: [[ nope ]]\n", "c1"),
         good_mesh, 'c1: template line 3: function "nope" not defined'),
        (write(tmp_path, "policy: enabled\ntemplate: |\n  containers:\n  - name: x\n    ports: [[ .Spec.Nope ]]\n",
               "c2"), good_mesh, "c2) line 3: can't evaluate field Nope in type PodSpec"),
        (write(tmp_path, "policy: enabled\ntemplate: |\n  containers:\n  - name: x\n    ports: oops\n", "c3"),
         good_mesh, "c3): containers[0].ports: expected a list"),
        (write(tmp_path, "policy: enabled\n", "c4"), good_mesh, "c4: the injector config has no 'template' text"),
    ]
    for config_file, mesh_file, expected in cases:
        r = invoke(["inject", "--injector-config", config_file, "--mesh-config", mesh_file, path])
        assert r.exit_code == 1 and r.stdout == "", expected
        assert len(r.stderr.strip().splitlines()) == 1
        assert expected in r.stderr, (expected, r.stderr)
        if expected.startswith(("c2)", "c3)")):  # these depend on the pod: reported against its document
            assert "in.yaml: document 1 (Deployment hello): " in r.stderr


def test_output_file_is_untouched_when_injection_fails(tmp_path):
    out = write(tmp_path, "previous\n", "out.yaml")
    bad = write(tmp_path, HELLO.replace("  template:", "  nothing:"))
    assert invoke(["inject", bad, "-o", out]).exit_code == 1
    assert (tmp_path / "out.yaml").read_text() == "previous\n"


@pytest.mark.parametrize("text, canonical", [
    ("10m", "10m"), ("1000m", "1"), ("0.5", "500m"), ("1.5", "1500m"), ("128Mi", "128Mi"),
    ("2048Mi", "2Gi"), ("1.5Gi", "1536Mi"), ("100", "100"), ("1e3", "1e3"), ("1000000", "1M"), ("0", "0"),
    ("abc", None), ("", None),
])
def test_quantities_print_as_kubernetes_does(text, canonical):
    assert canonical_quantity(text) == canonical


def test_decoding_follows_the_go_types():
    container = {"name": "x", "args": [1337, True, 1.5, "s"], "restartPolicy": "Always", "ports": [
        {"containerPort": 80, "bogus": 1}], "resources": {"requests": {"cpu": "0.1"}}, "stdin": None}
    assert decode(container, "struct:Container", "c") == {
        "name": "x", "args": ["1337", "true", "1.5", "s"], "ports": [{"containerPort": 80}],
        "resources": {"requests": {"cpu": "100m"}}}


def test_readme_gives_the_real_signature_of_inject():
    import inspect
    import re
    from pathlib import Path
    from meshcharts.injection.api import inject as inject_function
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    documented = " ".join(re.search(r"`inject\((.*?)\)`\nreturns", readme, re.S).group(1).split())
    parts = []
    for p in inspect.signature(inject_function).parameters.values():
        if p.kind is p.KEYWORD_ONLY and "*" not in parts:
            parts.append("*")
        default = p.default
        parts.append(f"{p.name}={json.dumps(default) if isinstance(default, str) else repr(default)}")
    assert documented == ", ".join(parts)


def test_help_shows_examples():
    r = invoke(["inject", "--help"])
    assert r.exit_code == 0
    assert "examples:" in r.stdout and "--from-manifest" in r.stdout and "--policy" in r.stdout


def test_images_lists_what_an_injected_manifest_pulls(tmp_path):
    injected = write(tmp_path, inject(text=HELLO, registry="reg.local:5000/m").text, "injected.yaml")
    r = invoke(["images", "--manifest", injected])
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == ["reg.local:5000/m/istio/proxy_init:1.0.6", "reg.local:5000/m/istio/proxyv2:1.0.6",
                                     "registry.example/hello:1.0"]


from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

# Printable text: control characters and line separators break the YAML that Istio's own template
# prints (its output is refused, by Istio too).
_TEXT = st.text(st.characters(whitelist_categories=("L", "N", "P", "S", "Zs")), max_size=12)


# A fixed sequence of examples, as in test_fuzz.py: reproducible, a few seconds.
PROPERTY = settings(max_examples=25, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@PROPERTY
@given(labels=st.dictionaries(st.from_regex(r"[a-z][a-z0-9.-]{1,8}", fullmatch=True), _TEXT, max_size=3),
       annotations=st.dictionaries(st.from_regex(r"[a-z][a-z0-9./-]{1,10}", fullmatch=True), _TEXT, max_size=3),
       ports=st.lists(st.integers(1, 65535), max_size=3))
def test_any_labels_and_annotations_inject_repeatably(labels, annotations, ports):
    pod_template = {"metadata": {"labels": labels, "annotations": annotations},
                    "spec": {"containers": [{"name": "app", "image": "app:1",
                                             "ports": [{"containerPort": p} for p in ports]}]}}
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
           "spec": {"template": pod_template}}
    from meshcharts.yamlio import dump_document  # quotes what Go's YAML would read as another type
    once = inject(text=dump_document(obj)).text
    assert inject(text=once).text == once
    (dep,) = objects(once)
    meta = pod(dep)["metadata"]
    assert meta.get("labels", {}) == labels
    assert {k: v for k, v in meta["annotations"].items() if k != "sidecar.istio.io/status"} == annotations
    proxy = pod(dep)["spec"]["containers"][-1]
    env = {e["name"]: e.get("value") for e in proxy["env"]}
    if labels:
        assert json.loads(env["ISTIO_METAJSON_LABELS"]) == labels
    init_args = pod(dep)["spec"]["initContainers"][0]["args"]
    assert init_args[init_args.index("-b") + 1] == ",".join(map(str, ports))


_POD_KEYS = st.sampled_from(["metadata", "spec", "containers", "ports", "containerPort", "annotations", "labels",
                             "template", "name", "hostNetwork", "initContainers", "volumes", "jobTemplate",
                             "serviceAccountName", "items", "status.sidecar.istio.io/port",
                             "sidecar.istio.io/status", "traffic.sidecar.istio.io/includeInboundPorts"])
_SCALARS = st.none() | st.booleans() | st.integers(-5, 70000) | st.floats(allow_nan=False) | _TEXT
_POD_LIKE = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(_POD_KEYS | _TEXT, inner, max_size=4), max_leaves=12)


@PROPERTY
@given(kind=st.sampled_from(["Deployment", "Pod", "CronJob", "List", "Job", "Service"]), body=_POD_LIKE)
def test_malformed_workloads_inject_or_fail_cleanly(kind, body):
    """Whatever shape a workload has, the result is an injected manifest or one located error."""
    from meshcharts.errors import MeshchartsError
    from meshcharts.yamlio import dump_document
    obj = {"apiVersion": "v1", "kind": kind, **(body if isinstance(body, dict) else {"spec": body})}
    try:
        out = inject(text=dump_document(obj)).text
    except MeshchartsError as e:
        assert e.where and e.where.startswith("<text>: document 1"), str(e)
        return
    assert objects(out)  # valid YAML
    assert inject(text=out).text == out


GOLDEN_APP = SERVICE + "---\n" + HELLO + textwrap.dedent("""\
    ---
    apiVersion: v1
    kind: List
    items:
    - apiVersion: batch/v1beta1
      kind: CronJob
      metadata: {name: report}
      spec:
        schedule: "0 * * * *"
        jobTemplate:
          spec:
            template:
              metadata:
                annotations:
                  traffic.sidecar.istio.io/excludeOutboundIPRanges: "169.254.169.254/32"
              spec:
                serviceAccountName: reporter
                restartPolicy: OnFailure
                containers:
                - name: report
                  image: registry.example/report:2
    """)


@pytest.mark.parametrize("kwargs", [
    {"profile": "demo"},
    {"registry": "registry.local:5000/mirror", "policy": "webhook", "set_values": ["global.imagePullSecrets={regcred}"]},
], ids=["inject-demo", "inject-registry-webhook"])
def test_golden_injected_application(golden, kwargs):
    """The whole output, byte for byte: review a change here like a manifest change."""
    assert inject(text=GOLDEN_APP, **kwargs).text == golden


def test_injected_application_passes_validation(tmp_path):
    """Nothing the injection adds is refused by a cluster Istio 1.0.6 runs on."""
    path = write(tmp_path, inject(text=GOLDEN_APP, profile="demo").text, "app.yaml")
    r = invoke(["validate", path, "--kube-version", "v1.15.0"])
    assert r.exit_code == 0, r.stderr
    assert "0 errors, 0 warnings" in r.stdout
