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
from dataclasses import dataclass
from typing import Any, Callable, Protocol, runtime_checkable

from .._tokens import estimate_tokens
from ..errors import FaultNbError, LLMCancelledError, LLMError, LLMTruncatedError
from .across import flag_out_of_scope, merge_across, relative_paths
from .edits import Edit, EditError, Workspace
from .evidence import collect_evidence, evidence_prompt, latency_threshold_ms
from .model import (CATEGORIES, RULES_LABEL, Basis, ProgressCallback, Provenance, Review, ReviewProgress,
                    Suggestion, llm_label)
from .prompts import (CODE_MAX_TOKENS, code_review_messages, edit_schema, format_retry_message, parse_json_answer,
                      repair_message)

# tree-sitter parsers and the embedded index are not thread-safe: local work is serialised,
# only the (slow) model calls run concurrently
_LOCAL = threading.RLock()

Progress = Callable[[str], None]  # inside a reviewer: one step's message (see _Steps)


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


# ---------------------------------------------------------------- the reviewer seam

@runtime_checkable
class Reviewer(Protocol):
    """Who reviews one endpoint: :class:`RulesReviewer` (offline) or :class:`LLMReviewer`.

    ``label`` names it in every output; ``concurrent`` says whether ``review_all`` may run
    several endpoints at once; ``steps`` is how many progress steps a review usually takes.
    """

    label: str
    concurrent: bool
    steps: int

    def review(self, index: Any, operation_id: str, evidence: dict, say: Progress) -> Review:
        """Review one endpoint given ``collect_evidence``'s result; report steps through ``say``."""


@dataclass
class RulesReviewer:
    """The offline rules reviewer: tree-sitter checks with verified fixes, no model, no network."""

    label: str = RULES_LABEL
    concurrent: bool = False  # tree-sitter work is serialised anyway
    steps: int = 4

    def review(self, index: Any, operation_id: str, evidence: dict, say: Progress) -> Review:
        return _rules_review(index, operation_id, evidence, say)


@dataclass
class LLMReviewer:
    """An OpenAI-compatible model asked for structured edits, which are verified here."""

    llm: Any
    advices: str | None = None
    cache: Any = None
    on_token: Callable[[str], None] | None = None
    budget_tokens: int = 6000
    cancel: Any = None  # a threading.Event: set, the review stops and closes the stream
    concurrent: bool = True
    steps: int = 5

    @property
    def label(self) -> str:
        return llm_label(getattr(self.llm, "model", None), getattr(self.llm, "provider", None),
                         getattr(self.llm, "host", None))

    def review(self, index: Any, operation_id: str, evidence: dict, say: Progress) -> Review:
        return _llm_review(index, operation_id, evidence, llm=self.llm, advices=self.advices, cache=self.cache,
                           say=say, on_token=self.on_token, budget_tokens=self.budget_tokens, cancel=self.cancel)


def make_reviewer(llm: Any = None, *, advices: Any = None, cache: Any = None,
                  on_token: Callable[[str], None] | None = None, budget_tokens: int = 6000,
                  cancel: Any = None) -> Reviewer:
    """The reviewer for ``llm``: a Reviewer as is, ``None`` the offline rules reviewer, else an LLM client.

    >>> make_reviewer(None).label
    'offline rules reviewer (no LLM)'
    """
    if isinstance(llm, Reviewer):
        return llm
    if llm is None:
        return RulesReviewer()
    return LLMReviewer(llm, _advices_text(advices), cache, on_token, budget_tokens, cancel)


class _Steps:
    """A reviewer's step messages as :class:`ReviewProgress` events (the total grows with retries)."""

    def __init__(self, operation_id: str, total: int, callback: ProgressCallback | None):
        self.operation_id, self.total, self.callback, self.done = operation_id, total, callback, 0

    def __call__(self, message: str) -> None:
        self.done += 1
        self.total = self.done if message == "done" else max(self.total, self.done + 1)
        if self.callback is not None:
            self.callback(ReviewProgress(self.operation_id, message, self.done, self.total))


