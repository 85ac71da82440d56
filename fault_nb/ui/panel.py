"""ReviewPanel: pick an endpoint, review it, read the diffs, export or apply them.

All the work is done by the core (``fault_nb.review``); the panel only wires
buttons to it and shows progress, results and errors (as an HTML box, never a
traceback).
"""
from __future__ import annotations

import html
import logging
import os
from pathlib import Path
from typing import Any, Callable

from ._common import error_box, note, widgets_module, with_fallback
from .diffviewer import DiffViewer, evidence_lines
from .picker import EMPTY as PICKER_EMPTY, EndpointPicker

_w = widgets_module()
log = logging.getLogger(__name__)

STREAM_TAIL = 4000  # characters of streamed model text kept on screen


def reviewer_label(llm: Any) -> str:
    """What the panel says about who reviews: the offline rules reviewer or an LLM.

    >>> reviewer_label(None)
    'Offline rules reviewer (no LLM configured): deterministic rules, no model, no network.'
    """
    if llm is None:
        return "Offline rules reviewer (no LLM configured): deterministic rules, no model, no network."
    model = getattr(llm, "model", None) or "?"
    where = getattr(llm, "provider", None) or getattr(llm, "base_url", None) or "OpenAI-compatible endpoint"
    return f"LLM reviewer: {model} ({where})"


