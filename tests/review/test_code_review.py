"""Code review with an LLM: the local server plays the model (good, malformed, broken and repaired edits)."""
from __future__ import annotations

import json

import pytest

from fault_nb.errors import UnknownEndpointError
from fault_nb.review import Review, review_all, review_endpoint
from fault_nb.review.cache import ResponseCache
from fault_nb.review.llm import LLMClient
from fault_nb.review.model import ApplyError, Suggestion

from .conftest import git_apply_check

STOCK = "stock_stock__sku__get"
GOOD_FIND = '    response = requests.get(f"{INVENTORY_URL}/items/{sku}")\n'
GOOD_REPLACE = '    response = requests.get(f"{INVENTORY_URL}/items/{sku}", timeout=2.0)\n'


def answer(*suggestions) -> dict:
    return {"content": json.dumps({"suggestions": list(suggestions)})}


def sug(find=GOOD_FIND, replace=GOOD_REPLACE, file="app.py", sid="timeout-stock", title="Add a timeout"):
    return {"id": sid, "title": title, "category": "timeout", "rationale": "E1 shows 1 s p95 under latency",
            "evidence": ["E1"], "dependencies": [], "edits": [{"file": file, "find": find, "replace": replace}]}


@pytest.fixture
def llm(llm_server, tmp_path):
    return LLMClient(base_url=llm_server.url, model="test-model", api_key="k", backoff=0.01,
                     cache=ResponseCache(tmp_path / "llm-cache"))


def test_good_edits_become_verified_diffs_and_prompt_carries_code_and_evidence(
        llm_server, llm, orders_results, orders_index, orders_src):
    llm_server.push(answer(sug()))
    review = review_endpoint(orders_results, orders_index, STOCK, llm=llm)
    assert [s.status for s in review.suggestions] == ["verified"]
    s = review.suggestions[0]
    assert s.file == "app.py" and s.evidence == ["E1"] and s.category == "timeout"
    assert git_apply_check(s.diff, orders_src).returncode == 0
    body = llm_server.chat_requests()[0]["body"]
    assert body["response_format"] == {"type": "json_object"}
    prompt = body["messages"][1]["content"]
    assert "def stock(sku: str) -> dict:" in prompt  # the handler's code
    assert "E1:" in prompt and "latency" in prompt and "SLO 'P95 < 800ms'" in prompt  # its evidence
    assert "It is idempotent" in prompt
    assert "## Static checks" in prompt and "app.py:54 in stock: Bound `requests.get`" in prompt
    p = review.provenance
    assert p["reviewer"] == "llm" and p["model"] == "test-model" and p["base_url_host"] == "127.0.0.1"
    assert p["estimated_prompt_tokens"] > 100 and p["tokens_are_estimates"] is True
    md = review.to_markdown()
    assert "```diff" in md and "LLM test-model" in md and "estimated tokens" in md


def test_malformed_json_gets_one_format_retry(llm_server, llm, orders_results, orders_index):
    llm_server.push({"content": "Sure! Here are my thoughts: {not json"},
                    {"content": "```json\n" + json.dumps({"suggestions": [sug()]}) + "\n```"})
    review = review_endpoint(orders_results, orders_index, STOCK, llm=llm)
    assert [s.status for s in review.suggestions] == ["verified"]
    assert len(llm_server.chat_requests()) == 2


def test_broken_edit_fixed_in_the_single_repair_round(llm_server, llm, orders_results, orders_index):
    broken = sug(find="    response = requests.get(INVENTORY_URL)\n")
    llm_server.push(answer(broken), answer(sug()))
    review = review_endpoint(orders_results, orders_index, STOCK, llm=llm)
    s = review.suggestions[0]
    assert s.status == "verified" and s.repaired and s.diff
    reqs = llm_server.chat_requests()
    assert len(reqs) == 2
    repair_prompt = reqs[1]["body"]["messages"][-1]["content"]
    assert "timeout-stock" in repair_prompt and "does not occur in the file" in repair_prompt


