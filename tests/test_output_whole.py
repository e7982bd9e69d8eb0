"""Output is whole or absent: stdout write errors fail the run, and an --output-dir changes in
one step whatever happens to the process writing it."""
from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from meshcharts import outputdir
from meshcharts.errors import MeshchartsError
from meshcharts.outputdir import replace_tree

CHART = str(Path(__file__).resolve().parent / "charts" / "two-children")
CMD = [sys.executable, "-m", "meshcharts", "render", "--chart", CHART]


def tree(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


# --- stdout ----------------------------------------------------------------------------------

def test_full_disk_is_an_error_not_a_short_manifest():
    with open("/dev/full", "w") as full:
        result = subprocess.run(CMD, stdout=full, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 1
    assert result.stderr == "Error: cannot write to standard output: No space left on device\n"


def test_file_size_limit_is_an_error(tmp_path):
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, resource.RLIM_INFINITY))

    with open(tmp_path / "out.yaml", "w") as out:
        result = subprocess.run(CMD, stdout=out, stderr=subprocess.PIPE, text=True, preexec_fn=limit)
    assert result.returncode == 1
    assert result.stderr == "Error: cannot write to standard output: File too large\n"


@pytest.mark.parametrize("command", [["render", "--profile", "demo"], ["render", "--profile", "demo", "--show-only", "charts/grafana/templates/*"]])
def test_reader_that_exits_early_ends_the_run_quietly(command):
    proc = subprocess.Popen([sys.executable, "-m", "meshcharts", *command], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.read(10)
    proc.stdout.close()  # `| head -c 10`
    stderr = proc.stderr.read().decode()
    assert proc.wait() == 141
    assert not [line for line in stderr.splitlines() if not line.startswith("Note: ")], stderr  # no error, no traceback


def test_manifest_is_utf8_whatever_the_locale(tmp_path):
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 1.0.0\n")
    (chart / "templates" / "cm.yaml").write_text("kind: ConfigMap\ndata:\n  greeting: \"h\u00e9llo \u2603\"\n",
                                                 encoding="utf-8")
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "latin-1", "PYTHONUTF8": "0"}
    result = subprocess.run([sys.executable, "-m", "meshcharts", "render", "--chart", str(chart)], env=env,
                            capture_output=True)
    assert result.returncode == 0, result.stderr
    assert "h\u00e9llo \u2603".encode() in result.stdout


# --- --output-dir ----------------------------------------------------------------------------

FILES_A = {"c/templates/a.yaml": "kind: A\n", "c/templates/sub/b.yaml": "kind: B\n", "c/x.yaml": "x: 1\n"}
FILES_B = {"c/templates/a.yaml": "kind: A2\n", "c/templates/sub/b.yaml": "kind: B2\n", "c/new/n.yaml": "n: 2\n"}

CRASHING_WRITER = """
import os, sys
from meshcharts import outputdir
limit = int(sys.argv[2])
calls = [0]
def dying(real):
    def wrapped(*args, **kwargs):
        calls[0] += 1
        if calls[0] > limit:
            os._exit(9)  # as abrupt as kill -9: no cleanup, no finally
        return real(*args, **kwargs)
    return wrapped
for name in ("mkdir", "link", "open", "rename", "unlink", "rmdir", "chmod", "symlink", "write"):
    setattr(os, name, dying(getattr(os, name)))
outputdir._exchange = dying(outputdir._exchange)
files = {"c/templates/a.yaml": "kind: A2\\n", "c/templates/sub/b.yaml": "kind: B2\\n", "c/new/n.yaml": "n: 2\\n"}
outputdir.replace_tree(sys.argv[1], files)
print(calls[0])
"""


def test_a_kill_at_any_step_leaves_the_old_tree_or_the_new_one(tmp_path):
    out = tmp_path / "out"
    for where in (out, tmp_path / "probe"):
        replace_tree(where, FILES_A)
        (where / "mine.txt").write_text("the user's own file")
    old = tree(out)
    full = subprocess.run([sys.executable, "-c", CRASHING_WRITER, str(tmp_path / "probe"), "100000"],
                          capture_output=True, text=True, check=True)
    steps = int(full.stdout)
    assert steps > 10
    new = None
    for limit in range(steps + 1):
        subprocess.run([sys.executable, "-c", CRASHING_WRITER, str(out), str(limit)], capture_output=True)
        now = tree(out)
        assert now == old or now == (new := new or now), f"a mix after {limit} steps"
        if now != old:
            assert now["c/templates/a.yaml"] == b"kind: A2\n" and now["mine.txt"] == b"the user's own file"
        replace_tree(out, FILES_A, remove=["c/new/n.yaml"])  # and cleans up what the killed run left
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "probe"]
        assert tree(out) == old
    assert new is not None  # some run got as far as the swap


