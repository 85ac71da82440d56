"""ResultsExplorer and EndpointPicker over a real results.json fixture."""
from __future__ import annotations

import pytest

pytest.importorskip("ipywidgets")

import fault_nb  # noqa: E402
from fault_nb.ui import EndpointPicker, ResultsExplorer  # noqa: E402
from fault_nb.ui.explorer import filter_runs  # noqa: E402


@pytest.fixture(scope="module")
def results(fixtures_dir):
    return fault_nb.load_results(fixtures_dir / "results" / "seed_app.results.json")


def test_picker_lists_fault_labels_and_values_are_operation_ids(results):
    picker = EndpointPicker(results)
    assert [label for label, _ in picker.options] == list(results.endpoints["label"])
    assert picker.value == "index__get"
    picker.value = "read_user_users__user_id__get"
    assert picker.label_for_value == "read_user_users__user_id__get [GET http://localhost:9090/users/{user_id}]"
    data = picker._repr_mimebundle_()
    assert "> read_user_users__user_id__get [GET" in data["text/plain"]
    assert "<li>index__get [GET http://localhost:9090/]</li>" in data["text/html"]


def test_filters_change_frame_table_and_charts(results):
    calls = []

    def chart(frame):
        import plotly.graph_objects as go

        calls.append(len(frame))
        return go.Figure(go.Bar(x=list(frame["operation_id"]), y=list(frame["total_time_ms"])))

    explorer = ResultsExplorer(results, charts=[chart])
    total = len(results.runs)
    assert calls == [total] and len(explorer.frame) == total
    import json

    def table_rows():
        return json.loads(explorer.table._dt_args["data_json"])

    assert len(table_rows()) == total  # every request is in the table (DataTables pages it)
    explorer.endpoint.value = "create_user_users__post"
    expected = (results.runs["operation_id"] == "create_user_users__post").sum()
    assert len(explorer.frame) == expected == calls[-1]
    assert set(explorer.frame["operation_id"]) == {"create_user_users__post"}
    assert len(explorer.figures[0].data[0].x) == expected
    shown = explorer.chart_outputs[0].outputs[0]["data"]["application/vnd.plotly.v1+json"]
    assert len(shown["data"][0]["x"]) == expected  # the chart on screen follows the filter
    assert f"<strong>{expected}</strong> of {total} requests" in explorer.summary.value
    explorer.faults.value = ("blackhole",)
    assert all("blackhole" in tuple(f) for f in explorer.frame["fault_types"])
    explorer.scenario.value = 0  # the first scenario has no blackhole: nothing matches
    assert len(explorer.frame) == 0 and "No request matches" in explorer.summary.value
    assert explorer.chart_box.children == ()


def test_default_charts_come_from_fault_nb_plots(results):
    explorer = ResultsExplorer(results)
    titles = [fig.layout.title.text for fig in explorer.figures]
    assert titles == ["Latency percentiles per endpoint and fault", "Latency over time",
                      "Failed requests and why"]
    assert explorer.message.value == ""


def test_a_failing_chart_is_reported_not_raised(results):
    def broken(frame):
        raise ValueError("no <good> column")

    explorer = ResultsExplorer(results, charts=[broken])
    assert "Chart failed" in explorer.message.value
    assert "no &lt;good&gt; column" in explorer.message.value


def test_filter_runs_matches_pandas(results):
    runs = results.runs
    got = filter_runs(runs, scenario=1, operation_id="read_user_users__user_id__get")
    want = runs[(runs.scenario_idx == 1) & (runs.operation_id == "read_user_users__user_id__get")]
    assert got.index.tolist() == want.index.tolist() and len(got) > 0


def test_static_fallback(results):
    explorer = ResultsExplorer(results, charts=[])
    data = explorer._repr_mimebundle_()
    assert data["text/plain"].startswith(f"ResultsExplorer: {len(results.runs)} of {len(results.runs)} requests")
    assert "<table" in data["text/html"] and "application/vnd.jupyter.widget-view+json" in data


def test_endpoints_without_operation_id_and_empty_results(fixtures_dir):
    edge = fault_nb.load_results(fixtures_dir / "results" / "edge_cases.results.json")
    picker = EndpointPicker(edge)
    values = [v for _, v in picker.options]
    assert len(values) == len(set(values)), "every endpoint needs its own value"
    assert "GET http://localhost:8081/cart" in values and "index__get" in values
    explorer = ResultsExplorer(edge, charts=[])
    explorer.endpoint.value = "GET http://localhost:8081/cart"
    assert list(explorer.frame["url"]) == ["http://localhost:8081/cart"]
    explorer.endpoint.value = "index__get"
    assert len(explorer.frame) == 2

    empty = fault_nb.load_results(fixtures_dir / "results" / "edge_empty.results.json")
    explorer = ResultsExplorer(empty)
    assert len(explorer.frame) == 0 and "No request matches" in explorer.summary.value
    assert EndpointPicker(empty).options == ()


def test_empty_states_are_explained(fixtures_dir):
    empty = fault_nb.load_results(fixtures_dir / "results" / "edge_empty.results.json")
    explorer = ResultsExplorer(empty)
    assert "hold no requests" in explorer.summary.value and explorer.figures == []
    picker = EndpointPicker(empty)
    assert picker.disabled and picker.value is None
    data = picker._repr_mimebundle_()
    assert "No endpoints in these results" in data["text/plain"] and "No endpoints" in data["text/html"]


