"""DiffViewer: the suggestions of a Review as highlighted unified diffs (anywidget).

The front-end lives in ``widgets/diffviewer.js`` / ``.css``. Python sends plain
data (strings only); the browser builds the DOM with ``textContent``, so text
from the model or the source never becomes markup.
"""
from __future__ import annotations

import html
from typing import Any

from ..errors import require
from ..review.evidence import row_summary
from ..review.render import rich_text
from ._common import asset, with_fallback

anywidget = require("anywidget", "notebook")
import traitlets as t  # noqa: E402  (ipywidgets/anywidget dependency)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, dict)):
        value = [value]
    return [_text(v) for v in value]


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def evidence_lines(review: Any) -> dict[str, str]:
    """``{"E1": "E1: latency, 7 requests, p95 820 ms, …", "S1": …}`` from a Review's evidence.

    Suggestions cite evidence by id; the viewer shows the line instead of the bare id.

    >>> evidence_lines({"evidence": {"rows": [{"id": "E1", "fault": "latency", "requests": 3, "p95_ms": 812.0}]}})["E1"]
    'E1: latency, 3 requests, p95 812 ms, failed ? (transport errors ?, timeouts ?, 5xx ?, ? failed expectations)'
    """
    from ..review.model import Evidence

    try:
        ev = Evidence.from_dict(_get(review, "evidence"))
    except Exception:  # noqa: BLE001 - a hand-made object the viewer cannot read: no lines, no failure
        return {}
    out: dict[str, str] = {}
    for row in ev.rows:
        if row.get("id"):
            out[str(row["id"])] = row_summary(row)
    for slo in ev.slo:
        if slo.get("id"):
            verdict = "pass" if slo.get("pass") else "FAIL"
            out[str(slo["id"])] = (f"{slo['id']}: {slo.get('scenario', '')}: {slo.get('slo', '')} "
                                   f"{verdict} ({slo.get('margin', '')})")
    return out


def suggestion_data(suggestion: Any, position: int = 0, evidence: dict[str, str] | None = None) -> dict[str, Any]:
    """The plain, JSON-safe dict the front-end renders for one suggestion.

    >>> suggestion_data({"id": "s1", "title": "Add a timeout", "diff": "--- a/app.py"})["title"]
    'Add a timeout'
    """
    include = _get(suggestion, "include", True)
    status = _text(_get(suggestion, "status") or "verified")
    return {
        "id": _text(_get(suggestion, "id") or f"s{position + 1}"),
        "title": _text(_get(suggestion, "title")),
        "rationale": _text(_get(suggestion, "rationale")),
        "category": _text(_get(suggestion, "category")),
        "evidence": [(evidence or {}).get(e, e) for e in _list(_get(suggestion, "evidence"))],
        "file": _text(_get(suggestion, "file")),
        "diff": _text(_get(suggestion, "diff")),
        "status": status,
        "error": _text(_get(suggestion, "error")),
        "dependencies": _list(_get(suggestion, "dependencies")),
        # what the card says: "needs s1" (ticking it ticks s1; unticking s1 unticks it)
        "needs": _list(_get(suggestion, "dependencies")) if status != "rejected" else [],
        "include": bool(include if include is not None else True),
    }


def provenance_label(review: Any) -> str:
    """The reviewer's label (``Provenance.label``, the core's wording), capitalised for a header."""
    from ..review.model import Provenance, sentence_case

    return sentence_case(Provenance.from_dict(_get(review, "provenance")).label)


def measured_verdicts(review: Any) -> dict[str, dict[str, str]]:
    """``{"s1": {"verdict": "improved", "text": "..."}}`` from a Review's ``measured`` (set by Verification.attach).

    >>> measured_verdicts({"measured": {"verdicts": [{"suggestion_id": "s1", "verdict": "mixed",
    ...                    "improved": ["p99 down"], "regressed": ["5xx up"], "note": ""}]}})["s1"]["verdict"]
    'mixed'
    """
    measured = _get(review, "measured") or {} if review is not None else {}
    out: dict[str, dict[str, str]] = {}
    for v in (measured.get("verdicts") if isinstance(measured, dict) else None) or []:
        lines = [f"better: {d}" for d in v.get("improved") or []] + [f"worse: {d}" for d in v.get("regressed") or []]
        if v.get("note"):
            lines.append(str(v["note"]))
        out[_text(v.get("suggestion_id"))] = {"verdict": _text(v.get("verdict")),
                                              "text": "\n".join(lines) or "no measurable change"}
    return out


