#!/usr/bin/env python3
"""Build ``meshcharts/validate/data/kube-schemas.json.gz``: what each Kubernetes minor release from
1.9 on serves (apiVersion + kind) and the shape of every object it takes, from Kubernetes' own
published OpenAPI documents. Run by the maintainer when a Kubernetes release comes out; the
output is committed, the inputs never are.

Inputs are git directories (bare clones are fine), read with ``git show``; give what you have:

    python tools/gen_kube_schemas.py --kubernetes K8S_GIT            # api/openapi-spec/swagger.json at v1.N.0
    python tools/gen_kube_schemas.py --python-client PY_GIT --kubectl-validate KV_GIT

For each minor release the first source that has it wins:

1. ``--kubernetes``: the OpenAPI v2 document Kubernetes publishes at each release tag;
2. ``--kubectl-validate``: the per-group OpenAPI v3 documents Kubernetes publishes
   (``api/openapi-spec/v3``), as vendored per minor release by kubectl-validate (1.23 on);
3. ``--python-client``: the OpenAPI v2 document the Kubernetes Python client vendors at the
   release tag matching each Kubernetes minor (``kubernetes/swagger.json.unprocessed``, or its
   preprocessed ``scripts/swagger.json``), and, where a git snapshot lacks that large file, the
   models and API classes the client generated from it (property names, types, required fields,
   and the create endpoints that say which apiVersion serves which kind).

The shipped form keeps what validation needs and nothing else (no descriptions): per definition
its properties' types and its required fields. Identical definitions are stored once for all
releases; each release maps its definition names and its served ``group/version/kind``s to them.

Type expressions: ``"s"`` string, ``"i"`` integer, ``"n"`` number, ``"b"`` boolean, ``"a"`` anything,
``"o"`` a map of anything, ``"q"`` a quantity (string or number), ``"io"`` int or string,
``["l", T]`` a list of T, ``["m", T]`` a map of T, ``["r", NAME]`` the named definition.
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

FIRST_MINOR, LAST_MINOR = 9, 36
OUT = Path(__file__).resolve().parent.parent / "meshcharts" / "validate" / "data" / "kube-schemas.json.gz"

# The Python client's release that matches each Kubernetes minor (its README's compatibility table):
# 5..12 for 1.9..1.16, then the client's major equals the Kubernetes minor.
PY_CLIENT_TAGS = {9: "v5.0.0", 10: "v6.1.0", 11: "v7.0.1", 12: "v8.0.2", 13: "v9.0.1", 14: "v10.1.0",
                  15: "v11.0.0", 16: "v12.0.1", 17: "v17.17.0", 18: "v18.20.0", 19: "v19.15.0",
                  20: "v20.13.0", 21: "v21.7.0", 22: "v22.6.0", 23: "v23.6.0", 24: "v24.2.0",
                  25: "v25.3.0", 26: "v26.1.0", 27: "v27.2.0", 28: "v28.1.0", 29: "v29.0.0",
                  30: "v30.1.0", 31: "v31.0.0", 32: "v32.0.1", 33: "v33.1.0", 34: "v34.1.0",
                  35: "v35.0.0", 36: "v36.0.3"}


def git_show(repo: str, rev: str, path: str) -> bytes | None:
    r = subprocess.run(["git", "-C", repo, "show", f"{rev}:{path}"], capture_output=True)
    return r.stdout if r.returncode == 0 else None


def git_ls(repo: str, rev: str, path: str) -> list[str]:
    r = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--name-only", rev, path], capture_output=True, text=True)
    return r.stdout.split() if r.returncode == 0 else []


# --- OpenAPI (v2 and v3) -----------------------------------------------------------------------

def _special(name: str) -> str | None:
    """Types whose JSON form is not what their schema's structure says (custom unmarshalling)."""
    short = name.rsplit(".", 1)[-1]
    if short == "Quantity":
        return "q"
    if short == "IntOrString":
        return "io"
    if short in ("RawExtension", "JSON", "JSONSchemaPropsOrArray", "JSONSchemaPropsOrBool",
                 "JSONSchemaPropsOrStringArray", "Patch"):
        return "a"
    if short in ("Time", "MicroTime"):
        return "s"
    return None


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type(schema: dict, defs: dict) -> object:
    if "allOf" in schema and len(schema["allOf"]) == 1:  # v3 wraps a $ref to add a default
        schema = schema["allOf"][0]
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        special = _special(name)
        if special:
            return special
        target = defs.get(name)
        if target is not None and "properties" not in target:
            return _type(target, defs) if target.get("type") or "oneOf" in target else "a"
        return ["r", name]
    if schema.get("format") == "int-or-string":
        return "io"
    t = schema.get("type")
    if t == "string":
        return "s"
    if t == "integer":
        return "i"
    if t == "number":
        return "n"
    if t == "boolean":
        return "b"
    if t == "array":
        return ["l", _type(schema.get("items") or {}, defs)]
    if t == "object" or "additionalProperties" in schema:
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return ["m", _type(extra, defs)]
        return "o"
    return "a"


