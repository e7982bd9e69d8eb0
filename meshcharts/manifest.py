"""From rendered template texts to the manifest ``helm template`` prints.

Documents of all template files in path order, stably sorted by Helm's install order (unknown
kinds after the known ones, by kind name), hooks last; each headed by ``---`` and
``# Source: <path>``. Sorting reads only each document's head (``kind:`` and the hook
annotation) from its text; a document whose head is not written that way (JSON style, quoted
keys) is parsed instead. Otherwise the full YAML is parsed only when a caller asks for a
document's object.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from .errors import MeshchartsError, TemplateError, printable
from .golang import glob_match
from .yamlio import document_problem, load_manifest_documents, parse_document

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable

INSTALL_ORDER = (
    "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
    "PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
    "ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
    "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
    "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList",
    "Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
    "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
    "APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
)
_RANK = {kind: i for i, kind in enumerate(INSTALL_ORDER)}
HOOK_EVENTS = frozenset({"pre-install", "post-install", "pre-delete", "post-delete", "pre-upgrade",
                         "post-upgrade", "pre-rollback", "post-rollback", "test", "test-success"})

# Helm splits on `---` at the start of a line (`(?:^|\s*\n)---\s*`); the whitespace around it is
# stripped from the documents anyway, so splitting on "\n---" gives the same documents far faster.
# Both read at a line start found with str.find: a regex anchored at every line start would try
# each character of a document.
_KIND = re.compile(r"kind:[ \t]*['\"]?([^'\"\s#]*)")
_CONTENT_LINE = re.compile(r"^[ \t]*[^#\s]", re.M)
_TOP_LEVEL_LINE = re.compile(r"\n(?=[^ \t\n#-])")
_HOOK = re.compile(r"[ \t]+['\"]?helm\.sh/hook['\"]?:[ \t]*['\"]?([^'\"\n#]*)")


class Document:
    """One object of the manifest: where it came from (``source``) and what it is (``kind``,
    ``api_version``, ``name``, ``namespace``, ``object``; ``text`` as printed)."""
    __slots__ = ("source", "text", "kind", "is_hook", "_object", "number")

    def __init__(self, source: str, text: str, kind: str, is_hook: bool = False, parsed: Any = None,
                 number: int | None = None):
        self.source = source
        self.text = text
        self.kind = kind
        self.is_hook = is_hook
        self._object = parsed  # the object, when the caller already has it
        self.number = number  # 1-based place in the file it was read from (read_manifest), else None

    def __repr__(self) -> str:
        return f"Document(source={self.source!r}, kind={self.kind!r}, is_hook={self.is_hook!r}, text={self.text!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Document):
            return NotImplemented
        return (self.source, self.text, self.kind, self.is_hook) == (other.source, other.text, other.kind,
                                                                     other.is_hook)

    __hash__ = None  # type: ignore[assignment] - mutable, like the documents list holding it

    @property
    def object(self) -> Any:
        """The parsed object (parsed on first use); a document that is not YAML raises
        :class:`~meshcharts.errors.TemplateError` naming its template."""
        if self._object is None:
            try:
                self._object = parse_document(self.text)
            except Exception as e:  # PyYAML's own errors: say which template printed the document
                problem = document_problem(self.text)
                if problem is not None:
                    raise _not_yaml(self, problem) from None
                raise TemplateError(f"YAML error: {str(e).splitlines()[0]}", self.source) from None
        return self._object

    @property
    def api_version(self) -> str | None:
        """The object's ``apiVersion`` (``apps/v1``), None when it has none."""
        version = self.object.get("apiVersion") if isinstance(self.object, dict) else None
        return version if isinstance(version, str) else None

    @property
    def name(self) -> str | None:
        meta = self.object.get("metadata") if isinstance(self.object, dict) else None
        return (meta or {}).get("name")

    @property
    def namespace(self) -> str | None:
        meta = self.object.get("metadata") if isinstance(self.object, dict) else None
        return (meta or {}).get("namespace")

    def parts(self) -> tuple[str, ...]:
        """The document as printed, in pieces (a document can be hundreds of KB: join once)."""
        return ("---\n# Source: ", self.source, "\n", self.text, "\n")

    def render(self) -> str:
        return "".join(self.parts())


