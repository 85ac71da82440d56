"""run_scenarios end to end: results.json shape, strategies, expectations, errors, Ctrl-C."""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import threading
import time
from pathlib import Path

import jsonschema
import pytest

from fault_nb.results import load_results
from fault_nb.errors import ScenarioFormatError, ScenarioRunError
from fault_nb.scenarios.runner import run_scenarios

HERE = Path(__file__).resolve().parent




@pytest.fixture(scope="module")
def results_schema(fixtures_dir):
    return json.loads((fixtures_dir / "spec" / "results.schema.json").read_text())


def _validate(path: Path, schema: dict) -> dict:
    """Validate a results.json we wrote against fault's writer-strict schema, as is."""
    text = path.read_text()
    assert not text.endswith("\n")  # serde_json writes no trailing newline
    data = json.loads(text)
    jsonschema.validate(data, schema)
    return data


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_seed_fixture_scenarios_run_against_the_real_app(webapp, fixtures_dir, tmp_path, results_schema):
    port = webapp.url.rsplit(":", 1)[1]
    text = (fixtures_dir / "scenarios" / "seed_app.yaml").read_text()
    # shorten the loads so the test stays fast; keep everything else as written
    text = text.replace("localhost:9090", f"localhost:{port}").replace("duration: 3s", "duration: 1s")
    text = text.replace("duration: 2s", "duration: 1s")
    scenario = tmp_path / "seed.yaml"
    scenario.write_text(text)
    out, report = tmp_path / "results.json", tmp_path / "report.md"
    results = run_scenarios(scenario, result=out, report=report, progress=False)
    data = _validate(out, results_schema)
    assert [sr["scenario"]["title"] for sr in data["results"]][:2] == [
        "Latency spike on every endpoint", "Stair-step latency growth (3 x 100 ms)"]
    assert data["results"] == results.raw["results"]
    assert report.read_text().startswith("#")
    # stair-step: baseline + 3, means stepped by 100 ms, the last ones over the 350 ms budget
    stair = data["results"][1]["results"][0]
    assert stair["requests_count"] == 4
    assert [r["faults"][0]["mean"] for r in stair["results"]] == [100.0, 200.0, 300.0, 400.0]
    assert stair["failure_counts"] >= 1
    assert stair["target"]["address"].endswith("/users/{user_id}")
    assert all(r["metrics"]["faults"][0]["url"].endswith("/users/1") for r in stair["results"])
    turbulence = {ir["results"][0]["faults"][0]["type"]: ir["results"][0] for ir in data["results"][2]["results"]}
    dns_row = turbulence["dns"]
    assert dns_row["metrics"]["protocol"]["code"] == 500 and dns_row["expect"]["got"]["decision"] == "failure"
    forced = turbulence["httperror"]
    assert forced["metrics"]["protocol"] == {"type": "http", "code": 503, "body_length": len("maintenance")}
    assert forced["expect"]["got"]["decision"] == "success"


def test_expectations_follow_fault_decision_rules(webapp, tmp_path):
    base = {"call": {"method": "GET", "url": webapp.url + "/"},
            "context": {"upstreams": [webapp.url], "faults": [{"type": "latency", "mean": 120.0, "stddev": 0.0}]}}
    items = [
        {**base, "expect": {"status": 200}},                                 # success
        {**base, "expect": {"status": 201}},                                 # wrong status
        {**base, "expect": {"status": 200, "response_time_under": 50.0}},    # too slow
        {**base, "expect": {}},                                              # nothing to meet: failure
        base,                                                                # no expect: not evaluated
    ]
    results = run_scenarios([{"title": "expect", "items": items}], progress=False)
    irs = results.raw["results"][0]["results"]
    got = [ir["results"][0]["expect"] for ir in irs]
    assert [g and g["got"]["decision"] for g in got] == ["success", "failure", "failure", "failure", None]
    assert [ir["failure_counts"] for ir in irs] == [0, 1, 1, 1, 0]
    assert got[1]["got"]["status_code"] == 200 and got[1]["got"]["response_time"] is None
    assert got[2]["got"]["response_time"] == irs[2]["results"][0]["metrics"]["total_time"] > 120.0
    assert got[2]["wanted"] == {"status_code": 200, "response_time_under": 50.0, "all_slo_are_valid": None}


