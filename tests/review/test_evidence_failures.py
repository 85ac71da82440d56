"""Review evidence shows failures as users mean them (5xx, failed share) beside fault's transport
errors, names a dependency's fault, and gives SLO margins with their unit."""
from __future__ import annotations

import pytest

from fault_nb.results import Results
from fault_nb.review import review_endpoint
from fault_nb.review.evidence import collect_evidence, evidence_markdown, evidence_prompt, row_summary

from .conftest import make_index
from .orders_results import orders_results_dict

INVENTORY = [{"type": "latency", "mean": 1200.0, "stddev": 100.0},
             {"type": "httperror", "status_code": 503, "probability": 0.3}]


def _with_5xx() -> Results:
    """orders results where create_order answered 500 to 2 of 4 requests in each scenario."""
    data = orders_results_dict()
    for sr in data["results"]:
        for item, ir in zip(sr["scenario"]["items"], sr["results"]):
            if item["call"]["meta"]["operation_id"] == "create_order_orders_post":
                for row in ir["results"][:2]:
                    row["metrics"]["protocol"] = {"type": "http", "code": 500, "body_length": 21}
                    row["metrics"]["errored"] = False
    return Results.from_dict(data, source="orders-5xx.json")


def test_5xx_and_failure_rates_beside_transport_errors():
    ev = collect_evidence(_with_5xx(), "create_order_orders_post")
    rows = {r["fault"]: r for r in ev["rows"]}
    assert set(rows) == {"latency", "packetloss"}
    lat = rows["latency"]
    assert (lat["requests"], lat["http_5xx_rate"], lat["failure_rate"], lat["error_rate"]) == (4, 0.5, 0.5, 0.0)
    assert lat["failed"] == 2
    # the lossy run: 2 answers were 500, one request got no answer (a transport error)
    loss = rows["packetloss"]
    assert loss["http_5xx_rate"] == 0.5 and loss["error_rate"] == 0.25 and loss["failure_rate"] == 0.75
    assert ev["rows"][0]["fault"] == "packetloss"  # worst first
    md = evidence_markdown(ev)
    assert "| failed | transport errors | timeouts | 5xx | failed expectations |" in md
    assert "| 75% | 25% | 0% | 50% |" in md
    prompt = evidence_prompt(ev)
    assert "failed 50%, transport errors 0%, timeouts 0%, 5xx 50%" in prompt
    assert row_summary(lat).startswith("E2: latency, 4 requests, p95 ")
    assert "failed 50% (transport errors 0%, timeouts 0%, 5xx 50%, 0 failed expectations)" in row_summary(lat)


def test_slo_margins_carry_units():
    ev = collect_evidence(_with_5xx(), "create_order_orders_post")
    assert ev["slo"], "the orders items declare SLOs"
    for r in ev["slo"]:
        assert r["margin"].endswith("ms" if r["unit"] == "ms" else "% of requests"), r
    md = evidence_markdown(ev)
    assert "| 800 ms |" in md and "| 1 % |" in md


def test_a_dependency_fault_is_named_not_none(orders_src, tmp_path):
    healthy = Results.from_dict(_strip_faults(orders_results_dict()), source="orders-healthy.json")
    assert {r["fault"] for r in collect_evidence(healthy, "create_order_orders_post")["rows"]} == {"none"}
    degraded = healthy.with_dependency_faults("inventory", INVENTORY, upstream="http://127.0.0.1:9191")
    ev = collect_evidence(degraded, "create_order_orders_post")
    assert [r["fault"] for r in ev["rows"]] == ["inventory: httperror + latency"]
    assert {r["fault"] for r in ev["slo"]} == {"inventory: httperror + latency"}
    # the exported review (Markdown) shows the label and the failure columns
    index = make_index(orders_src, degraded, tmp_path)
    try:
        review = review_endpoint(degraded, index, "create_order_orders_post", llm=None)
    finally:
        index.close()
    md = review.to_markdown()
    assert "| inventory: httperror + latency |" in md
    assert "| failed | transport errors | timeouts | 5xx |" in md
    assert "<th>5xx</th>" in review._repr_html_() and "<th>failed</th>" in review._repr_html_()


def _strip_faults(data: dict) -> dict:
    for sr in data["results"]:
        for item, ir in zip(sr["scenario"]["items"], sr["results"]):
            item["context"]["faults"] = []
            for row in ir["results"]:
                row["faults"] = []
    return data


@pytest.mark.parametrize("missing", ["failure_rate", "http_5xx_rate"])
def test_rows_of_older_reviews_show_unknown_not_zero(missing):
    row = {"id": "E1", "fault": "latency", "requests": 3, "p50_ms": 5.0, "p95_ms": 10.0, "p99_ms": 11.0,
           "failure_rate": 0.5, "error_rate": 0.0,
           "timeout_rate": 0.0, "http_5xx_rate": 0.5, "failed_expectations": 0}
    del row[missing]
    assert "?" in row_summary(row) and "| ? |" in evidence_markdown({"rows": [row]})
