"""fault's Report numbers (spec B) and report.md (spec F) from every results fixture."""
from __future__ import annotations

import json
import math
from datetime import datetime, timezone

import pytest

from fault_nb.results import load_results
from fault_nb.results._serde import dumps_json
from fault_nb.results.markdown import (
    describe_fault, human_duration, period_fractions, render_markdown, rust_f64, timeline,
)
from fault_nb.results.report import build_report, format_rfc3339, r6_percentile, slo_rows

FIXTURES = ["seed_app", "edge_cases", "edge_empty"]


def _expected(fixtures_dir, name):
    return json.loads((fixtures_dir / "reports" / f"{name}.report.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", FIXTURES)
def test_report_equals_fixture(fixtures_dir, name):
    expected = _expected(fixtures_dir, name)
    results = load_results(fixtures_dir / "results" / f"{name}.results.json")
    report = results.report(end_time=expected["end_time"])
    assert json.loads(json.dumps(report)) == expected


@pytest.mark.parametrize("name", FIXTURES)
def test_report_json_is_byte_identical(fixtures_dir, name):
    expected_text = (fixtures_dir / "reports" / f"{name}.report.json").read_text(encoding="utf-8")
    results = load_results(fixtures_dir / "results" / f"{name}.results.json")
    assert dumps_json(results.report(end_time=_expected(fixtures_dir, name)["end_time"])) == expected_text


def test_report_end_time_defaults_to_the_files_end_and_accepts_now_and_datetime(fixtures_dir):
    results = load_results(fixtures_dir / "results" / "edge_empty.results.json")
    file_end = datetime.fromtimestamp(results.raw["end"], tz=timezone.utc)
    assert results.report()["end_time"] == file_end.strftime("%Y-%m-%dT%H:%M:%SZ")
    before = datetime.now(timezone.utc).replace(microsecond=0)
    end = datetime.fromisoformat(results.report(end_time="now")["end_time"].replace("Z", "+00:00"))
    assert before <= end <= datetime.now(timezone.utc)
    dt = datetime(2025, 6, 16, 10, 2, 48, 903311, tzinfo=timezone.utc)
    assert results.report(end_time=dt)["end_time"] == "2025-06-16T10:02:48.903311Z"
    assert results.report(end_time=None)["end_time"] is None


def test_report_is_a_copy(fixtures_dir):
    results = load_results(fixtures_dir / "results" / "seed_app.results.json")
    report = results.report(end_time=None)
    report["scenario_summaries"][0]["item_summaries"][0]["call"]["method"] = "PATCH"
    assert results.raw["results"][0]["scenario"]["items"][0]["call"]["method"] == "GET"


def test_markdown_is_byte_identical(fixtures_dir, tmp_path):
    results = load_results(fixtures_dir / "results" / "seed_app.results.json")
    expected = (fixtures_dir / "reports" / "seed_app.report.md").read_text(encoding="utf-8")
    end = _expected(fixtures_dir, "seed_app")["end_time"]
    assert results.to_markdown(end_time=end) == expected
    out = tmp_path / "sub" / "report.md"
    results.to_markdown(out, end_time=end)
    assert out.read_text(encoding="utf-8") == expected


def test_markdown_of_edge_cases_never_panics(fixtures_dir):
    results = load_results(fixtures_dir / "results" / "edge_cases.results.json")
    md = results.to_markdown(end_time="2025-06-16T10:02:48.903311407Z")
    assert md.count("### \U0001f3af") == 8
    assert "End: 2025-06-16 10:02:48.903311407 UTC" in md
    assert "- Authorization: xxxxxx" in md and "Bearer" not in md
    assert "| P99 < 1% errors | \u274c | 99% < 1% | Above by NaN | 0 (NaN%) |" in md
    assert ("**Platform Resources**\nBelow are the platform resources gathered during execution for that "
            "endpoint.\n\n```yaml\n- id: svc/shop/payments\n") in md
    assert "```\n### \U0001f3af `DELETE`" in md
    # fault's "none" has no blank line after it
    assert "**Faults Applied**:\nnone\n**Run Overview**:" in md
    assert "**Faults Applied**:\nnone\n**Expectation**: \n" in md
    # the unbuildable request has no latency sample: '-' instead of fault's panic
    assert "| 1 | 0 (0.0%) | 0.00 | 0.00 | - | 0 | 0 seconds |" in md


def test_markdown_without_end_time():
    md = render_markdown({"start_time": 1750068000000000, "end_time": None, "scenario_summaries": []})
    assert md == "# Scenarios Report\n\nStart: 2025-06-16 10:00:00 UTC\n\n\n"


def test_r6_percentile_rule():
    sample = [10.0, 20.0, 30.0, 40.0]
    assert r6_percentile(sample, 25.0) == (12.5, 2)  # h = 1.25
    assert r6_percentile(sample, 50.0) == (25.0, 3)  # h = 2.5
    assert r6_percentile(sample, 95.0) == (40.0, 4)  # h >= n
    assert r6_percentile([5.0, 6.0], 10.0) == (5.0, 1)  # h < 1


def test_slo_rows_latency_and_error():
    slos = [{"slo_type": "latency", "title": "p50", "objective": 50.0, "threshold": 20.0},
            {"type": "error", "title": "err", "objective": 99.0, "threshold": 10.0},
            {"slo_type": "availability", "title": "skipped", "objective": 1.0, "threshold": 1.0}]
    rows = slo_rows(slos, [10.0, 20.0, 30.0, 40.0], 4, 1)
    assert [r["title"] for r in rows] == ["p50", "err"]
    lat, err = rows
    assert (lat["pass"], lat["margin_text"], lat["calls_over_threshold"]) == (False, "Above by 5.0ms", 2)
    assert lat["calls_over_threshold_percent"] == 50.0 and lat["unit"] == "ms"
    assert (err["pass"], err["margin_text"], err["calls_over_threshold"]) == (False, "Above by 15.0", 1)
    # a latency SLO over an empty sample panics in fault; here it fails with NaN
    empty = slo_rows(slos[:1], [], 0, 0)[0]
    assert empty["pass"] is False and empty["margin_text"] == "Above by NaNms"
    assert empty["calls_over_threshold_percent"] is None


def test_item_count_counts_planned_repeat_calls():
    item = {"call": {"method": "GET", "url": "http://x/"}, "context": {
        "upstreams": [], "faults": [], "strategy": {"mode": "repeat", "step": 1.0, "count": 3,
                                                   "add_baseline_call": True}}}
    ir = {"target": {"address": "http://x/"}, "results": [], "requests_count": 4, "failure_counts": 0,
          "total_time": {"secs": 1, "nanos": 500000}}
    data = {"start": 0, "end": 1, "results": [{"scenario": {"title": "t", "items": [item, item]},
                                               "results": [ir, ir]}]}
    scen = build_report(data, end_time=None)["scenario_summaries"][0]
    assert scen["item_count"] == 8
    assert scen["total_duration_ms"] == 2001.0
    assert scen["description"] == ""


def test_rfc3339_and_rust_formatting():
    assert format_rfc3339(datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)) == "2025-01-02T03:04:05Z"
    assert format_rfc3339(datetime(2025, 1, 2, 3, 4, 5, 120000, tzinfo=timezone.utc)) == "2025-01-02T03:04:05.120Z"
    assert rust_f64(0.25) == "0.25" and rust_f64(100.0) == "100" and rust_f64(math.nan) == "NaN"
    assert human_duration(0.0) == "0 seconds" and human_duration(1000.4) == "1 second"
    assert human_duration(839.9) == "839 ms" and human_duration(3509.1) == "3 seconds and 509 ms"


