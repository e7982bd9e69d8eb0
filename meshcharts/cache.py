"""On-disk caches that make a fresh process as fast as a warm one: compiled template code and
parsed chart files, each a single ``marshal`` file under the cache directory. Also the bounded
in-memory memo the render path keeps per chart object (:class:`IdentityMemo`).

The directory is ``$MESHCHARTS_CACHE_DIR``, else ``$XDG_CACHE_HOME/meshcharts``, else
``~/.cache/meshcharts``; ``MESHCHARTS_CACHE_DIR=off`` disables it.

Compiled code from a cache file is executed, so a file must be one this user wrote with this
code, and nobody else can have changed it:

- The directory is created ``0700``. A directory or file that another user owns, or that group
  or others may write, is not used at all (one warning says why): whoever can write there could
  plant entries.
- Every file is signed with keyed BLAKE2b under a random key kept in ``<dir>/key`` (``0600``,
  made on first use). A file whose signature does not hold (damaged, truncated, written by
  someone else or for another key) is ignored and rewritten, never unmarshalled.
- Entries are keyed by content and by the code that makes them: the Python build, the version of
  the Jinja2 that would be imported, and the installed meshcharts (its directory, and the size and
  mtime of the modules that parse, compile and validate), so after an upgrade or an edit old
  entries are not read.
- Values files and anything a template parses at render time (``fromYaml``) are never stored:
  they hold passwords. Chart files and compiled templates are.
- Each file has a size cap: an entry past ``MAX_ENTRY_BYTES`` is kept in memory only, and a file
  that would grow past ``MAX_FILE_BYTES`` keeps only this run's entries (or none), so one huge
  chart cannot slow every later run.

A file is replaced in one step, so processes writing at once never leave half a file (the last
one's entries win); a missing, read-only or full cache directory only costs speed.
"""
from __future__ import annotations

import marshal
import os
import stat
import sys
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

MAX_ENTRY_BYTES = 1 << 20
MAX_FILE_BYTES = 64 << 20
_KEY_BYTES = 32
_SIGNATURE_BYTES = 32


def _find_module(package: str, module: str) -> str | None:
    """Where ``package/module`` would be imported from, found without importing the package
    (a cached render never imports Jinja2)."""
    for entry in sys.path:
        candidate = os.path.join(entry or ".", package, module)
        if os.path.isfile(candidate):
            return candidate
    return None