def _body(schema: dict, defs: dict) -> dict:
    props = {k: _type(v, defs) for k, v in sorted((schema.get("properties") or {}).items())}
    body: dict = {"p": props}
    required = sorted(schema.get("required") or [])
    if required:
        body["r"] = required
    return body


def _gv_of_path(path: str) -> tuple[str, str] | None:
    m = re.match(r"^/api/(v1)/", path) or re.match(r"^/apis/([^/]+)/([^/]+)/", path)
    if not m:
        return None
    return ("", m.group(1)) if path.startswith("/api/") else (m.group(1), m.group(2))


def _kind_of(name: str, definition: dict) -> str:
    for gvk in definition.get("x-kubernetes-group-version-kind") or []:
        return gvk["kind"]
    return name.rsplit(".", 1)[-1]


def from_openapi(documents: list[dict]) -> tuple[dict, dict]:
    """Definitions (name -> body) and served kinds ("group/version/Kind" -> definition name)."""
    defs: dict = {}
    for doc in documents:
        defs.update(doc.get("definitions") or (doc.get("components") or {}).get("schemas") or {})
    bodies = {name: _body(d, defs) for name, d in defs.items() if "properties" in d and not _special(name)}
    kinds: dict = {}
    for doc in documents:
        for path, item in (doc.get("paths") or {}).items():
            gv = _gv_of_path(path)
            if gv is None or path.rstrip("/").endswith("}/status"):
                continue
            for method in ("post", "put"):
                op = item.get(method)
                if not op:
                    continue
                ref = None
                for p in op.get("parameters") or item.get("parameters") or []:
                    if p.get("in") == "body":
                        ref = (p.get("schema") or {}).get("$ref")
                for media in ((op.get("requestBody") or {}).get("content") or {}).values():
                    ref = ref or (media.get("schema") or {}).get("$ref")
                if not ref:
                    continue
                name = _ref_name(ref)
                if name not in bodies:
                    continue
                gvk = op.get("x-kubernetes-group-version-kind")
                if gvk and (gvk.get("group", ""), gvk.get("version")) != gv:
                    continue  # a subresource of another group's kind (e.g. autoscaling Scale)
                kind = gvk["kind"] if gvk else _kind_of(name, defs[name])
                if "/{name}/" in path:  # subresources (eviction, binding, scale): not objects one applies
                    continue
                kinds.setdefault(f"{gv[0]}/{gv[1]}/{kind}", name)
    return bodies, kinds


# --- the Python client's generated code (where its snapshot lacks the OpenAPI file) ------------

_PY_PRIMITIVES = {"str": "s", "int": "i", "float": "n", "bool": "b", "object": "a", "datetime": "s", "date": "s",
                  "RuntimeRawExtension": "a"}


def _py_type(text: str) -> object:
    text = text.strip()
    if text.startswith("list["):
        return ["l", _py_type(text[5:-1])]
    if text.startswith("dict("):
        return ["m", _py_type(text[5:-1].split(",", 1)[1])]
    if text in _PY_PRIMITIVES:
        return _PY_PRIMITIVES[text]
    return ["r", text]


