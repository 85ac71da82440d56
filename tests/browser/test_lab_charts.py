"""JupyterLab, notebook 01: charts live from the first render, readable (plot-area share, no overlapping
or clipped labels, no clipped legend), following the dark theme, no CDN; the explorer's table sorts,
searches, filters by fault checkboxes, explains an empty selection and resets."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pagecheck import KERNEL_IDLE, chart_geometry, clipped_html_text, clipped_labels, overlapping_labels, widget_errors

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.slow]

INFO = "() => { const i = document.querySelector('.fnb-results-explorer .dt-info'); "
#: the plot area (all subplots) must keep at least this share of each chart's box
MIN_PLOT_SHARE = 0.40


def _luminance(css_color: str) -> float:
    nums = [float(v) for v in css_color[css_color.index("(") + 1:css_color.index(")")].split(",")[:3]]
    return (0.2126 * nums[0] + 0.7152 * nums[1] + 0.0722 * nums[2]) / 255.0


def _check_charts(charts: list[dict], label: str) -> dict[str, float]:
    shares = {}
    for chart in charts:
        name = chart["title"] or "?"
        shares[name] = round(chart["share"], 3)
        assert chart["share"] >= MIN_PLOT_SHARE, f"{label} {name}: plot area is {chart['share']:.0%} of the chart"
        assert not overlapping_labels(chart), f"{label} {name}: overlapping labels {overlapping_labels(chart)[:5]}"
        assert not clipped_labels(chart), f"{label} {name}: clipped labels {clipped_labels(chart)[:5]}"
        assert not chart["legendScroll"], f"{label} {name}: the legend is cut behind a scrollbar"
    return shares


def test_lab_notebook_01_charts_and_table(lab, page):
    page.goto(f"{lab.url}/lab/tree/01-explore-results.ipynb?token={lab.token}", timeout=120_000)
    try:
        page.wait_for_function(KERNEL_IDLE, timeout=120_000)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.locator(".fnb-results-explorer").wait_for(timeout=240_000)
        page.wait_for_function(KERNEL_IDLE, timeout=240_000)
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 6",
                               timeout=120_000)

        # live from the first render: no picture stands in for a chart until the first mouse-over
        pictures = page.locator(".jp-RenderedPlotly img.plot-img")
        for i in range(pictures.count()):
            assert not pictures.nth(i).is_visible(), "a static PNG is shown where the live chart should be"
        plots = page.locator(".jp-RenderedPlotly")
        assert plots.count() >= 6
        before = [plots.nth(i).bounding_box()["height"] for i in range(plots.count())]
        for i in range(plots.count()):  # hovering must not swap or resize anything (no page jump)
            plots.nth(i).scroll_into_view_if_needed()
            plots.nth(i).hover()
        time.sleep(0.5)
        after = [plots.nth(i).bounding_box()["height"] for i in range(plots.count())]
        assert all(abs(a - b) < 2 for a, b in zip(before, after)), (before, after)

        charts = chart_geometry(page)
        shares = _check_charts(charts, "light")
        (ARTIFACTS / "lab-01-plot-shares.json").write_text(json.dumps(shares, indent=1))
        for i in range(min(3, plots.count())):
            plots.nth(i).scroll_into_view_if_needed()
            plots.nth(i).screenshot(path=str(ARTIFACTS / f"lab-01-chart-{i + 1}-light.png"))
        fills = {t["fill"] for c in charts for t in c["texts"]}
        assert fills and all(_luminance(f) < 0.5 for f in fills if f.startswith("rgb")), fills  # dark text on light

        _check_table(page)

        page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
        page.wait_for_function("document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
        time.sleep(1.0)
        dark = chart_geometry(page)
        _check_charts(dark, "dark")
        fills = {t["fill"] for c in dark for t in c["texts"]}
        assert fills and all(_luminance(f) > 0.5 for f in fills if f.startswith("rgb")), fills  # light on dark
        for i in range(min(3, plots.count())):
            plots.nth(i).scroll_into_view_if_needed()
            plots.nth(i).screenshot(path=str(ARTIFACTS / f"lab-01-chart-{i + 1}-dark.png"))
        table = page.locator(".fnb-results-explorer .dt-container")
        table.scroll_into_view_if_needed()
        table.screenshot(path=str(ARTIFACTS / "lab-01-table-dark.png"))

        assert not widget_errors(page)
        # offline: nothing was fetched from another host (plotly.js comes with the lab extension)
        assert not page.outside_requests, page.outside_requests
    finally:
        page.evaluate("window.jupyterapp && window.jupyterapp.commands.execute("
                      "'apputils:change-theme', {theme: 'JupyterLab Light'})")
        page.screenshot(path=str(ARTIFACTS / "lab-01.png"))


def _rows(table) -> list[list[str]]:
    return table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.querySelectorAll('td')).map(td => td.textContent))")


def _check_table(page) -> None:
    explorer = page.locator(".fnb-results-explorer")
    explorer.scroll_into_view_if_needed()
    table = explorer.locator(".dt-scroll-body table")
    try:
        table.locator("tbody tr").first.wait_for(timeout=60_000)
    except Exception:
        (ARTIFACTS / "lab-01-explorer-dom.html").write_text(explorer.inner_html())
        raise
    info = explorer.locator(".dt-info")
    assert "of 63 entries" in info.inner_text()
    headers = explorer.locator(".dt-scroll-head th, table.dataTable thead th").all_inner_texts()
    for header in ("Scenario", "Endpoint", "Faults", "HTTP status", "Total time (ms)", "Failed", "Expectation"):
        assert header in [h.strip() for h in headers], headers
    assert not any("_" in h for h in headers), headers  # no snake_case
    names = [h.strip() for h in explorer.locator(".dt-scroll-head th").all_inner_texts()] or headers
    total_col = names.index("Total time (ms)")
    fault_col = names.index("Faults")
    rows = _rows(table)
    assert len(rows) == 15  # a page of 15, not 4 squeezed rows
    assert all("(" not in r[fault_col] for r in rows)
    assert all(len(r[total_col].split(".")[-1]) == 1 for r in rows if r[total_col])  # one decimal
    frame = explorer.locator(".dt-container")  # the table with its header, search box and pager
    # the search box and the pager sit inside the visible box, not off to the right of a too-wide container
    box = explorer.bounding_box()
    for control in (".dt-search input", ".dt-paging", ".dt-info", ".dt-scroll-body"):
        b = explorer.locator(control).first.bounding_box()
        assert b is not None and b["x"] >= box["x"] - 1 and b["x"] + b["width"] <= box["x"] + box["width"] + 1, \
            (control, b, box)
    (frame.first if frame.count() else explorer).screenshot(path=str(ARTIFACTS / "lab-01-explorer-table.png"))

    # sortable: click the header, the numbers come in order (numerically, not as text)
    explorer.locator(".dt-scroll-head th", has_text="Total time (ms)").click()
    time.sleep(0.3)
    values = [float(r[total_col]) for r in _rows(table) if r[total_col]]
    assert values == sorted(values) and values
    explorer.locator(".dt-scroll-head th", has_text="Total time (ms)").click()
    time.sleep(0.3)
    values = [float(r[total_col]) for r in _rows(table) if r[total_col]]
    assert values == sorted(values, reverse=True)

    # every column is reachable: the table scrolls sideways to its last column
    body = explorer.locator(".dt-scroll-body")
    assert body.evaluate("b => b.scrollWidth > b.clientWidth"), "the rows should scroll sideways, not the page"
    body.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
    try:  # DataTables moves the header along on the body's scroll event
        page.wait_for_function("""() => {
            const b = document.querySelector('.fnb-results-explorer .dt-scroll-body');
            const last = b.parentElement.querySelectorAll('.dt-scroll-head th');
            const th = last[last.length - 1].getBoundingClientRect(), box = b.getBoundingClientRect();
            const td = b.querySelector('tbody tr td:last-child').getBoundingClientRect();
            return th.right <= box.right + 2 && th.left >= box.left - 2 && td.right <= box.right + 2; }""",
                               timeout=10_000)
    except Exception as exc:
        raise AssertionError("the last column cannot be scrolled into view") from exc
    body.evaluate("b => { b.scrollLeft = 0; }")

    # the table's own search
    search = explorer.locator(".dt-search input")
    search.fill("packetloss")
    page.wait_for_function(INFO + "return !!i && i.innerText.includes('filtered from 63'); }", timeout=10_000)
    assert "latency + packetloss" in {r[fault_col] for r in _rows(table)}  # fault types read as words
    search.fill("")

    # fault checkboxes: tick blackhole, then pick the first scenario (no blackhole): an empty state that says what to do
    explorer.locator(".fnb-faults label", has_text="blackhole").click()
    page.wait_for_function(INFO + "return !!i && i.innerText.includes('entries') && "
                           "!i.innerText.includes('of 63 entries'); }", timeout=20_000)
    explorer.locator("select").first.select_option(index=1)
    empty = explorer.locator(".fnb-empty")
    empty.wait_for(timeout=20_000)
    assert "clear the fault boxes" in empty.inner_text() and "Reset filters" in empty.inner_text()
    expect(explorer.locator(".dt-container")).to_be_hidden(timeout=10_000)  # no bare header row
    explorer.screenshot(path=str(ARTIFACTS / "lab-01-explorer-empty.png"))
    explorer.locator("button.fnb-reset").click()
    page.wait_for_function("() => { const i = document.querySelector('.fnb-results-explorer .dt-info');"
                           " return i && i.offsetParent && i.innerText.includes('of 63 entries'); }", timeout=20_000)
    assert not clipped_html_text(page, ".fnb-results-explorer")
