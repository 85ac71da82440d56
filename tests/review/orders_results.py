"""A results.json (fault's ScenariosResults shape) for the orders sample app.

Numbers are what a latency and an error scenario against the orders app look
like: the inventory calls are slow, create_order misses its latency SLO.
"""
from __future__ import annotations

import copy

BASE = "http://127.0.0.1:9090"
ENDPOINTS = [
    ("GET", "/health", "health_health_get"),
    ("GET", "/stock/sku-1", "stock_stock__sku__get"),
    ("POST", "/orders", "create_order_orders_post"),
    ("GET", "/orders/1", "read_order_orders__order_id__get"),
]
SLO = [{"slo_type": "latency", "title": "P95 < 800ms", "objective": 95.0, "threshold": 800.0},
       {"slo_type": "error", "title": "P99 < 1% errors", "objective": 99.0, "threshold": 1.0}]


def _row(start: int, ms: float, fault: dict, *, code: int | None = 200, errored: bool = False,
         timed_out: bool = False) -> dict:
    metrics = {"dns": [], "protocol": {"type": "http", "code": code, "body_length": 42} if code else None,
               "ttfb": ms * 0.9, "total_time": ms,
               "faults": [{"url": BASE, "applied": [{"event": {"type": fault["type"], "direction": "ingress",
                                                              "side": "server", "delay": ms * 0.8}}]}],
               "errored": errored, "timed_out": timed_out}
    if metrics["protocol"] is None:
        del metrics["protocol"]
    return {"start": start, "expect": None, "metrics": metrics, "faults": [fault], "errors": []}


def orders_results_dict() -> dict:
    latency = {"type": "latency", "side": "server", "mean": 900.0, "stddev": 50.0, "direction": "ingress"}
    loss = {"type": "packetloss", "direction": "egress"}
    scenarios = []
    for title, fault, times, errs in (
            ("Slow inventory", latency, [920.0, 880.0, 1010.0, 950.0], [False] * 4),
            ("Lossy network", loss, [15.0, 30.0, 3000.0, 12.0], [False, False, True, False])):
        items, results = [], []
        for method, path, opid in ENDPOINTS:
            call = {"method": method, "url": BASE + path, "meta": {"operation_id": opid}}
            if method == "POST":
                call["headers"] = {"content-type": "application/json"}
                call["body"] = '{"sku":"sku-1","quantity":1}'
            items.append({"call": call, "context": {"upstreams": [BASE], "faults": [copy.deepcopy(fault)],
                                                    "strategy": {"mode": "repeat", "step": 0.0, "count": 4,
                                                                 "wait": None, "add_baseline_call": False},
                                                    "slo": copy.deepcopy(SLO)}})
            scale = 0.02 if opid == "health_health_get" else 1.0
            rows = [_row(1750066212000000 + i * 1000, t * scale, fault, errored=e and scale == 1.0,
                         code=None if e and scale == 1.0 else 200)
                    for i, (t, e) in enumerate(zip(times, errs))]
            results.append({"target": {"address": BASE + path}, "results": rows, "requests_count": len(rows),
                            "failure_counts": 0, "total_time": {"secs": 4, "nanos": 0}})
        scenarios.append({"scenario": {"title": title, "description": None, "items": items},
                          "results": results})
    return {"start": 1750066212, "end": 1750066228, "results": scenarios}
