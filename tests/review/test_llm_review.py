"""Reviews against the local server playing a weak model: cut answers, failures, replays, duplicates, scope."""
from __future__ import annotations

import json
import re

from fault_nb.cli import main
from fault_nb.review import review_all, review_endpoint
from fault_nb.review.cache import ResponseCache
from fault_nb.review.llm import LLMClient

from .orders_results import orders_results_dict

STOCK = "stock_stock__sku__get"
CREATE = "create_order_orders_post"
READ = "read_order_orders__order_id__get"
STOCK_FIND = '    response = requests.get(f"{INVENTORY_URL}/items/{sku}")\n'
STOCK_FIXED = '    response = requests.get(f"{INVENTORY_URL}/items/{sku}", timeout=2.0)\n'
READ_FIND = '    current = requests.get(f"{INVENTORY_URL}/items/{order.sku}").json()\n'
READ_FIXED = '    current = requests.get(f"{INVENTORY_URL}/items/{order.sku}", timeout=2.0).json()\n'


def sug(find, replace, sid="t1", file="app.py"):
    return {"id": sid, "title": "Add a timeout", "category": "timeout", "rationale": "E1", "evidence": ["E1"],
            "edits": [{"file": file, "find": find, "replace": replace}]}


def answer(*suggestions) -> dict:
    return {"content": json.dumps({"suggestions": list(suggestions)})}


def endpoint_of(body: dict) -> str:
    prompt = body["messages"][1]["content"]
    return re.search(r"operationId: (\w+)", prompt).group(1)


def llm_for(server, tmp_path, **kw):
    kw.setdefault("backoff", 0.01)
    return LLMClient(base_url=server.url, model="test-model", api_key="k", cache=ResponseCache(tmp_path / "c"), **kw)


def results_file(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(orders_results_dict()))
    return path


def test_a_cut_answer_is_said_so_and_not_reported_as_no_change(llm_server, tmp_path, orders_results, orders_index):
    llm_server.push({"content": '{"suggestions": [{"id": "t1", "title": "Add', "finish_reason": "length",
                     "usage": {"prompt_tokens": 900, "completion_tokens": 64, "total_tokens": 964}})
    review = review_endpoint(orders_results, orders_index, STOCK, llm=llm_for(llm_server, tmp_path))
    assert any("cut at 64 tokens" in n for n in review.notes)
    assert not any("proposed no change" in n for n in review.notes)
    assert review.provenance["unreadable"] is True
    assert len(llm_server.chat_requests()) == 1  # a cut answer is not asked again with the same limit


def test_prompt_fits_the_context_window_the_server_reports(llm_server, tmp_path, orders_results, orders_index):
    llm_server.n_ctx = 3500
    llm_server.push(answer())
    review_endpoint(orders_results, orders_index, STOCK, llm=llm_for(llm_server, tmp_path))
    prompt = llm_server.chat_requests()[0]["body"]["messages"][1]["content"]
    budget = int(re.search(r"budget (\d+)\)", prompt).group(1))
    assert budget < 3500 - llm_server.chat_requests()[0]["body"]["max_tokens"]


def test_each_secret_counted_once_per_review_and_orm_columns_left_alone(llm_server, tmp_path, orders_results,
                                                                         orders_src):
    from .conftest import make_index

    app = orders_src / "app.py"
    app.write_text(app.read_text().replace(
        "def stock(sku: str) -> dict:\n",
        "def stock(sku: str) -> dict:\n    token = \"ghp_abcdefghijklmnopqrstuvwxyz0123456789\"\n"
        "    password = Column(String)\n"))
    index = make_index(orders_src, orders_results, tmp_path)
    try:
        llm_server.push({"content": "not json at all"}, answer())  # two calls: the prompt goes out twice
        review = review_endpoint(orders_results, index, STOCK, llm=llm_for(llm_server, tmp_path))
    finally:
        index.close()
    sent = [r["body"]["messages"][1]["content"] for r in llm_server.chat_requests()]
    assert all("ghp_abc" not in s and "password = Column(String)" in s for s in sent)
    assert [m["kind"] for m in review.provenance["masked"]] == ["github-token"]
    assert review.provenance["masked"][0]["location"].endswith(":app.py")
    # the model's first (unreadable) answer goes back unmasked
    assert llm_server.chat_requests()[1]["body"]["messages"][2]["content"] == "not json at all"


def test_rejection_messages_name_files_relative_to_the_source(llm_server, tmp_path, orders_results, orders_index,
                                                              orders_src):
    llm_server.push(answer(sug("x = 1\n", "x = 2\n", file="missing.py")), answer())
    review = review_endpoint(orders_results, orders_index, STOCK, llm=llm_for(llm_server, tmp_path))
    (s,) = review.rejected
    assert "missing.py" in s.error and str(orders_src) not in s.error and "/tmp" not in s.error


def test_an_edit_of_another_endpoints_handler_is_flagged(llm_server, tmp_path, orders_results, orders_index):
    llm_server.push(answer(sug(STOCK_FIND, STOCK_FIXED, "mine"), sug(READ_FIND, READ_FIXED, "theirs")))
    review = review_endpoint(orders_results, orders_index, STOCK, llm=llm_for(llm_server, tmp_path))
    mine, theirs = review.verified
    assert mine.include is True and theirs.include is False
    assert any(n.startswith("s2 edits code outside this endpoint") and "read_order" in n for n in review.notes)
    assert not any(n.startswith("s1 edits") for n in review.notes)


