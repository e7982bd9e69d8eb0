"""Air-gapped installs: `images` lists every image a render pulls, `--registry` moves them all into
one private registry and gives every pod template the pull secrets, `--check-registry` proves it.

The mesh cases run the demo profile with every add-on on (grafana, kiali, certmanager, tracing,
servicegraph) and a pull secret set, so Istio's own images, the third-party ones, the hooks'
hyperkube and the injector's images inside its ConfigMap are all in play."""
from __future__ import annotations

import json
import re

import pytest

from meshcharts import MeshchartsError, render
from cli_runner import invoke
from meshcharts.manifest import Manifest
from meshcharts.registry import ImageRef, Registry, list_images, parse_image, parse_registry, relocate, scan
from meshcharts.yamlio import load_data, parse_document

MIRROR = "registry.local:5000/mirror"
ALL_ADDONS = ["--profile", "demo", "--set", "kiali.enabled=true", "--set", "certmanager.enabled=true",
              "--set", "global.imagePullSecrets={regcred}"]
DEMO = dict(profile="demo", set_values=["kiali.enabled=true", "certmanager.enabled=true",
                                        "global.imagePullSecrets={regcred}"])
DEMO_IMAGES = [
    "docker.io/grafana/grafana:5.2.3",
    "docker.io/istio/citadel:1.0.6",
    "docker.io/istio/galley:1.0.6",
    "docker.io/istio/mixer:1.0.6",
    "docker.io/istio/pilot:1.0.6",
    "docker.io/istio/proxy_init:1.0.6",
    "docker.io/istio/proxyv2:1.0.6",
    "docker.io/istio/servicegraph:1.0.6",
    "docker.io/istio/sidecar_injector:1.0.6",
    "docker.io/jaegertracing/all-in-one:1.5",
    "docker.io/kiali/kiali:v0.12",
    "docker.io/prom/prometheus:v2.3.1",
    "quay.io/coreos/hyperkube:v1.7.6_coreos.0",
    "quay.io/jetstack/cert-manager-controller:v0.3.1",
]
DIGEST = "sha256:" + "ab" * 32


def run(*args: str):
    return invoke(list(args))


# --- references and registries ----------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("docker.io/prom/prometheus:v2.3.1", ImageRef("docker.io", "prom/prometheus", "v2.3.1")),
    ("grafana/grafana:5.2.3", ImageRef("docker.io", "grafana/grafana", "5.2.3")),
    ("nginx", ImageRef("docker.io", "library/nginx", "latest")),
    ("index.docker.io/library/nginx:1.25", ImageRef("docker.io", "library/nginx", "1.25")),
    ("quay.io/coreos/hyperkube:v1.7.6_coreos.0", ImageRef("quay.io", "coreos/hyperkube", "v1.7.6_coreos.0")),
    ("localhost/a/b", ImageRef("localhost", "a/b", "latest")),
    ("registry.local:5000/x:1", ImageRef("registry.local:5000", "x", "1")),
    (f"quay.io/a/b:1@{DIGEST}", ImageRef("quay.io", "a/b", "1", DIGEST)),
    (f"quay.io/a/b@{DIGEST}", ImageRef("quay.io", "a/b", None, DIGEST)),
    ("my_org/my-image__x.y:tag", ImageRef("docker.io", "my_org/my-image__x.y", "tag")),
], ids=["full", "docker-hub-short", "official-untagged", "index-docker-io", "quay", "localhost", "port",
        "tag-and-digest", "digest-only", "separators"])
def test_parse_image(text, expected):
    assert parse_image(text) == expected


@pytest.mark.parametrize("text", ["", "Foo", "a//b", "a/b:", "a/-b", "a/b:tag with space", "a/b@sha256:12",
                                  "sidecar.istio.io/proxyImage", "[[ .Values.x ]]", "/a/b"])
def test_parse_image_rejects(text):
    assert parse_image(text) is None


