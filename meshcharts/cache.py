"""On-disk caches that make a fresh process as fast as a warm one: compiled template code and
parsed values files, each a single ``marshal`` file under the cache directory.

The directory is ``$MESHCHARTS_CACHE_DIR``, else ``$XDG_CACHE_HOME/meshcharts``, else
``~/.cache/meshcharts``; ``MESHCHARTS_CACHE_DIR=off`` disables it. Keys include everything the
cached value depends on (source text or file size and mtime, Python and library versions), so a
stale entry is never used; an unreadable or unwritable cache is silently ignored.
"""
from __future__ import annotations

import marshal
import os
import sys
from pathlib import Path
from typing import Any

SALT = f"{sys.version}|meshcharts-cache-3"


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
                    loaded = marshal.load(fh)
                if isinstance(loaded, dict) and loaded.get("__salt__") == SALT:
                    self.entries = loaded
            except (OSError, ValueError, EOFError, TypeError):
                pass
        self.entries["__salt__"] = SALT

    @classmethod
    def named(cls, name: str) -> "DiskCache":
        cache = cls._open.get(name)
        if cache is None:
            cache = cls._open[name] = cls(name)
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
        import tempfile
        if len(self.entries) > 4 * len(self.used) + 64:  # mostly stale entries: keep this run's
            self.entries = {k: v for k, v in self.entries.items() if k in self.used or k == "__salt__"}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}-", dir=self.path.parent)
            with os.fdopen(fd, "wb") as fh:
                marshal.dump(self.entries, fh)
            os.replace(tmp, self.path)
            self.dirty = False
        except (OSError, ValueError):
            self.path = None  # not writable (or not marshal-able): keep working from memory

    @classmethod
    def save_all(cls) -> None:
        for cache in cls._open.values():
            cache.save()
