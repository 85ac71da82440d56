"""ReviewPanel wired to the real core: fixture results, a real index of a webapp copy,
the offline rules reviewer; exports, apply/undo, errors and escaping."""
from __future__ import annotations

import pytest

pytest.importorskip("ipywidgets")

import fault_nb  # noqa: E402
from fault_nb.errors import LLMError  # noqa: E402
from fault_nb.review.model import ApplyError  # noqa: E402
from fault_nb.review import Review, Suggestion, review_endpoint  # noqa: E402
from fault_nb.ui import ReviewPanel  # noqa: E402

XSS = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
TARGET = "create_user_users__post"


@pytest.fixture(scope="module")
def results(fixtures_dir):
    return fault_nb.load_results(fixtures_dir / "results" / "seed_app.results.json")


@pytest.fixture
def index(tmp_path, shared, results):
    import shutil

    src = shutil.copytree(shared / "apps" / "webapp", tmp_path / "webapp")
    idx = fault_nb.index_source(src, "python", endpoints=results, cache_dir=tmp_path / "cache", progress=False)
    yield idx
    idx.close()


def spy(calls):
    def review_fn(results, index, operation_id, **kwargs):
        calls.append((operation_id, sorted(kwargs)))
        return review_endpoint(results, index, operation_id, **kwargs)
    return review_fn


def test_offline_reviewer_is_labelled(results, index, tmp_path):
    panel = ReviewPanel(results, index, out_dir=tmp_path)
    assert "Offline rules reviewer" in panel.header.value
    assert panel.export_md_button.disabled and panel.apply_button.disabled
    assert "Offline rules reviewer" in panel._repr_mimebundle_()["text/html"]


def test_review_export_apply_undo(results, index, tmp_path):
    calls = []
    panel = ReviewPanel(results, index, out_dir=tmp_path / "out", review_fn=spy(calls))
    panel.picker.value = TARGET
    panel.review_button.click()
    assert calls == [(TARGET, ["advices", "cache", "llm", "on_progress", "on_token"])]
    review = panel.review
    assert review.operation_id == TARGET and review.verified, "the rules reviewer should find something here"
    assert [s["id"] for s in panel.viewer.suggestions] == [s.id for s in review.suggestions]
    assert panel.progress.layout.visibility == "hidden" and not panel.review_button.disabled
    assert "verified" in panel.status.value and not panel.export_md_button.disabled

    path = panel.export_markdown()
    assert path == tmp_path / "out" / f"code-review-{TARGET}.md"  # named after the endpoint
    text = path.read_text()
    for s in review.verified:
        assert s.diff.strip() in text

    source = index.source_dir / "app.py"
    before = source.read_text()
    sid = review.verified[0].id
    panel.viewer.included = [sid]
    panel.apply_button.click()
    assert source.read_text() != before and not panel.undo_button.disabled
    assert "Applied 1 change(s) to <code>app.py</code>" in panel.output.value
    assert panel.viewer.applied == [sid] and panel.viewer.state_of(sid) == "applied"  # the card says so
    assert "[applied]" in panel.viewer.to_html()
    panel.undo_button.click()
    assert source.read_text() == before and panel.undo_button.disabled
    assert panel.viewer.applied == [] and not panel.apply_button.disabled


def test_buttons_are_disabled_with_nothing_to_act_on(results, index, tmp_path):
    panel = ReviewPanel(results, index, out_dir=tmp_path / "out")
    panel.picker.value = TARGET
    panel.run_review()
    assert not panel.apply_button.disabled and not panel.export_md_button.disabled
    panel.viewer.included = []  # nothing ticked: nothing to apply (the export still shows the review)
    assert panel.apply_button.disabled and "Tick at least one" in panel.apply_button.tooltip
    panel.viewer.included = [panel.viewer.suggestions[0]["id"]]
    assert not panel.apply_button.disabled
    reviews = {op: panel.run_review(op) for op in results.operation_ids}
    empty = next((op for op, r in reviews.items() if not r.suggestions), None)
    if empty is not None:  # a review without suggestions: neither export nor apply
        panel.picker.value = empty
        assert panel.export_md_button.disabled and panel.export_pdf_button.disabled and panel.apply_button.disabled


