"""Code review of one endpoint (LLM or offline rules), and of every endpoint.

The model is asked for structured edits, never for a diff. Each suggestion's
edits go through :class:`~fault_nb.review.edits.Workspace` (apply to a copy,
build the diff, verify); the failures go back to the model once, with the
exact error; what still fails is shown as rejected, never as a diff.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Callable

from .._tokens import estimate_tokens
from ..errors import FaultNbError, LLMError
from .edits import Edit, EditError, Workspace
from .evidence import collect_evidence, evidence_prompt, latency_threshold_ms
from .model import CATEGORIES, RULES_LABEL, Review, Suggestion
from .prompts import code_review_messages, format_retry_message, parse_json_answer, repair_message

# tree-sitter parsers and the embedded index are not thread-safe: local work is serialised,
# only the (slow) model calls run concurrently
_LOCAL = threading.RLock()

Progress = Callable[[str], None]


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())


def _advices_text(advices: Any) -> str | None:
    if advices is None:
        return None
    if hasattr(advices, "advices"):
        return advices.advices
    p = Path(str(advices)) if isinstance(advices, (str, Path)) and len(str(advices)) < 4096 else None
    if p is not None and p.suffix.lower() in (".md", ".markdown", ".txt") and p.is_file():
        return p.read_text(encoding="utf-8")
    return str(advices)


def review_endpoint(results: Any, index: Any, operation_id: str, *, advices: Any = None, llm: Any = None,
                    cache: Any = None, on_progress: Progress | None = None,
                    on_token: Callable[[str], None] | None = None, budget_tokens: int = 6000) -> Review:
    """Review one endpoint's code and return verified suggestions.

    ``llm=None`` uses the offline rules reviewer (labelled as such everywhere).

    >>> review = review_endpoint(results, index, "create_order_orders_post")  # doctest: +SKIP
    >>> [s.title for s in review.verified]  # doctest: +SKIP
    """
    say = on_progress or (lambda msg: None)
    if index is None or not hasattr(index, "handler_for"):
        raise FaultNbError("review_endpoint needs the code index of the app: "
                           "index = fault_nb.index_source(source_dir, endpoints=results)")
    with _LOCAL:
        say("collecting scenario evidence")
        evidence = collect_evidence(results, operation_id)
    if llm is None:
        return _rules_review(index, operation_id, evidence, say)
    return _llm_review(index, operation_id, evidence, llm=llm, advices=_advices_text(advices), cache=cache,
                       say=say, on_token=on_token, budget_tokens=budget_tokens)


# ---------------------------------------------------------------- rules

def _rules_review(index: Any, operation_id: str, evidence: dict, say: Progress) -> Review:
    from .rules import findings_scope, rank_results, rule_questions, run_rules

    thr = latency_threshold_ms(evidence)
    timeout_s = max(0.5, round(thr * 0.8 / 1000.0, 1)) if thr else 5.0
    with _LOCAL:
        say("locating the handler")
        scope, handler = findings_scope(index, operation_id)
        say("running the rules")
        results = run_rules(index.source_dir, scope, timeout_s=timeout_s)
    suggestions = []
    for res, score, ids in rank_results(results, evidence):
        f = res.finding
        suggestions.append(Suggestion(
            id=res.sid, title=f.title, rationale=f.rationale, category=f.category, evidence=ids, file=f.file,
            diff=res.diff if res.ok else "", status="verified" if res.ok else "rejected", error=res.error,
            dependencies=list(res.dependencies), line=f.line,
            edits=[{"file": e.file, "find": e.find, "replace": e.replace} for e in f.edits]))
    notes = []
    if not scope:
        notes.append(f"The handler of {operation_id} was not found in the source ({handler.get('reason') or 'unmapped'});"
                     " nothing was checked.")
    notes += rule_questions(results)  # a rule that cannot be sure of a fix asks instead (no diff)
    if scope and not suggestions and not any(r.question for r in results):
        notes.append("No rule fired on the handler and the functions it calls.")
    if thr and any(s.category == "timeout" for s in suggestions):
        if round(thr * 0.8 / 1000.0, 1) < 0.5:  # the floor, not 80%, set the value
            notes.append(f"Timeouts are set to {timeout_s:g} s, the shortest we propose: 80% of the tightest "
                         f"latency SLO ({thr:g} ms) would leave no room for a normal call.")
        else:
            notes.append(f"Timeouts are set to {timeout_s:g} s, 80% of the tightest latency SLO ({thr:g} ms).")
    say("done")
    return Review(operation_id, evidence["method"], evidence["url"], evidence, suggestions,
                  {"reviewer": "rules", "label": RULES_LABEL, "provider": None, "model": None,
                   "base_url_host": None, "created": _now()},
                  handler, notes, str(index.source_dir))


# ---------------------------------------------------------------- LLM

def _llm_review(index, operation_id, evidence, *, llm, advices, cache, say, on_token, budget_tokens) -> Review:
    with _LOCAL:
        say("building the endpoint context")
        match = index.handler_for(operation_id)
        ctx = index.context_for(operation_id, budget_tokens=budget_tokens)
        context_text = ctx.to_prompt()
        hints = _static_hints(index, operation_id)
    handler = {k: getattr(match, k, None) for k in ("file", "function", "start_line", "end_line", "how",
                                                    "framework", "reason", "score")}
    messages = code_review_messages(evidence_text=evidence_prompt(evidence), context_text=context_text,
                                    method=evidence["method"], url=evidence["url"], operation_id=operation_id,
                                    idempotent=evidence["idempotent"], advices=advices, hints=hints)
    usage = {"prompt": 0, "completion": 0, "calls": 0, "cache_hits": 0, "masked": []}

    def ask(msgs: list[dict], purpose: str) -> str:
        reply = llm.chat(msgs, json_mode=True, on_token=on_token, cache=cache, purpose=purpose)
        usage["prompt"] += reply.prompt_tokens
        usage["completion"] += reply.completion_tokens
        usage["calls"] += 1
        usage["cache_hits"] += int(reply.cached)
        usage["masked"] += reply.masked
        return reply.text

    notes: list[str] = []
    if handler.get("how") == "unmapped" or not handler.get("file"):
        notes.append(f"The handler of {operation_id} was not found ({handler.get('reason') or 'unmapped'}); "
                     "the model only saw the code the search found.")
    say(f"asking {llm.model}")
    answer = ask(messages, f"code-review {operation_id}")
    try:
        data = parse_json_answer(answer)
    except ValueError as exc:
        say("the answer was not JSON; asking once more")
        messages = messages + [{"role": "assistant", "content": answer}, format_retry_message(str(exc))]
        answer = ask(messages, f"code-review {operation_id} (format retry)")
        try:
            data = parse_json_answer(answer)
        except ValueError as exc2:
            data = {"suggestions": []}
            notes.append(f"The model's answer was not valid JSON, twice ({exc2}); no suggestion could be read.")
    raw = [s for s in data.get("suggestions") or [] if isinstance(s, dict)]
    say(f"verifying {len(raw)} suggestion(s)")
    ws = Workspace(index.source_dir)
    suggestions: list[Suggestion] = []
    failures: list[tuple[int, str]] = []
    ids: dict[str, str] = {}
    with _LOCAL:
        for n, item in enumerate(raw, 1):
            sid = f"s{n}"
            ids[str(item.get("id") or sid)] = sid
            sug, ok = _propose(ws, sid, item)
            suggestions.append(sug)
            if not ok:
                failures.append((n - 1, sug.error))
    if failures:
        say(f"repair round for {len(failures)} suggestion(s)")
        model_ids = [str(raw[i].get("id") or suggestions[i].id) for i, _ in failures]
        repair = messages + [{"role": "assistant", "content": answer},
                             repair_message([(mid, err) for mid, (_, err) in zip(model_ids, failures)])]
        try:
            fixed = parse_json_answer(ask(repair, f"code-review {operation_id} (repair)"))
            fixed_items = [s for s in fixed.get("suggestions") or [] if isinstance(s, dict)]
        except (ValueError, LLMError) as exc:
            fixed_items = []
            notes.append(f"The repair round failed: {exc}")
        by_id = {str(s.get("id")): s for s in fixed_items}
        with _LOCAL:
            for (i, first_err), mid in zip(failures, model_ids):
                item = by_id.get(mid)
                if item is None and len(fixed_items) == len(failures):
                    item = fixed_items[failures.index((i, first_err))]
                if item is None:
                    suggestions[i].error = f"{first_err} (the repair round did not return it)"
                    continue
                item = {**raw[i], **item}
                sug, ok = _propose(ws, suggestions[i].id, item)
                sug.repaired = True
                if not ok:
                    sug.error = f"after the repair round: {sug.error}"
                suggestions[i] = sug
    for s in suggestions:
        s.dependencies = list(dict.fromkeys(
            [ids.get(str(d), str(d)) for d in s.dependencies if ids.get(str(d), str(d)) != s.id]))
        s.dependencies = [d for d in s.dependencies if any(o.id == d and o.status == "verified"
                                                           for o in suggestions)]
    # the report cites evidence by id: ids the run does not have (E99, "p95") would point nowhere
    known = {str(r.get("id")) for key in ("rows", "slo") for r in evidence.get(key) or [] if isinstance(r, dict)}
    for s in suggestions:
        unknown = [e for e in s.evidence if e not in known]
        if unknown:
            s.evidence = [e for e in s.evidence if e in known]
            notes.append(f"{s.id}: evidence id(s) the run does not have were dropped: {', '.join(unknown)}")
    # diffs apply in list order: verified ones in the order they were applied to the workspace
    # (a repaired suggestion may sit on top of a later one), then the rejected ones
    order = {sid: n for n, sid in enumerate(ws.order)}
    suggestions.sort(key=lambda s: (s.status != "verified", order.get(s.id, 0)))
    if not raw and not any("not valid JSON" in n for n in notes):  # an unreadable answer is not "no change"
        notes.append("The model proposed no change.")
    say("done")
    prov = {**llm.provenance(), "created": _now(), "estimated_prompt_tokens": usage["prompt"],
            "estimated_completion_tokens": usage["completion"], "tokens_are_estimates": True,
            "calls": usage["calls"], "cache_hits": usage["cache_hits"],
            "masked": usage["masked"], "context_tokens": estimate_tokens(context_text)}
    return Review(operation_id, evidence["method"], evidence["url"], evidence, suggestions, prov, handler,
                  notes, str(index.source_dir))


def _static_hints(index: Any, operation_id: str) -> list[str]:
    """What the offline checks found in the handler's scope: leads for the model, not conclusions."""
    from .rules import findings_scope, run_rules

    try:
        scope, _ = findings_scope(index, operation_id)
        found = run_rules(index.source_dir, scope, compile_fixes=False)  # leads only: no compile checks
    except Exception:  # hints are optional; the review must not fail because a check did
        return []
    return [f"{r.finding.file}:{r.finding.line} in {r.finding.function}: {r.finding.title}" for r in found]