def test_review_all_merges_the_same_edit_proposed_for_two_endpoints(llm_server, tmp_path, orders_results,
                                                                    orders_index, orders_src):
    from .conftest import git_apply_check

    # a model that fixes the stock call whatever it reviews
    llm_server.handler = lambda body: answer(sug(STOCK_FIND, STOCK_FIXED))
    reviews = review_all(orders_results, orders_index, llm=llm_for(llm_server, tmp_path), max_concurrency=1,
                         operation_ids=[STOCK, READ], progress=False)
    stock, read = reviews
    assert [s.status for s in stock.suggestions] == ["verified"]
    (dup,) = read.suggestions
    assert dup.status == "rejected" and dup.error == f"same change as {STOCK}/s1" and not dup.diff
    combined = "".join(s.diff for r in reviews for s in r.verified)
    assert git_apply_check(combined, orders_src).returncode == 0  # what the report offers applies together


def test_all_keeps_finished_reviews_then_replays_them_with_the_server_gone(llm_server, tmp_path, orders_src,
                                                                           monkeypatch, capsys):
    def model(body):
        if endpoint_of(body) == READ:
            return {"status": 500, "error": "model crashed"}
        return answer()

    llm_server.handler = model
    monkeypatch.setenv("FAULT_NB_LLM_BASE_URL", llm_server.url)
    monkeypatch.setenv("FAULT_NB_LLM_MODEL", "test-model")
    report = tmp_path / "r.md"
    args = ["agent", "code-review", "--results", str(results_file(tmp_path)), "--source-dir", str(orders_src),
            "--all", "--report", str(report), "--max-concurrency", "1", "--timeout", "5"]
    assert main(args) == 0
    captured = capsys.readouterr()
    text = report.read_text()
    assert f"The review of {READ} failed" in text and "500" in text
    assert f"{READ}: failed: " in captured.out
    # not a terminal: one progress line per endpoint
    assert len(re.findall(r"^code review \d/4: \w+$", captured.err, re.M)) == 4
    asked = len(llm_server.chat_requests())
    from fault_nb._paths import cache_dir

    ledger = ResponseCache(cache_dir("llm")).ledger()
    failures = [e for e in ledger if not e["ok"]]
    assert failures and failures[0]["attempts"] == 2 and READ in failures[0]["purpose"]

    llm_server.stop()  # the model is gone: the finished reviews come from the cache
    assert main(args) == 0
    text = report.read_text()
    assert f"The review of {READ} failed" in text and "connection" in text
    assert text.count("The model proposed no change.") == 3  # replayed: nothing could have answered
    assert len(llm_server.chat_requests()) == asked


def test_every_answer_unreadable_exits_non_zero(llm_server, tmp_path, orders_src, monkeypatch, capsys):
    llm_server.handler = lambda body: {"content": "I think you should add timeouts."}
    monkeypatch.setenv("FAULT_NB_LLM_BASE_URL", llm_server.url)
    monkeypatch.setenv("FAULT_NB_LLM_MODEL", "test-model")
    report = tmp_path / "r.md"
    rc = main(["agent", "code-review", "--results", str(results_file(tmp_path)), "--source-dir", str(orders_src),
               "--endpoint", STOCK, "--report", str(report)])
    err = capsys.readouterr().err
    assert rc == 1 and "no model answer could be used (0 failed, 1 unreadable of 1)" in err
    assert report.is_file() and "not valid JSON, twice" in report.read_text()


def test_help_lists_the_variables_and_presets(capsys):
    import pytest

    from fault_nb.settings import PRESETS, VARIABLES

    for argv in (["agent", "--help"], ["agent", "code-review", "--help"], ["agent", "scenario-review", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        out = capsys.readouterr().out
        for v in VARIABLES:
            if v.group == "llm":
                assert v.name in out
        assert all(name in out for name in PRESETS)


def test_cli_flags_reach_the_model_call(llm_server, tmp_path, orders_src, monkeypatch):
    monkeypatch.setenv("FAULT_NB_LLM_BASE_URL", llm_server.url)
    monkeypatch.setenv("FAULT_NB_LLM_MODEL", "test-model")
    monkeypatch.setenv("FAULT_NB_LLM_MAX_TOKENS", "999")
    llm_server.push(answer())
    rc = main(["agent", "code-review", "--results", str(results_file(tmp_path)), "--source-dir", str(orders_src),
               "--endpoint", STOCK, "--report", str(tmp_path / "r.md"), "--max-tokens", "321"])
    assert rc == 0 and llm_server.chat_requests()[0]["body"]["max_tokens"] == 321
    llm_server.push(answer())
    rc = main(["agent", "code-review", "--results", str(results_file(tmp_path)), "--source-dir", str(orders_src),
               "--endpoint", READ, "--report", str(tmp_path / "r.md")])
    assert rc == 0 and llm_server.chat_requests()[-1]["body"]["max_tokens"] == 999


def test_scenario_review_phases_are_bounded_and_a_cut_phase_says_so(llm_server, tmp_path, orders_results):
    from fault_nb.review import review_scenarios

    answers = iter([{"content": "## Summary\n\n## Key numbers\n\nfine", "finish_reason": "stop"},
                    {"content": "## SLO deep dive\n\n| a | b", "finish_reason": "length",
                     "usage": {"prompt_tokens": 10, "completion_tokens": 700, "total_tokens": 710}}])
    llm_server.handler = lambda body: next(answers, {"content": "## Key numbers\n\nsame again"})
    sr = review_scenarios(orders_results, llm=llm_for(llm_server, tmp_path), progress=False)
    assert all(r["body"]["max_tokens"] == 700 for r in llm_server.chat_requests())
    assert "The model's answer was cut at 700 tokens" in sr.phases["slo"]
    assert sr.provenance["failed_phases"] == ["slo"]
    toc = sr.markdown.split("## Table of Contents", 1)[1].split("---", 1)[0]
    assert "Key numbers" not in toc and toc.count("[Summary]") == 1
