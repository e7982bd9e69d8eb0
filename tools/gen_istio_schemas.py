#!/usr/bin/env python3
"""Build ``meshcharts/validate/data/istio-schemas.json``: the shape of Istio 1.0's custom
resources as Pilot and Mixer read them, from the istio/api 1.0.6 protocol buffer definitions
(proto3 JSON mapping) and, for Mixer's handlers and instances, the adapters' ``Params`` and the
templates' ``InstanceParam`` messages of istio/istio 1.0.6, plus the custom kinds Istio 1.0.6's
own CRDs define. Run by the maintainer; the output is committed, the inputs never are.

    python tools/gen_istio_schemas.py --istio-api ISTIO_API_GIT --istio ISTIO_GIT

Both are git directories (bare clones are fine), read at tag 1.0.6 with ``git show``.

Field types in the output: ``"s"`` string, ``"b"`` bool, ``"i32"``/``"u32"``/``"i64"``/``"u64"``
integers (64-bit ones may be JSON strings), ``"n"`` float, ``"bytes"`` base64 text, ``"dur"`` a
duration string (``"1.5s"``), ``"ts"`` an RFC 3339 time, ``"a"`` any JSON value, ``"o"`` any
object, ``["e", ENUM]`` an enum value by name (or number), ``["r", MESSAGE]`` a message,
``["l", T]`` repeated, ``["m", T]`` a map with string keys.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
from pathlib import Path

TAG = "1.0.6"
OUT = Path(__file__).resolve().parent.parent / "meshcharts" / "validate" / "data" / "istio-schemas.json"
PROTOS = [
    "networking/v1alpha3/virtual_service.proto", "networking/v1alpha3/destination_rule.proto",
    "networking/v1alpha3/gateway.proto", "networking/v1alpha3/service_entry.proto",
    "networking/v1alpha3/envoy_filter.proto", "authentication/v1alpha1/policy.proto", "rbac/v1alpha1/rbac.proto",
    "policy/v1beta1/cfg.proto", "policy/v1beta1/value_type.proto", "policy/v1beta1/type.proto",
    "mixer/v1/attributes.proto",
    "mixer/v1/config/client/api_spec.proto", "mixer/v1/config/client/quota.proto",
    "mixer/v1/config/client/service.proto",
]
# apiVersion/Kind -> the message its spec is.
KINDS = {
    "networking.istio.io/v1alpha3/VirtualService": "istio.networking.v1alpha3.VirtualService",
    "networking.istio.io/v1alpha3/DestinationRule": "istio.networking.v1alpha3.DestinationRule",
    "networking.istio.io/v1alpha3/Gateway": "istio.networking.v1alpha3.Gateway",
    "networking.istio.io/v1alpha3/ServiceEntry": "istio.networking.v1alpha3.ServiceEntry",
    "networking.istio.io/v1alpha3/EnvoyFilter": "istio.networking.v1alpha3.EnvoyFilter",
    "authentication.istio.io/v1alpha1/Policy": "istio.authentication.v1alpha1.Policy",
    "authentication.istio.io/v1alpha1/MeshPolicy": "istio.authentication.v1alpha1.Policy",
    "rbac.istio.io/v1alpha1/ServiceRole": "istio.rbac.v1alpha1.ServiceRole",
    "rbac.istio.io/v1alpha1/ServiceRoleBinding": "istio.rbac.v1alpha1.ServiceRoleBinding",
    "rbac.istio.io/v1alpha1/RbacConfig": "istio.rbac.v1alpha1.RbacConfig",
    "config.istio.io/v1alpha2/rule": "istio.policy.v1beta1.Rule",
    "config.istio.io/v1alpha2/attributemanifest": "istio.policy.v1beta1.AttributeManifest",
    "config.istio.io/v1alpha2/handler": "istio.policy.v1beta1.Handler",
    "config.istio.io/v1alpha2/instance": "istio.policy.v1beta1.Instance",
    "config.istio.io/v1alpha2/HTTPAPISpec": "istio.mixer.v1.config.client.HTTPAPISpec",
    "config.istio.io/v1alpha2/HTTPAPISpecBinding": "istio.mixer.v1.config.client.HTTPAPISpecBinding",
    "config.istio.io/v1alpha2/QuotaSpec": "istio.mixer.v1.config.client.QuotaSpec",
    "config.istio.io/v1alpha2/QuotaSpecBinding": "istio.mixer.v1.config.client.QuotaSpecBinding",
}
WELL_KNOWN = {
    "google.protobuf.Duration": "dur", "google.protobuf.Timestamp": "ts", "google.protobuf.Struct": "o",
    "google.protobuf.Value": "a", "google.protobuf.ListValue": ["l", "a"], "google.protobuf.Any": "o",
    "google.protobuf.Empty": "o", "google.protobuf.BoolValue": "b", "google.protobuf.StringValue": "s",
    "google.protobuf.BytesValue": "bytes", "google.protobuf.Int32Value": "i32", "google.protobuf.UInt32Value": "u32",
    "google.protobuf.Int64Value": "i64", "google.protobuf.UInt64Value": "u64", "google.protobuf.DoubleValue": "n",
    "google.protobuf.FloatValue": "n",
    # Not read here: their JSON forms are objects (a status) or an enum's names and numbers.
    "google.rpc.Status": "o", "google.rpc.Code": "a",
}
SCALARS = {"string": "s", "bool": "b", "bytes": "bytes", "double": "n", "float": "n",
           "int32": "i32", "sint32": "i32", "sfixed32": "i32", "uint32": "u32", "fixed32": "u32",
           "int64": "i64", "sint64": "i64", "sfixed64": "i64", "uint64": "u64", "fixed64": "u64"}


def git_show(repo: str, path: str, rev: str = TAG) -> str:
    return subprocess.run(["git", "-C", repo, "show", f"{rev}:{path}"], capture_output=True, text=True,
                          check=True).stdout


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[A-Za-z_][\w.]*|-?\d+|[{}()\[\]<>;=,]')


def tokens(text: str) -> list[str]:
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return _TOKEN.findall(text)


def json_name(name: str) -> str:
    """proto3's JSON name: lowerCamelCase of the field name."""
    parts = name.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


