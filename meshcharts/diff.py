"""``meshcharts diff``: what a change to a release adds, removes and changes, object by object,
and what a pruning apply would delete.

Objects are matched as the API server identifies them: kind, namespace and name. The API group
counts only where two groups serve different resources: every Kubernetes group (no dot in the
name, or ending in ``.k8s.io``, or ``extensions``) serves one resource per kind, so a Deployment
moving from ``extensions/v1beta1`` to ``apps/v1`` is one object whose ``apiVersion`` changed,
while a ``Gateway`` of ``networking.istio.io`` and one of ``gateway.networking.k8s.io`` are two.
``kind: List`` documents are read as their items. A namespaced object without a namespace lives
in the release namespace; cluster-scoped objects (Kubernetes' own, and custom kinds whose CRD in
either render says ``scope: Cluster``) have none.

Documents are compared by text first and parsed only when their texts differ, so diffing two
renders costs little more than rendering them.
"""
from __future__ import annotations

import difflib
import json
import re
from collections import namedtuple

from .api import RenderOptions, render_options
from .errors import MeshchartsError
from .manifest import Document, Manifest, _metadata, hook_events, read_manifest_path
from .yamlio import embedded_yaml, load_manifest_documents

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable

# Kubernetes' own kinds that have no namespace.
CLUSTER_KINDS = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "ClusterRoleList",
    "ClusterRoleBindingList", "CustomResourceDefinition", "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
    "APIService", "PodSecurityPolicy", "PriorityClass", "StorageClass", "VolumeAttachment", "CSIDriver",
    "CSINode", "RuntimeClass", "IngressClass", "CertificateSigningRequest", "FlowSchema",
    "PriorityLevelConfiguration", "ComponentStatus",
})

# Objects a component creates while it runs, which no render holds and so no pruner deletes
# when the component goes: (kind, name) of the removed object → what it leaves behind.
RUNTIME_LEFTOVERS = {
    ("Deployment", "istio-citadel"): (
        "Secret istio.<service account> (type istio.io/key-and-cert) in every namespace",
        "kubectl get secrets --all-namespaces --field-selector type=istio.io/key-and-cert"),
}

OUTPUTS = ("text", "json", "markdown")

ObjectKey = namedtuple("ObjectKey", "group kind namespace name")
Change = namedtuple("Change", "op path old new")  # op: "+" added, "-" removed, "~" changed, "text" line diff
PruneItem = namedtuple("PruneItem", "key source dangers")


class Entry:
    """One object of one side: its identity, where it came from, its text (None for the items
    of a ``List``) and, once needed, its parsed object."""
    __slots__ = ("key", "api_version", "source", "text", "doc", "_object", "hook_events", "where")

    def __init__(self, api_version: str, source: str, text: str | None, doc: Document | None, obj: Any,
                 hook_events: tuple[str, ...], where: str):
        self.key: ObjectKey | None = None
        self.api_version, self.source, self.text, self.doc = api_version, source, text, doc
        self._object, self.hook_events, self.where = obj, hook_events, where

    @property
    def object(self) -> Any:
        if self._object is None:
            self._object = as_read(self.doc, self.where)
        return self._object


def as_read(doc: Document, where: str) -> Any:
    """A document parsed as the API server reads it, whichever side it is on: one read back by
    :func:`~meshcharts.manifest.read_manifest` comes parsed so; a rendered one is parsed here the
    same way (``Document.object`` reads plain YAML 1.1), so a value reads alike on both sides."""
    if doc.number is not None:
        return doc.object
    docs = [d for d in load_manifest_documents(doc.text, where) if d is not None]
    return docs[0] if len(docs) == 1 else docs