class Manifest:
    """The rendered release: documents in output order and their text; ``warnings``, e.g. keys
    the chart's values schema does not know."""

    def __init__(self, documents: list[Document], warnings: list[str] | None = None):
        self.documents = documents
        self.warnings = warnings if warnings is not None else []

    def __repr__(self) -> str:
        return f"Manifest({len(self.documents)} documents, warnings={self.warnings!r})"

    @property
    def text(self) -> str:
        return "".join([part for d in self.documents for part in d.parts()])

    def __str__(self) -> str:
        return self.text

    def by_source(self) -> dict[str, list[Document]]:
        out: dict[str, list[Document]] = {}
        for d in self.documents:
            out.setdefault(d.source, []).append(d)
        return out


def _is_blank(chunk: str) -> bool:
    """Whitespace or comments only (``chunk`` is stripped: content first is the common case)."""
    return chunk[:1] == "#" and _CONTENT_LINE.search(chunk) is None


def _metadata(chunk: str) -> str:
    """The document's top-level ``metadata:`` block (all of it when there is none such): where
    Helm reads hook annotations, and short even when the document is a 265 KB ConfigMap."""
    if chunk.startswith("metadata:"):
        start = 0
    else:
        start = chunk.find("\nmetadata:") + 1
        if start == 0:
            return chunk
    end = _TOP_LEVEL_LINE.search(chunk, start)
    return chunk[start:end.start()] if end else chunk[start:]


def _hook(chunk: str) -> bool | None:
    """Whether the document is a hook, read from its text; None when the text does not say in a
    way read here (annotations in flow style, a block scalar as the value): then it is parsed."""
    if "helm.sh/hook" not in (chunk if len(chunk) < 4096 else _metadata(chunk)):  # the common case, quickly
        return False
    chunk = _metadata(chunk)
    value = _hook_annotation(chunk)
    if value is None:
        return None if "{" in chunk else False
    return None if value[:1] in (">", "|", "") else _hook_events(value)


def _hook_annotation(metadata: str) -> str | None:
    """The text of the ``helm.sh/hook`` annotation's own line in a metadata block (not
    hook-weight, not a comment), None when it has no such line."""
    at = metadata.find("helm.sh/hook")
    while at >= 0:
        m = _HOOK.match(metadata, metadata.rfind("\n", 0, at) + 1)
        if m:
            return m.group(1).strip()
        at = metadata.find("helm.sh/hook", at + 1)
    return None


def _hook_events(annotation: str) -> bool:
    """Whether a ``helm.sh/hook`` annotation names hook events Helm knows (and only those)."""
    events = [e.strip() for e in annotation.split(",") if e.strip()]
    return bool(events) and all(e in HOOK_EVENTS for e in events)


def _parsed_head(source: str, chunk: str, kind_seen: str = "") -> Document:
    """A document whose head the fast path cannot read (JSON style, quoted or flow keys): its
    kind and hook from the parsed object, as Helm reads every document's head."""
    try:
        parsed = parse_document(chunk)
    except Exception:  # not YAML (PyYAML's errors): sorted by what was seen, and check_yaml names it
        return Document(source, chunk, kind_seen)
    if not isinstance(parsed, dict):
        return Document(source, chunk, "", parsed=parsed)
    kind = parsed.get("kind")
    meta = parsed.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    hook = annotations.get("helm.sh/hook") if isinstance(annotations, dict) else None
    return Document(source, chunk, kind if isinstance(kind, str) else "",
                    isinstance(hook, str) and _hook_events(hook), parsed=parsed)