def test_still_broken_after_repair_is_rejected_and_never_shown_as_diff(
        llm_server, llm, orders_results, orders_index):
    bad_syntax = sug(replace='    response = requests.get(f"{INVENTORY_URL}/items/{sku}", timeout=\n', sid="b")
    escape = sug(file="../../etc/passwd", sid="c", title="Escape")
    llm_server.push(answer(bad_syntax, escape), answer(bad_syntax, escape))
    review = review_endpoint(orders_results, orders_index, STOCK, llm=llm)
    assert [s.status for s in review.suggestions] == ["rejected", "rejected"]
    assert "does not parse" in review.suggestions[0].error and "after the repair round" in review.suggestions[0].error
    assert "outside" in review.suggestions[1].error
    assert len(llm_server.chat_requests()) == 2  # one repair round, not more
    md = review.to_markdown()
    assert "```diff" not in md and "Rejected suggestions (2)" in md
    assert all(s.diff == "" for s in review.suggestions)


def test_second_review_is_served_from_cache(llm_server, llm, orders_results, orders_index, tmp_path):
    llm_server.push(answer(sug()))
    first = review_endpoint(orders_results, orders_index, STOCK, llm=llm)
    second = review_endpoint(orders_results, orders_index, STOCK, llm=llm)
    assert len(llm_server.chat_requests()) == 1
    assert second.suggestions[0].diff == first.suggestions[0].diff
    assert second.provenance["cache_hits"] == 1
    ledger = llm.cache.ledger()
    assert [e["cache_hit"] for e in ledger] == [False, True]
    assert all("latency_s" in e and "estimated_completion_tokens" in e for e in ledger)


def test_secrets_in_source_never_reach_the_model(llm_server, llm, orders_results, orders_src, tmp_path):
    from .conftest import make_index

    app = orders_src / "app.py"
    app.write_text(app.read_text().replace('"http://127.0.0.1:9191"', '"http://svc:hunter2pass@127.0.0.1:9191"'))
    index = make_index(orders_src, orders_results, tmp_path)
    try:
        llm_server.push(answer())
        review = review_endpoint(orders_results, index, STOCK, llm=llm)
    finally:
        index.close()
    sent = json.dumps(llm_server.chat_requests()[0]["body"], ensure_ascii=False)
    assert "hunter2pass" not in sent and "«masked:url-password»" in sent
    assert llm.cache.ledger()[-1]["masked"][0]["kind"] == "url-password"
    assert "1 secret(s) masked before sending (url-password)" in review.to_markdown()


def test_streaming_tokens_and_progress(llm_server, llm, orders_results, orders_index):
    llm_server.push(answer(sug()))
    tokens, steps = [], []
    review_endpoint(orders_results, orders_index, STOCK, llm=llm, on_token=tokens.append, on_progress=steps.append)
    assert len(tokens) > 3 and json.loads("".join(tokens))["suggestions"][0]["id"] == "timeout-stock"
    assert steps[0] == "collecting scenario evidence" and steps[-1] == "done"


def test_review_all_bounded_concurrency(llm_server, llm, orders_results, orders_index):
    llm_server.handler = lambda body: answer()
    reviews = review_all(orders_results, orders_index, llm=llm, max_concurrency=2, progress=False)
    assert [r.operation_id for r in reviews] == orders_results.operation_ids
    assert len(llm_server.chat_requests()) == 4


def test_unknown_endpoint(orders_results, orders_index):
    with pytest.raises(UnknownEndpointError, match="Expected one of: health_health_get"):
        review_endpoint(orders_results, orders_index, "nope")


def test_roundtrip_apply_undo_and_escaping(llm_server, llm, orders_results, orders_index, orders_src):
    llm_server.push(answer(sug(title="<script>alert(1)</script> timeout")))
    review = review_endpoint(orders_results, orders_index, STOCK, llm=llm)
    again = Review.from_dict(json.loads(json.dumps(review.to_dict())))
    assert again.to_markdown() == review.to_markdown()
    html = review._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'class="fnb-add"' in html and 'class="fnb-del"' in html
    before = (orders_src / "app.py").read_text()
    applied = review.apply(orders_src)
    after = (orders_src / "app.py").read_text()
    assert "timeout=2.0" in after and after != before
    assert (applied.backup_dir / "app.py").read_text() == before
    applied.undo()
    assert (orders_src / "app.py").read_text() == before


def test_apply_refuses_paths_outside_source_dir(orders_src):
    evil = ("--- a/../outside.py\n+++ b/../outside.py\n@@ -1 +1 @@\n-a\n+b\n")
    review = Review("x", suggestions=[Suggestion("s1", "evil", diff=evil, file="../outside.py")])
    (orders_src.parent / "outside.py").write_text("a\n")
    with pytest.raises(Exception, match="outside"):
        review.apply(orders_src)
    assert (orders_src.parent / "outside.py").read_text() == "a\n"


