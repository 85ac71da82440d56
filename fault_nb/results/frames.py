"""Flat pandas views of a ScenariosResults dict (spec J).

Each frame is built in one pass over plain Python lists and handed to pandas
column by column: no per-row pandas work, so 20,000 rows take milliseconds.

>>> from fault_nb.results.frames import RUNS_COLUMNS
>>> RUNS_COLUMNS[:3]
('scenario_idx', 'scenario_title', 'item_idx')
"""
from __future__ import annotations

import math
from typing import Any

from .._endpoint_ids import MISSING_OPERATION_ID, derived_operation_id, url_api_path
from .report import PERCENTILES, error_count, latency_sample, r6_percentile, slo_eval

RUNS_COLUMNS = (
    "scenario_idx", "scenario_title", "item_idx", "row_idx", "method", "url", "operation_id",
    "strategy_mode", "start", "total_time_ms", "ttfb_ms", "status", "body_length", "errored",
    "timed_out", "has_metrics", "error_kinds", "decision", "expected_status", "expected_under_ms",
    "dns_ms", "fault_types", "latency_delay_ms", "event_count", "repeat_mean_ms",
    "endpoint_key", "fault_label", "dependency_fault_types", "http_5xx", "expectation_failed", "failed",
)

#: human titles of the runs columns (with their unit): the plots' axis titles and the explorer's
#: table headers both read them here
COLUMN_TITLES = {
    "scenario_title": "Scenario",
    "endpoint_key": "Endpoint",
    "operation_id": "Endpoint",
    "method": "Method",
    "url": "URL",
    "strategy_mode": "Strategy",
    "fault_label": "Faults",
    "fault_types": "Faults",
    "status": "HTTP status",
    "start": "Request start (UTC)",
    "total_time_ms": "Total time (ms)",
    "ttfb_ms": "Time to first byte (ms)",
    "dns_ms": "DNS lookup (ms)",
    "latency_delay_ms": "Injected latency (ms)",
    "body_length": "Body length (bytes)",
    "failed": "Failed",
    "http_5xx": "HTTP 5xx",
    "errored": "Transport error",
    "timed_out": "Timed out",
    "decision": "Expectation",
}

ITEMS_COLUMNS = (
    "scenario_idx", "scenario_title", "item_idx", "method", "url", "operation_id", "strategy_mode",
    "step", "count", "duration", "clients", "rps", "fault_types", "expected_status", "expected_under_ms",
    "requests_count", "rows", "failure_counts", "error_count", "timeout_count", "total_time_ms",
    "min_ms", "p25_ms", "p50_ms", "p75_ms", "p95_ms", "p99_ms", "max_ms", "slo_count", "slo_failed",
    "final_status", "endpoint_key", "fault_label", "http_5xx_count", "failed_count",
)

SCENARIOS_COLUMNS = (
    "scenario_idx", "title", "description", "items", "item_count", "requests_count", "failure_count",
    "error_count", "passed_items", "failed_items", "total_duration_ms",
)

SLO_COLUMNS = (
    "scenario_idx", "scenario_title", "item_idx", "operation_id", "method", "url", "endpoint",
    "title", "slo_type", "objective", "threshold", "unit", "measured", "margin", "pass", "margin_text",
    "calls_over_threshold", "calls_over_threshold_percent", "endpoint_key", "fault_label", "margin_label",
)

ENDPOINTS_COLUMNS = ("operation_id", "method", "url", "has_operation_id", "label", "raw_operation_id",
                     "endpoint_key")

#: the fault label of a request that ran without any fault (one spelling everywhere)
NO_FAULT = "none"
#: joins the fault types of one label: ``latency + packetloss``
FAULT_JOIN = " + "


def endpoint_key(operation_id: str | None, method: str, url: str) -> str:
    """The key every view groups an endpoint by: its operationId, or ``"METHOD url"`` without one.

    It is the ``endpoint_key`` column of the frames and the value of the endpoint picker.

    >>> endpoint_key("index__get", "GET", "http://h/"), endpoint_key(None, "GET", "http://h/")
    ('index__get', 'GET http://h/')
    """
    return str(operation_id) if isinstance(operation_id, str) and operation_id else f"{method} {url}"


