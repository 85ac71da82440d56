"""Scenario evidence for one endpoint: which faults hurt it, by how much.

Built from ``Results.runs`` (one row per request) and ``Results.report()``
(fault's SLO rows). Each row gets an id (``E1``, ``E2`` ...) that suggestions
cite in their ``evidence`` field, so a reader can see which measurement a
change answers.
"""
from __future__ import annotations

import math
import re
from typing import Any

from .._endpoint_ids import MISSING_OPERATION_ID
from ..errors import UnknownEndpointError

IDEMPOTENT = frozenset({"GET", "PUT", "DELETE", "HEAD", "OPTIONS"})


def is_idempotent(method: str) -> bool:
    """fault's rule: GET, PUT, DELETE, HEAD and OPTIONS are idempotent.

    >>> is_idempotent("put"), is_idempotent("POST")
    (True, False)
    """
    return (method or "").upper() in IDEMPOTENT


def _fault_label(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
    else:
        try:
            parts = [str(p) for p in value]
        except TypeError:
            parts = [str(value)]
    return "+".join(sorted(set(parts))) or "none"


def _pct(values: list[float], p: float) -> float | None:
    """R-6 percentile, the rule fault's report uses (spec B.2)."""
    xs = sorted(v for v in values if v is not None and not math.isnan(v))
    n = len(xs)
    if not n:
        return None
    h = (n + 1) * p / 100.0
    j = math.floor(h)
    g = h - j
    if j < 1:
        return xs[0]
    if j >= n:
        return xs[-1]
    return xs[j - 1] * (1 - g) + xs[j] * g


def endpoint_rows(results: Any, operation_id: str) -> Any:
    """The ``runs`` rows of one endpoint (matched by operationId, else by label)."""
    runs = results.runs
    if "operation_id" in runs.columns:
        rows = runs[runs["operation_id"] == operation_id]
        if len(rows):
            return rows
    eps = results.endpoints
    if "label" in eps.columns:
        hit = eps[(eps["label"] == operation_id) | (eps["operation_id"] == operation_id)]
        if len(hit):
            ep = hit.iloc[0]
            return runs[(runs["method"] == ep["method"]) & (runs["url"] == ep["url"])]
    raise UnknownEndpointError(operation_id, list(getattr(results, "operation_ids", []) or []))


def endpoint_info(results: Any, operation_id: str) -> tuple[str, str]:
    """``(method, url)`` of an endpoint."""
    eps = results.endpoints
    hit = eps[eps["operation_id"] == operation_id]
    if not len(hit) and "label" in eps.columns:
        hit = eps[eps["label"] == operation_id]
    if not len(hit):
        raise UnknownEndpointError(operation_id, list(results.operation_ids))
    return str(hit.iloc[0]["method"]), str(hit.iloc[0]["url"])


def _bool_rate(rows: Any, col: str) -> float:
    if col not in rows.columns or not len(rows):
        return 0.0
    return float(rows[col].fillna(False).astype(bool).mean())


def collect_evidence(results: Any, operation_id: str) -> dict:
    """Per fault type latency percentiles, error/timeout rates and SLO misses of an endpoint.

    >>> ev = collect_evidence(results, "read_user_users__user_id__get")  # doctest: +SKIP
    >>> ev["rows"][0]["fault"], ev["rows"][0]["p95_ms"]  # doctest: +SKIP
    ('latency', 912.4)
    """
    method, url = endpoint_info(results, operation_id)
    rows = endpoint_rows(results, operation_id)
    labels = rows["fault_types"].map(_fault_label) if "fault_types" in rows.columns else None
    out_rows: list[dict] = []
    groups = sorted(set(labels)) if labels is not None else ["none"]
    for label in groups:
        part = rows[labels == label] if labels is not None else rows
        lat = [float(x) for x in part["total_time_ms"].dropna()] if "total_time_ms" in part.columns else []
        no_metrics = 0.0
        if "has_metrics" in part.columns and len(part):
            no_metrics = float((~part["has_metrics"].fillna(False).astype(bool)).mean())
        failed = 0
        if "decision" in part.columns:
            failed = int((part["decision"].astype(str).str.lower() == "failure").sum())
        statuses = part["status"].dropna() if "status" in part.columns else []
        http5xx = float((statuses >= 500).mean()) if len(statuses) else 0.0
        out_rows.append({
            "fault": label,
            "requests": int(len(part)),
            "p50_ms": _round(_pct(lat, 50)),
            "p95_ms": _round(_pct(lat, 95)),
            "p99_ms": _round(_pct(lat, 99)),
            "error_rate": round(max(_bool_rate(part, "errored"), no_metrics), 3),
            "timeout_rate": round(_bool_rate(part, "timed_out"), 3),
            "http_5xx_rate": round(http5xx, 3),
            "failed_expectations": failed,
        })
    # worst first: the model and the reader should see what hurt most at the top
    out_rows.sort(key=lambda r: (-(r["error_rate"] + r["timeout_rate"] + r["http_5xx_rate"]),
                                 -(r["p95_ms"] or 0.0)))
    for i, r in enumerate(out_rows, 1):
        r["id"] = f"E{i}"
    slo_rows = _slo_rows(results, operation_id, method, url)
    for j, r in enumerate(slo_rows, 1):
        r["id"] = f"S{j}"
    return {
        "operation_id": operation_id,
        "method": method,
        "url": url,
        "idempotent": is_idempotent(method),
        "rows": out_rows,
        "slo": slo_rows,
    }


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 1)


