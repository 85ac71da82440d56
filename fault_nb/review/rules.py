"""The offline rules reviewer: tree-sitter checks with concrete, verified fixes.

Used when no LLM is configured; every output says so ("offline rules
reviewer (no LLM)"). The checks look only at the endpoint's handler and the
functions it calls (the scope comes from ``CodeIndex.context_for``), and their
findings are ranked by the endpoint's scenario evidence.

Fixes are found and applied one at a time: after each fix the file is parsed
again and the checks re-run on the new text, so overlapping fixes (a commit
wrapped in try/rollback, then the whole DB block moved off the event loop)
compose, each diff based on the result of the previous one.
"""

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from ._syntax import Finding, _Src
from .edits import Workspace
from .rules_js import _JS_EXT, js_findings
from .rules_python import Checker

__all__ = ["run_rules", "findings_scope", "rank_results", "evidence_weight", "Finding", "RuleResult"]

# ---------------------------------------------------------------- driver

_ORDER = ("client-timeout-none", "http-timeout", "fetch-timeout", "dependency-error", "commit-no-rollback", "sync-work-in-async-handler",
          "blocking-db-in-async",
          "blocking-call-in-async", "broad-except", "retry-no-backoff", "unbounded-pool")


@dataclass
class RuleResult:
    finding: Finding
    sid: str
    ok: bool
    diff: str
    error: str
    dependencies: list[str]


def run_rules(source_dir: str | Path, scope: dict[str, set[str]], *, timeout_s: float = 5.0,
              workspace: Workspace | None = None, max_fixes: int = 50,
              only: Mapping[str, tuple] | None = None) -> list[RuleResult]:
    """Run the checks on ``scope`` ({relative file: function names}) and fix findings one by one.

    ``only`` ({suggestion id: ``Finding.key``}) fixes just those findings, each under its id:
    how a chosen subset of a review is recomputed.

    >>> [r.finding.kind for r in run_rules("apps/orders", {"app.py": {"stock"}})]  # doctest: +SKIP
    ['http-timeout']
    """
    ws = workspace or Workspace(source_dir)
    wanted = dict(only) if only is not None else None
    done: set[tuple] = set()
    out: list[RuleResult] = []
    helpers: set[str] = set()  # blocking plain-def functions in scope, whichever file they live in
    for rel, names in scope.items():
        if rel.endswith((".py", ".pyi")):
            try:
                helpers |= Checker(_Src(rel, ws.text(rel)), names, timeout_s).blocking_functions()
            except (OSError, ValueError):
                continue
    for rel, names in sorted(scope.items()):
        grammar = "python" if rel.endswith((".py", ".pyi")) else _JS_EXT.get(Path(rel).suffix.lower())
        if grammar is None:
            continue
        for _ in range(max_fixes):
            if grammar == "python":
                src = _Src(rel, ws.text(rel))
                found = Checker(src, names, timeout_s, frozenset(helpers)).run()
            else:
                found = js_findings(_Src(rel, ws.text(rel), grammar), names, timeout_s)
            findings = [f for f in found if f.key not in done]
            if wanted is not None:
                findings = [f for f in findings if _wanted_id(f, wanted) is not None]
            if not findings:
                break
            findings.sort(key=lambda f: (_ORDER.index(f.kind), f.line))
            f = findings[0]
            done.add(f.key)
            if wanted is None:
                sid = f"s{len(out) + 1}"
            else:
                sid = _wanted_id(f, wanted)
                del wanted[sid]
            res = ws.propose(sid, f.edits)
            out.append(RuleResult(f, sid, res.ok, res.diff, res.error, res.dependencies))
    return out


def _wanted_id(f: Finding, wanted: Mapping[str, tuple]) -> str | None:
    """The id whose finding ``f`` is: same key, else same kind, file, function and title
    (the anchor text moves when other fixes are left out)."""
    for sid, key in wanted.items():
        if tuple(key) == f.key:
            return sid
    for sid, key in wanted.items():
        if tuple(key)[:4] == f.key[:4]:
            return sid
    return None


