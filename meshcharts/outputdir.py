"""A directory of output files replaced as a whole: readers (and a process killed at any moment)
see the old tree or the new one, never a mix of the two.

:func:`replace_tree` builds the new tree in a sibling directory (``.NAME.meshcharts-new-PID``):
the files to write, plus every file of the old tree that is neither rewritten nor listed for
removal (hard links, so a user's own files keep their identity and cost nothing to carry over).
Then one ``renameat2(RENAME_EXCHANGE)`` swaps the two directories and the old tree is deleted.
Where the system has no such call, the old tree is renamed aside and the new one into place;
the next run puts the old tree back if it finds the directory missing. Leftovers of a killed run
are siblings, never files inside the directory, and the next run deletes them.

Renders into one directory are serialised with an advisory lock (``flock``) on its parent, so
two processes never build from the same old tree. Files are created with the mode the umask
gives, as any other program's output. A directory that is a symlink, a file where the directory
should be, or a relative path that would leave it (``..``, an absolute path, a symlink inside)
is refused before anything is written.

A directory that is a mount point cannot be swapped, and one that holds the working directory
should not be (the shell would be left in the deleted old tree); those are written in place
instead (each file replaced in one step, the new files staged in a hidden sub-directory that the
next run removes).
"""
from __future__ import annotations

import errno
import os
import shutil
import stat
import time
from pathlib import Path, PurePosixPath

from .errors import MeshchartsError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterable, Mapping

LOCK_WAIT_SECONDS = 60.0
_STAGING = ".meshcharts-staging"  # inside a mount point only


def check_relative(path: str, directory: str | Path) -> PurePosixPath:
    """``path`` as a relative path that stays inside the directory, or an error."""
    rel = PurePosixPath(path)
    if not path or rel.is_absolute() or ".." in rel.parts or "\\" in path or "\0" in path or "\n" in path \
            or rel.parts[:1] == (".",) and len(rel.parts) == 1:
        raise MeshchartsError(f"refusing to write outside the output directory: {path!r}", str(directory))
    return rel


def replace_tree(directory: str | Path, files: Mapping[str, str | bytes], remove: Iterable[str] = ()) -> list[Path]:
    """Make ``directory`` hold ``files`` (relative path -> text) and, besides, every file it held
    before except those in ``remove`` (relative paths), in one step. Returns the written paths."""
    if "\0" in str(directory):
        raise MeshchartsError("the output directory's name has a NUL character", "--output-dir")
    given = Path(directory)
    planned = {check_relative(p, directory): text for p, text in files.items()}
    dropped = {check_relative(p, directory) for p in remove}
    parent = Path(os.path.abspath(given)).parent
    target = parent / given.name if given.name else Path(os.path.abspath(given))
    _refuse_odd_target(target, str(directory))
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise MeshchartsError(f"cannot create the output directory: {e.strerror}", str(directory)) from None
    with _locked(parent, str(directory)):
        _recover(target)
        _refuse_odd_target(target, str(directory))
        if target.exists() and (os.path.ismount(target) or _holds_cwd(target)):
            return _replace_in_place(target, planned, dropped, str(directory))
        staging = parent / f".{target.name}.meshcharts-new-{os.getpid()}"
        try:
            _build(staging, target if target.exists() else None, planned, dropped, str(directory))
            if target.exists():
                _swap(staging, target)
                _remove(staging)  # now the old tree
            else:
                os.rename(staging, target)
        except BaseException:
            _remove(staging)
            raise
    real = Path(os.path.realpath(target))
    return [real / p for p in planned]


def replace_file(path: str | Path, text: str) -> None:
    """Replace the file ``path`` by ``text`` in one step (a temporary file beside it, renamed
    over it), with the mode the umask gives: a reader sees the old file or the new one."""
    target = Path(path)
    if "\0" in str(path) or target.is_dir():
        raise MeshchartsError("not a file that can be written", str(path))
    temporary = target.parent / f".{target.name}.meshcharts-new-{os.getpid()}"
    try:
        _write_file(target.parent, PurePosixPath(temporary.name), text, str(target.parent))
        os.replace(temporary, target)
    except OSError as e:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise MeshchartsError(f"cannot write output: {e.strerror}", str(path)) from None


def _holds_cwd(target: Path) -> bool:
    """Whether the working directory is ``target`` or inside it: swapping would leave this
    process (and the shell that started it) in the deleted old tree."""
    try:
        here, there = os.path.realpath(os.getcwd()), os.path.realpath(target)
    except OSError:
        return False
    return here == there or here.startswith(there.rstrip(os.sep) + os.sep)


def _refuse_odd_target(target: Path, label: str) -> None:
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return
    except OSError as e:
        raise MeshchartsError(f"cannot use the output directory: {e.strerror}", label) from None
    if stat.S_ISLNK(st.st_mode):
        raise MeshchartsError("the output directory is a symlink; give the directory it points to", label)
    if not stat.S_ISDIR(st.st_mode):
        raise MeshchartsError("a file stands where the output directory should be", label)


class _locked:
    """An exclusive ``flock`` on the parent directory, waited for up to ``LOCK_WAIT_SECONDS``."""

    def __init__(self, parent: Path, label: str):
        self.parent, self.label, self.fd = parent, label, None

    def __enter__(self) -> None:
        try:
            import fcntl  # POSIX only: ImportError below
        except ImportError:  # no advisory locks here: writes are still atomic, just not serialised
            return
        self.fd = os.open(self.parent, os.O_RDONLY)
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(self.fd)
                    raise MeshchartsError(f"another process has been writing here for {LOCK_WAIT_SECONDS:.0f} s; "
                                          "try again when it is done", self.label) from None
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock


def _recover(target: Path) -> None:
    """Clean up after a run that was killed (we hold the lock, so no run is under way): put back
    an old tree that was renamed aside, and delete staging trees."""
    prefix = f".{target.name}.meshcharts-"
    aside = [p for p in target.parent.iterdir() if p.name.startswith(prefix + "old-")]
    if aside and not os.path.lexists(target):
        os.rename(aside.pop(), target)
    for p in target.parent.iterdir():
        if p.name.startswith(prefix):
            _remove(p)
    if target.is_dir() and not target.is_symlink():
        stale = target / _STAGING
        if stale.exists():
            _remove(stale)


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass


def _umask_dir_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o777 & ~mask


def _build(staging: Path, old: Path | None, planned: dict[PurePosixPath, str | bytes],
           dropped: set[PurePosixPath], label: str) -> None:
    os.mkdir(staging, _umask_dir_mode())
    try:
        if old is not None:
            os.chmod(staging, stat.S_IMODE(os.stat(old).st_mode))
            kept_dirs = {parent for rel in planned for parent in rel.parents}
            _carry_over(old, staging, PurePosixPath(), planned, dropped, kept_dirs)
        for rel, text in planned.items():
            _write_file(staging, rel, text, label)
    except OSError as e:
        raise MeshchartsError(f"cannot write output: {e.strerror}", str(e.filename or label)) from None


def _carry_over(old: Path, new: Path, rel: PurePosixPath, planned: dict, dropped: set, kept_dirs: set) -> None:
    """Hard-link into ``new`` every entry of ``old`` not rewritten or dropped (directories made
    anew, symlinks copied as symlinks)."""
    for entry in os.scandir(old):
        if entry.name == _STAGING and not rel.parts:
            continue
        sub = rel / entry.name
        if sub in planned and entry.is_dir(follow_symlinks=False):  # it may hold the user's files
            raise MeshchartsError("a directory stands where this manifest file must be written", entry.path)
        if sub in planned or sub in dropped:
            continue
        dest = new / entry.name
        if entry.is_dir(follow_symlinks=False):
            os.mkdir(dest)
            os.chmod(dest, stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode))
            _carry_over(Path(entry.path), dest, sub, planned, dropped, kept_dirs)
            if sub not in kept_dirs and not any(dest.iterdir()) and any(True for _ in os.scandir(entry.path)):
                os.rmdir(dest)  # emptied by dropped files: gone with them
        elif entry.is_symlink():
            os.symlink(os.readlink(entry.path), dest)
        else:
            try:
                os.link(entry.path, dest, follow_symlinks=False)
            except OSError:  # another user's file under protected hard links, say: a copy
                shutil.copy2(entry.path, dest, follow_symlinks=False)


def _write_file(root: Path, rel: PurePosixPath, text: str | bytes, label: str) -> None:
    """Create ``root/rel`` with the umask's mode; every directory on the way must be a real one."""
    here = root
    for part in rel.parts[:-1]:
        here = here / part
        try:
            st = os.lstat(here)
        except FileNotFoundError:
            os.mkdir(here, 0o777)
            continue
        if not stat.S_ISDIR(st.st_mode):
            what = "a symlink" if stat.S_ISLNK(st.st_mode) else "a file"
            raise MeshchartsError(f"{what} stands where a directory of the output must be",
                                  str(Path(label) / PurePosixPath(*here.relative_to(root).parts)))
    path = here / rel.name
    if os.path.lexists(path):
        if os.path.isdir(path) and not os.path.islink(path):
            raise MeshchartsError("a directory stands where this manifest file must be written",
                                  str(Path(label) / rel))
        os.unlink(path)
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _swap(a: Path, b: Path) -> None:
    """Exchange two directories in one step (Linux' renameat2), else rename the old one aside
    first (``_recover`` undoes a kill between the two renames)."""
    if _exchange(a, b):
        return
    aside = b.parent / f".{b.name}.meshcharts-old-{os.getpid()}"
    os.rename(b, aside)
    os.rename(a, b)
    os.rename(aside, a)


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    try:
        import ctypes  # 5 ms, only for the atomic exchange of two directories
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, ImportError):
        return False
    at_fdcwd = -100
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _replace_in_place(target: Path, planned: dict[PurePosixPath, str | bytes], dropped: set[PurePosixPath],
                      label: str) -> list[Path]:
    """For a mount point: stage every file inside it, then move each into place."""
    staging = target / _STAGING
    try:
        os.mkdir(staging, 0o700)
        for i, (rel, text) in enumerate(planned.items()):
            _write_file(staging, PurePosixPath(str(i)), text, label)
        for i, rel in enumerate(planned):
            dest = target / rel
            for part in list(reversed(rel.parents))[1:]:
                where = target / part
                if os.path.islink(where) or os.path.lexists(where) and not os.path.isdir(where):
                    raise MeshchartsError("a file or symlink stands where a directory of the output must be",
                                          str(Path(label) / part))
                if not os.path.lexists(where):
                    os.mkdir(where, 0o777)
            if os.path.isdir(dest) and not os.path.islink(dest):
                raise MeshchartsError("a directory stands where this manifest file must be written",
                                      str(Path(label) / rel))
            os.replace(staging / str(i), dest)
        for rel in dropped:
            if os.path.isfile(target / rel) or os.path.islink(target / rel):
                os.unlink(target / rel)
    except OSError as e:
        raise MeshchartsError(f"cannot write output: {e.strerror}", str(e.filename or label)) from None
    finally:
        _remove(staging)
    return [target / p for p in planned]
