"""Scenario evidence for one endpoint: which faults hurt it, by how much.

Built from ``Results.runs`` (one row per request, grouped by its ``fault_label``)
and ``Results.slo`` (fault's SLO rows, margins with their unit). Each row gets an id (``E1``, ``E2`` ...) that suggestions
cite in their ``evidence`` field, so a reader can see which measurement a
change answers.
"""
from __future__ import annotations

import re
from typing import Any

from ..errors import UnknownEndpointError
from ..results.stats import summarize_by

IDEMPOTENT = frozenset({"GET", "PUT", "DELETE", "HEAD", "OPTIONS"})


def is_idempotent(method: str) -> bool:
    """fault's rule: GET, PUT, DELETE, HEAD and OPTIONS are idempotent.

    >>> is_idempotent("put"), is_idempotent("POST")
    (True, False)
    """
    return (method or "").upper() in IDEMPOTENT


def endpoint_rows(results: Any, operation_id: str) -> Any:
    """The ``runs`` rows of one endpoint (matched by ``endpoint_key``, else by label)."""
    runs = results.runs
    rows = runs[runs["endpoint_key"] == operation_id]
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


def collect_evidence(results: Any, operation_id: str) -> dict:
    """Per fault label: latency percentiles, failure / transport error / timeout / 5xx rates and SLO misses.

    Rows group the endpoint's requests by the runs frame's ``fault_label`` (a dependency
    fault recorded with ``Results.with_dependency_faults`` is named there). The numbers
    come from :func:`fault_nb.results.stats.summarize_by`: ``failure_rate`` counts
    requests that failed as a user means it (no answer, transport error, timeout, 5xx,
    missed expectation); ``error_rate`` is transport errors only, as fault counts them.

    >>> ev = collect_evidence(results, "read_user_users__user_id__get")  # doctest: +SKIP
    >>> ev["rows"][0]["fault"], ev["rows"][0]["p95_ms"], ev["rows"][0]["failure_rate"]  # doctest: +SKIP
    ('latency', 912.4, 0.25)
    """
    method, url = endpoint_info(results, operation_id)
    rows = endpoint_rows(results, operation_id)
    out_rows: list[dict] = []
    for g in summarize_by(rows, "fault_label").to_dict("records"):
        out_rows.append({
            "fault": str(g["fault_label"]),
            "requests": int(g["requests"]),
            "p50_ms": _round(g["p50_ms"]),
            "p95_ms": _round(g["p95_ms"]),
            "p99_ms": _round(g["p99_ms"]),
            "failure_rate": round(g["failure_rate"], 3),
            "error_rate": round(g["transport_error_rate"], 3),
            "timeout_rate": round(g["timeout_rate"], 3),
            "http_5xx_rate": round(g["http_5xx_rate"], 3),
            "failed_expectations": int(g["expectation_failed"]),
            "failed": int(g["failed"]),
        })
    # worst first: the model and the reader should see what hurt most at the top
    out_rows.sort(key=lambda r: (-r["failure_rate"], -(r["error_rate"] + r["timeout_rate"] + r["http_5xx_rate"]),
                                 -(r["p95_ms"] or 0.0), r["fault"]))
    for i, r in enumerate(out_rows, 1):
        r["id"] = f"E{i}"
    slo_rows = _slo_rows(results, operation_id, rows)
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
    return None if x is None or x != x else round(float(x), 1)


def _endpoint_keys(results: Any, operation_id: str, rows: Any) -> set[str]:
    keys = set(rows["endpoint_key"].tolist()) if len(rows) else set()
    eps = results.endpoints
    hit = eps[(eps["operation_id"] == operation_id) | (eps["label"] == operation_id)]
    return keys | set(hit["endpoint_key"].tolist())


def _slo_rows(results: Any, operation_id: str, rows: Any) -> list[dict]:
    """The endpoint's SLO rows (``Results.slo``), margins with their unit."""
    slo = results.slo
    if not len(slo):
        return []
    keys = _endpoint_keys(results, operation_id, rows)
    out: list[dict] = []
    for r in slo[slo["endpoint_key"].isin(keys)].to_dict("records"):
        out.append({
            "scenario": r["scenario_title"],
            "fault": r["fault_label"],
            "slo": r["title"],
            "objective": r["objective"],
            "threshold": r["threshold"],
            "unit": r["unit"],
            "measured": _round(r["measured"]),
            "pass": bool(r["pass"]),
            "margin": r["margin_label"],
            "calls_over": int(r["calls_over_threshold"]),
        })
    return out


