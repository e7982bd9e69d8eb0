"""User nulls as Helm 4 coalesces them, on the mesh chart. Each expectation states what real Helm
(SDK v4.2.3, upstream Istio 1.0.6 chart) rendered for the same flags."""
from __future__ import annotations

import pytest

from meshcharts import MeshchartsError, render


def _object(manifest, kind: str, name: str) -> dict:
    return next(d.object for d in manifest.documents if d.kind == kind and d.name == name)


def _container(manifest, kind: str, name: str, index: int = 0) -> dict:
    return _object(manifest, kind, name)["spec"]["template"]["spec"]["containers"][index]


def test_null_in_a_childs_section_stays_a_present_null():
    # Helm: --set pilot.env.GODEBUG=null printed `- name: GODEBUG` / `value: ""` (merge mode
    # keeps the null for the child), not an env list without GODEBUG.
    env = _container(render(set_values=["pilot.env.GODEBUG=null"]), "Deployment", "istio-pilot")["env"]
    assert {"name": "GODEBUG", "value": ""} in env


def test_nulled_resource_request_prints_null():
    # Helm: --set pilot.resources.requests.memory=null printed `memory: null`.
    resources = _container(render(set_values=["pilot.resources.requests.memory=null"]),
                           "Deployment", "istio-pilot")["resources"]
    assert resources["requests"] == {"cpu": "500m", "memory": None}


def test_null_three_levels_into_global_comes_back_in_the_parent_too():
    # Helm: --set global.proxy.stats.prometheusPort=null rendered the injector's config (a parent
    # template) with `containerPort: 15090` still there: coalesceGlobals copies global one level
    # deep, and the children's defaults write the port back into the parent's map.
    manifest = render(set_values=["global.proxy.stats.prometheusPort=null"])
    config = _object(manifest, "ConfigMap", "istio-sidecar-injector")["data"]["config"]
    assert "containerPort: 15090" in config


def test_nulled_global_yields_to_the_childs_own_setting():
    # Helm: --set global.hub=null --set pilot.global.hub=foo gave pilot the image foo/pilot:1.0.6.
    manifest = render(set_values=["global.hub=null", "pilot.global.hub=foo"])
    assert _container(manifest, "Deployment", "istio-pilot")["image"] == "foo/pilot:1.0.6"


@pytest.mark.parametrize(("flag", "fragment"), [
    # Helm failed: "gateways/templates/serviceaccount.yaml:3:12 ... nil pointer evaluating interface {}.enabled"
    ("gateways.istio-egressgateway=null", "--set gateways.istio-egressgateway=null"),
    # Helm failed: "pilot/templates/deployment.yaml:32:27 ... wrong type for value; expected string"
    ("pilot=null", "pilot/templates/deployment.yaml"),
    # Helm failed: "sidecar-injector-configmap.yaml:15:22 ... nil pointer evaluating interface {}.autoInject"
    ("global.proxy=null", "nil pointer evaluating interface {}"),
])
def test_where_helm_fails_on_a_null_meshcharts_fails_with_a_located_error(flag, fragment):
    with pytest.raises(MeshchartsError) as err:
        render(set_values=[flag])
    message = str(err.value)
    assert fragment in message
    assert f"--set {flag}" in message  # the user's own argument is named, not only the template


@pytest.mark.parametrize("flag", ["gateways.istio-ingressgateway.serviceAnnotations=null", "pilot.nodeSelector=null"])
def test_a_null_free_form_map_renders_as_in_helm(flag):
    # Helm rendered the ingress Service with no annotations for the first (equal, object for object).
    service = next(d.object for d in render(set_values=[flag]).documents
                   if d.kind == "Service" and d.name == "istio-ingressgateway")
    assert not service["metadata"].get("annotations")
