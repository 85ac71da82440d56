"""The pandas views: columns, dtypes, values cross-checked with the raw rows and the Report."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from fault_nb.results import Results, load_results
from fault_nb.results.report import r6_percentile

FIXTURES = ["seed_app", "edge_cases", "edge_empty"]

# the list in docs/internals.md, in order
INTERNALS_RUNS_COLUMNS = [
    "scenario_idx", "scenario_title", "item_idx", "row_idx", "method", "url", "operation_id",
    "strategy_mode", "start", "total_time_ms", "ttfb_ms", "status", "body_length", "errored", "timed_out",
    "has_metrics", "error_kinds", "decision", "expected_status", "expected_under_ms", "dns_ms",
    "fault_types", "latency_delay_ms", "event_count", "repeat_mean_ms",
    "endpoint_key", "fault_label", "dependency_fault_types", "http_5xx", "expectation_failed", "failed",
]


@pytest.fixture(scope="module", params=FIXTURES)
def loaded(request, fixtures_dir):
    return load_results(fixtures_dir / "results" / f"{request.param}.results.json")


@pytest.fixture(scope="module")
def seed(fixtures_dir):
    return load_results(fixtures_dir / "results" / "seed_app.results.json")


def _raw_rows(results):
    for si, sr in enumerate(results.raw["results"]):
        for ii, (item, ir) in enumerate(zip(sr["scenario"]["items"], sr["results"])):
            for ri, row in enumerate(ir["results"]):
                yield si, ii, ri, item, row


def test_runs_columns_and_dtypes(loaded):
    runs = loaded.runs
    assert list(runs.columns) == INTERNALS_RUNS_COLUMNS
    assert str(runs["start"].dtype) == "datetime64[ns, UTC]"
    for col in ("total_time_ms", "ttfb_ms", "expected_under_ms", "dns_ms", "latency_delay_ms", "repeat_mean_ms"):
        assert runs[col].dtype == "float64", col
    for col in ("errored", "timed_out", "has_metrics", "http_5xx", "expectation_failed", "failed"):
        assert runs[col].dtype == bool, col
    for col in ("status", "body_length", "expected_status"):
        assert runs[col].dtype == "Int64", col
    for col in ("scenario_idx", "item_idx", "row_idx", "event_count"):
        assert runs[col].dtype == "int64", col


def test_runs_values_match_raw_rows(loaded):
    runs = loaded.runs
    raw_rows = list(_raw_rows(loaded))
    assert len(runs) == len(raw_rows)
    for (si, ii, ri, item, row), rec in zip(raw_rows, runs.itertuples(index=False)):
        assert (rec.scenario_idx, rec.item_idx, rec.row_idx) == (si, ii, ri)
        assert rec.method == item["call"]["method"] and rec.url == item["call"]["url"]
        assert rec.start == pd.Timestamp(row["start"] * 1000, unit="ns", tz="UTC")
        m = row["metrics"]
        assert rec.has_metrics is (m is not None) or rec.has_metrics == (m is not None)
        if m is None:
            assert math.isnan(rec.total_time_ms) and pd.isna(rec.status) and not rec.errored
        else:
            assert rec.total_time_ms == m["total_time"] and rec.ttfb_ms == m["ttfb"]
            assert rec.errored == m["errored"] and rec.timed_out == m["timed_out"]
            code = (m["protocol"] or {}).get("code")
            assert (pd.isna(rec.status) and code is None) or rec.status == code
            assert rec.dns_ms == pytest.approx(sum(d["duration"] for d in m["dns"]))
            events = [e for f in m["faults"] for e in (f["applied"] or [])]
            assert rec.event_count == len(events)
            assert rec.latency_delay_ms == pytest.approx(
                sum(e["event"].get("delay") or 0.0 for e in events if e["event"]["type"] == "latency"))
        assert rec.fault_types == tuple(f["type"] for f in row["faults"])
        assert rec.error_kinds == tuple(k for e in row["errors"] for k in e)
        got = (row["expect"] or {}).get("got") or {}
        assert (rec.decision if not pd.isna(rec.decision) else None) == got.get("decision")


def test_runs_specific_values(seed, fixtures_dir):
    runs = seed.runs
    repeat = runs[runs.strategy_mode == "repeat"]
    assert repeat.repeat_mean_ms.tolist() == [100.0, 200.0, 300.0, 400.0]  # the stepped means
    edge = load_results(fixtures_dir / "results" / "edge_cases.results.json").runs
    bad = edge[~edge.has_metrics]
    assert bad.error_kinds.tolist() == [("HTTPMethodError",)]
    assert edge.timed_out.sum() >= 1
    assert edge.operation_id.isna().sum() == 5


def test_items_match_report(loaded):
    report = loaded.report(end_time=None)
    summaries = [it for s in report["scenario_summaries"] for it in s["item_summaries"]]
    items = loaded.items
    assert len(items) == len(summaries)
    for rec, summ in zip(items.itertuples(index=False), summaries):
        ov = summ["run_overview"][0]
        assert rec.requests_count == ov["requests_count"]
        assert rec.error_count == ov["error_count"] and rec.failure_counts == ov["failure_count"]
        assert rec.total_time_ms == ov["total_time"]
        assert rec.final_status == summ["final_status"]
        pcts = {p["percentile"]: p["latency"] for p in ov["latency_percentiles"]}
        if pcts:
            assert (rec.p25_ms, rec.p50_ms, rec.p95_ms, rec.p99_ms) == (pcts[25.0], pcts[50.0], pcts[95.0], pcts[99.0])
            assert (rec.min_ms, rec.max_ms) == (ov["min_latency"], ov["max_latency"])
        else:
            assert math.isnan(rec.p50_ms)
        assert rec.slo_count == len(summ["slo_impact_table"])
        assert rec.slo_failed == sum(not r["pass"] for r in summ["slo_impact_table"])
    assert items["requests_count"].dtype == "int64" and items["count"].dtype == "Int64"


def test_scenarios_match_report(loaded):
    report = loaded.report(end_time=None)
    scen = loaded.scenarios
    assert scen.title.tolist() == [s["title"] for s in report["scenario_summaries"]]
    assert scen.item_count.tolist() == [s["item_count"] for s in report["scenario_summaries"]]
    assert scen.total_duration_ms.tolist() == [s["total_duration_ms"] for s in report["scenario_summaries"]]
    assert (scen.passed_items + scen.failed_items == scen["items"]).all()


def test_slo_frame(seed):
    slo = seed.slo
    report = seed.report(end_time=None)
    rows = [(s_i, r) for s_i, s in enumerate(report["scenario_summaries"])
            for it in s["item_summaries"] for r in it["slo_impact_table"]]
    assert len(slo) == len(rows) == 10
    assert slo.margin_text.tolist() == [r["margin_text"] for _, r in rows]
    assert slo["pass"].tolist() == [r["pass"] for _, r in rows]
    first = slo.iloc[0]
    assert first.endpoint == "index__get [GET http://localhost:9090/]" and first.slo_type == "latency"
    sample = sorted(seed.runs.query("scenario_idx == 3").total_time_ms)
    assert first.measured == r6_percentile(sample, 95.0)[0]
    assert first.margin == pytest.approx(300.0 - first.measured)
    assert not first["pass"] and first.margin < 0


def test_endpoints(seed, fixtures_dir):
    ep = seed.endpoints
    assert list(ep.columns) == ["operation_id", "method", "url", "has_operation_id", "label", "raw_operation_id",
                                "endpoint_key"]
    assert ep.operation_id.tolist() == ["index__get", "create_user_users__post", "read_user_users__user_id__get"]
    assert ep.label.tolist()[1] == "create_user_users__post [POST http://localhost:9090/users/]"
    assert ep.has_operation_id.all()
    assert seed.operation_ids == ep.operation_id.tolist()
    edge = load_results(fixtures_dir / "results" / "edge_cases.results.json")
    eep = edge.endpoints
    no_opid = eep[~eep.has_operation_id]
    assert set(no_opid.label) == {"[GET http://127.0.0.1:8080/health]", "[GET http://127.0.0.1:8080/ready]",
                                  "[GE T http://127.0.0.1:8080/health]", "[GET http://localhost:8081/cart]",
                                  "[DELETE http://localhost:9090/users/1]"}
    assert edge.operation_ids == ["health_get", "read_user_users__user_id__get", "index__get"]
    assert not eep.duplicated(["operation_id", "method", "url"]).any()


def test_frames_are_lazy_and_cached(fixtures_dir):
    results = load_results(fixtures_dir / "results" / "seed_app.results.json")
    assert "runs" not in results.__dict__
    assert results.runs is results.runs


def test_empty_results_frames():
    results = Results.from_dict({"start": 0, "end": 0, "results": []})
    for name in ("runs", "items", "scenarios", "slo", "endpoints"):
        assert len(getattr(results, name)) == 0
    assert str(results.runs["start"].dtype) == "datetime64[ns, UTC]"
    assert results.operation_ids == []


def _hostile():
    item = {"call": {"method": "GET", "url": "http://x/<img src=x onerror=alert(1)>|a",
                     "meta": {"operation_id": "<b>op</b>"}},
            "context": {"upstreams": [], "faults": []}}
    row = {"start": 1_000_000, "expect": None, "metrics": None, "faults": [], "errors": []}
    ir = {"target": {"address": "x"}, "results": [row], "requests_count": 1, "failure_counts": 0,
          "total_time": {"secs": 0, "nanos": 1}}
    return Results.from_dict({"start": 1, "end": 2, "results": [
        {"scenario": {"title": "<script>alert('x')</script>", "items": [item]}, "results": [ir]}]},
        source="<mem & more>")


def test_repr_html_escapes_untrusted_text(seed):
    html = _hostile()._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "<b>op</b>" not in html and "&lt;b&gt;op&lt;/b&gt;" in html
    assert "&lt;mem &amp; more&gt;" in html
    seed_html = seed._repr_html_()
    assert seed_html.count("<tr>") == 14 and "1048.22" in seed_html and ">Fail<" in seed_html


def test_repr_markdown(seed):
    md = _hostile()._repr_markdown_()
    assert "\\|a" in md and "<script>" not in md
    seed_md = seed._repr_markdown_()
    assert "6 scenarios, 13 items, 63 requests" in seed_md
    assert seed_md.count("\n| ") == 14


def test_repr_is_compact_for_big_runs():
    item = {"call": {"method": "GET", "url": "http://x/"}, "context": {"upstreams": [], "faults": []}}
    ir = {"target": {"address": "http://x/"}, "results": [], "requests_count": 0, "failure_counts": 0,
          "total_time": {"secs": 0, "nanos": 0}}
    results = Results.from_dict({"start": 1, "end": 2, "results": [
        {"scenario": {"title": f"s{i}", "items": [item] * 5}, "results": [ir] * 5} for i in range(10)]})
    html = results._repr_html_()
    assert html.count("<tr>") == 41 and "and 10 more items" in html
    assert "and 10 more items" in results._repr_markdown_()
