"""The on-disk cache cannot be used to run code or swap results: entries someone else planted are
never read, values files are never stored, and the cache cannot grow without bound."""
from __future__ import annotations

import marshal
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
    monkeypatch.setattr(cache, "_keys", {})
    monkeypatch.setattr(cache, "_warned", set())
    return directory


def render(cache_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MESHCHARTS_CACHE_DIR": str(cache_dir)}
    return subprocess.run([sys.executable, "-m", "meshcharts", "render", "--chart", CHART, *args], env=env,
                          capture_output=True, text=True)


def planted_templates(cache_dir: Path, marker: Path, key: bytes) -> None:
    """What an attacker who can write the directory would leave: every entry of the real file
    replaced by code that also creates ``marker``, with the right salt, signed with ``key``."""
    real = marshal.loads((cache_dir / "templates.marshal").read_bytes()[len(cache._HEAD) + 32:])
    evil = compile(f"open({str(marker)!r}, 'w').close()\ndef root(variables):\n    return ''\n", "x", "exec")
    entries = {k: (v if k == "__salt__" else marshal.dumps(evil)) for k, v in real.items()}
    body = marshal.dumps(entries)
    (cache_dir / "templates.marshal").write_bytes(cache._HEAD + cache._sign(key, body) + body)


def test_directory_is_created_private(cache_dir):
    old = os.umask(0)
    try:
        disk = DiskCache("t")
        disk.put("k", b"v")
        disk.save()
    finally:
        os.umask(old)
    assert (cache_dir.stat().st_mode & 0o777, (cache_dir / "key").stat().st_mode & 0o777) == (0o700, 0o600)
    assert (cache_dir / "t.marshal").stat().st_mode & 0o077 == 0


def test_planted_code_signed_without_the_users_key_never_runs(tmp_path):
    cache_dir, marker = tmp_path / "cache", tmp_path / "pwned"
    first = render(cache_dir)
    assert first.returncode == 0, first.stderr
    planted_templates(cache_dir, marker, os.urandom(32))
    again = render(cache_dir)
    assert not marker.exists()
    assert (again.returncode, again.stderr, again.stdout) == (0, "", first.stdout)


def test_old_unsigned_format_is_not_read(cache_dir):
    """The format before signing: a CRC anyone can compute. Such a file is ignored."""
    import zlib
    body = marshal.dumps({"__salt__": cache.SALT, "k": b"planted"})
    cache_dir.mkdir(mode=0o700)
    (cache_dir / "t.marshal").write_bytes(b"meshcharts-cache\n" + zlib.crc32(body).to_bytes(4, "big") + body)
    assert DiskCache("t").get("k") is None


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777])
def test_directory_others_can_write_is_not_used_with_one_warning(tmp_path, mode):
    cache_dir, marker = tmp_path / "cache", tmp_path / "pwned"
    first = render(cache_dir)
    key = (cache_dir / "key").read_bytes()
    planted_templates(cache_dir, marker, key)  # even signed right (the key leaked, say): never read
    cache_dir.chmod(mode)
    again = render(cache_dir)
    assert not marker.exists()
    assert again.returncode == 0 and again.stdout == first.stdout
    assert again.stderr == f"Warning: cache directory {cache_dir} is writable by group or others; not using the cache\n"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a file away")
@pytest.mark.parametrize("what", ["directory", "file", "key"])
def test_directory_or_file_of_another_user_is_not_used(tmp_path, what):
    cache_dir, marker = tmp_path / "cache", tmp_path / "pwned"
    first = render(cache_dir)
    planted_templates(cache_dir, marker, (cache_dir / "key").read_bytes())
    target = {"directory": cache_dir, "file": cache_dir / "templates.marshal", "key": cache_dir / "key"}[what]
    os.chown(target, 4242, -1)
    again = render(cache_dir)
    assert not marker.exists()
    assert again.returncode == 0 and again.stdout == first.stdout
    assert again.stderr.count("Warning: ") == 1 and "is owned by another user; not using the cache" in again.stderr


def test_key_others_can_read_is_not_used(cache_dir):
    disk = DiskCache("t")
    disk.put("k", b"v")
    disk.save()
    (cache_dir / "key").chmod(0o644)
    cache._keys.clear()
    assert DiskCache("t").get("k") is None


def test_a_symlinked_key_is_not_followed(cache_dir, tmp_path):
    cache_dir.mkdir(mode=0o700)
    elsewhere = tmp_path / "their-key"
    elsewhere.write_bytes(b"k" * 32)
    elsewhere.chmod(0o600)
    (cache_dir / "key").symlink_to(elsewhere)
    disk = DiskCache("t")
    disk.put("k", b"v")
    disk.save()  # no exception, and nothing signed with a key someone else chose
    assert not (cache_dir / "t.marshal").exists()


