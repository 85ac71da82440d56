"""The review dashboard: one screen with the run's results, the endpoint picker, the review
panel and the charts (what ``voila notebooks/dashboard.ipynb`` opens on).

The layout is an ipywidgets ``AppLayout``: a header with the run's name and a
progress bar that says what is being done, the :class:`ReviewPanel` on the left and
the :class:`ResultsExplorer` (summary, filters, charts, table) in the centre. The
slow work (indexing the source, reviewing every endpoint) runs in a background
thread, so the page shows at once and its progress reads "Reviewing
create_user_users__post (2 of 3)" instead of a spinner.

>>> dash = Dashboard(results, source_dir="app/", out_dir="out/dashboard")  # doctest: +SKIP
>>> dash.start(); dash  # doctest: +SKIP
"""
from __future__ import annotations

import html
import os
import threading
from pathlib import Path
from typing import Any

from ._common import error_box, widgets_module, with_fallback

_w = widgets_module()

_CSS = """<style class="fnb-dashboard-theme">
.fnb-dashboard { color: var(--jp-ui-font-color1, #222); }
.fnb-dashboard .fnb-dash-title { font-size: 1.35em; font-weight: 600; margin: 0 0 2px; }
.fnb-dashboard .fnb-dash-sub { color: var(--jp-ui-font-color2, #555); }
.fnb-dashboard .fnb-dash-step { color: var(--jp-ui-font-color1, #222); font-variant-numeric: tabular-nums; }
.fnb-dashboard .fnb-review-panel { padding-right: 12px; border-right: 1px solid var(--jp-border-color2, #e0e0e0); }
</style>"""

#: the steps of :meth:`Dashboard.load`, in order (for the progress bar)
STEPS = ("results", "index", "review", "views")


class _AppLayout(_w.AppLayout):
    """``AppLayout`` that also takes CSS grid sizes (``auto``, ``minmax(28em, 42%)``)."""

    def _size_to_css(self, size):
        if isinstance(size, str) and (size == "auto" or size.startswith(("minmax(", "min(", "max("))):
            return size
        return super()._size_to_css(size)


