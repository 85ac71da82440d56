"""Verification views: verdict aggregation, the export's "Measured effect", DiffViewer marks, escaping."""
from __future__ import annotations

import pytest

from fault_nb.review import Review, Suggestion
from fault_nb.verify.verification import SuggestionVerdict, Variant, Verification, describe_row, verdict_of

XSS = "<script>alert(1)</script>"


def _row(metric, verdict, before, after, unit):
    return {"operation_id": "create_order_orders_post", "fault": "latency", "metric": metric, "unit": unit,
            "before": before, "after": after, "delta": after - before, "ci_low": after - before - 10,
            "ci_high": after - before + 10, "n_before": 120, "n_after": 120, "verdict": verdict, "note": ""}


def test_verdicts_sum_up_rows():
    p99 = _row("p99_ms", "improved", 2100.0, 600.0, "ms")
    fives = _row("http_5xx_rate", "regressed", 0.0, 100.0, "%")
    same = _row("p50_ms", "no-change", 500.0, 501.0, "ms")
    assert verdict_of([p99, same])[0] == "improved"
    assert verdict_of([fives, same])[0] == "regressed"
    assert verdict_of([p99, fives])[0] == "mixed"
    assert verdict_of([same])[0] == "no-change" and verdict_of([])[0] == "no-change"
    assert describe_row(p99) == ("p99_ms, latency: 2100 ms → 600 ms (-1500 ms, CI -1510 ms to -1490 ms; "
                                 "n 120/120)")
    assert "0.0% → 100.0% (+100.0%" in describe_row(fives)


def _verification() -> Verification:
    v = SuggestionVerdict("create_order_orders_post:s1", "create_order_orders_post", "s1", f"Bound it {XSS}",
                          "mixed", "together", improved=["p99_ms, latency: 2100 ms -> 600 ms"],
                          regressed=["http_5xx_rate, latency: 0.0% -> 100.0%"], note=f"note {XSS}",
                          log_excerpt=f"Traceback ... {XSS}")
    return Verification(baseline=None, patched=None, comparison=None, verdicts=[v],
                        variants=[Variant("baseline", []), Variant("together", [v.key])], logs={},
                        runs=3, seed=1)


def test_export_gets_a_measured_effect_section_escaped():
    review = Review("create_order_orders_post", "POST", "/orders",
                    suggestions=[Suggestion("s1", f"Bound it {XSS}", file="app.py",
                                            diff="--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-a\n+b\n")])
    (attached,) = _verification().attach([review])
    md = attached.to_markdown()
    assert "## Measured effect" in md and "**mixed (trade-off)**" in md and "p99_ms" in md
    assert "same fault seed (1), 3 run(s) a side" in md
    body = md.split("## Measured effect", 1)[1]
    assert "<script>" not in body.replace("```", "").split("Log of the patched app")[0]
    assert "Traceback" in body and "```" in body  # the app log goes in a fence
    html = attached._repr_html_()
    assert "Measured effect" in html and "<script>" not in html and "&lt;script&gt;" in html
    # a review without a verification exports as before
    assert "Measured effect" not in review.__class__.from_dict({**review.to_dict(), "measured": {}}).to_markdown()


def test_verification_views_escape():
    v = _verification()
    assert "<script>" not in v._repr_html_()
    assert "Bound it" in v.summary() and "mixed" in repr(v)
    assert v.table.verdict.tolist() == ["mixed"]


def test_diffviewer_marks_suggestions_with_their_verdict():
    pytest.importorskip("anywidget")
    from fault_nb.ui import DiffViewer

    review = Review("create_order_orders_post", "POST", "/orders",
                    suggestions=[Suggestion("s1", "Bound it", file="app.py",
                                            diff="--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-a\n+b\n"),
                                 Suggestion("s2", "Other", file="app.py",
                                            diff="--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-a\n+c\n")])
    viewer = DiffViewer(review)
    assert viewer.verdicts == {}
    (attached,) = _verification().attach([review])
    viewer.set_review(attached)
    assert viewer.verdicts["s1"]["verdict"] == "mixed" and "better: p99_ms" in viewer.verdicts["s1"]["text"]
    assert "s2" not in viewer.verdicts
    assert "measured: mixed" in viewer.to_text()
    assert "measured: mixed" in viewer.to_html()