class ReviewPanel(_w.VBox):
    """The code-review dashboard for one run: endpoint picker, Review, diffs, export, apply.

    ``llm=None`` uses the offline rules reviewer and says so; ``reviews`` (from
    ``review_all``) pre-fills the panel. Exports land in
    ``out_dir`` (``code-review-report.md`` / ``.pdf``); *Apply* patches the
    index's source directory (a backup is kept and *Undo* restores it).

    >>> panel = ReviewPanel(results, index, out_dir="out")  # doctest: +SKIP
    >>> panel.picker.value = "read_user_users__user_id__get"; panel.run_review()  # doctest: +SKIP
    >>> panel.export_markdown()  # doctest: +SKIP
    PosixPath('out/code-review-report.md')
    """

    def __init__(self, results, index, llm=None, *, out_dir: str | os.PathLike = ".",
                 source_dir: str | os.PathLike | None = None, advices=None, cache=None,
                 review_fn: Callable | None = None, reviews: list | None = None, **kwargs):
        self.results = results
        self.index = index
        self.llm = llm
        self.advices = advices
        self.cache = cache
        self.out_dir = Path(out_dir)
        self.source_dir = Path(source_dir) if source_dir is not None else Path(getattr(index, "source_dir", "."))
        self._review_fn = review_fn
        self.reviews: dict[str, Any] = {}
        self.review = None
        self._applied = None
        self._streamed = ""

        self.header = _w.HTML(f"<div class='fnb-reviewer'><strong>Reviewer:</strong> "
                              f"{html.escape(reviewer_label(llm))}</div>")
        self.picker = EndpointPicker(results)
        # open on an endpoint that can be reviewed: one without an operationId cannot be mapped to code
        ops = set(getattr(results, "operation_ids", None) or [])
        first = next((v for _, v in self.picker.options if v in ops), None)
        if first is not None and self.picker.value not in ops:
            self.picker.value = first
        self.review_button = _w.Button(description="Review", button_style="primary", icon="search",
                                       tooltip="Review the selected endpoint")
        self.progress = _w.IntProgress(value=0, min=0, max=1, description="", bar_style="",
                                       layout=_w.Layout(width="16em", visibility="hidden"))
        self.status = _w.HTML()
        self.stream = _w.HTML(layout=_w.Layout(max_height="12em", overflow="auto"))
        self.error = _w.HTML()
        self.summary = _w.HTML()
        self.viewer = DiffViewer()
        self.export_md_button = _w.Button(description="Export Markdown", icon="file-text", disabled=True)
        self.export_pdf_button = _w.Button(description="Export PDF", icon="file-pdf-o", disabled=True)
        self.apply_button = _w.Button(description="Apply chosen diffs", icon="check", button_style="warning",
                                      disabled=True)
        self.undo_button = _w.Button(description="Undo apply", icon="undo", disabled=True)
        self.output = _w.HTML()

        for button, name in ((self.review_button, "review"), (self.export_md_button, "export-md"),
                             (self.export_pdf_button, "export-pdf"), (self.apply_button, "apply"),
                             (self.undo_button, "undo")):
            button.add_class(f"fnb-{name}")  # stable hooks for browser tests and custom CSS
            button.layout.width = "auto"  # ipywidgets' fixed width cuts "Apply chosen diffs"
        self.review_button.on_click(lambda _b: self.run_review())
        self.export_md_button.on_click(lambda _b: self.export_markdown())
        self.export_pdf_button.on_click(lambda _b: self.export_pdf())
        self.apply_button.on_click(lambda _b: self.apply())
        self.undo_button.on_click(lambda _b: self.undo())
        self.picker.observe(self._on_pick, names="value")
        self.viewer.observe(self._sync_buttons, names="included")

        actions = _w.HBox([self.export_md_button, self.export_pdf_button, self.apply_button, self.undo_button],
                          layout=_w.Layout(flex_flow="row wrap"))
        top = _w.HBox([self.picker, self.review_button, self.progress], layout=_w.Layout(flex_flow="row wrap"))
        super().__init__([self.header, top, self.status, self.stream, self.error, self.summary, self.viewer,
                          actions, self.output], **kwargs)
        self.add_class("fnb-review-panel")
        if not self.picker.options:  # explain the empty state instead of failing on "unknown endpoint None"
            self.review_button.disabled = True
            self.status.value = note(PICKER_EMPTY)
        if reviews:  # e.g. from review_all: the dashboard opens on the first endpoint with a finding
            self.reviews.update({r.operation_id: r for r in reviews})
            first = next((r for r in reviews if getattr(r, "verified", None)), reviews[0])
            if first.operation_id in dict(self.picker.options).values():
                self.picker.value = first.operation_id
            self._on_pick({"new": self.picker.value})

    # -- core calls ---------------------------------------------------------------

    def _call_review(self, operation_id: str):
        fn = self._review_fn
        if fn is None:
            from ..review import review_endpoint as fn
        return fn(self.results, self.index, operation_id, advices=self.advices, llm=self.llm,
                  cache=self.cache, on_progress=self._on_progress, on_token=self._on_token)

    def run_review(self, operation_id: str | None = None):
        """Review ``operation_id`` (default: the picked one) and show the result."""
        opid = operation_id or self.picker.value
        if not opid:
            self.status.value = note(PICKER_EMPTY if not self.picker.options else "Pick an endpoint to review.")
            return None
        if operation_id and self.picker.value != operation_id:
            self.picker.value = operation_id
        self.error.value = ""
        self.output.value = ""
        self.stream.value = ""
        self._streamed = ""
        self._set_busy(True, f"Reviewing {opid} …")
        try:
            review = self._call_review(opid)
        except Exception as exc:
            self._fail("Review failed", exc)
            self._set_busy(False, "")
            return None
        self.reviews[opid] = review
        self._show(review)
        self._set_busy(False, self._done_text(review))
        return review

    def export_markdown(self) -> Path | None:
        """Write the shown review (ticked suggestions) to ``out_dir/code-review-report.md``."""
        return self._export("code-review-report.md", lambda r, p: _ticked(r).to_markdown(p))

    def export_pdf(self) -> Path | None:
        """Write the shown review (ticked suggestions) to ``out_dir/code-review-report.pdf``."""
        return self._export("code-review-report.pdf", lambda r, p: _ticked(r).to_pdf(p))

    def apply(self):
        """Apply the ticked, verified diffs to the source directory (a backup is kept)."""
        if self.review is None:
            return None
        chosen = self.viewer.chosen
        if not chosen:
            self.output.value = note("Nothing to apply: tick at least one verified suggestion.")
            return None
        self.error.value = ""
        try:
            applied = self.review.apply(self.source_dir, only=chosen)
        except Exception as exc:
            self._fail("Apply failed", exc)
            return None
        self._applied = applied
        self.viewer.applied = list(chosen)  # the cards say "applied"
        self.undo_button.disabled = False
        self.apply_button.disabled = True
        files = ", ".join(str(f) for f in getattr(applied, "files", []) or []) or "no file changed"
        self.output.value = (f"<p>Applied {len(chosen)} change(s) to <code>{html.escape(files)}</code> in "
                             f"<code>{html.escape(str(self.source_dir))}</code>. <em>Undo</em> restores the backup.</p>")
        return applied

    def undo(self) -> None:
        """Restore the files the last *Apply* changed."""
        if self._applied is None:
            return
        try:
            self._applied.undo()
        except Exception as exc:
            self._fail("Undo failed", exc)
            return
        self._applied = None
        self.viewer.applied = []
        self.undo_button.disabled = True
        self._sync_buttons()
        self.output.value = note("Undone: the source files are back as they were.")

    # -- view state ---------------------------------------------------------------

    def _export(self, name: str, write: Callable) -> Path | None:
        if self.review is None:
            return None
        self.error.value = ""
        path = self.out_dir / name
        try:
            write(self.review, path)
        except Exception as exc:
            self._fail("Export failed", exc)
            return None
        self.output.value = f"<p>Wrote <code>{html.escape(str(path))}</code></p>"
        return path

    def _on_pick(self, change) -> None:
        review = self.reviews.get(change["new"])
        self._show(review)
        self.status.value = self._done_text(review) if review is not None else ""

    def _show(self, review) -> None:
        self.review = review
        self.viewer.set_review(review)
        has = review is not None
        self._sync_buttons()
        if not has:
            self.summary.value = ""
            return
        lines = list(evidence_lines(review).values())
        if not lines:
            evidence = getattr(review, "evidence", None) or []
            lines = [_evidence_text(e) for e in ([evidence] if isinstance(evidence, (str, dict)) else evidence)]
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines[:12])
        self.summary.value = (f"<details><summary>Evidence from the run ({len(lines)})</summary><ul>{items}</ul>"
                              "</details>") if items else ""

    def _sync_buttons(self, _change=None) -> None:
        """Export needs a suggestion to export, Apply a ticked verified one (and no apply pending undo)."""
        suggestions = list(getattr(self.review, "suggestions", None) or []) if self.review is not None else []
        self.export_md_button.disabled = self.export_pdf_button.disabled = not suggestions
        self.apply_button.disabled = not self.viewer.chosen or self._applied is not None
        self.apply_button.tooltip = ("Tick at least one verified suggestion to apply" if not self.viewer.chosen
                                     else "Write the ticked diffs to the source (a backup is kept)")

    def _done_text(self, review) -> str:
        sugg = list(getattr(review, "suggestions", None) or [])
        ok = sum(1 for s in sugg if getattr(s, "status", "verified") != "rejected")
        return (f"<p>{len(sugg)} suggestion(s) for <code>{html.escape(str(getattr(review, 'operation_id', '')))}</code>: "
                f"{ok} verified, {len(sugg) - ok} rejected.</p>")

    def _set_busy(self, busy: bool, text: str) -> None:
        self.review_button.disabled = busy
        self.picker.disabled = busy
        self.progress.layout.visibility = "visible" if busy else "hidden"
        if busy:
            self.progress.value, self.progress.max, self.progress.bar_style = 0, 1, "info"
        self.status.value = text if text.startswith("<") else note(text) if text else ""

    def _on_progress(self, *args, **kwargs) -> None:
        # review_endpoint reports steps as messages; review_all as (opid, done, total)
        numbers = [a for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
        texts = [a for a in args if isinstance(a, str)]
        done = kwargs.get("done", numbers[0] if numbers else None)
        total = kwargs.get("total", numbers[1] if len(numbers) > 1 else None)
        message = kwargs.get("message", texts[0] if texts else None)
        if total:
            self.progress.max = max(1, int(total))
        if done is None:  # a step without a count: advance, keep one step of head-room
            done = self.progress.value + 1
            self.progress.max = max(self.progress.max, done + 1)
        self.progress.value = min(int(done), self.progress.max)
        if message:
            self.status.value = note(str(message))

    def _on_token(self, text: str) -> None:
        self._streamed = (self._streamed + str(text))[-STREAM_TAIL:]
        self.stream.value = f"<pre class='fnb-stream'>{html.escape(self._streamed)}</pre>"

    def _fail(self, title: str, exc: Exception) -> None:
        from ..errors import FaultNbError

        if not isinstance(exc, FaultNbError):  # a bug: keep the traceback in the log, not on screen
            log.exception("%s", title)
        self.error.value = error_box(str(exc) or type(exc).__name__, title)

    def to_text(self) -> str:
        lines = [f"ReviewPanel: {reviewer_label(self.llm)}", f"endpoint: {self.picker.label_for_value}"]
        if self.review is not None:
            lines.append(self.viewer.to_text())
        return "\n".join(lines)

    def _repr_mimebundle_(self, **kwargs):
        static = self.header.value + (self.viewer.to_html() if self.review is not None else
                                      "<p>Review panel (needs a running kernel).</p>")
        return with_fallback(super()._repr_mimebundle_(**kwargs), self.to_text(), static)


def _evidence_text(e: Any) -> str:
    if isinstance(e, dict):
        return ", ".join(f"{k}: {v}" for k, v in e.items())
    return str(e)


def _ticked(review: Any) -> Any:
    """A copy of ``review`` without the suggestions the user unticked (exports honour the boxes)."""
    import dataclasses

    kept = [s for s in review.suggestions if getattr(s, "include", True)]
    if len(kept) == len(review.suggestions) or not dataclasses.is_dataclass(review):
        return review
    return dataclasses.replace(review, suggestions=kept)