def fault_label(fault_types=(), dependencies=()) -> str:
    """The fault label of a request: what was injected, as people read it.

    ``fault_types`` are the types injected on the call itself, ``dependencies`` pairs
    ``(dependency name, fault types)`` for faults injected between the app and a
    dependency it calls (see ``Results.with_dependency_faults``). Types are sorted and
    unique, joined with ``" + "``; a dependency group reads ``"inventory: httperror +
    latency"``; groups are joined with ``"; "``; nothing injected is :data:`NO_FAULT`.

    >>> fault_label(("packetloss", "latency", "latency"))
    'latency + packetloss'
    >>> fault_label((), [("inventory", ["latency", "httperror"])])
    'inventory: httperror + latency'
    >>> fault_label(())
    'none'
    """
    parts = []
    own = FAULT_JOIN.join(sorted({str(t) for t in fault_types or () if t is not None}))
    if own:
        parts.append(own)
    for name, types in dependencies or ():
        dep = FAULT_JOIN.join(sorted({str(t) for t in types or () if t is not None}))
        if dep:
            parts.append(f"{name}: {dep}")
    return "; ".join(parts) or NO_FAULT


def margin_label(margin_text: str, unit: str) -> str:
    """fault's SLO margin with its unit: fault writes ``"Above by 1.0ms"`` for a latency SLO
    but ``"Above by 9.0"`` for an error SLO; the label says ``"Above by 9.0% of requests"``.
    A margin over no requests (fault's ``NaN``) reads ``"not measured (no requests)"``.

    >>> margin_label("Above by 9.0", "%"), margin_label("Below by 12.5ms", "ms")
    ('Above by 9.0% of requests', 'Below by 12.5ms')
    """
    if "NaN" in margin_text or "inf" in margin_text:
        return "not measured (no requests)"
    if unit == "%":
        return f"{margin_text}% of requests"
    return margin_text if margin_text.endswith(unit) else f"{margin_text}{unit}"


def dependency_matches(records, scenario_idx: int, operation_id: str | None) -> list[tuple[str, tuple]]:
    """``[(dependency, fault types)]`` of the dependency-fault records that cover one item.

    A record (``Results.extras["dependency_faults"]``) covers the items of its
    ``scenarios`` (indices; None = all) whose operation id is in ``operation_ids``
    (None = all).
    """
    out = []
    for rec in records or ():
        scen, ops = rec.get("scenarios"), rec.get("operation_ids")
        if scen is not None and scenario_idx not in scen:
            continue
        if ops is not None and operation_id not in ops:
            continue
        types = tuple(str(f.get("type")) for f in rec.get("faults") or () if isinstance(f, dict))
        if types:
            out.append((str(rec.get("dependency") or "dependency"), types))
    return out


def expectation_failed(row: dict, expect: dict | None) -> bool:
    """Did this request miss its expectation?

    fault's own decision when the row has one (single and repeat items). Load rows
    carry none (fault checks no per-request expectation under load), so the item's
    ``expect`` is applied with fault's rule (spec D.5): status first, then
    ``response_time_under``. A load item expecting nothing but ``all_slo_are_valid``
    does not fail requests (its SLO rows say how it did).
    """
    exp = row.get("expect")
    if exp is not None:
        return ((exp.get("got") or {}).get("decision")) == "failure"
    if not expect:
        return False
    status, under = expect.get("status"), expect.get("response_time_under")
    m = row.get("metrics")
    if m is None or (status is None and under is None):
        return False
    met = None
    proto = m.get("protocol")
    if proto is not None and status is not None:
        met = proto.get("code") == status
    if (met is None or met) and under is not None:
        met = m["total_time"] <= under
    return met is not True


def _is_5xx(row: dict) -> bool:
    m = row.get("metrics")
    proto = m.get("protocol") if m is not None else None
    code = proto.get("code") if proto is not None else None
    return isinstance(code, int) and code >= 500


def failure_flags(row: dict, expect: dict | None) -> tuple[bool, bool, bool]:
    """``(http_5xx, expectation_failed, failed)`` of one request row (the runs frame's columns).

    failed = no answer, a transport error, a timeout, a 5xx, or a missed expectation
    (fault's ``errored`` counts transport errors only).
    """
    m = row.get("metrics")
    five = _is_5xx(row)
    missed = expectation_failed(row, expect)
    return five, missed, bool(m is None or m["errored"] or m["timed_out"] or five or missed)