def _py_model(source: str) -> dict:
    def table(name: str) -> dict:
        m = re.search(name + r" = \{(.*?)\n    \}", source, re.S)
        return dict(re.findall(r"'([^']+)': '([^']+)'", m.group(1))) if m else {}
    types, names = table("openapi_types") or table("swagger_types"), table("attribute_map")
    # The setter of a required property refuses None (older clients without the configuration check).
    required = {a or b for a, b in re.findall(r"(?:client_side_validation and (\w+) is None|if (\w+) is None):"
                                              r"(?:\s*# noqa: E501)?\n\s+raise ValueError", source)}
    body: dict = {"p": {names[k]: _py_type(v) for k, v in sorted(types.items(), key=lambda kv: names[kv[0]])}}
    req = sorted(names[k] for k in required if k in names)
    if req:
        body["r"] = req
    return body


_CLASS_PREFIX = re.compile(r"^(?:[A-Z][a-z0-9]+)*?V\d+(?:(?:alpha|beta)\d+)?(?=[A-Z])")
_GROUP_PREFIX = re.compile(r"^(?:[A-Z][a-z0-9]+)+?(?=V\d+(?:(?:alpha|beta)\d+)?[A-Z])")


def from_python_client(repo: str, tag: str, neighbours: list[tuple[dict, dict]]) -> tuple[dict, dict]:
    bodies: dict = {}
    model_dir = "kubernetes/client/models/"
    for path in git_ls(repo, tag, model_dir):
        if not path.endswith(".py") or path.endswith("__init__.py"):
            continue
        source = git_show(repo, tag, path).decode()
        m = re.search(r"^class (\w+)\(object\):", source, re.M)
        if m:
            bodies[m.group(1)] = _py_model(source)
    bodies.pop("RuntimeRawExtension", None)
    kinds: dict = {}
    api_dir = "kubernetes/client/api/" if git_ls(repo, tag, "kubernetes/client/api/") else "kubernetes/client/apis/"
    for path in git_ls(repo, tag, api_dir):
        source = (git_show(repo, tag, path) or b"").decode()
        for route, method, response in re.findall(
                r"call_api\(\s*'([^']+)', '(POST|PUT)',.*?response_type='(\w+)'", source, re.S):
            gv = _gv_of_path(route)
            if gv is None or "/{name}/" in route or response not in bodies:
                continue
            prefix = _CLASS_PREFIX.match(response)
            kind = response[prefix.end():] if prefix else response
            kinds.setdefault(f"{gv[0]}/{gv[1]}/{kind}", response)
    _restore_special_types(bodies, neighbours)
    return bodies, kinds


def _python_style(name: str) -> str:
    """``io.k8s.api.core.v1.ResourceRequirements`` -> ``V1ResourceRequirements``."""
    parts = name.split(".")
    return parts[-2][:1].upper() + parts[-2][1:] + parts[-1] if len(parts) > 1 else name


def _restore_special_types(bodies: dict, neighbours: list[tuple[dict, dict]]) -> None:
    """The client's code types quantities as plain strings: take those fields' types from the
    nearest releases read from OpenAPI documents."""
    special: dict = {}
    for neighbour, _ in neighbours:
        for name, body in neighbour.items():
            key = _python_style(name)
            for field, t in body["p"].items():
                if json.dumps(t).count('"q"'):
                    special.setdefault((key, field), t)
    for name, body in bodies.items():
        key = _GROUP_PREFIX.sub("", name)
        for field, t in body["p"].items():
            if (key, field) in special and json.dumps(t).replace('"s"', '"q"') == json.dumps(special[key, field]):
                body["p"][field] = special[key, field]


# --- putting it together ----------------------------------------------------------------------

