"""Manifests in, injected manifests out: documents, workload kinds, and where their pods are.

Files are split into documents the way Kubernetes' YAML reader splits them (a line that is
``---``, trailing spaces allowed). A document whose ``kind`` is one Istio 1.0.6's kube-inject
knows (whatever its apiVersion) is injected and written out again, keeping its own fields and
their order; every other document (Services, ConfigMaps, comments) is copied as it was.
"""
from __future__ import annotations

import os
import re

from ..yamlio import dump_document, load_document
from .injector import Injector, InjectError, inject_pod, injection_wanted

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

# Kinds whose pods are at spec.template (a Pod is its own pod; a CronJob's is one level deeper).
TEMPLATE_KINDS = frozenset({"ReplicationController", "Deployment", "DaemonSet", "ReplicaSet", "Job",
                            "StatefulSet", "DeploymentConfig"})
WORKLOAD_KINDS = TEMPLATE_KINDS | {"Pod", "CronJob", "List"}
_SEPARATOR = re.compile(r"^---[ \t\r\f\v]*$")
_KIND_LINE = re.compile(r"^kind:[ \t]*['\"]?([A-Za-z]+)['\"]?[ \t]*(?:#.*)?$", re.M)


class Chunk:
    """One document of an input file: its text, where it starts, and (for workloads) the object."""
    __slots__ = ("where", "number", "line", "text", "obj", "injected")

    def __init__(self, where: str, number: int, line: int, text: str):
        self.where, self.number, self.line, self.text = where, number, line, text
        self.obj: Any = None
        self.injected = False

    def place(self) -> str:
        return f"{self.where}: document {self.number}"


def split_chunks(text: str, where: str) -> list[Chunk]:
    """The documents of ``text`` as Kubernetes' YAML reader splits them; documents of only
    blank lines are left out."""
    chunks = []
    lines = text.splitlines(keepends=True)
    start, buf = 1, []
    number = 0
    for i, line in enumerate(lines, 1):
        if _SEPARATOR.match(line.rstrip("\n")):
            if buf and any(b.strip() for b in buf):
                number += 1
                chunks.append(Chunk(where, number, start, "".join(buf)))
            buf, start = [], i + 1
        else:
            buf.append(line)
    if buf and any(b.strip() for b in buf):
        number += 1
        chunks.append(Chunk(where, number, start, "".join(buf)))
    return chunks


def _pod_of(obj: dict, kind: str) -> tuple[dict, dict]:
    """The (metadata, spec) pair kube-inject injects for this kind; a missing pod template is an error."""
    if kind == "Pod":
        holder, path = obj, ""
    elif kind == "CronJob":
        job = _map(_map(obj, "spec", "spec"), "jobTemplate", "spec.jobTemplate")
        # kube-inject takes the job template's metadata (not the pod template's) for a CronJob.
        template = _map(_map(job, "spec", "spec.jobTemplate.spec"), "template", "spec.jobTemplate.spec.template")
        metadata = _metadata_of(job)
        if not isinstance(metadata, dict):
            raise InjectError("spec.jobTemplate.metadata: expected a map")
        return metadata, _map(template, "spec", "spec.jobTemplate.spec.template.spec")
    else:
        holder, path = _map(_map(obj, "spec", "spec"), "template", "spec.template"), "spec.template."
    metadata = _metadata_of(holder)
    if not isinstance(metadata, dict):
        raise InjectError(f"{path}metadata: expected a map")
    return metadata, _map(holder, "spec", f"{path}spec")


def _metadata_of(holder: dict) -> Any:
    """``holder``'s metadata; a missing one is created first in the map, where a reader expects it."""
    if holder.get("metadata") is None:
        reordered = {"metadata": {}, **{k: v for k, v in holder.items() if k != "metadata"}}
        holder.clear()
        holder.update(reordered)
    return holder["metadata"]


def _map(obj: dict, key: str, path: str) -> dict:
    value = obj.get(key)
    if value is None:
        raise InjectError(f"{path}: missing; a {'pod spec' if key == 'spec' else 'pod template'} is needed "
                          "to inject a sidecar")
    if not isinstance(value, dict):
        raise InjectError(f"{path}: expected a map")
    return value


class Options:
    """How to inject: the injector, ``policy`` ("kube-inject": every pod, as ``istioctl
    kube-inject`` does; "webhook": as the cluster's webhook decides), pull ``secrets`` to add
    to injected pods, and the webhook's namespace selector (from the render)."""

    def __init__(self, injector: Injector, policy: str = "kube-inject", secrets: list[str] | None = None,
                 namespace_selector: dict | None = None):
        self.injector = injector
        self.policy = policy
        self.secrets = list(secrets or [])
        self.namespace_selector = namespace_selector