def row_failed(row: dict, expect: dict | None) -> bool:
    """Did this request fail as a user means it (see :func:`failure_flags`)?"""
    return failure_flags(row, expect)[2]

SYNTHESISED_MARK = " (no operationId)"


def endpoint_label(operation_id: str | None, method: str, url: str, *, synthesised: bool = False) -> str:
    """``"opid [METHOD url]"``, or ``"[METHOD url]"`` without an operationId.

    An id fault_nb made up for fault's ``none`` says so: ``"get_users [GET url] (no operationId)"``.

    >>> endpoint_label("index__get", "GET", "http://localhost:9090/")
    'index__get [GET http://localhost:9090/]'
    """
    if not operation_id:
        return f"[{method} {url}]"
    return f"{operation_id} [{method} {url}]" + (SYNTHESISED_MARK if synthesised else "")


def _raw_opid(call: dict) -> str | None:
    meta = call.get("meta")
    return meta.get("operation_id") if isinstance(meta, dict) else None


class OperationIds:
    """The operation id fault_nb uses for each call of a results dict.

    fault writes ``none`` for every operation without an operationId (spec E.2), so
    several endpoints can share it. Such a call gets the id fault_nb's default
    generator would have written, ``<method>_<path>`` (the path is the URL minus the
    item's upstream, i.e. fault's base URL), made unique with ``_2``, ``_3`` ... if it
    clashes with a real operationId or another endpoint's derived id. A missing
    ``meta.operation_id`` stays ``None``; any other value is kept as is.
    """

    def __init__(self, data: dict):
        real = set()
        nones = []
        for _si, _scen, _ii, item, _ir in _iter_items(data):
            raw = _raw_opid(item["call"])
            if raw == MISSING_OPERATION_ID:
                nones.append(item)
            elif raw is not None:
                real.add(raw)
        self._derived: dict[tuple[str, str], str] = {}
        used = set(real)
        for item in nones:
            call = item["call"]
            key = (call["method"], call["url"])
            if key in self._derived:
                continue
            upstreams = [u for u in (item.get("context") or {}).get("upstreams") or () if isinstance(u, str)]
            base = derived_operation_id(call["method"], url_api_path(call["url"], upstreams))
            opid, n = base, 1
            while opid in used:
                n += 1
                opid = f"{base}_{n}"
            used.add(opid)
            self._derived[key] = opid

    def __call__(self, call: dict) -> tuple[str | None, bool]:
        """``(operation id, synthesised?)`` of one call."""
        raw = _raw_opid(call)
        if raw == MISSING_OPERATION_ID:
            return self._derived[(call["method"], call["url"])], True
        return raw, False


def _iter_items(data: dict):
    for si, sr in enumerate(data["results"]):
        scen = sr["scenario"]
        for ii, (item, ir) in enumerate(zip(scen["items"], sr["results"])):
            yield si, scen, ii, item, ir


def _frame(columns: dict[str, Any], order: tuple[str, ...]):
    import pandas as pd

    return pd.DataFrame({name: columns[name] for name in order}, columns=list(order))


def _series(values, dtype):
    import pandas as pd

    return pd.array(values, dtype=dtype)


