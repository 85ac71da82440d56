"""The review dashboard: built in the background, every part on screen, errors shown not raised."""
from __future__ import annotations

import pytest

pytest.importorskip("ipywidgets")

from fault_nb.ui import Dashboard  # noqa: E402
from fault_nb.ui.explorer import ResultsExplorer  # noqa: E402
from fault_nb.ui.panel import ReviewPanel  # noqa: E402

pytestmark = pytest.mark.slow


def test_dashboard_loads_results_panel_and_charts(tmp_path, shared):
    dash = Dashboard.demo(out_dir=tmp_path / "out", copy_to=tmp_path / "work", start=False)
    steps: list[str] = []
    dash.step.observe(lambda change: steps.append(change["new"]), names="value")
    dash.start()
    assert dash.wait(240), "the dashboard did not finish loading"
    # every step is said, the review one per endpoint
    assert any("Reviewed 3 of 3 endpoints" in s for s in steps), steps
    assert any("offline rules reviewer (no LLM)" in s for s in steps), steps
    assert dash.error is None
    assert isinstance(dash.layout_widget.left_sidebar, ReviewPanel)
    assert isinstance(dash.layout_widget.center, ResultsExplorer)
    explorer = dash.explorer
    kids = list(explorer.children)
    assert kids.index(explorer.chart_box) < kids.index(explorer.table_box)  # charts above the table
    assert len(explorer.figures) == 3
    assert dash.progress.value == dash.progress.max and dash.progress.bar_style == "success"
    assert "Ready: 63 requests, 3 endpoints reviewed" in dash.step.value
    # the panel opens on a reviewed endpoint: nothing to press before the first diff shows
    assert dash.panel.review is not None
    assert (tmp_path / "work" / "webapp").is_dir()  # reviews and Apply work on the copy


def test_dashboard_says_what_failed(tmp_path):
    bad = tmp_path / "results.json"
    bad.write_text('{"start": 0, "end": 0, "results": [{"scenario": 3}]}')
    dash = Dashboard(bad, tmp_path, out_dir=tmp_path / "out").load()
    assert dash.ready.is_set() and dash.error
    assert "The dashboard could not load" in dash.problem.value and "results.json" in dash.problem.value
    assert dash.progress.bar_style == "danger"
