"""Scenario review: seven chained phases over the results, written as fault's report layout.

With an LLM each phase is one chat call fed the key numbers (plus the report
Markdown for the first two) and every previous answer. Without one, an
offline analysis computed from the same numbers fills the same seven sections
and says so.
"""
from __future__ import annotations

import math
import re
import time
from pathlib import Path
from typing import Any, Callable

from .._io import atomic_write
from ..results.frames import NO_FAULT, fault_types_present
from ..results.stats import summarize_by, summarize_runs
from ..scenarios.catalogue import FAULT_CATALOGUE, KIND_OF_TYPE, KINDS
from .evidence import _md, is_idempotent
from .model import ScenarioReview
from .prompts import PHASE_MAX_TOKENS, PHASES, PROMPT_SECTIONS, scenario_phase_messages
from .render import neutralize_html

OFFLINE_LABEL = "offline analysis from the numbers (no LLM)"
DEFAULT_REPORT = "scenario-review-report.md"
_RISK = {
    "timeout": "a timeout set below the real p99 turns slow successes into errors: size it from measurements",
    "retry": "retries multiply load on a struggling dependency and duplicate non-idempotent writes",
    "circuit-breaker": "a breaker that trips too eagerly rejects traffic the dependency could have served",
    "pooling": "a pool too small queues requests; too large exhausts the database",
}


def _mitigation(fault: dict) -> tuple[str, str]:
    """(what to add, category) for the first fault type of a fault row (the catalogue's advice)."""
    for t in fault.get("types") or ():
        if t in FAULT_CATALOGUE:
            return FAULT_CATALOGUE[t].mitigation, FAULT_CATALOGUE[t].category
    return "defensive defaults", "other"


def _group_facts(g: dict) -> dict:
    return {"requests": int(g["requests"]), "p95_ms": 0.0 if g["p95_ms"] != g["p95_ms"] else float(g["p95_ms"]),
            "failure_rate": float(g["failure_rate"]), "error_rate": float(g["transport_error_rate"]),
            "timeout_rate": float(g["timeout_rate"]), "http_5xx_rate": float(g["http_5xx_rate"]),
            "failed": int(g["expectation_failed"])}


def _facts(results: Any) -> dict:
    runs = results.runs
    ep_rows = []
    for g in summarize_by(runs, "endpoint_key").to_dict("records"):
        method = runs["method"][runs["endpoint_key"] == g["endpoint_key"]].iloc[0]
        ep_rows.append({"endpoint": str(g["endpoint_key"]), "method": str(method), **_group_facts(g)})
    ep_rows.sort(key=lambda r: (-r["failure_rate"], -(r["error_rate"] + r["timeout_rate"]), -r["failed"],
                                -r["p95_ms"]))
    faults = []
    base = summarize_runs(runs[runs["fault_label"] == NO_FAULT]).p95_ms if len(runs) else math.nan
    base_p95 = None if base != base else base
    for g in summarize_by(runs, "fault_label").sort_values("fault_label").to_dict("records"):
        part = runs[runs["fault_label"] == g["fault_label"]]
        types = fault_types_present(part)
        faults.append({"fault": str(g["fault_label"]), "types": types, **_group_facts(g),
                       "baseline_p95_ms": base_p95})
    faults.sort(key=lambda r: (-r["failure_rate"], -(r["error_rate"] + r["timeout_rate"]), -r["failed"],
                               -r["p95_ms"]))
    total = summarize_runs(runs)
    slo = results.slo
    breaches = []
    if len(slo):
        for _, row in slo[~slo["pass"].astype(bool)].iterrows():
            breaches.append({"scenario": str(row.get("scenario_title", "")), "endpoint": str(row.get("endpoint", "")),
                             "slo": str(row.get("title", "")), "threshold": row.get("threshold"),
                             "unit": str(row.get("unit", "")), "measured": row.get("measured"),
                             "margin": str(row.get("margin_label", ""))})
    spec_url = None
    if len(runs):
        from urllib.parse import urlparse

        u = urlparse(str(runs["url"].iloc[0]))
        if u.scheme and u.netloc:
            spec_url = f"{u.scheme}://{u.netloc}/openapi.json"
    return {"requests": int(len(runs)), "endpoints": ep_rows, "faults": faults, "breaches": breaches,
            "spec_url": spec_url,
            "slo_total": int(len(slo)), "errors": total.transport_errors, "timeouts": total.timed_out,
            "http_5xx": total.http_5xx, "failed_requests": total.failed, "failed": total.expectation_failed}