def latency_threshold_ms(evidence: dict) -> float | None:
    """The tightest latency SLO threshold of an endpoint, if any."""
    values = [r["threshold"] for r in evidence.get("slo", []) if r.get("unit") == "ms" and r.get("threshold")]
    return float(min(values)) if values else None


def rate_text(row: dict, key: str) -> str:
    """A rate of an evidence row as a percentage, "?" when the row lacks it (older saved reviews)."""
    value = row.get(key)
    return "?" if value is None else f"{float(value):.0%}"


def row_summary(row: dict) -> str:
    """One evidence row as a line: ``"E1: inventory: latency, 12 requests, p95 1310 ms, failed 42%
    (transport errors 0%, timeouts 0%, 5xx 42%, 0 failed expectations)"``.

    >>> row_summary({"id": "E1", "fault": "latency", "requests": 3, "p95_ms": 812.0, "failure_rate": 0.0,
    ...              "error_rate": 0.0, "timeout_rate": 0.0, "http_5xx_rate": 0.0, "failed_expectations": 0})
    'E1: latency, 3 requests, p95 812 ms, failed 0% (transport errors 0%, timeouts 0%, 5xx 0%, 0 failed expectations)'
    """
    return (f"{row.get('id', '?')}: {row.get('fault', '?')}, {row.get('requests', '?')} requests, "
            f"p95 {_num(row.get('p95_ms'))} ms, failed {rate_text(row, 'failure_rate')} "
            f"(transport errors {rate_text(row, 'error_rate')}, timeouts {rate_text(row, 'timeout_rate')}, "
            f"5xx {rate_text(row, 'http_5xx_rate')}, {row.get('failed_expectations', '?')} failed expectations)")


def evidence_markdown(evidence: dict) -> str:
    """The evidence as two Markdown tables (fault labels, then SLO rows with their margins' units)."""
    lines = ["| id | fault | requests | p50 ms | p95 ms | p99 ms | failed | transport errors | timeouts | 5xx "
             "| failed expectations |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in evidence.get("rows", []):
        lines.append(
            f"| {r['id']} | {_md(r['fault'])} | {r['requests']} | {_num(r['p50_ms'])} | {_num(r['p95_ms'])} "
            f"| {_num(r['p99_ms'])} | {rate_text(r, 'failure_rate')} | {rate_text(r, 'error_rate')} "
            f"| {rate_text(r, 'timeout_rate')} | {rate_text(r, 'http_5xx_rate')} | {r['failed_expectations']} |")
    if evidence.get("slo"):
        lines += ["", "| id | scenario | fault | SLO | threshold | result |", "|---|---|---|---|---:|---|"]
        for r in evidence["slo"]:
            verdict = "pass" if r["pass"] else "**miss**"
            lines.append(f"| {r['id']} | {_md(r['scenario'])} | {_md(r['fault'])} | {_md(r['slo'])} "
                         f"| {_num(r['threshold'])} {_md(r['unit'])} | {verdict} ({_md(r['margin'])}) |")
    return "\n".join(lines)


def evidence_prompt(evidence: dict) -> str:
    """Compact plain-text evidence for a prompt."""
    out = [f"Endpoint: {evidence['method']} {evidence['url']} (operationId {evidence['operation_id']}, "
           f"{'idempotent' if evidence['idempotent'] else 'NOT idempotent'})",
           "Measured under injected faults (id: fault -> requests, latency p50/p95/p99 ms, share of failed "
           "requests (no answer, transport error, timeout, 5xx or missed expectation), transport error, "
           "timeout and 5xx rates):"]
    for r in evidence.get("rows", []):
        out.append(f"- {r['id']}: {r['fault']} -> {r['requests']} req, {_num(r['p50_ms'])}/{_num(r['p95_ms'])}/"
                   f"{_num(r['p99_ms'])} ms, failed {rate_text(r, 'failure_rate')}, transport errors "
                   f"{rate_text(r, 'error_rate')}, timeouts {rate_text(r, 'timeout_rate')}, "
                   f"5xx {rate_text(r, 'http_5xx_rate')}, "
                   f"failed expectations {r['failed_expectations']}")
    for r in evidence.get("slo", []):
        out.append(f"- {r['id']}: SLO '{r['slo']}' (threshold {_num(r['threshold'])} {r['unit']}) under "
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