def _slo_rows(results: Any, operation_id: str, method: str, url: str) -> list[dict]:
    try:
        report = results.report()
    except Exception:  # a report fault itself cannot build (spec B.4 panics) still leaves the runs
        return []
    out: list[dict] = []
    for summary in report.get("scenario_summaries") or []:
        for item in summary.get("item_summaries") or []:
            meta = item.get("meta") or {}
            call = item.get("call") or {}
            item_opid = meta.get("operation_id")
            if item_opid == MISSING_OPERATION_ID:  # fault's placeholder: the endpoint is its method and URL
                item_opid = None
            same = item_opid == operation_id or (
                not item_opid and call.get("method") == method and item.get("url") == url)
            if not same:
                continue
            faults = _fault_label([f.get("type") for f in item.get("faults") or [] if isinstance(f, dict)])
            for row in item.get("slo_impact_table") or []:
                out.append({
                    "scenario": summary.get("title", ""),
                    "fault": faults,
                    "slo": row.get("title", ""),
                    "objective": row.get("objective"),
                    "threshold": row.get("threshold"),
                    "unit": row.get("unit", ""),
                    "pass": bool(row.get("pass")),
                    "margin": row.get("margin_text", ""),
                    "calls_over": row.get("calls_over_threshold"),
                })
    return out


def latency_threshold_ms(evidence: dict) -> float | None:
    """The tightest latency SLO threshold of an endpoint, if any."""
    values = [r["threshold"] for r in evidence.get("slo", []) if r.get("unit") == "ms" and r.get("threshold")]
    return float(min(values)) if values else None


def evidence_markdown(evidence: dict) -> str:
    """The evidence as two Markdown tables (fault types, then SLO rows)."""
    lines = ["| id | fault | requests | p50 ms | p95 ms | p99 ms | errors | timeouts | 5xx | failed expectations |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in evidence.get("rows", []):
        lines.append(
            f"| {r['id']} | {_md(r['fault'])} | {r['requests']} | {_num(r['p50_ms'])} | {_num(r['p95_ms'])} "
            f"| {_num(r['p99_ms'])} | {r['error_rate']:.0%} | {r['timeout_rate']:.0%} "
            f"| {r['http_5xx_rate']:.0%} | {r['failed_expectations']} |")
    if evidence.get("slo"):
        lines += ["", "| id | scenario | fault | SLO | threshold | result |", "|---|---|---|---|---:|---|"]
        for r in evidence["slo"]:
            verdict = "pass" if r["pass"] else "**miss**"
            lines.append(f"| {r['id']} | {_md(r['scenario'])} | {_md(r['fault'])} | {_md(r['slo'])} "
                         f"| {_num(r['threshold'])}{_md(r['unit'])} | {verdict} ({_md(r['margin'])}) |")
    return "\n".join(lines)


def evidence_prompt(evidence: dict) -> str:
    """Compact plain-text evidence for a prompt."""
    out = [f"Endpoint: {evidence['method']} {evidence['url']} (operationId {evidence['operation_id']}, "
           f"{'idempotent' if evidence['idempotent'] else 'NOT idempotent'})",
           "Measured under injected faults (id: fault -> requests, latency p50/p95/p99 ms, error, timeout, 5xx rates):"]
    for r in evidence.get("rows", []):
        out.append(f"- {r['id']}: {r['fault']} -> {r['requests']} req, {_num(r['p50_ms'])}/{_num(r['p95_ms'])}/"
                   f"{_num(r['p99_ms'])} ms, errors {r['error_rate']:.0%}, timeouts {r['timeout_rate']:.0%}, "
                   f"5xx {r['http_5xx_rate']:.0%}, failed expectations {r['failed_expectations']}")
    for r in evidence.get("slo", []):
        out.append(f"- {r['id']}: SLO '{r['slo']}' (threshold {_num(r['threshold'])}{r['unit']}) under "
                   f"{r['fault']} in '{r['scenario']}': {'pass' if r['pass'] else 'MISSED'}, {r['margin']}")
    return "\n".join(out)


def _num(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def _md(text: Any) -> str:
    """Untrusted text (titles from the results file) safe inside a Markdown table cell."""
    # only a "<" that could open a tag is escaped, so "P95 < 300ms" stays readable
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", str(text)).replace("|", "\\|").replace("\n", " ")
