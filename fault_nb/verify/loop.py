"""The closed loop: apply chosen suggestions to a copy, restart the app, replay the scenarios, compare.

:func:`verify_fix` copies the source tree to scratch folders (one per variant),
applies the chosen diffs there with :meth:`Review.apply` (never in the user's
tree), starts the baseline app and then each patched app on a fresh port, with
the app's dependencies behind fault-injecting reverse proxies, runs the same
scenarios with the same seed ``runs`` times, and compares each patched run with
the baseline (:func:`fault_nb.verify.compare.compare`).

Everything it starts is stopped by PID (the app's process group, the proxies'
threads) when a phase ends, on an error, on Ctrl-C and on ``cancel``.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import urlsplit

from .._io import atomic_write
from ..scenarios.runner import _cancelled
from ..errors import AppStartError, Cancelled, VerifyError
from .launcher import AppSpec, check_command, log_tail, start_app
from .scratch import copy_tree, retarget
from .verification import (CONTROL, LOG_EXCERPT_CHARS, SuggestionVerdict, Variant, Verification, _records,
                           control_note, drift_mark, verdict_of)

MODES = ("together", "each")


@dataclass(frozen=True)
class _Choice:
    review: Any
    sid: str

    @property
    def key(self) -> str:
        return f"{self.review.operation_id}:{self.sid}"

    @property
    def title(self) -> str:
        return self.review.suggestion(self.sid).title


def _load_reviews(reviews: Any) -> list:
    from ..review.model import Review, load_reviews

    if isinstance(reviews, (str, os.PathLike)):
        return load_reviews(reviews)
    if isinstance(reviews, Review) or hasattr(reviews, "suggestions"):
        return [reviews]
    out = list(reviews or [])
    for i, r in enumerate(out):
        if not hasattr(r, "apply") or not hasattr(r, "operation_id"):
            raise VerifyError(f"reviews[{i}]: expected a Review (from review_endpoint or Review.from_json), "
                              f"got {type(r).__name__}")
    return out


def choose(reviews: list, only: Iterable[str] | None = None) -> list[_Choice]:
    """The suggestions to verify: ``only`` ids (``"s1"`` when one review, else ``"<operation_id>:s1"``),
    or every review's ticked verified suggestions with what they depend on.

    >>> [c.key for c in choose([review], ["s1"])]  # doctest: +SKIP
    ['create_order_orders_post:s1']
    """
    from ..review.model import ApplyError

    by_op: dict[str, Any] = {}
    for r in reviews:
        if r.operation_id in by_op:
            raise VerifyError(f"two reviews of {r.operation_id}: give one review per endpoint")
        by_op[r.operation_id] = r
    wanted: dict[str, list[str]] = {}
    if only is None:
        for r in reviews:
            wanted[r.operation_id] = [s.id for s in r.selected()]
    else:
        for ident in only:
            ident = str(ident).strip()
            op, _, sid = ident.rpartition(":")
            if not op:
                if len(reviews) != 1:
                    raise VerifyError(f"suggestion {ident!r}: with {len(reviews)} reviews, name it "
                                      f"<operation_id>:<id>, e.g. {reviews[0].operation_id}:{ident}")
                op = reviews[0].operation_id
            if op not in by_op:
                raise VerifyError(f"suggestion {ident!r}: no review of {op!r}; reviews: {', '.join(by_op)}")
            wanted.setdefault(op, []).append(sid)
    out: list[_Choice] = []
    for op, sids in wanted.items():
        review = by_op[op]
        try:
            chosen = review.selected(sids)
        except ApplyError as exc:
            raise VerifyError(f"{op}: {exc}") from None
        out += [_Choice(review, s.id) for s in chosen]
    if not out:
        raise VerifyError("no verified suggestion to verify: the reviews have none ticked"
                          + ("" if only is None else " among the ids given"))
    return out


def _diffs_for(review: Any, sids: list[str], src: Path) -> str:
    """The diffs of exactly ``sids`` (recomputed for that subset by the review) against ``src``.

    When ``src`` changed since the review, the error names the file and the first hunk of
    the reviewed diffs that no longer matches it.
    """
    from ..review.edits import PatchError, apply_diff, parse_patch, read_source
    from ..review.model import ApplyError

    try:
        return "".join(s.diff for s in review.rebased(sids, source_dir=src))
    except ApplyError as exc:
        problem = str(exc).replace(str(src), "the source")
        for s in review.selected(sids):  # which reviewed hunk the current source no longer matches
            for rel, _, _ in parse_patch(s.diff):
                path = src / rel
                if not path.is_file():
                    raise VerifyError(f"{review.operation_id}:{s.id} ({s.title}): {rel}: the file is gone from "
                                      f"{src}; nothing was verified") from None
                try:
                    apply_diff(s.diff, {rel: read_source(path)})
                except PatchError as perr:
                    raise VerifyError(f"{review.operation_id}:{s.id} ({s.title}) no longer applies: {rel}: {perr} "
                                      "(the source changed since the review); review the endpoint again. "
                                      "Nothing was verified and nothing in the source changed") from None
        raise VerifyError(f"{review.operation_id}: {problem}") from None


def _apply(choices: list[_Choice], tree: Path, src: Path) -> str:
    """Write the chosen suggestions into ``tree`` (a scratch copy of ``src``); returns the combined diff.

    Each review gives the diffs of exactly its chosen subset (``Review.rebased``, what
    ``Review.combined_diff`` joins); several reviews' diffs of one file apply in turn.
    """
    from .._io import safe_join
    from ..review.edits import PatchError, check_parses, parse_patch, read_source

    by_review: dict[int, tuple[Any, list[str]]] = {}
    for c in choices:
        by_review.setdefault(id(c.review), (c.review, []))[1].append(c.sid)
    texts: dict[str, str] = {}
    diffs = []
    for review, sids in by_review.values():
        diff = _diffs_for(review, sids, src)
        files = [rel for rel, _, _ in parse_patch(diff)]
        for rel in files:
            if rel not in texts:
                path = safe_join(tree, rel)
                if not path.is_file():
                    raise VerifyError(f"{review.operation_id}: {rel}: no such file in {src}")
                texts[rel] = read_source(path)
        for rel, hunks, _ in parse_patch(diff):
            try:
                texts[rel] = _apply_fuzzy(texts[rel], hunks)
            except PatchError as exc:
                raise VerifyError(f"{review.operation_id} ({', '.join(sids)}): {rel}: {exc}: it overlaps the "
                                  "changes of another endpoint's review chosen with it; verify them "
                                  "separately") from None
        diffs.append(diff)
    for rel, text in texts.items():
        problem = check_parses(rel, text)
        if problem:
            raise VerifyError(f"{rel}: the chosen suggestions of several reviews together do not parse "
                              f"({problem}); verify them separately")
        atomic_write(safe_join(tree, rel), text)
    return "".join(diffs)


def _apply_fuzzy(text: str, hunks: list) -> str:
    """Apply hunks; when another review's change sits in their context lines, retry with up to
    three context lines dropped at each end (``patch``'s fuzz), never touching - or + lines."""
    import dataclasses

    from ..review.edits import PatchError, apply_patch_text

    try:
        return apply_patch_text(text, hunks)
    except PatchError as first:
        for fuzz in (1, 2, 3):
            trimmed = []
            for h in hunks:
                lines = list(h.lines)
                head = 0
                while head < fuzz and lines and lines[0][:1] == " ":
                    lines.pop(0)
                    head += 1
                tail = 0
                while tail < fuzz and lines and lines[-1][:1] == " ":
                    lines.pop()
                    tail += 1
                pure_insert = not any(ln[:1] in " -" for ln in lines)  # 0-length range: insert after old_start
                trimmed.append(dataclasses.replace(h, old_start=h.old_start + head - (1 if pure_insert else 0),
                                                   lines=lines))
            try:
                return apply_patch_text(text, trimmed)
            except PatchError:
                continue
        raise first


def _variants(choices: list[_Choice], mode: str) -> list[tuple[str, list[_Choice]]]:
    if mode == "together" or len(choices) == 1:
        return [("together" if len(choices) > 1 else choices[0].key, choices)]
    return [(c.key, [c]) for c in choices] + [("together", choices)]


def _parse_dependencies(dependencies: Mapping[str, str] | None) -> dict[str, tuple[str, str, str]]:
    """``{NAME: (address host:port, upstream origin, path)}`` from ``{NAME: URL}``."""
    from ..scenarios.proxy import normalise_upstream

    out = {}
    for name, url in (dependencies or {}).items():
        u = urlsplit(str(url) if "://" in str(url) else f"http://{url}")
        if u.scheme != "http" or not u.hostname:
            raise VerifyError(f"dependency {name}={url}: expected an http://host:port URL "
                              "(the fault proxy sits in front of it)")
        if not str(name).isidentifier():
            raise VerifyError(f"dependency {name}={url}: the name must be the environment variable the app "
                              "reads the URL from (e.g. INVENTORY_URL)")
        out[str(name)] = (normalise_upstream(f"http://{u.netloc}"), f"http://{u.netloc}", u.path.rstrip("/"))
    return out


class _Steps:
    """Progress over the loop's phases: a tqdm bar and/or the project's one progress callback
    (a :class:`~fault_nb.review.model.ReviewProgress` per step)."""

    def __init__(self, total: int, progress: bool, on_progress: Callable | None):
        self.done, self.total = 0, total
        self.on_progress = on_progress
        self.bar = None
        if progress:
            from .._progress import tqdm  # tqdm.auto; notebook bars end as text

            self.bar = tqdm(total=total, desc="verify", unit="step")

    def say(self, message: str, advance: int = 0) -> None:
        if advance:
            self.done += int(advance)
            if self.bar is not None:
                self.bar.update(int(advance))
        if self.bar is not None:
            self.bar.set_postfix_str(message[:60])
        if self.on_progress is not None:
            from ..review.model import ReviewProgress

            self.on_progress(ReviewProgress("", message, self.done, self.total, "step"))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _merge_runs(runs: list) -> Any:
    """Several runs of the same scenarios pooled into one Results: each item's requests, run after run.

    Request ``i`` of run ``r`` keeps the same position on both sides of a comparison (both
    sides run the same runs with the same seeds), so pairing by request index still pairs
    requests that faced the same fault draws.
    """
    import copy

    from ..results import Results

    if len(runs) == 1:
        return runs[0]
    data = copy.deepcopy(runs[0].raw)
    data["end"] = runs[-1].raw["end"]
    for r in runs[1:]:
        for entry, more in zip(data["results"], r.raw["results"]):
            for ir, extra in zip(entry["results"], more["results"]):
                ir["results"] = list(ir["results"]) + copy.deepcopy(list(extra["results"]))
                ir["requests_count"] += extra["requests_count"]
                ir["failure_counts"] += extra["failure_counts"]
                nanos = (ir["total_time"]["secs"] + extra["total_time"]["secs"]) * 10**9 + \
                    ir["total_time"]["nanos"] + extra["total_time"]["nanos"]
                ir["total_time"] = {"secs": nanos // 10**9, "nanos": nanos % 10**9}
    extras = dict(runs[0].extras or {})
    extras["load"] = [{**rec, "run": i} for i, r in enumerate(runs) for rec in (r.extras or {}).get("load", [])]
    extras["runs"] = len(runs)
    return Results(data, source="<verify>", extras=extras)


def _side_health(results: Any) -> tuple[int, bool, bool, bool]:
    """(requests, every request failed, every answer was a 500, no request got an HTTP answer)."""
    if results is None:
        return 0, False, False, False
    runs = results.runs
    n = len(runs)
    if not n:
        return 0, False, False, False
    status = runs["status"]
    answered = status.notna()
    failed = (status.fillna(0) >= 500) | runs["errored"].astype(bool) | runs["timed_out"].astype(bool)
    return n, bool(failed.all()), bool((status.fillna(0) == 500).all()), not bool(answered.any())


def _excerpt(path: Path | None) -> str:
    return log_tail(path, chars=LOG_EXCERPT_CHARS) if path else ""


def verify_fix(reviews: Any, scenarios: Any, source_dir: str | os.PathLike, app: AppSpec | str, *,
               only: Iterable[str] | None = None, dependencies: Mapping[str, str] | None = None,
               runs: int = 1, seed: int = 0, mode: str = "together", out_dir: str | os.PathLike | None = None,
               confidence: float = 0.95, progress: bool = True, on_progress: Callable | None = None,
               cancel: threading.Event | Callable[[], bool] | None = None, llm: Any = None,
               control: bool = False) -> Verification:
    """Measure what the chosen suggestions change: baseline app vs patched app, same scenarios, same seed.

    ``reviews``: a Review, a list of them, a saved reviews JSON file, or ``"all"`` (review every
    endpoint of the scenarios on the baseline run, with ``llm`` or the offline rules reviewer).
    ``only``: suggestion ids (``"s1"`` or ``"<operation_id>:s1"``); default: the ticked verified ones.
    ``scenarios``: a file, folder or scenario dicts; their calls are retargeted to each app's port.
    ``app``: an :class:`AppSpec` (or a command string). ``dependencies``: ``{ENV_NAME: URL}`` of
    running services the app calls; each gets a reverse fault proxy and the app gets
    ``ENV_NAME=<proxy URL>``; an item whose ``upstreams`` names the dependency's URL gets its
    faults on that hop (and not on the client -> app hop, unless it names the app too). ``mode="each"`` also runs every suggestion alone.
    ``out_dir`` (default: a new temporary folder) receives each variant's results, report,
    diff and app log, and ``verification.json`` / ``verification.md``. ``progress``: a tqdm
    bar; ``on_progress``: called with a ``ReviewProgress`` per phase step. ``cancel``: an
    Event (or a callable) checked between phases and scenario items. ``control=True`` runs the
    unchanged app once more after the patched ones (an A/A drift check; it costs one more
    baseline block of ``runs`` runs) and compares it with the baseline: ``Verification.control``,
    ``drift_ms`` and a note say how much the machine alone moved the numbers.

    A patched app that does not start, or answers 5xx to everything, is a regression with
    its log excerpt; every other problem is a :class:`~fault_nb.errors.FaultNbError` naming
    the cause. The user's ``source_dir`` is only read.

    >>> v = verify_fix([review], "scenario.yaml", "orders/", AppSpec.uvicorn(),
    ...                dependencies={"INVENTORY_URL": "http://127.0.0.1:9191"}, runs=2, seed=1)  # doctest: +SKIP
    >>> v.table  # doctest: +SKIP
    """
    from ..scenarios import load_scenarios
    from ..scenarios.proxy import start_proxy

    started_at = time.perf_counter()
    if mode not in MODES:
        raise VerifyError(f"mode {mode!r}: expected one of {', '.join(MODES)}")
    if not isinstance(runs, int) or isinstance(runs, bool) or runs < 1:
        raise VerifyError(f"runs={runs!r}: expected a whole number >= 1")
    if not isinstance(confidence, (int, float)) or not 0.5 <= float(confidence) < 1.0:
        raise VerifyError(f"confidence={confidence!r}: expected a number in [0.5, 1)")
    spec = AppSpec(app) if isinstance(app, str) else app
    if not isinstance(spec, AppSpec):
        raise VerifyError(f"app: expected an AppSpec or a command string, got {type(app).__name__}")
    src = Path(source_dir)
    if not src.is_dir():
        raise VerifyError(f"source_dir {src}: not a directory")
    src = src.resolve()
    check_command(spec, src)
    deps = _parse_dependencies(dependencies)
    loaded = list(load_scenarios(scenarios))
    if not any(sc.get("items") for sc in loaded):
        raise VerifyError("the scenarios have no items: nothing to run")
    retarget(loaded, "http://127.0.0.1:1", {n: a for n, (a, _, _) in deps.items()})  # fail early on several apps
    review_now = isinstance(reviews, str) and reviews == "all"
    review_list: list = []
    choices: list[_Choice] = []
    if not review_now:
        review_list = _load_reviews(reviews)
        _check_endpoints(review_list, loaded)
        choices = choose(review_list, only)

    out = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="fault-nb-verify-"))
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    scratch = Path(tempfile.mkdtemp(prefix="fault-nb-verify-trees-"))
    n_variants = 1 + (len(_variants(choices, mode)) if choices else (2 if mode == "each" else 1)) + bool(control)
    steps = _Steps(1 + n_variants * (1 + runs) + 1, progress, on_progress)
    variants: list[Variant] = []
    logs: dict[str, Path] = {}
    notes: list[str] = []

    def check_cancel() -> None:
        if _cancelled(cancel):
            raise Cancelled("verification cancelled")

    def prepare(name: str, chosen: list[_Choice]) -> tuple[Variant, Path]:
        tree = copy_tree(src, scratch / _safe(name), exclude=[out])
        diff = _apply(chosen, tree, src) if chosen else ""
        var = Variant(name, [c.key for c in chosen], diff=diff)
        if diff:
            atomic_write(out / _safe(name) / "changes.diff", diff)
        return var, tree

    def run_variant(var: Variant, tree: Path) -> None:
        t0 = time.perf_counter()
        var.app_log = logs[var.name] = out / _safe(var.name) / "app.log"
        if var.app_log.exists():
            var.app_log.unlink()
        proxies: dict[str, Any] = {}
        app_proc = None
        try:
            env = {}
            for name, (addr, origin, path) in deps.items():
                proxies[addr] = start_proxy([], upstream=origin, seed=seed)
                env[name] = proxies[addr].url + path
            steps.say(f"{var.name}: starting the app")
            try:
                app_proc = start_app(spec, tree, log_path=var.app_log, env=env)
            except AppStartError as exc:
                if var.name == "baseline":
                    raise AppStartError(f"the baseline app (unchanged source) did not start: {exc}") from None
                var.error, var.log_excerpt = str(exc).split("\n--- last lines", 1)[0], exc.log_tail
                steps.say(f"{var.name}: the app did not start", advance=1 + runs)
                return
            var.started, var.app_pid = True, app_proc.pid
            steps.say(f"{var.name}: app ready on {app_proc.url}", advance=1)
            sc = retarget(loaded, app_proc.url, {n: a for n, (a, _, _) in deps.items()})
            done = []
            for r in range(runs):
                check_cancel()
                steps.say(f"{var.name}: run {r + 1}/{runs}")
                done.append(_run_once(sc, seed + r, proxies, cancel))
                steps.say(f"{var.name}: run {r + 1}/{runs} done", advance=1)
            var.results = _merge_runs(done)
            var.results.to_json(out / _safe(var.name) / "results.json")
            atomic_write(out / _safe(var.name) / "report.md", var.results.to_markdown())
        finally:
            if app_proc is not None:
                app_proc.stop()
            for p in proxies.values():
                p.stop()
            var.wall_s = time.perf_counter() - t0
        n, var.all_failed, var.all_500, var.no_answer = _side_health(var.results)
        if n == 0:
            raise VerifyError(f"{var.name}: the run produced no request; check the scenarios")
        if (var.all_500 or var.no_answer) and var.name != "baseline":
            var.log_excerpt = _excerpt(var.app_log)

    try:
        steps.say("copying the source tree")
        base_var, base_tree = prepare("baseline", [])
        ctrl = prepare(CONTROL, []) if control else None  # a fresh copy: the baseline's run wrote in its own
        pending = []
        if not review_now:  # every diff is checked before any app starts
            pending = [prepare(name, chosen) for name, chosen in _variants(choices, mode)]
        steps.say("source copied" + (" and patched" if pending else ""), advance=1)
        check_cancel()
        run_variant(base_var, base_tree)
        variants.append(base_var)
        n = len(base_var.results.runs)
        if base_var.no_answer:
            raise VerifyError(f"baseline: none of the {n} requests got an HTTP answer from the unchanged app, so "
                              "there is nothing to compare; check the scenarios' URLs, the app and its "
                              f"dependencies. App log tail:\n{_excerpt(base_var.app_log)}")
        if base_var.all_failed:
            notes.append(f"every baseline request failed ({n} requests): the comparison shows how the failures "
                         "changed (how fast, which status), not whether the app works")
        if review_now:
            review_list = _review_all(base_var.results, src, llm)
            _check_endpoints(review_list, loaded)
            choices = choose(review_list, only)
            pending = [prepare(name, chosen) for name, chosen in _variants(choices, mode)]
            steps.total = 1 + (1 + len(pending) + bool(control)) * (1 + runs) + 1
        for var, tree in pending:
            check_cancel()
            run_variant(var, tree)
            variants.append(var)
        if ctrl is not None:  # the A/A drift check: the unchanged app again, after every patched one
            check_cancel()
            run_variant(*ctrl)
        check_cancel()
        steps.say("comparing")
        for var in variants[1:] + ([ctrl[0]] if ctrl else []):
            if var.results is not None and not var.no_answer:
                var.comparison = _compare(base_var.results, var.results, confidence)
                notes += [f"{var.name}: {w}" for w in var.comparison.warnings
                          if "seed" not in w]  # both sides share the seed by construction
        steps.say("done", advance=1)
    finally:
        steps.close()
        shutil.rmtree(scratch, ignore_errors=True)

    verdicts = _verdicts(choices, variants, mode, base_var)
    if ctrl is not None:
        notes.append(_control_summary(ctrl[0], confidence))
        _mark_drift(verdicts, variants, ctrl[0])
    patched = next((v for v in variants if v.name == "together"), variants[-1] if len(variants) > 1 else None)
    result = Verification(
        baseline=base_var.results, patched=patched.results if patched else None,
        comparison=patched.comparison if patched else None, verdicts=verdicts, variants=variants, logs=logs,
        mode=mode, runs=runs, seed=seed, confidence=confidence, out_dir=out,
        wall_s=time.perf_counter() - started_at, notes=notes, control=ctrl[0] if ctrl else None)
    result.reviews = list(review_list)
    result.to_json(out / "verification.json")
    result.to_markdown(out / "verification.md")
    return result