def test_sigkill_during_real_renders_never_leaves_a_mix(tmp_path):
    out = tmp_path / "out"
    assert subprocess.run(CMD + ["--output-dir", str(out)], capture_output=True).returncode == 0
    first = tree(out)
    second_run = CMD + ["--output-dir", str(out), "--set", "cart.replicas=9"]
    subprocess.run(second_run, capture_output=True, check=True)
    second = tree(out)
    assert first != second
    for delay in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5):
        subprocess.run(CMD + ["--output-dir", str(out)], capture_output=True, check=True)
        proc = subprocess.Popen(second_run, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert tree(out) in (first, second)


def test_concurrent_renders_into_one_directory_are_serialised(tmp_path):
    out = tmp_path / "out"
    runs = [subprocess.Popen(CMD + ["--output-dir", str(out), "--set", f"cart.replicas={n}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for n in range(2, 7)]
    assert [(p.wait(), p.stderr.read()) for p in runs] == [(0, b"")] * 5
    text = (out / "shop/charts/cart/templates/deployment.yaml").read_text()
    assert text.count("kind: Deployment") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_held_lock_is_waited_for_then_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(outputdir, "LOCK_WAIT_SECONDS", 0.3)
    fd = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(MeshchartsError, match="another process has been writing here"):
            replace_tree(tmp_path / "out", FILES_A)
    finally:
        os.close(fd)
    assert not (tmp_path / "out").exists()


def test_files_get_the_umask_mode(tmp_path):
    out = tmp_path / "out"
    old = os.umask(0o022)
    try:
        replace_tree(out, FILES_A)
        (out / "c/x.yaml").chmod(0o644)
        replace_tree(out, FILES_B)
        modes = {str(p.relative_to(out)): p.stat().st_mode & 0o777 for p in out.rglob("*")}
    finally:
        os.umask(old)
    assert set(modes.values()) <= {0o644, 0o755}, modes
    assert modes["c/x.yaml"] == 0o644 and modes["c/templates/a.yaml"] == 0o644


def test_user_files_are_kept_and_listed_removals_go(tmp_path):
    out = tmp_path / "out"
    replace_tree(out, FILES_A)
    (out / "README").write_text("mine")
    (out / "c/templates/sub/notes.txt").write_text("mine too")
    replace_tree(out, FILES_B, remove=["c/x.yaml"])
    assert tree(out) == {
        "README": b"mine", "c": None, "c/new": None, "c/new/n.yaml": b"n: 2\n", "c/templates": None,
        "c/templates/a.yaml": b"kind: A2\n", "c/templates/sub": None, "c/templates/sub/b.yaml": b"kind: B2\n",
        "c/templates/sub/notes.txt": b"mine too"}


def test_directory_that_is_a_symlink_is_refused(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "out").symlink_to(real)
    with pytest.raises(MeshchartsError, match="the output directory is a symlink"):
        replace_tree(tmp_path / "out", FILES_A)
    assert list(real.iterdir()) == []


def test_file_in_place_of_the_directory_is_refused(tmp_path):
    (tmp_path / "out").write_text("not a directory")
    with pytest.raises(MeshchartsError, match="a file stands where the output directory should be"):
        replace_tree(tmp_path / "out", FILES_A)
    assert (tmp_path / "out").read_text() == "not a directory"


def test_symlink_inside_the_directory_does_not_redirect_writes(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir()
    replace_tree(out, {"top.yaml": "a: 1\n"})
    (out / "c").symlink_to(elsewhere)
    with pytest.raises(MeshchartsError, match="a symlink stands where a directory of the output must be"):
        replace_tree(out, FILES_A)
    assert list(elsewhere.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "out"]


@pytest.mark.parametrize("source", ["../up.yaml", "/abs.yaml", "a/../../up.yaml", "a\nb.yaml", ""])
def test_paths_leaving_the_directory_are_refused(tmp_path, source):
    with pytest.raises(MeshchartsError, match="refusing to write outside the output directory"):
        replace_tree(tmp_path / "out", {source: "x"})
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("why", ["mount-point", "working-directory"])
def test_directory_that_cannot_be_swapped_is_written_in_place(tmp_path, monkeypatch, why):
    out = tmp_path / "out"
    replace_tree(out, FILES_A)
    (out / "mine.txt").write_text("kept")
    inode = out.stat().st_ino
    if why == "mount-point":
        real = os.path.ismount
        monkeypatch.setattr(os.path, "ismount", lambda p: str(p) == str(out) or real(p))
    else:
        monkeypatch.chdir(out / "c")
    written = replace_tree(out, FILES_B, remove=["c/x.yaml"])
    assert out.stat().st_ino == inode  # the same directory, not a swapped one
    assert tree(out) == {"c": None, "c/new": None, "c/new/n.yaml": b"n: 2\n", "c/templates": None,
                         "c/templates/a.yaml": b"kind: A2\n", "c/templates/sub": None,
                         "c/templates/sub/b.yaml": b"kind: B2\n", "mine.txt": b"kept"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert len(written) == 3
