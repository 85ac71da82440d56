"""The proxy on its own: placements, attribution, errors, and the fault building blocks."""
from __future__ import annotations

import random
import socket
import statistics
import time

import pytest
import requests

from fault_nb.errors import ScenarioFormatError, ScenarioRunError
from fault_nb.scenarios.faults import (
    PACKETLOSS_LOSS, PACKETLOSS_TRANSITIONS, build_fault, build_faults, packetloss_survival, parse_period,
)
from fault_nb.scenarios.period import parse_duration
from fault_nb.scenarios.proxy import normalise_upstream, start_proxy


def _timed_get(url: str, **kw) -> tuple[requests.Response, float]:
    t = time.perf_counter()
    r = requests.get(url, timeout=10, **kw)
    return r, (time.perf_counter() - t) * 1000


# ---------------------------------------------------------------- fault building blocks

def test_parse_duration_and_period():
    assert parse_duration("10s") == 10.0
    assert parse_duration("1.5 minutes") == 90.0
    assert parse_duration("500ms") == 0.5
    assert parse_duration("3") == 3.0
    assert parse_duration("ten") is None
    assert parse_period("start:10%,duration:15%", 10.0) == pytest.approx((1.0, 2.5))
    assert parse_period("start:2s,duration:1s", None) == (2.0, 3.0)
    assert parse_period("start:30s", None) == (30.0, None)
    assert parse_period("duration:50%", 4.0) == (0.0, 2.0)
    # only the first of several periods counts; bad text means "always on"
    assert parse_period("start:1s,duration:1s;start:5s", None) == (1.0, 2.0)
    assert parse_period("begin:1s", 10.0) is None
    # single/repeat have no duration: a % start is 0, a % duration open-ended
    assert parse_period("start:50%,duration:10%", None) == (0.0, None)


def test_packetloss_survival_matches_the_chain_by_hand():
    # first op from "good": move (0.05 excellent, 0.9 good, 0.05 fair) then lose
    first_loss = 0.05 * 0.0 + 0.9 * 0.1 + 0.05 * 0.3
    assert packetloss_survival(1) == pytest.approx(1 - first_loss)
    assert packetloss_survival(0) == 1.0
    assert packetloss_survival(2) < packetloss_survival(1)
    assert all(abs(sum(row) - 1.0) < 1e-12 for row in PACKETLOSS_TRANSITIONS)
    assert PACKETLOSS_LOSS == (0.0, 0.1, 0.3, 0.6, 0.9)


def test_packetloss_chain_simulates_its_own_survival():
    f = build_fault({"type": "packetloss"})
    rng = random.Random(7)
    n, ops = 20000, 3
    survived = sum(not any(c.drop() for _ in range(ops)) for c in (f.chain(rng) for _ in range(n)))
    assert survived / n == pytest.approx(packetloss_survival(ops), abs=0.015)


def test_latency_distributions():
    rng = random.Random(3)
    normal = build_fault({"type": "latency", "mean": 10.0, "stddev": 50.0})
    samples = [normal.sample_ms(rng) for _ in range(2000)]
    assert min(samples) >= 0  # negatives are redrawn
    uni = build_fault({"type": "latency", "distribution": "uniform", "min": 5.0, "max": 9.0})
    u = [uni.sample_ms(rng) for _ in range(2000)]
    assert 5.0 <= min(u) and max(u) < 9.0 and statistics.mean(u) == pytest.approx(7.0, abs=0.2)
    par = build_fault({"type": "latency", "distribution": "Pareto", "scale": 20.0, "shape": 3.0})
    p = [par.sample_ms(rng) for _ in range(4000)]
    assert min(p) >= 20.0 and statistics.mean(p) == pytest.approx(30.0, rel=0.1)  # scale*shape/(shape-1)
    pn = build_fault({"type": "latency", "distribution": "pareto-normal", "scale": 20.0, "shape": 3.0,
                      "mean": 100.0, "stddev": 1.0})
    assert statistics.mean(pn.sample_ms(rng) for _ in range(2000)) == pytest.approx(130.0, rel=0.1)
    assert build_fault({"type": "latency"}).per_op is False
    assert build_fault({"type": "latency", "global": False}).per_op is True


def test_jitter_sample_rule():
    rng = random.Random(1)
    always = build_fault({"type": "jitter", "amplitude": 40.0, "frequency": 8.0})
    values = [always.sample_ms(rng) for _ in range(500)]
    assert all(v == int(v) and 0 <= v <= 40 for v in values) and len(set(values)) > 20
    never = build_fault({"type": "jitter", "amplitude": 40.0, "frequency": 0.0})
    assert {never.sample_ms(rng) for _ in range(100)} == {0.0}


