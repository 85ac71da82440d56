"""The notebooks where users run them: no Chrome/Chromium, a clone of the repository alone.

1. Binder as Binder is: a copy of what a clone holds (nothing beside it, no FAULT_NB_SHARED),
   a fresh venv built only from binder/requirements.txt and binder/postBuild (which installs
   the repo as a wheel), every browser executable hidden in a private mount namespace. All
   three notebooks run top to bottom and Voilà renders 02. Downloads from PyPI the first
   time (pip's cache makes later runs faster); several minutes.
2. The same hiding on the main venv, for notebooks 01 and 03 (the ones that make charts).

Before, a machine without a browser hung forever on the first chart; each run here is bounded.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import nbformat
import pytest

from fault_nb._tools import stop_group
from fault_nb.apps import free_port

ROOT = Path(__file__).resolve().parents[2]
NO_PNG_NOTICE = "no Chrome or Chromium found for PNG copies of charts"

pytestmark = [pytest.mark.notebook]


def _run(cmd, *, timeout=900, **kwargs) -> str:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=timeout, **kwargs)
    assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def _clone_alone(dst: Path) -> Path:
    """What `git clone` of this checkout holds (tracked and new, unignored files), alone in ``dst``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, timeout=60)
    if listed.returncode != 0:  # not a git checkout (an unpacked sdist): copy the tree
        shutil.copytree(ROOT, dst, ignore=shutil.ignore_patterns(
            ".venv*", ".git", "out", "test-artifacts", "__pycache__", "*.egg-info", ".pytest_cache", "build", "dist"))
        return dst
    for rel in filter(None, listed.stdout.decode().split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)
    return dst


def _outputs(nb, mime: str) -> list[str]:
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            value = out.get("data", {}).get(mime)
            if value is not None:
                found.append("".join(value) if isinstance(value, list) else str(value))
    return found


def _stderr(nb) -> str:
    return "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream" and out.get("name") == "stderr")


def _check_charts_without_png(nb, name: str) -> None:
    assert _outputs(nb, "application/vnd.plotly.v1+json"), f"{name}: no chart"
    assert _outputs(nb, "image/png") == [], f"{name}: a PNG without a browser?"
    assert _stderr(nb).count(NO_PNG_NOTICE) == 1, f"{name}: expected one notice, got:\n{_stderr(nb)[-2000:]}"


def _execute(wrap, python, notebook: Path, out: Path, env: dict, cwd: Path, timeout: int = 420):
    code = ("import sys; from fault_nb.demo import run_notebook; "
            "run_notebook(sys.argv[1], out=sys.argv[2], progress=False, timeout=240)")
    _run(wrap([python, "-c", code, notebook, out]), env=env, cwd=cwd, timeout=timeout)
    return nbformat.read(out, as_version=4)


def _no_browser_in_namespace(wrap, python, env, cwd) -> None:
    """Inside the namespace kaleido's own search finds nothing (else the test proves nothing)."""
    found = _run(wrap([python, "-c", "from fault_nb.plots import find_browser; print(find_browser())"]),
                 env=env, cwd=cwd, timeout=120).strip()
    assert found == "None", found
    for path in wrap.hidden:
        assert _run(wrap(["sh", "-c", f'test -x "{path}" && echo reachable || echo hidden']),
                    env=env, cwd=cwd, timeout=60).strip() == "hidden", path


