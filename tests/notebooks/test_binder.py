"""Binder's recipe works: a fresh venv built only from binder/requirements.txt and
binder/postBuild (which installs the repo as a wheel) executes notebook 01.

Downloads from PyPI (pip's cache makes later runs faster); about a minute."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.notebook]


def _run(cmd, **kwargs):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=900, **kwargs)
    assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def test_binder_environment_runs_notebook_01(tmp_path, shared):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns(
        ".venv", ".git", "out", "test-artifacts", "__pycache__", "*.egg-info", ".pytest_cache", "build", "dist"))
    venv = tmp_path / "binder-venv"
    _run([sys.executable, "-m", "venv", venv])  # NOT --system-site-packages: only the binder files count
    py = venv / "bin" / "python"
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(venv),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONNOUSERSITE": "1"}
    env.pop("PYTHONPATH", None)
    _run([py, "-m", "pip", "install", "-q", "-r", repo / "binder" / "requirements.txt"], env=env)
    out = _run(["bash", repo / "binder" / "postBuild"], cwd=repo, env=env)
    assert "fault_nb installed, widgets at" in out and "_static" in out

    # the package comes from the venv (a wheel), not from the copied source tree
    where = _run([py, "-c", "import fault_nb, fault_nb.ui._common as c; print(fault_nb.__file__); "
                            "print(c.asset('diffviewer.css'))"], cwd=tmp_path, env=env).split()
    assert where[0].startswith(str(venv)) and where[1].endswith("_static/diffviewer.css")

    env["FAULT_NB_SHARED"] = str(shared)
    executed = tmp_path / "01-executed.ipynb"
    _run([py, "-c", "import sys; from fault_nb.demo import run_notebook; "
                    "run_notebook(sys.argv[1], out=sys.argv[2], progress=False, timeout=300)",
          repo / "notebooks" / "01-explore-results.ipynb", executed], cwd=tmp_path, env=env)
    text = executed.read_text()
    assert "ResultsExplorer:" in text and "application/vnd.plotly.v1+json" in text
