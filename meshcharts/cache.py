"""On-disk caches that make a fresh process as fast as a warm one: compiled template code and
parsed values files, each a single ``marshal`` file under the cache directory. Also the bounded
in-memory memo the render path keeps per chart object (:class:`IdentityMemo`).

The directory is ``$MESHCHARTS_CACHE_DIR``, else ``$XDG_CACHE_HOME/meshcharts``, else
``~/.cache/meshcharts``; ``MESHCHARTS_CACHE_DIR=off`` disables it. A file is used only when the
same Python and the same code of the modules that parse, compile and validate (their size and
mtime) wrote it and its checksum holds, and keys name what each value is made from (source text,
Jinja2's version), so a stale or damaged entry is never used. A file is replaced in one step, so
processes writing at once never leave half a file (the last one's entries win); an unreadable or
unwritable cache is silently ignored.
"""
from __future__ import annotations

import marshal
import os
import sys
import zlib
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


def _find_jinja_parser() -> str:
    """Jinja2's parser module, found without importing Jinja2 (which a cached render never does)."""
    for entry in sys.path:
        candidate = os.path.join(entry or ".", "jinja2", "parser.py")
        if os.path.isfile(candidate):
            return candidate
    return "jinja2/parser.py"


_JINJA_PARSER = _find_jinja_parser()


def _code_stamp() -> str:
    """Size and mtime of the modules whose code decides what the caches hold: after an upgrade
    or an edit, entries an older version wrote are not read back."""
    here = os.path.dirname(os.path.abspath(__file__))
    parts = []
    for module in ("cache.py", "golang.py", "template/compiler.py", "template/engine.py", "template/funcs.py",
                   "template/runtime.py", "schema.py", "values.py", "yamlio.py", _JINJA_PARSER):
        try:
            st = os.stat(os.path.join(here, module))
            parts.append(f"{module}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(module)
    return "|".join(parts)


SALT = f"{sys.version}|meshcharts-cache-4|{_code_stamp()}"
# A file starts with this and the CRC-32 of the marshal data after it: marshal does not notice
# damaged data, and a damaged code object would run.
_HEAD = b"meshcharts-cache\n"


def digest(data: bytes, size: int = 20) -> str:
    """A hex BLAKE2b digest of ``data``: the keys of cached entries."""
    try:  # the hash's own module: hashlib would load OpenSSL, 2 ms of a fresh process
        from _blake2 import blake2b
    except ImportError:
        from hashlib import blake2b
    return blake2b(data, digest_size=size).hexdigest()


def cache_dir() -> Path | None:
    explicit = os.environ.get("MESHCHARTS_CACHE_DIR")
    if explicit:
        return None if explicit.lower() in ("off", "0", "none") else Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "meshcharts"


class DiskCache:
    """A dict of marshal-able values persisted as ``<cache dir>/<name>.marshal``."""

    _open: dict[str, "DiskCache"] = {}

    def __init__(self, name: str):
        directory = cache_dir()
        self.path = directory / f"{name}.marshal" if directory is not None else None
        self.entries: dict[str, Any] = {}
        self.used: set[str] = set()
        self.dirty = False
        if self.path is not None:
            try:
                with open(self.path, "rb") as fh:
                    data = fh.read()
                body = data[len(_HEAD) + 4:]
                if data[:len(_HEAD)] == _HEAD and data[len(_HEAD):len(_HEAD) + 4] == _crc(body):
                    loaded = marshal.loads(body)
                    if isinstance(loaded, dict) and loaded.get("__salt__") == SALT:
                        self.entries = loaded
            except (OSError, ValueError, EOFError, TypeError):
                pass
        self.entries["__salt__"] = SALT

    @classmethod
    def named(cls, name: str) -> "DiskCache":
        """The one cache of this name in this process (threads racing to open it get the same)."""
        cache = cls._open.get(name)
        if cache is None:
            cache = cls._open.setdefault(name, cls(name))
        return cache

    def get(self, key: str) -> Any:
        self.used.add(key)
        return self.entries.get(key)

    def put(self, key: str, value: Any) -> None:
        self.entries[key] = value
        self.used.add(key)
        self.dirty = True

    def save(self) -> None:
        if not self.dirty or self.path is None:
            return
        import tempfile  # 9 ms, only when this run added entries
        if len(self.entries) > 4 * len(self.used) + 64:  # mostly stale entries: keep this run's
            # A snapshot of the items: another thread may put entries meanwhile.
            self.entries = {k: v for k, v in list(self.entries.items()) if k in self.used or k == "__salt__"}
        tmp = None
        try:
            body = marshal.dumps(self.entries)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}-", dir=self.path.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(_HEAD + _crc(body) + body)
            os.replace(tmp, self.path)
            self.dirty = False
        except (OSError, ValueError):
            if tmp is not None:  # a full disk, say: leave no partial file behind
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            self.path = None  # not writable (or not marshal-able): keep working from memory

    @classmethod
    def save_all(cls) -> None:
        for cache in cls._open.values():
            cache.save()


class IdentityMemo:
    """``make(obj, *extra)`` computed once per object (and hashable ``extra``), for objects that
    cannot be hashed (maps) or are costly to hash (long text): keyed by ``id``, each entry holding
    its object so that the id is not reused. Past ``size`` entries it starts over, so that the data
    of charts no longer in use is not kept alive for good."""

    def __init__(self, make: Callable[..., Any], size: int):
        self.make, self.size = make, size
        self.memo: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def __call__(self, obj: Any, *extra: Any) -> Any:
        key = (id(obj), *extra)
        entry = self.memo.get(key)
        if entry is None or entry[0] is not obj:
            if len(self.memo) >= self.size:
                self.memo.clear()
            entry = self.memo[key] = (obj, self.make(obj, *extra))
        return entry[1]


def _crc(data: bytes) -> bytes:
    return zlib.crc32(data).to_bytes(4, "big")