def _control_summary(ctrl: Variant, confidence: float) -> str:
    """The note of the A/A control run (:func:`~fault_nb.verify.verification.control_note`), or why it has none."""
    if ctrl.comparison is not None:
        return control_note(ctrl.comparison, confidence)
    why = (f"did not start a second time: {ctrl.error}" if not ctrl.started else
           "answered no request on its second run")
    return f"control: the unchanged app {why}; no drift check"


def _mark_drift(verdicts: list[SuggestionVerdict], variants: list[Variant], ctrl: Variant) -> None:
    """Say on each verdict with a claim when the A/A control claimed too (the verdict itself stays)."""
    by_name = {v.name: v for v in variants}
    for verdict in verdicts:
        if verdict.verdict == "no-change" or getattr(by_name.get(verdict.variant), "comparison", None) is None:
            continue  # nothing claimed, or nothing compared (an app that did not start: its log says why)
        rows = [r for r in _records(by_name[verdict.variant].comparison)
                if r.get("operation_id") == verdict.operation_id]
        mark = drift_mark(rows, ctrl.comparison)
        if mark:
            verdict.note = "; ".join(x for x in (verdict.note, mark) if x)


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def _run_once(scenarios: list[dict], seed: int, proxies: dict, cancel: Any):
    from ..scenarios import run_scenarios

    return run_scenarios(scenarios, progress=False, seed=seed, dependencies=proxies or None, cancel=cancel)


