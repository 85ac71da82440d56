"""Measured effects of every fault type on plain HTTP, through the real proxy and real apps.

Runs go through :func:`run_scenarios` (forward placement) or :func:`start_proxy`
(reverse placement in front of the inventory service), and the assertions are
on what a client measures, not on what the proxy says it did.
"""
from __future__ import annotations

import statistics
from pathlib import Path

import pytest
import requests

from fault_nb.apps import serve_app
from fault_nb.scenarios.proxy import start_proxy
from fault_nb.scenarios.runner import run_scenarios

HERE = Path(__file__).resolve().parent

# fault's packet-loss chain, copied from fault-cli/src/fault/packet_loss.rs as the oracle
_T = [[0.9, 0.1, 0, 0, 0], [0.05, 0.9, 0.05, 0, 0], [0, 0.1, 0.8, 0.1, 0], [0, 0, 0.2, 0.7, 0.1], [0, 0, 0, 0.3, 0.7]]
_LOSS = [0.0, 0.1, 0.3, 0.6, 0.9]


def _survive(ops: int) -> float:
    p = [0, 1.0, 0, 0, 0]
    for _ in range(ops):
        p = [sum(p[i] * _T[i][j] for i in range(5)) * (1 - _LOSS[j]) for j in range(5)]
    return sum(p)




def _item(url: str, upstream: str, faults: list[dict], *, strategy: dict | None = None,
          timeout: int | None = None, expect: dict | None = None) -> dict:
    call = {"method": "GET", "url": url}
    if timeout is not None:
        call["timeout"] = timeout
    ctx = {"upstreams": [upstream], "faults": faults}
    if strategy:
        ctx["strategy"] = strategy
    item = {"call": call, "context": ctx}
    if expect is not None:
        item["expect"] = expect
    return item


def _run(item: dict, seed: int | None = None):
    return run_scenarios([{"title": "effect", "items": [item]}], progress=False, seed=seed)


def _rows(item: dict, seed: int | None = None) -> list[dict]:
    return _run(item, seed).raw["results"][0]["results"][0]["results"]


def _events(row: dict) -> list[dict]:
    return [a["event"] for f in row["metrics"]["faults"] for a in (f["applied"] or [])]


def _times(rows):
    return [r["metrics"]["total_time"] for r in rows]


def test_latency_400ms_is_paid_once_per_request(webapp):
    item = _item(webapp.url + "/", webapp.url, [{"type": "latency", "mean": 400.0, "stddev": 0.0}],
                 strategy={"mode": "repeat", "step": 0.0, "count": 5})
    rows = _rows(item)
    p50 = statistics.median(_times(rows))
    # at least the delay; well under twice it (a delay paid twice, or on each of the response's two
    # reads, is >= 800 ms), whatever the machine's load adds
    assert 400.0 <= p50 < 400.0 + 200.0
    assert all(r["metrics"]["protocol"]["code"] == 200 for r in rows)
    delays = [r["metrics"]["faults"][0]["applied"][0]["event"]["delay"] for r in rows]
    assert delays == [400.0] * 5


def test_client_side_latency_delays_the_request_path(webapp):
    rows = _rows(_item(webapp.url + "/", webapp.url, [{"type": "latency", "side": "client", "mean": 300.0,
                                                       "stddev": 0.0}]))
    assert 300.0 <= rows[0]["metrics"]["total_time"] < 300.0 + 200.0  # paid once, not twice (600)
    assert rows[0]["metrics"]["faults"][0]["applied"][0]["event"]["side"] == "client"


def test_per_operation_latency_is_paid_on_every_read(bytes_app):
    # 100 kB (plus the head) in reads of at most 64 KiB: two reads at least, 40 ms each
    faults = [{"type": "latency", "mean": 40.0, "stddev": 0.0, "global": False}]
    rows = _rows(_item(bytes_app.url + "/bytes/100000", bytes_app.url, faults))
    events = rows[0]["metrics"]["faults"][0]["applied"]
    assert len(events) >= 2
    assert rows[0]["metrics"]["total_time"] >= 40.0 * len(events)