def review_endpoint(results: Any, index: Any, operation_id: str, *, advices: Any = None, llm: Any = None,
                    cache: Any = None, on_progress: ProgressCallback | None = None,
                    on_token: Callable[[str], None] | None = None, budget_tokens: int = 6000,
                    cancel: Any = None) -> Review:
    """Review one endpoint's code and return verified suggestions.

    ``llm=None`` uses the offline rules reviewer (labelled as such everywhere); ``llm`` may also
    be any :class:`Reviewer`. ``on_progress`` receives :class:`ReviewProgress` events. With an LLM the
    review runs under ``llm.deadline`` seconds; ``cancel`` (a ``threading.Event``) stops it and closes
    the stream.

    >>> review = review_endpoint(results, index, "create_order_orders_post")  # doctest: +SKIP
    >>> [s.title for s in review.verified]  # doctest: +SKIP
    """
    reviewer = make_reviewer(llm, advices=advices, cache=cache, on_token=on_token, budget_tokens=budget_tokens,
                             cancel=cancel)
    say = _Steps(operation_id, reviewer.steps, on_progress)
    if index is None or not hasattr(index, "handler_for"):
        raise FaultNbError("review_endpoint needs the code index of the app: "
                           "index = fault_nb.index_source(source_dir, endpoints=results)")
    with _LOCAL:
        say("collecting scenario evidence")
        evidence = collect_evidence(results, operation_id)  # the Review types it (model.Evidence)
    review = reviewer.review(index, operation_id, evidence, say)
    from .subset import settle

    with _LOCAL:
        settle(review)  # what each suggestion truly needs, so any chosen subset applies on its own
    return review


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
            dependencies=list(res.dependencies), line=f.line, rule=f.kind, function=f.function,
            edits=[{"file": e.file, "find": e.find, "replace": e.replace} for e in f.edits]))
    notes = []
    if not scope:
        notes.append(f"The handler of {operation_id} was not found in the source ({handler.reason or 'unmapped'});"
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
                  Provenance("rules", created=_now()), handler, notes, str(index.source_dir),
                  Basis(scope={rel: tuple(sorted(names)) for rel, names in scope.items()}, timeout_s=timeout_s))


# ---------------------------------------------------------------- LLM

