"""Optional system tools (pandoc, wrk, node, ...): detected first, bounded in time, absence said once.

>>> from fault_nb._tools import find_tool, run_tool
>>> pandoc = find_tool("pandoc")  # doctest: +SKIP
>>> run_tool([pandoc, "--version"], timeout=10).returncode  # doctest: +SKIP
0

Chrome/Chromium for chart images is found by :func:`fault_nb.plots.find_browser`
(the way kaleido searches); everything else goes through here.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

# what to install, in plain words, per tool
INSTALL = {
    "pandoc": "apt-get install pandoc / brew install pandoc",
    "wrk": "apt-get install wrk / brew install wrk",
    "node": "apt-get install nodejs / brew install node",
    "chromium": "apt-get install chromium / brew install --cask chromium",
    "weasyprint": "pip install 'fault-nb[pdf]'",
}

_SAID: set[str] = set()
_SAID_LOCK = threading.Lock()


def find_tool(name: str) -> str | None:
    """The executable ``name`` on PATH, or beside the running Python (a venv's scripts), or None."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def say_once(key: str, message: str) -> None:
    """Print ``message`` on stderr the first time ``key`` is seen in this process."""
    with _SAID_LOCK:
        if key in _SAID:
            return
        _SAID.add(key)
    print(f"fault_nb: {message}", file=sys.stderr, flush=True)


def missing(name: str, what: str) -> str:
    """The plain-words sentence for a missing tool: ``"<what> needs <name> (install: ...)"``."""
    how = INSTALL.get(name)
    return f"{what} needs {name}, which is not installed" + (f" (install: {how})" if how else "")


def run_tool(cmd: list[str], *, timeout: float, **kwargs) -> subprocess.CompletedProcess:
    """``subprocess.run`` in its own process group, killed whole when ``timeout`` passes.

    A tool that starts helpers (pandoc starts weasyprint) cannot leave them
    running, nor keep the captured pipes open. Raises ``subprocess.TimeoutExpired``.
    """
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    if "capture_output" in kwargs and kwargs.pop("capture_output"):
        kwargs["stdout"] = kwargs["stderr"] = subprocess.PIPE
    with subprocess.Popen(cmd, start_new_session=True, **kwargs) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            try:
                proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            raise
        except BaseException:
            _kill_group(proc)
            raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def stop_group(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it started: SIGTERM
    to its process group, ``timeout`` seconds to exit, then SIGKILL. Never waits forever.

    >>> stop_group(subprocess.Popen(["sleep", "60"], start_new_session=True))  # doctest: +SKIP
    """
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.wait(timeout)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