class Parser:
    def __init__(self) -> None:
        self.messages: dict[str, dict] = {}   # full name -> {"fields": [(name, type, label, oneof)], "scope"}
        self.enums: dict[str, list[str]] = {}

    def parse(self, text: str) -> None:
        toks = tokens(text)
        package = ""
        i = 0
        while i < len(toks):
            t = toks[i]
            if t == "package":
                package = toks[i + 1]
                i += 3
            elif t in ("syntax", "import", "option"):
                i = toks.index(";", i) + 1
            elif t == "message":
                i = self._message(toks, i, package)
            elif t == "enum":
                i = self._enum(toks, i, package)
            elif t == ";":
                i += 1
            elif t == "service":
                i = self._skip_block(toks, toks.index("{", i))
            else:
                i += 1

    def _skip_block(self, toks: list[str], i: int) -> int:
        depth = 0
        while True:
            if toks[i] == "{":
                depth += 1
            elif toks[i] == "}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1

    def _enum(self, toks: list[str], i: int, scope: str) -> int:
        name = f"{scope}.{toks[i + 1]}"
        i += 3
        values = []
        while toks[i] != "}":
            if toks[i] in ("option", "reserved"):
                i = toks.index(";", i) + 1
                continue
            values.append(toks[i])
            i = toks.index(";", i) + 1
        self.enums[name] = values
        return i + 1

    def _message(self, toks: list[str], i: int, scope: str) -> int:
        name = f"{scope}.{toks[i + 1]}"
        fields: list = []
        self.messages[name] = {"fields": fields, "scope": name}
        i += 3
        oneof = None
        while True:
            t = toks[i]
            if t == "}":
                if oneof is not None:
                    oneof = None
                    i += 1
                    continue
                return i + 1
            if t == "message":
                i = self._message(toks, i, name)
            elif t == "enum":
                i = self._enum(toks, i, name)
            elif t in ("option", "reserved", "extensions"):
                i = toks.index(";", i) + 1
            elif t == ";":  # a stray `;` after a nested block
                i += 1
            elif t == "oneof":
                oneof = toks[i + 1]
                i += 3
            else:
                label = None
                if t in ("repeated", "optional"):
                    label, i = t, i + 1
                if toks[i] == "map":  # map < K , V > name = N ;
                    value_type = toks[i + 4]
                    field_name = toks[i + 6]
                    fields.append((field_name, value_type, "map", oneof))
                else:
                    fields.append((toks[i + 1], toks[i], label, oneof))
                i = toks.index(";", i) + 1

    def resolve(self, type_name: str, scope: str) -> object:
        if type_name in SCALARS:
            return SCALARS[type_name]
        if type_name.startswith("."):
            type_name = type_name[1:]
        if type_name in WELL_KNOWN:
            return WELL_KNOWN[type_name]
        parts = scope.split(".")
        for n in range(len(parts), -1, -1):
            candidate = ".".join(parts[:n] + [type_name]) if n else type_name
            if candidate in self.messages:
                return ["r", candidate]
            if candidate in self.enums:
                return ["e", candidate]
            if candidate in WELL_KNOWN:
                return WELL_KNOWN[candidate]
        raise SystemExit(f"cannot resolve type {type_name} in {scope}")

    def output(self, roots: list[str]) -> dict:
        """The messages reachable from ``roots`` (the kinds' specs) and the enums they use."""
        messages: dict = {}
        enums: dict = {}
        pending = list(roots)
        while pending:
            name = pending.pop()
            if name in messages:
                continue
            messages[name] = entry = self._message_entry(name)
            for t in entry["f"].values():
                while isinstance(t, list) and t[0] in ("l", "m"):
                    t = t[1]
                if isinstance(t, list) and t[0] == "r":
                    pending.append(t[1])
                elif isinstance(t, list) and t[0] == "e":
                    enums[t[1]] = self.enums[t[1]]
        return {"messages": dict(sorted(messages.items())), "enums": dict(sorted(enums.items()))}

    def _message_entry(self, name: str) -> dict:
        msg = self.messages[name]
        fields: dict = {}
        oneofs: dict[str, list[str]] = {}
        for field, type_name, label, oneof in msg["fields"]:
            t = self.resolve(type_name, msg["scope"])
            if label == "repeated":
                t = ["l", t]
            elif label == "map":
                t = ["m", t]
            fields[json_name(field)] = t
            if json_name(field) != field:
                fields[field] = t  # jsonpb also takes the name as the .proto file spells it
            if oneof:
                oneofs.setdefault(oneof, []).append(json_name(field))
        entry: dict = {"f": fields}
        if oneofs:
            entry["oneof"] = sorted(oneofs.values())
        return entry


