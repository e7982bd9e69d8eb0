"""What the target cluster will refuse, found before anything is applied.

Each object of a manifest is read as the API server reads it (an explicit ``null`` is an absent
field; the items of a ``kind: List`` are objects of their own; the manifests that ConfigMaps
carry, such as Galley's webhook configuration, are the objects they become) and checked:

- its apiVersion + kind against what the target Kubernetes release serves (a removed API says
  when it went and what replaces it);
- a built-in kind against that release's schema;
- an Istio 1.0 kind against Istio 1.0.6's schema and Pilot's own rules; any other custom kind
  needs its CustomResourceDefinition in the manifest;
- across objects, references Istio 1.0 never checked: subsets, gateways, hosts.
"""
from __future__ import annotations

import json

from ..errors import MeshchartsError
from ..manifest import Document
from ..yamlio import load_manifest_documents, load_manifest_texts
from . import crossref, istio, kube

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Iterator


class Finding:
    """One problem: where (source, document number, ConfigMap key), which object, which field."""
    __slots__ = ("severity", "source", "number", "key", "api_version", "kind", "namespace", "name", "path",
                 "message")

    def __init__(self, severity: str, item: "Item", path: str, message: str):
        self.severity = severity
        self.source, self.number, self.key = item.source, item.number, item.key
        obj = item.object if isinstance(item.object, dict) else {}
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        self.api_version = obj.get("apiVersion") if isinstance(obj.get("apiVersion"), str) else None
        self.kind = obj.get("kind") if isinstance(obj.get("kind"), str) else None
        self.namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else None
        self.name = meta.get("name") if isinstance(meta.get("name"), str) else None
        self.path = path
        self.message = message

    def where(self) -> str:
        place = self.source + (f": document {self.number}" if self.number else "")
        if self.key:
            place += f": {self.key}"
        return place

    def object_label(self) -> str:
        name = f"{self.namespace}/{self.name}" if self.namespace and self.name else (self.name or "(no name)")
        return " ".join(p for p in (self.api_version, self.kind, name) if p)

    def __str__(self) -> str:
        return f"{self.where()}: {self.object_label()}: {self.path + ': ' if self.path else ''}{self.message}"

    def as_dict(self) -> dict:
        return {"severity": self.severity, "source": self.source, "document": self.number, "key": self.key,
                "apiVersion": self.api_version, "kind": self.kind, "namespace": self.namespace, "name": self.name,
                "path": self.path, "message": self.message}


class Report:
    """Every finding of one validation, in manifest order, and the release that judged them."""

    def __init__(self, kube_version: tuple[int, int], findings: list[Finding], objects: int):
        self.kube_version = kube_version
        self.findings = findings
        self.objects = objects

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def text(self) -> str:
        lines = [f"{'Error' if f.severity == 'error' else 'Warning'}: {f}" for f in self.findings]
        e, w = len(self.errors), len(self.warnings)
        lines.append(f"{self.objects} objects checked against Kubernetes {kube.show(self.kube_version)}: "
                     f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}")
        return "\n".join(lines) + "\n"

    def json(self) -> str:
        return json.dumps({"kubeVersion": kube.show(self.kube_version), "objects": self.objects,
                           "errors": len(self.errors), "warnings": len(self.warnings),
                           "findings": [f.as_dict() for f in self.findings]}, indent=2) + "\n"


class Item:
    """An object as the cluster will receive it, and where it was written."""
    __slots__ = ("object", "source", "number", "key")

    def __init__(self, obj: Any, source: str, number: int | None, key: str | None = None):
        self.object, self.source, self.number, self.key = obj, source, number, key


# --- reading objects out of documents --------------------------------------------------------

def items(documents: Iterable[Document], numbered: bool) -> Iterator[Item]:
    """Each object the documents hold: ``List`` items one by one, then any manifests their
    ConfigMaps carry. ``numbered``: locate by the document's number in its file."""
    for doc in documents:
        obj = doc.object
        number = doc.number if numbered else None
        yield from _expand(obj, doc.source, number, None)


