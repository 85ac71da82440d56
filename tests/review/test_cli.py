"""`fault-nb agent ...` end to end, offline (no LLM configured)."""
from __future__ import annotations

import json
import re
import shutil

from fault_nb.cli import main

from .conftest import git_apply_check
from .orders_results import orders_results_dict


def _results_file(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(orders_results_dict()))
    return path


def test_code_review_all_on_orders_writes_report_whose_diffs_apply(orders_src, tmp_path, shared, capsys):
    results = _results_file(tmp_path)
    report = tmp_path / "code-review-report.md"
    rc = main(["agent", "code-review", "--results", str(results), "--source-dir", str(orders_src), "--all",
               "--report", str(report)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "offline rules reviewer (no LLM)" in out
    text = report.read_text()
    diffs = re.findall(r"```diff\n(.*?)```", text, re.S)
    assert len(diffs) >= 4
    # two endpoints touch the same lines: the fix is offered once, the other endpoint points at it
    assert re.search(r"(same change as|overlaps) \w+/s\d", text) and len(set(diffs)) == len(diffs)
    # per endpoint the diffs apply, in order, to a fresh copy of the app
    sections = text.split("\n## ")[1:]
    for section in sections:
        patch = "".join(re.findall(r"```diff\n(.*?)```", section, re.S))
        if patch:
            fresh = tmp_path / "fresh" / section.split(":")[0]
            shutil.copytree(shared / "apps" / "orders", fresh)
            fresh.chmod(0o755)
            res = git_apply_check(patch, fresh)
            assert res.returncode == 0, (section[:80], res.stderr)
    assert (orders_src / "app.py").read_text() == (shared / "apps" / "orders" / "app.py").read_text()


def test_code_review_json_for_one_endpoint(orders_src, tmp_path, capsys):
    results = _results_file(tmp_path)
    rc = main(["agent", "code-review", "--results", str(results), "--source-dir", str(orders_src),
               "--endpoint", "stock_stock__sku__get", "--report", str(tmp_path / "r.md"), "--json"])
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert data["reviews"][0]["operation_id"] == "stock_stock__sku__get"
    assert data["reviews"][0]["suggestions"][0]["status"] == "verified"


def test_code_review_without_tty_or_endpoint_lists_them(orders_src, tmp_path, capsys):
    rc = main(["agent", "code-review", "--results", str(_results_file(tmp_path)), "--source-dir", str(orders_src)])
    assert rc == 2
    err = capsys.readouterr().err
    assert "--endpoint OPID" in err and "create_order_orders_post" in err


def test_code_review_unknown_endpoint_and_bad_results(orders_src, tmp_path, capsys):
    rc = main(["agent", "code-review", "--results", str(_results_file(tmp_path)), "--source-dir", str(orders_src),
               "--endpoint", "nope"])
    assert rc == 2 and "Expected one of" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"start": 1, "results": "x"}')
    rc = main(["agent", "code-review", "--results", str(bad), "--source-dir", str(orders_src), "--all"])
    err = capsys.readouterr().err
    assert rc == 2 and "bad.json" in err and "Traceback" not in err


def test_scenario_review_cli(tmp_path, fixtures_dir, capsys):
    report = tmp_path / "sr.md"
    rc = main(["agent", "scenario-review", "--results", str(fixtures_dir / "results" / "seed_app.results.json"),
               "--role", "sre", "--report", str(report)])
    assert rc == 0 and report.read_text().startswith("# fault resilience report analysis")
    assert str(report) in capsys.readouterr().out


def test_code_review_with_llm_from_environment(orders_src, tmp_path, monkeypatch, llm_server, capsys):
    monkeypatch.setenv("FAULT_NB_LLM_BASE_URL", llm_server.url)
    monkeypatch.setenv("FAULT_NB_LLM_MODEL", "test-model")
    edit = {"file": "app.py", "find": '    response = requests.get(f"{INVENTORY_URL}/items/{sku}")\n',
            "replace": '    response = requests.get(f"{INVENTORY_URL}/items/{sku}", timeout=2)\n'}
    llm_server.push({"content": json.dumps({"suggestions": [{"id": "t", "title": "Timeout", "category": "timeout",
                                                             "evidence": ["E1"], "edits": [edit]}]})})
    report = tmp_path / "r.md"
    rc = main(["agent", "code-review", "--results", str(_results_file(tmp_path)), "--source-dir", str(orders_src),
               "--endpoint", "stock_stock__sku__get", "--report", str(report)])
    assert rc == 0 and len(llm_server.chat_requests()) == 1
    text = report.read_text()
    assert "LLM test-model" in text and "+    response = requests.get(" in text and "timeout=2)" in text
    # --offline ignores the configured model
    rc = main(["agent", "code-review", "--results", str(_results_file(tmp_path)), "--source-dir", str(orders_src),
               "--endpoint", "stock_stock__sku__get", "--report", str(report), "--offline"])
    assert rc == 0 and len(llm_server.chat_requests()) == 1
    assert "offline rules reviewer (no LLM)" in report.read_text()


def test_code_review_offers_a_numbered_list_on_a_tty(orders_src, tmp_path, monkeypatch, capsys):
    import builtins
    import sys

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    answers = iter(["9", "2"])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(answers))
    report = tmp_path / "r.md"
    rc = main(["agent", "code-review", "--results", str(_results_file(tmp_path)), "--source-dir", str(orders_src),
               "--report", str(report)])
    out = capsys.readouterr().out
    assert rc == 0
    assert " 2. stock_stock__sku__get [GET http://127.0.0.1:9090/stock/sku-1]" in out
    assert "please type a number between 1 and 4" in out
    assert report.read_text().startswith("# stock_stock__sku__get")


