"""The frames' shared concepts: endpoint_key, fault_label, and failures as users mean them."""
from __future__ import annotations

import json
import math

import pytest

from fault_nb.errors import FaultNbError
from fault_nb.results import Results, load_results
from fault_nb.results.frames import NO_FAULT, fault_label, fault_types_present, filter_runs
from fault_nb.results.model import extras_path
from fault_nb.results.report import percentile, r6_percentile
from fault_nb.results.stats import SUMMARY_COLUMNS, summarize_by, summarize_runs

BASE = "http://127.0.0.1:9090"


def _row(ms: float | None, code: int | None = 200, *, errored=False, timed_out=False, decision=None, faults=()):
    row = {"start": 1_750_066_212_000_000, "faults": [dict(f) for f in faults], "errors": [],
           "expect": None if decision is None else {"type": "http", "wanted": {"status_code": 200},
                                                             "got": {"decision": decision}}}
    if ms is None:
        row["metrics"] = None
        row["errors"] = [{"connect": "refused"}]
        return row
    row["metrics"] = {"dns": [], "protocol": {"type": "http", "code": code, "body_length": 2} if code else None,
                      "ttfb": 0.0, "total_time": ms, "faults": [], "errored": errored, "timed_out": timed_out}
    return row


def _item(method, path, opid, rows, *, mode="load", expect=None, faults=()):
    call = {"method": method, "url": BASE + path}
    if opid is not None:
        call["meta"] = {"operation_id": opid}
    strategy = {"mode": "load", "duration": "2s", "clients": 1, "rps": 2} if mode == "load" else None
    item = {"call": call, "context": {"upstreams": [BASE], "faults": [dict(f) for f in faults],
                                      **({"strategy": strategy} if strategy else {})}}
    if expect is not None:
        item["expect"] = expect
    result = {"target": {"address": BASE + path}, "results": rows, "requests_count": len(rows),
              "failure_counts": sum(1 for r in rows if (r.get("expect") or {}).get("got", {}).get("decision")
                                    == "failure"),
              "total_time": {"secs": 2, "nanos": 0}}
    return item, result


def _data():
    lat = {"type": "latency", "mean": 100.0}
    loss = {"type": "packetloss"}
    load_rows = [
        _row(50.0, 201),                      # fine
        _row(1500.0, 201),                    # slower than the 1 s expected: failed expectation
        _row(40.0, 503),                      # 5xx (and not the expected 201)
        _row(None),                           # no answer at all
        _row(30.0, None, errored=True),       # transport error
        _row(900.0, None, timed_out=True, errored=True),  # timed out
    ]
    single_rows = [_row(10.0, 200, decision="success", faults=[lat, loss]),
                   _row(20.0, 500, decision="failure", faults=[lat, loss])]
    no_opid_rows = [_row(5.0, 200)]
    items = [
        _item("POST", "/orders", "create_order", load_rows, expect={"status": 201, "response_time_under": 1000.0}),
        _item("GET", "/stock/1", "stock", single_rows, mode="single", expect={"status": 200},
              faults=[loss, lat, lat]),
        _item("GET", "/health", None, no_opid_rows),
    ]
    return {"start": 1_750_066_212, "end": 1_750_066_228,
            "results": [{"scenario": {"title": "mixed", "description": None, "items": [i for i, _ in items]},
                         "results": [r for _, r in items]}]}


@pytest.fixture
def results():
    return Results.from_dict(_data(), source="mixed.json")


def test_endpoint_key_is_the_operation_id_or_method_url(results):
    runs = results.runs
    assert runs.endpoint_key.unique().tolist() == ["create_order", "stock", f"GET {BASE}/health"]
    assert results.items.endpoint_key.tolist() == ["create_order", "stock", f"GET {BASE}/health"]
    assert results.endpoints.endpoint_key.tolist() == ["create_order", "stock", f"GET {BASE}/health"]


def test_fault_label_one_spelling(results):
    runs = results.runs
    # sorted, unique, " + "; nothing injected is "none" in every frame
    assert runs.fault_label.tolist() == ["none"] * 6 + ["latency + packetloss"] * 2 + ["none"]
    assert results.items.fault_label.tolist() == ["none", "latency + packetloss", "none"]
    assert NO_FAULT == "none" and fault_label(()) == NO_FAULT
    assert fault_label(["b", "a", "a"], [("db", ["latency"])]) == "a + b; db: latency"


def test_failed_counts_5xx_timeouts_no_answer_and_missed_expectations(results):
    runs = results.runs
    load = runs[runs.endpoint_key == "create_order"]
    assert load.http_5xx.tolist() == [False, False, True, False, False, False]
    # fault checks no per-request expectation under load; the item's expect is applied with
    # fault's rule (spec D.5): without a response head only the time is checked
    assert load.expectation_failed.tolist() == [False, True, True, False, False, False]
    assert load.failed.tolist() == [False, True, True, True, True, True]
    # fault's own numbers stay fault's: errored is transport errors only, failure_counts 0 under load
    assert load.errored.tolist() == [False, False, False, False, True, True]
    assert results.report(end_time=None)["scenario_summaries"][0]["item_summaries"][0]["error_count"] == 2
    single = runs[runs.endpoint_key == "stock"]
    assert single.expectation_failed.tolist() == [False, True]  # fault's own decision
    assert single.http_5xx.tolist() == [False, True] and single.failed.tolist() == [False, True]
    items = results.items
    assert items.http_5xx_count.tolist() == [1, 1, 0]
    assert items.failed_count.tolist() == [5, 1, 0]