def _propose(ws: Workspace, sid: str, item: dict) -> tuple[Suggestion, bool]:
    category = str(item.get("category") or "other").lower()
    if category not in CATEGORIES:
        category = "other"
    raw_edits = item.get("edits")
    if not isinstance(raw_edits, list):
        raw_edits = [item] if "find" in item else []
    ev = item.get("evidence") or []
    deps = item.get("dependencies") or []
    sug = Suggestion(id=sid, title=str(item.get("title") or "untitled change")[:200],
                     rationale=str(item.get("rationale") or ""), category=category,
                     evidence=[str(e) for e in (ev if isinstance(ev, list) else [ev])],
                     file=str((raw_edits[0] or {}).get("file", "")) if raw_edits and isinstance(raw_edits[0], dict)
                     else str(item.get("file") or ""),
                     dependencies=[str(d) for d in (deps if isinstance(deps, list) else [deps])],
                     edits=[e for e in raw_edits if isinstance(e, dict)])
    try:
        edits = [Edit.from_dict(e) if isinstance(e, dict) else Edit.from_dict({}) for e in raw_edits]
        if not edits:
            raise EditError("the suggestion has no edits (expected 'edits': [{file, find, replace}])")
    except EditError as exc:
        sug.status, sug.error = "rejected", str(exc)
        return sug, False
    out = ws.propose(sid, edits)
    if not out.ok:
        sug.status, sug.error = "rejected", out.error
        return sug, False
    sug.status, sug.diff, sug.error = "verified", out.diff, ""
    sug.file = out.files[0] if out.files else sug.file
    sug.dependencies = list(dict.fromkeys(sug.dependencies + out.dependencies))
    return sug, True


