"""Small file helpers shared by every writer: atomic writes and safe joins."""
from __future__ import annotations

import errno
import os
import tempfile
import threading
from pathlib import Path

from .errors import UnsafePathError


def _write_temp(path: Path, raw: bytes) -> str:
    """A fsynced temporary file beside ``path`` holding ``raw``, with the mode ``path`` would get."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file 0600; keep the old file's mode, or the umask default
        try:
            mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
            os.chmod(tmp, mode)
        except OSError:
            pass
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def _unlink_quietly(path: str | os.PathLike) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _encode(data: str | bytes, encoding: str) -> bytes:
    return data.encode(encoding) if isinstance(data, str) else data


def atomic_write(path: str | os.PathLike, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never half.

    The data goes to a temporary file in the same directory, is flushed and
    fsynced, then renamed over the target. The user's previous file survives
    any failure before the rename.

    >>> atomic_write("out/report.md", "# Report\\n")  # doctest: +SKIP
    """
    path = Path(path)
    if path.is_dir():  # else os.replace names the temporary file, not the path the caller gave
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(path, _encode(data, encoding))
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return path


def numbered_name(path: str | os.PathLike, n: int) -> Path:
    """``path`` itself for n = 1, else ``stem-n.ext`` beside it.

    >>> numbered_name("out/report.md", 1), numbered_name("out/report.md", 3)
    (PosixPath('out/report.md'), PosixPath('out/report-3.md'))
    """
    path = Path(path)
    return path if n == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")


def write_new(path: str | os.PathLike, data: str | bytes, *, encoding: str = "utf-8",
              limit: int = 10_000) -> Path:
    """Write ``data`` under ``path``, or when a file is already there the first free ``stem-2.ext``,
    ``stem-3.ext`` ...; return the name written. No existing file is ever replaced, also with
    several writers at once, and no reader ever sees the new file half written.

    The complete file is written to a temporary name first and then hard-linked to the free
    name: ``link`` fails when the name exists, so claiming the name and publishing the content
    are one atomic step, and the file is never seen empty. Where the file system has no hard
    links the name is claimed with ``O_EXCL`` (an empty file, briefly) and the content renamed
    over it.

    >>> write_new("out/report.md", "# Report\\n")  # doctest: +SKIP
    PosixPath('out/report-2.md')
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(path, _encode(data, encoding))
    try:
        for n in range(1, limit + 1):
            candidate = numbered_name(path, n)
            try:
                os.link(tmp, candidate)
            except FileExistsError:
                continue
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                    raise
                if not _claim_excl(candidate):
                    continue
                os.replace(tmp, candidate)  # no hard links here: the claimed (empty) name gets the content
                return candidate
            return candidate
        raise FileExistsError(errno.EEXIST, f"no free numbered name next to it (tried {limit})", str(path))
    finally:
        _unlink_quietly(tmp)  # after a link the content lives on under the new name


def _claim_excl(candidate: Path) -> bool:
    try:
        os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        return False
    return True


_UMASK_LOCK = threading.Lock()


def _umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux: /proc).

    Elsewhere it has to be set and put back; the lock keeps two writer threads from
    interleaving that and leaving the umask at 0 for the rest of the process.
    """
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0)
        os.umask(mask)
    return mask


def safe_join(root: str | os.PathLike, relative: str | os.PathLike) -> Path:
    """Join ``relative`` under ``root`` and refuse anything that escapes it.

    Used for every path that comes from model output or a diff header.

    >>> safe_join("/src", "app.py")
    PosixPath('/src/app.py')
    """
    root_p = Path(root).resolve()
    rel = Path(relative)
    if rel.is_absolute():
        raise UnsafePathError(f"{relative}: absolute paths are not allowed (must stay under {root_p})")
    target = (root_p / rel).resolve()
    if target != root_p and root_p not in target.parents:
        raise UnsafePathError(f"{relative}: resolves outside {root_p}")
    return target
