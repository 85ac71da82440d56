"""What you tick is what you get: every chosen subset of a review applies on its own, parses,
and is exactly what its export shows; a suggestion that truly needs another says so."""
from __future__ import annotations

import itertools
import json
import re
import shutil

import pytest

from fault_nb.review import Review, review_endpoint
from fault_nb.review.edits import apply_diff, check_parses, read_source
from fault_nb.review.model import ApplyError

from .conftest import git_apply_check
from .test_code_review import GOOD_FIND, GOOD_REPLACE, STOCK, answer, llm, sug  # noqa: F401 (llm: fixture)

# built on the timeout's text: truly needs it
WRAP = sug(find=GOOD_REPLACE, sid="wrap", title="Map inventory errors",
           replace="    try:\n" + "    " + GOOD_REPLACE + "    except requests.RequestException as exc:\n"
                   "        raise HTTPException(status_code=502, detail='inventory down') from exc\n")
# next to the timeout (inside its diff context) but independent of it
NEAR = sug(find='        raise HTTPException(status_code=404, detail="unknown sku")\n',
           replace='        raise HTTPException(status_code=404, detail=f"unknown sku {sku}")\n',
           sid="detail", title="Name the sku")
_DIFF_BLOCK = re.compile(r"^(`{3,})diff\n(.*?)^\1$", re.S | re.M)


def _subsets(ids):
    for n in range(1, len(ids) + 1):
        yield from itertools.combinations(ids, n)


def _assert_every_subset(review: Review, src, tmp_path) -> int:
    """Each subset: closed over its needs, applies (ours and git's), parses, equals its export."""
    pristine = {p.relative_to(src).as_posix(): read_source(p) for p in src.rglob("*") if p.is_file()}
    ids = [s.id for s in review.verified]
    checked = 0
    for n, subset in enumerate(_subsets(ids)):
        chosen = [s.id for s in review.selected(list(subset))]
        assert set(subset) <= set(chosen)
        diff = review.combined_diff(list(subset))
        exported = review.subset(list(subset)).to_markdown()
        blocks = [m.group(2) for m in _DIFF_BLOCK.finditer(exported)]
        assert "".join(blocks) == diff, f"{subset}: the export is not what apply writes"
        assert [s.id for s in review.subset(list(subset)).verified] == [s.id for s in review.rebased(list(subset))]
        # ours: on a scratch copy
        copy = shutil.copytree(src, tmp_path / f"copy-{n}", ignore=shutil.ignore_patterns(".fault-nb-backup"))
        applied = review.apply(copy, only=list(subset))
        assert sorted(applied.suggestions) == sorted(chosen)
        want = apply_diff(diff, {rel: pristine[rel] for rel in applied.files})
        for rel in applied.files:
            text = read_source(copy / rel)
            assert text == want[rel], f"{subset}: {rel} is not the export applied"
            assert check_parses(rel, text) is None
        # git's: the same diff applies to the untouched source, in order
        assert git_apply_check(diff, src).returncode == 0, subset
        checked += 1
    return checked


def test_every_subset_of_the_rules_reviews_applies_parses_and_equals_its_export(orders_results, orders_index,
                                                                                 orders_src, tmp_path):
    checked = 0
    for opid in orders_results.operation_ids:
        review = review_endpoint(orders_results, orders_index, opid)
        if len(review.verified) > 1:
            checked += _assert_every_subset(review, orders_src, tmp_path / opid)
    assert checked >= 3  # at least one review with two or more suggestions


def test_seed_create_user_subsets(seed_results, webapp_index, webapp_src, tmp_path):
    review = review_endpoint(seed_results, webapp_index, "create_user_users__post")
    s1, s2 = review.verified
    assert s1.rule == "commit-no-rollback" and s2.rule == "sync-work-in-async-handler"
    assert s2.dependencies == []  # built on s1's text, but the rule re-run alone fixes the original
    assert _assert_every_subset(review, webapp_src, tmp_path) == 3
    alone = review.combined_diff(["s2"])
    assert "db.rollback" not in alone and "-async def create_user(\n+def create_user(\n" in alone
    assert "db.rollback" not in review.subset(["s2"]).to_markdown()
    assert "Apply after" not in review.to_markdown() and "Needs" not in review.to_markdown()


def test_model_edits_rebase_and_a_true_prerequisite_is_named(llm_server, llm, orders_results, orders_index,  # noqa: F811
                                                             orders_src, tmp_path):
    health = sug(find='    return {"status": "ok"}\n', replace='    return {"status": "ok", "service": "orders"}\n',
                 sid="health", title="Name the service")
    llm_server.push(answer(sug(), WRAP, NEAR, health))
    review = review_endpoint(orders_results, orders_index, STOCK, llm=llm)
    assert [s.status for s in review.suggestions] == ["verified"] * 4
    s1, s2, s3, s4 = review.suggestions
    assert s2.dependencies == [s1.id]  # its 'find' is s1's output: it truly needs s1
    assert s3.dependencies == [] and s4.dependencies == []  # near s1 but independent: re-based alone
    assert _assert_every_subset(review, orders_src, tmp_path) == 15
    # s3 alone is diffed against the original file, not against s1's text
    assert "timeout=2.0" not in review.combined_diff([s3.id])
    with pytest.raises(ApplyError, match="not verified"):
        review.combined_diff(["s9"])

    # the choice the DiffViewer makes: ticking s2 ticks s1, unticking s1 unticks s2, with a note
    c = review.choose([s2.id], previous=[])
    assert c.ids == (s1.id, s2.id) and c.note == f"{s2.id} needs {s1.id}: it is ticked too."
    c = review.choose([s2.id, s4.id], previous=[s1.id, s2.id, s4.id])
    assert c.ids == (s4.id,) and c.note == f"{s2.id} needs {s1.id}: unticked too."
    assert review.choose([s3.id], previous=[]).note == ""