def test_unticked_suggestions_leave_the_export(results, index, tmp_path):
    panel = ReviewPanel(results, index, out_dir=tmp_path)
    panel.run_review(TARGET)
    first = panel.review.verified[0]
    panel.viewer.set_state({"included": []})  # the user unticks everything in the browser
    assert first.include is False
    text = panel.export_markdown().read_text()
    assert first.diff.strip() not in text
    panel.apply_button.click()
    assert "Nothing to apply" in panel.output.value


def test_switching_endpoint_keeps_reviews(results, index, tmp_path):
    panel = ReviewPanel(results, index, out_dir=tmp_path)
    panel.run_review(TARGET)
    panel.picker.value = "index__get"
    assert panel.review is None and panel.viewer.suggestions == [] and panel.export_md_button.disabled
    panel.picker.value = TARGET
    assert panel.review.operation_id == TARGET and panel.viewer.suggestions


def test_errors_show_in_the_panel_not_as_tracebacks(results, index, tmp_path):
    def failing(*_a, **_k):
        raise LLMError(f"model said {XSS}")

    panel = ReviewPanel(results, index, out_dir=tmp_path, review_fn=failing)
    assert panel.run_review(TARGET) is None
    assert "Review failed" in panel.error.value and "<script>" not in panel.error.value
    assert "&lt;script&gt;" in panel.error.value
    assert not panel.review_button.disabled  # usable again

    def buggy(*_a, **_k):
        raise ZeroDivisionError("division by zero")

    panel2 = ReviewPanel(results, index, out_dir=tmp_path, review_fn=buggy)
    panel2.run_review(TARGET)
    assert "division by zero" in panel2.error.value


