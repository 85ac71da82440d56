"""Build a :class:`~fault_nb.results.Results` from per-request samples (studies and tests).

The calibration study (benchmarks/bench_compare.py) and the statistics tests
simulate many before/after pairs; this turns arrays of latencies and outcomes
into a valid ScenariosResults (spec A shape, validated by ``Results.from_dict``)
so every simulated pair goes through the real :func:`fault_nb.compare`.

>>> import numpy as np
>>> r = results_from_samples([{"operation_id": "get_x", "latency": np.full(20, 5.0)}], seed=1)
>>> len(r.runs), r.extras["seed"]
(20, 1)
"""
from __future__ import annotations

from typing import Any

_BASE = "http://127.0.0.1:9090"


def _duration(ms: float) -> dict:
    secs = int(ms // 1000)
    return {"secs": secs, "nanos": int(round((ms - secs * 1000) * 1e6)) % 1_000_000_000}


def results_from_samples(cells: list[dict], *, seed: int | None = None, title: str = "simulated",
                         source: str = "<simulated>"):
    """One scenario with one load item per cell; ``seed`` is recorded as a run's fault seed.

    Each cell: ``operation_id``, ``latency`` (ms per request), optional ``method`` (GET),
    ``path`` (``/<operation_id>``), ``faults`` (``[{"type": "latency", "mean": 100.0}]``),
    ``status`` (per request; default 200), ``errored``, ``timed_out`` (bools per request),
    ``slo`` (fault SLO dicts), ``strategy`` (default a load strategy).
    """
    import numpy as np

    from ..results import Results

    items, item_results = [], []
    t0 = 1_750_000_000_000_000
    for c in cells:
        lat = np.asarray(c["latency"], dtype=float)
        n = len(lat)
        status = c.get("status")
        status = np.full(n, 200) if status is None else np.asarray(status)
        errored = np.zeros(n, bool) if c.get("errored") is None else np.asarray(c["errored"], bool)
        timed_out = np.zeros(n, bool) if c.get("timed_out") is None else np.asarray(c["timed_out"], bool)
        faults = c.get("faults", [{"type": "latency", "mean": 100.0, "stddev": 10.0}])
        method = c.get("method", "GET")
        url = _BASE + c.get("path", "/" + c["operation_id"])
        ctx: dict[str, Any] = {"upstreams": [_BASE], "faults": faults,
                               "strategy": c.get("strategy", {"mode": "load", "duration": "10s",
                                                              "clients": 1, "rps": max(1, n // 10)})}
        if c.get("slo"):
            ctx["slo"] = c["slo"]
        items.append({"call": {"method": method, "url": url, "meta": {"operation_id": c["operation_id"]}},
                      "context": ctx, "expect": None})
        rows = []
        for i in range(n):
            answered = not errored[i] and not timed_out[i] and status[i] is not None and int(status[i]) > 0
            rows.append({
                "start": t0 + i * 100_000, "expect": None, "faults": faults, "errors": [],
                "metrics": {"dns": [], "ttfb": float(lat[i]) / 2, "total_time": float(lat[i]),
                            "protocol": {"type": "http", "code": int(status[i]), "body_length": 2} if answered else None,
                            "faults": [{"url": url, "applied": None}],
                            "errored": bool(errored[i]), "timed_out": bool(timed_out[i])},
            })
        item_results.append({"target": {"address": url}, "results": rows, "requests_count": n,
                             "failure_counts": 0, "total_time": _duration(float(lat.sum()))})
    data = {"start": 1_750_000_000, "end": 1_750_000_100,
            "results": [{"scenario": {"title": title, "items": items}, "results": item_results}]}
    extras = {"seed": seed} if seed is not None else None
    return Results.from_dict(data, source=source, extras=extras)