def evidence_weight(kind_category: str, evidence: dict) -> tuple[float, list[str]]:
    """How strongly the scenario evidence supports a category, and the evidence ids that do."""
    rows = evidence.get("rows") or []
    slo = evidence.get("slo") or []
    base = next((r for r in rows if r["fault"] == "none"), None)
    base_p95 = (base or {}).get("p95_ms") or 0.0
    ids: list[str] = []
    score = 0.0
    for r in rows:
        slow = (r.get("p95_ms") or 0) > max(2 * base_p95, base_p95 + 200)
        bad = r["error_rate"] + r["timeout_rate"] + r["http_5xx_rate"]
        if kind_category in ("timeout", "other") and (slow or r["timeout_rate"] > 0 or "latency" in r["fault"]
                                                     or "blackhole" in r["fault"]):
            ids.append(r["id"])
            score += 1 + r["timeout_rate"] + (1 if slow else 0)
        elif kind_category in ("transaction", "retry", "observability", "circuit-breaker") and bad > 0:
            ids.append(r["id"])
            score += 1 + bad
        elif kind_category == "pooling" and (slow or bad > 0):
            ids.append(r["id"])
            score += 0.5
    for s in slo:
        if not s["pass"] and (kind_category in ("timeout", "other") and s.get("unit") == "ms"
                              or kind_category != "timeout" and s.get("unit") == "%"):
            ids.append(s["id"])
            score += 2
    return score, ids


def findings_scope(index: Any, operation_id: str, budget_tokens: int = 6000) -> tuple[dict[str, set[str]], Any]:
    """``({file: function names}, HandlerMatch)`` for an endpoint, from the code index (the match's
    file relative to the source folder)."""
    match = index.handler_for(operation_id)
    scope: dict[str, set[str]] = {}
    if not match.file or match.how == "unmapped":
        return scope, match
    root = Path(index.source_dir).resolve()

    def rel(path: str) -> str:
        p = Path(path)
        return (p.resolve().relative_to(root) if p.is_absolute() else p).as_posix()

    if match.function:
        names = scope.setdefault(rel(match.file), set())
        names.add(str(match.function).split(".")[-1])
        if match.start_line and match.end_line:
            names.add(f"L{match.start_line}-{match.end_line}")
    try:
        ctx = index.context_for(operation_id, budget_tokens=budget_tokens)
        chunks = ctx.chunks
    except Exception:  # the handler alone still gives a useful review
        chunks = []
    for ch in chunks:
        reason = (ch.reason or "").lower()
        # only what the handler reaches; "related" chunks from search are context, not scope
        if reason.startswith("related") or (ch.kind or "") not in ("function", "method"):
            continue
        if reason.startswith(("handler", "called", "calls", "uses")):
            names = scope.setdefault(rel(ch.file), set())
            names.add(str(ch.symbol).split(".")[-1])
            names.add(f"L{ch.start_line}-{ch.end_line}")  # anonymous handlers (Express) are found by lines
    return scope, replace(match, file=rel(match.file))


def rank_results(results: list[RuleResult], evidence: dict) -> list[tuple[RuleResult, float, list[str]]]:
    """Order by evidence-weighted score, keeping every dependency before its dependents."""
    scored = {}
    for r in results:
        # error mapping answers failing requests, whatever its category says
        basis = "transaction" if r.finding.kind == "dependency-error" else r.finding.category
        w, ids = evidence_weight(basis, evidence)
        scored[r.sid] = (r, r.finding.weight * (1 + w), ids)
    remaining = dict(scored)
    out = []
    while remaining:
        ready = [v for k, v in remaining.items() if all(d not in remaining for d in v[0].dependencies)]
        if not ready:  # a cycle cannot happen (deps point backwards) but never loop forever
            ready = list(remaining.values())
        best = max(ready, key=lambda v: v[1])
        out.append(best)
        del remaining[best[0].sid]
    return out