def _pair(shift_ms: float, n: int = 200):
    """A baseline and an A/A control run of one endpoint (same seed: paired); the control is ``shift_ms``
    slower plus its own jitter (0 and 0: the very same samples)."""
    import numpy as np

    from fault_nb.verify._simulate import results_from_samples

    lat = 20.0 + np.random.default_rng(7).normal(0.0, 0.5, n)
    jitter = np.random.default_rng(8).normal(0.0, 0.5, n) if shift_ms else 0.0
    before = results_from_samples([{"operation_id": "stock_get", "latency": lat}], seed=3)
    after = results_from_samples([{"operation_id": "stock_get", "latency": lat + shift_ms + jitter}], seed=3)
    return before, after


def test_control_note_names_what_the_unchanged_app_claimed():
    import re

    from fault_nb.verify import compare
    from fault_nb.verify.verification import control_note, drift_mark, drift_of

    shifted = compare(*_pair(5.0))
    note = control_note(shifted, 0.95)
    assert note.startswith("the unchanged app's second run differed: stock_get latency p50_ms +5.")
    assert re.search(r"p50_ms \+[45]\.\d ms \(95% CI \+[45]\.\d ms to \+[56]\.\d ms\)", note), note
    assert note.endswith(": claims of that size may be the machine, not the change")
    slower = shifted.table[shifted.table["ci_low"] > 0]  # here every interval off 0 lies above it
    assert set(slower["metric"]) == {"p50_ms", "p95_ms"}
    assert drift_of(shifted) == slower["ci_low"].max() and 4.0 < drift_of(shifted) < 6.5
    # a patched variant's 3-4 ms latency claim is within that drift: its verdict's note says so
    row = {"operation_id": "stock_get", "fault": "latency", "metric": "p50_ms", "verdict": "improved",
           "ci_low": -4.0, "ci_high": -3.0}
    assert drift_mark([row], shifted).startswith("drift check: p50_ms (latency) within what the unchanged app "
                                                 "moved by itself")
    far = drift_mark([dict(row, ci_low=-40.0, ci_high=-30.0)], shifted)  # well beyond the drift
    assert far.startswith("drift check: the unchanged app's second run also claimed") and "within" not in far

    same = compare(*_pair(0.0))
    assert control_note(same) == ("control: the unchanged app's second run made no claim "
                                  "(largest interval edge from 0: 0.0 ms)")
    assert drift_mark([row], same) == ""
    # a shift below the noise floor (2 ms) claims nothing, but the note still says how far it moved
    small = compare(*_pair(1.0))
    assert 0.5 < drift_of(small) < 2.0  # inside the floor
    assert control_note(small) == ("control: the unchanged app's second run made no claim "
                                   f"(largest interval edge from 0: {drift_of(small):.1f} ms)")


def test_drift_check_section_in_markdown_json_and_html():
    import json

    from fault_nb.verify import compare
    from fault_nb.verify.verification import CONTROL, Variant

    v = _verification()
    assert v.drift_ms is None and "Drift check" not in v.to_markdown() and "control" not in v.to_dict()
    v.control = Variant(CONTROL, [], comparison=compare(*_pair(5.0)), started=True)
    md = v.to_markdown()
    section = md.split("## Drift check (A/A)", 1)[1]
    assert "2 row(s) claimed a change" in section and f"{v.drift_ms:.1f} ms" in section
    assert "| stock_get | latency | p50_ms |" in section and "regressed" in section
    saved = json.loads(json.dumps(v.to_dict(), default=str))
    assert saved["control"]["name"] == CONTROL and saved["control"]["claims"] == 2
    assert [x["name"] for x in saved["variants"]] == ["baseline", "together"]  # not a suggestion's variant
    assert v.variant(CONTROL) is v.control
    html = v._repr_html_()
    assert "Drift check (A/A)" in html and "stock_get" in html and "<script>" not in html
    # a control that did not start: the section says why, escaped
    v.control = Variant(CONTROL, [], error=f"port in use {XSS}")
    assert v.drift_ms is None
    assert "no drift check (port in use" in v.to_markdown()
    assert "&lt;script&gt;" in v._repr_html_() and "<script>" not in v._repr_html_()