def hook_events(text: str) -> tuple[str, ...]:
    """The events a document's ``helm.sh/hook`` annotation names (read from its text, as
    :func:`split_documents` reads whether it is a hook); none for a document without one."""
    value = _hook_annotation(_metadata(text))
    return tuple(e.strip() for e in value.split(",") if e.strip()) if value else ()


def split_documents(source: str, text: str) -> list[Document]:
    docs = []
    # Same documents as splitting on `^---` (multi-line), without a regex scan of the text (and
    # without copying it first to put a line break before a leading `---`).
    chunks = text.split("\n---")
    if chunks[0].startswith("---"):
        chunks[0] = chunks[0][3:]
    for chunk in chunks:
        chunk = chunk.strip()
        if not chunk or _is_blank(chunk):
            continue
        m = _KIND.match(chunk, 0 if chunk.startswith("kind:") else chunk.find("\nkind:") + 1 or len(chunk))
        hook = _hook(chunk) if m else None
        docs.append(Document(source, chunk, m.group(1), hook) if hook is not None
                    else _parsed_head(source, chunk, m.group(1) if m else ""))
    return docs


def _rank(doc: Document) -> tuple[int, int, str]:
    rank = _RANK.get(doc.kind)
    return (1 if doc.is_hook else 0, rank if rank is not None else len(INSTALL_ORDER),
            "" if rank is not None else doc.kind)


def build_manifest(rendered: dict[str, str]) -> Manifest:
    docs: list[Document] = []
    for source in sorted(rendered):
        docs.extend(split_documents(source, rendered[source]))
    docs.sort(key=_rank)  # stable: file path, then position in the file
    return Manifest(docs)


def _not_yaml(doc: Document, problem: tuple[int, int, str], number: int | None = None) -> TemplateError:
    """The error for a document that does not parse: ``problem`` is ``(line, column, what)``
    within it, ``number`` its place among the documents its template renders."""
    line, column, what = problem
    shown = doc.text.split("\n")[line - 1] if line <= doc.text.count("\n") + 1 else ""
    which = f"document {number}" if number is not None else "a document"
    return TemplateError(f"YAML parse error: {what} (line {line}, column {column} of {which} it renders; a value "
                         "printed without quoting?)", doc.source, [f"  {line}: {printable(shown)}"])


def check_yaml(manifest: Manifest) -> None:
    """Refuse a document that is not valid YAML, as Helm does ("YAML parse error on <template>"):
    most often a value a template prints without quoting."""
    count: dict[str, int] = {}
    for doc in manifest.documents:
        count[doc.source] = count.get(doc.source, 0) + 1
        problem = document_problem(doc.text)
        if problem is not None:
            raise _not_yaml(doc, problem, count[doc.source])


def show_only(manifest: Manifest, patterns: Iterable[str]) -> Manifest:
    """Keep the documents whose source matches any pattern (full path, or the path inside the
    chart as Helm's ``--show-only`` takes it; ``*`` stays within a path segment). A pattern
    that matches nothing is an error."""
    kept: list[Document] = []
    taken: set[int] = set()
    # Grouped by pattern in argument order, as Helm prints them; a document that several
    # patterns match is printed once (Helm repeats it, helm/helm#7203).
    for pattern in patterns:
        try:
            matched = [d for d in manifest.documents
                       if glob_match(pattern, d.source) or glob_match(pattern, d.source.split("/", 1)[-1])]
        except ValueError as e:
            raise MeshchartsError(str(e), "--show-only") from None
        if not matched:
            known = sorted({d.source for d in manifest.documents})
            raise MeshchartsError(f"no rendered template matches {pattern!r}", "--show-only",
                                  ["rendered templates:"] + [f"  {s}" for s in known])
        kept.extend(d for d in matched if id(d) not in taken)
        taken.update(id(d) for d in matched)
    return Manifest(kept)


