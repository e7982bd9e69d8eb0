"""The shipped validation data and the scripts that generate it."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from meshcharts.validate import istio, kube

ROOT = Path(__file__).resolve().parent.parent


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_minor_release_from_1_9_to_1_36_is_known():
    assert kube.releases() == [(1, minor) for minor in range(9, 37)]


def test_the_shipped_schemas_stay_small():
    assert (kube.DATA / "kube-schemas.json.gz").stat().st_size < 1_000_000
    assert istio.DATA.stat().st_size < 200_000


def test_each_removal_is_served_until_its_release():
    table = json.loads((kube.DATA / "kube-removals.json").read_text())["removals"]
    for entry in table:
        removed = kube.parse_version(entry["removedIn"])
        for kind in entry["kinds"]:
            before = kube.release((removed[0], removed[1] - 1))
            assert not kube.release(removed).serves(entry["apiVersion"], kind)
            if kube.built_in(entry["apiVersion"], kind) and "alpha" not in entry["apiVersion"]:
                assert before.serves(entry["apiVersion"], kind), (entry, kind)


def test_core_kinds_are_served_everywhere():
    for version in kube.releases():
        release = kube.release(version)
        for api_version, kind in (("v1", "Service"), ("v1", "ConfigMap"), ("apps/v1", "Deployment"),
                                  ("batch/v1", "Job"), ("rbac.authorization.k8s.io/v1", "ClusterRole")):
            assert release.serves(api_version, kind), (version, kind)


def test_istio_kinds_cover_the_four_groups():
    for api_version, kind in (("networking.istio.io/v1alpha3", "VirtualService"),
                              ("config.istio.io/v1alpha2", "rule"), ("config.istio.io/v1alpha2", "metric"),
                              ("authentication.istio.io/v1alpha1", "Policy"), ("rbac.istio.io/v1alpha1", "ServiceRole")):
        assert istio.known(api_version, kind)
    assert not istio.known("config.istio.io/v1alpha1", "DestinationPolicy")


# --- the generators' own logic, on inputs written here ------------------------------------------------

def test_openapi_documents_become_compact_bodies_and_served_kinds():
    gen = load_tool("gen_kube_schemas")
    doc = {
        "definitions": {
            "io.k8s.api.demo.v1.Widget": {
                "required": ["spec"],
                "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                               "spec": {"$ref": "#/definitions/io.k8s.api.demo.v1.WidgetSpec"}},
                "x-kubernetes-group-version-kind": [{"group": "demo.io", "version": "v1", "kind": "Widget"}]},
            "io.k8s.api.demo.v1.WidgetSpec": {"properties": {
                "size": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity"},
                "port": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "count": {"type": "integer", "format": "int32"}}},
            "io.k8s.apimachinery.pkg.api.resource.Quantity": {"type": "string"},
            "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"type": "string", "format": "int-or-string"},
        },
        "paths": {
            "/apis/demo.io/v1/namespaces/{namespace}/widgets": {"post": {
                "parameters": [{"in": "body", "schema": {"$ref": "#/definitions/io.k8s.api.demo.v1.Widget"}}],
                "x-kubernetes-group-version-kind": {"group": "demo.io", "version": "v1", "kind": "Widget"}}},
            "/apis/demo.io/v1/namespaces/{namespace}/widgets/{name}/scale": {"put": {
                "parameters": [{"in": "body", "schema": {"$ref": "#/definitions/io.k8s.api.demo.v1.Widget"}}]}},
        },
    }
    bodies, kinds = gen.from_openapi([doc])
    assert kinds == {"demo.io/v1/Widget": "io.k8s.api.demo.v1.Widget"}
    assert bodies["io.k8s.api.demo.v1.Widget"]["r"] == ["spec"]
    assert bodies["io.k8s.api.demo.v1.WidgetSpec"]["p"] == {
        "count": "i", "labels": ["m", "s"], "port": "io", "size": "q", "tags": ["l", "s"]}
    assert "io.k8s.apimachinery.pkg.api.resource.Quantity" not in bodies


def test_python_client_models_read_back():
    gen = load_tool("gen_kube_schemas")
    source = '''
class V1WidgetSpec(object):
    openapi_types = {
        'size': 'str',
        'ports': 'list[V1WidgetPort]',
        'labels': 'dict(str, str)'
    }

    attribute_map = {
        'size': 'size',
        'ports': 'ports',
        'labels': 'labels'
    }

    @ports.setter
    def ports(self, ports):
        if self.local_vars_configuration.client_side_validation and ports is None:  # noqa: E501
            raise ValueError("Invalid value for `ports`, must not be `None`")  # noqa: E501
'''
    body = gen._py_model(source)
    assert body == {"p": {"labels": ["m", "s"], "ports": ["l", ["r", "V1WidgetPort"]], "size": "s"}, "r": ["ports"]}
    neighbour = ({"io.k8s.api.demo.v1.WidgetSpec": {"p": {"size": "q"}}}, {})
    bodies = {"V1WidgetSpec": body}
    gen._restore_special_types(bodies, [neighbour])
    assert bodies["V1WidgetSpec"]["p"]["size"] == "q"


def test_proto_messages_become_field_tables():
    gen = load_tool("gen_istio_schemas")
    parser = gen.Parser()
    parser.parse('''
syntax = "proto3";
import "google/protobuf/duration.proto";
package demo.v1;
// a comment with message Fake { } in it
message Route {
  repeated string hosts = 1;
  google.protobuf.Duration per_try_timeout = 2 [deprecated=true];
  map<string, Target> targets = 3;
  Mode mode = 4;
  enum Mode { FIRST = 0; SECOND = 1; };
  message Target { uint32 port = 1; }
  oneof kind {
    string exact = 5;
    string prefix = 6;
  }
}
''')
    data = parser.output(["demo.v1.Route"])
    route = data["messages"]["demo.v1.Route"]
    assert route["f"]["perTryTimeout"] == route["f"]["per_try_timeout"] == "dur"
    assert route["f"]["targets"] == ["m", ["r", "demo.v1.Route.Target"]]
    assert route["f"]["mode"] == ["e", "demo.v1.Route.Mode"]
    assert route["oneof"] == [["exact", "prefix"]]
    assert data["enums"]["demo.v1.Route.Mode"] == ["FIRST", "SECOND"]
    assert "demo.v1.Fake" not in data["messages"]


@pytest.mark.parametrize("name,camel", [("per_try_timeout", "perTryTimeout"), ("hosts", "hosts"),
                                        ("http2_error", "http2Error")])
def test_json_names_are_lower_camel(name, camel):
    assert load_tool("gen_istio_schemas").json_name(name) == camel
