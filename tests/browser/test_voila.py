"""Voilà renders notebook 01 as a dashboard and the explorer's filters work in the browser."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser


def test_voila_renders_the_explorer(voila, page):
    page.goto(f"{voila.url}/voila/render/01-explore-results.ipynb?token={voila.token}", timeout=120_000)
    explorer = page.locator(".fnb-results-explorer")
    try:
        explorer.wait_for(timeout=120_000)
        summary = explorer.locator(".widget-html-content", has_text="requests").first
        page.wait_for_function("document.querySelectorAll('.fnb-results-explorer table.fnb-runs tbody tr').length > 0")
        total = int(re.search(r"of (\d+) requests", summary.inner_text()).group(1))
        rows = explorer.locator("table.fnb-runs tbody tr")
        assert rows.count() == total
        # plotly charts rendered inside the explorer's Output widgets
        explorer.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
        # filter on one endpoint: the table follows
        endpoint = explorer.locator("select").nth(1)
        endpoint.select_option(label="create_user_users__post [POST http://localhost:9090/users/]")
        page.wait_for_function(
            "n => document.querySelectorAll('.fnb-results-explorer table.fnb-runs tbody tr').length < n",
            arg=total, timeout=30_000)
        cells = explorer.locator("table.fnb-runs tbody tr td:nth-child(2)").all_inner_texts()
        assert cells and set(cells) == {"create_user_users__post"}
        assert f"of {total} requests" in summary.inner_text()
    finally:
        page.screenshot(path=str(ARTIFACTS / "voila-page.png"))
        if explorer.count():
            explorer.screenshot(path=str(ARTIFACTS / "voila-explorer.png"))


@pytest.mark.slow
def test_voila_review_dashboard(voila, page):
    """Notebook 02 as a Voilà dashboard: the ReviewPanel reviews an endpoint in the browser."""
    page.goto(f"{voila.url}/voila/render/02-code-review.ipynb?token={voila.token}", timeout=240_000)
    panel = page.locator(".fnb-review-panel")
    try:
        panel.wait_for(timeout=240_000)
        picker = panel.locator("select").first
        options = picker.evaluate("s => Array.from(s.options).map(o => o.textContent)")
        picker.select_option(index=next(i for i, o in enumerate(options) if o.startswith("create_user_users__post")))
        panel.locator("button.fnb-review").click()
        panel.locator(".fnb-diffviewer .fnb-line.fnb-add").first.wait_for(timeout=60_000)
        assert panel.locator(".fnb-diffviewer .fnb-suggestion").count() >= 1
        assert "Offline rules reviewer" in panel.inner_text()
    finally:
        page.screenshot(path=str(ARTIFACTS / "voila-02-page.png"))
        if panel.count():
            panel.screenshot(path=str(ARTIFACTS / "voila-review-panel.png"))


XSS_CELL = r'''
from fault_nb.review import Review, Suggestion
from fault_nb.ui import DiffViewer

XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
diff = "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n-x = '<b>old</b>'\n+x = '" + XSS + "'\n ok = True\n"
DiffViewer(Review(operation_id="op", method="GET", url="http://h/" + XSS, evidence={},
                  suggestions=[Suggestion(id="s1", title=XSS, rationale=XSS, evidence=[XSS], diff=diff)],
                  provenance={"label": XSS}))
'''


def test_model_text_never_becomes_markup_in_the_browser(voila, page):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(XSS_CELL)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, voila.root / "xss.ipynb")
    page.goto(f"{voila.url}/voila/render/xss.ipynb?token={voila.token}", timeout=120_000)
    viewer = page.locator(".fnb-diffviewer")
    viewer.wait_for(timeout=120_000)
    page.wait_for_timeout(500)
    assert viewer.locator("img, script, b").count() == 0
    assert page.evaluate("window.__pwned") is None
    title = viewer.locator(".fnb-title").inner_text()
    assert title.startswith("1. <img src=x onerror=")
    assert viewer.locator(".fnb-line.fnb-add .fnb-code").inner_text().startswith("+x = '<img src=x")
    viewer.screenshot(path=str(ARTIFACTS / "voila-xss-escaped.png"))
