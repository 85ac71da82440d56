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
from .evidence import _fault_label, _md, _pct, is_idempotent
from .model import ScenarioReview
from .prompts import PHASE_MAX_TOKENS, PHASES, PROMPT_SECTIONS, scenario_phase_messages
from .render import neutralize_html

OFFLINE_LABEL = "offline analysis from the numbers (no LLM)"
DEFAULT_REPORT = "scenario-review-report.md"

_MITIGATION = {
    "latency": ("timeouts and latency budgets on every outbound call", "timeout"),
    "jitter": ("timeouts sized from p99, not the mean", "timeout"),
    "packetloss": ("timeouts plus bounded retries with backoff for idempotent calls", "retry"),
    "blackhole": ("short connect timeouts and a circuit breaker", "circuit-breaker"),
    "bandwidth": ("smaller payloads (pagination, compression) and read timeouts", "timeout"),
    "httperror": ("retries with backoff for idempotent calls and a circuit breaker", "retry"),
    "dns": ("connection reuse (pooling) and a resolver timeout", "pooling"),
}
# fault type in results -> scenario kind of `fault-nb scenario generate --kind`
_KIND = {"latency": "latency", "packetloss": "packet-loss", "jitter": "jitter", "bandwidth": "bandwidth",
         "httperror": "http-error", "blackhole": "blackhole"}
_RISK = {
    "timeout": "a timeout set below the real p99 turns slow successes into errors: size it from measurements",
    "retry": "retries multiply load on a struggling dependency and duplicate non-idempotent writes",
    "circuit-breaker": "a breaker that trips too eagerly rejects traffic the dependency could have served",
    "pooling": "a pool too small queues requests; too large exhausts the database",
}


def _facts(results: Any) -> dict:
    runs = results.runs
    ep_rows = []
    keys = runs["operation_id"].astype(object).where(runs["operation_id"].notna(),
                                                      runs["method"].astype(str) + " " + runs["url"].astype(str))
    for opid, part in (runs.groupby(keys, sort=False) if len(runs) else []):
        lat = [float(x) for x in part["total_time_ms"].dropna()]
        ep_rows.append({"endpoint": str(opid), "method": str(part["method"].iloc[0]),
                        "requests": int(len(part)), "p95_ms": _pct(lat, 95) or 0.0,
                        "error_rate": float(part["errored"].fillna(False).astype(bool).mean()),
                        "timeout_rate": float(part["timed_out"].fillna(False).astype(bool).mean()),
                        "failed": int((part["decision"].astype(str).str.lower() == "failure").sum())})
    ep_rows.sort(key=lambda r: (-(r["error_rate"] + r["timeout_rate"]), -r["failed"], -r["p95_ms"]))
    labels = runs["fault_types"].map(_fault_label) if "fault_types" in runs.columns else None
    faults = []
    if labels is not None:
        base = [float(x) for x in runs[labels == "none"]["total_time_ms"].dropna()]
        base_p95 = _pct(base, 95)
        for label in sorted(set(labels)):
            part = runs[labels == label]
            lat = [float(x) for x in part["total_time_ms"].dropna()]
            faults.append({"fault": label, "requests": int(len(part)), "p95_ms": _pct(lat, 95) or 0.0,
                           "error_rate": float(part["errored"].fillna(False).astype(bool).mean()),
                           "timeout_rate": float(part["timed_out"].fillna(False).astype(bool).mean()),
                           "failed": int((part["decision"].astype(str).str.lower() == "failure").sum()),
                           "baseline_p95_ms": base_p95})
        faults.sort(key=lambda r: (-(r["error_rate"] + r["timeout_rate"]), -r["failed"], -r["p95_ms"]))
    slo = results.slo
    breaches = []
    if len(slo):
        for _, row in slo[~slo["pass"].astype(bool)].iterrows():
            breaches.append({"scenario": str(row.get("scenario_title", "")), "endpoint": str(row.get("endpoint", "")),
                             "slo": str(row.get("title", "")), "threshold": row.get("threshold"),
                             "unit": str(row.get("unit", "")), "measured": row.get("measured"),
                             "margin": str(row.get("margin_text", ""))})
    spec_url = None
    if len(runs):
        from urllib.parse import urlparse

        u = urlparse(str(runs["url"].iloc[0]))
        if u.scheme and u.netloc:
            spec_url = f"{u.scheme}://{u.netloc}/openapi.json"
    return {"requests": int(len(runs)), "endpoints": ep_rows, "faults": faults, "breaches": breaches,
            "spec_url": spec_url,
            "slo_total": int(len(slo)), "errors": int(runs["errored"].fillna(False).astype(bool).sum()),
            "timeouts": int(runs["timed_out"].fillna(False).astype(bool).sum()),
            "failed": int((runs["decision"].astype(str).str.lower() == "failure").sum())}


def _f(x: Any, unit: str = "") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{float(x):.1f}{unit}"