@pytest.mark.parametrize(("registry", "image", "mirror"), [
    (MIRROR, "docker.io/prom/prometheus:v2.3.1", f"{MIRROR}/prom/prometheus:v2.3.1"),
    (MIRROR, "grafana/grafana:5.2.3", f"{MIRROR}/grafana/grafana:5.2.3"),
    (MIRROR, "quay.io/coreos/hyperkube:v1.7.6_coreos.0", f"{MIRROR}/coreos/hyperkube:v1.7.6_coreos.0"),
    (MIRROR, "nginx", f"{MIRROR}/library/nginx:latest"),
    (MIRROR, f"quay.io/a/b:1@{DIGEST}", f"{MIRROR}/a/b:1@{DIGEST}"),
    ("registry.local", "docker.io/istio/pilot:1.0.6", "registry.local/istio/pilot:1.0.6"),
    (MIRROR, f"{MIRROR}/istio/pilot:1.0.6", f"{MIRROR}/istio/pilot:1.0.6"),  # already there
    (MIRROR, "registry.local:5000/mirror2/x:1", f"{MIRROR}/mirror2/x:1"),   # a sibling is not inside
], ids=["docker-io", "no-host", "quay", "untagged", "digest", "no-prefix", "already-mirrored", "sibling-prefix"])
def test_mirror_keeps_repository_path_and_tag(registry, image, mirror):
    assert str(parse_registry(registry, "--registry").mirror(parse_image(image))) == mirror


def test_parse_registry_accepts_host_port_prefix():
    assert parse_registry("registry.local:5000/a/b/", "--registry") == Registry("registry.local:5000", "a/b")
    assert parse_registry("localhost", "--registry") == Registry("localhost", "")
    assert parse_registry("index.docker.io/me", "--registry") == Registry("docker.io", "me")


@pytest.mark.parametrize(("value", "message"), [
    ("", "is not a registry"),
    ("https://registry.local", "without a scheme"),
    ("myregistry/mirror", "names a path on Docker Hub"),
    ("registry.local/Mirror", "lowercase"),
    ("registry.local:port", "is not a registry"),
    ("registry.local/a b", "is not a registry"),
])
def test_bad_registry_is_one_clear_error(value, message):
    result = run("render", *ALL_ADDONS, "--registry", value)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: --registry: ") and message in result.stderr
    assert "Traceback" not in result.stderr


# --- images -----------------------------------------------------------------------------------

def test_demo_with_every_addon_lists_every_image():
    images = list_images(render(**DEMO))
    assert [str(i.ref) for i in images] == DEMO_IMAGES
    uses = {str(i.ref): i.uses for i in images}
    # The injector's images live only inside its ConfigMap text.
    assert {(u.kind, u.name, u.key) for u in uses["docker.io/istio/proxy_init:1.0.6"]} == {
        ("ConfigMap", "istio-sidecar-injector", "config")}
    assert ("ConfigMap", "istio-sidecar-injector", "config") in {
        (u.kind, u.name, u.key) for u in uses["docker.io/istio/proxyv2:1.0.6"]}
    # hyperkube runs only in the hook Jobs.
    assert sorted(u.name for u in uses["quay.io/coreos/hyperkube:v1.7.6_coreos.0"]) == [
        "istio-cleanup-secrets", "istio-grafana-post-install", "istio-security-post-install"]
    hooks = {d.name for d in render(**DEMO).documents if d.is_hook}
    assert {u.name for u in uses["quay.io/coreos/hyperkube:v1.7.6_coreos.0"]} <= hooks