def test_summary_numbers(results):
    s = summarize_runs(results.runs)
    assert (s.requests, s.failed, s.http_5xx, s.timed_out, s.expectation_failed) == (9, 6, 2, 1, 3)
    assert s.transport_errors == 3  # two errored + one without any answer
    assert s.failure_rate == pytest.approx(6 / 9)
    sample = [float(x) for x in results.runs.total_time_ms.dropna()]
    assert s.p95_ms == r6_percentile(sorted(sample), 95.0)[0] and s.max_ms == 1500.0
    table = summarize_by(results.runs, "endpoint_key")
    assert list(table.columns) == ["endpoint_key", *SUMMARY_COLUMNS]
    assert table.set_index("endpoint_key").loc["create_order", "http_5xx_rate"] == pytest.approx(1 / 6)
    empty = summarize_runs(results.runs.iloc[:0])
    assert empty.requests == 0 and empty.failure_rate == 0.0 and math.isnan(empty.p50_ms)


def test_one_r6_percentile():
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == r6_percentile([1.0, 2.0, 3.0, 4.0], 50.0)[0] == 2.5
    assert percentile([1.0, float("nan"), None, 3.0], 99) == 3.0
    assert math.isnan(percentile([], 50))


def test_filter_runs_by_endpoint_key_and_fault(results):
    runs = results.runs
    assert len(filter_runs(runs, operation_id="create_order")) == 6
    assert len(filter_runs(runs, operation_id=f"GET {BASE}/health")) == 1
    assert len(filter_runs(runs, fault_types=["packetloss"])) == 2
    assert len(filter_runs(runs, scenario=0, operation_id="stock", fault_types=["latency"])) == 2
    assert filter_runs(runs, scenario=3).empty
    assert fault_types_present(runs) == ["latency", "packetloss"]


def test_dependency_faults_name_the_fault_and_survive_the_sidecar(results, tmp_path):
    inventory = [{"type": "latency", "mean": 1200.0}, {"type": "httperror", "status_code": 503, "probability": 0.3}]
    degraded = results.with_dependency_faults("inventory", inventory, upstream="http://127.0.0.1:9191",
                                              operation_ids=["create_order"])
    assert results.runs.fault_label.iloc[0] == "none"  # the original is untouched
    runs = degraded.runs
    assert runs[runs.endpoint_key == "create_order"].fault_label.unique().tolist() == ["inventory: httperror + latency"]
    assert runs[runs.endpoint_key == "stock"].fault_label.unique().tolist() == ["latency + packetloss"]
    assert runs.dependency_fault_types.iloc[0] == ("latency", "httperror")
    assert degraded.items.fault_label.tolist()[0] == "inventory: httperror + latency"
    assert len(filter_runs(runs, fault_types=["httperror"])) == 6
    out = tmp_path / "degraded.json"
    degraded.to_json(out)
    assert out.read_text() == results.dumps()  # results.json keeps fault's shape and bytes
    again = load_results(out)
    assert again.dependency_faults == degraded.dependency_faults
    assert again.runs.fault_label.tolist() == runs.fault_label.tolist()
    # a new run written over the file takes its stale record away
    results.to_json(out)
    assert not extras_path(out).exists() and load_results(out).runs.fault_label.iloc[0] == "none"


def test_bad_dependency_records_are_named(results, tmp_path):
    with pytest.raises(FaultNbError, match=r"faults\[0\]: expected a fault object"):
        results.with_dependency_faults("inventory", ["latency"])
    with pytest.raises(FaultNbError, match="dependency"):
        results.with_dependency_faults("", [])
    out = tmp_path / "r.json"
    results.to_json(out)
    extras_path(out).write_text(json.dumps({"dependency_faults": [{"dependency": "inv"}]}))
    with pytest.warns(UserWarning, match=r"dependency_faults\[0\]\.faults: missing"):
        again = load_results(out)
    assert again.extras == {}


def test_slo_margins_carry_units(fixtures_dir):
    slo = load_results(fixtures_dir / "results" / "seed_app.results.json").slo
    for row in slo.itertuples(index=False):
        assert row.margin_label.endswith("ms" if row.unit == "ms" else "% of requests"), row.margin_label
        assert row.margin_label.startswith(row.margin_text)  # fault's text, plus the unit it lacks
    assert set(slo.fault_label) <= {"latency", "bandwidth + httperror", "blackhole + packetloss",
                                    "latency + packetloss", "bandwidth", "httperror", "blackhole", "packetloss"}


def test_results_display_shows_failures_beside_faults_numbers(results):
    degraded = results.with_dependency_faults("inventory", [{"type": "httperror", "status_code": 503}],
                                              operation_ids=["create_order"])
    md = degraded._repr_markdown_()
    assert "9 requests, 6 failed (67%)" in md
    assert "| faults | requests | failed | 5xx | transport errors | exp. failures |" in md
    # the load item: fault's verdict is Pass (fault decides nothing under load), ours says 5 of 6 failed
    assert "| load | inventory: httperror | 6 | 5 | 1 | 2 | 0 |" in md
    assert "<th>failed</th><th>5xx</th>" in degraded._repr_html_()