@pytest.mark.parametrize("cfg, problem", [
    ({"type": "latency", "distribution": "zipf"}, "distribution"),
    ({"type": "latency", "distribution": "uniform"}, "min < max"),
    ({"type": "bandwidth", "rate": 10, "unit": "kbps"}, "unit"),
    ({"type": "dns", "rate": 2.0}, "rate"),
    ({"type": "jitter", "amplitude": 1.0}, "frequency"),
    ({"type": "latency", "direction": "sideways"}, "direction"),
    ({"type": "teleport"}, "teleport"),
])
def test_bad_faults_name_the_field(cfg, problem):
    with pytest.raises(ScenarioFormatError) as exc:
        build_faults([{"type": "latency"}, cfg])
    assert "$.faults[1]" in str(exc.value) and problem in str(exc.value)


def test_normalise_upstream():
    assert normalise_upstream("http://localhost:9090") == "localhost:9090"
    assert normalise_upstream("https://example.org") == "example.org:443"
    assert normalise_upstream("127.0.0.1:80") == "127.0.0.1:80"


# ---------------------------------------------------------------- the proxy with real apps

def test_forward_proxy_applies_faults_only_to_listed_upstreams(webapp, inventory_app):
    faults = [{"type": "latency", "mean": 1000.0, "stddev": 0.0}]
    with start_proxy(faults, upstreams=[webapp.url]) as proxy:
        px = {"http": proxy.url}
        r, ms = _timed_get(webapp.url + "/", proxies=px)
        assert r.status_code == 200 and r.json() == {"message": "Hello, World!"}
        assert ms >= 1000
        ex = proxy.log[-1]
        assert ex.url == webapp.url + "/"
        assert ex.applied == [{"type": "latency", "direction": "ingress", "side": "server", "delay": 1000.0}]
        assert ex.metrics_faults() == [{"url": webapp.url + "/", "applied": [{"event": ex.applied[0]}]}]
        # a host that is not an upstream passes through: no delay (the 1 s one would show), no events
        r, ms = _timed_get(inventory_app.url + "/items/sku-1", proxies=px)
        assert r.status_code == 200 and ms < 500
        assert proxy.log[-1].passthrough and proxy.log[-1].metrics_faults()[0]["applied"] is None


def test_reverse_proxy_in_front_of_a_dependency(inventory_app):
    # the session's inventory app is shared (other tests reserve sku-3): compare with what it says directly
    direct = requests.get(inventory_app.url + "/items/sku-3", timeout=5).json()
    assert direct["sku"] == "sku-3" and direct["available"] >= 1
    with start_proxy([], upstream=inventory_app.url) as proxy:
        assert proxy.url.startswith("http://127.0.0.1:")
        r = requests.get(proxy.url + "/items/sku-3", timeout=5)
        assert r.status_code == 200 and r.json() == direct
        r = requests.post(proxy.url + "/reservations", json={"sku": "sku-3", "quantity": 1}, timeout=5)
        assert r.status_code == 201 and r.json()["reserved"] == 1
        # the reservation reached the upstream
        assert requests.get(inventory_app.url + "/items/sku-3", timeout=5).json()["available"] == \
            direct["available"] - 1
        proxy.set_faults([{"type": "httperror", "status_code": 503, "probability": 1.0, "body": "down"}])
        r = requests.get(proxy.url + "/items/sku-3", timeout=5)
        assert (r.status_code, r.text) == (503, "down")
    assert not proxy.running
    with pytest.raises(requests.ConnectionError):
        requests.get(proxy.url + "/items/sku-3", timeout=2)


def test_connect_tunnel_with_server_side_latency(webapp):
    host, port = webapp.url[len("http://"):].split(":")
    faults = [{"type": "latency", "mean": 150.0, "stddev": 0.0, "side": "server", "direction": "ingress"}]
    with start_proxy(faults, upstreams=[webapp.url]) as proxy:
        with socket.create_connection((proxy.host, proxy.port), timeout=5) as s:
            s.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            assert s.recv(1024).startswith(b"HTTP/1.1 200")
            t = time.perf_counter()
            s.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            elapsed = (time.perf_counter() - t) * 1000
        assert data.startswith(b"HTTP/1.1 200") and b"Hello, World!" in data
        assert elapsed >= 150
        assert any(e["type"] == "latency" for e in proxy.log[-1].applied)


