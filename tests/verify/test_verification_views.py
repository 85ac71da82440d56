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