def test_fault_descriptions():
    assert describe_fault({"type": "latency", "side": "client", "direction": "egress", "mean": 5.0}) == (
        "Latency: \U0001f5a5\ufe0f\u27a1\ufe0f, Per Read/Write Op.: false, Mean: 5.00 ms")
    assert describe_fault({"type": "latency", "global": False, "distribution": "uniform", "min": 1.0,
                           "max": 2.0}).endswith("Per Read/Write Op.: true, Distribution: uniform, "
                                                 "Min: 1.00 ms, Max: 2.00 ms")
    assert describe_fault({"type": "dns", "rate": 0.5}) == "DNS Fault - Rate: 50%"
    assert describe_fault({"type": "httperror", "status_code": 500, "probability": 0.25}) == (
        "HTTP Error Fault: Status: 500, Probablility: 0.25")
    assert describe_fault({"type": "bandwidth", "rate": 1, "unit": "MBps", "direction": "both"}) == (
        "Bandwidth: \u2194\ufe0f\U0001f5a7Rate: 1MBps")
    assert describe_fault({"type": "teleport"}) == "teleport"


def test_timeline_and_periods():
    assert timeline("start:10%,duration:15%", 3.0) == "0% `.xx.......` 100%"
    assert timeline("start:40%,duration:20%", 2.0) == "0% `....xx....` 100%"
    assert timeline(None, 2.0) == "0% `xxxxxxxxxx` 100%"
    assert timeline("start:1s,duration:2s", 10.0) == "0% `.xx.......` 100%"
    assert timeline("start:30s%", 10.0) == "0% `xxxxxxxxxx` 100%"  # fault drops what it cannot parse
    assert timeline("start:15%,duration:10%", 1.0) == "0% `..x.......` 100%"  # a cell counts by its left edge
    assert timeline("start:5s,duration:20s", 10.0) == "0% `.....xxxxx` 100%"  # clamped to the run
    assert timeline("start:90%", 10.0) == "0% `.........x` 100%"
    assert timeline("start:1s", 0.0) == "0% `xxxxxxxxxx` 100%"  # a zero-length run: fractions are 0
    assert period_fractions("start:0s,duration:50%;start:60%", 4.0) == (0.0, 0.5)
    assert period_fractions("start:50%", 4.0) == (0.5, 1.0)


