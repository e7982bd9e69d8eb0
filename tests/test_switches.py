"""Helm's output switches (--no-hooks, --skip-hook, --skip-crds, --include-crds) and values from
stdin (`-f -`) or a URL (refused)."""
from __future__ import annotations

import io
import sys

import pytest
import yaml

from cli_runner import invoke
from meshcharts import render


def run(*args):
    return invoke(list(args))


def hooks(manifest) -> list[tuple[str, str, str]]:
    out = []
    for d in manifest.documents:
        ann = (d.object.get("metadata") or {}).get("annotations") or {}
        events = ann.get("helm.sh/hook", "")
        if events and events != "crd-install":
            out.append((d.kind, d.name, events))
    return out


def test_no_hooks_leaves_out_every_hook_and_nothing_else():
    full, bare = render("demo"), render("demo", no_hooks=True)
    assert hooks(full) and not hooks(bare)
    assert len(bare.documents) == len(full.documents) - len(hooks(full))
    assert [d.text for d in bare.documents] == [d.text for d in full.documents if not d.is_hook]


def test_skip_hook_leaves_out_one_event():
    full, skipped = render("demo"), render("demo", skip_hooks=["post-delete"])
    gone = {(k, n) for k, n, e in hooks(full)} - {(k, n) for k, n, e in hooks(skipped)}
    assert gone == {(k, n) for k, n, e in hooks(full) if e == "post-delete"}
    assert ("Job", "istio-cleanup-secrets") in gone
    assert any(e == "post-install" for _, _, e in hooks(skipped))


def test_skip_crds():
    out = render("demo", skip_crds=True)
    assert not [d for d in out.documents if d.kind == "CustomResourceDefinition"]
    assert len(out.documents) == len(render("demo").documents) - 48


def test_include_crds_puts_the_crds_directory_first(make_chart):
    chart = make_chart({"crds/widgets.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
                                            "metadata:\n  name: widgets.example.com\n",
                        "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"})
    assert [d.source for d in render(chart=chart).documents] == ["parent/templates/cm.yaml"]
    result = run("render", "--chart", str(chart), "--include-crds")
    assert result.exit_code == 0
    assert result.stdout.startswith("---\n# Source: parent/crds/widgets.yaml\napiVersion: apiextensions.k8s.io/v1\n")
    assert "skip" not in result.stdout
    assert [d.source for d in render(chart=chart, include_crds=True, skip_crds=True).documents] == \
        ["parent/templates/cm.yaml"]


def test_cli_switches_match_the_api():
    result = run("render", "--profile", "demo", "--no-hooks", "--skip-crds")
    assert result.exit_code == 0
    assert result.stdout == render("demo", no_hooks=True, skip_crds=True).text


def test_unknown_hook_event_is_refused():
    result = run("render", "--skip-hook", "post-deletes")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: --skip-hook: unknown hook event 'post-deletes'")


def test_values_from_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("pilot:\n  replicaCount: 4\n"))
    result = run("render", "-f", "-", "--show-only", "charts/pilot/templates/deployment.yaml")
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load(result.stdout.split("\n", 2)[2])["spec"]["replicas"] == 4


def test_bad_values_from_stdin_are_located(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("pilot:\n  replicaCount: two\n"))
    result = run("render", "-f", "-")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: (stdin):2:3: pilot.replicaCount: expected a whole number")


@pytest.mark.parametrize("url", ["https://example.com/values.yaml", "http://x/v.yaml", "oci://registry/v"])
def test_values_url_is_refused(url):
    result = run("render", "-f", url)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"Error: {url}: values from a URL are not fetched (meshcharts works offline)")


def test_values_from_stdin_are_bounded(monkeypatch):
    import meshcharts.values as values
    monkeypatch.setattr(values, "MAX_VALUES_BYTES", 100)
    monkeypatch.setattr(sys, "stdin", io.StringIO("a: " + "x" * 200 + "\n"))
    result = run("render", "-f", "-")
    assert result.exit_code == 1 and result.stderr.startswith("Error: (stdin): values file is larger than")