@pytest.mark.parametrize("fmt", ["text", "json", "skopeo"], ids=["images-text", "images-json", "images-skopeo"])
def test_images_output(fmt, golden):
    result = run("images", *ALL_ADDONS, "--registry", MIRROR, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == golden


def test_images_formats_agree():
    text = run("images", *ALL_ADDONS).stdout.split()
    assert text == DEMO_IMAGES
    listed = json.loads(run("images", *ALL_ADDONS, "--registry", MIRROR, "--format", "json").stdout)["images"]
    assert [i["image"] for i in listed] == DEMO_IMAGES
    assert all(i["mirror"] == f"{MIRROR}/{i['image'].split('/', 1)[1]}" for i in listed)
    assert "mirror" not in json.loads(run("images", *ALL_ADDONS, "--format", "json").stdout)["images"][0]
    skopeo = load_data(run("images", *ALL_ADDONS, "--format", "skopeo").stdout, "skopeo")
    from_skopeo = sorted(f"{reg}/{repo}:{tag}" for reg, conf in skopeo.items()
                         for repo, tags in conf["images"].items() for tag in tags)
    assert from_skopeo == DEMO_IMAGES
    assert skopeo["docker.io"]["images"]["jaegertracing/all-in-one"] == ["1.5"]  # a string, not 1.5 the number


# --- --registry -------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["--registry", MIRROR]], ids=["demo-registry"])
def test_registry_render(args, golden):
    result = run("render", *ALL_ADDONS, *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == golden


def _pod_specs(manifest: Manifest):
    return [(doc, pod) for doc in manifest.documents for pod in scan(doc).pods]


def test_registry_moves_every_image_and_adds_secrets_to_every_pod():
    plain = render(**DEMO)
    moved = render(**DEMO, registry=MIRROR)
    assert all(str(i.ref).startswith(f"{MIRROR}/") for i in list_images(moved))
    assert len(list_images(moved)) == len(DEMO_IMAGES)
    pods = _pod_specs(moved)
    assert {doc.kind for doc, _ in pods} == {"Deployment", "Job"} and len(pods) == 17
    assert all(pod.spec["imagePullSecrets"] == [{"name": "regcred"}] for _, pod in pods)
    config = next(d for d in moved.documents if d.kind == "ConfigMap" and d.name == "istio-sidecar-injector")
    template = config.object["data"]["config"]
    assert f'image: "{MIRROR}/istio/proxy_init:1.0.6"' in template
    assert (f'image: [[ annotation .ObjectMeta `sidecar.istio.io/proxyImage`  "{MIRROR}/istio/proxyv2:1.0.6"  ]]'
            in template)
    assert "docker.io" not in moved.text
    assert [(d.source, d.kind, d.name) for d in moved.documents] == [
        (d.source, d.kind, d.name) for d in plain.documents]


def test_registry_changes_only_image_references_and_secret_lines():
    plain = render(**DEMO).documents
    moved = render(**DEMO, registry=MIRROR).documents
    changed = 0
    for before, after in zip(plain, moved):
        if before.text == after.text:
            assert not scan(before).found
            continue
        changed += 1
        old, new = before.text.splitlines(), after.text.splitlines()
        added = [line for line in new if line not in old]
        removed = [line for line in old if line not in new]
        assert all(re.search(r"image: ", line) for line in removed), before.source
        assert all(re.search(r"image: |imagePullSecrets:|- name: regcred", line) for line in added), before.source
        assert len(new) - len(old) == 2 * len(scan(before).pods)
    assert changed == 18  # 14 Deployments, 3 hook Jobs, the injector ConfigMap, and none else


def test_registry_is_idempotent():
    moved = render(**DEMO, registry=MIRROR)
    again = relocate(moved, MIRROR, ["regcred"])
    assert again.text == moved.text


def test_without_the_flags_the_render_is_unchanged():
    assert render(**DEMO, registry=None, check_registry=None).text == render(**DEMO).text
    # A passing check prints exactly what the render alone prints.
    assert render(**DEMO, registry=MIRROR, check_registry=MIRROR).text == render(**DEMO, registry=MIRROR).text


def test_registry_without_pull_secrets_adds_none():
    moved = render(profile="demo", registry=MIRROR)
    assert "imagePullSecrets" not in moved.text
    assert render(profile="demo", registry=MIRROR, check_registry=MIRROR).text == moved.text


# --- --check-registry -------------------------------------------------------------------------

def test_check_registry_lists_every_offending_object_and_image():
    with pytest.raises(MeshchartsError) as caught:
        render(**DEMO, check_registry=MIRROR)
    error = caught.value
    assert error.where == "--check-registry"
    outside = [line for line in error.details if " is outside " in line]
    lacking = [line for line in error.details if "lacks imagePullSecrets regcred" in line]
    assert len(outside) == 22 and len(lacking) == 17 and len(error.details) == 39
    assert ("  istio/templates/sidecar-injector-configmap.yaml: ConfigMap istio-system/istio-sidecar-injector, "
            f"data key config: docker.io/istio/proxy_init:1.0.6 is outside {MIRROR}") in outside
    assert ("  istio/charts/security/templates/cleanup-secrets.yaml: Job istio-system/istio-cleanup-secrets, "
            f"container hyperkube: quay.io/coreos/hyperkube:v1.7.6_coreos.0 is outside {MIRROR}") in outside
    assert ("  istio/charts/grafana/templates/deployment.yaml: Deployment istio-system/grafana: "
            "pod template lacks imagePullSecrets regcred") in lacking
    assert str(error).startswith(f"--check-registry: 39 problem(s) against registry {MIRROR}\n")


def test_check_registry_against_another_registry_fails_on_images_only():
    with pytest.raises(MeshchartsError) as caught:
        render(**DEMO, registry=MIRROR, check_registry="registry.local:5000/other")
    assert len(caught.value.details) == 22
    assert all(" is outside registry.local:5000/other" in line for line in caught.value.details)


def test_failed_check_prints_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    result = run("render", *ALL_ADDONS, "--check-registry", MIRROR, "--output-dir", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: --check-registry: 39 problem(s) against registry {MIRROR}\n")
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_check_follows_show_only():
    shown = render(**DEMO, registry=MIRROR, check_registry=MIRROR, show_only=["charts/pilot/templates/*"])
    assert all(d.source.startswith("istio/charts/pilot/templates/") for d in shown.documents)
    with pytest.raises(MeshchartsError) as caught:
        render(**DEMO, check_registry=MIRROR, show_only=["charts/pilot/templates/deployment.yaml"])
    assert len(caught.value.details) == 3  # two images and one pod template


# --- any chart: workload kinds, ConfigMap text, layouts the text rewrite cannot keep ------------

WORKLOADS = {
    "templates/workloads.yaml": """
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: nightly
        spec:
          schedule: "0 1 * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  containers:
                  - name: run
                    image: busybox:1.36   # a comment stays
        ---
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: agent
        spec:
          template:
            spec:
              initContainers:
              - name: setup
                image: "quay.io/org/setup@%(digest)s"
              containers:
              - name: agent
                image: 'gcr.io/org/agent:v2'
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: db
        spec:
          template:
            spec:
              imagePullSecrets:
              - name: regcred
              containers:
              - name: db
                image: postgres:16
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: single
        spec:
          imagePullSecrets:
          - name: other
          containers:
          - name: one
            image: registry.k8s.io/pause:3.9
        ---
        apiVersion: v1
        kind: List
        items:
        - apiVersion: apps/v1
          kind: ReplicaSet
          metadata:
            name: rs
          spec:
            template:
              spec:
                containers:
                - {name: flow, image: "ghcr.io/org/flow:1"}
        """,
    "templates/configmap.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: templates
        data:
          proxyImage: ghcr.io/org/proxy:2
          pod.json: |
            {"spec": {"containers": [{"name": "x",
              "image": "ghcr.io/org/json:3"}]}}
          injector: |-
            containers:
            - name: sidecar
              image: [[ annotation .ObjectMeta `example.io/image` "ghcr.io/org/side:4" ]]
            - name: other
              image: [[ .Values.image ]]
          notes: "pullImage: true, mode: image"
        """,
}
WORKLOAD_IMAGES = [
    "docker.io/library/busybox:1.36", "docker.io/library/postgres:16", "gcr.io/org/agent:v2",
    "ghcr.io/org/flow:1", "ghcr.io/org/json:3", "ghcr.io/org/proxy:2", "ghcr.io/org/side:4",
    f"quay.io/org/setup@{DIGEST}", "registry.k8s.io/pause:3.9"]


@pytest.fixture
def workloads(make_chart):
    return str(make_chart({k: v.replace("%(digest)s", DIGEST) for k, v in WORKLOADS.items()}))


def test_any_chart_every_workload_kind_and_configmap_text(workloads):
    images = list_images(render(chart=workloads))
    assert [str(i.ref) for i in images] == WORKLOAD_IMAGES
    where = {str(i.ref): [(u.kind, u.name, u.key or u.container, u.field) for u in i.uses] for i in images}
    assert where[f"quay.io/org/setup@{DIGEST}"] == [("DaemonSet", "agent", "setup", "initContainers")]
    assert where["ghcr.io/org/flow:1"] == [("ReplicaSet", "rs", "flow", "containers")]
    assert where["ghcr.io/org/side:4"] == [("ConfigMap", "templates", "injector", None)]


def test_any_chart_relocated(workloads):
    plain = render(chart=workloads, set_values=["global.imagePullSecrets={regcred}"])
    moved = render(chart=workloads, set_values=["global.imagePullSecrets={regcred}"], registry=MIRROR,
                   check_registry=MIRROR)
    assert [str(i.ref) for i in list_images(moved)] == sorted(
        f"{MIRROR}/{parse_image(i).path}" + (f"@{DIGEST}" if "@" in i else f":{parse_image(i).tag}")
        for i in WORKLOAD_IMAGES)
    docs = {(d.kind, d.name): d for d in moved.documents}
    before = {(d.kind, d.name): d for d in plain.documents}
    cron = docs[("CronJob", "nightly")]
    assert f"image: {MIRROR}/library/busybox:1.36   # a comment stays" in cron.text  # edited in place
    restored = re.sub(r"^ *imagePullSecrets:\n *- name: regcred\n", "", cron.text, flags=re.M)
    assert restored.replace(MIRROR + "/library/", "") == before[("CronJob", "nightly")].text
    daemon = docs[("DaemonSet", "agent")].object["spec"]["template"]["spec"]
    assert daemon["initContainers"][0]["image"] == f"{MIRROR}/org/setup@{DIGEST}"
    assert daemon["imagePullSecrets"] == [{"name": "regcred"}]
    assert docs[("StatefulSet", "db")].object["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "regcred"}]
    # A partial list is completed, and the flow-style List re-emitted whole; both still parse.
    pod = docs[("Pod", "single")]
    assert pod.object["spec"]["imagePullSecrets"] == [{"name": "other"}, {"name": "regcred"}]
    assert parse_document(pod.text) == pod.object
    items = parse_document(docs[("List", None)].text)["items"]
    assert items[0]["spec"]["template"]["spec"]["containers"][0]["image"] == f"{MIRROR}/org/flow:1"
    assert items[0]["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "regcred"}]
    data = docs[("ConfigMap", "templates")].object["data"]
    assert data["proxyImage"] == f"{MIRROR}/org/proxy:2"
    assert f'"image": "{MIRROR}/org/json:3"' in data["pod.json"]
    assert f'`example.io/image` "{MIRROR}/org/side:4"' in data["injector"]
    assert "image: [[ .Values.image ]]" in data["injector"]
    assert data["notes"] == "pullImage: true, mode: image"


def test_skopeo_takes_the_digest_of_a_pinned_image(workloads):
    result = run("images", "--chart", workloads, "--format", "skopeo")
    listed = load_data(result.stdout, "skopeo")
    assert listed["quay.io"]["images"]["org/setup"] == [DIGEST]
    assert listed["docker.io"]["images"]["library/busybox"] == ["1.36"]


def test_two_images_that_would_share_a_mirror_are_an_error(make_chart):
    chart = make_chart({"templates/pods.yaml": """
        apiVersion: v1
        kind: Pod
        metadata:
          name: a
        spec:
          containers:
          - name: a
            image: docker.io/istio/pilot:1.0.6
          - name: b
            image: quay.io/istio/pilot:1.0.6
        """})
    for args in (["render"], ["images"]):
        result = run(*args, "--chart", str(chart), "--registry", MIRROR)
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr.startswith("Error: --registry: 1 mirror reference(s) would hold two different images")
        assert f"  {MIRROR}/istio/pilot:1.0.6 would receive:" in result.stderr
        for source, container in (("docker.io", "a"), ("quay.io", "b")):
            assert (f"    {source}/istio/pilot:1.0.6 (used by parent/templates/pods.yaml: Pod a, container {container})"
                    in result.stderr)
    assert run("images", "--chart", str(chart)).exit_code == 0  # listing alone is fine


NGINX_POD = """
    apiVersion: v1
    kind: Pod
    metadata:
      name: p
    spec:
      containers:
      - name: c
        image: nginx
    """


@pytest.mark.parametrize(("container", "message"), [
    ("image: Not/Valid", "parent/templates/pod.yaml: Pod p, container c: 'Not/Valid' is not an image reference"),
    ("image: ''", "parent/templates/pod.yaml: Pod p, container c has no image"),
], ids=["invalid", "empty"])
def test_a_bad_image_is_named(make_chart, container, message):
    chart = make_chart({"templates/pod.yaml": NGINX_POD.replace("image: nginx", container)})
    assert run("render", "--chart", str(chart)).exit_code == 0  # no flag, no look at images
    for args in (["images"], ["render", "--registry", MIRROR]):
        result = run(*args, "--chart", str(chart))
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr == f"Error: {message}\n"


@pytest.mark.parametrize(("setting", "where", "message"), [
    ("global.imagePullSecrets=regcred", "global.imagePullSecrets", "must be a list of secret names, not a string"),
    ("global.imagePullSecrets={Bad_Name}", "global.imagePullSecrets[0]", "'Bad_Name' is not a secret name"),
    ("global.imagePullSecrets[0].name=1", "global.imagePullSecrets[0]", "1 is not a secret name"),
], ids=["not-a-list", "bad-name", "map-without-a-string-name"])
def test_bad_pull_secrets_are_named(make_chart, setting, where, message):
    chart = make_chart({"templates/pod.yaml": NGINX_POD})
    assert run("render", "--chart", str(chart), "--set", setting).exit_code == 0  # only the flags read it
    for flag in ("--registry", "--check-registry"):
        result = run("render", "--chart", str(chart), "--set", setting, flag, MIRROR)
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr.startswith(f"Error: {where}: {message}")


def test_pull_secret_maps_are_accepted(make_chart):
    chart = make_chart({"values.yaml": "global:\n  imagePullSecrets:\n  - name: regcred\n",
                        "templates/pod.yaml": NGINX_POD})
    moved = render(chart=str(chart), registry=MIRROR, check_registry=MIRROR)
    assert moved.documents[0].object["spec"]["imagePullSecrets"] == [{"name": "regcred"}]
    assert moved.documents[0].object["spec"]["containers"][0]["image"] == f"{MIRROR}/library/nginx:latest"

