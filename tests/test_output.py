"""The manifest: splitting into documents, `---`/`# Source:` heads, Helm's install order, hooks,
dropped documents, NOTES.txt, and byte-stable output across processes."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CHARTS = Path(__file__).resolve().parent / "charts"


def doc(kind: str, name: str, extra: str = "") -> str:
    return f"kind: {kind}\nmetadata:\n  name: {name}\n{extra}"


def order(manifest) -> list[tuple[str, str]]:
    return [(d.kind, d.name) for d in manifest.documents]


def test_every_document_gets_its_own_head(render_chart):
    manifest = render_chart({"templates/a.yaml": doc("ConfigMap", "one") + "---\n" + doc("ConfigMap", "two")})
    assert manifest.text == ("---\n# Source: parent/templates/a.yaml\nkind: ConfigMap\nmetadata:\n  name: one\n"
                             "---\n# Source: parent/templates/a.yaml\nkind: ConfigMap\nmetadata:\n  name: two\n")


SPLITS = [
    # (template text, names of the documents kept)
    (doc("ConfigMap", "a") + "---\n" + doc("ConfigMap", "b"), ["a", "b"]),
    ("---\n" + doc("ConfigMap", "a") + "---\n", ["a"]),
    (doc("ConfigMap", "a") + "---\n\n   \n---\n" + doc("ConfigMap", "b"), ["a", "b"]),
    (doc("ConfigMap", "a") + "---\n# only a comment\n#\n---\n" + doc("ConfigMap", "b"), ["a", "b"]),
    ("# header comment\n" + doc("ConfigMap", "a"), ["a"]),
    ("data: |\n  ---\n  not a split\nkind: ConfigMap\nmetadata:\n  name: a\n", ["a"]),
    ("", []),
    ("\n\n# nothing here\n", []),
    ("{% if false %}" + doc("ConfigMap", "a") + "{% endif %}", []),
]


@pytest.mark.parametrize(("text", "names"), SPLITS, ids=[
    "two-documents", "leading-and-trailing-separator", "whitespace-document-dropped", "comment-only-dropped",
    "comment-inside-document-kept", "indented-separator-does-not-split", "empty-file", "comment-only-file",
    "rendered-empty"])
def test_documents_split_and_empty_ones_dropped(render_chart, text, names):
    assert [d.name for d in render_chart({"templates/a.yaml": text}).documents] == names


def test_documents_keep_their_text_verbatim(render_chart):
    manifest = render_chart({"templates/a.yaml": "# lead\nkind: ConfigMap\ndata:\n  k: 'v'   # note\n"})
    assert manifest.documents[0].text == "# lead\nkind: ConfigMap\ndata:\n  k: 'v'   # note"


def test_same_kind_keeps_path_order(render_chart):
    manifest = render_chart({
        "templates/b.yaml": doc("ConfigMap", "b"),
        "templates/a.yaml": doc("ConfigMap", "a1") + "---\n" + doc("ConfigMap", "a2"),
        "templates/sub/c.yaml": doc("ConfigMap", "c"),
        "charts/kid/templates/z.yaml": doc("ConfigMap", "kid"),
    })
    assert [d.name for d in manifest.documents] == ["kid", "a1", "a2", "b", "c"]


def test_install_order_is_a_stable_sort_by_kind(render_chart):
    manifest = render_chart({
        "templates/a.yaml": "---\n".join([doc("Deployment", "d"), doc("Service", "s"), doc("ConfigMap", "c1")]),
        "templates/b.yaml": "---\n".join([doc("ConfigMap", "c2"), doc("Namespace", "ns"), doc("ServiceAccount", "sa")]),
        "templates/c.yaml": "---\n".join([doc("ClusterRoleBinding", "crb"), doc("ClusterRole", "cr"),
                                          doc("CustomResourceDefinition", "crd"), doc("Job", "j")]),
    })
    assert order(manifest) == [("Namespace", "ns"), ("ServiceAccount", "sa"), ("ConfigMap", "c1"), ("ConfigMap", "c2"),
                               ("CustomResourceDefinition", "crd"), ("ClusterRole", "cr"),
                               ("ClusterRoleBinding", "crb"), ("Service", "s"), ("Deployment", "d"), ("Job", "j")]


def test_unknown_kinds_follow_known_ones_by_kind_name(render_chart):
    manifest = render_chart({
        "templates/a.yaml": "---\n".join([
            doc("Zebra", "z"), doc("Gateway", "g"), doc("Deployment", "d"), "metadata:\n  name: nokind\n",
            doc("Alpha", "a1"), doc("attributemanifest", "l"), doc("ValidatingWebhookConfiguration", "v"),
            doc("Alpha", "a2")]),
    })
    assert order(manifest) == [("Deployment", "d"), ("ValidatingWebhookConfiguration", "v"), ("", "nokind"),
                               ("Alpha", "a1"), ("Alpha", "a2"), ("Gateway", "g"), ("Zebra", "z"),
                               ("attributemanifest", "l")]


HOOK = "metadata:\n  name: {name}\n  annotations:\n    \"helm.sh/hook\": {event}\n"


def test_hooks_come_last_in_their_own_kind_order(render_chart):
    manifest = render_chart({
        "templates/a.yaml": "kind: Job\n" + HOOK.format(name="post", event="post-install"),
        "templates/b.yaml": "kind: ServiceAccount\n" + HOOK.format(name="hooksa", event="pre-install,pre-upgrade"),
        "templates/c.yaml": doc("Zebra", "z") + "---\n" + doc("Namespace", "ns"),
    })
    assert order(manifest) == [("Namespace", "ns"), ("Zebra", "z"), ("ServiceAccount", "hooksa"), ("Job", "post")]
    assert [d.is_hook for d in manifest.documents] == [False, False, True, True]


def test_only_the_objects_own_annotations_make_a_hook(render_chart):
    """Helm reads metadata.annotations; a pod template's annotations, or text in a ConfigMap's
    data, do not make the object a hook."""
    manifest = render_chart({
        "templates/a.yaml": ("kind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    metadata:\n"
                             "      annotations:\n        \"helm.sh/hook\": post-install\n"),
        "templates/b.yaml": "kind: ConfigMap\nmetadata:\n  name: c\ndata:\n  x: |\n    helm.sh/hook: pre-install\n",
        "templates/c.yaml": "kind: Job\n# a comment in between\n" + HOOK.format(name="j", event="post-install")
                            + "spec: {}\n",
    })
    assert [(d.kind, d.is_hook) for d in manifest.documents] == [("ConfigMap", False), ("Deployment", False),
                                                                  ("Job", True)]


def test_crd_install_hook_is_kept_as_an_ordinary_document(render_chart):
    manifest = render_chart({
        "templates/crds.yaml": "kind: CustomResourceDefinition\n" + HOOK.format(name="crd", event="crd-install"),
        "templates/z.yaml": doc("Deployment", "d") + "---\n" + doc("ConfigMap", "c"),
    })
    assert order(manifest) == [("ConfigMap", "c"), ("CustomResourceDefinition", "crd"), ("Deployment", "d")]
    assert not manifest.documents[1].is_hook
    assert "crd-install" in manifest.documents[1].text


def test_notes_txt_is_never_printed(render_chart):
    manifest = render_chart({
        "templates/NOTES.txt": doc("ConfigMap", "notes"),
        "templates/MY-NOTES.txt": doc("ConfigMap", "my-notes"),
        "charts/kid/templates/NOTES.txt": doc("ConfigMap", "kid-notes") + "{{ fail('never rendered') }}",
        "templates/a.yaml": doc("ConfigMap", "a"),
    })
    assert [d.source for d in manifest.documents] == ["parent/templates/a.yaml"]


def _render_in_subprocess(seed: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    proc = subprocess.run([sys.executable, "-m", "meshcharts", "render", "--chart", str(CHARTS / "two-children"),
                           "--set", "web.extraLabels.zeta=z,web.extraLabels.alpha=a,web.extraLabels.mid=m"],
                          capture_output=True, text=True, env=env, check=True)
    return proc.stdout


def test_output_is_byte_identical_across_hash_seeds():
    first, second = _render_in_subprocess("0"), _render_in_subprocess("31337")
    assert first.count("# Source:") > 3
    assert first == second


def test_json_style_documents_get_their_kind_and_install_order(render_chart):
    """A document written as JSON (or with quoted keys) has its head read by parsing it: its kind
    sorts it and its hook annotation makes it a hook, as for block-style documents."""
    manifest = render_chart({
        "templates/a.yaml": '{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}\n',
        "templates/b.yaml": '"kind": "Service"\n"metadata":\n  "name": s\n',
        "templates/c.yaml": ('{"kind": "Job", "metadata": {"name": "j", "annotations": '
                             '{"helm.sh/hook": "post-install"}}}\n'),
        "templates/d.yaml": doc("ConfigMap", "c"),
    })
    assert order(manifest) == [("ConfigMap", "c"), ("Service", "s"), ("Deployment", "d"), ("Job", "j")]
    assert [d.is_hook for d in manifest.documents] == [False, False, False, True]


@pytest.mark.parametrize("metadata", [
    'metadata: {name: j, annotations: {"helm.sh/hook": post-install}}',
    "metadata:\n  name: j\n  annotations: {helm.sh/hook: post-install}",
    "metadata:\n  name: j\n  annotations:\n    helm.sh/hook: >-\n      post-install",
], ids=["flow-metadata", "flow-annotations", "folded-value"])
def test_a_hook_annotation_the_fast_path_cannot_read_is_parsed(render_chart, metadata):
    manifest = render_chart({"templates/a.yaml": f"kind: Job\n{metadata}\n", "templates/b.yaml": doc("Service", "s")})
    assert [(d.kind, d.name, d.is_hook) for d in manifest.documents] == [("Service", "s", False), ("Job", "j", True)]

