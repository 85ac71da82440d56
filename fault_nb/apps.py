"""Start and stop an HTTP app under test (uvicorn in a child process).

Notebooks, the demo and the tests all need "start this FastAPI app on a free
loopback port, wait until it answers, and stop it by PID afterwards, even on
failure". :func:`serve_app` does exactly that.

>>> with serve_app("examples/apps/webapp") as app:  # doctest: +SKIP
...     print(app.url)
http://127.0.0.1:40123
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable
from pathlib import Path

from ._tools import stop_group
from .errors import FaultNbError, ScenarioRunError


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class AppProcess:
    """A running app: its URL, PID and log file. Stop it with :meth:`stop`."""

    url: str
    port: int
    pid: int
    log_path: Path
    workdir: Path
    _proc: subprocess.Popen = field(repr=False)
    _owned_workdir: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the app (SIGTERM to its process group, then SIGKILL)."""
        stop_group(self._proc, timeout)
        if self._owned_workdir is not None:
            self._owned_workdir.cleanup()
            self._owned_workdir = None

    def __enter__(self) -> "AppProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _repr_html_(self) -> str:
        import html

        state = "running" if self.running else "stopped"
        return f"<code>{html.escape(self.url)}</code> (pid {self.pid}, {state})"


def serve_app(
    app_dir: str | os.PathLike,
    app: str = "app:app",
    *,
    port: int | None = None,
    host: str = "127.0.0.1",
    env: dict[str, str] | None = None,
    workdir: str | os.PathLike | None = None,
    ready_path: str = "/openapi.json",
    timeout: float = 30.0,
) -> AppProcess:
    """Start ``app`` from ``app_dir`` with uvicorn and wait until it answers.

    The app runs with ``workdir`` as its current directory (a fresh temporary
    directory by default), so relative files it creates (``sqlite:///./test.db``)
    never land in the source tree.

    >>> with serve_app("apps/orders", env={"INVENTORY_URL": inv.url}) as orders:  # doctest: +SKIP
    ...     ...
    """
    app_dir = Path(app_dir).resolve()
    if not app_dir.is_dir():
        raise FaultNbError(f"{app_dir}: app directory does not exist")
    module_file = app_dir / (app.split(":", 1)[0].replace(".", "/") + ".py")
    if not module_file.exists():
        raise FaultNbError(f"{module_file}: no such module for app {app!r}")
    owned = None
    if workdir is None:
        owned = tempfile.TemporaryDirectory(prefix="fault-nb-app-")
        workdir = owned.name
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if port is None:
        port = free_port(host)
    else:
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError as exc:
                raise ScenarioRunError(f"port {port} on {host} is already in use ({exc.strerror})") from None
    log_path = workdir / f"app-{port}.log"
    child_env = {**os.environ, **(env or {})}
    child_env.setdefault("PYTHONUNBUFFERED", "1")
    cmd = [sys.executable, "-m", "uvicorn", app, "--app-dir", str(app_dir),
           "--host", host, "--port", str(port), "--log-level", "warning"]
    log = open(log_path, "wb")
    try:
        proc = subprocess.Popen(cmd, cwd=workdir, env=child_env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    finally:
        log.close()
    url = f"http://{host}:{port}"
    handle = AppProcess(url=url, port=port, pid=proc.pid, log_path=log_path, workdir=workdir,
                        _proc=proc, _owned_workdir=owned)
    try:
        wait_http(url + ready_path, proc, timeout=timeout)
    except BaseException:
        logs = handle.log()
        handle.stop()
        if isinstance(sys.exc_info()[1], ScenarioRunError):
            raise ScenarioRunError(f"{app} in {app_dir} did not start on {url}: {logs[-2000:]}") from None
        raise
    return handle


def wait_http(url: str, proc: subprocess.Popen | None = None, *, timeout: float = 60.0,
              ready: Callable[[int], bool] = lambda status: status < 500) -> None:
    """Poll ``GET url`` until its status satisfies ``ready`` (default: any answer below 500).

    The one readiness wait for every server this project starts (apps under test, Voilà, JupyterLab,
    llama.cpp): direct HTTP/1.1 to the address (no proxy from the environment), a 1 s limit per try.
    Raises :class:`~fault_nb.errors.ScenarioRunError` when ``proc`` exits first (the message says
    "exited during start-up") or nothing ready answered within ``timeout`` seconds.

    >>> wait_http("http://127.0.0.1:8000/openapi.json", proc, timeout=30)  # doctest: +SKIP
    """
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ScenarioRunError(f"{parts.netloc}: the server exited during start-up (exit code {proc.returncode})")
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=1.0)
        try:
            conn.request("GET", target)
            resp = conn.getresponse()
            resp.read()
            if ready(resp.status):
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.1)
    raise ScenarioRunError(f"no answer on {parts.scheme}://{parts.netloc}{parts.path} within {timeout:.0f}s")