class DiffResult:
    """``added`` and ``removed`` entries, ``changed`` as ``(old, new, changes)``, the ``prune``
    list (every removed object, with what makes deleting it dangerous), and ``warnings``."""

    def __init__(self, added: list[Entry], removed: list[Entry], changed: list[tuple[Entry, Entry, list[Change]]],
                 prune: list[PruneItem], warnings: list[str]):
        self.added, self.removed, self.changed, self.prune, self.warnings = added, removed, changed, prune, warnings

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def by_kind(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for what, entries in (("added", self.added), ("removed", self.removed),
                              ("changed", [old for old, _, _ in self.changed])):
            for e in entries:
                row = counts.setdefault(e.key.kind, {"added": 0, "removed": 0, "changed": 0})
                row[what] += 1
        return dict(sorted(counts.items()))


# --- identity --------------------------------------------------------------------------------

_API_VERSION = re.compile(r"(?:^|\n)apiVersion:[ \t]*['\"]?([^'\"\s#]+)")
_PLAIN = re.compile(r"['\"]?([A-Za-z0-9][A-Za-z0-9._:-]*)['\"]?[ \t]*(?:#.*)?")


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def is_kubernetes_group(group: str) -> bool:
    """Kubernetes' own API groups, among which a kind names one resource whatever its group."""
    return group == "" or "." not in group or group.endswith(".k8s.io")


def _head_field(meta: str, indent: str, field: str) -> tuple[bool, str | None]:
    """``(sure, value)`` of ``metadata.<field>`` read from the block's text."""
    m = re.search(rf"\n{indent}{field}:(.*)", meta)
    if m is None:
        return True, None
    value = m.group(1).strip()
    plain = _PLAIN.fullmatch(value)
    return (True, plain.group(1)) if plain else (False, None)


def _head(text: str) -> tuple[str, str | None, str | None] | None:
    """``(apiVersion, name, namespace)`` read from a document's text without parsing it; None
    when the text is not plain enough to be sure (then the document is parsed)."""
    api = _API_VERSION.search(text)
    meta = _metadata(text)
    if api is None or not meta.startswith("metadata:") or meta[len("metadata:"):].split("\n", 1)[0].strip():
        return None
    indent = re.search(r"\n( +)[^ \n#]", meta)
    if indent is None or "\t" in meta or "&" in meta or "*" in meta:
        return None
    sure, name = _head_field(meta, indent.group(1), "name")
    sure_ns, namespace = _head_field(meta, indent.group(1), "namespace")
    if not (sure and sure_ns):
        return None
    return api.group(1), name, namespace




def _object_entries(doc: Document, obj: Any, where: str) -> list[Entry]:
    """The entries of a parsed document: itself, or the items of a ``List``."""
    if not isinstance(obj, dict):
        raise MeshchartsError("a document must be a map with apiVersion, kind and metadata", where)
    if obj.get("kind") == "List" and isinstance(obj.get("items"), list):
        out = []
        for i, item in enumerate(obj["items"]):
            out.extend(_object_entries(doc, item, f"{where}, item {i}"))
        return out
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name") or not obj.get("kind"):
        raise MeshchartsError("an object needs kind and metadata.name", where)
    annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    events = tuple(e.strip() for e in str(annotations.get("helm.sh/hook") or "").split(",") if e.strip())
    entry = Entry(str(obj.get("apiVersion") or ""), doc.source, None, doc, obj, events, where)
    entry.key = ObjectKey(None, str(obj["kind"]), meta.get("namespace"), str(meta["name"]))
    return [entry]


def _entries(manifest: Manifest, label: str) -> list[Entry]:
    out: list[Entry] = []
    for number, doc in enumerate(manifest.documents, 1):
        where = getattr(doc, "where", None) or f"{label}: document {number} ({doc.source})"
        head = _head(doc.text) if doc.kind and doc.kind != "List" else None
        if head is None or head[1] is None:
            out.extend(_object_entries(doc, as_read(doc, where), where))
            continue
        api_version, name, namespace = head
        entry = Entry(api_version, doc.source, doc.text, doc, None, hook_events(doc.text) if doc.is_hook else (),
                      where)
        entry.key = ObjectKey(None, doc.kind, namespace, name)
        out.append(entry)
    return out


def _cluster_kinds(entries: Iterable[Entry]) -> set[tuple[str, str]]:
    """``(group, kind)`` of the custom kinds a CRD among ``entries`` declares cluster-scoped."""
    found = set()
    for e in entries:
        if e.key.kind == "CustomResourceDefinition" and (e.text is None or "Cluster" in e.text):
            spec = e.object.get("spec") if isinstance(e.object, dict) else None
            if isinstance(spec, dict) and spec.get("scope") == "Cluster" and isinstance(spec.get("names"), dict):
                found.add((str(spec.get("group") or ""), str(spec["names"].get("kind") or "")))
    return found


def _identify(entries: list[Entry], cluster: set[tuple[str, str]], namespace: str) -> None:
    for e in entries:
        group = _group(e.api_version)
        kube = is_kubernetes_group(group)
        scoped = not ((kube and e.key.kind in CLUSTER_KINDS) or (group, e.key.kind) in cluster)
        e.key = ObjectKey("" if kube else group, e.key.kind, (e.key.namespace or namespace) if scoped else "",
                          e.key.name)


def describe(key: ObjectKey) -> str:
    """``Deployment istio-system/istio-pilot``, ``ClusterRole istio-pilot-istio-system``."""
    kind = f"{key.kind}.{key.group}" if key.group else key.kind
    return f"{kind} {key.namespace}/{key.name}" if key.namespace else f"{kind} {key.name}"


# --- comparing objects -----------------------------------------------------------------------

EMBEDDED = "|"  # path part: the text before it is read as YAML from here on


def _object_name(item: Any) -> str | None:
    meta = item.get("metadata") if isinstance(item, dict) else None
    if isinstance(meta, dict) and isinstance(meta.get("name"), str) and isinstance(item.get("kind"), str):
        return f"{item['kind']} {meta['name']}"
    return None


def _named(items: list) -> dict | None:
    """A list of maps that each have a distinct ``name`` (containers, ports, env), or of objects
    with a distinct kind and name (manifests held in a ConfigMap): by that name."""
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    if all(isinstance(i.get("name"), str) for i in items):
        names = {f"name={i['name']}": i for i in items}
    elif all(_object_name(i) for i in items):
        names = {_object_name(i): i for i in items}
    else:
        return None
    return names if len(names) == len(items) else None


def object_changes(old: Any, new: Any, path: tuple = ()) -> list[Change]:
    """The paths where ``new`` differs from ``old``: maps key by key, lists of named maps by
    name (``containers[name=pilot]``), other lists by position, and multi-line text that reads
    as YAML on both sides structurally (path part ``|``), else line by line."""
    if old == new and type(old) is type(new):
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[Change] = []
        for key in list(old) + [k for k in new if k not in old]:
            if key not in new:
                out.append(Change("-", path + (key,), old[key], None))
            elif key not in old:
                out.append(Change("+", path + (key,), None, new[key]))
            else:
                out.extend(object_changes(old[key], new[key], path + (key,)))
        return out
    if isinstance(old, list) and isinstance(new, list):
        old_named, new_named = _named(old), _named(new)
        out = []
        if old_named is not None and new_named is not None:
            for name in list(old_named) + [n for n in new_named if n not in old_named]:
                part = f"[{name}]"
                if name not in new_named:
                    out.append(Change("-", path + (part,), old_named[name], None))
                elif name not in old_named:
                    out.append(Change("+", path + (part,), None, new_named[name]))
                else:
                    out.extend(object_changes(old_named[name], new_named[name], path + (part,)))
            if not out and list(old_named) != list(new_named):
                out.append(Change("~", path, list(old_named), list(new_named)))
            return out
        for i in range(max(len(old), len(new))):
            if i >= len(new):
                out.append(Change("-", path + (i,), old[i], None))
            elif i >= len(old):
                out.append(Change("+", path + (i,), None, new[i]))
            else:
                out.extend(object_changes(old[i], new[i], path + (i,)))
        return out
    if isinstance(old, str) and isinstance(new, str) and ("\n" in old or "\n" in new):
        old_data, new_data = embedded_yaml(old), embedded_yaml(new)
        if old_data is not None and new_data is not None:
            if len(old_data) == len(new_data) == 1:  # one document each: compare the documents
                old_data, new_data = old_data[0], new_data[0]
            inner = object_changes(old_data, new_data, path + (EMBEDDED,))
            if inner:
                return inner
        lines = [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1)][2:]
        return [Change("text", path, old, lines)]
    return [Change("~", path, old, new)]