def test_values_files_are_never_stored(tmp_path):
    cache_dir = tmp_path / "cache"
    secret = "hunter2-" + os.urandom(6).hex()
    values = tmp_path / "site.yaml"
    values.write_text(f"first:\n  password: {secret}\n")
    result = render(cache_dir, "-f", str(values), "--set", f"second.token={secret}x")
    assert result.returncode == 0, result.stderr
    stored = b"".join(p.read_bytes() for p in cache_dir.iterdir())
    assert secret.encode() not in stored
    assert (cache_dir / "templates.marshal").exists()  # the chart's compiled code is stored


def test_from_yaml_of_a_value_is_not_stored(tmp_path):
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 1.0.0\n")
    (chart / "templates" / "s.yaml").write_text(
        "kind: Secret\nstringData:\n  p: {{ (Values.blob | fromYaml).password | quote }}\n")
    secret = "sw0rdfish-" + os.urandom(6).hex()
    env = {**os.environ, "MESHCHARTS_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, "-m", "meshcharts", "render", "--chart", str(chart), "--set-string",
                             f"blob=password: {secret}"], env=env, capture_output=True, text=True)
    assert result.returncode == 0 and secret in result.stdout, result.stderr
    assert secret.encode() not in b"".join(p.read_bytes() for p in (tmp_path / "cache").iterdir())


def test_huge_entry_is_kept_in_memory_only(cache_dir):
    disk = DiskCache("t")
    disk.put("big", b"x" * (cache.MAX_ENTRY_BYTES + 1))
    disk.put("small", b"y")
    disk.save()
    assert disk.get("big") is None or len(disk.get("big")) > cache.MAX_ENTRY_BYTES
    fresh = DiskCache("t")
    assert (fresh.get("big"), fresh.get("small")) == (None, b"y")
    assert (cache_dir / "t.marshal").stat().st_size < 4096


def test_file_past_the_cap_keeps_this_runs_entries(cache_dir, monkeypatch):
    monkeypatch.setattr(cache, "MAX_FILE_BYTES", 50_000)
    disk = DiskCache("t")
    for i in range(20):
        disk.put(f"old{i}", os.urandom(2000))
    disk.save()
    assert 40_000 < (cache_dir / "t.marshal").stat().st_size < 50_000
    too_much = DiskCache("t")  # one run that alone needs more than the cap stores nothing new
    for i in range(40):
        too_much.put(f"big{i}", os.urandom(2000))
    too_much.save()
    assert "big0" not in DiskCache("t").entries
    later = DiskCache("t")  # a later run uses two entries: the file shrinks to those
    later.get("old1")
    later.put("new", b"n")
    for i in range(40):
        later.entries[f"stale{i}"] = os.urandom(2000)
    later.save()
    assert set(DiskCache("t").entries) == {"__salt__", "old1", "new"}


def test_salt_names_python_and_jinja2_versions():
    import jinja2
    assert sys.version in cache.SALT and f"jinja2:{jinja2.__version__}" in cache.SALT


def test_missing_unwritable_cache_only_costs_speed(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    first = render(tmp_path / "ok")
    result = render(blocker / "cache")
    assert (result.returncode, result.stderr, result.stdout) == (0, "", first.stdout)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to make another user's link")
def test_symlink_another_user_planted_is_not_followed(tmp_path, monkeypatch):
    """XDG_CACHE_HOME=/tmp: someone else's /tmp/meshcharts pointing at one of our own directories."""
    ours = tmp_path / "ours"
    ours.mkdir(mode=0o700)
    link = tmp_path / "cache"
    link.symlink_to(ours)
    os.lchown(link, 4242, 4242)
    result = render(link)
    assert result.returncode == 0
    assert result.stderr == f"Warning: cache directory {link} is a symlink another user made; not using the cache\n"
    assert list(ours.iterdir()) == []


def test_our_own_symlink_to_our_directory_is_used(tmp_path):
    ours = tmp_path / "ours"
    ours.mkdir(mode=0o700)
    (tmp_path / "cache").symlink_to(ours)
    assert render(tmp_path / "cache").stderr == ""
    assert (ours / "templates.marshal").exists()


def test_user_values_are_parsed_once_per_process_and_each_caller_gets_its_own_copy(monkeypatch):
    """A long-running caller rendering the same values again does not parse them again (the
    parse stays in memory only; the test above shows nothing reaches the disk)."""
    from meshcharts import yamlio
    calls = []
    real = yamlio._parse_all
    monkeypatch.setattr(yamlio, "_parse_all", lambda text, where: calls.append(where) or real(text, where))
    text = "memo-" + os.urandom(4).hex() + ":\n  a: [1, 2]\n"
    first = yamlio.load_values_text(text, "site.yaml")
    second = yamlio.load_values_text(text, "site.yaml")
    assert first == second and first is not second
    assert calls == ["site.yaml"]
    first["changed"] = True
    assert "changed" not in yamlio.load_values_text(text, "site.yaml")
