"""JupyterLab: run notebook 02, review an endpoint from the panel, check the diffs in the
DOM, untick one, export, and find the same diffs in the exported file."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from pagecheck import KERNEL_IDLE
from playwright.sync_api import expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ENDPOINT = "create_user_users__post"  # the rules reviewer finds two changes there


def _wait_file(path: Path, newer_than: float, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and path.stat().st_mtime >= newer_than:
            return path.read_text()
        time.sleep(0.2)
    raise AssertionError(f"{path} was not written")


def test_lab_review_panel_end_to_end(lab, page):
    out = Path(lab.root).parent / "out"
    page.goto(f"{lab.url}/lab/tree/02-code-review.ipynb?token={lab.token}", timeout=120_000)
    try:
        page.wait_for_function(KERNEL_IDLE, timeout=120_000)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        panel = page.locator(".fnb-review-panel")
        panel.wait_for(timeout=240_000)
        page.wait_for_function(KERNEL_IDLE, timeout=240_000)
        assert "Offline rules reviewer" in panel.locator(".fnb-reviewer").inner_text()

        picker = panel.locator("select").first
        options = picker.evaluate("s => Array.from(s.options).map(o => o.textContent)")
        # ipywidgets shows the labels with non-breaking spaces
        index = next(i for i, o in enumerate(options) if o.replace("\xa0", " ").startswith(ENDPOINT + " ["))
        picker.select_option(index=index)
        panel.locator("button.fnb-review").click()
        added = panel.locator(".fnb-diffviewer .fnb-line.fnb-add .fnb-code")
        added.first.wait_for(timeout=60_000)
        cards = panel.locator(".fnb-diffviewer .fnb-suggestion")
        assert cards.count() >= 1
        dom_added = [t for t in added.all_inner_texts() if t.strip("+ ")]
        assert dom_added and all(t.startswith("+") for t in dom_added)
        panel.locator(".fnb-diffviewer").screenshot(path=str(ARTIFACTS / "lab-diffviewer-light.png"))

        started = time.time()
        panel.locator("button.fnb-export-md").click()
        report = _wait_file(out / f"code-review-{ENDPOINT}.md", started)  # named after the endpoint
        for line in dom_added:
            assert line in report, f"{line!r} is on screen but not in the export"
        expect(panel).to_contain_text("Wrote", timeout=30_000)  # the panel says where the file went

        # untick the first suggestion in the browser: the next export leaves its diff out
        def added_lines(card):
            return [t for t in card.locator(".fnb-line.fnb-add .fnb-code").all_inner_texts() if t.strip("+ ")]

        first_only = set(added_lines(cards.first))
        for i in range(1, cards.count()):
            first_only -= set(added_lines(cards.nth(i)))
        assert first_only, "the first suggestion should add lines of its own"
        cards.first.locator("input.fnb-include").uncheck()
        time.sleep(1.0)  # the trait change travels to the kernel ...
        page.wait_for_function(KERNEL_IDLE, timeout=60_000)  # ... which has handled it (a busy one takes longer)
        started = time.time()
        panel.locator("button.fnb-export-md").click()
        report2 = _wait_file(out / f"code-review-{ENDPOINT}-2.md", started)  # the first export is kept
        assert not any(line in report2 for line in first_only)
        assert any(line in report2 for line in dom_added if line not in first_only) or cards.count() == 1

        page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
        page.wait_for_function("document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
        time.sleep(0.5)
        panel.locator(".fnb-diffviewer").screenshot(path=str(ARTIFACTS / "lab-diffviewer-dark.png"))
        add_bg = added.first.evaluate("e => getComputedStyle(e.parentElement).backgroundColor")
        del_rows = panel.locator(".fnb-diffviewer .fnb-line.fnb-del")
        if del_rows.count():
            del_bg = del_rows.first.evaluate("e => getComputedStyle(e).backgroundColor")
            assert add_bg != del_bg
        assert add_bg not in ("rgba(0, 0, 0, 0)", "transparent")
    finally:
        page.screenshot(path=str(ARTIFACTS / "lab-02.png"))
