"""DiffViewer: data sent to the browser, include boxes synced back, escaping, asset loading."""
from __future__ import annotations

import pytest

pytest.importorskip("anywidget")

from fault_nb.review.model import Review, Suggestion  # noqa: E402
from fault_nb.ui import DiffViewer  # noqa: E402
from fault_nb.ui._common import asset  # noqa: E402

XSS = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
DIFF = ("--- a/app.py\n+++ b/app.py\n@@ -1,3 +1,3 @@\n import os\n-x = 1\n+x = 2  # tuned\n"
        " print(x)\n")


def make_review(**extra) -> Review:
    return Review(
        operation_id="read_user_users__user_id__get", method="GET", url="http://localhost:9090/users/{user_id}",
        suggestions=[
            Suggestion(id="s1", title="Bound the DB call", rationale="p95 grew to 2 s", category="timeout",
                       evidence=["latency 800 ms on GET /users/{user_id}"], file="app.py", diff=DIFF),
            Suggestion(id="s2", title=XSS, rationale=XSS, evidence=[XSS], file="app.py", diff=DIFF.replace("x = 2", XSS)),
            Suggestion(id="s3", title="Broken edit", status="rejected", error="old text not found", file="app.py"),
        ],
        provenance={"reviewer": "rules", "label": "Offline rules reviewer"}, **extra)


def test_suggestions_sent_as_plain_strings_and_rejected_not_included():
    viewer = DiffViewer(make_review())
    assert [s["id"] for s in viewer.suggestions] == ["s1", "s2", "s3"]
    assert viewer.included == ["s1", "s2"]  # a rejected edit is never pre-ticked
    assert viewer.suggestions[0]["diff"] == DIFF
    assert viewer.suggestions[0]["evidence"] == ["latency 800 ms on GET /users/{user_id}"]
    assert viewer.header == "Offline rules reviewer (no LLM)"  # the core's one wording, capitalised
    assert viewer.endpoint == "read_user_users__user_id__get [GET http://localhost:9090/users/{user_id}]"
    for s in viewer.suggestions:
        assert all(isinstance(v, (str, bool, list)) for v in s.values())


def test_unticking_in_the_browser_updates_the_review():
    review = make_review()
    viewer = DiffViewer(review)
    # what the front-end does on a checkbox change: set the synced trait
    viewer.set_state({"included": ["s2"]})
    assert [s.include for s in review.suggestions[:2]] == [False, True]
    assert viewer.chosen == ["s2"]
    viewer.included = ["s1", "s3"]  # s3 is rejected: never "chosen"
    assert viewer.chosen == ["s1"]
    assert review.suggestions[0].include is True


def test_set_review_none_clears():
    viewer = DiffViewer(make_review())
    viewer.set_review(None)
    assert viewer.suggestions == [] and viewer.included == [] and viewer.endpoint == ""


def test_static_fallback_escapes_model_text():
    viewer = DiffViewer(make_review())
    data, _meta = viewer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    page = data["text/html"]
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "+x = 2  # tuned" in data["text/plain"]
    assert "Rejected: old text not found" in page


def test_front_end_never_uses_innerhtml_and_assets_resolve():
    js = asset("diffviewer.js").read_text()
    assert "innerHTML" not in js and "insertAdjacentHTML" not in js and "outerHTML" not in js
    assert "textContent" in js
    css = asset("diffviewer.css").read_text()
    assert "--jp-" in css and ".fnb-add" in css and ".fnb-del" in css
    assert "export default" in str(DiffViewer._esm) and ".fnb-add" in str(DiffViewer._css)


def test_asset_falls_back_to_wheel_copy(tmp_path, monkeypatch):
    from fault_nb.ui import _common

    monkeypatch.setattr(_common, "_PKG", tmp_path / "fault_nb")
    assert asset("diffviewer.js") == tmp_path / "fault_nb" / "_static" / "diffviewer.js"


def test_evidence_ids_become_readable_lines():
    review = make_review(evidence={
        "rows": [{"id": "E1", "fault": "latency", "requests": 7, "p95_ms": 820.0, "error_rate": 0.0,
                  "http_5xx_rate": 0.25, "failed_expectations": 2}],
        "slo": [{"id": "S1", "scenario": "Full black-hole", "slo": "P95 < 300ms", "pass": False,
                 "margin": "Above by 12ms"}]})
    review.suggestions[0].evidence = ["E1", "S1", "free text"]
    viewer = DiffViewer(review)
    assert viewer.suggestions[0]["evidence"] == [
        # a rate the row lacks shows as "?", never as 0%
        "E1: latency, 7 requests, p95 820 ms, failed ? (transport errors 0%, timeouts ?, 5xx 25%, "
        "2 failed expectations)",
        "S1: Full black-hole: P95 < 300ms FAIL (Above by 12ms)",
        "free text"]


def test_static_copy_shows_the_final_state_and_code_spans():
    review = make_review()
    review.suggestions[0].title = "Make `create_user` a plain `def`"
    viewer = DiffViewer(review)
    viewer.included = ["s2"]
    viewer.applied = ["s2"]
    html_text = viewer.to_html()
    assert "1 of 3 suggestion(s) ticked, 1 applied" in html_text
    assert "[left out] Make <code>create_user</code> a plain <code>def</code>" in html_text
    assert "[applied]" in html_text and "[rejected] Broken edit" in html_text
    assert "<img" not in html_text and "<script" not in html_text  # the XSS title stays text
    assert "applied" in viewer.to_text()
    viewer.set_review(make_review())
    assert viewer.applied == []  # a new review starts with nothing applied
