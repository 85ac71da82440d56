"""Helpers for executing the notebooks on a fresh kernel (nbclient), also with the browser hidden."""
from __future__ import annotations

import os
import shutil
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


def browser_files() -> list[str]:
    """Every Chrome/Chromium executable kaleido's browser layer could find here (and what they exec)."""
    from choreographer.browsers._chrome_constants import chromium_based_browsers

    candidates: set[str] = set()
    for info in chromium_based_browsers.values():
        candidates.update(filter(None, (shutil.which(name) for name in info.exe_names)))
        candidates.update(info.typical_paths)
    # Debian's /usr/bin/chromium is a script that execs this one
    candidates.update(("/usr/lib/chromium/chromium", "/usr/lib/chromium-browser/chromium-browser",
                       "/opt/google/chrome/chrome"))
    found = set()
    for path in candidates:
        if os.path.isfile(path):
            found.update((path, os.path.realpath(path)))
    return sorted(found)


@pytest.fixture
def without_browser():
    """``wrap(cmd) -> cmd`` running ``cmd`` in a private mount namespace where every browser
    executable is /dev/null: what a machine (or Binder image) without Chrome/Chromium looks like."""
    from _system import require_system, system_tool

    require_system("unshare")
    prefix = system_tool("unshare").split()
    hide = browser_files()
    script = 'for f in "$@"; do [ "$f" = -- ] && { shift; break; }; mount --bind /dev/null "$f"; shift; done; ' \
             'exec env -u BROWSER_PATH "$@"'

    def wrap(cmd: list) -> list[str]:
        return [*prefix, "bash", "-c", script, "hide", *hide, "--", *[str(c) for c in cmd]]

    wrap.hidden = hide
    return wrap
