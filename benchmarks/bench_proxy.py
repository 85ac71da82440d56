"""Benchmark of the fault proxy and the open-loop load generator, on loopback.

Against the sample webapp (``examples/apps/webapp``), measured in one run:

1. proxy overhead: p50/p99 of ``GET /`` through the proxy (no faults) minus
   direct, requests interleaved so drift hits both equally;
2. latency accuracy: median measured extra time minus the injected delay
   (fixed 50 ms and 200 ms);
3. load: achieved send rate vs requested at 50, 200 and 500 rps through the
   proxy, plus the send lag of the scheduler;
4. if wrk is installed: wrk's closed-loop throughput on the same
   endpoint, and our best achieved rate as a ratio of it.

Targets (printed, never asserted): p50 overhead <= 1 ms, injected latency
within 5% or 3 ms, achieved >= 98% of requested up to 200 rps.

    .venv/bin/python benchmarks/bench_proxy.py
"""
from __future__ import annotations

import asyncio
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fault_nb._tools import find_tool, missing, run_tool  # noqa: E402
from fault_nb.apps import serve_app  # noqa: E402
from fault_nb.scenarios.proxy import start_proxy  # noqa: E402
from fault_nb.scenarios.strategies import LoadPlan, prepare_call, run_load, send  # noqa: E402


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


async def overhead(call, proxy, n: int) -> tuple[list[float], list[float]]:
    direct, proxied = [], []
    for _ in range(n):
        direct.append((await send(call, proxy, via_proxy=False)).total_ms)
        proxied.append((await send(call, proxy, via_proxy=True)).total_ms)
    return direct, proxied


async def injected(call, proxy, delay_ms: float, n: int) -> list[float]:
    proxy.set_faults([{"type": "latency", "mean": delay_ms, "stddev": 0.0}], upstreams=[call.url])
    out = [(await send(call, proxy, via_proxy=True)).total_ms for _ in range(n)]
    proxy.set_faults([], upstreams=[call.url])
    return out


def wrk_rps(url: str, seconds: int = 3, connections: int = 8) -> float | None:
    """wrk's closed-loop rate, or None (said in plain words) when wrk is missing, fails or overruns."""
    wrk = find_tool("wrk")
    if wrk is None:
        print(missing("wrk", "the closed-loop baseline"))
        return None
    try:
        proc = run_tool([wrk, "-t2", f"-c{connections}", f"-d{seconds}s", url], capture_output=True, text=True,
                        timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        print(f"wrk did not finish within {seconds + 30} s: stopped")
        return None
    m = re.search(r"Requests/sec:\s*([0-9.]+)", proc.stdout)
    return float(m.group(1)) if m else None


def main() -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as work, serve_app(ROOT / "examples" / "apps" / "webapp", workdir=work) as app:
        call = prepare_call({"call": {"method": "GET", "url": app.url + "/"}}, None)
        call.timeout = 10.0
        with start_proxy([], upstreams=[app.url]) as proxy:
            asyncio.run(overhead(call, proxy, 50))  # warm-up
            direct, proxied = asyncio.run(overhead(call, proxy, 400))
            d50, p50 = statistics.median(direct), statistics.median(proxied)
            d99, p99 = pct(direct, 99), pct(proxied, 99)
            print("== proxy overhead (GET /, 400 interleaved requests, new connection each)")
            print(f"direct  p50 {d50:7.2f} ms  p99 {d99:7.2f} ms")
            print(f"proxied p50 {p50:7.2f} ms  p99 {p99:7.2f} ms")
            print(f"overhead p50 {p50 - d50:+.2f} ms (target <= 1 ms)  p99 {p99 - d99:+.2f} ms  "
                  f"ratio p50 {p50 / d50:.2f}x")

            print("== latency accuracy (median of 30, minus the proxied baseline p50)")
            for delay in (50.0, 200.0):
                got = statistics.median(asyncio.run(injected(call, proxy, delay, 30))) - p50
                err = got - delay
                ok = abs(err) <= max(0.05 * delay, 3.0)
                print(f"injected {delay:6.1f} ms  measured {got:7.2f} ms  error {err:+.2f} ms "
                      f"({err / delay * 100:+.1f}%) {'OK' if ok else 'MISS'} (target 5% or 3 ms)")

            print("== open-loop load through the proxy (2 s each)")
            best = 0.0
            for rps in (50, 200, 500):
                clients = max(1, rps // 50)
                plan = LoadPlan(2.0, clients, rps // clients)
                outcomes, stats = asyncio.run(run_load(call, proxy, plan, via_proxy=True))
                ok = [o for o in outcomes if o.status == 200]
                lat = [o.total_ms for o in ok]
                ratio = stats["achieved_rps"] / stats["requested_rps"]
                best = max(best, len(ok) / stats["wall_time"])
                print(f"requested {stats['requested_rps']:6.0f} rps  achieved {stats['achieved_rps']:7.1f} rps "
                      f"({ratio * 100:5.1f}%{', target >= 98%' if rps <= 200 else ''})  "
                      f"ok {len(ok)}/{stats['sent']}  send lag p99 {stats['send_lag_p99_ms']:.1f} ms  "
                      f"latency p50 {statistics.median(lat) if lat else float('nan'):.1f} ms "
                      f"p99 {pct(lat, 99) if lat else float('nan'):.1f} ms")

            print("== generator ceiling: open loop at 1500 rps for 2 s, direct and through the proxy")
            for via in (False, True):
                outcomes, stats = asyncio.run(run_load(call, proxy, LoadPlan(2.0, 10, 150), via_proxy=via))
                ok = sum(o.status == 200 for o in outcomes)
                done = ok / stats["wall_time"]
                best = max(best, done) if via else best
                print(f"{'proxied' if via else 'direct '} achieved send {stats['achieved_rps']:7.1f} rps, "
                      f"completed {done:7.1f} rps ({ok}/{stats['sent']} ok), send lag p99 "
                      f"{stats['send_lag_p99_ms']:.1f} ms")
                if not via:
                    direct_best = done

        print("== wrk on the same endpoint (direct, closed loop, 8 connections, 3 s)")
        rate = wrk_rps(app.url + "/")
        if rate is None:
            print("wrk baseline skipped")
        else:
            print(f"wrk {rate:.0f} rps; our open-loop generator completed {direct_best:.0f} rps direct "
                  f"= {direct_best / rate:.2f}x of wrk, {best:.0f} rps through the proxy = {best / rate:.2f}x")
    print(f"total bench time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