class Dashboard(_w.VBox):
    """Results, picker, review panel and charts on one screen, built in the background.

    ``results`` is a :class:`~fault_nb.results.Results` (or a path to fault's
    results file), ``source_dir`` the app's source (reviews read it; *Apply*
    writes to it, so pass a copy), ``out_dir`` where exports go. ``llm=None`` uses
    the offline rules reviewer. Call :meth:`start` (background) or :meth:`load`
    (blocking); :attr:`ready` is set when everything is on screen, :attr:`error`
    holds what went wrong (also shown in the page, never a traceback).
    """

    def __init__(self, results: Any, source_dir: str | os.PathLike, *, out_dir: str | os.PathLike = "out",
                 llm: Any = None, lang: str = "python", title: str | None = None, **kwargs):
        self.results_arg = results
        self.source_dir = Path(source_dir)
        self.out_dir = Path(out_dir)
        self.llm = llm
        self.lang = lang
        self.results = None
        self.index = None
        self.reviews: list = []
        self.explorer = None
        self.panel = None
        self.error: str | None = None
        self.ready = threading.Event()
        self._thread: threading.Thread | None = None
        name = title or (Path(str(results)).name if isinstance(results, (str, os.PathLike)) else "fault run")
        self.title = _w.HTML(f"<div class='fnb-dash-title'>Resilience review · {html.escape(name)}</div>"
                             f"<div class='fnb-dash-sub'>source: <code>{html.escape(str(self.source_dir))}</code>"
                             f" · exports: <code>{html.escape(str(self.out_dir))}</code></div>")
        self.progress = _w.IntProgress(value=0, min=0, max=len(STEPS), description="",
                                       layout=_w.Layout(width="18em"))
        self.step = _w.HTML("<span class='fnb-dash-step'>Waiting to start …</span>")
        self.step.add_class("fnb-dash-progress")
        self.problem = _w.HTML()
        status = _w.HBox([self.progress, self.step], layout=_w.Layout(align_items="center", flex_flow="row wrap"))
        header = _w.VBox([_w.HTML(_CSS, layout=_w.Layout(display="none")), self.title, status, self.problem])
        self.placeholder = _w.HTML("<p class='fnb-dash-sub'>The review panel and the charts appear here "
                                   "as soon as the results are loaded and the source is indexed.</p>")
        self.layout_widget = _AppLayout(header=header, left_sidebar=None, center=self.placeholder,
                                          right_sidebar=None, footer=None, pane_heights=["auto", "auto", "0px"],
                                          height="auto", grid_gap="8px")
        super().__init__([self.layout_widget], **kwargs)
        self.add_class("fnb-dashboard")

    # -- work ---------------------------------------------------------------------

    def _say(self, done: int, text: str) -> None:
        self.progress.value = min(done, self.progress.max)
        self.step.value = f"<span class='fnb-dash-step'>{html.escape(text)}</span>"

    def load(self) -> "Dashboard":
        """Load the results, index the source, review every endpoint and show it all (blocking)."""
        try:
            self._load()
        except Exception as exc:  # shown in the page; the traceback goes to the log
            from ..errors import FaultNbError

            if not isinstance(exc, FaultNbError):
                import logging

                logging.getLogger(__name__).exception("dashboard failed")
            self.error = str(exc) or type(exc).__name__
            self.progress.bar_style = "danger"
            self.problem.value = error_box(self.error, "The dashboard could not load")
            self.step.value = "<span class='fnb-dash-step'>Stopped.</span>"
        finally:
            self.ready.set()
        return self

    def _load(self) -> None:
        import fault_nb

        from ..review.code_review import make_reviewer
        from ..review.model import ReviewProgress
        from .explorer import ResultsExplorer
        from .panel import ReviewPanel

        self._say(0, "Loading the results …")
        results = self.results_arg
        if isinstance(results, (str, os.PathLike)):
            results = fault_nb.load_results(results)
        self.results = results
        n_req = len(results.runs)
        self._say(1, f"Loaded {n_req} requests of {len(results.operation_ids)} endpoints. "
                     f"Indexing the source of {self.source_dir.name} (tree-sitter, embedded qdrant) …")
        self.index = fault_nb.index_source(self.source_dir, self.lang, endpoints=results, progress=False)
        stats = getattr(self.index, "stats", {}) or {}
        ids = list(results.operation_ids)

        def on_review(event: ReviewProgress) -> None:
            self._say(2, f"Reviewed {event.done} of {event.total} endpoints (last: {event.operation_id}) …")

        self._say(2, f"Indexed {stats.get('chunks', '?')} chunks of {stats.get('files_indexed', '?')} files. "
                     f"Reviewing {len(ids)} endpoints with the {make_reviewer(self.llm).label} …")
        self.reviews = fault_nb.review_all(results, self.index, llm=self.llm, progress=False,
                                           on_progress=on_review) if ids else []
        self._say(3, "Drawing the review panel and the charts …")
        self.panel = ReviewPanel(results, self.index, llm=self.llm, out_dir=self.out_dir, reviews=self.reviews,
                                 source_dir=self.source_dir)
        self.explorer = ResultsExplorer(results, charts_first=True)  # on the dashboard, above the long table
        self.panel.layout.width = "100%"
        self.layout_widget.left_sidebar = self.panel
        self.layout_widget.center = self.explorer
        self.layout_widget.pane_widths = ["minmax(28em, 42%)", "1fr", "0px"]
        found = sum(len(getattr(r, "suggestions", []) or []) for r in self.reviews)
        self._say(len(STEPS), f"Ready: {n_req} requests, {len(ids)} endpoints reviewed, {found} suggestion(s).")
        self.progress.bar_style = "success"

    def start(self) -> "Dashboard":
        """Run :meth:`load` in a background thread (the page shows at once, with its progress)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.load, name="fault-nb-dashboard", daemon=True)
            self._thread.start()
        return self

    def wait(self, timeout: float = 300.0) -> bool:
        """Block until :meth:`load` finished (or ``timeout`` seconds); True when it did."""
        return self.ready.wait(timeout)

    @classmethod
    def demo(cls, *, out_dir: str | os.PathLike | None = None, start: bool = True,
             copy_to: str | os.PathLike | None = None) -> "Dashboard":
        """The dashboard of the shipped seed run: fault's results for the *Code Review* guide's app,
        reviewed against a working copy of that app (``copy_to``, a temporary folder by default)."""
        import atexit
        import shutil
        import tempfile

        from ..demo import find_shared
        from ..verify.scratch import copy_tree

        shared = find_shared()
        work = Path(copy_to) if copy_to is not None else Path(tempfile.mkdtemp(prefix="fault-nb-dashboard-"))
        if copy_to is None:
            atexit.register(shutil.rmtree, work, ignore_errors=True)
        app = work / "webapp"
        if not app.exists():
            copy_tree(shared / "apps" / "webapp", app)  # no caches or VCS folders of the sample come along
        out = Path(out_dir) if out_dir is not None else Path(os.environ.get("FAULT_NB_OUT") or "out") / "dashboard"
        from .._defaults import defaults

        dash = cls(shared / "fixtures" / "results" / "seed_app.results.json", app, out_dir=out,
                   llm=defaults().llm, title="seed app (fault's Code Review guide)")
        return dash.start() if start else dash

    def to_text(self) -> str:
        state = "ready" if self.ready.is_set() and not self.error else (self.error or "loading")
        return f"Dashboard: {state}"

    def _repr_mimebundle_(self, **kwargs):
        static = self.title.value + (self.panel._repr_mimebundle_().get("text/html", "") if self.panel else "")
        return with_fallback(super()._repr_mimebundle_(**kwargs), self.to_text(), static)


