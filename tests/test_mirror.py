"""`--output-dir` as an exact mirror: stale files go, user files stay, foreign files in the way are
an error, old trees are adopted; `--kustomize`; the record; `check-dir`; `--quiet`."""
from __future__ import annotations

import json

from cli_runner import invoke
from meshcharts import render
from meshcharts.mirror import RECORD

GRAFANA_FILES = {f"istio/charts/grafana/templates/{n}.yaml" for n in
                 ("configmap", "configmap-custom-resources", "configmap-dashboards", "create-custom-resources-job",
                  "deployment", "service")}


def run(*args):
    return invoke(list(args))


def files(root) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_switching_a_component_off_removes_its_files_and_says_so(tmp_path):
    out = tmp_path / "m"
    assert run("render", "--set", "grafana.enabled=true", "--output-dir", str(out)).exit_code == 0
    assert GRAFANA_FILES <= files(out)
    result = run("render", "--set", "grafana.enabled=false", "--output-dir", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert files(out) == {RECORD, *render().by_source()}
    assert not (out / "istio/charts/grafana").exists()  # emptied directories go too
    removed = sorted(line for line in result.stderr.splitlines() if line.startswith("removed "))
    assert removed == sorted(f"removed {(out / f).resolve()}" for f in GRAFANA_FILES)


def test_user_files_survive_and_quiet_is_quiet(tmp_path):
    out = tmp_path / "m"
    assert run("render", "--profile", "demo", "--output-dir", str(out)).exit_code == 0
    (out / "README.md").write_text("ours\n")
    (out / "istio/charts/grafana/templates/extra-patch.yaml").write_text("kind: Patch\n")
    result = run("render", "--output-dir", str(out), "--quiet")
    assert (result.exit_code, result.stdout) == (0, "")
    assert not [line for line in result.stderr.splitlines() if line.startswith(("wrote ", "removed "))]
    assert (out / "README.md").read_text() == "ours\n"
    assert (out / "istio/charts/grafana/templates/extra-patch.yaml").read_text() == "kind: Patch\n"
    assert not (out / "istio/charts/grafana/templates/deployment.yaml").exists()


def test_a_file_meshcharts_did_not_write_in_its_way_is_an_error(tmp_path):
    out = tmp_path / "m"
    assert run("render", "--output-dir", str(out), "-q").exit_code == 0
    mine = out / "istio/charts/grafana/templates/deployment.yaml"
    mine.parent.mkdir(parents=True)
    mine.write_text("my own grafana\n")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = run("render", "--set", "grafana.enabled=true", "--output-dir", str(out))
    assert result.exit_code == 1 and result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: {out}: 1 file(s) that meshcharts did not write stand")
    assert str(mine) in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_tree_from_before_the_record_is_adopted(tmp_path):
    out = tmp_path / "m"
    assert run("render", "--profile", "demo", "--output-dir", str(out), "-q").exit_code == 0
    (out / RECORD).unlink()  # as written by a meshcharts without the record
    (out / "notes.yaml").write_text("kind: Notes\n")  # no `# Source:` head: the user's
    assert run("render", "--output-dir", str(out), "-q").exit_code == 0
    assert files(out) == {RECORD, "notes.yaml", *render().by_source()}
    assert json.loads((out / RECORD).read_text())["files"] == sorted(render().by_source())


def test_kustomize_lists_the_files_and_is_removed_with_them(tmp_path):
    out = tmp_path / "m"
    assert run("render", "--output-dir", str(out), "--kustomize", "-q").exit_code == 0
    import yaml
    kustomization = yaml.safe_load((out / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["resources"] == sorted(render().by_source())
    assert all((out / f).is_file() for f in kustomization["resources"])
    assert run("render", "--output-dir", str(out), "-q").exit_code == 0
    assert not (out / "kustomization.yaml").exists()


def test_users_own_kustomization_survives_and_is_never_overwritten(tmp_path):
    out = tmp_path / "m"
    assert run("render", "--output-dir", str(out), "-q").exit_code == 0
    (out / "kustomization.yaml").write_text("resources: [istio]\n")
    assert run("render", "--output-dir", str(out), "-q").exit_code == 0
    result = run("render", "--output-dir", str(out), "--kustomize")
    assert result.exit_code == 1 and "kustomization.yaml" in result.stderr
    assert (out / "kustomization.yaml").read_text() == "resources: [istio]\n"


def test_record_has_versions_flags_and_digests_never_values(tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text("global:\n  hub: secret-registry.example/istio\n")
    out = tmp_path / "m"
    assert run("render", "--profile", "demo", "-f", str(site), "--set", "pilot.replicaCount=2",
               "--skip-hook", "post-delete", "--output-dir", str(out), "-q").exit_code == 0
    text = (out / RECORD).read_text()
    assert "secret-registry" not in text
    record = json.loads(text)
    prov = record["provenance"]
    assert prov["chart"] == {"name": "istio", "version": "1.0.6", "bundled": True}
    assert prov["meshcharts"]
    assert prov["flags"]["profile"] == "demo" and prov["flags"]["set"] == ["pilot.replicaCount=2"]
    assert prov["flags"]["skipHooks"] == ["post-delete"]
    import hashlib
    assert prov["valuesFiles"] == [{"path": "../site.yaml",
                                    "digest": "sha256:" + hashlib.sha256(site.read_bytes()).hexdigest()}]
    # the same inputs give the same record, byte for byte
    assert run("render", "--profile", "demo", "-f", str(site), "--set", "pilot.replicaCount=2",
               "--skip-hook", "post-delete", "--output-dir", str(out), "-q").exit_code == 0
    assert (out / RECORD).read_text() == text


def test_check_dir_fresh_then_stale_after_a_values_edit(tmp_path, monkeypatch):
    site = tmp_path / "site.yaml"
    site.write_text("pilot:\n  replicaCount: 2\n")
    out = tmp_path / "m"
    assert run("render", "-f", str(site), "--output-dir", str(out), "--kustomize", "-q").exit_code == 0
    result = run("check-dir", str(out))
    assert (result.exit_code, result.stdout) == (0, f"{out}: up to date\n")
    site.write_text("pilot:\n  replicaCount: 3\n")
    result = run("check-dir", str(out), "-v")
    assert result.exit_code == 1
    assert "../site.yaml: changed since the render" in result.stdout
    assert "istio/charts/pilot/templates/deployment.yaml: differs from the render" in result.stdout
    assert "~ spec.replicas: 2 -> 3" in result.stdout
    # found from the working directory, as the pre-commit hook runs it
    monkeypatch.chdir(tmp_path)
    assert run("check-dir").exit_code == 1
    assert run("render", "-f", str(site), "--output-dir", str(out), "--kustomize", "-q").exit_code == 0
    result = run("check-dir")
    assert (result.exit_code, result.stdout) == (0, "m: up to date\n")


def test_check_dir_reports_a_hand_edit_and_a_deleted_file(tmp_path):
    out = tmp_path / "m"
    assert run("render", "--output-dir", str(out), "-q").exit_code == 0
    (out / "istio/templates/configmap.yaml").write_text("edited\n")
    (out / "istio/charts/pilot/templates/service.yaml").unlink()
    result = run("check-dir", str(out))
    assert result.exit_code == 1
    assert "  istio/templates/configmap.yaml: differs from the render" in result.stdout
    assert "  istio/charts/pilot/templates/service.yaml: missing" in result.stdout


def test_check_dir_without_a_record_is_an_error(tmp_path):
    result = run("check-dir", str(tmp_path))
    assert result.exit_code == 2 and "no .meshcharts.index record" in result.stderr


def test_show_only_replaces_the_templates_it_shows_and_keeps_the_rest(tmp_path):
    out = tmp_path / "m"
    assert run("render", "--profile", "demo", "--output-dir", str(out), "-q").exit_code == 0
    everything = files(out)
    result = run("render", "--profile", "demo", "--set", "pilot.replicaCount=2", "--show-only",
                 "charts/pilot/templates/*", "--output-dir", str(out))
    assert result.exit_code == 0
    assert files(out) == everything
    assert "replicas: 2" in (out / "istio/charts/pilot/templates/deployment.yaml").read_text()
    assert sorted(json.loads((out / RECORD).read_text())["files"]) == sorted(everything - {RECORD})
    # a full render after it still owns (and so may remove) every file
    assert run("render", "--output-dir", str(out), "-q").exit_code == 0
    assert files(out) == {RECORD, *render().by_source()}


def test_concurrent_renders_of_different_file_sets_leave_an_exact_mirror(tmp_path):
    """The plan (which files are stale) is made under the directory's lock, so no run removes or
    keeps files according to a record another run is replacing."""
    import subprocess
    import sys
    out = tmp_path / "m"
    runs = [subprocess.Popen([sys.executable, "-m", "meshcharts", "render", "--output-dir", str(out), "-q",
                              "--set", f"grafana.enabled={'true' if n % 2 else 'false'}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for n in range(4)]
    assert [p.wait() for p in runs] == [0] * 4
    record = json.loads((out / RECORD).read_text())
    assert files(out) == {RECORD, *record["files"]}
    assert files(out) - {RECORD} in ({*render().by_source()},
                                     {*render(set_values=["grafana.enabled=true"]).by_source()})