def _f(x: Any, unit: str = "") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{float(x):.1f}{unit}"


def numbers_text(facts: dict) -> str:
    """The key numbers as plain text (what every phase prompt carries)."""
    out = [f"{facts['requests']} requests, {facts['failed_requests']} failed (no answer, transport error, timeout, "
           f"5xx or missed expectation): {facts['errors']} transport errors, {facts['timeouts']} timed out, "
           f"{facts['http_5xx']} answered 5xx, {facts['failed']} failed their expectation; "
           f"{len(facts['breaches'])} of {facts['slo_total']} SLO checks breached."]
    out += [f"- endpoint {e['endpoint']}: p95 {_f(e['p95_ms'], ' ms')}, failed {e['failure_rate']:.0%}, "
            f"transport errors {e['error_rate']:.0%}, timeouts {e['timeout_rate']:.0%}, 5xx {e['http_5xx_rate']:.0%}, "
            f"failed expectations {e['failed']}" for e in facts["endpoints"]]
    out += [f"- fault {f['fault']}: p95 {_f(f['p95_ms'], ' ms')}, failed {f['failure_rate']:.0%}, "
            f"transport errors {f['error_rate']:.0%}, timeouts {f['timeout_rate']:.0%}, 5xx {f['http_5xx_rate']:.0%}, "
            f"failed expectations {f['failed']}" for f in facts["faults"]]
    out += [f"- SLO breach: {b['slo']} on {b['endpoint']} in '{b['scenario']}': measured {_f(b['measured'])}"
            f"{b['unit']} vs {_f(b['threshold'])}{b['unit']} ({b['margin']})" for b in facts["breaches"]]
    return "\n".join(out)


def _hurting(facts: dict) -> list[dict]:
    out = []
    for f in facts["faults"]:
        if f["fault"] == NO_FAULT:
            continue
        base = f.get("baseline_p95_ms")
        slow = f["p95_ms"] > (2 * base if base else 300.0)
        if f["failure_rate"] or f["error_rate"] or f["timeout_rate"] or f["failed"] or slow:
            out.append(f)
    return out


