"""What one review cannot see alone: edits outside its endpoint, and the same edit proposed twice.

- :func:`flag_out_of_scope`: a verified edit inside a function that is neither
  the endpoint's handler nor one of the functions it calls is flagged (a note,
  and it is not ticked for export/apply by default). Module-level lines
  (imports, constants) are in scope: a fix often needs them.
- :func:`merge_across`: in ``review_all``, a suggestion whose edit is the same
  as, or overlaps, an earlier endpoint's verified one is marked "same change
  as X/s1" (or "overlaps X/s1"), so the report never offers two copies that
  cannot both be applied.
- :func:`relative_paths`: messages name files relative to the source dir.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .edits import PatchError, parse_patch


def relative_paths(message: str, source_dir: Any) -> str:
    """``message`` with the source dir's absolute path dropped (``/tmp/x/app.py`` -> ``app.py``).

    >>> relative_paths("app.py: no such file in /srv/app", "/srv/app")
    'app.py: no such file in the source dir'
    """
    if not message or not source_dir:
        return message
    roots = {str(Path(source_dir)), str(Path(source_dir).resolve())}
    for root in sorted(roots, key=len, reverse=True):
        message = message.replace(root.rstrip("/") + "/", "")
    for root in sorted(roots, key=len, reverse=True):
        message = message.replace(root, "the source dir")
    return message


def touched(diff: str) -> list[tuple[str, int, int]]:
    """``(file, first, last)`` pristine line spans each hunk of a unified diff changes.

    The diff is read by :func:`~fault_nb.review.edits.parse_patch` (the parser the
    applier uses); a diff it cannot read touches nothing.

    >>> touched("--- a/app.py\\n+++ b/app.py\\n@@ -3,3 +3,3 @@\\n x\\n-y\\n+z\\n w\\n")
    [('app.py', 4, 5)]
    """
    try:
        files = parse_patch(diff or "")
    except PatchError:
        return []
    out = []
    for path, hunks, _ in files:
        for hunk in hunks:
            # the changed lines, without the unchanged context around them
            line, first, last = hunk.old_start, None, None
            for ln in hunk.lines:
                if ln[:1] in ("-", "+"):
                    first = line if first is None else first
                    last = line
                if ln[:1] != "+":
                    line += 1
            count = sum(1 for ln in hunk.lines if ln[:1] != "+")
            out.append((path, first or hunk.old_start, last or hunk.old_start + max(count - 1, 0)))
    return out


def _scope_spans(match: Any, chunks: list) -> list[tuple[str, int, int]]:
    """The handler's span and those of the context chunks that are its callees/dependencies."""
    spans = []
    if getattr(match, "file", None) and getattr(match, "start_line", None):
        spans.append((str(match.file), int(match.start_line), int(match.end_line or match.start_line)))
    for c in chunks:
        if (c.reason or "").lower().startswith(("handler", "called", "calls", "uses", "dependency")):
            spans.append((c.file, c.start_line, c.end_line))
    return spans


def flag_out_of_scope(index: Any, match: Any, chunks: list, suggestions: list) -> list[str]:
    """Notes for verified suggestions that edit another function than the handler and its callees.

    ``match`` and ``chunks`` are the handler match and the context chunks the
    model was shown (the review's own, not a second query of the index).
    """
    if not hasattr(index, "chunks"):
        return []
    scope = _scope_spans(match, chunks)
    if not scope:
        return []
    notes = []
    functions = [c for c in index.chunks if c.kind in ("function", "method")]
    for s in suggestions:
        if s.status != "verified":
            continue
        outside = []
        for file, first, last in touched(s.diff):
            if any(f == file and a <= last and first <= b for f, a, b in scope):
                continue
            owner = next((c for c in functions if c.file == file and c.start_line <= first <= c.end_line), None)
            if owner is not None:
                outside.append(f"{file}:{first}-{last} in `{owner.symbol}`")
        if outside:
            s.include = False
            notes.append(f"{s.id} edits code outside this endpoint's handler and the functions it calls "
                         f"({'; '.join(outside)}): check it belongs to this review before applying it "
                         "(not ticked by default).")
    return notes


def merge_across(reviews: list) -> int:
    """Mark later copies of the same or overlapping verified edits across reviews; returns how many."""
    seen: list[tuple[str, str, str, list[tuple[str, int, int]]]] = []  # (opid, sid, normalised diff, spans)
    marked = 0
    for review in reviews:
        for s in review.suggestions:
            if s.status != "verified" or not s.diff:
                continue
            spans = touched(s.diff)
            norm = "\n".join(ln for ln in s.diff.splitlines() if ln.startswith(("+", "-"))
                             and not ln.startswith(("+++", "---")))
            hit = None
            for opid, sid, other_norm, other_spans in seen:
                if norm == other_norm:
                    hit = f"same change as {opid}/{sid}"
                    break
                overlap = [(f, max(a, c), min(b, d)) for f, a, b in spans for g, c, d in other_spans
                           if f == g and a <= d and c <= b]
                if overlap:
                    f, a, b = overlap[0]
                    hit = f"overlaps {opid}/{sid} ({f} lines {a}-{b}); apply that one, then review again"
                    break
            if hit and any(s.id in o.dependencies for o in review.verified if o is not s):
                # later edits of this review build on it: keep it, but say it collides
                review.notes.append(f"{s.id}: {hit.split(';')[0]}; the two cannot both be applied.")
                s.include = False
                marked += 1
            elif hit:
                s.status, s.error, s.include = "rejected", hit, False
                s.diff = ""
                review.notes.append(f"{s.id}: {hit}.")
                marked += 1
            else:
                seen.append((review.operation_id, s.id, norm, spans))
    return marked