def build_runs(data: dict, extras: dict | None = None):
    """One row per request (``ItemResultData``), columns :data:`RUNS_COLUMNS`.

    ``extras`` (``Results.extras``) brings the dependency-fault records that the
    ``fault_label`` / ``dependency_fault_types`` columns name.
    """
    import numpy as np
    import pandas as pd

    cols: dict[str, list] = {name: [] for name in RUNS_COLUMNS}
    (c_si, c_title, c_ii, c_ri, c_method, c_url, c_opid, c_mode, c_start, c_total, c_ttfb, c_status,
     c_blen, c_err, c_to, c_hasm, c_ekinds, c_dec, c_exps, c_expu, c_dns, c_ftypes, c_delay, c_events,
     c_rmean, c_key, c_flabel, c_dtypes, c_5xx, c_expfail, c_failed) = (cols[name] for name in RUNS_COLUMNS)
    nan = math.nan
    ids = OperationIds(data)
    records = (extras or {}).get("dependency_faults") or ()
    labels: dict[tuple, str] = {}
    for si, scen, ii, item, ir in _iter_items(data):
        call = item["call"]
        method, url, opid = call["method"], call["url"], ids(call)[0]
        mode = (item["context"].get("strategy") or {}).get("mode", "single")
        title = scen["title"]
        rows = ir["results"]
        n = len(rows)
        item_expect = item.get("expect")
        deps = tuple(dependency_matches(records, si, opid))
        dep_types = tuple(t for _name, types in deps for t in types)
        c_key.extend([endpoint_key(opid, method, url)] * n)
        c_dtypes.extend([dep_types] * n)
        c_si.extend([si] * n)
        c_title.extend([title] * n)
        c_ii.extend([ii] * n)
        c_ri.extend(range(n))
        c_method.extend([method] * n)
        c_url.extend([url] * n)
        c_opid.extend([opid] * n)
        c_mode.extend([mode] * n)
        for row in rows:
            c_start.append(row["start"])
            m = row.get("metrics")
            if m is not None:
                c_total.append(m["total_time"])
                c_ttfb.append(m["ttfb"])
                proto = m.get("protocol")
                if proto is not None:
                    c_status.append(proto.get("code"))
                    c_blen.append(proto.get("body_length"))
                else:
                    c_status.append(None)
                    c_blen.append(None)
                c_err.append(m["errored"])
                c_to.append(m["timed_out"])
                c_hasm.append(True)
                dns = m["dns"]
                c_dns.append(sum(d["duration"] for d in dns) if dns else 0.0)
                delay = 0.0
                events = 0
                for mf in m["faults"]:
                    applied = mf.get("applied")
                    if applied:
                        events += len(applied)
                        for ev in applied:
                            e = ev["event"]
                            if e.get("type") == "latency" and e.get("delay") is not None:
                                delay += e["delay"]
                c_delay.append(delay)
                c_events.append(events)
            else:
                c_total.append(nan)
                c_ttfb.append(nan)
                c_status.append(None)
                c_blen.append(None)
                c_err.append(False)
                c_to.append(False)
                c_hasm.append(False)
                c_dns.append(nan)
                c_delay.append(0.0)
                c_events.append(0)
            five, missed, failed = failure_flags(row, item_expect)
            c_5xx.append(five)
            c_expfail.append(missed)
            c_failed.append(failed)
            errors = row["errors"]
            c_ekinds.append(tuple(k for e in errors for k in (e if isinstance(e, dict) else (e,)))
                            if errors else ())
            exp = row.get("expect")
            if exp is not None:
                got = exp.get("got") or {}
                wanted = exp.get("wanted") or {}
                c_dec.append(got.get("decision"))
                c_exps.append(wanted.get("status_code"))
                rtu = wanted.get("response_time_under")
                c_expu.append(nan if rtu is None else rtu)
            else:
                c_dec.append(None)
                c_exps.append(None)
                c_expu.append(nan)
            faults = row["faults"]
            if faults:
                ftypes = tuple(f.get("type") for f in faults)
                c_ftypes.append(ftypes)
                mean = nan
                if mode == "repeat":
                    for f in faults:
                        if f.get("type") == "latency" and f.get("mean") is not None:
                            mean = f["mean"]
                            break
                c_rmean.append(mean)
            else:
                ftypes = ()
                c_ftypes.append(())
                c_rmean.append(nan)
            label = labels.get((ftypes, deps))
            if label is None:
                label = labels[(ftypes, deps)] = fault_label(ftypes, deps)
            c_flabel.append(label)

    cols["start"] = pd.DatetimeIndex(
        pd.to_datetime(np.asarray(c_start, dtype="int64"), unit="us", utc=True)).as_unit("ns")
    for name in ("scenario_idx", "item_idx", "row_idx", "event_count"):
        cols[name] = np.asarray(cols[name], dtype="int64")
    for name in ("total_time_ms", "ttfb_ms", "expected_under_ms", "dns_ms", "latency_delay_ms", "repeat_mean_ms"):
        cols[name] = np.asarray(cols[name], dtype="float64")
    for name in ("errored", "timed_out", "has_metrics", "http_5xx", "expectation_failed", "failed"):
        cols[name] = np.asarray(cols[name], dtype=bool)
    for name in ("status", "body_length", "expected_status"):
        cols[name] = _series(cols[name], "Int64")
    for name in ("error_kinds", "fault_types", "dependency_fault_types"):
        arr = np.empty(len(cols[name]), dtype=object)
        arr[:] = cols[name]
        cols[name] = arr
    for name in ("operation_id", "decision"):
        cols[name] = np.asarray(cols[name], dtype=object)
    frame = _frame(cols, RUNS_COLUMNS)
    frame.attrs["fault_schedules"] = fault_schedules(data)
    return frame