def _expand(obj: Any, source: str, number: int | None, key: str | None) -> Iterator[Item]:
    if isinstance(obj, dict) and obj.get("kind") == "List" and isinstance(obj.get("items"), list):
        for i, entry in enumerate(obj["items"]):
            yield from _expand(entry, source, number, f"{key + ': ' if key else ''}items[{i}]")
        return
    yield Item(obj, source, number, key)
    if isinstance(obj, dict) and obj.get("kind") == "ConfigMap" and isinstance(obj.get("data"), dict):
        for data_key, text in obj["data"].items():
            for i, nested in enumerate(_nested_manifests(text)):
                label = f"{key + ': ' if key else ''}data key {data_key}" + (f" document {i + 1}" if i else "")
                yield from _expand(nested, source, number, label)


def _nested_manifests(text: Any) -> list[Any]:
    """The Kubernetes objects a ConfigMap value holds, if it is a manifest (every document a map
    with apiVersion and kind); anything else (templates, config files) is not ours to read."""
    if not isinstance(text, str) or "apiVersion" not in text or "kind" not in text:
        return []
    try:
        docs = [d for d in load_manifest_documents(text, "nested") if d is not None]
    except MeshchartsError:
        return []
    if docs and all(isinstance(d, dict) and "apiVersion" in d and "kind" in d for d in docs):
        return docs
    return []


# --- the checks ---------------------------------------------------------------------------------

def _custom_kinds(all_items: list[Item]) -> dict[tuple[str, str], str]:
    """(apiVersion, kind) of every custom resource the manifest's CRDs define, and the
    apiVersion of the CRD that defines it."""
    found: dict[tuple[str, str], str] = {}
    for item in all_items:
        obj = item.object
        if not (isinstance(obj, dict) and obj.get("kind") == "CustomResourceDefinition"):
            continue
        spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
        group = spec.get("group")
        kind = (spec.get("names") or {}).get("kind") if isinstance(spec.get("names"), dict) else None
        listed = spec.get("versions") if isinstance(spec.get("versions"), list) else []
        versions = [spec.get("version")] + [v.get("name") for v in listed if isinstance(v, dict)]
        for version in versions:
            if isinstance(group, str) and isinstance(kind, str) and isinstance(version, str):
                found[(f"{group}/{version}", kind)] = str(obj.get("apiVersion"))
    return found


def check_items(all_items: list[Item], kube_version: str) -> Report:
    target = kube.release_for(kube_version)
    rel = kube.release(target)
    custom = _custom_kinds(all_items)
    findings: list[Finding] = []

    for item in all_items:
        obj = item.object

        def report(path: str, message: str, severity: str = "error", item: Item = item) -> None:
            findings.append(Finding(severity, item, path, message))

        if not isinstance(obj, dict):
            report("", "not a Kubernetes object (expected a map with apiVersion and kind)")
            continue
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not api_version:
            report("apiVersion", "required field is missing" if api_version is None else "expected a string")
            continue
        if not isinstance(kind, str) or not kind:
            report("kind", "required field is missing" if kind is None else "expected a string")
            continue
        if rel.serves(api_version, kind):
            rel.check(api_version, kind, obj, report)
        elif kube.built_in(api_version, kind):
            report("", kube.not_served(api_version, kind, target))
        elif istio.known(api_version, kind):
            istio.check(obj, report)
        elif (api_version, kind) not in custom:
            report("", f"no CustomResourceDefinition in this manifest defines {kind} in {api_version}, and "
                       f"Kubernetes {kube.show(target)} has no such built-in kind")
        crd_api = custom.get((api_version, kind))
        if crd_api is not None and not rel.serves(crd_api, "CustomResourceDefinition"):
            # The CRD is the error; this object only follows from it.
            report("", f"its CustomResourceDefinition ({crd_api}) is refused by Kubernetes {kube.show(target)}, "
                       "so the cluster cannot take this object", "warning")
    for item, path, message, severity in crossref.check(all_items):
        findings.append(Finding(severity, item, path, message))
    return Report(target, findings, len(all_items))


def validate_documents(documents: Iterable[Document], kube_version: str, numbered: bool = True) -> Report:
    """Validate documents (from :func:`meshcharts.manifest.read_manifest` or a render) against
    Kubernetes ``kube_version`` (``v1.16.0``, ``1.16``)."""
    return check_items(list(items(documents, numbered)), kube_version)


def parse_for_validation(documents: list[Document]) -> list[Document]:
    """A render's documents re-read as the API server reads them (yaml.v2's implicit types)."""
    parsed = load_manifest_texts([d.text for d in documents], [d.source for d in documents])
    return [Document(doc.source, doc.text, doc.kind, doc.is_hook, obj)
            for doc, objs in zip(documents, parsed) for obj in objs if obj is not None]