def _offline_phases(facts: dict, role: str) -> dict[str, str]:
    eps, breaches, hurting = facts["endpoints"], facts["breaches"], _hurting(facts)
    worst = eps[0] if eps else None
    p: dict[str, str] = {}
    posture = "fragile" if breaches or facts["failed_requests"] else "holding up"
    s = (f"Under the injected faults the application is **{posture}**: {facts['requests']} requests, "
         f"{facts['failed_requests']} failed ({facts['errors']} transport errors, {facts['timeouts']} timed out, "
         f"{facts['http_5xx']} answered 5xx, {facts['failed']} missed their expectation), "
         f"and {len(breaches)} of {facts['slo_total']} SLO checks were breached.")
    if worst:
        s += (f" The most affected endpoint is `{worst['endpoint']}` (p95 {_f(worst['p95_ms'], ' ms')}, "
              f"failed {worst['failure_rate']:.0%}, 5xx {worst['http_5xx_rate']:.0%}, "
              f"transport errors {worst['error_rate']:.0%}, timeouts {worst['timeout_rate']:.0%}).")
    if hurting:
        s += f" The faults that hurt most: {', '.join(f['fault'] for f in hurting[:3])}."
    if not facts["requests"]:
        s = ("The results contain no request, so nothing can be concluded about resilience: "
             "run the scenarios (`fault-nb scenario run`) and review again.")
    p["summary"] = "## Summary\n\n" + s
    t = ["## SLO deep dive", ""]
    if breaches:
        t += ["| endpoint | scenario | SLO | measured | threshold | margin |", "|---|---|---|---:|---:|---|"]
        t += [f"| `{b['endpoint']}` | {_md(b['scenario'])} | {_md(b['slo'])} | {_f(b['measured'])} {b['unit']} | "
              f"{_f(b['threshold'])} {b['unit']} | {b['margin']} |" for b in breaches]
    else:
        t.append("No SLO was breached." if facts["slo_total"] else "The scenarios declared no SLO.")
    t += ["", "### Dashboard", "", "| endpoint | requests | p95 ms | failed | transport errors | timeouts | 5xx "
          "| verdict |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    breached_eps = {b["endpoint"].split(" [")[0] for b in breaches}
    for e in eps:
        bad = e["endpoint"] in breached_eps or e["failure_rate"] or e["failed"] or e["error_rate"] or e["timeout_rate"]
        t.append(f"| `{e['endpoint']}` | {e['requests']} | {_f(e['p95_ms'])} | {e['failure_rate']:.0%} "
                 f"| {e['error_rate']:.0%} | {e['timeout_rate']:.0%} | {e['http_5xx_rate']:.0%} "
                 f"| {'FAIL' if bad else 'pass'} |")
    p["slo"] = "\n".join(t)
    c = ["## Likely causes", ""]
    if not hurting:
        c.append("No injected fault degraded the endpoints measurably; the scenarios may be too gentle.")
    for f in hurting[:3]:
        fix = _mitigation(f)[0]
        c.append(f"- **{f['fault']}** raised p95 to {_f(f['p95_ms'], ' ms')}"
                 + (f" (baseline {_f(f['baseline_p95_ms'], ' ms')})" if f.get("baseline_p95_ms") else "")
                 + f", failed {f['failure_rate']:.0%} (5xx {f['http_5xx_rate']:.0%}, transport errors "
                 f"{f['error_rate']:.0%}, timeouts {f['timeout_rate']:.0%}): the code likely lacks "
                 f"{fix}. Confirm by reading the outbound calls of the affected handlers "
                 "(`fault-nb agent code-review`).")
    if any(set(f["types"]) & {"httperror", "dns"} for f in hurting):
        c.append("- Part of the damage may be platform configuration (DNS, proxies, upstream error handling) "
                 "rather than application code.")
    p["causes"] = "\n".join(c)
    r = ["## Recommendations", ""]
    recs = []
    for i, f in enumerate(hurting[:4]):
        fix, cat = _mitigation(f)
        prio = "Critical" if i == 0 or f["failure_rate"] or f["error_rate"] or f["timeout_rate"] else "Recommended"
        recs.append((fix, prio, cat, f["fault"]))
        r.append(f"- **{prio}**: add {fix} (answers {f['fault']}).")
    if not recs:
        r.append("- **Nice-to-have**: keep these scenarios in CI and tighten the SLOs.")
    r += ["", "| change | priority | answers |", "|---|---|---|"]
    r += [f"| {fix} | {prio} | {fault} |" for fix, prio, _, fault in recs]
    p["recommendations"] = "\n".join(r)
    k = ["## Risks and trade-offs", "", "| change | risk | validate by |", "|---|---|---|"]
    for fix, _, cat, fault in recs:
        k.append(f"| {fix} | {_RISK.get(cat, 'behaviour change under load')} | re-running the {fault} "
                 "scenario and comparing p95 and error rate |")
    if not recs:
        k.append("| none | - | - |")
    p["risks"] = "\n".join(k)
    tried = {t for f in facts["faults"] for t in f["types"]}
    hurt_kinds = [KIND_OF_TYPE.get(f["types"][0]) for f in hurting if f["types"]]
    untried_kinds = {k for ft, k in KIND_OF_TYPE.items() if k and ft not in tried}
    untried = [k for k in KINDS if k in untried_kinds]  # the generator's order
    kinds = list(dict.fromkeys([k for k in hurt_kinds if k] + untried))[:4] or ["latency", "blackhole"]
    n = ["## Next steps", ""]
    if untried:
        n.append(f"Not exercised yet: {', '.join(untried)}. ")
    n += ["Re-test the weakest endpoints with the faults that hurt and the ones not tried yet, "
          "then review their code:", "", "```bash"]
    spec = facts.get("spec_url") or "http://localhost:9090/openapi.json"
    targets = [e["endpoint"] for e in eps[:2]] or ["<operationId>"]
    ops = " ".join(f"--operation {t}" for t in targets)
    n.append(f"fault-nb scenario generate --spec-url {spec} --scenario next-scenarios.yaml {ops} "
             + " ".join(f"--kind {k}" for k in kinds))
    n.append("fault-nb scenario run --scenario next-scenarios.yaml --result next-results.json")
    n.append(f"fault-nb agent code-review --results next-results.json --source-dir . --endpoint {targets[0]}")
    n.append("```")
    p["next"] = "\n".join(n)
    audience = "SRE" if role == "sre" else "development"
    x = ["## Executive summary", "",
         f"The service is {posture} when its network degrades. "
         + (f"{len(breaches)} service-level objective(s) were missed. " if breaches else "")
         + (f"The top action for the {audience} team: {recs[0][0]}." if recs else
            "No urgent action; keep testing with harsher faults.")]
    p["executive"] = "\n".join(x)
    return p


def _anchor(title: str) -> str:
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def render_report(phases: dict[str, str], label: str) -> str:
    """fault's layout: H1, table of contents (phases 1-6), executive summary, phases, generated-on line."""
    toc, seen = [], set()
    for key, *_ in PHASES[:-1]:
        for line in phases.get(key, "").splitlines():
            m = re.match(r"^(#{2,3})\s+(.*)$", line)
            # a model that echoes the prompt's own sections ("## Key numbers") does not fill the contents
            if m and m.group(2).strip().lower() not in PROMPT_SECTIONS \
                    and not m.group(2).lower().startswith("task:") and _anchor(m.group(2)) not in seen:
                seen.add(_anchor(m.group(2)))
                indent = "  " * (len(m.group(1)) - 2)
                toc.append(f"{indent}- [{m.group(2).strip()}](#{_anchor(m.group(2))})")
    out = ["# fault resilience report analysis", "", f"> {label}", "", "## Table of Contents", "", *toc, "",
           "---", "", phases.get("executive", ""), ""]
    for key, *_ in PHASES[:-1]:
        out += [phases.get(key, ""), ""]
    out += ["---", "", f"Generated on {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}", ""]
    return "\n".join(out)


def _phase_budgets(llm: Any, role: str, numbers: str) -> dict:
    """Clip budgets for the report and the previous answers that fit the model's context window."""
    from .._tokens import estimate_tokens

    window = llm.context_window() if hasattr(llm, "context_window") else None
    if not window:
        return {}
    limit = int(getattr(llm, "max_tokens", None) or PHASE_MAX_TOKENS)
    fixed = sum(estimate_tokens(m["content"]) for m in scenario_phase_messages(role, "summary", "", numbers, []))
    room = max(300, window - limit - fixed - 200)
    return {"report_budget": min(5000, room // 2), "previous_budget": min(1200, max(60, room // 12))}


def review_scenarios(results: Any, *, role: str = "developer", llm: Any = None, path: str | Path | None = None,
                     on_progress: Callable[[str], None] | None = None, cache: Any = None,
                     progress: bool = True, cancel: Any = None) -> ScenarioReview:
    """The seven-phase scenario review; writes ``path`` (e.g. ``scenario-review-report.md``) when given.

    >>> sr = review_scenarios(results, role="sre", path="scenario-review-report.md")  # doctest: +SKIP
    """
    role = (role or "developer").lower()
    if role not in ("developer", "sre"):
        from ..errors import FaultNbError
        raise FaultNbError(f"unknown role {role!r}. Expected one of: developer, sre")
    say = on_progress or (lambda m: None)
    facts = _facts(results)
    if llm is None:
        phases = _offline_phases(facts, role)
        prov = {"reviewer": "rules", "label": OFFLINE_LABEL, "created": time.strftime("%Y-%m-%d %H:%M:%S UTC",
                                                                                         time.gmtime())}
        label = OFFLINE_LABEL
    else:
        try:
            report_md = results.to_markdown()
        except Exception:  # fault's renderer fails on some inputs (spec B.4); the numbers still tell the story
            report_md = "(the scenario report could not be rendered; use the key numbers)"
        numbers = numbers_text(facts)
        from .._progress import tqdm  # tqdm.auto; notebook bars end as text

        from ..errors import LLMCancelledError, LLMError, LLMTruncatedError
        from ..settings import DEFAULT_DEADLINE_S

        deadline = time.monotonic() + float(getattr(llm, "deadline", None) or DEFAULT_DEADLINE_S)
        budgets = _phase_budgets(llm, role, numbers)
        phases, previous, tokens, estimated, failed, error = {}, [], [0, 0], False, [], None
        with tqdm(total=len(PHASES), desc="scenario review", unit="phase", disable=not progress) as bar:
            for i, (key, title, _, _) in enumerate(PHASES, 1):
                say(f"phase {i}/7: {title}")
                try:
                    reply = llm.chat(scenario_phase_messages(role, key, report_md, numbers, previous, **budgets),
                                     cache=cache,
                                     purpose=f"scenario-review {key}", max_tokens=PHASE_MAX_TOKENS,
                                     deadline=deadline, cancel=cancel)
                except LLMTruncatedError as exc:  # keep what came, say it is cut (never cached)
                    text = (neutralize_html(exc.text.strip()) + "\n\n" if exc.text.strip() else "") + \
                        f"> The model's answer was cut at {exc.tokens} tokens; this section is incomplete."
                    failed.append(key)
                    error = error or str(exc)
                except LLMError as exc:
                    if isinstance(exc, LLMCancelledError):
                        raise
                    text = f"## {title}\n\n> This phase failed: {neutralize_html(str(exc))}"
                    failed.append(key)
                    error = error or str(exc)
                else:
                    text = neutralize_html(reply.text.strip())
                    tokens[0] += reply.prompt_tokens
                    tokens[1] += reply.completion_tokens
                    estimated = estimated or getattr(reply, "tokens_source", "estimate") != "server"
                phases[key] = text
                previous.append((title, text))
                bar.update(1)
        prov = {**llm.provenance(), "created": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                "prompt_tokens": tokens[0], "completion_tokens": tokens[1], "tokens_are_estimates": estimated,
                "failed_phases": failed, "error": error}
        label = (f"LLM analysis by {llm.model} ({llm.host}); numbers from the scenario results; "
                 f"{'estimated tokens' if estimated else 'tokens (server usage)'}: {tokens[0]} prompt + "
                 f"{tokens[1]} completion" + (f"; {len(failed)} phase(s) cut or failed" if failed else ""))
        prov["label"] = label
    markdown = render_report(phases, label)
    if path is not None:
        atomic_write(path, markdown)
    return ScenarioReview(role, phases, markdown, prov, str(path) if path is not None else None)


__all__ = ["review_scenarios", "DEFAULT_REPORT", "is_idempotent"]