def test_repeat_with_wait_and_baseline(webapp):
    item = {"call": {"method": "GET", "url": webapp.url + "/"},
            "context": {"upstreams": [webapp.url],
                        "faults": [{"type": "latency", "mean": 10.0, "stddev": 0.0}],
                        "strategy": {"mode": "repeat", "step": 20.0, "count": 2, "wait": 100.0,
                                     "add_baseline_call": True}}}
    ir = run_scenarios([{"title": "r", "items": [item]}], progress=False).raw["results"][0]["results"][0]
    assert ir["requests_count"] == 3 and len(ir["results"]) == 3
    delays = [r["metrics"]["faults"][0]["applied"][0]["event"]["delay"] for r in ir["results"]]
    assert delays == [10.0, 30.0, 50.0]
    starts = [r["start"] for r in ir["results"]]
    assert all(b - a >= 100_000 for a, b in zip(starts, starts[1:]))  # the 100 ms wait, in µs
    total_ms = ir["total_time"]["secs"] * 1000 + ir["total_time"]["nanos"] / 1e6
    assert total_ms >= 300 + 90


def test_load_is_open_loop_and_records_the_achieved_rate(webapp, tmp_path, results_schema):
    # every response takes 400 ms; a closed loop of 2 clients could send at most 5 rps
    item = {"call": {"method": "GET", "url": webapp.url + "/"},
            "context": {"upstreams": [webapp.url],
                        "faults": [{"type": "latency", "mean": 400.0, "stddev": 0.0}],
                        "strategy": {"mode": "load", "duration": "1s", "clients": 2, "rps": 20}},
            "expect": {"status": 200}}
    out = tmp_path / "load.json"
    results = run_scenarios([{"title": "load", "items": [item]}], result=out, progress=True)
    _validate(out, results_schema)
    from fault_nb.results import load_results

    reread = load_results(out)  # the load record comes back from the sidecar file
    assert (tmp_path / "load.fault-nb.json").is_file()
    assert len(reread.runs) == 40 and reread.load_stats.loc[0, "sent"] == 40
    ir = results.raw["results"][0]["results"][0]
    rows = ir["results"]
    assert len(rows) == ir["requests_count"] == 40
    assert ir["failure_counts"] == 0 and all(r["expect"] is None for r in rows)
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)
    # latency counts from the intended send time, so it is at least the injected delay
    assert min(r["metrics"]["total_time"] for r in rows) >= 400.0
    assert "_fault_nb_extra" not in ir and "fault_nb" not in ir
    stats = results.load_stats.iloc[0]
    assert (stats["scenario_idx"], stats["item_idx"]) == (0, 0)
    assert stats["requested_rps"] == 40.0
    # open loop: a closed loop of 2 clients waiting 400 ms per response reaches at most 5 rps; the
    # bound leaves room for a loaded machine's late sends and still fails a closed loop by 4x
    assert stats["achieved_rps"] >= 20.0
    assert stats["sent"] == 40 and stats["completed"] == 40
    span_s = (rows[-1]["start"] - rows[0]["start"]) / 1e6
    assert 0.9 <= span_s < 1.0


def test_placeholders_and_header_merge_order(echo_app):
    config = {"http": {"headers": {"x-scope": "scenario", "x-only-scenario": "1"},
                       "paths": {"segments": {"name": "abc"}}}}
    items = [
        {"call": {"method": "POST", "url": echo_app.url + "/echo/{name}/{missing}?q=1",
                  "headers": {"content-type": "text/plain"}, "body": "hello"},
         "context": {"upstreams": [echo_app.url], "faults": []}, "expect": {"status": 200}},
        # the call's header wins over the scenario's, which is still sent
        {"call": {"method": "GET", "url": echo_app.url + "/header/x-scope/call", "headers": {"X-Scope": "call"}},
         "context": {"upstreams": [], "faults": []}, "expect": {"status": 200}},
        {"call": {"method": "POST", "url": echo_app.url + "/header/x-only-scenario/1", "body": "b" * 5000},
         "context": {"upstreams": [], "faults": []}, "expect": {"status": 200}},
    ]
    results = run_scenarios([{"title": "headers", "config": config, "items": items}], progress=False)
    rows = [ir["results"][0] for ir in results.raw["results"][0]["results"]]
    assert rows[0]["metrics"]["faults"][0]["url"] == echo_app.url + "/echo/abc/%7Bmissing%7D?q=1"
    assert [r["expect"]["got"]["decision"] for r in rows] == ["success"] * 3


