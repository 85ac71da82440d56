"""fault's Report (spec B), computed from a ScenariosResults dict exactly as fault does.

Pure Python over the raw dict: the numbers must match fault's f64 arithmetic
bit for bit, so every formula keeps Rust's order of operations.

>>> from fault_nb.results.report import r6_percentile
>>> r6_percentile([1.0, 2.0, 3.0, 4.0], 50.0)
(2.5, 3)
"""
from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

PERCENTILES = (25.0, 50.0, 75.0, 95.0, 99.0)
_NOW = object()  # sentinel: end_time defaults to the wall clock, as in fault
FILE_END = object()  # sentinel: end_time is the results file's own ``end`` (Results.report's default)


def r6_percentile(sorted_lat: list[float], p: float) -> tuple[float, int]:
    """R-6 (Weibull) percentile of an ascending, non-empty sample, and fault's count.

    >>> r6_percentile([10.0], 99.0)
    (10.0, 1)
    """
    n = len(sorted_lat)
    h = (n + 1) * p / 100.0
    j = math.floor(h)
    g = h - j
    if j < 1:
        value = sorted_lat[0]
    elif j >= n:
        value = sorted_lat[n - 1]
    else:
        value = sorted_lat[j - 1] * (1.0 - g) + sorted_lat[j] * g
    count = min(max(math.ceil(h), 1), n)
    return value, count


def percentile(values, p: float) -> float:
    """R-6 percentile of any sample (unsorted, NaN and None skipped); NaN when nothing is left.

    The one percentile every view uses (explorer, plots, evidence, benchmarks), so
    their numbers match fault's report.

    >>> percentile([4.0, 1.0, float("nan"), 3.0, 2.0], 50)
    2.5
    >>> percentile([], 95)
    nan
    """
    xs = sorted(float(v) for v in values if v is not None and v == v)
    return r6_percentile(xs, float(p))[0] if xs else math.nan


def duration_ms(total_time: dict) -> float:
    """``Duration::as_millis_f64`` of a serde ``{"secs", "nanos"}`` object."""
    return total_time["secs"] * 1000.0 + total_time["nanos"] / 1_000_000.0


def latency_sample(rows: list[dict]) -> list[float]:
    """Sorted ``metrics.total_time`` of every row that has metrics (errors included)."""
    return sorted(float(r["metrics"]["total_time"]) for r in rows if r.get("metrics") is not None)


def error_count(rows: list[dict]) -> int:
    return sum(1 for r in rows if r.get("metrics") is not None and r["metrics"]["errored"] is True)


def planned_calls(item: dict) -> int:
    """Item contribution to ``item_count``: repeat counts planned calls, others 1."""
    strat = item["context"].get("strategy") or {}
    if strat.get("mode") == "repeat":
        return int(strat.get("count", 0)) + (1 if strat.get("add_baseline_call") else 0)
    return 1


def _percent(part: float, whole: int) -> float:
    return part * 100.0 / whole if whole else (math.nan if part == 0 else math.copysign(math.inf, part))


def _nan_to_none(x: float) -> float | None:
    return None if math.isnan(x) or math.isinf(x) else x


def slo_eval(slos: list[dict] | None, sample: list[float], requests_count: int,
             errors: int) -> list[tuple[dict, str, float]]:
    """(SloImpactRow, slo_type, measured value) per SLO; only ``latency``/``error`` rows (spec B.4).

    A latency SLO over an empty sample makes fault panic; here it yields a failing
    row with NaN numbers instead.
    """
    rows = []
    for slo in slos or ():
        kind = slo.get("slo_type", slo.get("type"))
        objective = float(slo["objective"])
        threshold = float(slo["threshold"])
        if kind == "latency":
            measured = r6_percentile(sample, objective)[0] if sample else math.nan
            buffer = threshold - measured
            ok = buffer >= 0.0
            margin = f"Below by {buffer:.1f}ms" if ok else f"Above by {-buffer:.1f}ms"
            over = sum(1 for x in sample if x > threshold)
            unit = "ms"
        elif kind == "error":
            measured = _percent(errors, requests_count)
            ok = measured < threshold
            margin = f"Below by {threshold - measured:.1f}" if ok else f"Above by {measured - threshold:.1f}"
            over = errors
            unit = "%"
        else:
            continue
        row = {
            "title": slo["title"],
            "pass": ok,
            "margin_text": margin.replace("nan", "NaN"),  # Rust spells NaN so
            "calls_over_threshold": over,
            "calls_over_threshold_percent": _nan_to_none(_percent(over, requests_count)),
            "objective": objective,
            "threshold": threshold,
            "unit": unit,
        }
        rows.append((row, kind, measured))
    return rows


def slo_rows(slos: list[dict] | None, sample: list[float], requests_count: int, errors: int) -> list[dict]:
    """SloImpactRow dicts of one item (spec B.4)."""
    return [row for row, _, _ in slo_eval(slos, sample, requests_count, errors)]


