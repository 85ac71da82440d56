"""Helpers for executing the notebooks on a fresh kernel (nbclient)."""
from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.fixture
def run_nb(tmp_path, shared, monkeypatch):
    """Execute notebooks/<name> with FAULT_NB_OUT=tmp_path/out; return (executed nb, out dir)."""
    from fault_nb.demo import run_notebook

    out = tmp_path / "out"
    out.mkdir()

    def _run(name: str, timeout: int = 240):
        env = {"FAULT_NB_OUT": str(out), "FAULT_NB_SHARED": str(shared), "FAULT_NB_LOAD_SCALE": "0.1"}
        nb = run_notebook(NOTEBOOKS / name, out=tmp_path / name, env=env, timeout=timeout, progress=False)
        return nb, out

    return _run