def test_header_merge_seen_by_the_app(echo_app):
    from fault_nb.scenarios.strategies import prepare_call

    call = prepare_call({"call": {"method": "GET", "url": "http://h:1/a/{id}",
                                  "headers": {"X-Scope": "call"}}},
                        {"http": {"headers": {"x-scope": "scenario", "x-base": "1"},
                                  "paths": {"segments": {"id": "7"}}}})
    assert call.target == "/a/7"
    assert dict((k.lower(), v) for k, v in call.headers) == {"x-scope": "call", "x-base": "1"}


def test_unreachable_app_is_recorded_not_raised(tmp_path, results_schema):
    url = f"http://127.0.0.1:{_closed_port()}"
    items = [{"call": {"method": "GET", "url": url + "/", "timeout": 2000},
              "context": {"upstreams": [url], "faults": [{"type": "latency", "mean": 10.0}]},
              "expect": {"status": 200}}]
    out = tmp_path / "r.json"
    results = run_scenarios([{"title": "down", "items": items}], result=out, progress=False)
    _validate(out, results_schema)
    ir = results.raw["results"][0]["results"][0]
    first = ir["results"][0]
    assert first["metrics"]["errored"] is True and first["metrics"]["protocol"] is None
    assert first["metrics"]["timed_out"] is False and first["metrics"]["ttfb"] == 0.0
    assert first["expect"]["got"]["decision"] == "failure" and ir["failure_counts"] == 1


def test_a_request_that_cannot_be_built_is_an_error_row():
    from fault_nb.scenarios.strategies import prepare_call, row_for

    for call, error in [({"method": "GE T", "url": "http://h:1/"}, {"HTTPMethodError": "GE T"}),
                        ({"method": "GET", "url": "http://h:1/", "headers": {"x": "a\r\nb"}}, "HTTPError")]:
        prepared = prepare_call({"call": call}, None)
        row, failed = row_for(prepared, None, [], {"status": 200})
        assert row["metrics"] is None and row["expect"] is None and not failed
        assert row["errors"] == [error] if isinstance(error, dict) else list(row["errors"][0]) == [error]


def test_disable_http_proxies_bypasses_faults(webapp):
    item = {"call": {"method": "GET", "url": webapp.url + "/"},
            "context": {"upstreams": [webapp.url], "faults": [{"type": "latency", "mean": 500.0}],
                        "proxy": {"disable_http_proxies": True, "proxies": []}}}
    row = run_scenarios([{"title": "d", "items": [item]}], progress=False).raw["results"][0]["results"][0]["results"][0]
    assert row["metrics"]["total_time"] < 300 and row["metrics"]["faults"] == []


def test_port_in_use_and_bad_inputs(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(ScenarioRunError, match="cannot listen"):
            run_scenarios([{"title": "t", "items": []}], proxy_port=s.getsockname()[1], progress=False)
    with pytest.raises(ScenarioRunError, match="extension"):
        run_scenarios([{"title": "t", "items": []}], result=tmp_path / "r.txt", progress=False)
    bad = {"title": "t", "items": [{"call": {"method": "GET", "url": "http://127.0.0.1:1/"},
                                    "context": {"upstreams": [], "faults": [],
                                                "strategy": {"mode": "load", "duration": "soon",
                                                             "clients": 1, "rps": 1}}}]}
    with pytest.raises(ScenarioFormatError) as exc:
        run_scenarios([bad], progress=False)
    assert "items[0].context.strategy.duration" in str(exc.value)


def test_ctrl_c_stops_the_proxy_writes_what_ran_and_reraises(webapp, tmp_path, results_schema, request):
    quick = {"call": {"method": "GET", "url": webapp.url + "/"}, "context": {"upstreams": [], "faults": []}}
    long = {"call": {"method": "GET", "url": webapp.url + "/"},
            "context": {"upstreams": [], "faults": [],
                        "strategy": {"mode": "load", "duration": "30s", "clients": 1, "rps": 5}}}
    out = tmp_path / "partial.json"
    # `cancel` is asked before each item: its second call means the quick item's result is in and the
    # long item is next; Ctrl-C comes half a second into the long item (30 s long), not on a guess
    long_next, asked = threading.Event(), []

    def before_item() -> bool:
        asked.append(1)
        if len(asked) == 2:
            long_next.set()
        return False

    def interrupt() -> None:
        if long_next.wait(30):  # bounded; never signalled, the run ends on its own and the test fails
            time.sleep(0.5)
            os.kill(os.getpid(), signal.SIGINT)

    # Python's own Ctrl-C handler, also when this process inherited SIGINT ignored (a background job)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    request.addfinalizer(lambda: signal.signal(signal.SIGINT, previous))
    timer = threading.Thread(target=interrupt, daemon=True)
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        run_scenarios([{"title": "first", "items": [quick, long]}, {"title": "never", "items": [quick]}],
                      result=out, progress=False, cancel=before_item)
    timer.join(5)
    assert long_next.is_set() and len(asked) == 2
    data = _validate(out, results_schema)
    assert [sr["scenario"]["title"] for sr in data["results"]] == ["first"]
    assert len(data["results"][0]["scenario"]["items"]) == len(data["results"][0]["results"]) == 1
    assert threading.active_count() == 1 or not any(t.name == "fault-nb-proxy" for t in threading.enumerate())


def test_cli_run_parser(webapp, tmp_path):
    from fault_nb.scenarios.cli_run import add_run_parser

    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"title: cli\nitems:\n- call:\n    method: GET\n    url: {webapp.url}/\n"
                        f"  context:\n    upstreams: []\n    faults: []\n  expect:\n    status: 200\n")
    parser = argparse.ArgumentParser()
    add_run_parser(parser.add_subparsers())
    args = parser.parse_args(["run", "--scenario", str(scenario), "--result", str(tmp_path / "o.json"),
                              "--report", str(tmp_path / "o.md"), "--no-progress"])
    assert args.func(args) == 0
    data = json.loads((tmp_path / "o.json").read_text())
    assert data["results"][0]["results"][0]["results"][0]["expect"]["got"]["decision"] == "success"
    assert (tmp_path / "o.md").exists()