@pytest.mark.slow
# above the sum of the inner limits, so one of them (with its message) ends a stuck run first: venv,
# pip, postBuild, package check 4 x 900 s; browser checks 120 s + 60 s per hidden file; notebooks
# 3 x 420 s; Voila 120 s start + 600 s page + 20 s stop
@pytest.mark.timeout(6600)
def test_binder_from_a_clone_alone_without_a_browser(tmp_path, without_browser):
    t0 = time.monotonic()
    repo = _clone_alone(tmp_path / "clone" / "fault_nb")
    assert not (repo.parent / "shared").exists()
    venv = tmp_path / "binder-venv"
    _run([sys.executable, "-m", "venv", venv])  # NOT --system-site-packages: only the binder files count
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAULT_NB_", "PYTHON", "VIRTUAL_ENV"))}
    env.update({"PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(venv),
                "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONNOUSERSITE": "1",
                "FAULT_NB_CACHE_DIR": str(tmp_path / "cache"), "FAULT_NB_OUT": str(tmp_path / "out"),
                "FAULT_NB_LOAD_SCALE": "0.1", "NO_PROXY": "127.0.0.1,localhost"})
    _run([py, "-m", "pip", "install", "-q", "-r", repo / "binder" / "requirements.txt"], env=env)
    out = _run(["bash", repo / "binder" / "postBuild"], cwd=repo, env=env)
    assert "fault_nb installed, widgets at" in out and "_static" in out
    installed = time.monotonic()

    # the package comes from the venv (a wheel), not from the copied source tree
    where = _run([py, "-c", "import fault_nb, fault_nb.ui._common as c; print(fault_nb.__file__); "
                            "print(c.asset('diffviewer.css'))"], cwd=tmp_path, env=env).split()
    assert where[0].startswith(str(venv)) and where[1].endswith("_static/diffviewer.css")
    _no_browser_in_namespace(without_browser, py, env, repo / "notebooks")

    executed = {}
    for name in ("01-explore-results.ipynb", "02-code-review.ipynb", "03-dependencies.ipynb"):
        executed[name] = _execute(without_browser, py, repo / "notebooks" / name, tmp_path / name, env,
                                  cwd=repo / "notebooks")
    _check_charts_without_png(executed["01-explore-results.ipynb"], "01")
    _check_charts_without_png(executed["03-dependencies.ipynb"], "03")
    assert any("ResultsExplorer:" in t for t in _outputs(executed["01-explore-results.ipynb"], "text/plain"))
    assert any("```diff" in md for md in _outputs(executed["02-code-review.ipynb"], "text/markdown"))
    assert (tmp_path / "out" / "code-review-report.md").is_file() and (tmp_path / "out" / "report.md").is_file()
    notebooks_done = time.monotonic()

    html = _voila(without_browser, venv, repo / "notebooks" / "02-code-review.ipynb", env, tmp_path)
    # every cell ran server-side: the dashboard's panel is there, no cell failed
    assert "ReviewPanel: Offline rules reviewer" in html and "application/vnd.jupyter.widget-view+json" in html
    assert "there was an error when executing cell" not in html.lower() and "Traceback" not in html
    timings = {"install_s": round(installed - t0), "notebooks_s": round(notebooks_done - installed),
               "voila_s": round(time.monotonic() - notebooks_done)}
    print("binder timings:", json.dumps(timings))


def _voila(wrap, venv: Path, notebook: Path, env: dict, tmp_path: Path) -> str:
    """Voilà on one notebook, in the namespace; the rendered page (executed server-side)."""
    port, token = free_port(), secrets.token_hex(16)
    log = tmp_path / "voila.log"
    cmd = [venv / "bin" / "voila", notebook.name, "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
           f"--token={token}"]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(wrap(cmd), cwd=notebook.parent, env={**env, "JUPYTER_CONFIG_DIR": str(tmp_path / "jc"),
                                "JUPYTER_RUNTIME_DIR": str(tmp_path / "jr")}, stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/?token={token}"
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"voila exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
            try:
                httpx.get(f"http://127.0.0.1:{port}/static/", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"voila did not start:\n{log.read_text()[-3000:]}"
                time.sleep(0.5)
        page = httpx.get(url, timeout=600)  # the kernel runs every cell before the page is complete
        assert page.status_code == 200, f"{page.status_code}\n{log.read_text()[-3000:]}"
        return page.text
    finally:
        stop_group(proc, 20)


@pytest.mark.timeout(1500)  # inner limits: browser checks 120 s + 60 s per hidden file, notebooks 2 x 420 s
def test_notebooks_01_and_03_without_a_browser(tmp_path, without_browser, shared):
    """The main venv, the browser hidden: charts stay interactive, one notice each, no hang."""
    env = {**os.environ, "FAULT_NB_OUT": str(tmp_path / "out"), "FAULT_NB_SHARED": str(shared),
           "FAULT_NB_LOAD_SCALE": "0.1"}
    _no_browser_in_namespace(without_browser, sys.executable, env, tmp_path)
    for name in ("01-explore-results.ipynb", "03-dependencies.ipynb"):
        nb = _execute(without_browser, sys.executable, ROOT / "notebooks" / name, tmp_path / name, env,
                      cwd=ROOT / "notebooks")
        _check_charts_without_png(nb, name)
