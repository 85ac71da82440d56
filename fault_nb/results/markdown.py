"""fault's report.md (spec F), rendered from a Report dict.

Follows ``fault-cli/src/report/render/markdown.rs`` byte for byte where the
fixtures show it. Where fault panics (an item without a latency sample, an
invalid fault direction) this renderer writes ``-`` instead: the report of a
run should never be lost to one odd item.

>>> from fault_nb.results.markdown import human_duration
>>> human_duration(1968.4)
'1 second and 968 ms'
"""
from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from ..scenarios.catalogue import REPORT_NAMES
from ._yaml import dumps_yaml

_VS = "\ufe0f"
_LEFT, _RIGHT, _BOTH = "\u2b05" + _VS, "\u27a1" + _VS, "\u2194" + _VS
_CLIENT, _SERVER = "\U0001f5a5" + _VS, "\U0001f5a7"
_OK, _KO, _TARGET = "\u2705", "\u274c", "\U0001f3af"



def rust_f64(x: float) -> str:
    """Rust's ``{}`` for f64: shortest digits, never an exponent, no ``.0``.

    >>> [rust_f64(v) for v in (100.0, 0.25, 1e16, 1e-7)]
    ['100', '0.25', '10000000000000000', '0.0000001']
    """
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    s = format(Decimal(repr(x)), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def _f(x: Any, digits: int) -> str:
    if x is None:
        return "-"
    s = format(float(x), f".{digits}f")
    return s.replace("nan", "NaN")


_HUMAN_UNITS = (  # chrono-humanize's precise periods (a month is 30 days, a year 365)
    (365 * 86_400_000, "year"), (30 * 86_400_000, "month"), (7 * 86_400_000, "week"),
    (86_400_000, "day"), (3_600_000, "hour"), (60_000, "minute"), (1000, "second"),
)


def human_duration(ms: float) -> str:
    """fault's Total Time text: chrono-humanize, precise, from whole milliseconds.

    >>> [human_duration(v) for v in (464.9, 1968.0, 10179.0, 61500.0, 0.2)]
    ['464 ms', '1 second and 968 ms', '10 seconds and 179 ms', '1 minute, 1 second and 500 ms', '0 seconds']
    """
    rest = abs(int(ms)) if math.isfinite(ms) else 0
    parts = []
    for size, name in _HUMAN_UNITS:
        n, rest = divmod(rest, size)
        if n:
            parts.append(f"{n} {name}" + ("" if n == 1 else "s"))
    if rest:
        parts.append(f"{rest} ms")
    if not parts:
        return "0 seconds"
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def display_time_us(us: int) -> str:
    """chrono's Display of a DateTime<Utc> given in Unix microseconds."""
    from datetime import datetime, timezone

    from .report import _fraction

    secs, frac_us = divmod(int(us), 1_000_000)
    dt = datetime.fromtimestamp(secs, tz=timezone.utc)
    return dt.strftime("%Y-%m-%d %H:%M:%S") + _fraction(frac_us * 1000) + " UTC"


_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\d)[Tt ](\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|z|[+-]00:00)$")


def display_rfc3339(text: str) -> str:
    """chrono's Display of an RFC 3339 UTC timestamp (nanosecond precision kept)."""
    from .report import _fraction

    m = _RFC3339.match(text)
    if not m:
        from datetime import datetime, timezone

        dt = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
        return dt.strftime("%Y-%m-%d %H:%M:%S") + _fraction(dt.microsecond * 1000) + " UTC"
    nanos = int((m.group(3) or "0")[:9].ljust(9, "0"))
    return f"{m.group(1)} {m.group(2)}{_fraction(nanos)} UTC"


def _scope(fault: dict) -> str:
    direction = str(fault.get("direction") or "ingress").lower()
    side = fault.get("side") or "server"
    if side == "client":
        arrow = {"ingress": _LEFT, "egress": _RIGHT, "both": _BOTH}.get(direction, "-")
        return _CLIENT + arrow
    arrow = {"ingress": _RIGHT, "egress": _LEFT, "both": _BOTH}.get(direction, "-")
    return arrow + _SERVER


