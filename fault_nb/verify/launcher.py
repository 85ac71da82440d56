"""Start any HTTP app from a source tree, on a port we choose, and stop it by PID.

:func:`fault_nb.apps.serve_app` knows uvicorn apps; the verification loop needs
whatever command the user runs (``uvicorn app:app --port {port}``, ``node
src/server.js`` reading ``PORT``, ``go run .``). :class:`AppSpec` says how;
:func:`start_app` starts it in its own process group, waits until the readiness
path answers, and turns every way of failing to start into an
:class:`~fault_nb.errors.AppStartError` that names the cause and shows the tail
of the app's log.

>>> spec = AppSpec("uvicorn app:app --port {port}", ready_path="/openapi.json")
>>> spec.argv(8123)[-1]
'8123'
"""
from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from .._io import safe_join
from ..apps import AppProcess, free_port, wait_http
from ..errors import AppStartError, ScenarioRunError, UnsafePathError

LOG_TAIL_LINES = 30
LOG_TAIL_CHARS = 3000


@dataclass(frozen=True)
class AppSpec:
    """How to start the app under test.

    ``command``: a shell-like string or an argv list; ``{port}`` and ``{host}`` are
    replaced (in ``env`` values too), and ``PORT`` / ``HOST`` are always set. ``cwd``
    is relative to the source tree (its scratch copy while verifying). ``port``:
    a fixed port for apps that cannot be told one (default: a fresh free port at
    every start). Readiness: ``GET ready_path`` answers below 500 within
    ``ready_timeout`` seconds.

    >>> AppSpec.uvicorn("app:app").argv(9000)[1:3]
    ['-m', 'uvicorn']
    """

    command: str | Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    ready_path: str = "/"
    ready_timeout: float = 30.0
    cwd: str = "."
    port: int | None = None
    host: str = "127.0.0.1"

    @classmethod
    def uvicorn(cls, app: str = "app:app", **kwargs) -> "AppSpec":
        """A uvicorn app run with this interpreter (``ready_path`` defaults to ``/openapi.json``)."""
        kwargs.setdefault("ready_path", "/openapi.json")
        cmd = [sys.executable, "-m", "uvicorn", app, "--host", "{host}", "--port", "{port}",
               "--log-level", "warning"]
        return cls(cmd, **kwargs)

    def argv(self, port: int) -> list[str]:
        """The command as an argv list, with ``{port}`` and ``{host}`` filled in."""
        raw = shlex.split(self.command) if isinstance(self.command, str) else [str(a) for a in self.command]
        if not raw:
            raise AppStartError("the app command is empty")
        return [_fill(a, port, self.host) for a in raw]

    @property
    def label(self) -> str:
        return self.command if isinstance(self.command, str) else shlex.join(str(a) for a in self.command)


def _fill(text: str, port: int, host: str) -> str:
    return str(text).replace("{port}", str(port)).replace("{host}", host)


def log_tail(path: str | os.PathLike, lines: int = LOG_TAIL_LINES, chars: int = LOG_TAIL_CHARS) -> str:
    """The last ``lines`` lines (at most ``chars`` characters) of a log file; "" when unreadable."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    tail = "\n".join(text.rstrip("\n").splitlines()[-lines:])
    return tail[-chars:]


def _resolve(executable: str, cwd: Path) -> str:
    """The program to run, or AppStartError when there is none (checked before anything starts)."""
    if os.sep in executable or (os.altsep and os.altsep in executable):
        candidate = Path(executable) if Path(executable).is_absolute() else cwd / executable
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
        raise AppStartError(f"app command not found: {executable!r} is not an executable file "
                            f"(looked in {candidate.parent})")
    found = shutil.which(executable) or shutil.which(executable, path=str(Path(sys.executable).parent))
    if not found:
        raise AppStartError(f"app command not found: {executable!r} is not on PATH "
                            f"(nor next to {sys.executable}); install it or give its full path")
    return found


def check_command(spec: AppSpec, tree: str | os.PathLike) -> None:
    """Fail early (before copying or starting anything) when the command or its cwd is missing."""
    cwd = _cwd(spec, Path(tree))
    _resolve(spec.argv(spec.port or 1)[0], cwd)


def _cwd(spec: AppSpec, tree: Path) -> Path:
    try:
        cwd = safe_join(tree, spec.cwd)
    except UnsafePathError as exc:
        raise AppStartError(f"app cwd {spec.cwd!r}: {exc}") from None
    if not cwd.is_dir():
        raise AppStartError(f"app cwd {spec.cwd!r}: no such folder in {tree}")
    return cwd


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def start_app(spec: AppSpec, tree: str | os.PathLike, *, log_path: str | os.PathLike,
              env: Mapping[str, str] | None = None) -> AppProcess:
    """Start ``spec`` with ``tree`` as its source folder and wait until it is ready.

    Returns an :class:`~fault_nb.apps.AppProcess` (``.url``, ``.stop()`` kills the
    process group). Raises :class:`AppStartError` (command not found, port in use,
    exited during start-up, never ready) with the log tail; the process is stopped.

    >>> app = start_app(AppSpec("node src/server.js"), "copy/", log_path="app.log")  # doctest: +SKIP
    """
    tree = Path(tree)
    cwd = _cwd(spec, tree)
    if spec.port is not None:
        if not _port_free(spec.host, spec.port):
            raise AppStartError(f"port {spec.port} on {spec.host} is already in use by another process; "
                                "stop it or let fault_nb choose a free port ({port} in the command)")
        port = spec.port
    else:
        port = free_port(spec.host)
    argv = spec.argv(port)
    argv[0] = _resolve(argv[0], cwd)
    child_env = {**os.environ, **{k: _fill(v, port, spec.host) for k, v in spec.env.items()},
                 **(env or {}), "PORT": str(port), "HOST": spec.host}
    child_env.setdefault("PYTHONUNBUFFERED", "1")
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=child_env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            raise AppStartError(f"app command {spec.label!r} could not start: {exc.strerror or exc}") from None
    handle = AppProcess(url=f"http://{spec.host}:{port}", port=port, pid=proc.pid, log_path=log_path,
                        workdir=cwd, _proc=proc)
    try:
        wait_http(handle.url + spec.ready_path, proc, timeout=spec.ready_timeout)
    except ScenarioRunError:
        exited = not handle.running
        handle.stop()
        tail = log_tail(log_path)
        if "address already in use" in tail.lower() or "eaddrinuse" in tail.lower():
            raise AppStartError(f"app {spec.label!r} could not listen: its port is already in use "
                                f"(it was told port {port} through {{port}} and PORT; does it use another?)",
                                tail) from None
        if exited:
            code = proc.returncode
            raise AppStartError(f"app {spec.label!r} exited during start-up (exit code {code})", tail) from None
        raise AppStartError(f"app {spec.label!r} was not ready: GET {handle.url}{spec.ready_path} gave no answer "
                            f"below 500 within {spec.ready_timeout:g} s", tail) from None
    except BaseException:
        handle.stop()
        raise
    return handle