def numbers_text(facts: dict) -> str:
    """The key numbers as plain text (what every phase prompt carries)."""
    out = [f"{facts['requests']} requests, {facts['errors']} errored, {facts['timeouts']} timed out, "
           f"{facts['failed']} failed their expectation; {len(facts['breaches'])} of {facts['slo_total']} SLO "
           "checks breached."]
    out += [f"- endpoint {e['endpoint']}: p95 {_f(e['p95_ms'], ' ms')}, errors {e['error_rate']:.0%}, "
            f"timeouts {e['timeout_rate']:.0%}, failed expectations {e['failed']}" for e in facts["endpoints"]]
    out += [f"- fault {f['fault']}: p95 {_f(f['p95_ms'], ' ms')}, errors {f['error_rate']:.0%}, "
            f"timeouts {f['timeout_rate']:.0%}, failed expectations {f['failed']}" for f in facts["faults"]]
    out += [f"- SLO breach: {b['slo']} on {b['endpoint']} in '{b['scenario']}': measured {_f(b['measured'])}"
            f"{b['unit']} vs {_f(b['threshold'])}{b['unit']} ({b['margin']})" for b in facts["breaches"]]
    return "\n".join(out)


def _hurting(facts: dict) -> list[dict]:
    out = []
    for f in facts["faults"]:
        if f["fault"] == "none":
            continue
        base = f.get("baseline_p95_ms")
        slow = f["p95_ms"] > (2 * base if base else 300.0)
        if f["error_rate"] or f["timeout_rate"] or f["failed"] or slow:
            out.append(f)
    return out


def _offline_phases(facts: dict, role: str) -> dict[str, str]:
    eps, breaches, hurting = facts["endpoints"], facts["breaches"], _hurting(facts)
    worst = eps[0] if eps else None
    p: dict[str, str] = {}
    posture = "fragile" if breaches or facts["failed"] or facts["errors"] else "holding up"
    s = (f"Under the injected faults the application is **{posture}**: {facts['requests']} requests, "
         f"{facts['errors']} errored, {facts['timeouts']} timed out, {facts['failed']} missed their expectation, "
         f"and {len(breaches)} of {facts['slo_total']} SLO checks were breached.")
    if worst:
        s += (f" The most affected endpoint is `{worst['endpoint']}` (p95 {_f(worst['p95_ms'], ' ms')}, "
              f"errors {worst['error_rate']:.0%}, timeouts {worst['timeout_rate']:.0%}).")
    if hurting:
        s += f" The faults that hurt most: {', '.join(f['fault'] for f in hurting[:3])}."
    if not facts["requests"]:
        s = ("The results contain no request, so nothing can be concluded about resilience: "
             "run the scenarios (`fault-nb scenario run`) and review again.")
    p["summary"] = "## Summary\n\n" + s
    t = ["## SLO deep dive", ""]
    if breaches:
        t += ["| endpoint | scenario | SLO | measured | threshold | margin |", "|---|---|---|---:|---:|---|"]
        t += [f"| `{b['endpoint']}` | {_md(b['scenario'])} | {_md(b['slo'])} | {_f(b['measured'])}{b['unit']} | "
              f"{_f(b['threshold'])}{b['unit']} | {b['margin']} |" for b in breaches]
    else:
        t.append("No SLO was breached." if facts["slo_total"] else "The scenarios declared no SLO.")
    t += ["", "### Dashboard", "", "| endpoint | requests | p95 ms | errors | timeouts | verdict |",
          "|---|---:|---:|---:|---:|---|"]
    breached_eps = {b["endpoint"].split(" [")[0] for b in breaches}
    for e in eps:
        bad = e["endpoint"] in breached_eps or e["failed"] or e["error_rate"] or e["timeout_rate"]
        t.append(f"| `{e['endpoint']}` | {e['requests']} | {_f(e['p95_ms'])} | {e['error_rate']:.0%} | "
                 f"{e['timeout_rate']:.0%} | {'FAIL' if bad else 'pass'} |")
    p["slo"] = "\n".join(t)
    c = ["## Likely causes", ""]
    if not hurting:
        c.append("No injected fault degraded the endpoints measurably; the scenarios may be too gentle.")
    for f in hurting[:3]:
        fix = _MITIGATION.get(f["fault"].split("+")[0], ("defensive defaults", "other"))[0]
        c.append(f"- **{f['fault']}** raised p95 to {_f(f['p95_ms'], ' ms')}"
                 + (f" (baseline {_f(f['baseline_p95_ms'], ' ms')})" if f.get("baseline_p95_ms") else "")
                 + f", errors {f['error_rate']:.0%}, timeouts {f['timeout_rate']:.0%}: the code likely lacks "
                 f"{fix}. Confirm by reading the outbound calls of the affected handlers "
                 "(`fault-nb agent code-review`).")
    if any(f["fault"] in ("httperror", "dns") for f in hurting):
        c.append("- Part of the damage may be platform configuration (DNS, proxies, upstream error handling) "
                 "rather than application code.")
    p["causes"] = "\n".join(c)
    r = ["## Recommendations", ""]
    recs = []
    for i, f in enumerate(hurting[:4]):
        fix, cat = _MITIGATION.get(f["fault"].split("+")[0], ("defensive defaults", "other"))
        prio = "Critical" if i == 0 or f["error_rate"] or f["timeout_rate"] else "Recommended"
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
    tried = {part for f in facts["faults"] for part in f["fault"].split("+")}
    hurt_kinds = [_KIND.get(f["fault"].split("+")[0]) for f in hurting]
    untried = [k for ft, k in _KIND.items() if ft not in tried]
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
    x = [f"## Executive summary", "",
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
        from tqdm.auto import tqdm

        from ..errors import LLMCancelledError, LLMError, LLMTruncatedError
        from .llm import DEFAULT_DEADLINE_S

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
