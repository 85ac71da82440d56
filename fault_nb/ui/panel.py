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

from ._common import download_link, error_box, file_link, in_voila, note, widgets_module, with_fallback
from .diffviewer import DiffViewer, evidence_lines
from .picker import EMPTY as PICKER_EMPTY, EndpointPicker

_w = widgets_module()
log = logging.getLogger(__name__)

STREAM_TAIL = 4000  # characters of streamed model text kept on screen


def reviewer_label(llm: Any) -> str:
    """What the panel says about who reviews (the core's label of the reviewer ``llm`` selects).

    >>> reviewer_label(None)
    'Offline rules reviewer (no LLM)'
    """
    from ..review.code_review import make_reviewer
    from ..review.model import sentence_case

    return sentence_case(make_reviewer(llm).label)


class ReviewPanel(_w.VBox):
    """The code-review dashboard for one run: endpoint picker, Review, diffs, export, apply.

    ``llm=None`` uses the offline rules reviewer and says so; ``reviews`` (from
    ``review_all``) pre-fills the panel. Exports of the shown endpoint land in
    ``out_dir`` as ``code-review-<operationId>.md`` / ``.pdf`` (the ticked
    suggestions, exactly what *Apply* writes); an existing file is kept and a
    numbered name used unless *Replace existing files* is ticked (``overwrite=True``).
    *Apply* patches the index's source directory (a backup is kept and *Undo*
    restores it).

    >>> panel = ReviewPanel(results, index, out_dir="out")  # doctest: +SKIP
    >>> panel.picker.value = "read_user_users__user_id__get"; panel.run_review()  # doctest: +SKIP
    >>> panel.export_markdown()  # doctest: +SKIP
    PosixPath('out/code-review-read_user_users__user_id__get.md')

    With ``scenarios`` and ``app`` (an :class:`~fault_nb.verify.AppSpec`), *Verify* measures
    the ticked suggestions: :func:`fault_nb.verify_fix` in a background thread (a copy of
    the source is patched; the source itself is only read), then the comparison chart and
    the verdicts, which the diff viewer also marks.
    """

    def __init__(self, results, index, llm=None, *, out_dir: str | os.PathLike = ".",
                 source_dir: str | os.PathLike | None = None, advices=None, cache=None,
                 review_fn: Callable | None = None, reviews: list | None = None, overwrite: bool = False,
                 scenarios=None, app=None, dependencies: dict | None = None, seed: int = 0, **kwargs):
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
        self.scenarios, self.app, self.dependencies, self.seed = scenarios, app, dict(dependencies or {}), seed
        self.verification = None
        self._verify_thread = None
        self._cancel = None

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
        self.overwrite = _w.Checkbox(value=bool(overwrite), description="Replace existing files", indent=False,
                                     layout=_w.Layout(width="auto"))
        self.overwrite.add_class("fnb-overwrite")
        self.output = _w.HTML()
        self.link = _w.Output()  # a FileLink to the last export (Lab opens it on click)
        self.last_export: Path | None = None
        can_verify = scenarios is not None and app is not None
        self.runs = _w.BoundedIntText(value=1, min=1, max=50, description="runs", layout=_w.Layout(width="9em"),
                                      tooltip="runs of the scenarios per side")
        self.verify_button = _w.Button(description="Verify ticked", icon="flask", disabled=True,
                                       tooltip="apply the ticked suggestions to a copy, re-run the scenarios, "
                                               "compare" if can_verify else
                                               "needs ReviewPanel(..., scenarios=..., app=AppSpec(...))")
        self.cancel_button = _w.Button(description="Cancel", icon="stop", disabled=True)
        self.verify_progress = _w.IntProgress(value=0, min=0, max=1, layout=_w.Layout(width="16em",
                                                                                      visibility="hidden"))
        self.verify_status = _w.HTML()
        self.verify_chart = _w.Output()
        self.verify_table = _w.HTML()

        for button, name in ((self.review_button, "review"), (self.export_md_button, "export-md"),
                             (self.export_pdf_button, "export-pdf"), (self.apply_button, "apply"),
                             (self.undo_button, "undo"), (self.verify_button, "verify"),
                             (self.cancel_button, "cancel-verify")):
            button.add_class(f"fnb-{name}")  # stable hooks for browser tests and custom CSS
            button.layout.width = "auto"  # ipywidgets' fixed width cuts "Apply chosen diffs"
        self.review_button.on_click(lambda _b: self.run_review())
        self.export_md_button.on_click(lambda _b: self.export_markdown())
        self.export_pdf_button.on_click(lambda _b: self.export_pdf())
        self.apply_button.on_click(lambda _b: self.apply())
        self.undo_button.on_click(lambda _b: self.undo())
        self.verify_button.on_click(lambda _b: self.verify())
        self.cancel_button.on_click(lambda _b: self.cancel_verify())
        self.picker.observe(self._on_pick, names="value")
        self.viewer.observe(self._sync_buttons, names="included")

        actions = _w.HBox([self.export_md_button, self.export_pdf_button, self.overwrite, self.apply_button,
                           self.undo_button], layout=_w.Layout(flex_flow="row wrap"))
        top = _w.HBox([self.picker, self.review_button, self.progress], layout=_w.Layout(flex_flow="row wrap"))
        verify_row = _w.HBox([self.runs, self.verify_button, self.cancel_button, self.verify_progress],
                             layout=_w.Layout(flex_flow="row wrap"))
        verify_row.layout.display = None if can_verify else "none"
        super().__init__([self.header, top, self.status, self.stream, self.error, self.summary, self.viewer,
                          actions, self.output, self.link, verify_row, self.verify_status, self.verify_chart,
                          self.verify_table], **kwargs)
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
        """Write the shown review (the ticked suggestions, as Apply writes them) to
        ``out_dir/code-review-<operationId>.md``; returns the path really written."""
        return self._export(".md")

    def export_pdf(self) -> Path | None:
        """The same as :meth:`export_markdown`, as PDF."""
        return self._export(".pdf")

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

    def verify(self, runs: int | None = None, *, background: bool = True):
        """Measure the ticked suggestions of the shown review (:func:`fault_nb.verify_fix`, mode together).

        Runs in a background thread (returned; :meth:`wait_verify` joins it) unless
        ``background=False``; the result lands in ``.verification`` and on screen.
        """
        if self.review is None or self.scenarios is None or self.app is None:
            self.verify_status.value = note("Verify needs a review, and the panel's scenarios= and app=.")
            return None
        chosen = self.viewer.chosen
        if not chosen:
            self.verify_status.value = note("Nothing to verify: tick at least one verified suggestion.")
            return None
        if self._verifying():
            return self._verify_thread
        import threading

        runs = int(runs or self.runs.value)
        self.runs.value = runs
        self._cancel = threading.Event()
        self.error.value = ""
        self.verify_table.value = ""
        self.verify_chart.outputs = ()
        self.verify_button.disabled = True
        self.cancel_button.disabled = False
        self.verify_progress.value, self.verify_progress.max = 0, 1
        self.verify_progress.layout.visibility = "visible"
        self.verify_status.value = note(f"Verifying {', '.join(chosen)} ({runs} run(s) a side) …")
        review, args = self.review, (list(chosen), runs, self._cancel)
        if not background:
            return self._verify_work(review, *args)
        self._verify_thread = threading.Thread(target=self._verify_work, args=(review, *args),
                                               name="fault-nb-verify", daemon=True)
        self._verify_thread.start()
        return self._verify_thread

    def wait_verify(self, timeout: float = 600.0) -> bool:
        """Wait for a background *Verify*; True when it has finished."""
        thread = self._verify_thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def cancel_verify(self) -> None:
        """Stop a running *Verify*: its apps and proxies are stopped by PID before it returns."""
        if self._cancel is not None:
            self._cancel.set()
            self.verify_status.value = note("Cancelling: stopping the apps …")

    def _verify_work(self, review, chosen: list[str], runs: int, cancel):
        from ..verify import verify_fix

        verification = None
        try:
            verification = verify_fix(review, self.scenarios, self.source_dir, self.app, only=chosen,
                                      dependencies=self.dependencies, runs=runs, seed=self.seed,
                                      out_dir=self.out_dir / "verify" / str(review.operation_id),
                                      progress=False, on_progress=self._on_verify_progress, cancel=cancel)
        except Exception as exc:
            self.verify_status.value = ""
            self._fail("Verify failed" if not cancel.is_set() else "Verify cancelled", exc)
        else:
            self.verification = verification
            verification.attach([review])
            if self.review is review:
                self.viewer.set_review(review)  # the verdict marks
            self._show_verification(verification)
        finally:
            self.verify_progress.layout.visibility = "hidden"
            self.cancel_button.disabled = True
            self._sync_buttons()
        return verification

    def _verifying(self) -> bool:
        """A *Verify* runs in the background (its own thread, finishing, does not count)."""
        import threading

        thread = self._verify_thread
        return thread is not None and thread.is_alive() and thread is not threading.current_thread()

    def _on_verify_progress(self, event) -> None:
        self.verify_progress.max = max(1, event.total)
        self.verify_progress.value = min(event.done, self.verify_progress.max)
        self.verify_status.value = note(event.message)

    def _show_verification(self, verification) -> None:
        self.verify_status.value = note(repr(verification))
        self.verify_table.value = verification._repr_html_()
        if verification.comparison is None:
            return
        try:
            from .. import plots
            from .explorer import _figure_bundle

            fig = plots.compare(verification.comparison)
        except Exception as exc:  # the verdicts stay on screen; the chart says why it is missing
            self._fail("Comparison chart failed", exc)
            return
        self.verify_chart.outputs = ({"output_type": "display_data", "data": _figure_bundle(fig), "metadata": {}},)

    # -- view state ---------------------------------------------------------------

    def _export(self, suffix: str) -> Path | None:
        from ..export import report_name, save_report
        from ..review.render import reviews_markdown

        if self.review is None:
            return None
        self.error.value = ""
        review = self.review
        try:
            chosen = review.subset(self.viewer.chosen)  # what Apply would write, nothing else
            markdown = reviews_markdown([chosen])
            path = save_report(markdown, self.out_dir / report_name(review.operation_id, suffix),
                               overwrite=self.overwrite.value, title=f"Code review: {review.operation_id}")
        except Exception as exc:
            self._fail("Export failed", exc)
            return None
        self.last_export = path
        self._show_link(path)
        return path

    def _show_link(self, path: Path) -> None:
        """Say where the file went, with a link: a FileLink in Lab, a download link in Voilà."""
        shown = html.escape(str(path.resolve()))
        self.link.outputs = ()  # (clear_output() needs a kernel; the trait does not)
        if in_voila():
            self.output.value = f"<p>Wrote <code>{shown}</code>: {download_link(path)}</p>"
            return
        self.output.value = f"<p>Wrote <code>{shown}</code></p>"
        link = file_link(path)
        if link is not None:
            self.link.append_display_data(link)
        else:  # outside the notebook's folder, where Lab cannot open it: the file itself
            self.output.value = f"<p>Wrote <code>{shown}</code>: {download_link(path)}</p>"

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
        self.verify_button.disabled = (self.review is None or self.scenarios is None or self.app is None
                                       or self._verifying())

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

    def _on_progress(self, event) -> None:
        """A :class:`~fault_nb.review.model.ReviewProgress` from ``review_endpoint`` or ``review_all``."""
        self.progress.max = max(1, event.total)
        self.progress.value = min(event.done, self.progress.max)
        self.status.value = note(event.message)

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