def _selected(selector: dict | None, labels: dict) -> bool:
    """Whether a label selector (matchLabels, matchExpressions) selects these labels."""
    if not selector:
        return True
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _inject_object(obj: dict, kind: str, opts: Options, namespaces: dict[str, dict], notes: list[str],
                   place: str, in_list: bool = False) -> bool:
    """Inject one object (the items of a List too); whether anything changed."""
    if kind == "List":
        if in_list:
            return False
        changed = False
        for i, item in enumerate(obj.get("items") or []):
            if isinstance(item, dict) and str(item.get("kind", "")) in WORKLOAD_KINDS - {"List"}:
                try:
                    changed |= _inject_object(item, str(item["kind"]), opts, namespaces, notes, place, True)
                except InjectError as e:
                    raise InjectError(f"items[{i}]: {e.message}") from None
        return changed
    metadata, spec = _pod_of(obj, kind)
    name = (obj.get("metadata") or {}).get("name") if isinstance(obj.get("metadata"), dict) else None
    what = f"{kind} {name}" if name else kind
    if spec.get("hostNetwork") is True:
        notes.append(f"{place} ({what}): not injected: it uses the host's network, which a sidecar's "
                     "traffic capture would change for the whole node")
        return False
    if opts.policy == "webhook":
        namespace = (obj.get("metadata") or {}).get("namespace") if isinstance(obj.get("metadata"), dict) else None
        if namespace in namespaces and not _selected(opts.namespace_selector, namespaces[namespace]):
            notes.append(f"{place} ({what}): not injected: the webhook does not select namespace {namespace}")
            return False
        wanted, why = injection_wanted(opts.injector.policy, metadata, namespace)
        if not wanted:
            notes.append(f"{place} ({what}): not injected: {why}")
            return False
    inject_pod(opts.injector, metadata, spec, opts.secrets)
    return True


def _namespaces(chunks: list[Chunk]) -> dict[str, dict]:
    """Labels of the namespaces the input itself defines."""
    found = {}
    for c in chunks:
        m = _KIND_LINE.search(c.text)
        if m and m.group(1) == "Namespace":
            obj = load_document(c.text, c.where, c.line)
            md = obj.get("metadata") if isinstance(obj, dict) else None
            if isinstance(md, dict) and md.get("name"):
                found[str(md["name"])] = {str(k): str(v) for k, v in (md.get("labels") or {}).items()}
    return found


def inject_chunks(chunks: list[Chunk], opts: Options, notes: list[str]) -> None:
    """Inject every workload among ``chunks`` in place (``chunk.obj`` set for those injected)."""
    namespaces = _namespaces(chunks) if opts.policy == "webhook" else {}
    for c in chunks:
        m = _KIND_LINE.search(c.text)
        # A cheap look at the kind line first: only workloads are parsed and written again.
        if m is not None and m.group(1) not in WORKLOAD_KINDS:
            continue
        obj = load_document(c.text, c.where, c.line)
        if obj is None:  # comments only
            continue
        if not isinstance(obj, dict):
            raise InjectError("not a Kubernetes object (a map with apiVersion and kind)", c.place())
        kind = obj.get("kind")
        if not isinstance(kind, str) or not kind:
            raise InjectError("no kind: cannot tell whether it is a workload", c.place())
        if kind not in WORKLOAD_KINDS:
            continue
        try:
            changed = _inject_object(obj, kind, opts, namespaces, notes, c.place())
        except InjectError as e:
            name = obj.get("metadata", {}).get("name") if isinstance(obj.get("metadata"), dict) else None
            raise InjectError(e.message, e.where or f"{c.place()} ({kind}{' ' + str(name) if name else ''})") from None
        if changed:
            c.obj, c.injected = obj, True


def render_chunks(chunks: list[Chunk]) -> list[str]:
    """Each document's output text: injected objects written again, the others as they came."""
    out = []
    for c in chunks:
        text = dump_document(c.obj) if c.injected else c.text
        out.append(text if text.endswith("\n") else text + "\n")
    return out


def join_documents(texts: list[str]) -> str:
    return "".join("---\n" + t for t in texts)


def iter_yaml_files(directory: str) -> Iterator[str]:
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            if f.endswith((".yaml", ".yml")) and not f.startswith("."):
                yield os.path.join(root, f)