def test_endpoint_without_operation_id_does_not_pull_in_named_rows(fixtures_dir):
    import copy

    edge = fault_nb.load_results(fixtures_dir / "results" / "edge_cases.results.json")
    raw = copy.deepcopy(edge.raw)
    # give the named health_get item (zero requests in the fixture) the request of the unnamed one
    raw["results"][0]["results"][3]["results"] = copy.deepcopy(raw["results"][0]["results"][0]["results"])
    raw["results"][0]["results"][3]["requests_count"] = 1
    r = fault_nb.Results.from_dict(raw) if hasattr(fault_nb, "Results") else fault_nb.results.Results.from_dict(raw)
    explorer = ResultsExplorer(r, charts=[])
    explorer.endpoint.value = "GET http://127.0.0.1:8080/health"
    assert list(explorer.frame["item_idx"]) == [0] and explorer.frame["operation_id"].isna().all()
    explorer.endpoint.value = "health_get"
    assert list(explorer.frame["item_idx"]) == [3]


def test_one_operation_id_at_two_urls_is_one_option(fixtures_dir):
    import json

    raw = json.loads((fixtures_dir / "results" / "seed_app.results.json").read_text())
    raw["results"][0]["scenario"]["items"][0]["call"]["url"] += "?page=2"  # index__get at two URLs
    r = fault_nb.Results.from_dict(raw)
    values = [v for _, v in EndpointPicker(r).options]
    assert len(values) == len(set(values)) and values.count("index__get") == 1
    label = dict((v, lab) for lab, v in EndpointPicker(r).options)["index__get"]
    assert label.endswith("(+1 more URL(s))")
    explorer = ResultsExplorer(r, charts=[])
    explorer.endpoint.value = "index__get"
    assert set(explorer.frame["url"]) == {"http://localhost:9090/?page=2", "http://localhost:9090/"}


def test_summary_counts_5xx_and_failures_not_only_transport_errors(results):
    """With the HTTP-error rows selected the explorer no longer says "0 errored"."""
    from fault_nb.results.stats import summarize_runs

    explorer = ResultsExplorer(results, charts=[])
    explorer.faults.value = ("httperror",)
    f = explorer.frame
    five = int((f.status.fillna(0) >= 500).sum())
    assert five > 0 and int(f.errored.sum()) < int(f.failed.sum())
    s = summarize_runs(f)  # the widget shows the core's numbers
    assert (f"<strong>{s.failed}</strong> failed ({s.failure_rate:.0%}): {five} HTTP 5xx, "
            f"{s.transport_errors} transport errors, {s.timed_out} timed out, "
            f"{s.expectation_failed} missed their expectation") in explorer.summary.value
    assert f"p95 {s.p95_ms:.1f} ms" in explorer.summary.value  # R-6, as fault's report

def test_table_shows_human_headers_formatted_values_and_keeps_dtypes(results):
    import json

    from fault_nb.ui.explorer import display_frame

    explorer = ResultsExplorer(results, charts=[])
    html_head = explorer.table._dt_args["table_html"]
    for header in ("Scenario", "Endpoint", "Faults", "HTTP status", "Total time (ms)", "Failed", "HTTP 5xx",
                   "Transport error", "Timed out", "Expectation"):
        assert f">{header}<" in html_head
    assert "total_time_ms" not in html_head and "fault_types" not in html_head
    rows = json.loads(explorer.table._dt_args["data_json"])
    faults = {r[5] for r in rows}
    assert "latency + packetloss" in faults and not any("(" in f for f in faults)
    total = [r[7] for r in rows]
    # one decimal on screen, the number itself for sorting
    assert all(isinstance(t, list) and t[0] == f"{t[1]:.1f}" for t in total if t)
    assert {r[9] for r in rows} <= {"yes", "no"} and all(s == "" or s.isdigit() for s in {r[6] for r in rows})
    assert explorer.table._dt_args["scrollX"] is True  # every column reachable
    # the analysis frame keeps its dtypes
    assert explorer.frame["total_time_ms"].dtype.kind == "f" and explorer.frame["failed"].dtype == bool
    assert list(display_frame(results.runs.head(2)).columns)[:2] == ["Scenario", "Endpoint"]


def test_fault_checkboxes_reset_and_empty_state(results):
    explorer = ResultsExplorer(results, charts=[])
    assert explorer.faults.options == tuple(sorted(explorer.faults.options))
    assert "blackhole" in explorer.faults.options and "latency" in explorer.faults.options
    box = dict(zip(explorer.faults.options, explorer.faults.boxes))
    box["blackhole"].value = True  # ticking a box filters
    assert explorer.faults.value == ("blackhole",)
    assert all("blackhole" in tuple(f) for f in explorer.frame["fault_types"]) and len(explorer.frame)
    explorer.scenario.value = 0  # the first scenario has no blackhole: an empty state that says what to change
    assert len(explorer.frame) == 0
    summary = explorer.summary.value
    assert "No request matches" in summary and "clear the fault boxes to see" in summary
    assert "clear the scenario (All scenarios) to see" in summary  # scenario 0 is a filter too
    assert "Reset filters" in summary and explorer.table_box.layout.display == "none"
    explorer.reset.click()
    assert len(explorer.frame) == len(results.runs) and not any(b.value for b in explorer.faults.boxes)
    assert explorer.scenario.value == -1 and explorer.table_box.layout.display == ""
    with pytest.raises(Exception, match="unknown fault type"):
        explorer.faults.value = ("nope",)
