"""ReviewPanel's Verify action: the real loop in a background thread, progress, chart, verdict marks."""
from __future__ import annotations

import pytest
from _orders import STOCK, orders_app_spec, orders_scenarios, tree_digest

pytest.importorskip("ipywidgets")

from fault_nb.ui import ReviewPanel  # noqa: E402
from fault_nb.verify import AppSpec  # noqa: E402

XSS = '<img src=x onerror="alert(1)">'


def _panel(orders_reviews, user_tree, inventory, tmp_path, app):
    reviews, _, results = orders_reviews
    panel = ReviewPanel(results, None, source_dir=user_tree, out_dir=tmp_path / "out", reviews=reviews,
                        scenarios=orders_scenarios(inventory.url, endpoints=(STOCK,), duration="1s", rps=10),
                        app=app, dependencies={"INVENTORY_URL": inventory.url}, seed=2)
    panel.picker.value = STOCK
    return panel


@pytest.mark.slow
def test_verify_runs_in_the_background_and_marks_the_diffs(orders_reviews, user_tree, inventory, tmp_path):
    panel = _panel(orders_reviews, user_tree, inventory, tmp_path, orders_app_spec())
    assert not panel.verify_button.disabled and panel.cancel_button.disabled
    panel.viewer.included = ["s1", "s2"]
    before = tree_digest(user_tree)
    events = []
    panel.verify_progress.observe(lambda ch: events.append(ch["new"]), names="value")
    panel.runs.value = 1
    panel.verify_button.click()
    assert panel.wait_verify(300)
    assert panel.error.value == "", panel.error.value
    v = panel.verification
    assert v is not None and {x.key for x in v.verdicts} == {f"{STOCK}:s1", f"{STOCK}:s2"}
    assert events and max(events) == panel.verify_progress.max  # the bar moved to the end
    assert set(panel.viewer.verdicts) == {"s1", "s2"}  # the diff viewer marks each suggestion
    assert "measured:" in panel.viewer.to_text()
    assert "fnb-verdict" in panel.verify_table.value
    assert panel.verify_chart.outputs and "application/vnd.plotly.v1+json" in panel.verify_chart.outputs[0]["data"]
    assert panel.verify_button.disabled is False and panel.cancel_button.disabled
    assert tree_digest(user_tree) == before


def test_verify_errors_show_as_escaped_boxes(orders_reviews, user_tree, inventory, tmp_path):
    panel = _panel(orders_reviews, user_tree, inventory, tmp_path, AppSpec(f"no-such-{XSS} --port {{port}}"))
    panel.verify(background=False)
    assert "Verify failed" in panel.error.value and "app command not found" in panel.error.value
    assert XSS not in panel.error.value and "&lt;img" in panel.error.value
    assert panel.verification is None and not panel.verify_button.disabled


def test_verify_is_hidden_without_scenarios_and_app(orders_reviews, tmp_path):
    reviews, tree, results = orders_reviews
    panel = ReviewPanel(results, None, source_dir=tree, out_dir=tmp_path, reviews=reviews)
    assert panel.verify_button.disabled
    assert panel.children[-4].layout.display == "none"
    panel.verify()
    assert "needs" in panel.verify_status.value
