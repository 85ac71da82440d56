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

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._syntax import Finding, Project, _Src
from .edits import Workspace
from .rules_go import go_findings
from .rules_java import java_called_methods, java_findings
from .rules_js import _JS_EXT, js_findings, js_imported_names
from .rules_python import Checker
from .rules_python_net import imported_names
from .rules_rust import rust_findings
from .toolchains import CompileCheck, compile_check

__all__ = ["run_rules", "findings_scope", "rank_results", "rule_questions", "evidence_weight", "Finding",
           "RuleResult"]

# ---------------------------------------------------------------- driver

_ORDER = ("client-timeout-none", "http-timeout", "fetch-timeout", "go-http-timeout", "java-client-timeout",
          "rust-client-timeout", "dependency-error", "commit-no-rollback", "sync-work-in-async-handler",
          "blocking-db-in-async", "blocking-call-in-async", "blocking-io-in-async", "sync-io-in-handler",
          "go-request-context", "go-body-not-closed", "broad-except", "swallowed-catch", "retry-no-backoff",
          "upstream-no-retry", "unbounded-pool")
_GRAMMAR = {".py": "python", ".pyi": "python", ".go": "go", ".java": "java", ".rs": "rust", **_JS_EXT}


@dataclass
class RuleResult:
    finding: Finding
    sid: str
    ok: bool
    diff: str
    error: str
    dependencies: list[str]
    # compile checks of the files the fix changed (``toolchains.compile_check``); a failed one rejects the fix
    compiled: list[CompileCheck] = field(default_factory=list)

    @property
    def question(self) -> bool:
        return self.finding.question


def run_rules(source_dir: str | Path, scope: dict[str, set[str]], *, timeout_s: float = 5.0,
              workspace: Workspace | None = None, max_fixes: int = 50, compile_fixes: bool = True) -> list[RuleResult]:
    """Run the checks on ``scope`` ({relative file: function names}) and fix findings one by one.

    Each fix must apply and parse (``Workspace.propose``) and, with ``compile_fixes=True``, pass the
    language's compiler front end where the toolchain is installed (``toolchains.compile_check``);
    a fix that fails is rejected and the workspace left as it was. A finding that is a question
    (no safe fix) comes back with ``question=True`` and no diff.

    >>> [r.finding.kind for r in run_rules("apps/orders", {"app.py": {"stock"}})]  # doctest: +SKIP
    ['http-timeout']
    """
    ws = workspace or Workspace(source_dir)
    project = Project(ws)
    done: set[tuple] = set()
    out: list[RuleResult] = []
    scope = {rel: set(names) for rel, names in scope.items()}
    helpers: set[str] = set()  # blocking plain-def functions in scope, whichever file they live in
    retried: set[str] = set()  # functions a scoped caller retries, whichever file they live in
    for rel, names in list(scope.items()):
        grammar = _GRAMMAR.get(Path(rel).suffix.lower())
        try:
            if grammar == "python":
                chk = Checker(_Src(rel, ws.text(rel)), names, timeout_s, project=project)
                helpers |= chk.blocking_functions()
                retried |= chk.retried_functions()
                extra = imported_names(chk)
            elif grammar in ("javascript", "typescript", "tsx"):
                extra = js_imported_names(_Src(rel, ws.text(rel), grammar), names, project)
            elif grammar == "java":
                extra = java_called_methods(_Src(rel, ws.text(rel), grammar), names, project)
            else:
                continue
        except (OSError, ValueError):
            continue
        for other, more in extra.items():
            scope.setdefault(other, set()).update(more)
    for rel, names in sorted(scope.items()):
        grammar = _GRAMMAR.get(Path(rel).suffix.lower())
        if grammar is None:
            continue
        for _ in range(max_fixes):
            try:
                src = _Src(rel, ws.text(rel), grammar)
            except (OSError, ValueError):
                break
            if grammar == "python":
                found = Checker(src, names, timeout_s, frozenset(helpers), project, frozenset(retried)).run()
            elif grammar == "go":
                found = go_findings(src, names, timeout_s, project)
            elif grammar == "java":
                found = java_findings(src, names, timeout_s, project)
            elif grammar == "rust":
                found = rust_findings(src, names, timeout_s, project)
            else:
                found = js_findings(src, names, timeout_s, project)
            findings = [f for f in found if f.key not in done]
            if not findings:
                break
            findings.sort(key=lambda f: (_ORDER.index(f.kind), f.line))
            f = findings[0]
            done.add(f.key)
            sid = f"s{len(out) + 1}"
            if f.question:
                out.append(RuleResult(f, sid, False, "", "", []))
                continue
            out.append(_propose_checked(ws, sid, f, compile_fixes))
    return out


def _propose_checked(ws: Workspace, sid: str, f: Finding, compile_fixes: bool) -> RuleResult:
    """Propose a fix, then compile-check the files it changed; undo it when a compiler rejects it."""
    saved = (dict(ws.current), dict(ws.history), list(ws.order))
    res = ws.propose(sid, f.edits)
    if not res.ok or not compile_fixes:
        return RuleResult(f, sid, res.ok, res.diff, res.error, res.dependencies)
    checks = [compile_check(rel, ws.current[rel]) for rel in res.files]
    failed = [c for c in checks if c.status == "failed"]
    if failed:
        ws.current, ws.history, ws.order = saved
        return RuleResult(f, sid, False, "", f"{failed[0].tool}: the fixed file does not compile: {failed[0].detail}",
                          [], checks)
    return RuleResult(f, sid, True, res.diff, "", res.dependencies, checks)


def rule_questions(results: list[RuleResult]) -> list[str]:
    """The questions among the results, as notes for the reader (they carry no diff)."""
    return [f"Question (no change proposed), {r.finding.file}:{r.finding.line} in {r.finding.function}: "
            f"{r.finding.title}. {r.finding.rationale}" for r in results if r.question]


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


def findings_scope(index: Any, operation_id: str, budget_tokens: int = 6000) -> tuple[dict[str, set[str]], dict]:
    """``({file: function names}, handler info)`` for an endpoint, from the code index."""
    match = index.handler_for(operation_id)
    handler = {k: getattr(match, k, None) for k in ("file", "function", "start_line", "end_line", "how",
                                                    "framework", "reason", "score")}
    scope: dict[str, set[str]] = {}
    if not match.file or match.how == "unmapped":
        return scope, handler
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
    handler["file"] = rel(match.file)
    return scope, handler


def rank_results(results: list[RuleResult], evidence: dict) -> list[tuple[RuleResult, float, list[str]]]:
    """Order by evidence-weighted score, keeping every dependency before its dependents."""
    scored = {}
    for r in results:
        if r.question:  # no diff to rank; see rule_questions
            continue
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