def test_scenario_review_report_in_cwd_is_used_like_fault(orders_src, tmp_path, monkeypatch, llm_server, capsys):
    results = _results_file(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenario-review-report.md").write_text("# analysis\n\nINVENTORY IS THE BOTTLENECK\n")
    monkeypatch.setenv("FAULT_NB_LLM_BASE_URL", llm_server.url)
    monkeypatch.setenv("FAULT_NB_LLM_MODEL", "test-model")
    llm_server.push({"content": '{"suggestions": []}'})
    rc = main(["agent", "code-review", "--results", str(results), "--source-dir", str(orders_src),
               "--endpoint", "stock_stock__sku__get"])
    assert rc == 0 and "using scenario-review-report.md" in capsys.readouterr().err
    prompt = llm_server.chat_requests()[0]["body"]["messages"][1]["content"]
    assert "INVENTORY IS THE BOTTLENECK" in prompt and (tmp_path / "code-review-report.md").is_file()


def test_code_review_of_another_apps_source_warns(tmp_path, capsys):
    # results of one app reviewed against another app's source: every handler unmapped, said only per section
    other = tmp_path / "other"
    other.mkdir()
    (other / "main.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n\n\n"
                                   "@app.get('/nothing/here')\ndef nothing():\n    return {}\n")
    rc = main(["agent", "code-review", "--results", str(_results_file(tmp_path)), "--source-dir", str(other),
               "--all", "--report", str(tmp_path / "r.md")])
    assert rc == 0
    err = capsys.readouterr().err
    assert "warning: no handler of" in err and str(other) in err and "results.json" in err


def test_code_review_with_mapped_handlers_does_not_warn(orders_src, tmp_path, capsys):
    rc = main(["agent", "code-review", "--results", str(_results_file(tmp_path)), "--source-dir", str(orders_src),
               "--all", "--report", str(tmp_path / "r.md")])
    assert rc == 0 and "warning: no handler" not in capsys.readouterr().err


def test_code_review_all_names_endpoints_without_operation_id_and_empty_results(tmp_path, fixtures_dir, shared,
                                                                                 capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no scenario-review-report.md from elsewhere
    src = shutil.copytree(shared / "apps" / "webapp", tmp_path / "webapp")
    rc = main(["agent", "code-review", "--results", str(fixtures_dir / "results" / "edge_cases.results.json"),
               "--source-dir", str(src), "--all", "--offline", "--report", str(tmp_path / "r.md")])
    err = capsys.readouterr().err
    assert rc == 0 and "5 endpoint(s) without an operationId are not reviewed" in err
    rc = main(["agent", "code-review", "--results", str(fixtures_dir / "results" / "edge_empty.results.json"),
               "--source-dir", str(src), "--all", "--offline"])
    err = capsys.readouterr().err
    assert rc == 2 and "no scenario items" in err and "operationId" not in err