def _load_json(data: bytes | None) -> dict | None:
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def read_release(minor: int, args: argparse.Namespace) -> tuple[str, list[dict]] | None:
    """The OpenAPI documents of ``1.minor`` and where they came from, or None."""
    if args.kubernetes:
        doc = _load_json(git_show(args.kubernetes, f"v1.{minor}.0", "api/openapi-spec/swagger.json"))
        if doc:
            return f"kubernetes v1.{minor}.0 api/openapi-spec/swagger.json", [doc]
    if args.kubectl_validate:
        base = f"pkg/openapiclient/builtins/1.{minor}/"
        files = [p for p in git_ls(args.kubectl_validate, "HEAD", base) if p.endswith(".json")]
        docs = [d for d in (_load_json(git_show(args.kubectl_validate, "HEAD", p)) for p in files) if d]
        if docs and len(docs) == len(files):
            return f"kubectl-validate {base} (api/openapi-spec/v3)", docs
    if args.python_client and minor in PY_CLIENT_TAGS:
        tag = PY_CLIENT_TAGS[minor]
        for path in ("kubernetes/swagger.json.unprocessed", "scripts/swagger.json"):
            doc = _load_json(git_show(args.python_client, tag, path))
            if doc:
                return f"python client {tag} {path}", [doc]
        # An earlier commit may carry the same release's document (a patch release of it).
        for commit in subprocess.run(["git", "-C", args.python_client, "log", "--all", "--format=%H", "--",
                                      "scripts/swagger.json", "kubernetes/swagger.json.unprocessed"],
                                     capture_output=True, text=True).stdout.split():
            for path in ("kubernetes/swagger.json.unprocessed", "scripts/swagger.json"):
                doc = _load_json(git_show(args.python_client, commit, path))
                if doc and re.match(rf"v1\.{minor}\.\d+$", str(doc.get("info", {}).get("version"))):
                    return f"python client {commit[:12]} {path}", [doc]
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kubernetes", metavar="GIT_DIR")
    parser.add_argument("--kubectl-validate", metavar="GIT_DIR")
    parser.add_argument("--python-client", metavar="GIT_DIR")
    parser.add_argument("--output", default=str(OUT))
    args = parser.parse_args(argv)

    releases: dict = {}
    sources: dict = {}
    pending: list[int] = []
    for minor in range(FIRST_MINOR, LAST_MINOR + 1):
        found = read_release(minor, args)
        if found is None:
            pending.append(minor)
            continue
        sources[minor], docs = found
        releases[minor] = from_openapi(docs)
    for minor in pending:  # from the client's generated code, with its neighbours' special types
        if not args.python_client:
            sys.exit(f"no source for Kubernetes 1.{minor}")
        near = sorted(releases, key=lambda m: abs(m - minor))[:2]
        releases[minor] = from_python_client(args.python_client, PY_CLIENT_TAGS[minor], [releases[m] for m in near])
        sources[minor] = f"python client {PY_CLIENT_TAGS[minor]} generated models"
        if not releases[minor][1]:
            sys.exit(f"no served kinds found for Kubernetes 1.{minor}")

    table: list = []
    index: dict = {}
    out_releases: dict = {}
    for minor in sorted(releases):
        bodies, kinds = releases[minor]
        names = {}
        for name, body in sorted(bodies.items()):
            key = json.dumps(body, sort_keys=True, separators=(",", ":"))
            if key not in index:
                index[key] = len(table)
                table.append(body)
            names[name] = index[key]
        out_releases[f"1.{minor}"] = {"source": sources[minor], "definitions": names, "kinds": dict(sorted(kinds.items()))}
        print(f"1.{minor}: {len(names)} definitions, {len(kinds)} kinds  ({sources[minor]})", file=sys.stderr)
    data = json.dumps({"bodies": table, "releases": out_releases}, sort_keys=True, separators=(",", ":")).encode()
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "wb") as fh:
        fh.write(gzip.compress(data, 9, mtime=0))
    print(f"{len(table)} distinct definitions, {len(data)} bytes, {Path(args.output).stat().st_size} compressed",
          file=sys.stderr)


if __name__ == "__main__":
    main()
