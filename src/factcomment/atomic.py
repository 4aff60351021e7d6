"""Publishing files and directories atomically: temporary names, no-replace commits, directory swaps.

Everything factcomment writes (an ``--output`` file, a model directory) is first written under a temporary
name beside its target, ``.NAME.fcPID-XXXX.part`` (a file) or ``.NAME.fcPID-XXXX.tmp`` (a directory), and
then published with one rename. The PID in the name lets a later run tell a temporary left by a killed run
(its process is gone) from one that a running process is still writing, and remove only the former; the
readers never read a temporary as input (:func:`is_temporary`).

- :func:`publish_file` commits a file: replacing the target, or creating it only if it does not exist yet
  (a hard link or ``renameat2(RENAME_NOREPLACE)``), so two runs racing for one name cannot both win.
- :func:`swap_dirs` exchanges two directories with one ``renameat2(RENAME_EXCHANGE)`` on Linux, so a reader
  sees the old directory or the new one, whole; elsewhere it falls back to two renames.
"""
from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
from pathlib import Path

_RENAME_NOREPLACE, _RENAME_EXCHANGE = 1, 2
_AT_FDCWD = -100
_TEMPORARY = re.compile(r"^\..+\.fc(\d+)-[^.]+\.(part|tmp)$")
# Outputs this process is writing now (resolved paths): the readers skip them, so a run never reads its own output.
_writing: set[str] = set()
# Errors that mean the output cannot take what is written (a full disk or quota, a device that refuses).
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS})


def write_hint(error: OSError, elsewhere: str) -> str:
    """The fix to suggest for a failed write: room, when room is what ran out; otherwise ``elsewhere``."""
    return f"free some space or {elsewhere}" if error.errno in (errno.ENOSPC, errno.EDQUOT) else elsewhere


def temporary_prefix(target: Path) -> str:
    """The start of a temporary name for ``target`` owned by this process (``mkstemp``/``mkdtemp`` add the rest)."""
    return f".{_stem(target)}.fc{os.getpid()}-"


def _stem(target: Path) -> str:
    """``target``'s name, cut to 200 bytes: a temporary name adds about 25, and a name holds at most 255."""
    name = target.name
    while len(os.fsencode(name)) > 200:
        name = name[:-1]
    return name


def is_temporary(name: str) -> bool:
    """Whether a file name is one of factcomment's temporary names (of any process)."""
    return _TEMPORARY.match(name) is not None


def is_being_written(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an output this process is writing now, or any factcomment temporary."""
    return is_temporary(os.path.basename(path)) or os.path.realpath(path) in _writing


@contextlib.contextmanager
def writing(*paths: str | os.PathLike[str]):
    """Mark ``paths`` as this process's outputs while the ``with`` block runs (see :func:`is_being_written`)."""
    added = {os.path.realpath(p) for p in paths} - _writing
    _writing.update(added)
    try:
        yield
    finally:
        _writing.difference_update(added)


def remove_stale(target: Path) -> None:
    """Remove temporaries of ``target`` left by factcomment processes that no longer exist."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            match = _TEMPORARY.match(entry.name)
            if match and entry.name.startswith(f".{_stem(target)}.fc") and not _alive(int(match.group(1))):
                with contextlib.suppress(OSError):
                    if entry.is_dir(follow_symlinks=False):
                        import shutil  # here, not at the top: readers import this module on every start

                        shutil.rmtree(entry.path)
                    else:
                        os.unlink(entry.path)


def publish_file(temp: Path, target: Path, *, replace: bool) -> None:
    """Rename ``temp`` to ``target``; unless ``replace``, raise FileExistsError if ``target`` exists by then."""
    if replace:
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)  # fails with EEXIST if another run got there first
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links
        if not _renameat2(temp, target, _RENAME_NOREPLACE):
            if os.path.lexists(target):
                raise FileExistsError(errno.EEXIST, "File exists", str(target)) from None
            os.rename(temp, target)
        return
    os.unlink(temp)


def write_whole(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary beside it and one rename, so a reader (or a run killed
    half-way) never sees half a file; used for caches and checkpoints, which may be replaced."""
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=temporary_prefix(target), suffix=".part", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def swap_dirs(new: Path, old: Path) -> None:
    """Put directory ``new`` at ``old``'s path and ``old`` at ``new``'s, atomically where the OS allows.

    Without ``renameat2`` (not Linux, or an old C library) ``old`` is moved aside first, so for a moment
    the path holds nothing; readers retry (see ``persist.read_model``).
    """
    if _renameat2(new, old, _RENAME_EXCHANGE):
        return
    aside = old.with_name(f"{temporary_prefix(old)}aside.tmp")
    os.rename(old, aside)
    os.rename(new, old)
    os.rename(aside, new)


def _renameat2(source: Path, target: Path, flags: int) -> bool:
    """``renameat2(source, target, flags)``; False where the call is unavailable or not supported here."""
    function = _libc_renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags) == 0:
        return True
    import ctypes

    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(target))


@functools.cache
def _libc_renameat2():
    import ctypes  # here, not at the top: readers import this module on every start, and ctypes costs a few ms

    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def umask() -> int:
    """The process's umask (which can only be read by setting it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists (this one does)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, and belongs to another user
        pass
    return True