def test_apply_refuses_when_file_changed(llm_server, llm, orders_results, orders_index, orders_src):
    llm_server.push(answer(sug()))
    review = review_endpoint(orders_results, orders_index, STOCK, llm=llm)
    app = orders_src / "app.py"
    app.write_text(app.read_text().replace(GOOD_FIND, "    response = None\n"))
    with pytest.raises(ApplyError, match="nothing was written"):
        review.apply(orders_src)


def test_review_all_stops_on_a_bad_key(llm_server, llm, orders_results, orders_index):
    from fault_nb.errors import LLMError

    llm_server.handler = lambda body: {"status": 401}
    with pytest.raises(LLMError, match="401"):
        review_all(orders_results, orders_index, llm=llm, max_concurrency=1, progress=False)
    assert len(llm_server.chat_requests()) < 4  # queued endpoints were cancelled


@pytest.mark.system("pandoc")
def test_review_pdf(llm_server, llm, orders_results, orders_index, tmp_path):
    llm_server.push(answer(sug()))
    review = review_endpoint(orders_results, orders_index, STOCK, llm=llm)
    assert review.to_pdf(tmp_path / "review.pdf").read_bytes()[:5] == b"%PDF-"


def test_overlapping_model_edits_compose(llm_server, llm, orders_results, orders_index, orders_src):
    second = sug(find=GOOD_REPLACE, sid="map-errors", title="Map errors",
                 replace="    try:\n" + "    " + GOOD_REPLACE + "    except requests.RequestException as exc:\n"
                         "        raise HTTPException(status_code=502, detail='inventory down') from exc\n")
    llm_server.push(answer(sug(), second))
    review = review_endpoint(orders_results, orders_index, STOCK, llm=llm)
    first, then = review.suggestions
    assert first.status == then.status == "verified"
    assert then.dependencies == [first.id]  # it edits what the first one wrote
    assert git_apply_check(review.combined_diff(), orders_src).returncode == 0
    assert [s.id for s in review.selected(["s2"])] == ["s1", "s2"]  # dependencies come along
    applied = review.apply(orders_src, only=["s2"])
    text = (orders_src / "app.py").read_text()
    assert "timeout=2.0" in text and "status_code=502" in text
    compile(text, "app.py", "exec")
    applied.undo()


def test_repaired_suggestion_is_ordered_after_what_it_sits_on(llm_server, llm, orders_results, orders_index,
                                                              orders_src):
    # s1 fails first; s2 (a timeout) is applied; the repaired s1 then edits the line s2 wrote
    wrapped = ("    try:\n    " + GOOD_REPLACE + "    except requests.RequestException as exc:\n"
               "        raise HTTPException(status_code=502, detail='down') from exc\n")
    broken = sug(find="    response = requests.get(nothing)\n", replace=wrapped, sid="wrap", title="Wrap")
    llm_server.push(answer(broken, sug()), answer(sug(find=GOOD_REPLACE, replace=wrapped, sid="wrap", title="Wrap")))
    review = review_endpoint(orders_results, orders_index, STOCK, llm=llm)
    assert [(s.id, s.status) for s in review.suggestions] == [("s2", "verified"), ("s1", "verified")]
    assert review.suggestions[1].dependencies == ["s2"] and review.suggestions[1].repaired
    assert git_apply_check(review.combined_diff(), orders_src).returncode == 0


def test_evidence_ids_the_run_does_not_have_are_dropped_and_noted(llm_server, llm, orders_results, orders_index):
    item = sug()
    item["evidence"] = ["E1", "E99", "p95"]
    llm_server.push(answer(item))
    review = review_endpoint(orders_results, orders_index, STOCK, llm=llm)
    (s,) = review.suggestions
    assert s.status == "verified" and s.evidence == ["E1"]
    assert any("E99, p95" in n for n in review.notes)


def test_unreadable_answer_is_not_reported_as_no_change(llm_server, llm, orders_results, orders_index):
    llm_server.push({"content": "not json at all"}, {"content": "still not json"})
    review = review_endpoint(orders_results, orders_index, STOCK, llm=llm)
    assert review.suggestions == [] and any("not valid JSON, twice" in n for n in review.notes)
    assert not any("proposed no change" in n for n in review.notes)  # both notes used to be shown