def path_text(path: tuple) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == EMBEDDED:
            out += "|"
        elif part.startswith("["):
            out += part
        elif re.fullmatch(r"[A-Za-z0-9_-]+", part):
            out += f".{part}" if out and not out.endswith("|") else part
        else:
            out += f"[{json.dumps(part)}]"
    return out or "(object)"


# --- the diff ---------------------------------------------------------------------------------

def diff_manifests(old: Manifest, new: Manifest, namespace: str = "istio-system",
                   labels: tuple[str, str] = ("old", "new")) -> DiffResult:
    """Compare two manifests object by object (see the module's description); ``namespace`` is
    the release namespace, for documents that name none."""
    old_entries, new_entries = _entries(old, labels[0]), _entries(new, labels[1])
    cluster = _cluster_kinds(old_entries) | _cluster_kinds(new_entries)
    warnings: list[str] = []
    sides = []
    for entries, label in ((old_entries, labels[0]), (new_entries, labels[1])):
        _identify(entries, cluster, namespace)
        keyed: dict[ObjectKey, Entry] = {}
        for e in entries:
            if e.key in keyed:
                warnings.append(f"{label}: {describe(e.key)} appears twice ({keyed[e.key].where}; {e.where}); "
                                "the later one counts, as in an apply")
            keyed[e.key] = e
        sides.append(keyed)
    old_keyed, new_keyed = sides
    added = [e for k, e in new_keyed.items() if k not in old_keyed]
    removed = [e for k, e in old_keyed.items() if k not in new_keyed]
    changed = []
    for key, o in old_keyed.items():
        n = new_keyed.get(key)
        if n is None or (o.text is not None and o.text == n.text):
            continue
        changes = object_changes(_as_applied(o), _as_applied(n))
        if changes:
            changed.append((o, n, changes))
    return DiffResult(added, removed, changed, prune_list(removed), warnings)