def test_runs_inside_a_running_event_loop_like_a_notebook(webapp):
    import asyncio

    item = {"call": {"method": "GET", "url": webapp.url + "/"},
            "context": {"upstreams": [webapp.url], "faults": [{"type": "latency", "mean": 50.0, "stddev": 0.0}]},
            "expect": {"status": 200}}

    async def in_kernel():  # Jupyter's kernel runs cells while its loop is running
        return run_scenarios([{"title": "nb", "items": [item]}], progress=False)

    results = asyncio.run(in_kernel())
    row = results.raw["results"][0]["results"][0]["results"][0]
    assert row["expect"]["got"]["decision"] == "success" and row["metrics"]["total_time"] >= 50.0


def test_expect_100_continue_through_the_reverse_proxy(echo_app):
    import http.client

    from fault_nb.scenarios.proxy import start_proxy

    with start_proxy([], upstream=echo_app.url) as proxy:
        conn = http.client.HTTPConnection(proxy.host, proxy.port, timeout=5)
        conn.putrequest("POST", "/echo/x")
        conn.putheader("Expect", "100-continue")
        conn.putheader("Content-Length", "5")
        conn.endheaders()
        interim = conn.sock.recv(64)
        assert interim.startswith(b"HTTP/1.1 100")
        conn.send(b"hello")
        resp = conn.getresponse()
        assert resp.status == 200 and b'"body":"hello"' in resp.read()
        conn.close()


def test_fault_nb_scenario_run_command(webapp, tmp_path, capsys, results_schema):
    from fault_nb.cli import main

    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"title: cli\nitems:\n- call:\n    method: GET\n    url: {webapp.url}/\n"
                        f"  context:\n    upstreams: ['{webapp.url}']\n    faults:\n"
                        f"    - type: httperror\n      status_code: 502\n      probability: 1.0\n"
                        f"  expect:\n    status: 200\n")
    out, report = tmp_path / "res.json", tmp_path / "rep.md"
    assert main(["scenario", "run", "--scenario", str(scenario), "--result", str(out),
                 "--report", str(report), "--no-progress"]) == 0
    data = _validate(out, results_schema)
    assert data["results"][0]["results"][0]["failure_counts"] == 1
    assert "1 failed expectation" in capsys.readouterr().err
    assert report.read_text().strip()
    # a user error is one line and exit status 2, not a traceback
    assert main(["scenario", "run", "--scenario", str(tmp_path / "missing.yaml"), "--no-progress"]) == 2
    assert "missing.yaml" in capsys.readouterr().err