def test_markdown_call_headers_and_load_without_faults():
    item = {"call": {"method": "GET", "url": "http://x/", "headers": {}}, "context": {
        "upstreams": [], "faults": [], "strategy": {"mode": "load", "duration": "1s", "clients": 1, "rps": 1}}}
    row = {"start": 1_000_000, "expect": None, "faults": [], "errors": [], "metrics": {
        "dns": [], "protocol": None, "ttfb": 0.0, "total_time": 61500.0, "faults": [], "errored": True,
        "timed_out": False}}
    ir = {"target": {"address": "http://x/"}, "results": [row], "requests_count": 1, "failure_counts": 0,
          "total_time": {"secs": 3723, "nanos": 4_000_000}}
    data = {"start": 0, "end": 1, "results": [{"scenario": {"title": "t", "items": [item]}, "results": [ir]}]}
    md = render_markdown(build_report(data, end_time=None))
    assert "- Headers:\n\n- Body?: No" in md  # an empty map prints an empty line, as in fault
    assert "**Strategy**: load for 1s with 1 clients @ 1 RPS\n\n**Faults Applied**:\nnone\n**Run Overview**" in md
    assert "| 1 | 1 (100.0%) | 61500.00 | 61500.00 | 61500.00 | 0 | 1 hour, 2 minutes, 3 seconds and 4 ms |" in md


def test_load_fault_table_without_parsable_duration():
    faults = [{"type": "latency", "mean": 1.0}]
    from fault_nb.results.markdown import _faults_section

    assert _faults_section(faults, {"mode": "load", "duration": "soon"}) == ["**Faults Applied**:", "", ""]
    lines = _faults_section(faults, {"mode": "load", "duration": "2s"})
    assert lines[2:4] == ["| Type | Timeline | Description |", "|------|----------|-------------|"]