def _as_applied(e: Entry) -> Any:
    """The object as the API server holds it: in the release namespace when it names none, and
    without one when its kind is cluster-scoped (so writing either out is no change)."""
    obj = e.object
    if isinstance(obj, dict) and isinstance(obj.get("metadata"), dict):
        meta = obj["metadata"]
        if e.key.namespace and not meta.get("namespace"):
            obj = {**obj, "metadata": {**meta, "namespace": e.key.namespace}}
        elif not e.key.namespace and "namespace" in meta:
            obj = {**obj, "metadata": {k: v for k, v in meta.items() if k != "namespace"}}
    return obj


def prune_list(removed: list[Entry]) -> list[PruneItem]:
    """Every removed object with what makes deleting it dangerous (an empty list when nothing does)."""
    out = []
    for e in removed:
        dangers = []
        kind = e.key.kind
        if kind == "CustomResourceDefinition":
            spec = e.object.get("spec") if isinstance(e.object, dict) else None
            names = spec.get("names") if isinstance(spec, dict) and isinstance(spec.get("names"), dict) else {}
            dangers.append(f"deleting a CRD deletes every {names.get('kind') or 'object'} "
                           f"({e.key.name}) in the cluster, users' own included")
        elif kind == "Namespace":
            dangers.append("deleting a namespace deletes everything in it")
        elif kind == "PersistentVolumeClaim":
            dangers.append("deleting a claim may delete its volume's data")
        if e.hook_events:
            events = ", ".join(e.hook_events)
            if any(ev.endswith("-delete") for ev in e.hook_events):
                dangers.append(f"hook ({events}): without it the cleanup it runs when the release is deleted "
                               "no longer happens")
            else:
                dangers.append(f"hook ({events}): a one-off object Helm creates around an install or upgrade; "
                               "a pruner may never have applied it")
        for left, command in _left_behind(e):
            dangers.append(f"leaves behind {left}, which the mesh creates at run time and no pruner sees: "
                           f"delete it yourself ({command})")
        out.append(PruneItem(e.key, e.source, dangers))
    return out


