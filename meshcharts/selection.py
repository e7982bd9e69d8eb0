"""Helm's switches over which documents a render prints: ``--no-hooks``, ``--skip-hook EVENT``,
``--skip-crds`` and ``--include-crds``.

Hooks are documents whose ``helm.sh/hook`` annotation names Helm hook events; a GitOps pipeline
that applies the manifest with ``kubectl apply`` has no hook phases, so it may want them gone
(``--no-hooks``), or only some (``--skip-hook post-delete`` leaves out the Job that deletes the
mesh's secrets, which an apply would otherwise run at once). A hook with several events is left
out when every one of its events is skipped.

CRDs: ``--skip-crds`` leaves out every CustomResourceDefinition (for clusters whose CRDs are
managed apart from the release); ``--include-crds`` adds the files of each rendered chart's
``crds/`` directory, unrendered and first, as Helm does.
"""
from __future__ import annotations

from .errors import MeshchartsError
from .manifest import HOOK_EVENTS, Document, Manifest, hook_events, split_documents

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterable

    from .loader import Chart


def check_events(events: Iterable[str]) -> None:
    for event in events:
        if event not in HOOK_EVENTS:
            raise MeshchartsError(f"unknown hook event {event!r}; Helm's events are "
                                  f"{', '.join(sorted(HOOK_EVENTS))}", "--skip-hook")


def crd_documents(tree: Chart, parent_path: str = "") -> list[Document]:
    """The documents of ``crds/`` in ``tree`` and its (enabled) children, charts in path order,
    files in name order, unrendered."""
    path = tree.template_path(parent_path)
    docs = []
    for name in sorted(f for f in tree.files if f.startswith("crds/") and f.endswith((".yaml", ".yml", ".json"))):
        docs.extend(split_documents(f"{path}/{name}", tree.files[name]))
    for child in tree.children:
        docs.extend(crd_documents(child, path))
    return docs


def select(manifest: Manifest, tree: Chart, *, no_hooks: bool = False, skip_hooks: Iterable[str] = (),
           skip_crds: bool = False, include_crds: bool = False) -> Manifest:
    """``manifest`` with the switches applied (the same manifest when none is on)."""
    skipped = set(skip_hooks)
    check_events(skipped)
    if not (no_hooks or skipped or skip_crds or include_crds):
        return manifest
    docs = (crd_documents(tree) if include_crds else []) + manifest.documents
    kept = []
    for doc in docs:
        if doc.is_hook and (no_hooks or (skipped and set(hook_events(doc.text)) <= skipped)):
            continue
        if skip_crds and doc.kind == "CustomResourceDefinition":
            continue
        kept.append(doc)
    return Manifest(kept, manifest.warnings)