# A Mixer adapter's handler kind and the directory of its configuration, where the two differ.
ADAPTER_DIRS = {"listchecker": "list"}
MIXER_EXTRA_PROTOS = ["mixer/adapter/stackdriver/config/google/api/label.proto",
                      "mixer/adapter/stackdriver/config/google/api/metric.proto"]


def mixer_kinds(istio_git: str, protos: "Parser", crd: list[str]) -> dict[str, str]:
    """Handler kinds (an adapter's ``Params``) and instance kinds (a template's ``InstanceParam``)
    of config.istio.io/v1alpha2 that Istio 1.0.6 defines CRDs for, read into ``protos``."""
    files = subprocess.run(["git", "-C", istio_git, "ls-tree", "-r", "--name-only", TAG, "mixer/"],
                           capture_output=True, text=True, check=True).stdout.split()
    for path in MIXER_EXTRA_PROTOS:
        protos.parse(git_show(istio_git, path))
    kinds: dict[str, str] = {}
    for path in files:
        if not path.endswith("_handler_service.proto") or "/sample/" in path:
            continue
        text = git_show(istio_git, path)
        name = re.search(r'template_name\)\s*=\s*"([^"]+)"', text)
        package = re.search(r"^package\s+([\w.]+);", text, re.M)
        if name and package:
            protos.parse(text)
            kinds[f"config.istio.io/v1alpha2/{name.group(1)}"] = f"{package.group(1)}.InstanceParam"
    for kind in crd:
        group_version, _, name = kind.rpartition("/")
        path = f"mixer/adapter/{ADAPTER_DIRS.get(name, name)}/config/config.proto"
        if group_version != "config.istio.io/v1alpha2" or path not in files or kind in kinds:
            continue
        text = git_show(istio_git, path)
        package = re.search(r"^package\s+([\w.]+);", text, re.M)
        protos.parse(text)
        kinds[kind] = f"{package.group(1)}.Params"
    return kinds


def crd_kinds(istio_git: str) -> list[str]:
    """``group/version/Kind`` of every custom kind Istio 1.0.6's chart defines a CRD for."""
    text = git_show(istio_git, "install/kubernetes/helm/istio/templates/crds.yaml")
    kinds = set()
    for doc in re.split(r"^---", text, flags=re.M):
        group = re.search(r"^\s+group:\s*(\S+)", doc, re.M)
        version = re.search(r"^\s+version:\s*(\S+)", doc, re.M)
        kind = [k for k in re.findall(r"^\s+kind:\s*(\S+)", doc, re.M) if k != "CustomResourceDefinition"]
        if group and version and kind and "CustomResourceDefinition" in doc:
            kinds.add(f"{group.group(1)}/{version.group(1)}/{kind[0]}")
    return sorted(kinds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--istio-api", required=True, metavar="GIT_DIR")
    parser.add_argument("--istio", required=True, metavar="GIT_DIR")
    parser.add_argument("--output", default=str(OUT))
    args = parser.parse_args()
    protos = Parser()
    for path in PROTOS:
        protos.parse(git_show(args.istio_api, path))
    crd = crd_kinds(args.istio)
    kinds = {**mixer_kinds(args.istio, protos, crd), **KINDS}
    data = protos.output(sorted(set(kinds.values())))
    for kind, message in kinds.items():
        if message not in data["messages"]:
            raise SystemExit(f"{kind}: no message {message}")
    data["kinds"] = dict(sorted(kinds.items()))
    data["crdKinds"] = crd
    data["source"] = f"istio/api {TAG} protos; istio/istio {TAG} install/kubernetes/helm/istio/templates/crds.yaml"
    Path(args.output).write_text(json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