def test_unreachable_upstream(webapp):
    dead = f"http://127.0.0.1:{_closed_port()}"
    with start_proxy([], upstream=dead) as proxy:
        r = requests.get(proxy.url + "/x", timeout=5)
        assert r.status_code == 502 and "error" in r.json()
    with start_proxy([]) as proxy:  # forward: the client sees a transport error, as without a proxy
        with pytest.raises(requests.ConnectionError):
            requests.get(dead + "/x", proxies={"http": proxy.url}, timeout=5)


def test_port_in_use_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(ScenarioRunError, match=f"127.0.0.1:{port}"):
            start_proxy([], port=port)


def test_bad_upstream_and_bad_request_target():
    with pytest.raises(ScenarioRunError, match="upstream"):
        start_proxy([], upstream="ftp://example.org")
    with start_proxy([]) as proxy:  # origin-form request on a forward proxy
        r = requests.get(proxy.url + "/nothing", timeout=5)
        assert r.status_code == 400


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_direction_picks_the_hook_and_both_pays_twice(webapp):
    with start_proxy([], upstreams=[webapp.url]) as proxy:
        px = {"http": proxy.url}
        for direction, hooks in (("ingress", ["ingress"]), ("egress", ["egress"]), ("both", ["ingress", "egress"])):
            proxy.set_faults([{"type": "latency", "mean": 300.0, "stddev": 0.0, "direction": direction}],
                             upstreams=[webapp.url])
            r, ms = _timed_get(webapp.url + "/", proxies=px)
            assert r.status_code == 200
            events = proxy.log[-1].applied
            assert [e["direction"] for e in events] == hooks
            # each hook pays the delay once: one hook more (or a delay per read/write) adds >= 300 ms
            assert 300.0 * len(hooks) <= ms < 300.0 * len(hooks) + 200


def test_server_side_egress_blackhole_stalls_until_its_window_ends(webapp):
    # the generator's "black-hole for 1 s": server side, egress; a 1 s window from t0
    faults = [{"type": "blackhole", "direction": "egress", "period": "start:0s,duration:1s"}]
    with start_proxy([]) as proxy:
        t0 = time.monotonic()
        proxy.set_faults(faults, upstreams=[webapp.url], t0=t0)  # the window counts from t0, exactly
        r, _ = _timed_get(webapp.url + "/", proxies={"http": proxy.url})
        answered = time.monotonic() - t0
        assert proxy.log[-1].applied == [{"type": "blackhole", "side": "server", "direction": "egress"}]
        # held until the window closes, not before; released when it does (a stall that outlives its
        # window would run into the 10 s client timeout, or at least past 1.6 s)
        assert r.status_code == 200 and 1.0 <= answered < 1.6
        r, ms = _timed_get(webapp.url + "/", proxies={"http": proxy.url})  # window over
        assert r.status_code == 200 and proxy.log[-1].applied == [] and ms < 500


def test_request_bodies_chunked_and_client_side_bandwidth(tmp_path_factory):
    import http.client
    from pathlib import Path

    from fault_nb.apps import serve_app

    here = Path(__file__).resolve().parent
    with serve_app(here, app="bytes_app:app", workdir=tmp_path_factory.mktemp("chunked")) as app:
        # 20 kB request body at 40 kB/s on the request path: about 0.5 s
        faults = [{"type": "bandwidth", "rate": 40, "unit": "KBps", "side": "client"}]
        with start_proxy(faults, upstream=app.url) as proxy:
            t = time.perf_counter()
            r = requests.post(proxy.url + "/echo/up", data=b"y" * 20_000, timeout=10)
            ms = (time.perf_counter() - t) * 1000
            assert r.status_code == 200 and len(r.json()["body"]) == 20_000
            assert 20_000 / 40_000 * 1000 * 0.85 <= ms <= 20_000 / 40_000 * 1000 * 1.5
            assert {e["side"] for e in proxy.log[-1].applied} == {"client"}
            proxy.set_faults([])
            conn = http.client.HTTPConnection(proxy.host, proxy.port, timeout=5)
            conn.request("POST", "/echo/chunks", body=iter([b"abc", b"defg"]), encode_chunked=True)
            resp = conn.getresponse()
            assert resp.status == 200 and b'"body":"abcdefg"' in resp.read()
            conn.close()


def test_handle_renders_in_a_notebook(inventory_app):
    with start_proxy([{"type": "jitter", "amplitude": 5.0, "frequency": 1.0}], upstream=inventory_app.url) as p:
        requests.get(p.url + "/items/sku-1", timeout=5)
        html = p._repr_html_()
        assert p.url in html and "jitter" in html and "running" in html and "1 request(s)" in html
        assert "running" in repr(p)
    assert "stopped" in p._repr_html_()
