"""What you tick is what you get: the diffs of exactly a chosen subset of suggestions.

A review's diffs were built one on top of the other. For a subset they are
recomputed on the source as it is: the rules reviewer re-runs its fixes on only
the chosen findings, and model edits are replayed, in review order, onto the
subset. :func:`settle` records, once per review, what each suggestion truly
needs (its edit does not apply without it) and the digests of the files it
saw; :func:`rebase` is what ``Review.rebased`` / ``combined_diff`` / ``subset``
/ ``apply`` call.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from .._io import safe_join
from ..errors import UnsafePathError
from .edits import Edit, EditError, Workspace, parse_patch, read_source
from .model import ApplyError, Basis, Suggestion, file_digest

if TYPE_CHECKING:  # pragma: no cover
    from .model import Review


def _files_of(suggestions: list[Suggestion]) -> list[str]:
    out: list[str] = []
    for s in suggestions:
        for rel, _, _ in parse_patch(s.diff):
            if rel not in out:
                out.append(rel)
    return out


def _recomputable(review: "Review", chosen: list[Suggestion]) -> bool:
    if _by_rules(review, chosen):
        return True
    return all(s.edits for s in chosen)


def _by_rules(review: "Review", chosen: list[Suggestion]) -> bool:
    basis = review.basis
    return (review.provenance.reviewer == "rules" and basis is not None and bool(basis.scope)
            and all(s.rule for s in chosen))


def _recompute(review: "Review", chosen: list[Suggestion], root: Path, *,
               compile_fixes: bool = True) -> list[Suggestion]:
    """Copies of ``chosen`` with the diffs of exactly this subset, in the order they apply
    (``compile_fixes``: the rules' compiler checks too, as the review ran them)."""
    from .code_review import _LOCAL  # tree-sitter is not thread-safe: one parse at a time, as reviews do

    with _LOCAL:
        return _recompute_locked(review, chosen, root, compile_fixes)


def _recompute_locked(review: "Review", chosen: list[Suggestion], root: Path,
                      compile_fixes: bool) -> list[Suggestion]:
    ids = [s.id for s in chosen]
    if _by_rules(review, chosen):
        from .rules import run_rules

        basis = review.basis
        scope = {rel: set(names) for rel, names in basis.scope.items()}
        results = run_rules(root, scope, timeout_s=basis.timeout_s or 5.0, compile_fixes=compile_fixes,
                            only={s.id: s.finding_key for s in chosen})
        got = {r.sid: r for r in results}
        for s in chosen:
            r = got.get(s.id)
            if r is None or not r.ok:
                why = r.error if r is not None else "the finding is not there without the others"
                raise ApplyError(f"{s.id} ({s.title}) does not apply with only {', '.join(ids)} chosen: {why}; "
                                 "nothing was written")
        by_id = {s.id: s for s in chosen}
        # the rationale too: it names what the finding saw, which the left-out fixes may have added
        return [dataclasses.replace(by_id[r.sid], diff=r.diff, rationale=r.finding.rationale)
                for r in results if r.sid in by_id]
    ws = Workspace(root)
    out = []
    for s in chosen:
        try:
            edits = [Edit.from_dict(e) for e in s.edits]
        except EditError as exc:
            raise ApplyError(f"{s.id} ({s.title}): {exc}") from exc
        res = ws.propose(s.id, edits)
        if not res.ok:
            raise ApplyError(f"{s.id} ({s.title}) does not apply with only {', '.join(ids)} chosen: {res.error}; "
                             "nothing was written")
        out.append(dataclasses.replace(s, diff=res.diff))
    return out


def _check_basis(review: "Review", chosen: list[Suggestion], root: Path) -> None:
    basis = review.basis
    if basis is None or not basis.files:
        return
    for rel in _files_of(chosen):
        want = basis.files.get(rel)
        path = safe_join(root, rel)
        if want is None or not path.is_file():
            continue
        if file_digest(read_source(path)) != want:
            raise ApplyError(f"{rel} in {root} changed since the review (it is not the text that was reviewed); "
                             "nothing was written: review the endpoint again")


def rebase(review: "Review", chosen: list[Suggestion], source_dir=None) -> list[Suggestion]:
    """``chosen`` (already closed over what each needs) with diffs recomputed for exactly this subset."""
    if not chosen:
        return []
    where = source_dir or review.source_dir
    root = Path(where) if where else None
    full = [s.id for s in chosen] == [s.id for s in review.verified]
    if not _recomputable(review, chosen):  # hand-made or older reviews: their diffs as they are
        return [dataclasses.replace(s) for s in chosen]
    if root is None or not root.is_dir():
        if full:
            return [dataclasses.replace(s) for s in chosen]
        raise ApplyError(f"the diffs of a subset are recomputed on the source, and {where or 'no source folder'} "
                         "is not a folder: pass source_dir=")
    _check_basis(review, chosen, root)
    if full:  # the review's own diffs are this subset's diffs
        return [dataclasses.replace(s) for s in chosen]
    try:
        return _recompute(review, chosen, root)
    except UnsafePathError as exc:
        raise ApplyError(str(exc)) from exc


def settle(review: "Review") -> None:
    """Record the digests of the files the verified suggestions change, and set each one's
    ``dependencies`` to what it truly needs: the smallest set found without which its edit
    does not apply (most need nothing, and then apply alone).

    >>> settle(review); review.suggestion("s2").dependencies  # doctest: +SKIP
    []
    """
    verified = review.verified
    if not verified or not review.source_dir or not Path(review.source_dir).is_dir():
        return
    root = Path(review.source_dir)
    files = {}
    for rel in _files_of(verified):
        path = safe_join(root, rel)
        if path.is_file():
            files[rel] = file_digest(read_source(path))
    basis = review.basis or Basis()
    review.basis = Basis(files, basis.scope, basis.timeout_s)
    if not _recomputable(review, verified):
        return
    order = {s.id: n for n, s in enumerate(verified)}
    by_id = {s.id: s for s in verified}
    first = {s.id: [d for d in s.dependencies if d in by_id] for s in verified}
    needs: dict[str, list[str]] = {}

    def close(ids) -> set[str]:
        out, todo = set(ids), list(ids)
        while todo:
            i = todo.pop()
            for d in needs.get(i, first.get(i, [])):
                if d not in out:
                    out.add(d)
                    todo.append(d)
        return out

    def works(ids: set[str]) -> bool:
        try:
            # whether the edits apply: the review already compiled them (what is shown is compiled again)
            _recompute(review, [by_id[i] for i in sorted(ids, key=order.get)], root, compile_fixes=False)
            return True
        except ApplyError:
            return False

    for s in verified:
        if works({s.id}):
            needs[s.id] = []
            continue
        deps = close(_closure(first, s.id) - {s.id})
        if not works(deps | {s.id}):
            deps = close({o.id for o in verified if order[o.id] < order[s.id]})
        for d in sorted(deps, key=order.get, reverse=True):  # drop what it does without
            trial = deps - {d}
            if d in close(trial):
                continue
            if works(trial | {s.id}):
                deps = trial
        needs[s.id] = sorted(deps, key=order.get)
    for s in verified:
        s.dependencies = needs[s.id]


def _closure(graph: dict[str, list[str]], start: str) -> set[str]:
    out, todo = {start}, [start]
    while todo:
        for d in graph.get(todo.pop(), []):
            if d not in out:
                out.add(d)
                todo.append(d)
    return out