# ---------------------------------------------------------------- all endpoints

def review_all(results: Any, index: Any, *, llm: Any = None, max_concurrency: int = 4, advices: Any = None,
               cache: Any = None, operation_ids: list[str] | None = None, progress: bool = True,
               on_progress: Callable[[str, int, int], None] | None = None) -> list[Review]:
    """Review every endpoint (bounded concurrency for model calls); the reviews come back in endpoint order.

    >>> reviews = review_all(results, index, llm=None)  # doctest: +SKIP
    """
    ids = list(operation_ids if operation_ids is not None else results.operation_ids)
    if not ids:
        raise FaultNbError("the results have no endpoint with an operationId to review")
    out: dict[str, Review] = {}
    from .._progress import tqdm  # tqdm.auto; notebook bars end as text

    bar = tqdm(total=len(ids), desc="code review", unit="endpoint", disable=not progress)
    workers = 1 if llm is None else max(1, int(max_concurrency))
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = {pool.submit(review_endpoint, results, index, opid, advices=advices, llm=llm,
                               cache=cache): opid for opid in ids}
        for fut in as_completed(futures):
            opid = futures[fut]
            out[opid] = fut.result()
            bar.update(1)
            if on_progress:
                on_progress(opid, len(out), len(ids))
    finally:
        # a failure (bad key, model gone) stops the queued endpoints instead of retrying each of them
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    return [out[i] for i in ids]
