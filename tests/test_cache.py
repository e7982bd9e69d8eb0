"""The on-disk caches: damaged, stale, unwritable or concurrently written files never change what
a render prints, and never stop it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from meshcharts import cache
from meshcharts.cache import DiskCache

CHART = str(Path(__file__).resolve().parent / "charts" / "two-children")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv("MESHCHARTS_CACHE_DIR", str(directory))
    return directory


def written(name: str, entries: dict) -> DiskCache:
    disk = DiskCache(name)
    for key, value in entries.items():
        disk.put(key, value)
    disk.save()
    return disk


def test_entries_survive_a_new_process_view(cache_dir):
    written("t", {"k": b"v", "n": True})
    assert (DiskCache("t").get("k"), DiskCache("t").get("n")) == (b"v", True)


@pytest.mark.parametrize("damage", ["flip-a-byte", "truncate", "garbage", "empty"])
def test_damaged_file_is_ignored_and_replaced(cache_dir, damage):
    written("t", {"k": b"value-" * 50})
    path = cache_dir / "t.marshal"
    data = bytearray(path.read_bytes())
    if damage == "flip-a-byte":
        data[data.index(b"value-") + 2] ^= 0x40  # still well-formed marshal data, with other bytes
    elif damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "garbage":
        data = bytearray(b"\x00\xffnot a cache" * 10)
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    disk = DiskCache("t")
    assert disk.get("k") is None
    disk.put("k", b"fresh")
    disk.save()
    assert DiskCache("t").get("k") == b"fresh"


def test_file_from_other_code_is_not_read(cache_dir, monkeypatch):
    """After an upgrade or an edit of a module that decides cached values, old entries are stale."""
    written("t", {"k": b"v"})
    monkeypatch.setattr(cache, "SALT", cache.SALT + "|changed")
    assert DiskCache("t").get("k") is None


@pytest.mark.parametrize("module", ["template/compiler.py", "template/engine.py", "template/funcs.py",
                                    "template/runtime.py", "golang.py", "schema.py", "values.py", "yamlio.py"])
def test_salt_changes_with_the_modules_that_make_cached_values(tmp_path, monkeypatch, module):
    """Parsed values (yamlio, values), compiled code (compiler, runtime, engine, funcs) and schema
    verdicts (schema)."""
    package = Path(cache.__file__).parent
    for source in package.rglob("*.py"):
        copy = tmp_path / source.relative_to(package)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(source.read_bytes())
    monkeypatch.setattr(cache, "__file__", str(tmp_path / "cache.py"))
    before = cache._code_stamp()
    os.utime(tmp_path / module, ns=(0, 12345))
    assert cache._code_stamp() != before


def test_unwritable_cache_directory_is_ignored(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("MESHCHARTS_CACHE_DIR", str(blocker / "cache"))
    disk = DiskCache("t")
    disk.put("k", b"v")
    disk.save()  # no exception: the cache keeps working from memory
    assert disk.get("k") == b"v" and disk.path is None


def test_failed_write_leaves_no_temporary_file(cache_dir, monkeypatch):
    disk = DiskCache("t")
    disk.put("k", b"v")

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    disk.save()
    assert [p.name for p in cache_dir.iterdir()] == ["key"]  # the signing key, no temporary file


def test_save_while_another_thread_puts(cache_dir):
    """Pruning stale entries must not trip over a put from another thread (simulated: the put
    happens while the entries are being filtered)."""
    disk = written("t", {f"old{i}": b"x" for i in range(200)})
    disk = DiskCache("t")
    disk.put("new", b"y")

    class PutsMeanwhile(set):
        def __contains__(self, key):
            disk.entries[f"from-other-thread-{len(disk.entries)}"] = b"z"
            return set.__contains__(self, key)

    disk.used = PutsMeanwhile(disk.used)
    disk.save()
    assert DiskCache("t").get("new") == b"y"


WRITER = """
import sys
from meshcharts.cache import DiskCache
me = sys.argv[1]
for round in range(40):
    disk = DiskCache("shared")
    for i in range(50):
        disk.put(f"{me}-{i}", (me * 200).encode())
    disk.save()
"""


def test_processes_writing_at_once_leave_a_whole_file(cache_dir):
    env = {**os.environ, "MESHCHARTS_CACHE_DIR": str(cache_dir)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, name], env=env) for name in "abcd"]
    assert [p.wait() for p in procs] == [0, 0, 0, 0]
    assert sorted(p.name for p in cache_dir.iterdir()) == ["key", "shared.marshal"]  # no temporary files
    disk = DiskCache("shared")
    found = {key for key in disk.entries if key != "__salt__"}
    assert found and all(disk.get(key) == (key[0] * 200).encode() for key in found)


def test_render_with_damaged_template_cache_prints_the_same(tmp_path):
    """Damaged compiled code must never run: a render recompiles and prints the same bytes."""
    env = {**os.environ, "MESHCHARTS_CACHE_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "meshcharts", "render", "--chart", CHART]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    path = tmp_path / "templates.marshal"
    data = path.read_bytes()
    damaged = data.replace(b"root", b"r\xb0ot")  # each template's compiled function is named root
    assert damaged != data
    path.write_bytes(damaged)
    again = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert (again.returncode, again.stderr, again.stdout) == (0, "", first)


def test_threads_opening_a_cache_at_once_share_it(cache_dir, monkeypatch):
    """Otherwise entries put into the losing copy would never be saved."""
    import threading
    import time

    opened = DiskCache.__init__

    def slow_open(self, name):
        opened(self, name)
        time.sleep(0.05)  # widen the window between looking the cache up and storing it

    monkeypatch.setattr(DiskCache, "__init__", slow_open)
    monkeypatch.setattr(DiskCache, "_open", {})
    got: list[DiskCache] = []
    threads = [threading.Thread(target=lambda: got.append(DiskCache.named("t"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in got}) == 1 and DiskCache.named("t") is got[0]


def test_a_render_from_cached_code_never_imports_jinja2(tmp_path):
    """Jinja2 parses templates the cache has not seen; compiled code runs on meshcharts' runtime."""
    code = ("import sys\nfrom meshcharts.cli import main\n"
            "try:\n    main(['render', '--profile', 'demo', '--kube-version', 'v1.15.0'])\n"
            "finally:\n    sys.stderr.write(' '.join(m for m in ('jinja2', 'yaml', 'jsonschema') if m in sys.modules))\n")
    env = {**os.environ, "MESHCHARTS_CACHE_DIR": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    assert "jinja2" in first.stderr  # the cold cache: templates were parsed
    assert again.stderr == ""
    assert again.stdout == first.stdout
