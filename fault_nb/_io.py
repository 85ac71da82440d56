"""Small file helpers shared by every writer: atomic writes and safe joins."""
from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .errors import UnsafePathError


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
    raw = data.encode(encoding) if isinstance(data, str) else data
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
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def _umask() -> int:
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
