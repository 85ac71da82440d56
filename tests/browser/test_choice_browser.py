"""Voilà, as a user clicks: what you tick is what you get (issue 13 item 1) and exports never
overwrite without a choice, with a link to the written file (item 3)."""
from __future__ import annotations

import ast
import base64
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NEEDS_CELL = r'''
from fault_nb.review import Review, Suggestion
from fault_nb.ui import DiffViewer

def diff(old, new):
    return f"--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-{old}\n+{new}\n"

DiffViewer(Review(operation_id="op", method="GET", url="http://h/", suggestions=[
    Suggestion(id="s1", title="Add a timeout", diff=diff("a", "b")),
    Suggestion(id="s2", title="Map the errors", diff=diff("b", "c"), dependencies=["s1"]),
    Suggestion(id="s3", title="Name the service", diff=diff("x", "y"))]))
'''


def _notebook(root: Path, name: str, source: str) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / name)


def test_a_prerequisite_is_named_and_follows_the_ticks(voila, page):
    _notebook(voila.root, "needs.ipynb", NEEDS_CELL)
    page.goto(f"{voila.url}/voila/render/needs.ipynb?token={voila.token}", timeout=120_000)
    viewer = page.locator(".fnb-diffviewer")
    try:
        viewer.wait_for(timeout=120_000)
        cards = viewer.locator(".fnb-suggestion")
        s1, s2, s3 = (cards.nth(i) for i in range(3))
        assert s2.locator(".fnb-needs").inner_text() == "needs s1"
        assert s1.locator(".fnb-needs").count() == 0 and s3.locator(".fnb-needs").count() == 0
        s1.locator("input.fnb-include").uncheck()  # unticking the prerequisite unticks s2, and says so
        page.wait_for_function("() => !!document.querySelector('.fnb-note:not([hidden])')", timeout=30_000)
        assert viewer.locator(".fnb-note").inner_text() == "s2 needs s1: unticked too."
        assert not s2.locator("input.fnb-include").is_checked()
        assert viewer.locator(".fnb-suggestion").nth(2).locator("input.fnb-include").is_checked()
        viewer.locator(".fnb-suggestion").nth(1).locator("input.fnb-include").check()  # ticking s2 ticks s1
        page.wait_for_function(
            "() => (document.querySelector('.fnb-note:not([hidden])') || {}).textContent === 's2 needs s1: it is ticked too.'",
            timeout=30_000)
        assert viewer.locator(".fnb-suggestion").first.locator("input.fnb-include").is_checked()
        viewer.screenshot(path=str(ARTIFACTS / "voila-needs-s1.png"))
    finally:
        page.screenshot(path=str(ARTIFACTS / "voila-needs-page.png"))


@pytest.mark.timeout(1500)  # inner limits: Voila start 90 s, goto + panel 2 x 480 s, waits 60 + 4 x 30 s
def test_untick_s1_export_and_apply_write_exactly_s2(voila, page):
    """Notebook 02 in Voilà: create_user, untick s1 (rollback), keep s2 (plain def), export, Apply."""
    out = Path(voila.root).parent / "out"
    whole = out / "code-review-report.md"
    page.goto(f"{voila.url}/voila/render/02-code-review.ipynb?token={voila.token}", timeout=480_000)
    panel = page.locator(".fnb-review-panel")
    try:
        panel.wait_for(timeout=480_000)  # the whole notebook runs first (slow on a loaded machine)
        step7 = whole.read_text()  # the three-endpoint report the notebook wrote
        picker = panel.locator("select").first
        options = picker.evaluate("s => Array.from(s.options).map(o => o.textContent)")
        picker.select_option(index=next(i for i, o in enumerate(options) if o.startswith("create_user_users__post")))
        panel.locator("button.fnb-review").click()
        cards = panel.locator(".fnb-diffviewer .fnb-suggestion")
        panel.locator(".fnb-diffviewer .fnb-line.fnb-add").first.wait_for(timeout=60_000)
        assert cards.count() == 2 and "db.rollback" in cards.first.inner_text()
        assert panel.locator(".fnb-needs").count() == 0  # s2 does not need s1
        cards.first.locator("input.fnb-include").uncheck()
        # s2's card is recomputed without s1: neither its diff nor its rationale mention the rollback
        expect(cards.nth(1)).not_to_contain_text("db.rollback", timeout=30_000)
        s2_added = [t[1:] for t in cards.nth(1).locator(".fnb-line.fnb-add .fnb-code").all_inner_texts()]
        assert s2_added == ["def create_user("]

        started = time.time()
        panel.locator("button.fnb-export-md").click()
        link = panel.locator("a.fnb-download")
        link.wait_for(timeout=30_000)
        name = "code-review-create_user_users__post.md"
        assert link.get_attribute("download") == name
        exported = base64.b64decode(link.get_attribute("href").split(",", 1)[1]).decode()
        assert (out / name).read_text() == exported and (out / name).stat().st_mtime >= started - 1
        assert "db.rollback" not in exported and "+def create_user(" in exported
        assert whole.read_text() == step7  # the whole report keeps its own file
        with page.expect_download(timeout=30_000) as dl:
            link.click()
        assert Path(dl.value.path()).read_text() == exported

        panel.locator("button.fnb-apply").click()
        applied = panel.locator("text=Applied 1 change(s)")
        applied.wait_for(timeout=30_000)
        where = re.search(r"in (\S+)\. Undo", panel.inner_text().replace("\xa0", " "))
        source = Path(where.group(1)) / "app.py"
        text = source.read_text()
        ast.parse(text)
        assert "db.rollback()" not in text and "\ndef create_user(" in text and "async def create_user(" not in text
        panel.screenshot(path=str(ARTIFACTS / "voila-untick-s1-apply.png"))
        panel.locator("button.fnb-undo").click()
    finally:
        page.screenshot(path=str(ARTIFACTS / "voila-untick-s1-page.png"))