@pytest.mark.slow
def test_fault_generated_scenarios_run_with_visible_effects(webapp, fixtures_dir, tmp_path, results_schema):
    """fault's own generated file for the seed app (loads shortened to 1 s)."""
    import re

    port = webapp.url.rsplit(":", 1)[1]
    text = (fixtures_dir / "scenarios" / "seed_app_generated.yaml").read_text()
    text = text.replace("localhost:9090", f"localhost:{port}")
    # keep it short: the index endpoint only (the first eight documents), loads of 1 s,
    # except the black-hole one (3 s, so that its 10% window holds a couple of requests)
    docs = [re.sub(r"duration: \d+s", "duration: 3s" if "black-hole" in d else "duration: 1s", d)
            for d in text.split("\n---\n")[:8]]
    scenario = tmp_path / "generated.yaml"
    scenario.write_text("\n---\n".join(docs))
    out = tmp_path / "results.json"
    run_scenarios(scenario, result=out, progress=False)
    data = _validate(out, results_schema)
    by_title = {sr["scenario"]["title"]: sr["results"][0] for sr in data["results"]}
    assert len(by_title) == 8
    spike = by_title["Single high-latency spike (client ingress)"]["results"][0]
    assert spike["metrics"]["total_time"] >= 400 and spike["metrics"]["protocol"]["code"] == 200
    hole = by_title["Full black-hole for 1s"]
    # the window is 1.35 s - 1.65 s after the schedule start: requests sent into it stall until it closes
    def blackholed(r):
        return any(e["event"]["type"] == "blackhole" for e in r["metrics"]["faults"][0]["applied"] or [])

    stalled = [r["metrics"]["total_time"] for r in hole["results"] if blackholed(r)]
    free = [r["metrics"]["total_time"] for r in hole["results"] if not blackholed(r)]
    assert 1 <= len(stalled) <= 3 and len(hole["results"]) == 18
    assert max(stalled) >= 100 and sorted(free)[len(free) // 2] < 50
    errors = by_title["Random 500 errors (5% of calls)"]
    assert errors["requests_count"] == len(errors["results"]) == 20
    reread = load_results(out)
    hole_idx = [sr["scenario"]["title"] for sr in data["results"]].index("Full black-hole for 1s")
    hole_stats = reread.load_stats.set_index("scenario_idx").loc[hole_idx]
    assert hole_stats["requested_rps"] == 6.0


def test_results_yaml_output(webapp, tmp_path):
    from fault_nb.results import load_results

    item = {"call": {"method": "GET", "url": webapp.url + "/"}, "context": {"upstreams": [], "faults": []},
            "expect": {"status": 200}}
    out = tmp_path / "results.yaml"
    results = run_scenarios([{"title": "yaml", "items": [item]}], result=out, progress=False)
    assert not out.read_text().lstrip().startswith("{")
    again = load_results(out)
    assert again.raw["results"][0]["results"][0]["results"][0]["metrics"]["protocol"]["code"] == 200
    assert again.raw["results"] == results.raw["results"]


def test_unsupported_context_parts_are_announced_not_ignored(webapp, tmp_path):
    from fault_nb.scenarios import ScenarioWarning

    item = {"call": {"method": "GET", "url": webapp.url + "/"},
            "context": {"upstreams": [webapp.url], "faults": [],
                        "runs_on": {"platform": "kubernetes", "ns": "default", "service": "web"},
                        "proxy": {"disable_http_proxies": False, "proxies": ["9000=127.0.0.1:9001"]}}}
    with pytest.warns(ScenarioWarning) as caught:
        results = run_scenarios([{"title": "k8s", "items": [item]}], progress=False)
    messages = " | ".join(str(w.message) for w in caught)
    assert "$[0].items[0].context.runs_on" in messages and "Kubernetes" in messages
    assert "$[0].items[0].context.proxy.proxies" in messages
    assert results.runs.loc[0, "status"] == 200  # the item still ran, locally


def test_bad_output_paths_fail_before_the_run(tmp_path, monkeypatch):
    # they used to fail only when writing, after every scenario had run: the numbers were lost
    import fault_nb.scenarios.runner as runner

    def no_run(*args, **kwargs):
        raise AssertionError("scenarios loaded although an output path is unusable")

    monkeypatch.setattr(runner, "_load", no_run)
    a_file = tmp_path / "f.txt"
    a_file.write_text("x")
    with pytest.raises(ScenarioRunError, match="is a directory"):
        run_scenarios("s.yaml", result=tmp_path / "r.json", report=tmp_path)
    with pytest.raises(ScenarioRunError, match="cannot be written"):
        run_scenarios("s.yaml", result=a_file / "sub" / "r.json")
