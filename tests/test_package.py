"""The package surface: cheap import, lazy exports that resolve, friendly CLI errors."""
from __future__ import annotations

import subprocess
import sys

import fault_nb

HEAVY = ("pandas", "plotly", "ipywidgets", "openai", "qdrant_client", "tree_sitter", "numpy")


def test_import_is_cheap():
    code = "import sys, fault_nb; print(','.join(m for m in %r if m in sys.modules))" % (HEAVY,)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import fault_nb pulled in: {out.stdout.strip()}"


def test_all_lazy_names_resolve():
    assert set(fault_nb.__all__) == set(fault_nb._LAZY) | {"__version__"}
    for name in fault_nb._LAZY:
        assert getattr(fault_nb, name) is not None, name


def test_unknown_attribute():
    import pytest

    with pytest.raises(AttributeError):
        fault_nb.nope  # noqa: B018


def test_cli_help_lists_commands():
    out = subprocess.run([sys.executable, "-m", "fault_nb.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for verb in ("results", "scenario", "index", "agent", "demo", "compare"):
        assert verb in out.stdout
