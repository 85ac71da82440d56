"""Scenario review: offline analysis from the numbers, and seven chained LLM phases."""
from __future__ import annotations

import re

import pytest

from fault_nb.errors import FaultNbError
from fault_nb.review import review_scenarios
from fault_nb.review.cache import ResponseCache
from fault_nb.review.llm import LLMClient
from fault_nb.review.prompts import PHASES


def test_offline_analysis_from_the_numbers(seed_results, tmp_path):
    out = tmp_path / "scenario-review-report.md"
    sr = review_scenarios(seed_results, path=out)
    text = out.read_text()
    assert text == sr.markdown
    assert text.startswith("# fault resilience report analysis\n")
    assert "offline analysis from the numbers (no LLM)" in text
    # fault's layout: TOC, ---, executive summary first, phases, ---, generated-on line
    assert text.index("## Table of Contents") < text.index("## Executive summary") < text.index("## Summary")
    assert re.search(r"\n---\n\nGenerated on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n$", text)
    # real numbers: the breached SLOs with their margins, the worst endpoint
    assert "| `index__get [GET http://localhost:9090/]` | Periodic latency pulses during load | P95 < 300ms" in text
    # margins carry their unit (fault's error-SLO margin has none)
    assert "Above by 276.9ms" in text and "Above by 9.0% of requests" in text
    assert "4 of 10 SLO checks were breached" in text
    assert "63 requests" in text
    # failures as users mean them: 5xx and the failed share beside transport errors
    runs = seed_results.runs
    assert f"63 requests, {int(runs.failed.sum())} failed" in text
    assert f"{int((runs.status.fillna(0) >= 500).sum())} answered 5xx" in text
    assert "| endpoint | requests | p95 ms | failed | transport errors | timeouts | 5xx | verdict |" in text
    assert len(sr.phases) == 7


def test_offline_on_empty_results(fixtures_dir):
    from fault_nb.results import load_results

    sr = review_scenarios(load_results(fixtures_dir / "results" / "edge_empty.results.json"))
    assert "no request" in sr.phases["summary"]


def test_bad_role(seed_results):
    with pytest.raises(FaultNbError, match="developer, sre"):
        review_scenarios(seed_results, role="manager")


def test_seven_chained_phases_with_llm(seed_results, llm_server, tmp_path):
    def handler(body):
        task = body["messages"][-1]["content"].split("## Task: ")[1].splitlines()[0]
        return {"content": f"## {task}\n\nAnalysis of {task}. <script>alert(1)</script> p95 < 300ms\n"
                           "```html\n<b>code stays</b>\n```"}

    llm_server.handler = handler
    llm = LLMClient(base_url=llm_server.url, model="test-model", cache=ResponseCache(tmp_path / "c"))
    sr = review_scenarios(seed_results, role="sre", llm=llm, path=tmp_path / "r.md")
    reqs = llm_server.chat_requests()
    assert len(reqs) == 7
    prompts = [r["body"]["messages"][-1]["content"] for r in reqs]
    # phases 1-2 see the report, all see the numbers, each sees every previous answer
    assert "## Scenario report" in prompts[0] and "## Scenario report" in prompts[1]
    assert "## Scenario report" not in prompts[2]
    assert all("## Key numbers" in p and "63 requests" in p for p in prompts)
    assert "Analysis of Summary." in prompts[1] and "Analysis of Risks." in prompts[6]
    assert "Audience: SRE." in prompts[0]
    text = (tmp_path / "r.md").read_text()
    assert text.index("## Executive summary") < text.index("## Summary")
    assert "LLM analysis by test-model" in text
    for _, title, _, _ in PHASES:
        assert f"Analysis of {title}." in text
    # model output is untrusted: raw HTML disarmed outside code, code blocks untouched
    assert "<script>" not in text and "&lt;script>" in text and "p95 < 300ms" in text
    assert "<b>code stays</b>" in text


def test_next_steps_are_runnable_commands(orders_results):
    import shlex

    from fault_nb.cli import build_parser

    text = review_scenarios(orders_results).phases["next"]
    assert "Not exercised yet: jitter, bandwidth, http-error, blackhole" in text
    commands = [ln for ln in text.splitlines() if ln.startswith("fault-nb ")]
    assert len(commands) == 3
    parser = build_parser()
    for cmd in commands:  # every suggested command line parses with our own CLI
        args = parser.parse_args(shlex.split(cmd)[1:])
        assert callable(args.func)
    assert "--operation stock_stock__sku__get" in commands[0] and "--kind packet-loss" in commands[0]
