"""Sending the calls of one scenario item: single, repeat and open-loop load.

Each request is one fresh HTTP/1.1 connection (as fault's runner builds one
client per request) sent to the proxy as an absolute-URI request, so the
proxy can attribute its fault events to the client's local port. Rows are
``ItemResultData`` dicts in spec A.3 shape.

Load is **open-loop**: every request is launched at its scheduled time
whatever earlier responses do, and its latency counts from that intended time,
so a slow server cannot hide behind fewer requests (no coordinated omission).
"""
from __future__ import annotations

import asyncio
import copy
import math
import re
import ssl
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote, urlsplit

from . import http1
from .proxy import DRAW_HEADER

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_PLACEHOLDER = re.compile(r"\{([^{}/]+)\}")


@dataclass
class Call:
    """A prepared request (placeholders substituted, headers merged per spec D.2)."""

    method: str
    url: str
    host: str = ""
    port: int = 80
    target: str = "/"
    scheme: str = "http"
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    timeout: float | None = None
    error: dict | None = None  # a ScenarioError: the request cannot be built


def prepare_call(item: dict, config: dict | None) -> Call:
    """Build the request of ``item`` (spec C.3) with the scenario ``config``.

    >>> prepare_call({"call": {"method": "GET", "url": "http://h:1/u/{id}"}},
    ...              {"http": {"paths": {"segments": {"id": "7"}}}}).url
    'http://h:1/u/7'
    """
    call = item.get("call") or {}
    http = ((config or {}).get("http") or {})
    segments = ((http.get("paths") or {}).get("segments") or {})
    url = str(call.get("url", ""))
    for name, value in segments.items():
        url = url.replace("{" + str(name) + "}", str(value))
    method = str(call.get("method", ""))
    timeout = call.get("timeout")
    out = Call(method=method, url=url, timeout=None if timeout is None else float(timeout) / 1000.0)
    if not _TOKEN.match(method):
        out.error = {"HTTPMethodError": method}
        return out
    u = urlsplit(url)
    if u.scheme not in ("http", "https") or not u.hostname:
        out.error = {"HTTPError": f"builder error: invalid URL {url!r}"}
        return out
    out.scheme, out.host = u.scheme, u.hostname
    try:
        out.port = u.port or (443 if u.scheme == "https" else 80)
    except ValueError:
        out.error = {"HTTPError": f"builder error: invalid port in {url!r}"}
        return out
    path = quote(u.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = quote(u.query, safe="=&%:@!$'()*+,;/?-._~") if u.query else ""
    out.target = path + (f"?{query}" if query else "")
    merged: dict[str, tuple[str, str]] = {}
    for source in ((http.get("headers") or {}), (call.get("headers") or {})):
        for k, v in source.items():
            merged[str(k).lower()] = (str(k), str(v))
    for name, value in merged.values():
        if not _TOKEN.match(name) or any(c in value for c in "\r\n\0"):
            out.error = {"HTTPError": f"builder error: invalid header {name!r}"}
            return out
    out.headers = list(merged.values())
    body = call.get("body")
    out.body = b"" if body is None else str(body).encode()
    return out


@dataclass
class Outcome:
    """What the client saw for one request (times in ms)."""

    start_us: int
    total_ms: float = 0.0
    ttfb_ms: float = 0.0
    status: int | None = None
    body_length: int = 0
    errored: bool = False
    timed_out: bool = False
    exchange: Any = None
    sent_at: float = 0.0


async def send(call: Call, proxy, *, via_proxy: bool, intended: float | None = None,
               wall_at_intended: float | None = None, draw: str | None = None) -> Outcome:
    """Send ``call`` (through ``proxy`` when ``via_proxy``) and measure it like reqwest would.

    ``draw`` names the request for the proxy's seeded random streams (``scenario:item:index``).
    """
    t0 = time.perf_counter() if intended is None else intended
    wall = time.time() if wall_at_intended is None else wall_at_intended
    out = Outcome(start_us=int(wall * 1_000_000), sent_at=time.perf_counter())
    state: dict = {"port": None, "body_t": None, "draw": draw}
    try:
        if call.timeout is None:
            await _exchange(call, proxy, via_proxy, out, state)
        else:
            remaining = call.timeout - (time.perf_counter() - out.sent_at)
            await asyncio.wait_for(_exchange(call, proxy, via_proxy, out, state), max(remaining, 0.0))
    except asyncio.TimeoutError:
        out.timed_out = True
    except (OSError, ValueError, ssl.SSLError):  # http1.ProtocolError is a ValueError
        out.errored = True
    end = time.perf_counter()
    out.total_ms = (end - t0) * 1000.0
    # fault's "ttfb": first body chunk -> end of body, else time since the start
    body_t = state["body_t"]
    out.ttfb_ms = (end - body_t) * 1000.0 if body_t is not None else (
        out.total_ms if out.status is not None else 0.0)
    if via_proxy and state["port"] is not None:
        ex = out.exchange = proxy.take(state["port"])
        # the proxy may still be recording the end of the body (bandwidth's final 0)
        deadline = time.perf_counter() + 0.05
        while ex is not None and not ex.done and time.perf_counter() < deadline:
            await asyncio.sleep(0.002)
    return out


async def _exchange(call: Call, proxy, via_proxy: bool, out: Outcome, state: dict) -> None:
    if via_proxy:
        reader, writer = await asyncio.open_connection(proxy.host, proxy.port, limit=1 << 20)
        target = f"http://{call.host if ':' not in call.host else '[' + call.host + ']'}:{call.port}{call.target}"
    else:
        ctx = ssl.create_default_context() if call.scheme == "https" else None
        reader, writer = await asyncio.open_connection(call.host, call.port, ssl=ctx, limit=1 << 20)
        target = call.target
    state["port"] = writer.get_extra_info("sockname")[1]
    try:
        names = {k.lower() for k, _ in call.headers}
        headers = []
        if "host" not in names:
            default = 443 if call.scheme == "https" else 80
            headers.append(("host", call.host + ("" if call.port == default else f":{call.port}")))
        headers += [(k, v) for k, v in call.headers if k.lower() not in ("content-length", "connection")]
        if via_proxy and state.get("draw") is not None:
            headers.append((DRAW_HEADER, state["draw"]))
        if call.body or call.method not in ("GET", "HEAD", "DELETE", "OPTIONS", "TRACE"):
            headers.append(("content-length", str(len(call.body))))
        headers.append(("connection", "close"))
        conn = http1.client_connection()
        data = http1.send(conn, http1.request_event(call.method, target, headers))
        if call.body:
            data += http1.send(conn, http1.Data(data=call.body))
        data += http1.send(conn, http1.EndOfMessage())
        writer.write(data)
        await writer.drain()
        while True:
            if out.status is None:
                event, _ = await http1.read_head(conn, reader)
            else:
                event = await http1.next_event(conn, reader)
            if isinstance(event, http1.Response):
                out.status = event.status_code
            elif isinstance(event, http1.Data):
                if event.data and state["body_t"] is None:
                    state["body_t"] = time.perf_counter()
                out.body_length += len(event.data)
            elif isinstance(event, http1.EndOfMessage):
                return
            elif isinstance(event, http1.ConnectionClosed):
                raise http1.ProtocolError("the server closed the connection without a complete response")
    finally:
        writer.close()


def row_for(call: Call, out: Outcome | None, faults: list[dict], expect: dict | None,
            *, load: bool = False) -> tuple[dict, bool]:
    """(``ItemResultData`` row, expectation failed) for one request (spec A.3, D.5)."""
    if call.error is not None or out is None:
        return ({"start": int(time.time() * 1_000_000), "expect": None, "metrics": None,
                 "faults": faults, "errors": [call.error or {"HTTPError": "request not sent"}]}, False)
    ex = out.exchange
    metrics = {
        "dns": list(ex.dns) if ex is not None else [],
        "protocol": None if out.status is None else {"type": "http", "code": out.status,
                                                      "body_length": out.body_length},
        "ttfb": out.ttfb_ms,
        "total_time": out.total_ms,
        "faults": ex.metrics_faults() if ex is not None else [],
        "errored": out.errored,
        "timed_out": out.timed_out,
    }
    failed = False
    exp_obj = None
    if expect is not None and not load:
        exp_obj, failed = decide(expect, out)
    return {"start": out.start_us, "expect": exp_obj, "metrics": metrics, "faults": faults, "errors": []}, failed


def decide(expect: dict, out: Outcome) -> tuple[dict, bool]:
    """fault's expectation decision (spec D.5): ``(ItemExpectation, failed)``.

    >>> decide({"status": 200}, Outcome(0, status=200))[0]["got"]["decision"]
    'success'
    """
    met: bool | None = None
    got = {"status_code": None, "response_time": None, "all_slo_are_valid": None, "decision": None}
    if out.status is not None and expect.get("status") is not None:
        got["status_code"] = out.status
        met = out.status == int(expect["status"])
    if met in (None, True) and expect.get("response_time_under") is not None:
        got["response_time"] = out.total_ms
        met = out.total_ms <= float(expect["response_time_under"])
    got["decision"] = "success" if met is True else "failure"
    wanted = {"status_code": expect.get("status"), "response_time_under": expect.get("response_time_under"),
              "all_slo_are_valid": None}
    return {"type": "http", "wanted": wanted, "got": got}, met is not True


def stepped_faults(faults: list[dict], step: float, i: int) -> list[dict]:
    """Repeat iteration ``i``: every latency ``mean`` becomes ``mean + step * i`` (spec C.4)."""
    out = copy.deepcopy(faults)
    for f in out:
        if f.get("type") == "latency":
            f["mean"] = float(f["mean"]) + float(step) * i
    return out


@dataclass
class LoadPlan:
    """When each request of a load item is due (seconds after the clients start)."""

    duration: float
    clients: int
    rps: int

    def offsets(self) -> list[float]:
        per_client = max(1, math.ceil(self.duration * self.rps - 1e-9))
        total = self.clients * self.rps
        # clients are staggered so the aggregate rate is even, not bursts of `clients`
        return sorted(k / self.rps + c / total for c in range(self.clients) for k in range(per_client))


async def run_load(call: Call, proxy, plan: LoadPlan, *, via_proxy: bool,
                   on_sent: Callable[[int], None] | None = None,
                   draw_prefix: str | None = None,
                   start_at: float | None = None) -> tuple[list[Outcome], dict]:
    """Fire every request of ``plan`` on schedule; return outcomes and rate statistics.

    The schedule is deterministic; request ``k`` (in schedule order) is named
    ``<draw_prefix>:<k>`` for the proxy's seeded draws. ``start_at`` (a
    ``time.perf_counter()`` value, default now) is when offset 0 is due: the runner
    anchors it to the clock of the item's fault periods, so a late start shows as
    send lag instead of shifting every request against the fault windows.
    """
    offsets = plan.offsets()
    now_perf, now_wall = time.perf_counter(), time.time()
    base_perf = now_perf if start_at is None else start_at
    base_wall = now_wall - (now_perf - base_perf)
    tasks: list[asyncio.Task] = []
    lags: list[float] = []
    for off in offsets:
        due = base_perf + off
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append((time.perf_counter() - due) * 1000.0)
        tasks.append(asyncio.ensure_future(send(
            call, proxy, via_proxy=via_proxy, intended=due, wall_at_intended=base_wall + off,
            draw=None if draw_prefix is None else f"{draw_prefix}:{len(tasks)}")))
        if on_sent is not None:
            on_sent(len(tasks))
    send_span = time.perf_counter() - base_perf
    outcomes = list(await asyncio.gather(*tasks))
    finish = time.perf_counter() - base_perf
    requested = plan.clients * plan.rps
    n = len(outcomes)
    # time the last send took relative to the schedule; on schedule this equals the plan span
    achieved = n / max(send_span + 1.0 / requested, 1e-9) if n else 0.0
    from ..results.report import r6_percentile  # here: the results package imports pandas

    lags.sort()  # once, for the R-6 percentiles below (as every other percentile)
    stats = {
        "requested_rps": float(requested),
        "achieved_rps": achieved,
        "sent": n,
        "completed": sum(1 for o in outcomes if o.status is not None and not o.errored),
        "duration": plan.duration,
        "wall_time": finish,
        "send_lag_p50_ms": r6_percentile(lags, 50)[0] if lags else 0.0,
        "send_lag_p99_ms": r6_percentile(lags, 99)[0] if lags else 0.0,
        "send_lag_max_ms": lags[-1] if lags else 0.0,
    }
    return outcomes, stats