def describe_fault(fault: dict) -> str:
    """One fault as fault's report describes it (``Latency: ➡️🖧, Mean: ...``)."""
    kind = fault.get("type")
    if kind == "latency":
        glob = fault.get("global")
        parts = [f"Latency: {_scope(fault)}", f"Per Read/Write Op.: {'true' if glob is False else 'false'}"]
        if fault.get("distribution") is not None:
            parts.append(f"Distribution: {fault['distribution']}")
        for key, label, unit in (("mean", "Mean", " ms"), ("stddev", "Stddev", " ms"), ("min", "Min", " ms"),
                                 ("max", "Max", " ms"), ("shape", "Shape", ""), ("scale", "Scale", "")):
            if fault.get(key) is not None:
                parts.append(f"{label}: {_f(fault[key], 2)}{unit}")
        return ", ".join(parts)
    if kind == "jitter":
        return (f"Jitter: {_scope(fault)}Amplitude: {_f(fault.get('amplitude'), 2)}ms, "
                f"Frequence {_f(fault.get('frequency'), 2)}Hz")
    if kind == "packetloss":
        return f"Packet Loss: {_scope(fault)}"
    if kind == "bandwidth":
        return f"Bandwidth: {_scope(fault)}Rate: {fault.get('rate')}{fault.get('unit')}"
    if kind == "dns":
        rate = fault.get("rate")
        return f"DNS Fault - Rate: {rust_f64(float(rate) * 100.0) if rate is not None else '-'}%"
    if kind == "httperror":
        prob = fault.get("probability")
        return (f"HTTP Error Fault: Status: {fault.get('status_code')}, "
                f"Probablility: {rust_f64(prob) if prob is not None else '-'}")
    if kind == "blackhole":
        return f"Blackhole: {_scope(fault)}"
    return str(kind)


_DUR_UNITS = {
    "ns": 1e-9, "nsec": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "usec": 1e-6, "ms": 1e-3, "msec": 1e-3,
    "millis": 1e-3, "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
}
_DUR_PART = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z\u00b5]*)")


def parse_duration(text: str) -> float | None:
    """Seconds in a parse_duration string (``3s``, ``500ms``, ``1.5 minutes``, ``10``)."""
    text = (text or "").strip()
    pos, total = 0, 0.0
    if not text:
        return None
    while pos < len(text):
        m = _DUR_PART.match(text, pos)
        if not m or m.end() == pos:
            return None
        unit = m.group(2).lower() or "s"
        if unit not in _DUR_UNITS:
            return None
        total += float(m.group(1)) * _DUR_UNITS[unit]
        pos = m.end()
        while pos < len(text) and text[pos] in " ,":
            pos += 1
    return total


def _time_spec(value: str, total: float) -> float | None:
    """One ``start``/``duration`` value as a fraction of ``total`` seconds (fault's as_fraction)."""
    value = value.strip()
    if value.endswith("%"):
        try:
            frac = float(value[:-1]) / 100.0
        except ValueError:
            return None
    else:
        secs = parse_duration(value)
        if secs is None:
            return None
        frac = secs / total if total > 0 else 0.0
    if total <= 0:
        return 0.0
    return min(max(frac, 0.0), 1.0)


def period_fractions(period: str | None, load_seconds: float | None) -> tuple[float, float] | None:
    """(start, end) of a fault period as fractions of the load duration; None = always on.

    Only the first period counts; text fault cannot parse is ignored like fault
    does (the fault is then always on).

    >>> period_fractions("start:10%,duration:15%", 3.0)
    (0.1, 0.25)
    """
    if not period:
        return None
    total = load_seconds or 0.0
    for part in period.split(";"):
        if not part.strip():
            continue
        start, dur = 0.0, None
        for kv in part.split(","):
            kv = kv.strip()
            if not kv:
                continue
            key, _, value = kv.partition(":")
            if key not in ("start", "duration"):
                return None
            frac = _time_spec(value, total)
            if frac is None:
                return None
            if key == "start":
                start = frac
            else:
                dur = frac
        end = start + (1.0 - start if dur is None else dur)
        return start, min(max(end, 0.0), 1.0)
    return None


def timeline(period: str | None, load_seconds: float | None) -> str:
    """The 10-cell bar of a load fault: a cell is on when its left edge is in the period.

    >>> timeline("start:40%,duration:20%", 2.0)
    '0% `....xx....` 100%'
    """
    span = period_fractions(period, load_seconds) or (0.0, 1.0)
    chunk = 1.0 / 10
    cells = "".join("x" if span[0] <= i * chunk < span[1] else "." for i in range(10))
    return f"0% `{cells}` 100%"


def _call_section(call: dict) -> list[str]:
    out = ["**Call**:", ""]
    meta = call.get("meta") or {}
    if meta.get("operation_id") is not None:
        out.append(f"- Operation ID: `{meta['operation_id']}`")
    out.append(f"- Method: `{call['method']}`")
    timeout = call.get("timeout")
    out.append(f"- Timeout: {timeout}ms" if timeout is not None else "- Timeout: -")
    headers = call.get("headers")
    if headers is None:
        out.append("- Headers: -")
    else:  # fault prints an empty map as an empty line
        out.append("- Headers:")
        out.append("\n".join(f"  - {k}: {'xxxxxx' if k.lower() == 'authorization' else v}"
                             for k, v in headers.items()))
    out.append(f"- Body?: {'Yes' if call.get('body') is not None else 'No'}")
    out.append("")
    return out


def _strategy_text(strategy: dict) -> str:
    mode = strategy.get("mode")
    if mode == "load":
        return f"load for {strategy.get('duration')} with {strategy.get('clients')} clients @ {strategy.get('rps')} RPS"
    if mode == "repeat":
        return f"repeat {strategy.get('count')} times with a step of {rust_f64(strategy.get('step', 0.0))}"
    return "single shot"