def test_http_error_probability_one_replaces_every_status(webapp):
    faults = [{"type": "httperror", "status_code": 503, "probability": 1.0, "body": "maintenance"}]
    rows = _rows(_item(webapp.url + "/", webapp.url, faults,
                       strategy={"mode": "load", "duration": "1s", "clients": 2, "rps": 10}))
    assert len(rows) == 20
    assert {r["metrics"]["protocol"]["code"] for r in rows} == {503}
    assert {r["metrics"]["protocol"]["body_length"] for r in rows} == {len("maintenance")}


def test_http_error_probability_is_respected(webapp):
    faults = [{"type": "httperror", "status_code": 500, "probability": 0.3}]
    rows = _rows(_item(webapp.url + "/", webapp.url, faults,
                       strategy={"mode": "load", "duration": "1s", "clients": 2, "rps": 50}), seed=11)
    # seeded: the coins are fixed per request name, so the share is the same every run (a coin
    # that ignores the probability, always or never, still lands far outside)
    share = sum(r["metrics"]["protocol"]["code"] == 500 for r in rows) / len(rows)
    assert len(rows) == 100 and 0.15 <= share <= 0.45


def test_blackhole_times_requests_out_at_the_call_timeout(webapp):
    rows = _rows(_item(webapp.url + "/", webapp.url, [{"type": "blackhole"}], timeout=400,
                       strategy={"mode": "repeat", "step": 0.0, "count": 2}))
    for r in rows:
        m = r["metrics"]
        assert m["timed_out"] is True and m["errored"] is False and m["protocol"] is None
        # at the timeout, not at twice it nor at the 60 s safety net
        assert 400.0 <= m["total_time"] < 400.0 + 200.0


def test_bandwidth_cap_sets_the_transfer_time(bytes_app):
    n, rate_kbps = 300_000, 300  # 1 s at 300 kB/s: the 15 % bound leaves 150 ms for the machine
    faults = [{"type": "bandwidth", "rate": rate_kbps, "unit": "KBps", "direction": "ingress"}]
    rows = _rows(_item(f"{bytes_app.url}/bytes/{n}", bytes_app.url, faults))
    m = rows[0]["metrics"]
    assert m["protocol"]["body_length"] == n
    expected_ms = n / (rate_kbps * 1000) * 1000
    assert m["total_time"] == pytest.approx(expected_ms, rel=0.15)
    events = [e["event"] for e in m["faults"][0]["applied"]]
    assert {e["type"] for e in events} == {"bandwidth"}
    assert events[-1]["bps"] == 0 and sum(e["bps"] for e in events) >= n


@pytest.mark.slow
def test_packet_loss_truncates_at_the_chain_rate(webapp):
    rows = _rows(_item(webapp.url + "/", webapp.url, [{"type": "packetloss", "direction": "ingress"}],
                       timeout=2000, strategy={"mode": "load", "duration": "2s", "clients": 2, "rps": 60}),
                 seed=3)
    broken = [r for r in rows if r["metrics"]["errored"] or r["metrics"]["protocol"] is None
              or r["metrics"]["protocol"]["body_length"] < 27]
    # a small response is two reads on the response path (head, body)
    expected = 1 - _survive(2)
    assert len(broken) / len(rows) == pytest.approx(expected, abs=0.09)
    for r in broken:
        events = r["metrics"]["faults"][0]["applied"]
        assert events and events[-1]["event"]["type"] == "packetloss"
    whole = [r for r in rows if r not in broken]
    assert all(r["metrics"]["protocol"]["code"] == 200 for r in whole)


