#!/usr/bin/env python3
"""Derive meshcharts/injection/podtypes.json: the fields of the Kubernetes pod types as the Istio
1.0.6 injector knows them (the k8s.io/api and apimachinery revisions vendored at that tag).

The injector decodes its template's output into these Go types, so a field they lack is
dropped, a number printed where a string is expected becomes that string, and so on; the JSON
lets meshcharts do the same without Go. Run by a maintainer with a clone of istio/istio:

    python3 tools/derive_pod_types.py ISTIO_GIT_DIR [TAG] > meshcharts/injection/podtypes.json

Output: {"TypeName": [[GoField, jsonName, kind], ...]} for every struct reachable from
PodSpec and ObjectMeta; kind is one of string, int, bool, float, quantity, intorstring, time,
bytes, map:string, map:quantity, list:<kind>, struct:<TypeName>, each behind a "*" when the
Go field is a pointer (absent means nil); jsonName "" marks an embedded (inline) struct whose
fields are promoted.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys

SOURCES = ("vendor/k8s.io/api/core/v1/types.go", "vendor/k8s.io/apimachinery/pkg/apis/meta/v1/types.go")
ROOTS = ("PodSpec", "ObjectMeta", "LocalObjectReference")
STRUCT = re.compile(r"^type (\w+) struct \{\n(.*?)^\}", re.S | re.M)
ALIAS = re.compile(r"^type (\w+) (\S+)\s*$", re.M)
FIELD = re.compile(r"^\s*(?:(\w+)\s+)?([\w.*\[\]]+)\s+`json:\"([^\"]*)\"", re.M)
SCALARS = {"string": "string", "bool": "bool", "int": "int", "int32": "int", "int64": "int", "uint32": "int",
           "uint64": "int", "float64": "float", "[]byte": "bytes", "resource.Quantity": "quantity",
           "intstr.IntOrString": "intorstring", "Time": "time", "metav1.Time": "time", "types.UID": "string",
           "MicroTime": "time"}


def main() -> None:
    repo, tag = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "1.0.6"
    structs: dict[str, list[tuple[str, str, str]]] = {}
    aliases: dict[str, str] = {}
    for path in SOURCES:
        text = subprocess.run(["git", "-C", repo, "show", f"{tag}:{path}"], check=True, capture_output=True,
                              text=True).stdout
        for name, alias in ALIAS.findall(text):
            aliases.setdefault(name, alias)
        for name, body in STRUCT.findall(text):
            body = "\n".join(line for line in body.split("\n") if not line.strip().startswith("//"))
            structs.setdefault(name, [(f or t.lstrip("*"), j.split(",")[0], t) for f, t, j in FIELD.findall(body)])

    def kind(t: str) -> str:
        if t.startswith("*"):  # a pointer: absent is nil, not the zero value
            return "*" + kind(t[1:])
        if t in SCALARS:
            return SCALARS[t]
        if t.startswith("[]"):
            return "list:" + kind(t[2:])
        if t.startswith("map["):
            value = t[t.index("]") + 1:]
            return "map:quantity" if kind(value) == "quantity" else "map:string"
        t = t.split(".")[-1] if t.startswith("metav1.") else t
        if t in structs:
            return "struct:" + t
        if t in aliases:
            return kind(aliases[t])
        raise SystemExit(f"unknown Go type {t}")

    out: dict[str, list[list[str]]] = {}
    todo = list(ROOTS)
    while todo:
        name = todo.pop()
        if name in out:
            continue
        fields = [[go, js, kind(t)] for go, js, t in structs[name] if js != "-"]
        out[name] = fields
        todo += [k.rpartition("struct:")[2] for _, _, k in fields if "struct:" in k]
    json.dump(dict(sorted(out.items())), sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
