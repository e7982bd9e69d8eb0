"""The command line: both entry points, `values`, `--show-only`, `--output-dir`, and how errors
reach the user (exit 1, one message on stderr, nothing on stdout, nothing written)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from meshcharts import RenderOptions, effective_values, render
from cli_runner import invoke
from meshcharts.yamlio import load_values_text

CHART = str(Path(__file__).resolve().parent / "charts" / "two-children")
SCRIPT = Path(sys.executable).parent / "meshcharts"


def run(*args: str):
    return invoke(list(args))


def test_module_and_console_script_print_the_same():
    args = ["render", "--chart", CHART, "--name", "store", "--set", "cart.replicas=4"]
    by_module = subprocess.run([sys.executable, "-m", "meshcharts", *args], capture_output=True, text=True)
    by_script = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True)
    assert by_module.returncode == by_script.returncode == 0, by_module.stderr + by_script.stderr
    expected = render(chart=CHART, name="store", set_values=["cart.replicas=4"]).text
    assert by_module.stdout == by_script.stdout == expected
    assert by_module.stderr == by_script.stderr == ""


def test_values_prints_the_merged_values():
    result = run("values", "--chart", CHART, "--set", "cart.replicas=5", "--set", "extra=1")
    assert result.exit_code == 0, result.stderr
    printed = load_values_text(result.stdout, "stdout")
    assert printed == effective_values(RenderOptions(chart=CHART, set_values=["cart.replicas=5", "extra=1"]))
    assert printed["cart"]["replicas"] == 5
    assert printed["cart"]["port"] == 8080  # the child's default
    assert printed["web"]["global"]["labels"] == {"team": "shop"}


SHOW_ONLY = [
    (["templates/configmap.yaml"], ["shop/templates/configmap.yaml"] * 2),
    (["shop/charts/web/templates/gateway.yaml"], ["shop/charts/web/templates/gateway.yaml"]),
    (["charts/cart/templates/*"], ["shop/charts/cart/templates/service.yaml", "shop/charts/cart/templates/service.yaml",
                                   "shop/charts/cart/templates/deployment.yaml"]),
    (["templates/namespace.yaml", "charts/web/templates/deployment.yaml"],
     ["shop/templates/namespace.yaml", "shop/charts/web/templates/deployment.yaml"]),
    (["charts/web/templates/deployment.yaml", "templates/namespace.yaml"],
     ["shop/charts/web/templates/deployment.yaml", "shop/templates/namespace.yaml"]),
    (["templates/namespace.yaml", "templates/*"],
     ["shop/templates/namespace.yaml", "shop/templates/configmap.yaml", "shop/templates/configmap.yaml",
      "shop/templates/post-install-job.yaml"]),
]


@pytest.mark.parametrize(("patterns", "sources"), SHOW_ONLY, ids=[
    "one-file-two-documents", "full-path", "glob-within-a-directory", "two-patterns", "pattern-order-kept",
    "overlapping-patterns-print-once"])
def test_show_only(patterns, sources):
    args = [a for p in patterns for a in ("--show-only", p)]
    result = run("render", "--chart", CHART, *args)
    assert result.exit_code == 0, result.stderr
    assert [line.split(": ", 1)[1] for line in result.stdout.splitlines() if line.startswith("# Source: ")] == sources
    assert result.stdout == render(chart=CHART, show_only=patterns).text


@pytest.mark.parametrize("pattern", ["templates/absent.yaml", "charts/*/templates/NOTES.txt", "*"])
def test_show_only_pattern_matching_nothing_is_an_error(pattern):
    result = run("render", "--chart", CHART, "--show-only", "templates/namespace.yaml", "--show-only", pattern)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: --show-only: no rendered template matches {pattern!r}")


@pytest.mark.parametrize("pattern", ["templates/[z-a].yaml", "templates/[ab"])
def test_show_only_pattern_that_does_not_compile_is_an_error(pattern):
    result = run("render", "--chart", CHART, "--show-only", pattern)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(f"Error: --show-only: syntax error in pattern {pattern!r}")


# --- --output-dir ---------------------------------------------------------------------------

def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (None for directories)."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


def test_output_dir_writes_one_file_per_source(tmp_path):
    out = tmp_path / "out"
    result = run("render", "--chart", CHART, "--output-dir", str(out))
    assert result.exit_code == 0, result.stderr
    manifest = render(chart=CHART)
    expected = {source: "".join(d.render() for d in docs) for source, docs in manifest.by_source().items()}
    written = {str(p.relative_to(out)): p.read_text() for p in out.rglob("*") if p.is_file()}
    assert written.pop(".meshcharts.index")  # the record of what was written, and how
    assert written == expected
    assert result.stdout == ""  # per-file lines go to stderr
    assert sorted(result.stderr.splitlines()) == sorted(f"wrote {(out / s).resolve()}" for s in expected)


def test_output_dir_replaces_files_on_a_second_run(tmp_path):
    out = tmp_path / "out"
    for replicas in ("7", "9"):
        result = run("render", "--chart", CHART, "--output-dir", str(out), "--set", f"cart.replicas={replicas}")
        assert result.exit_code == 0, result.stderr
    text = (out / "shop/charts/cart/templates/deployment.yaml").read_text()
    assert text.count("kind: Deployment") == 1
    assert "replicas: 9" in text and "replicas: 7" not in text
    assert not [p for p in out.rglob(".meshcharts-*")]


FAILURES = [
    ["--set", "cart=oops"],
    ["--set", "a[-1]=x"],
    ["--kube-version", "nonsense"],
    ["--show-only", "templates/absent.yaml"],
    ["--set", "web.tls.mode=MUTUAL"],
]
FAILURE_IDS = ["bad-section", "bad-set", "bad-kube-version", "show-only-miss", "template-error"]


@pytest.mark.parametrize("args", FAILURES, ids=FAILURE_IDS)
def test_failing_render_leaves_output_dir_as_it_was(tmp_path, args):
    out = tmp_path / "out"
    assert run("render", "--chart", CHART, "--output-dir", str(out), "--set", "cart.replicas=3").exit_code == 0
    (out / "unrelated.txt").write_text("keep me")
    before = tree(out)
    result = run("render", "--chart", CHART, "--output-dir", str(out), "--set", "cart.replicas=8", *args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert tree(out) == before


@pytest.mark.parametrize("args", FAILURES, ids=FAILURE_IDS)
def test_failing_render_creates_no_output_dir(tmp_path, args):
    out = tmp_path / "new" / "out"
    assert run("render", "--chart", CHART, "--output-dir", str(out), *args).exit_code == 1
    assert not (tmp_path / "new").exists()


def test_output_dir_write_failure_leaves_dir_as_it_was(tmp_path):
    out = tmp_path / "out"
    assert run("render", "--chart", CHART, "--output-dir", str(out)).exit_code == 0
    blocker = out / "shop/templates/namespace.yaml"  # a directory where a file must go
    blocker.unlink()
    blocker.mkdir()
    (blocker / "inside.txt").write_text("x")
    before = tree(out)
    result = run("render", "--chart", CHART, "--output-dir", str(out), "--set", "cart.replicas=5")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and "namespace.yaml" in result.stderr
    assert tree(out) == before


# --- errors ---------------------------------------------------------------------------------

ERRORS = [
    (["render", "--chart", CHART, "--set", "a.=1"], "--set a.=1: "),
    (["render", "--chart", CHART, "--set-file", "k=/nonexistent/file.txt"], "--set-file k=/nonexistent/file.txt: "),
    (["render", "--chart", CHART, "-f", "/nonexistent/values.yaml"], "/nonexistent/values.yaml: values file not found"),
    (["render", "--chart", "/nonexistent/chart"], "/nonexistent/chart: chart directory not found"),
    (["render", "--chart", CHART, "--set", "web.tls.mode=MUTUAL"], "shop/charts/web/templates/gateway.yaml:15: "),
    (["render", "--chart", CHART, "--kube-version", "x"], "--kube-version: "),
    (["render", "--chart", CHART, "--profile", "nope"], "--profile: unknown profile 'nope'"),
    (["render", "--chart", CHART, "--set", "cart=3"], "cart: "),
    (["values", "--chart", CHART, "--set", "a[x]=1"], "--set a[x]=1: "),
    (["values", "--chart", "/nonexistent/chart"], "chart directory not found"),
]


@pytest.mark.parametrize(("args", "fragment"), ERRORS, ids=[
    "bad-set", "missing-set-file", "missing-values-file", "missing-chart", "template-error", "bad-kube-version",
    "unknown-profile", "child-section-not-a-map", "values-bad-set", "values-missing-chart"])
def test_errors_exit_1_with_one_message(args, fragment):
    result = run(*args)
    assert isinstance(result.exception, SystemExit), result.exception  # not an uncaught exception
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("Error") == 1
    assert fragment in result.stderr.splitlines()[0]


def test_error_in_a_real_process_has_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "meshcharts", "render", "--chart", CHART, "--output-dir",
                           str(tmp_path / "out"), "--set", "web.tls.mode=MUTUAL"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == ("Error: shop/charts/web/templates/gateway.yaml:15: "
                           "web.tls.secret is required when web.tls is set\n")
    assert not (tmp_path / "out").exists()


def test_help_lists_every_command_and_each_command_explains_its_flags():
    top = run("--help")
    assert top.exit_code == 0
    for command in ("render", "images", "values", "lint", "profiles"):
        assert f"\n    {command} " in top.stdout
    render_help = run("render", "--help")
    assert render_help.exit_code == 0
    for flag in ("--profile", "-f FILE, --values FILE", "--set K=V", "--show-only", "--output-dir", "--registry"):
        assert flag in render_help.stdout
    assert "Default: istio-system." in render_help.stdout


def test_version_and_usage_errors():
    version = run("--version")
    assert version.exit_code == 0 and version.stdout.startswith("meshcharts, version ")
    for args, fragment in ((["render", "--bogus"], "unrecognized arguments: --bogus"),
                           (["bogus"], "invalid choice: 'bogus'"),
                           (["images", "--format", "xml"], "invalid choice: 'xml'"),
                           (["render", "--prof", "demo"], "unrecognized arguments: --prof")):  # no abbreviations
        result = run(*args)
        assert (result.exit_code, result.stdout) == (2, ""), args
        assert fragment in result.stderr and "Traceback" not in result.stderr
    bare = run()
    assert bare.exit_code == 2 and "COMMAND" in bare.stdout