def _left_behind(e: Entry) -> list[tuple[str, str]]:
    """What a removed object's component had created at run time: objects held as manifests
    inside a ConfigMap (galley registers its validating webhook from one), and known leftovers."""
    found = []
    known = RUNTIME_LEFTOVERS.get((e.key.kind, e.key.name))
    if known:
        found.append(known)
    if e.key.kind == "ConfigMap" and isinstance(e.object, dict) and isinstance(e.object.get("data"), dict):
        for value in e.object["data"].values():
            if not isinstance(value, str) or "kind:" not in value:
                continue
            docs = embedded_yaml(value) or []
            for obj in [item for d in docs for item in (d if isinstance(d, list) else [d])]:
                if isinstance(obj, dict) and obj.get("kind") and isinstance(obj.get("metadata"), dict) \
                        and obj["metadata"].get("name"):
                    kind, name = str(obj["kind"]), str(obj["metadata"]["name"])
                    ns = obj["metadata"].get("namespace")
                    scoped = f" -n {ns}" if ns and kind not in CLUSTER_KINDS else ""
                    found.append((f"{kind} {name}", f"kubectl delete {kind.lower()} {name}{scoped}"))
    return found


# --- output -----------------------------------------------------------------------------------

def _show(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _change_lines(changes: list[Change]) -> list[str]:
    lines = []
    for c in changes:
        where = path_text(c.path)
        if c.op == "~":
            lines.append(f"~ {where}: {_show(c.old)} -> {_show(c.new)}")
        elif c.op == "+":
            lines.append(f"+ {where}: {_show(c.new)}")
        elif c.op == "-":
            lines.append(f"- {where}: {_show(c.old)}")
        else:
            lines.append(f"~ {where}: (text)")
            lines.extend(f"    {line}" for line in c.new)
    return lines


def _summary_line(result: DiffResult) -> str:
    return (f"{len(result.added)} added, {len(result.removed)} removed, {len(result.changed)} changed")


def format_text(result: DiffResult) -> str:
    if not result:
        return "no changes\n"
    out = [_summary_line(result), ""]
    counts = result.by_kind()
    width = max(len(k) for k in counts)
    out.append(f"{'kind'.ljust(width)}  added  removed  changed")
    for kind, row in counts.items():
        out.append(f"{kind.ljust(width)}  {row['added']:5}  {row['removed']:7}  {row['changed']:7}")
    out.append("")
    for sign, entries in (("+", result.added), ("-", result.removed)):
        for e in entries:
            hook = f" [hook: {', '.join(e.hook_events)}]" if e.hook_events else ""
            out.append(f"{sign} {describe(e.key)}{hook}  ({e.source})")
    for o, n, changes in result.changed:
        out.append(f"~ {describe(o.key)}  ({n.source})")
        out.extend(f"    {line}" for line in _change_lines(changes))
    if result.prune:
        out += ["", "prune (objects the new render no longer has; a pruning apply deletes them):"]
        for item in result.prune:
            flag = "  DANGER" if item.dangers else ""
            out.append(f"  {describe(item.key)}{flag}")
            out.extend(f"      {d}" for d in item.dangers)
    return "\n".join(out) + "\n"


def _ref(key: ObjectKey, source: str) -> dict:
    return {"kind": key.kind, "group": key.group, "namespace": key.namespace or None, "name": key.name,
            "source": source}


def as_data(result: DiffResult) -> dict:
    """The diff as plain data (what ``--output json`` prints)."""
    def change(c: Change) -> dict:
        if c.op == "text":
            return {"op": "~", "path": path_text(c.path), "lines": c.new}
        out = {"op": c.op, "path": path_text(c.path)}
        if c.op != "+":
            out["old"] = c.old
        if c.op != "-":
            out["new"] = c.new
        return out
    return {
        "summary": {"added": len(result.added), "removed": len(result.removed), "changed": len(result.changed),
                    "byKind": result.by_kind()},
        "added": [_ref(e.key, e.source) for e in result.added],
        "removed": [_ref(e.key, e.source) for e in result.removed],
        "changed": [{**_ref(o.key, n.source), "changes": [change(c) for c in changes]}
                    for o, n, changes in result.changed],
        "prune": [{**_ref(p.key, p.source), "dangerous": bool(p.dangers), "dangers": p.dangers}
                  for p in result.prune],
        "warnings": result.warnings,
    }


def format_markdown(result: DiffResult) -> str:
    if not result:
        return "**meshcharts diff:** no changes\n"
    out = [f"**meshcharts diff:** {_summary_line(result)}", "", "| kind | added | removed | changed |",
           "|---|---:|---:|---:|"]
    out += [f"| {k} | {r['added']} | {r['removed']} | {r['changed']} |" for k, r in result.by_kind().items()]
    dangerous = [p for p in result.prune if p.dangers]
    if dangerous:
        out += ["", f"> [!WARNING]\n> Pruning deletes {len(dangerous)} object(s) that need care:"]
        for p in dangerous:
            out.append(f"> - `{describe(p.key)}`: " + "; ".join(p.dangers))
    if result.added or result.removed:
        out += ["", "<details><summary>Added and removed objects</summary>", "", "```diff"]
        out += [f"+ {describe(e.key)}" for e in result.added] + [f"- {describe(e.key)}" for e in result.removed]
        out += ["```", "</details>"]
    for o, _, changes in result.changed:
        out += ["", f"<details><summary>{describe(o.key)}</summary>", "", "```diff"]
        out += _change_lines(changes)
        out += ["```", "</details>"]
    return "\n".join(out) + "\n"


def format_diff(result: DiffResult, output: str = "text") -> str:
    if output == "json":
        return json.dumps(as_data(result), indent=2, ensure_ascii=False, default=str) + "\n"
    if output == "markdown":
        return format_markdown(result)
    if output == "text":
        return format_text(result)
    raise MeshchartsError(f"unknown output {output!r}; choose one of {', '.join(OUTPUTS)}", "--output")


def compare(old: Any, new: Any, *, namespace: str = "istio-system") -> DiffResult:
    """Diff two renders, each a :class:`~meshcharts.manifest.Manifest`, a
    :class:`~meshcharts.api.RenderOptions` (rendered here), or a manifest file, an output
    directory or ``"-"`` (read with :func:`~meshcharts.manifest.read_manifest_path`).

        >>> from meshcharts import RenderOptions, compare
        >>> result = compare("manifests/", RenderOptions(profile="demo"))
        >>> [describe(p.key) for p in result.prune if p.dangers]
    """

    def side(value: Any) -> Manifest:
        if isinstance(value, Manifest):
            return value
        if isinstance(value, RenderOptions):
            return render_options(value)
        return Manifest(read_manifest_path(value))
    def label(value: Any, default: str) -> str:
        return default if isinstance(value, (Manifest, RenderOptions)) else str(value)
    return diff_manifests(side(old), side(new), namespace, (label(old, "old"), label(new, "new")))