def _llm_review(index, operation_id, evidence, *, llm, advices, cache, say, on_token, budget_tokens,
                cancel=None) -> Review:
    from ..settings import DEFAULT_DEADLINE_S
    from .llm import fit_budget
    from .secrets import unique_secrets

    deadline = time.monotonic() + float(getattr(llm, "deadline", None) or DEFAULT_DEADLINE_S)
    max_tokens = CODE_MAX_TOKENS

    def build(context_text: str, hints: list[str]) -> list[dict]:
        return code_review_messages(evidence_text=evidence_prompt(evidence), context_text=context_text,
                                    method=evidence["method"], url=evidence["url"], operation_id=operation_id,
                                    idempotent=evidence["idempotent"], advices=advices, hints=hints)

    with _LOCAL:
        say("building the endpoint context")
        match = index.handler_for(operation_id)
        hints = _static_hints(index, operation_id)
        # the prompt must fit the model's context window with room for the answer
        budget_tokens = fit_budget(llm, build("", hints), budget_tokens, max_tokens)
        ctx = index.context_for(operation_id, budget_tokens=budget_tokens)
        context_text = ctx.to_prompt()
    handler = {k: getattr(match, k, None) for k in ("file", "function", "start_line", "end_line", "how",
                                                    "framework", "reason", "score")}
    messages = build(context_text, hints)
    schema = edit_schema(sorted({c.file for c in ctx.chunks}))
    usage = {"prompt": 0, "completion": 0, "calls": 0, "cache_hits": 0, "masked": [], "estimated": False,
             "formats": []}

    def ask(msgs: list[dict], purpose: str) -> str:
        reply = llm.chat(msgs, json_mode=True, schema=schema, max_tokens=max_tokens, on_token=on_token,
                         cache=cache, purpose=purpose, deadline=deadline, cancel=cancel)
        usage["prompt"] += reply.prompt_tokens
        usage["completion"] += reply.completion_tokens
        usage["calls"] += 1
        usage["cache_hits"] += int(reply.cached)
        usage["masked"] += reply.masked
        usage["estimated"] = usage["estimated"] or getattr(reply, "tokens_source", "estimate") != "server"
        usage["formats"].append(getattr(reply, "response_format", "prompt"))
        return reply.text

    notes: list[str] = []
    unreadable = False
    if handler.get("how") == "unmapped" or not handler.get("file"):
        notes.append(f"The handler of {operation_id} was not found ({handler.get('reason') or 'unmapped'}); "
                     "the model only saw the code the search found.")
    say(f"asking {llm.model}")
    try:
        answer = ask(messages, f"code-review {operation_id}")
    except LLMTruncatedError as exc:
        answer, data, unreadable = "", {"suggestions": []}, True
        notes.append(f"The model's answer was cut at {exc.tokens} tokens, so no suggestion could be read "
                     "(raise --max-tokens / FAULT_NB_LLM_MAX_TOKENS).")
    else:
        try:
            data = parse_json_answer(answer)
        except ValueError as exc:
            say("the answer was not JSON; asking once more")
            messages = messages + [{"role": "assistant", "content": answer}, format_retry_message(str(exc))]
            try:
                answer = ask(messages, f"code-review {operation_id} (format retry)")
                data = parse_json_answer(answer)
            except LLMTruncatedError as exc2:
                data, unreadable = {"suggestions": []}, True
                notes.append(f"The model's answer was cut at {exc2.tokens} tokens, twice; no suggestion could "
                             "be read (raise --max-tokens / FAULT_NB_LLM_MAX_TOKENS).")
            except ValueError as exc2:
                data, unreadable = {"suggestions": []}, True
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
            if isinstance(exc, LLMCancelledError):
                raise
            fixed_items = []  # a timeout or cut answer here keeps what the first round verified
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
    if not raw and not unreadable:  # an unreadable answer is not "no change"
        notes.append("The model proposed no change.")
    root = index.source_dir
    for s in suggestions:
        s.error = relative_paths(s.error, root)
    notes += flag_out_of_scope(index, match, ctx.chunks, suggestions)  # what the model saw
    say("done")
    prov = {**llm.provenance(), "created": _now(), "prompt_tokens": usage["prompt"],
            "completion_tokens": usage["completion"], "tokens_are_estimates": usage["estimated"],
            "calls": usage["calls"], "cache_hits": usage["cache_hits"],
            "response_format": usage["formats"][-1] if usage["formats"] else None, "masked": unique_secrets(usage["masked"]),
            "context_tokens": estimate_tokens(context_text), "unreadable": unreadable}
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
               on_progress: ProgressCallback | None = None, cancel: Any = None) -> list[Review]:
    """Review every endpoint (bounded concurrency for model calls); the reviews come back in endpoint order.

    ``on_progress`` receives a :class:`ReviewProgress` (``unit="endpoint"``) as each endpoint is done.
    Every finished review is kept: an endpoint whose review fails (model down, deadline, cut answer) comes
    back in place as a review without suggestions whose notes and ``provenance["error"]`` say why.
    Edits that several endpoints propose are merged (the later copies say "same change as X/s1").

    >>> reviews = review_all(results, index, llm=None)  # doctest: +SKIP
    """
    ids = list(operation_ids if operation_ids is not None else results.operation_ids)
    if not ids:
        raise FaultNbError("the results have no endpoint with an operationId to review")
    out: dict[str, Review] = {}
    from .._progress import tqdm  # tqdm.auto; notebook bars end as text

    bar = tqdm(total=len(ids), desc="code review", unit="endpoint", disable=not progress)
    workers = max(1, int(max_concurrency)) if make_reviewer(llm).concurrent else 1
    pool = ThreadPoolExecutor(max_workers=workers)
    fatal: list[Exception] = []  # a refused key or unknown model fails every call alike: stop asking
    stop = _Either(cancel)  # set on Ctrl-C / any error here: the running calls close their streams

    def one(opid: str) -> Review:
        if fatal:
            return failed_review(opid, fatal[0], llm, index, skipped=True)
        try:
            return review_endpoint(results, index, opid, advices=advices, llm=llm, cache=cache, cancel=stop)
        except FaultNbError as exc:
            if isinstance(exc, LLMCancelledError):
                raise
            if getattr(exc, "fatal", False):
                fatal.append(exc)
            return failed_review(opid, exc, llm, index)

    try:
        futures = {pool.submit(one, opid): opid for opid in ids}
        for fut in as_completed(futures):
            opid = futures[fut]
            out[opid] = fut.result()
            bar.update(1)
            if on_progress:
                on_progress(ReviewProgress(opid, f"reviewed {opid}", len(out), len(ids), unit="endpoint"))
    except BaseException:
        stop.set()
        raise
    finally:
        # a cancel stops the queued endpoints instead of starting each of them
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    reviews = [out[i] for i in ids]
    merge_across(reviews)
    return reviews


class _Either:
    """An event that is set when the caller's ``cancel`` is, or when ``set()`` is called here."""

    def __init__(self, outer: Any = None):
        self._outer, self._own = outer, threading.Event()

    def set(self) -> None:
        self._own.set()

    def is_set(self) -> bool:
        return self._own.is_set() or bool(self._outer is not None and self._outer.is_set())


def failed_review(operation_id: str, exc: Exception, llm: Any, index: Any, skipped: bool = False) -> Review:
    """The in-place report of an endpoint whose review failed (or was skipped after a fatal error)."""
    from .llm import error_kind

    msg = relative_paths(str(exc), getattr(index, "source_dir", ""))
    client = getattr(llm, "llm", llm)  # an LLMReviewer's client names the model
    prov = {**(client.provenance() if hasattr(client, "provenance") else {"reviewer": "rules"}),
            "created": _now(), "error": msg, "error_kind": "skipped" if skipped else error_kind(exc)}
    note = (f"{operation_id} was not reviewed: an earlier endpoint failed with an error every call would get "
            f"({msg})" if skipped else f"The review of {operation_id} failed: {msg}")
    return Review(operation_id, provenance=prov, notes=[note], source_dir=str(getattr(index, "source_dir", "")))