def test_diffviewer_ticks_prerequisites_and_shows_the_subset_diffs(llm_server, llm, orders_results,  # noqa: F811
                                                                   orders_index):
    pytest.importorskip("anywidget")
    from fault_nb.ui import DiffViewer

    llm_server.push(answer(sug(), WRAP, NEAR))
    review = review_endpoint(orders_results, orders_index, STOCK, llm=llm)
    viewer = DiffViewer(review)
    cards = {d["id"]: d for d in viewer.suggestions}
    assert cards["s2"]["needs"] == ["s1"] and cards["s1"]["needs"] == [] and cards["s3"]["needs"] == []
    full_s3 = cards["s3"]["diff"]
    viewer.set_state({"included": ["s3"]})  # the user keeps only s3
    assert viewer.included == ["s3"] and viewer.note == ""
    shown = {d["id"]: d["diff"] for d in viewer.suggestions}["s3"]
    assert shown == review.combined_diff(["s3"]) and "timeout=2.0" not in shown
    assert full_s3 == review.suggestion("s3").diff  # the review keeps its own diffs
    viewer.set_state({"included": ["s2", "s3"]})  # ticking s2 ticks s1
    assert viewer.included == ["s1", "s2", "s3"] and "s2 needs s1" in viewer.note
    assert [s.include for s in review.suggestions] == [True, True, True]
    viewer.set_state({"included": ["s2", "s3"]})  # unticking s1 unticks s2
    assert viewer.included == ["s3"] and "s2 needs s1: unticked too." == viewer.note
    assert "s2 needs s1" in viewer.to_text() and "needs s1" in viewer.to_html()


def test_saved_reviews_of_the_dict_era_still_load(tmp_path):
    old = {"operation_id": "create_user_users__post", "method": "POST", "url": "http://x/users/",
           "evidence": {"operation_id": "create_user_users__post", "method": "POST", "url": "http://x/users/",
                        "idempotent": False,
                        "rows": [{"fault": "latency", "requests": 9, "p50_ms": 10.0, "p95_ms": 820.5, "p99_ms": 900.0,
                                  "error_rate": 0.1, "timeout_rate": 0.0, "http_5xx_rate": 0.2,
                                  "failed_expectations": 1, "id": "E1", "failed_rate": 0.3}],
                        "slo": [{"scenario": "s", "fault": "latency", "slo": "p95 < 300ms", "objective": 95,
                                 "threshold": 300.0, "unit": "ms", "pass": False, "margin": "+520 ms",
                                 "calls_over": 4, "id": "S1"}]},
           "suggestions": [{"id": "s1", "title": "t", "diff": "", "status": "rejected", "error": "no"}],
           "provenance": {"reviewer": "rules", "label": "offline rules reviewer (no LLM)", "provider": None,
                          "model": None, "base_url_host": None, "created": "2026-01-01 00:00:00 UTC"},
           "handler": {"file": "app.py", "function": "create_user", "start_line": 73, "end_line": 84,
                       "how": "route", "framework": "fastapi", "reason": "", "score": 1.0},
           "notes": [], "source_dir": ""}
    review = Review.from_dict(json.loads(json.dumps(old)))
    assert review.evidence.rows[0].p95_ms == 820.5 and review.evidence.slo[0].passed is False
    assert review.evidence["slo"][0]["pass"] is False  # read by key, as renderers of the saved shape do
    assert review.evidence.rows[0].extra == {"failed_rate": 0.3}  # a measure the model does not know is kept
    assert review.provenance.label == "offline rules reviewer (no LLM)"
    assert review.handler.function == "create_user" and review.handler.operation_id == "create_user_users__post"
    again = Review.from_dict(json.loads(json.dumps(review.to_dict())))
    assert again.to_dict() == review.to_dict() and again.to_markdown() == review.to_markdown()
    assert again.to_dict()["evidence"]["rows"][0]["failed_rate"] == 0.3
    llm_era = {**old, "provenance": {"provider": "ollama", "model": "qwen", "base_url_host": "h", "cache_hits": 2}}
    assert Review.from_dict(llm_era).provenance.label == "LLM qwen via ollama (h)"
    with pytest.raises(Exception, match=r"\$\.status"):
        Review.from_dict({**old, "suggestions": [{"id": "s1", "title": "t", "status": "maybe"}]})
    with pytest.raises(Exception, match=r"\$\.evidence"):
        Review.from_dict({**old, "evidence": ["not", "a", "dict"]})