def test_export_error_is_shown(results, index, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("file in the way")
    panel = ReviewPanel(results, index, out_dir=blocker)
    panel.run_review(TARGET)
    assert panel.export_markdown() is None
    assert "Export failed" in panel.error.value


def test_model_text_is_escaped_and_streamed(results, index, tmp_path):
    from fault_nb.review.model import ReviewProgress

    def hostile(results, index, operation_id, *, on_progress, on_token, **_):
        on_progress(ReviewProgress(operation_id, "asking the model", 2, 5))
        on_token("<b>partial ")
        on_token(XSS)
        return Review(operation_id=operation_id, method="POST", url="http://x/",
                      evidence={"note": XSS},
                      suggestions=[Suggestion(id="s1", title=XSS, rationale=XSS, evidence=[XSS], diff="")],
                      provenance={"reviewer": "llm", "provider": "local", "model": XSS})

    panel = ReviewPanel(results, index, out_dir=tmp_path, review_fn=hostile)
    panel.run_review(TARGET)
    assert panel.progress.max == 5  # the event's own numbers, no guessing
    for widget in (panel.stream, panel.summary, panel.status, panel.error, panel.output, panel.header):
        assert "<script>" not in widget.value and "<img" not in widget.value
    assert "&lt;b&gt;partial &lt;img" in panel.stream.value
    assert panel.viewer.suggestions[0]["title"] == XSS  # raw in the model; the front-end uses textContent
    static = panel._repr_mimebundle_()["text/html"]
    assert "<script>" not in static and "&lt;script&gt;" in static


def test_llm_label(results, index, tmp_path):
    class FakeClient:  # only what the label reads
        model = "qwen2.5-coder"
        provider = "ollama"

    panel = ReviewPanel(results, index, llm=FakeClient(), out_dir=tmp_path)
    assert "LLM qwen2.5-coder via ollama" in panel.header.value


def test_export_pdf(results, index, tmp_path):
    import shutil

    panel = ReviewPanel(results, index, out_dir=tmp_path)
    panel.run_review(TARGET)
    path = panel.export_pdf()
    if shutil.which("pandoc") is None:  # the panel says what is missing instead of raising
        assert path is None and "pandoc" in panel.error.value
        return
    assert path == tmp_path / f"code-review-{TARGET}.pdf"
    assert path.read_bytes().startswith(b"%PDF") and panel.error.value == ""


def test_prefilled_reviews_open_on_the_first_finding(results, index, tmp_path):
    from fault_nb.review import review_all

    reviews = review_all(results, index, progress=False)
    calls = []
    panel = ReviewPanel(results, index, out_dir=tmp_path, reviews=reviews, review_fn=spy(calls))
    first = next(r for r in reviews if r.verified)
    assert panel.picker.value == first.operation_id and panel.review is first
    assert panel.viewer.suggestions and not panel.export_md_button.disabled
    assert calls == []  # nothing reviewed again


def test_empty_results_explain_there_is_nothing_to_review(fixtures_dir, index, tmp_path):
    empty = fault_nb.load_results(fixtures_dir / "results" / "edge_empty.results.json")
    calls = []
    panel = ReviewPanel(empty, index, out_dir=tmp_path, review_fn=spy(calls))
    assert panel.review_button.disabled and "No endpoints in these results" in panel.status.value
    assert panel.run_review() is None and calls == [] and panel.error.value == ""


def test_panel_opens_on_an_endpoint_that_can_be_reviewed(fixtures_dir, index, tmp_path):
    # edge_cases lists five endpoints without operationId first: Review on them can only fail
    edge = fault_nb.load_results(fixtures_dir / "results" / "edge_cases.results.json")
    panel = ReviewPanel(edge, index, out_dir=tmp_path)
    assert panel.picker.value == "health_get" and not panel.review_button.disabled


def test_exports_never_overwrite_without_a_choice(results, index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    whole = out / "code-review-report.md"
    whole.write_text("# the three-endpoint report of step 7\n")
    panel = ReviewPanel(results, index, out_dir=out)
    panel.run_review(TARGET)
    first = panel.export_markdown()
    second = panel.export_markdown()
    assert first == out / f"code-review-{TARGET}.md" and second == out / f"code-review-{TARGET}-2.md"
    assert whole.read_text() == "# the three-endpoint report of step 7\n"  # the whole report keeps its file
    assert first.read_text() == second.read_text()
    first.write_text("edited by hand\n")
    panel.overwrite.value = True  # the user asked for it
    assert panel.export_markdown() == first and first.read_text() == second.read_text()
    # Lab: a FileLink (relative to the notebook's folder) to the written file
    (link,) = panel.link.outputs
    assert f"out/code-review-{TARGET}.md" in link["data"]["text/html"] and "href=" in link["data"]["text/html"]
    assert str(first.resolve()) in panel.output.value


def test_voila_gets_a_download_link(results, index, tmp_path, monkeypatch):
    import base64
    import re

    monkeypatch.setenv("VOILA_KERNEL_ID", "k1")
    panel = ReviewPanel(results, index, out_dir=tmp_path)
    panel.run_review(TARGET)
    path = panel.export_markdown()
    assert panel.link.outputs == ()
    href = re.search(r'download="([^"]+)" href="data:text/markdown;base64,([^"]+)"', panel.output.value)
    assert href and href.group(1) == path.name
    assert base64.b64decode(href.group(2)) == path.read_bytes()


def test_untick_the_prerequisite_apply_writes_exactly_the_rest(results, index, tmp_path):
    """Notebook 02's case: create_user, untick s1 (rollback), keep s2 (plain def), Apply."""
    from fault_nb.review.edits import parse_patch

    panel = ReviewPanel(results, index, out_dir=tmp_path)
    review = panel.run_review(TARGET)
    s1, s2 = review.verified
    assert "db.rollback" in s1.diff and "-async def create_user(" in s2.diff
    assert s2.dependencies == []  # built on s1, but applies without it
    panel.viewer.set_state({"included": [s2.id]})  # the user unticks s1 in the browser
    assert panel.viewer.chosen == [s2.id] and panel.viewer.note == ""
    card = {d["id"]: d for d in panel.viewer.suggestions}[s2.id]
    shown = card["diff"]
    assert "db.rollback" not in card["rationale"]  # the rationale names what the rule saw without s1
    assert "db.rollback" in s2.rationale  # the review keeps its own
    exported = panel.export_markdown().read_text()
    assert "db.rollback" not in exported and "Needs" not in exported and shown in exported
    assert review.combined_diff([s2.id]) == shown
    (rel, _hunks, _), = parse_patch(shown)
    assert rel == "app.py"
    source = index.source_dir / "app.py"
    before = source.read_text()
    panel.apply()
    after = source.read_text()
    compile(after, "app.py", "exec")
    assert "db.rollback" not in after
    assert after == before.replace("async def create_user(", "def create_user(", 1)  # s2's change, nothing else
    with pytest.raises(ApplyError, match="changed since the review"):  # a second Apply on top is refused
        review.apply(index.source_dir, only=[s2.id])