def fault_schedules(data: dict) -> dict[str, dict]:
    """Load items whose faults have a ``period``: ``{"si.ii": {"duration", "faults": [(type, period)]}}``.

    Kept in ``runs.attrs`` so a timeline can shade the configured windows from the
    runs frame alone (the rows only carry fault types).
    """
    out = {}
    for si, _scen, ii, item, _ir in _iter_items(data):
        strat = item["context"].get("strategy") or {}
        faults = item["context"].get("faults") or []
        if strat.get("mode") == "load" and any(f.get("period") for f in faults):
            out[f"{si}.{ii}"] = {"duration": str(strat.get("duration", "")),
                                 "faults": [(str(f.get("type")), f.get("period")) for f in faults]}
    return out


def _item_label(item: dict, si: int, opid: str | None, records) -> str:
    return fault_label(tuple(f.get("type") for f in item["context"].get("faults") or ()),
                       dependency_matches(records, si, opid))


def build_items(data: dict, extras: dict | None = None):
    """One row per scenario item with fault's item-level numbers (spec B.2), plus the
    item's ``endpoint_key``, ``fault_label`` and its ``http_5xx_count`` / ``failed_count``
    (requests that failed as the runs frame's ``failed`` column counts them)."""
    import numpy as np

    cols: dict[str, list] = {name: [] for name in ITEMS_COLUMNS}
    nan = math.nan
    ids = OperationIds(data)
    records = (extras or {}).get("dependency_faults") or ()
    for si, scen, ii, item, ir in _iter_items(data):
        call, ctx = item["call"], item["context"]
        opid = ids(call)[0]
        strat = ctx.get("strategy") or {"mode": "single"}
        rows = ir["results"]
        sample = latency_sample(rows)
        errors = error_count(rows)
        exp = item.get("expect") or {}
        slos = slo_eval(ctx.get("slo"), sample, ir["requests_count"], errors)
        values = {
            "scenario_idx": si, "scenario_title": scen["title"], "item_idx": ii,
            "method": call["method"], "url": call["url"], "operation_id": opid,
            "strategy_mode": strat.get("mode", "single"),
            "step": strat.get("step", nan), "count": strat.get("count"),
            "duration": strat.get("duration"), "clients": strat.get("clients"), "rps": strat.get("rps"),
            "fault_types": tuple(f.get("type") for f in ctx.get("faults") or ()),
            "expected_status": exp.get("status"),
            "expected_under_ms": nan if exp.get("response_time_under") is None else exp["response_time_under"],
            "requests_count": ir["requests_count"], "rows": len(rows),
            "failure_counts": ir["failure_counts"], "error_count": errors,
            "timeout_count": sum(1 for r in rows if r.get("metrics") is not None and r["metrics"]["timed_out"]),
            "total_time_ms": ir["total_time"]["secs"] * 1000.0 + ir["total_time"]["nanos"] / 1_000_000.0,
            "min_ms": sample[0] if sample else nan, "max_ms": sample[-1] if sample else nan,
            "slo_count": len(slos), "slo_failed": sum(1 for row, _, _ in slos if not row["pass"]),
            "final_status": "Pass" if ir["failure_counts"] == 0 else "Fail",
            "endpoint_key": endpoint_key(opid, call["method"], call["url"]),
            "fault_label": _item_label(item, si, opid, records),
            "http_5xx_count": sum(1 for r in rows if _is_5xx(r)),
            "failed_count": sum(1 for r in rows if row_failed(r, item.get("expect"))),
        }
        for p in PERCENTILES:
            values[f"p{int(p)}_ms"] = r6_percentile(sample, p)[0] if sample else nan
        for name in ITEMS_COLUMNS:
            cols[name].append(values[name])
    for name in ("step", "expected_under_ms", "total_time_ms", "min_ms", "p25_ms", "p50_ms", "p75_ms",
                 "p95_ms", "p99_ms", "max_ms"):
        cols[name] = np.asarray(cols[name], dtype="float64")
    for name in ("scenario_idx", "item_idx", "requests_count", "rows", "failure_counts", "error_count",
                 "timeout_count", "slo_count", "slo_failed", "http_5xx_count", "failed_count"):
        cols[name] = np.asarray(cols[name], dtype="int64")
    for name in ("count", "clients", "rps", "expected_status"):
        cols[name] = _series(cols[name], "Int64")
    arr = np.empty(len(cols["fault_types"]), dtype=object)
    arr[:] = cols["fault_types"]
    cols["fault_types"] = arr
    for name in ("operation_id", "duration"):
        cols[name] = np.asarray(cols[name], dtype=object)
    return _frame(cols, ITEMS_COLUMNS)