class DiffViewer(anywidget.AnyWidget):
    """Suggestions as syntax-highlighted diffs, each with an *include* checkbox.

    Ticking a box in the browser updates ``included`` here and the ``include``
    flag of the matching suggestion, which the exports and ``apply`` honour.
    The review decides what a tick means (``Review.choose``: a suggestion brings
    what it needs, and leaves with it; ``note`` says so), and the diffs of the
    ticked cards are the ones recomputed for exactly that subset
    (``Review.rebased``): what the export shows and Apply writes.

    >>> viewer = DiffViewer(review)  # doctest: +SKIP
    >>> viewer.included  # ids of the suggestions to keep
    ['s1', 's2']
    """

    _esm = asset("diffviewer.js")
    _css = asset("diffviewer.css")

    suggestions = t.List(t.Dict()).tag(sync=True)
    included = t.List(t.Unicode()).tag(sync=True)
    applied = t.List(t.Unicode()).tag(sync=True)  # ids Apply wrote (the panel sets it; Undo clears it)
    header = t.Unicode("").tag(sync=True)
    endpoint = t.Unicode("").tag(sync=True)
    note = t.Unicode("").tag(sync=True)
    # suggestion id -> {"verdict": improved|regressed|mixed|no-change, "text": the measured rows}
    verdicts = t.Dict().tag(sync=True)

    def __init__(self, review: Any = None, **kwargs):
        super().__init__(**kwargs)
        self.review = None
        self._settling = False
        self.set_review(review)

    def set_review(self, review: Any) -> None:
        """Show another review (or nothing with ``None``)."""
        self.review = review
        items = list(_get(review, "suggestions", None) or []) if review is not None else []
        lines = evidence_lines(review) if review is not None else {}
        data = [suggestion_data(s, i, lines) for i, s in enumerate(items)]
        self.header = provenance_label(review) if review is not None else ""
        method = _text(_get(review, "method")) if review is not None else ""
        url = _text(_get(review, "url")) if review is not None else ""
        opid = _text(_get(review, "operation_id")) if review is not None else ""
        self.endpoint = f"{opid} [{method} {url}]".strip() if opid else ""
        self.applied = []
        self._original = {d["id"]: (d["diff"], d["rationale"]) for d in data}
        self.note = ""
        self._settling = True  # a new review: its own ticks, nothing to reconcile with the last one
        try:
            self.suggestions = data
            self.included = [d["id"] for d in data if d["include"] and d["status"] != "rejected"]
        finally:
            self._settling = False
        self._sync_include({"new": self.included, "old": self.included})
        self.verdicts = measured_verdicts(review)

    @t.observe("included")
    def _on_included(self, change) -> None:
        if getattr(self, "_settling", False):  # (also while the base class sets the traits up)
            return
        choose = getattr(self.review, "choose", None)
        if choose is not None:
            choice = choose(list(change["new"]), list(change["old"]))
            self.note = choice.note
            if list(choice.ids) != list(change["new"]):
                self._settling = True
                try:
                    self.included = list(choice.ids)
                finally:
                    self._settling = False
        self._sync_include({"new": self.included, "old": change["old"]})

    def _sync_include(self, change) -> None:
        chosen = set(change["new"])
        items = list(_get(self.review, "suggestions", None) or []) if self.review is not None else []
        for i, suggestion in enumerate(items):
            sid = _text(_get(suggestion, "id") or f"s{i + 1}")
            if isinstance(suggestion, dict):
                suggestion["include"] = sid in chosen
            else:
                try:
                    suggestion.include = sid in chosen
                except AttributeError:  # a frozen object: the list is the source of truth
                    pass
        self._show_diffs()

    def _show_diffs(self) -> None:
        """Ticked cards show their diffs (and rationale) recomputed for the ticked subset; the others their own."""
        rebased = getattr(self.review, "rebased", None)
        shown = dict(getattr(self, "_original", {}))
        if rebased is not None and self.chosen:
            try:
                shown.update({s.id: (s.diff, _text(s.rationale)) for s in rebased(self.chosen)})
            except Exception as exc:  # noqa: BLE001 - shown on the card list, never a traceback
                self.note = (self.note + " " if self.note else "") + f"These diffs could not be recomputed: {exc}"
        data = [{**d, "diff": shown[d["id"]][0], "rationale": shown[d["id"]][1]} if d["id"] in shown else d
                for d in self.suggestions]
        if data != self.suggestions:
            self.suggestions = data

    @property
    def chosen(self) -> list[str]:
        """Ids of the verified suggestions that are ticked."""
        ok = {d["id"] for d in self.suggestions if d["status"] != "rejected"}
        return [i for i in self.included if i in ok]

    def to_text(self) -> str:
        lines = [f"DiffViewer: {self.endpoint or 'no review yet'}"]
        if self.header:
            lines.append(self.header)
        if self.note:
            lines.append(self.note)
        for d in self.suggestions:
            mark = "x" if d["id"] in self.included else " "
            measured = self.verdicts.get(d["id"])
            needs = f"; needs {', '.join(d['needs'])}" if d.get("needs") else ""
            done = ", applied" if d["id"] in self.applied else ""
            lines.append(f"[{mark}] {d['title']} ({d['status']}{needs}{done})"
                         + (f" measured: {measured['verdict']}" if measured else ""))
            if d["diff"]:
                lines.append(d["diff"].rstrip("\n"))
        return "\n".join(lines)

    def state_of(self, sid: str) -> str:
        """``"applied"``, ``"ticked"``, ``"left out"`` or ``"rejected"``: what the card shows."""
        status = next((d["status"] for d in self.suggestions if d["id"] == sid), "verified")
        if status == "rejected":
            return "rejected"
        if sid in self.applied:
            return "applied"
        return "ticked" if sid in self.included else "left out"

    def to_html(self) -> str:
        """Static, escaped HTML of the same content (saved notebooks, nbviewer), in its final state:
        which cards are ticked, left out or applied, titles with their code spans."""
        n = sum(1 for d in self.suggestions if d["id"] in self.included)
        parts = [f"<div class='fnb-diffviewer-static'><p><em>{html.escape(self.header)}</em></p>"]
        if self.note:
            parts.append(f"<p class='fnb-note'>{html.escape(self.note)}</p>")
        if self.suggestions:
            parts.append(f"<p>{n} of {len(self.suggestions)} suggestion(s) ticked"
                         + (f", {len(self.applied)} applied" if self.applied else "") + "</p>")
        for d in self.suggestions:
            state = self.state_of(d["id"])
            measured = self.verdicts.get(d["id"])
            mark = f" <small>measured: {html.escape(measured['verdict'])}</small>" if measured else ""
            needs = f"; needs {', '.join(d['needs'])}" if d.get("needs") else ""
            parts.append(f"<h4>[{html.escape(state)}] {rich_text(d['title'])} "
                         f"<small>({html.escape(d['status'] + needs)})</small>{mark}</h4>")
            if d["rationale"]:
                parts.append(f"<p>{rich_text(d['rationale'])}</p>")  # as the front-end shows it
            if d["diff"]:
                parts.append(f"<pre>{html.escape(d['diff'])}</pre>")
            elif d["error"]:
                parts.append(f"<p>Rejected: {html.escape(d['error'])}</p>")
        parts.append("</div>")
        return "".join(parts)

    def _repr_mimebundle_(self, **kwargs):
        return with_fallback(super()._repr_mimebundle_(**kwargs), self.to_text(), self.to_html())
