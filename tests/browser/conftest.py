"""JupyterLab / Voilà servers and a headless Chromium for the browser tests.

Servers run in their own process group on a free loopback port with a token,
in a temporary root holding a copy of notebooks/, and are stopped by PID
(process group) also when a test fails. Chromium is the one kaleido would find (Debian's /usr/bin/chromium here):
``playwright install`` is never used.
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fault_nb._tools import stop_group
from fault_nb.apps import free_port, wait_http
from fault_nb.errors import ScenarioRunError
from fault_nb.settings import isolated_environ
from fault_nb.plots import find_browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = find_browser() or "/usr/bin/chromium"  # tests without one are skipped (the system marker)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
BIN = Path(sys.executable).parent


class Server:
    def __init__(self, proc: subprocess.Popen, url: str, token: str, root: Path, log: Path):
        self.proc, self.url, self.token, self.root, self.log_path = proc, url, token, root, log

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        stop_group(self.proc)


def _start(cmd: list[str], url: str, probe: str, token: str, root: Path, env: dict, timeout: float = 90) -> Server:
    log = root.parent / f"{Path(cmd[0]).name}-{free_port()}.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(proc, url, token, root, log)
    try:
        wait_http(probe, proc, timeout=timeout, ready=lambda status: status == 200)
    except ScenarioRunError as exc:
        server.stop()
        raise RuntimeError(f"{cmd[0]}: {exc}:\n{server.log()[-3000:]}") from None
    return server


def _root(tmp_path_factory, shared) -> tuple[Path, dict]:
    base = tmp_path_factory.mktemp("browser")
    root = base / "root"
    root.mkdir()
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy2(nb, root / nb.name)
    out = base / "out"
    out.mkdir()
    # module-scoped servers start before the autouse per-test isolation: isolate them here too,
    # so no kernel they start can reach a real LLM, qdrant server or proxy
    env = isolated_environ(os.environ, FAULT_NB_SHARED=str(shared), FAULT_NB_OUT=str(out),
                           FAULT_NB_CACHE_DIR=str(base / "cache"), JUPYTER_CONFIG_DIR=str(base / "jupyter-config"),
                           JUPYTER_RUNTIME_DIR=str(base / "runtime"),
                           JUPYTERLAB_SETTINGS_DIR=str(base / "lab-settings"),
                           JUPYTERLAB_WORKSPACES_DIR=str(base / "lab-workspaces"), NO_PROXY="127.0.0.1,localhost")
    env.pop("JUPYTER_TOKEN", None)
    # no "get notified about Jupyter news?" toast over the screenshots
    news = base / "lab-settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false"}')
    return root, env


@pytest.fixture(scope="module")
def browser_env(shared, tmp_path_factory):
    ARTIFACTS.mkdir(exist_ok=True)
    return _root(tmp_path_factory, shared)


@pytest.fixture(scope="module")
def lab(browser_env):
    root, env = browser_env
    port, token = free_port(), secrets.token_hex(16)
    cmd = [str(BIN / "jupyter-lab"), "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.expose_app_in_browser=True", "--ServerApp.disable_check_xsrf=False",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    url = f"http://127.0.0.1:{port}"
    server = _start(cmd, url, f"{url}/api/status?token={token}", token, root, env)
    try:
        yield server
    finally:
        server.stop()
        (ARTIFACTS / "jupyterlab.log").write_text(server.log())  # for diagnosing a failed run


@pytest.fixture(scope="module")
def voila(browser_env):
    root, env = browser_env
    port, token = free_port(), secrets.token_hex(16)
    cmd = [str(BIN / "voila"), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
           f"--token={token}", str(root)]
    url = f"http://127.0.0.1:{port}"
    server = _start(cmd, url, f"{url}/?token={token}", token, root, env)
    try:
        yield server
    finally:
        server.stop()
        (ARTIFACTS / "voila.log").write_text(server.log())


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


LOCAL_HOSTS = ("127.0.0.1", "localhost")


@pytest.fixture
def page(browser):
    """A 1400x1000 page that never leaves the machine: requests to other hosts are aborted and
    listed in ``page.outside_requests`` (offline use must not need a CDN)."""
    from urllib.parse import urlsplit

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    outside: list[str] = []

    def guard(route):
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if url.startswith(("data:", "blob:", "about:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    pg = context.new_page()
    pg.outside_requests = outside
    try:
        yield pg
    finally:
        context.close()