def _compare(before: Any, after: Any, confidence: float) -> Any:
    from .compare import compare

    return compare(before, after, confidence=confidence)


def _check_endpoints(reviews: list, scenarios: list[dict]) -> None:
    """The reviews must be of endpoints the scenarios call (else they are of another app)."""
    from .._endpoint_ids import derived_operation_id

    ops = set()
    for sc in scenarios:
        for item in sc.get("items") or []:
            call = item.get("call") or {}
            op = (call.get("meta") or {}).get("operation_id")
            if op and op != "none":
                ops.add(op)
            url = urlsplit(str(call.get("url", "")))
            ops.add(derived_operation_id(str(call.get("method", "get")), url.path or "/"))
    missing = [r.operation_id for r in reviews if r.operation_id not in ops]
    if missing:
        raise VerifyError(f"the reviews are of endpoints the scenarios never call ({', '.join(missing)}); "
                          f"the scenarios call {', '.join(sorted(ops)) or 'nothing'}. "
                          "Are reviews and scenarios of the same app?")


def _review_all(results: Any, source_dir: Path, llm: Any) -> list:
    from ..code import index_source
    from ..review import review_endpoint

    index = index_source(source_dir, endpoints=results, progress=False)
    try:
        return [review_endpoint(results, index, op, llm=llm) for op in results.operation_ids]
    finally:
        close = getattr(index, "close", None)
        if close:
            close()