def build_scenarios(data: dict, report: dict):
    """One row per scenario: fault's item_count and total_duration_ms plus totals."""
    import numpy as np

    cols: dict[str, list] = {name: [] for name in SCENARIOS_COLUMNS}
    for si, (sr, summ) in enumerate(zip(data["results"], report["scenario_summaries"])):
        items = summ["item_summaries"]
        values = {
            "scenario_idx": si, "title": summ["title"], "description": summ["description"],
            "items": len(items), "item_count": summ["item_count"],
            "requests_count": sum(it["run_overview"][0]["requests_count"] for it in items),
            "failure_count": sum(it["failure_count"] for it in items),
            "error_count": sum(it["error_count"] for it in items),
            "passed_items": sum(1 for it in items if it["final_status"] == "Pass"),
            "failed_items": sum(1 for it in items if it["final_status"] != "Pass"),
            "total_duration_ms": summ["total_duration_ms"],
        }
        for name in SCENARIOS_COLUMNS:
            cols[name].append(values[name])
    for name in SCENARIOS_COLUMNS:
        if name not in ("title", "description", "total_duration_ms"):
            cols[name] = np.asarray(cols[name], dtype="int64")
    cols["total_duration_ms"] = np.asarray(cols["total_duration_ms"], dtype="float64")
    return _frame(cols, SCENARIOS_COLUMNS)


def build_slo(data: dict, extras: dict | None = None):
    """One row per SLO row of the report, keyed by scenario, item and endpoint.

    ``margin`` is threshold minus measured in the row's ``unit``; ``margin_label`` says it
    with the unit (fault's ``margin_text`` is kept as fault writes it).
    """
    import numpy as np

    cols: dict[str, list] = {name: [] for name in SLO_COLUMNS}
    ids = OperationIds(data)
    records = (extras or {}).get("dependency_faults") or ()
    for si, scen, ii, item, ir in _iter_items(data):
        call = item["call"]
        rows = ir["results"]
        evaluated = slo_eval(item["context"].get("slo"), latency_sample(rows), ir["requests_count"],
                             error_count(rows))
        opid, synthesised = ids(call)
        key = endpoint_key(opid, call["method"], call["url"])
        label = _item_label(item, si, opid, records)
        for row, kind, measured in evaluated:
            values = {
                "scenario_idx": si, "scenario_title": scen["title"], "item_idx": ii, "operation_id": opid,
                "method": call["method"], "url": call["url"],
                "endpoint": endpoint_label(opid, call["method"], call["url"], synthesised=synthesised),
                "slo_type": kind, "measured": measured, "margin": row["threshold"] - measured,
                "calls_over_threshold_percent": (math.nan if row["calls_over_threshold_percent"] is None
                                                 else row["calls_over_threshold_percent"]),
                "endpoint_key": key, "fault_label": label,
                "margin_label": margin_label(row["margin_text"], row["unit"]),
            }
            for name in SLO_COLUMNS:
                cols[name].append(values[name] if name in values else row[name])
    for name in ("objective", "threshold", "measured", "margin", "calls_over_threshold_percent"):
        cols[name] = np.asarray(cols[name], dtype="float64")
    for name in ("scenario_idx", "item_idx", "calls_over_threshold"):
        cols[name] = np.asarray(cols[name], dtype="int64")
    cols["pass"] = np.asarray(cols["pass"], dtype=bool)
    cols["operation_id"] = np.asarray(cols["operation_id"], dtype=object)
    return _frame(cols, SLO_COLUMNS)