def _faults_section(faults: list[dict], strategy: dict) -> list[str]:
    if strategy.get("mode") == "load":
        if not faults:
            return ["**Faults Applied**:", "none"]
        out = ["**Faults Applied**:", ""]
        secs = parse_duration(str(strategy.get("duration", "")))
        if secs is not None:  # fault leaves the table out when the duration does not parse
            out += ["| Type | Timeline | Description |", "|------|----------|-------------|"]
            for f in faults:
                kind = REPORT_NAMES.get(f.get("type"), str(f.get("type")))
                out.append(f"| {kind} | {timeline(f.get('period'), secs)} | {describe_fault(f)} |")
            out.append("")
        return out + [""]
    if not faults:
        return ["**Faults Applied**:", "none"]
    return ["**Faults Applied**:"] + [f"- {describe_fault(f)}" for f in faults] + [""]


def _expectation_text(expect: dict) -> str:
    text = ""
    if expect.get("response_time_under") is not None:
        text += f"Response time Under {rust_f64(expect['response_time_under'])}ms | "
    if expect.get("status") is not None:
        text += f"Status Code {expect['status']}"
    return text


def _percent(part: int, whole: int) -> str:
    value = part * 100.0 / whole if whole else math.nan
    return _f(value, 1)


def _item(item: dict) -> list[str]:
    call = item["call"]
    status = {"Pass": "Passed", "Fail": "Failed"}.get(item.get("final_status"), "-")
    out = [f"### {_TARGET} `{call['method']}` {item['url']} | {status}", ""]
    out += _call_section(call)
    strategy = item.get("strategy_mode") or {"mode": "single"}
    out += [f"**Strategy**: {_strategy_text(strategy)}", ""]
    out += _faults_section(item.get("faults") or [], strategy)
    if item.get("expectation") is not None:
        out += [f"**Expectation**: {_expectation_text(item['expectation'])}", ""]
    ov = item["run_overview"][0]
    pcts = ov["latency_percentiles"]
    p50 = next((p["latency"] for p in pcts if p["percentile"] == 50.0), None)
    n = ov["requests_count"]
    out += [
        "**Run Overview**:", "",
        "| Num. Requests | Num. Errors | Min. Response Time | Max Response Time | Mean Latency (ms) "
        "| Expectation Failures | Total Time |",
        "|-----------|---------|--------------------|-------------------|-------------------"
        "|----------------------|------------|",
        f"| {n} | {ov['error_count']} ({_percent(ov['error_count'], n)}%) | {_f(ov['min_latency'], 2)} "
        f"| {_f(ov['max_latency'], 2)} | {_f(p50, 2)} | {ov['failure_count']} | {human_duration(ov['total_time'])} |",
        "",
    ]
    if pcts:
        out += ["| Latency Percentile | Latency (ms) | Num. Requests (% of total) |",
                "|------------|--------------|-----------|"]
        for p in pcts:
            out.append(f"| p{rust_f64(p['percentile'])} | {_f(p['latency'], 2)} | {p['count']} ({_percent(p['count'], n)}%) |")
        out.append("")
    slo = item.get("slo_impact_table") or []
    if slo:
        out += ["| SLO       | Pass? | Objective | Margin | Num. Requests Over Threshold (% of total) |",
                "|-----------|-------|-----------|--------|--------------------------|"]
        for row in slo:
            pct = row.get("calls_over_threshold_percent")
            out.append(
                f"| {row['title']} | {_OK if row['pass'] else _KO} | {rust_f64(row['objective'])}% < "
                f"{rust_f64(row['threshold'])}{row['unit']} | {row['margin_text']} | "
                f"{row['calls_over_threshold']} ({_f(pct if pct is not None else math.nan, 1)}%) |")
        out.append("")
    if item.get("resources") is not None:
        out += ["**Platform Resources**",
                "Below are the platform resources gathered during execution for that endpoint.", "",
                "```yaml", dumps_yaml(item["resources"]).rstrip("\n"), "```"]
    return out


def render_markdown(report: dict) -> str:
    """report.md text for a Report dict (spec F).

    >>> render_markdown({"start_time": 0, "end_time": None, "scenario_summaries": []})
    '# Scenarios Report\\n\\nStart: 1970-01-01 00:00:00 UTC\\n\\n\\n'
    """
    out = ["# Scenarios Report", "", f"Start: {display_time_us(report['start_time'])}", ""]
    end = report.get("end_time")
    out += [f"End: {display_rfc3339(end)}", ""] if end else [""]
    for scen in report["scenario_summaries"]:
        out += [f"## Scenario: {scen['title']}  (items: {scen['item_count']})", ""]
        if scen.get("description"):
            out += [f"_Description:_ {scen['description']}", ""]
        for item in scen["item_summaries"]:
            out += _item(item)
        out += ["", "---"]
    return "\n".join(out) + "\n"