def write_output_dir(manifest: Manifest, directory: str | Path, decide: Any = None) -> list[Path]:
    """Write each template's documents to ``directory/<source path>``, replacing any file there
    and keeping the directory's other files; the directory changes in one step (see
    :mod:`meshcharts.outputdir`), so a failure or a kill leaves it as it was. No path may leave
    ``directory``. ``decide()``, called while no other run writes there, returns more files to
    write (relative path → text) and files to remove (:mod:`meshcharts.mirror`'s plan)."""
    from .outputdir import replace_tree  # shutil and fcntl only for --output-dir
    files = {source: "".join(d.render() for d in docs) for source, docs in manifest.by_source().items()}
    return replace_tree(directory, files, decide=decide)


# --- manifests read back: a committed render, an --output-dir tree, anyone's YAML -------------

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
# Files of an output directory that are not objects for the cluster: kustomize's own file (and
# meshcharts' record, whose name is hidden and has no manifest suffix).
NOT_MANIFESTS = frozenset({"kustomization.yaml", "kustomization.yml"})
_SOURCE_LINE = re.compile(r"^# Source: (.+)$", re.M)
_SEPARATOR = re.compile(r"^---[ \t]*(?:#.*)?$", re.M)
_AT_LINE = re.compile(r":(\d+):(\d+)$")


def read_manifest(text: str, where: str) -> list[Document]:
    """The documents of manifest ``text`` read from ``where`` (a path, or ``-`` for stdin), in
    file order: each one's ``source`` is its ``# Source:`` line when it has one (a render's
    output), else ``where``; ``text`` is the document as a render holds it (without that line, so
    a render read back has the render's texts); ``is_hook`` is read as a render reads it;
    ``number`` is its 1-based place among the file's documents (empty documents not counted);
    ``object`` is the document as the API server reads it. Text that is not YAML raises
    :class:`MeshchartsError` naming ``where:line:column``."""
    docs: list[Document] = []
    start = 0
    for separator in [*_SEPARATOR.finditer(text), None]:
        end = separator.start() if separator else len(text)
        chunk, first_line = text[start:end], text.count("\n", 0, start)
        start = separator.end() if separator else end
        if not chunk.strip() or _is_blank(chunk.strip()):
            continue
        try:
            parsed = load_manifest_documents(chunk, where)
        except MeshchartsError as e:  # name the line in the whole file, not in this document
            at = _AT_LINE.search(e.where or "")
            place = f"{where}:{int(at.group(1)) + first_line}:{at.group(2)}" if at else where
            raise MeshchartsError(e.message, place) from None
        found = _SOURCE_LINE.search(chunk)
        body = chunk.strip()
        if found and body.startswith(found.group(0)):
            body = body[len(found.group(0)):].lstrip("\n")
        for obj in parsed:
            if obj is None:
                continue
            kind = obj.get("kind") if isinstance(obj, dict) else None
            docs.append(Document(found.group(1).strip() if found else where, body,
                                 kind if isinstance(kind, str) else "", _hook(body), obj, len(docs) + 1))
    return docs


def read_manifest_path(path: str | Path, stdin: Any = None) -> list[Document]:
    """:func:`read_manifest` of a file, of ``-`` (``stdin``, default ``sys.stdin``), or of every
    ``.yaml``/``.yml``/``.json`` file below a directory (an ``--output-dir`` render), in path order
    (hidden files and directories, and ``kustomization.yaml``, left out)."""
    if str(path) == "-":
        return read_manifest((stdin or sys.stdin).read(), "-")
    root = Path(path)
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in MANIFEST_SUFFIXES
                       and p.name not in NOT_MANIFESTS
                       and not any(part.startswith(".") for part in p.relative_to(root).parts))
        if not files:
            raise MeshchartsError("no .yaml, .yml or .json files in this directory", str(path))
    else:
        files = [root]
    docs: list[Document] = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise MeshchartsError("no such file or directory", str(file)) from None
        except (OSError, UnicodeDecodeError) as e:
            raise MeshchartsError(f"cannot read manifest: {getattr(e, 'strerror', None) or e}", str(file)) from None
        docs.extend(read_manifest(text, str(file)))
    return docs