def endpoint_tuples(data: dict) -> list[tuple[str | None, str, str]]:
    """Unique (operation_id, method, url) in report order (spec G.3), opid-less ones included.

    fault's ``none`` placeholder is replaced by the derived id (see :class:`OperationIds`).
    """
    return [t[:3] for t in _endpoint_records(data)]


def _endpoint_records(data: dict) -> list[tuple[str | None, str, str, bool, str | None]]:
    ids = OperationIds(data)
    seen: dict[tuple, tuple] = {}
    for _si, _scen, _ii, item, _ir in _iter_items(data):
        call = item["call"]
        opid, synthesised = ids(call)
        seen.setdefault((opid, call["method"], call["url"]), (synthesised, _raw_opid(call)))
    return [key + value for key, value in seen.items()]


def build_endpoints(data: dict):
    """Endpoints frame: operation_id, method, url, has_operation_id, label, raw_operation_id.

    ``has_operation_id`` is False both without ``meta.operation_id`` (``operation_id`` NA,
    label ``[METHOD url]``) and for fault's ``none`` placeholder (``operation_id`` is the
    derived id, label ``id [METHOD url] (no operationId)``, ``raw_operation_id`` ``"none"``).
    """
    import numpy as np

    records = _endpoint_records(data)
    cols = {
        "operation_id": np.asarray([r[0] for r in records], dtype=object),
        "method": [r[1] for r in records],
        "url": [r[2] for r in records],
        "has_operation_id": np.asarray([r[0] is not None and not r[3] for r in records], dtype=bool),
        "label": [endpoint_label(r[0], r[1], r[2], synthesised=r[3]) for r in records],
        "raw_operation_id": np.asarray([r[4] for r in records], dtype=object),
        "endpoint_key": [endpoint_key(r[0], r[1], r[2]) for r in records],
    }
    return _frame(cols, ENDPOINTS_COLUMNS)


def _types_of(value: Any) -> tuple[str, ...]:
    if value is None or isinstance(value, float):
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.replace(";", ",").split(",") if v.strip())
    try:
        return tuple(str(v) for v in value)
    except TypeError:
        return ()


def fault_types_present(runs) -> list[str]:
    """The fault types injected anywhere in ``runs`` (on the calls or on their dependencies), sorted.

    >>> fault_types_present(results.runs)  # doctest: +SKIP
    ['latency', 'packetloss']
    """
    found: set[str] = set()
    for col in ("fault_types", "dependency_fault_types"):
        if col in runs.columns:
            for v in runs[col]:
                found.update(_types_of(v))
    return sorted(found)


def filter_runs(runs, *, scenario: int | None = None, operation_id: str | None = None,
                fault_types=()):
    """The rows of ``runs`` (``Results.runs``) that match every given filter.

    ``operation_id`` is an ``endpoint_key`` (an operationId, or ``"METHOD url"`` for an
    endpoint without one); ``fault_types`` keeps rows where any of the given types was
    injected, on the call or on its dependency.

    >>> filter_runs(results.runs, operation_id="index__get", fault_types=["latency"])  # doctest: +SKIP
    """
    import numpy as np

    mask = np.ones(len(runs), dtype=bool)
    if scenario is not None:
        mask &= (runs["scenario_idx"] == scenario).to_numpy(dtype=bool)
    if operation_id:
        mask &= (runs["endpoint_key"] == operation_id).to_numpy(dtype=bool)
    if fault_types:
        wanted = set(fault_types)
        hit = np.zeros(len(runs), dtype=bool)
        for col in ("fault_types", "dependency_fault_types"):
            if col in runs.columns:
                hit |= np.fromiter((bool(wanted.intersection(_types_of(v))) for v in runs[col]),
                                   dtype=bool, count=len(runs))
        mask &= hit
    return runs[mask]
