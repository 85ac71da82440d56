"""Every notebook runs top to bottom on a fresh kernel, and its saved outputs read
well without a kernel (static HTML/Markdown fallbacks next to the widgets)."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from fault_nb.errors import FaultNbError

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

pytestmark = pytest.mark.notebook


def outputs(nb, mime: str) -> list[str]:
    """Every output of ``mime`` in an executed notebook, as text."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if mime in data:
                value = data[mime]
                found.append("".join(value) if isinstance(value, list) else str(value))
            elif mime == "text/plain" and out.get("output_type") == "stream":
                found.append(out.get("text", ""))
    return found


def test_notebooks_are_committed_without_outputs():
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert names == ["01-explore-results.ipynb", "02-code-review.ipynb", "03-dependencies.ipynb", "dashboard.ipynb"]
    for name in names:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{name}: outputs not stripped"
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


@pytest.mark.system("chromium")  # the PNG copies of the charts
def test_01_explore_results(run_nb):
    nb, _ = run_nb("01-explore-results.ipynb", timeout=120)
    html = "\n".join(outputs(nb, "text/html"))
    plain = "\n".join(outputs(nb, "text/plain"))
    # Results renders itself; the explorer carries a static table next to the widget
    assert "index__get" in html and "read_user_users__user_id__get" in html
    assert "ResultsExplorer:" in plain
    explorer_html = [o for o in nb.cells[-2].outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert explorer_html and "<table" in explorer_html[0]["data"]["text/html"]
    # fault's report.md rendered as Markdown
    assert any("index__get" in md for md in outputs(nb, "text/markdown"))
    # charts are saved as plotly figures, with a PNG copy for viewers that run no JavaScript
    figures = outputs(nb, "application/vnd.plotly.v1+json")
    assert len(figures) == 3
    pngs = outputs(nb, "image/png")
    assert len(pngs) == 3 and all(len(p) > 5_000 for p in pngs)
    # no page-wide script that fetches plotly.js from a CDN (it fails offline in JupyterLab)
    loose = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
             if "<script" in str(o.get("data", {}).get("text/html", ""))
             and "application/vnd.plotly.v1+json" not in o.get("data", {})]
    assert not loose
    # widget state is saved so nbviewer can show the widgets too
    assert "application/vnd.jupyter.widget-state+json" in nb.metadata.get("widgets", {})


@pytest.mark.slow
def test_02_code_review_via_demo_cli(tmp_path, shared, monkeypatch, capsys):
    """`fault-nb demo --out DIR` is notebook 02 executed headless: same run, same files."""
    from fault_nb.cli import main

    monkeypatch.setenv("FAULT_NB_SHARED", str(shared))
    monkeypatch.setenv("FAULT_NB_LOAD_SCALE", "0.1")
    out = tmp_path / "out"
    assert main(["demo", "--out", str(out), "--timeout", "240"]) == 0
    printed = capsys.readouterr().out
    assert str(out / "code-review-report.md") in printed
    nb = nbformat.read(out / "02-code-review.ipynb", as_version=4)
    report = (out / "code-review-report.md").read_text()
    assert "```diff" in report and "read_user_users__user_id__get" in report
    assert "rules reviewer" in report.lower()  # no LLM configured: labelled as such
    assert "| " in (out / "report.md").read_text()  # fault's report.md tables
    # the one-endpoint review renders as Markdown in the saved notebook
    assert any("```diff" in md for md in outputs(nb, "text/markdown"))
    panel = [o for c in nb.cells for o in c.get("outputs", [])
             if "ReviewPanel:" in "".join(o.get("data", {}).get("text/plain", ""))]
    assert panel and "Offline rules reviewer" in "".join(panel[0]["data"]["text/html"])


@pytest.mark.slow
def test_03_dependencies(run_nb):
    nb, out = run_nb("03-dependencies.ipynb", timeout=240)
    plain = "\n".join(outputs(nb, "text/plain"))
    # the last cell proves every process was stopped
    assert "inventory: False | orders: False | proxy: False" in plain
    md = "\n".join(outputs(nb, "text/markdown"))
    assert "```diff" in md and "timeout" in md.lower()
    assert (out / "report.md").is_file()
    # the review evidence names the dependency's fault (not "none") and shows failures and 5xx
    assert "| inventory: httperror + latency |" in md
    assert "| failed | transport errors | timeouts | 5xx |" in md


def test_failing_cell_fails_with_the_cell_error(tmp_path):
    from fault_nb.demo import run_notebook

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                         nbformat.v4.new_code_cell("raise ValueError('boom in cell 2')"),
                                         nbformat.v4.new_code_cell("never = True")])
    path = tmp_path / "bad.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(FaultNbError, match="ValueError: boom in cell 2"):
        run_notebook(path, out=tmp_path / "executed.ipynb", progress=False, timeout=60)
    executed = json.loads((tmp_path / "executed.ipynb").read_text())
    assert executed["cells"][1]["outputs"][0]["ename"] == "ValueError"
    assert executed["cells"][2]["outputs"] == []


def test_demo_without_notebook_is_a_clear_error(monkeypatch, tmp_path):
    from fault_nb import demo

    monkeypatch.setattr(demo, "REPO", tmp_path)
    with pytest.raises(FaultNbError, match="notebook not found"):
        demo.notebook_path()