def item_summary(item: dict, ir: dict) -> dict:
    """ItemSummary of one scenario item and its ItemResult (spec B.1-B.4)."""
    rows = ir["results"]
    sample = latency_sample(rows)
    errors = error_count(rows)
    requests_count = ir["requests_count"]
    failures = ir["failure_counts"]
    pcts = []
    if sample:
        for p in PERCENTILES:
            value, count = r6_percentile(sample, p)
            pcts.append({"percentile": p, "latency": value, "count": count})
    ctx = item["context"]
    call = item["call"]
    summary = {
        "url": call["url"],
        "call": call,
        "faults": ctx.get("faults") or [],
        "strategy_mode": ctx.get("strategy") or {"mode": "single"},
        "expectation": item.get("expect"),
        "meta": call.get("meta"),
        "run_overview": [{
            "iteration": None,
            "requests_count": requests_count,
            "latency_percentiles": pcts,
            "min_latency": sample[0] if sample else 0.0,
            "max_latency": sample[-1] if sample else 0.0,
            "failure_count": failures,
            "error_count": errors,
            "total_time": duration_ms(ir["total_time"]),
        }],
        "slo_impact_table": slo_rows(ctx.get("slo"), sample, requests_count, errors),
        "failure_count": failures,
        "error_count": errors,
        "final_status": "Pass" if failures == 0 else "Fail",
    }
    if ir.get("resources") is not None:
        summary["resources"] = ir["resources"]
    return summary


def format_rfc3339(dt: datetime) -> str:
    """chrono's default serde form: fraction digits 0/3/6/9, ``Z`` suffix."""
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + _fraction(dt.microsecond * 1000) + "Z"


def _fraction(nanos: int) -> str:
    if nanos == 0:
        return ""
    if nanos % 1_000_000 == 0:
        return f".{nanos // 1_000_000:03d}"
    if nanos % 1000 == 0:
        return f".{nanos // 1000:06d}"
    return f".{nanos:09d}"


def file_end_time(data: dict) -> str | None:
    """The results file's own end (``end``, whole seconds) as the report's RFC 3339 ``end_time``.

    ``None`` when the file has no usable end (0, or before its start): the report then
    has no End line rather than a made-up one.

    >>> file_end_time({"start": 1750066212, "end": 1750066228})
    '2025-06-16T09:30:28Z'
    """
    end, start = data.get("end"), data.get("start")
    if not isinstance(end, int) or isinstance(end, bool) or end <= 0:
        return None
    if isinstance(start, int) and end < start:
        return None
    try:
        return format_rfc3339(datetime.fromtimestamp(end, tz=timezone.utc))
    except (OverflowError, OSError, ValueError):  # beyond datetime's range
        return None


def _end_time(end_time: Any) -> str | None:
    if isinstance(end_time, str) and end_time.strip().lower() == "now":
        end_time = _NOW
    if end_time is _NOW:
        return format_rfc3339(datetime.now(timezone.utc))
    if isinstance(end_time, str):
        try:  # what the Markdown renderer will have to read back
            datetime.fromisoformat(end_time.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValueError(f"end_time {end_time!r} is not an RFC 3339 timestamp "
                             "(expected e.g. 2025-06-16T09:30:28Z, or now)") from None
        return end_time
    if end_time is None:
        return end_time
    if isinstance(end_time, datetime):
        if end_time.tzinfo is None:
            end_time = end_time.replace(tzinfo=timezone.utc)
        return format_rfc3339(end_time)
    raise TypeError(f"end_time must be a datetime, an RFC 3339 string or None, not {type(end_time).__name__}")


def build_report(data: dict, *, end_time: Any = _NOW) -> dict:
    """The Report dict fault builds from a ScenariosResults (``report::builder::to_report``).

    ``end_time`` is the wall clock in fault; pass a datetime or an RFC 3339
    string to make it deterministic, or None for ``null``.

    >>> build_report({"start": 1, "end": 2, "results": []}, end_time=None)
    {'start_time': 1000000, 'end_time': None, 'scenario_summaries': []}
    """
    start_us = data["start"] * 1_000_000
    scenarios = []
    for sr in data["results"]:
        scen = sr["scenario"]
        items = scen["items"]
        summaries = [item_summary(it, ir) for it, ir in zip(items, sr["results"])]
        total = 0.0
        for s in summaries:
            total += s["run_overview"][0]["total_time"]
        scenarios.append({
            "title": scen["title"],
            "description": scen.get("description") or "",
            "scenario_start_time": start_us,
            "item_count": sum(planned_calls(it) for it in items),
            "total_duration_ms": total,
            "item_summaries": summaries,
        })
    return {"start_time": start_us, "end_time": _end_time(end_time), "scenario_summaries": scenarios}
