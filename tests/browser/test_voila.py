"""Voilà renders notebook 01 as a dashboard and the explorer's filters work in the browser."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from pagecheck import render_cell, chart_geometry, clipped_labels, overlapping_labels, widget_errors

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser


def test_voila_renders_the_explorer(voila, page):
    page.goto(f"{voila.url}/voila/render/01-explore-results.ipynb?token={voila.token}", timeout=120_000)
    explorer = page.locator(".fnb-results-explorer")
    try:
        explorer.wait_for(timeout=120_000)
        summary = explorer.locator(".widget-html-content", has_text="requests").first
        info = explorer.locator(".dt-info")
        info.wait_for(timeout=60_000)
        total = int(re.search(r"of (\d+) requests", summary.inner_text()).group(1))
        assert f"of {total} entries" in info.inner_text()  # every request is in the table
        # plotly charts rendered inside the explorer's Output widgets
        explorer.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
        # filter on one endpoint: the table follows
        endpoint = explorer.locator("select").nth(1)
        endpoint.select_option(label="create_user_users__post [POST http://localhost:9090/users/]")
        page.wait_for_function(
            "n => { const i = document.querySelector('.fnb-results-explorer .dt-info');"
            " return !!i && !i.innerText.includes('of ' + n + ' entries'); }", arg=total, timeout=30_000)
        cells = explorer.locator(".dt-scroll-body table tbody tr td:nth-child(2)").all_inner_texts()
        assert cells and set(cells) == {"create_user_users__post"}
        assert f"of {total} requests" in summary.inner_text()
        assert not widget_errors(page)
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
        # the tqdm bars of the notebook's cells ended as text: no "model not found" anywhere
        assert not widget_errors(page), widget_errors(page)
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
    render_cell(voila, page, "xss", XSS_CELL)
    viewer = page.locator(".fnb-diffviewer")
    viewer.wait_for(timeout=120_000)
    page.wait_for_timeout(500)
    assert viewer.locator("img, script, b").count() == 0
    assert page.evaluate("window.__pwned") is None
    title = viewer.locator(".fnb-title").inner_text()
    assert title.startswith("1. <img src=x onerror=")
    assert viewer.locator(".fnb-line.fnb-add .fnb-code").inner_text().startswith("+x = '<img src=x")
    viewer.screenshot(path=str(ARTIFACTS / "voila-xss-escaped.png"))


VIEWER_CELL = r'''
from fault_nb.review import Review, Suggestion
from fault_nb.ui import DiffViewer

diff = "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n-x = 1\n+x = 2\n ok = True\n"
sugg = [Suggestion(id=f"s{i}", title=f"Make `handler_{i}` a plain `def`", rationale="why " * 30,
                   evidence=["E1"], file="app.py", diff=diff * 3) for i in range(1, 5)]
viewer = DiffViewer(Review(operation_id="op", method="GET", url="http://h/", evidence={}, suggestions=sugg,
                           provenance={"label": "Offline rules reviewer"}))
viewer.included = ["s1", "s2", "s4"]
viewer.applied = ["s1"]
viewer
'''


def test_diffviewer_details_in_the_browser(voila, page):
    """Code spans in titles, collapsed cards, dimmed unticked cards, applied marks, counts."""
    render_cell(voila, page, "viewer", VIEWER_CELL)
    viewer = page.locator(".fnb-diffviewer")
    viewer.locator(".fnb-suggestion").first.wait_for(timeout=120_000)
    try:
        cards = viewer.locator(".fnb-suggestion")
        assert cards.count() == 4
        # code spans: <code> elements holding text, no backticks left
        codes = cards.first.locator(".fnb-title code.fnb-title-code").all_inner_texts()
        assert codes == ["handler_1", "def"] and "`" not in cards.first.locator(".fnb-title").inner_text()
        # four cards: the first open, the others collapsed, so the list stays short
        assert not cards.first.locator(".fnb-body").is_hidden()
        assert all(cards.nth(i).locator(".fnb-body").is_hidden() for i in range(1, 4))
        assert viewer.bounding_box()["height"] < 900
        # unticked: dimmed; applied: marked
        opacity = cards.nth(2).evaluate("e => parseFloat(getComputedStyle(e).opacity)")
        assert opacity < 0.7 and cards.nth(0).evaluate("e => parseFloat(getComputedStyle(e).opacity)") == 1.0
        assert cards.nth(0).locator(".fnb-badge-applied").is_visible()
        assert not cards.nth(1).locator(".fnb-badge-applied").is_visible()
        assert "3 of 4 ticked" in viewer.locator(".fnb-count").inner_text()
        assert "1 applied" in viewer.locator(".fnb-count").inner_text()
        viewer.screenshot(path=str(ARTIFACTS / "voila-diffviewer-collapsed.png"))
        # expand one, expand all, collapse all
        cards.nth(1).locator(".fnb-toggle").click()
        assert not cards.nth(1).locator(".fnb-body").is_hidden()
        viewer.locator("button.fnb-expand-all").click()
        assert all(not cards.nth(i).locator(".fnb-body").is_hidden() for i in range(4))
        assert viewer.locator("button.fnb-expand-all").is_disabled()
        viewer.locator("button.fnb-collapse-all").click()
        assert all(cards.nth(i).locator(".fnb-body").is_hidden() for i in range(4))
        # ticking in the browser un-dims the card and updates the count
        cards.nth(2).locator("input.fnb-include").check()
        page.wait_for_function("() => document.querySelector('.fnb-count').innerText.startsWith('4 of 4')",
                               timeout=10_000)
        assert cards.nth(2).evaluate("e => parseFloat(getComputedStyle(e).opacity)") == 1.0
        assert not widget_errors(page)
    finally:
        viewer.screenshot(path=str(ARTIFACTS / "voila-diffviewer.png"))


@pytest.mark.slow
def test_voila_opens_on_the_review_dashboard(voila, page):
    """dashboard.ipynb: the page shows at once, says what it is loading, then has results, picker,
    review panel and charts above the fold, with no widget error and nothing fetched from outside."""
    import time

    started = time.monotonic()
    page.goto(f"{voila.url}/voila/render/dashboard.ipynb?token={voila.token}", timeout=240_000)
    dash = page.locator(".fnb-dashboard")
    try:
        dash.wait_for(timeout=240_000)
        shown_after = time.monotonic() - started
        steps = set()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:  # the header says what is being done, step by step
            text = dash.locator(".fnb-dash-progress").inner_text()
            steps.add(text)
            if text.startswith("Ready:") or "Stopped" in text:
                break
            time.sleep(0.25)
        ready_after = time.monotonic() - started
        (ARTIFACTS / "voila-dashboard-timing.txt").write_text(
            f"page shown after {shown_after:.1f} s, ready after {ready_after:.1f} s\nsteps seen:\n"
            + "\n".join(sorted(steps)) + "\n")
        final = dash.locator(".fnb-dash-progress").inner_text()
        assert final.startswith("Ready:"), final
        assert len(steps) >= 2, steps  # at least one detailed step before "Ready"
        panel = dash.locator(".fnb-review-panel")
        explorer = dash.locator(".fnb-results-explorer")
        panel.locator(".fnb-diffviewer .fnb-suggestion").first.wait_for(timeout=60_000)
        explorer.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=60_000)
        fold = page.viewport_size["height"]
        for name, loc in (("picker", panel.locator("select").first), ("review panel", panel),
                          ("results summary", explorer.locator(".widget-html-content", has_text="requests").first),
                          ("first chart", explorer.locator(".js-plotly-plot").first)):
            box = loc.bounding_box()
            assert box is not None and box["y"] < fold, f"{name} starts below the fold at {box}"
        for chart in chart_geometry(page, ".fnb-results-explorer"):
            assert not overlapping_labels(chart) and not clipped_labels(chart), chart["title"]
        assert "HandlerMatch(" not in page.inner_text("body")
        assert not widget_errors(page), widget_errors(page)
        # Voila's own page template links Font Awesome from a CDN (its button icons); nothing of ours does
        ours = [u for u in page.outside_requests if "fontawesome" not in u]
        assert not ours, ours
    finally:
        page.screenshot(path=str(ARTIFACTS / "voila-dashboard.png"))
