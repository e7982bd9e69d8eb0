"""The integrations: the Argo CD plugin and Application, the pre-commit hooks (run by pre-commit
itself), the Flux example, and `meshcharts export`."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cli_runner import invoke
from meshcharts import render
from meshcharts.argocd import render_args
from meshcharts.errors import MeshchartsError

ROOT = Path(__file__).resolve().parent.parent
ARGOCD = ROOT / "integrations" / "argocd"


def run(*args):
    return invoke(list(args))


# --- Argo CD -------------------------------------------------------------------------------------

def test_plugin_definition_runs_the_generate_module():
    plugin = yaml.safe_load((ARGOCD / "plugin.yaml").read_text())
    assert plugin["kind"] == "ConfigManagementPlugin"
    assert plugin["spec"]["generate"]["command"] == ["python3", "-m", "meshcharts.argocd"]
    announced = {p["name"] for p in plugin["spec"]["parameters"]["static"]}
    # every announced parameter is one the generate step understands
    for name in announced:
        param = next(p for p in plugin["spec"]["parameters"]["static"] if p["name"] == name)
        kind = param.get("collectionType", "string")
        value = {"string": {"string": "x"}, "array": {"array": []}, "map": {"map": {}}}[kind]
        render_args({"ARGOCD_APP_PARAMETERS": json.dumps([{"name": name, **value}])})


def test_environment_becomes_render_flags():
    env = {"KUBE_VERSION": "1.29.4", "KUBE_API_VERSIONS": "v1,apps/v1,networking.istio.io/v1alpha3",
           "ARGOCD_APP_NAMESPACE": "mesh",
           "ARGOCD_APP_PARAMETERS": json.dumps([
               {"name": "profile", "string": "demo"}, {"name": "set", "array": ["pilot.replicaCount=2"]},
               {"name": "values", "map": {"mixer.enabled": "false"}},
               {"name": "skip-hooks", "array": ["post-delete"]}])}
    assert render_args(env) == ["--kube-version", "v1.29.4", "--api-versions", "v1", "--api-versions", "apps/v1",
                                "--api-versions", "networking.istio.io/v1alpha3", "--namespace", "mesh",
                                "--profile", "demo", "--set", "pilot.replicaCount=2", "--set", "mixer.enabled=false",
                                "--skip-hook", "post-delete"]


def test_generate_prints_the_render(tmp_path, monkeypatch):
    (tmp_path / "meshcharts-values.yaml").write_text("pilot:\n  replicaCount: 2\n")
    monkeypatch.chdir(tmp_path)
    env = {**os.environ, "KUBE_VERSION": "1.30.0", "ARGOCD_APP_NAMESPACE": "istio-system",
           "ARGOCD_APP_PARAMETERS": json.dumps([{"name": "values-files", "array": ["meshcharts-values.yaml"]},
                                                {"name": "no-hooks", "string": "true"}])}
    proc = subprocess.run([sys.executable, "-m", "meshcharts.argocd"], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == render(values_files=["meshcharts-values.yaml"], kube_version="v1.30.0", no_hooks=True).text


@pytest.mark.parametrize("param", [{"name": "values-files", "array": ["../../etc/passwd"]},
                                   {"name": "values-files", "array": ["/etc/passwd"]},
                                   {"name": "unknown", "string": "x"}])
def test_bad_parameters_are_refused(tmp_path, monkeypatch, param):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MeshchartsError):
        render_args({"ARGOCD_APP_PARAMETERS": json.dumps([param])})


def test_ignore_differences_name_fields_the_render_has():
    app = yaml.safe_load((ARGOCD / "application.yaml").read_text())
    manifest = render("demo")
    by_kind_name = {(d.kind, d.name): d.object for d in manifest.documents}
    for rule in app["spec"]["ignoreDifferences"]:
        assert rule["jqPathExpressions"] == [".webhooks[]?.clientConfig.caBundle"]
        if rule["kind"] == "MutatingWebhookConfiguration":
            obj = by_kind_name[(rule["kind"], rule["name"])]
            assert obj["apiVersion"].startswith(rule["group"] + "/")
            assert all("caBundle" in w["clientConfig"] for w in obj["webhooks"])
        else:  # galley registers its webhook at run time from the configuration the render holds
            held = yaml.safe_load(by_kind_name[("ConfigMap", "istio-galley-configuration")]["data"]
                                  ["validatingwebhookconfiguration.yaml"])
            assert (held["kind"], held["metadata"]["name"]) == (rule["kind"], rule["name"])
            assert held["apiVersion"].startswith(rule["group"] + "/")
            assert all("caBundle" in w["clientConfig"] for w in held["webhooks"])
    params = {p["name"] for p in app["spec"]["source"]["plugin"]["parameters"]}
    assert params <= {p["name"] for p in yaml.safe_load((ARGOCD / "plugin.yaml").read_text())
                      ["spec"]["parameters"]["static"]}


# --- pre-commit ----------------------------------------------------------------------------------

def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t"})


def _precommit(repo: Path, *args: str) -> subprocess.CompletedProcess:
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
           "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home")}
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo, capture_output=True, text=True,
                          env=env)


def test_pre_commit_hooks_as_pre_commit_runs_them(tmp_path):
    pytest.importorskip("pre_commit")
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {"meshcharts-fresh", "meshcharts-lint"}
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "site.yaml").write_text("pilot:\n  replicaCount: 2\n")
    # The hooks as published, run from this environment (language: system instead of installing
    # meshcharts into a fresh one): entry, pass_filenames, always_run and files as pre-commit reads them.
    local = []
    for hook in hooks:
        hook = {**hook, "language": "system"}
        if hook["id"] == "meshcharts-lint":
            hook["args"] = ["-f", "site.yaml", "--kube-version", "v1.15.0"]
        local.append(hook)
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": local}]}))
    env_cwd = os.getcwd()
    try:
        os.chdir(repo)
        assert run("render", "-f", "site.yaml", "--output-dir", "manifests", "-q").exit_code == 0
    finally:
        os.chdir(env_cwd)
    _git(repo, "add", "-A")
    fresh = _precommit(repo, "run", "--all-files")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "meshcharts rendered trees are up to date" in fresh.stdout and "Passed" in fresh.stdout

    # values changed, tree not rendered again: the freshness hook fails and says why
    (repo / "site.yaml").write_text("pilot:\n  replicaCount: 3\n")
    _git(repo, "add", "-A")
    stale = _precommit(repo, "run", "meshcharts-fresh", "--all-files")
    assert stale.returncode == 1
    assert "manifests: stale" in stale.stdout and "site.yaml: changed since the render" in stale.stdout

    # a typo in the values: lint fails
    (repo / "site.yaml").write_text("pilot:\n  replicaCont: 2\n")
    _git(repo, "add", "-A")
    lint = _precommit(repo, "run", "meshcharts-lint", "--all-files")
    assert lint.returncode == 1 and "replicaCont" in lint.stdout


# --- Flux ----------------------------------------------------------------------------------------

def test_flux_kustomization_points_at_a_kustomize_render(tmp_path):
    docs = list(yaml.safe_load_all((ROOT / "integrations" / "flux" / "istio.yaml").read_text()))
    kustomization = next(d for d in docs if d["kind"] == "Kustomization")
    source = next(d for d in docs if d["kind"] == "GitRepository")
    assert kustomization["spec"]["sourceRef"] == {"kind": "GitRepository", "name": source["metadata"]["name"]}
    assert kustomization["spec"]["prune"] is True
    out = tmp_path / kustomization["spec"]["path"]
    assert run("render", "--output-dir", str(out), "--kustomize", "-q").exit_code == 0
    listed = yaml.safe_load((out / "kustomization.yaml").read_text())["resources"]
    assert "".join((out / f).read_text() for f in listed) == "".join(
        "".join(d.render() for d in docs) for _, docs in sorted(render().by_source().items()))


# --- export --------------------------------------------------------------------------------------

def test_a_plain_copy_of_the_bundled_chart_has_no_values(tmp_path):
    from meshcharts.bundle import bundled
    copy = tmp_path / "copy"
    shutil.copytree(bundled("istio").directory, copy)
    result = run("render", "--chart", str(copy))
    assert result.exit_code == 1  # its defaults live outside the chart folder: what export adds
    assert result.stderr.startswith("Error: istio/templates/crds.yaml:15: nil pointer evaluating interface {}.crds\n")
    assert "`meshcharts export DIR` writes a copy that renders" in result.stderr


@pytest.mark.parametrize("profile", ["default", "demo", "auth", "demo-auth", "multicluster"])
def test_exported_chart_renders_byte_identically(tmp_path, profile):
    dest = tmp_path / "my-istio"
    result = run("export", str(dest))
    assert result.exit_code == 0, result.stderr
    moved = tmp_path / "elsewhere" / "fork"  # self-contained: it renders wherever it is
    shutil.move(str(dest), moved)
    assert (moved / "values.yaml").is_file() and (moved / f"profiles/{profile}.yaml").is_file() \
        or profile == "default"
    flags = ["--set", "global.hub=registry.local/istio"]
    ours = run("render", "--chart", str(moved), "--profile", profile, *flags)
    assert ours.exit_code == 0, ours.stderr
    assert ours.stdout == run("render", "--profile", profile, *flags).stdout


def test_export_keeps_comments_and_refuses_a_non_empty_destination(tmp_path):
    dest = tmp_path / "x"
    assert run("export", str(dest)).exit_code == 0
    text = (dest / "values.yaml").read_text()
    assert "# Install Pilot (traffic management)." in text
    assert run("profiles", "--chart", str(dest)).stdout == run("profiles").stdout
    again = run("export", str(dest))
    assert again.exit_code == 1 and "destination exists and is not an empty directory" in again.stderr


# --- the README shows real output -----------------------------------------------------------------

def _readme_gitops() -> str:
    text = (ROOT / "README.md").read_text()
    return text[text.index("## GitOps"):text.index("## Python API")]


def test_readme_prune_example_is_real_output():
    from meshcharts.diff import diff_manifests, format_diff
    outputs = "".join(format_diff(diff_manifests(render(), render(set_values=[f"{c}.enabled=false"])))
                      for c in ("pilot", "galley", "security"))
    section = _readme_gitops()
    block = section[section.index("prune (objects"):]
    block = block[:block.index("```")]
    for line in block.strip("\n").splitlines():
        assert line in outputs.splitlines(), line


def test_readme_origin_example_is_real_output():
    shown = run("values", "--profile", "demo", "--set", "pilot.replicaCount=3", "--show-origin").stdout
    section = _readme_gitops()
    for line in ("  replicaCount: 3  # --set pilot.replicaCount=3 (overrides 1 from values/pilot.yaml:4)",
                 "  traceSampling: 100  # profiles/demo.yaml:17 (overrides 1 from values/pilot.yaml:14)"):
        assert line in section and line in shown.splitlines()


def test_readme_ignore_differences_match_the_application():
    app = yaml.safe_load((ARGOCD / "application.yaml").read_text())
    section = _readme_gitops()
    snippet = section[section.index("  ignoreDifferences:"):]
    snippet = snippet[:snippet.index("```")]
    assert yaml.safe_load(snippet)["ignoreDifferences"] == app["spec"]["ignoreDifferences"]