def test_fault_period_is_active_only_inside_its_window(webapp):
    # 2 s load; the latency lives from 40% to 70% of it (0.8 s - 1.4 s after the schedule start,
    # i.e. 0.7 s - 1.3 s after the clients start, as the schedule starts 100 ms earlier)
    faults = [{"type": "latency", "mean": 250.0, "stddev": 0.0, "period": "start:40%,duration:30%"}]
    results = _run(_item(webapp.url + "/", webapp.url, faults,
                         strategy={"mode": "load", "duration": "2s", "clients": 1, "rps": 20}))
    rows = results.raw["results"][0]["results"][0]["results"]
    # a row's start is its due time on the schedule; it reaches the proxy at most the worst send lag
    # (recorded) plus a connect later, so a row is surely inside/outside with that much margin
    late_s = results.extras["load"][0]["send_lag_max_ms"] / 1000 + 0.05
    first = rows[0]["start"]
    inside, outside = [], []
    for r in rows:
        t = (r["start"] - first) / 1e6
        if 0.7 + 0.01 < t < 1.3 - late_s:
            inside.append(r)
        elif t < 0.7 - late_s or t > 1.3 + 0.01:
            outside.append(r)
    assert len(rows) == 40 and len(inside) >= 5 and len(outside) >= 20, (late_s, len(inside), len(outside))
    assert all(_events(r) == [{"type": "latency", "direction": "ingress", "side": "server", "delay": 250.0}]
               and r["metrics"]["total_time"] >= 250.0 for r in inside)
    assert all(_events(r) == [] for r in outside)


def test_jitter_adds_variable_delay(webapp):
    faults = [{"type": "jitter", "amplitude": 100.0, "frequency": 1.0, "side": "server"}]
    rows = _rows(_item(webapp.url + "/", webapp.url, faults,
                       strategy={"mode": "load", "duration": "1s", "clients": 1, "rps": 30}), seed=5)
    times = _times(rows)
    # two reads on the response path, each delayed U{0..100} ms: mean ~100 ms, wide spread
    assert 60.0 <= statistics.mean(times) <= 140.0
    assert statistics.pstdev(times) > 20.0
    assert all(r["metrics"]["protocol"]["code"] == 200 for r in rows)


def test_dns_failures_at_the_rate(webapp):
    url = webapp.url.replace("127.0.0.1", "localhost")
    rows = _rows(_item(url + "/", url, [{"type": "dns", "rate": 0.5}],
                       strategy={"mode": "load", "duration": "1s", "clients": 2, "rps": 30}), seed=7)
    failed = [r for r in rows if r["metrics"]["protocol"]["code"] == 500]
    assert len(rows) == 60 and 0.3 <= len(failed) / len(rows) <= 0.7  # seeded: the same share every run
    for r in failed:
        assert r["metrics"]["dns"] == [{"host": "localhost", "duration": 0.0, "resolved": False}]
        assert r["metrics"]["faults"][0]["applied"][0]["event"]["type"] == "dns"
    ok = [r for r in rows if r not in failed]
    assert ok and all(r["metrics"]["dns"][0]["resolved"] for r in ok)


def test_fault_on_the_inventory_upstream_changes_the_orders_app(shared, inventory_app, orders_app,
                                                                 tmp_path):
    def p50(base: str) -> float:
        times = []
        for _ in range(5):
            r = requests.get(base + "/stock/sku-1", timeout=10)
            assert r.status_code == 200
            times.append(r.elapsed.total_seconds() * 1000)
        return statistics.median(times)

    direct = p50(orders_app.url)
    with start_proxy([{"type": "latency", "mean": 300.0, "stddev": 0.0}], upstream=inventory_app.url) as proxy:
        orders = serve_app(shared / "apps" / "orders", workdir=tmp_path,
                           env={"INVENTORY_URL": proxy.url, "ORDERS_DB": f"sqlite:///{tmp_path}/o.db"})
        try:
            slowed = p50(orders.url)
            assert slowed - direct >= 280.0
            proxy.set_faults([{"type": "httperror", "status_code": 503, "probability": 1.0,
                               "body": "inventory down"}])
            r = requests.get(orders.url + "/stock/sku-1", timeout=10)
            assert r.status_code == 500  # the orders app does not handle a failing dependency
            r = requests.post(orders.url + "/orders", json={"sku": "sku-1", "quantity": 1}, timeout=10)
            assert r.status_code == 500
        finally:
            orders.stop()