def _verdicts(choices: list[_Choice], variants: list[Variant], mode: str, base: Variant) -> list[SuggestionVerdict]:
    by_name = {v.name: v for v in variants}
    out = []
    for c in choices:
        var = by_name.get(c.key) or by_name.get("together") or variants[-1]
        alone = var.name == c.key
        others = [k for k in var.suggestions if k != c.key]
        note = "" if alone else f"measured together with {', '.join(others)}"
        verdict = SuggestionVerdict(c.key, c.review.operation_id, c.sid, c.title, "no-change", var.name, note=note)
        rows = [r for r in _records(var.comparison) if r.get("operation_id") == c.review.operation_id]
        verdict.verdict, verdict.improved, verdict.regressed = verdict_of(rows)
        broken = ("" if var.started and not (var.all_500 and not base.all_500) and not var.no_answer else
                  f"the patched app did not start: {var.error}" if not var.started else
                  "the patched app answered 500 to every request" if var.all_500 else
                  "the patched app answered no request (it crashed or hung)")
        if broken:  # whatever the numbers say, a broken app is a regression; its log says why
            verdict.verdict = "regressed"
            verdict.note = "; ".join(x for x in (broken, note) if x)
            verdict.log_excerpt = var.log_excerpt
        elif alone:  # a change measured alone also answers for what it did to the other endpoints
            elsewhere = [r for r in _records(var.comparison)
                         if r.get("operation_id") != c.review.operation_id and r.get("verdict") == "regressed"]
            if elsewhere:
                _, _, worse = verdict_of(elsewhere)
                verdict.regressed += [f"{r.get('operation_id')}: {d}" for r, d in zip(elsewhere, worse)]
                verdict.verdict = "mixed" if verdict.improved else "regressed"
        out.append(verdict)
    return out