def _jinja_version() -> str:
    """The version of the Jinja2 the compiler would import, read from its ``__init__.py``."""
    init = _find_module("jinja2", "__init__.py")
    if init is None:
        return "jinja2:none"
    try:
        with open(init, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("__version__"):
                    return "jinja2:" + line.split("=", 1)[1].strip().strip("\"'")
    except (OSError, UnicodeDecodeError):
        pass
    return "jinja2:" + init


_JINJA_PARSER = _find_module("jinja2", "parser.py") or "jinja2/parser.py"


def _code_stamp() -> str:
    """Size and mtime of the modules whose code decides what the caches hold: after an upgrade
    or an edit, entries an older version wrote are not read back."""
    here = os.path.dirname(os.path.abspath(__file__))
    parts = [here]  # which installed copy; its version shows in the modules' sizes and mtimes
    for module in ("cache.py", "golang.py", "template/compiler.py", "template/engine.py", "template/funcs.py",
                   "template/runtime.py", "schema.py", "values.py", "yamlio.py", _JINJA_PARSER):
        try:
            st = os.stat(os.path.join(here, module))
            parts.append(f"{module}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(module)
    return "|".join(parts)


SALT = f"{sys.version}|{sys.implementation.cache_tag}|{_jinja_version()}|meshcharts-cache-5|{_code_stamp()}"
_HEAD = b"meshcharts-cache-5\n"


def digest(data: bytes, size: int = 20, key: bytes = b"") -> str:
    """A hex BLAKE2b digest of ``data`` (keyed with ``key``): the keys of cached entries."""
    try:  # the hash's own module: hashlib would load OpenSSL, 2 ms of a fresh process
        from _blake2 import blake2b
    except ImportError:
        from hashlib import blake2b
    return blake2b(data, digest_size=size, key=key).hexdigest()


def _sign(key: bytes, body: bytes) -> bytes:
    try:
        from _blake2 import blake2b  # as in digest(): no OpenSSL
    except ImportError:
        from hashlib import blake2b
    return blake2b(body, digest_size=_SIGNATURE_BYTES, key=key, person=b"meshcharts").digest()


def cache_dir() -> Path | None:
    explicit = os.environ.get("MESHCHARTS_CACHE_DIR")
    if explicit:
        return None if explicit.lower() in ("off", "0", "none") else Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "meshcharts"


_warned: set[str] = set()


def _warn(message: str) -> None:
    """One warning per problem and process, on stderr (a CI log shows it; the render goes on)."""
    if message not in _warned:
        _warned.add(message)
        from .errors import printable  # errors is light, but only a refused cache needs it
        sys.stderr.write(f"Warning: {printable(message)}; not using the cache\n")


def _unsafe(st: os.stat_result) -> str | None:
    """Why a file or directory with this status may hold entries someone else wrote."""
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        return "is owned by another user"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "is writable by group or others"
    return None


# The verified directory and its key, per directory path, for this process.
_keys: dict[str, bytes | None] = {}


def _open_dir(directory: Path, create: bool) -> bytes | None:
    """The signing key of ``directory`` if it is safe to use (creating both when ``create``),
    else None (after one warning when it is unsafe rather than just absent or unwritable)."""
    where = str(directory)
    if where in _keys and (_keys[where] is not None or not create):
        return _keys[where]
    key = None
    try:
        if create:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        link = os.lstat(directory)
        st = os.stat(directory)  # the directory a symlink names is judged too, as it is what we use
        theirs = stat.S_ISLNK(link.st_mode) and hasattr(os, "geteuid") and link.st_uid != os.geteuid()
        problem = ("is a symlink another user made" if theirs else
                   "is not a directory" if not stat.S_ISDIR(st.st_mode) else _unsafe(st))
        if problem:
            _warn(f"cache directory {where} {problem}")
        else:
            key = _read_key(directory, create)
    except OSError:
        key = None  # missing or not writable: only costs speed
    _keys[where] = key
    return key


def _read_key(directory: Path, create: bool) -> bytes | None:
    path = directory / "key"
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if not create:
            return None
        key = os.urandom(_KEY_BYTES)
        tmp = directory / f".key-{os.getpid()}"
        try:  # made whole under a private name, then linked: a reader never sees half a key
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(key)
            os.link(tmp, path)  # fails if another process made its key first: use that one
        except FileExistsError:
            pass
        finally:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        problem = _unsafe(st) or ("is readable by others" if st.st_mode & 0o077 else None)
        if problem or not stat.S_ISREG(st.st_mode):
            _warn(f"cache key {path} {problem or 'is not a regular file'}")
            return None
        key = fh.read(_KEY_BYTES + 1)
    return key if len(key) == _KEY_BYTES else None


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
            self.entries = self._load() or {}
        self.entries["__salt__"] = SALT

    def _load(self) -> dict | None:
        """The file's entries, when it is this user's, signed with this directory's key and
        made by this code; None otherwise (nothing in an unverified file is unmarshalled)."""
        key = _open_dir(self.path.parent, create=False)
        if key is None:
            return None
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            problem = _unsafe(st) or (None if stat.S_ISREG(st.st_mode) else "is not a regular file")
            if problem:
                _warn(f"cache file {self.path} {problem}")
                return None
            if st.st_size > MAX_FILE_BYTES + len(_HEAD) + _SIGNATURE_BYTES:
                return None  # left by a version without the cap: read nothing, it is rewritten
            data = fh.read()
        head, signature = data[:len(_HEAD)], data[len(_HEAD):len(_HEAD) + _SIGNATURE_BYTES]
        body = data[len(_HEAD) + _SIGNATURE_BYTES:]
        if head != _HEAD or len(signature) != _SIGNATURE_BYTES:
            return None
        from _operator import _compare_digest  # hmac's, without importing hashlib and OpenSSL
        if not _compare_digest(signature, _sign(key, body)):
            return None
        try:
            loaded = marshal.loads(body)
        except (ValueError, EOFError, TypeError):
            return None
        if isinstance(loaded, dict) and loaded.get("__salt__") == SALT:
            return loaded
        return None

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
        """Remember ``value`` (bytes or plain data); one larger than ``MAX_ENTRY_BYTES`` is kept
        for this process only."""
        self.used.add(key)
        if isinstance(value, (bytes, str)) and len(value) > MAX_ENTRY_BYTES:
            return
        self.entries[key] = value
        self.dirty = True

    def save(self) -> None:
        if not self.dirty or self.path is None:
            return
        import tempfile  # 9 ms, only when this run added entries
        if len(self.entries) > 4 * len(self.used) + 64:  # mostly stale entries: keep this run's
            self._keep_used()
        tmp = None
        try:
            body = marshal.dumps(self.entries)
            if len(body) > MAX_FILE_BYTES:  # past the cap: this run's entries, or nothing
                self._keep_used()
                body = marshal.dumps(self.entries)
                if len(body) > MAX_FILE_BYTES:
                    self.dirty = False
                    return
            key = _open_dir(self.path.parent, create=True)
            if key is None:
                self.path = None
                return
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}-", dir=self.path.parent)  # mode 0600
            with os.fdopen(fd, "wb") as fh:
                fh.write(_HEAD + _sign(key, body) + body)
            os.replace(tmp, self.path)
            self.dirty = False
        except (OSError, ValueError):
            if tmp is not None:  # a full disk, say: leave no partial file behind
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            self.path = None  # not writable (or not marshal-able): keep working from memory

    def _keep_used(self) -> None:
        # A snapshot of the items: another thread may put entries meanwhile.
        self.entries = {k: v for k, v in list(self.entries.items()) if k in self.used or k == "__salt__"}

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
