"""ResultsExplorer: the runs of a Results in a sortable, searchable table, with fault_nb.plots charts.

The table is `itables <https://mwouts.github.io/itables/>`_' ``ITable`` widget
(DataTables, bundled: no CDN). Only the display is formatted (human headers, one
decimal, ``latency + packetloss``, yes/no); :attr:`ResultsExplorer.frame` keeps the
analysis dtypes of ``Results.runs``.
"""
from __future__ import annotations

import html
from typing import Any, Callable, Sequence

from ..errors import require
from ..results.frames import COLUMN_TITLES, fault_types_present, filter_runs  # noqa: F401  (filter_runs: re-exported)
from ..results.stats import summarize_runs
from ._common import error_box, widgets_module, with_fallback
from .picker import endpoint_options

_w = widgets_module()
import traitlets as _t  # noqa: E402  (an ipywidgets dependency)

ALL = "__all__"
#: the runs columns the table shows, in order, with their headers (the titles the charts use)
TABLE_COLUMNS = {c: COLUMN_TITLES[c] for c in (
    "scenario_title", "endpoint_key", "method", "url", "strategy_mode", "fault_label", "status", "total_time_ms",
    "ttfb_ms", "failed", "http_5xx", "errored", "timed_out", "decision")}
PAGE_LENGTH = 15
#: the ITable options (DataTables: paged, searchable, sortable by a click on any header, scrolls sideways)
TABLE_OPTIONS: dict = {
    "classes": "display nowrap compact fnb-runs", "scrollX": True, "pageLength": PAGE_LENGTH,
    "lengthMenu": [10, 15, 25, 50, 100], "maxBytes": 0, "showIndex": False,
    "text_in_header_can_be_selected": False,  # a click anywhere on a header sorts by it
    # not itables' default layout object, which it strips down to the bare table when the rows fit one
    # page: the search box and the row count stay where the user left them
    "layout": {"topStart": ["pageLength"], "topEnd": ["search"], "bottomStart": ["info"], "bottomEnd": ["paging"]},
    "language": {"search": "Search the table:", "emptyTable": "No request matches these filters."},
    "style": "width:100%;margin:0;caption-side:bottom",
}

# the table and the filters follow JupyterLab's light/dark theme
_EXPLORER_CSS = """<style class="fnb-explorer-theme">
.fnb-results-explorer .dt-container, .fnb-results-explorer table.dataTable {
  color: var(--jp-ui-font-color1, #222); font-size: var(--jp-ui-font-size1, 13px); }
.fnb-results-explorer table.dataTable thead th { white-space: nowrap; }
/* the table widget is a flex item: without min-width 0 it grows to the table's natural width and the
   search box and pager land off to the right; this way only the rows scroll sideways */
.fnb-results-explorer .fnb-table-box > * { min-width: 0; flex: 1 1 100%; max-width: 100%; }
.fnb-results-explorer .dt-container { max-width: 100%; }
.fnb-results-explorer table.dataTable td.dt-type-numeric, .fnb-results-explorer table.dataTable th.dt-type-numeric {
  font-variant-numeric: tabular-nums; }
.fnb-results-explorer table.dataTable tbody tr:hover { background: var(--jp-layout-color2, #eee); }
.fnb-results-explorer .dt-container .dt-input, .fnb-results-explorer .dt-container select {
  color: var(--jp-ui-font-color1, #222); background: var(--jp-layout-color1, #fff);
  border: 1px solid var(--jp-border-color1, #bbb); }
.fnb-results-explorer .dt-paging .dt-paging-button { color: var(--jp-ui-font-color1, #222) !important; }
.fnb-results-explorer .fnb-faults .widget-checkbox { width: auto; margin-right: 1em; }
.fnb-results-explorer .fnb-faults .widget-checkbox label { white-space: nowrap; }
.fnb-results-explorer .fnb-empty { padding: 8px 12px; border: 1px dashed var(--jp-border-color1, #bbb);
  border-radius: 4px; color: var(--jp-ui-font-color1, #222); }
</style>"""


def _figure_bundle(fig) -> dict:
    import plotly.io as pio

    return pio.renderers["plotly_mimetype"].to_mimebundle(fig.to_dict())


def default_charts(results=None) -> list[Callable]:
    """The chart functions the explorer shows: runs frame in, ``go.Figure`` out.

    >>> [f(results.runs) for f in default_charts(results)]  # doctest: +SKIP
    """
    from functools import partial

    from .. import plots

    return [plots.latency_percentiles, partial(plots.latency_timeline, results=results), plots.error_rates]


def display_frame(frame):
    """The table's copy of a runs frame: human headers, numbers to one decimal, yes/no, fault labels.

    Sorting still works on the numbers (they stay numeric, rounded); the analysis
    frame itself is not touched.

    >>> display_frame(results.runs).columns[:3].tolist()  # doctest: +SKIP
    ['Scenario', 'Endpoint', 'Method']
    """
    import pandas as pd

    shown = [c for c in TABLE_COLUMNS if c in frame.columns]
    out = pd.DataFrame(index=range(len(frame)))
    for col in shown:
        values = frame[col].reset_index(drop=True)
        if col == "status":
            values = values.map(lambda v: "" if _missing(v) else str(int(v))).astype(object)
        elif values.dtype == bool or col in ("failed", "http_5xx", "errored", "timed_out"):
            values = values.map(lambda v: "no" if _missing(v) or not bool(v) else "yes").astype(object)
        elif values.dtype.kind == "f":
            values = values.round(1)
        else:
            values = values.map(lambda v: "" if _missing(v) else str(v)).astype(object)
        out[TABLE_COLUMNS[col]] = values
    return out


def _missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a tuple or list: not a missing scalar
        return False


class FaultChoices(_w.HBox):
    """One checkbox per fault type; ``value`` is the tuple of ticked types (like ``SelectMultiple``)."""

    value = _t.Tuple()

    def __init__(self, kinds: Sequence[str], **kwargs):
        self.boxes = [_w.Checkbox(value=False, description=k, indent=False,
                                  layout=_w.Layout(width="auto")) for k in kinds]
        label = _w.HTML("<span title='rows with any of the ticked faults'>Faults (any of):</span>",
                        layout=_w.Layout(margin="0 0.6em 0 0"))
        super().__init__([label, *self.boxes] if kinds else [label, _w.HTML("<em>none injected</em>")],
                         layout=_w.Layout(flex_flow="row wrap", align_items="center"), **kwargs)
        self.add_class("fnb-faults")
        self._syncing = False
        for box in self.boxes:
            box.observe(self._from_boxes, names="value")

    @property
    def options(self) -> tuple[str, ...]:
        return tuple(b.description for b in self.boxes)

    def _from_boxes(self, _change=None) -> None:
        if not self._syncing:
            self.value = tuple(b.description for b in self.boxes if b.value)

    @_t.observe("value")
    def _to_boxes(self, change) -> None:
        wanted = set(change["new"])
        unknown = wanted - set(self.options)
        if unknown:
            raise _t.TraitError(f"unknown fault type(s) {sorted(unknown)}; known: {list(self.options)}")
        self._syncing = True
        try:
            for box in self.boxes:
                box.value = box.description in wanted
        finally:
            self._syncing = False


class ResultsExplorer(_w.VBox):
    """Runs table + charts of one Results, filtered by scenario, endpoint and fault type.

    The filters are widgets (``scenario``, ``endpoint``, ``faults``: checkboxes,
    ``reset``); the table (``table``, an itables ``ITable``) sorts, searches and
    pages through every column; ``frame`` is the filtered runs frame the table and
    charts show, with the runs' own dtypes. ``charts_first`` puts the charts above the table
    (the dashboard does).

    >>> explorer = ResultsExplorer(results)  # doctest: +SKIP
    >>> explorer.endpoint.value = "index__get"  # doctest: +SKIP
    >>> len(explorer.frame)  # doctest: +SKIP
    """

    def __init__(self, results, *, charts: Sequence[Callable] | None = None, max_rows: int = 5000,
                 charts_first: bool = False, **kwargs):
        itables_widget = require("itables.widget", "notebook")
        self.results = results
        self.max_rows = max_rows
        self.runs = results.runs
        self.charts = list(charts) if charts is not None else default_charts(results)
        runs = self.runs
        titles = (runs[["scenario_idx", "scenario_title"]].drop_duplicates().sort_values("scenario_idx")
                  if len(runs) else [])
        scen_opts = [("All scenarios", -1)] + [
            (f"{int(i) + 1}. {title}", int(i)) for i, title in
            (titles.itertuples(index=False) if len(runs) else [])]
        self.scenario = _w.Dropdown(options=scen_opts, value=-1, description="Scenario",
                                    layout=_w.Layout(width="min(100%, 34em)"))
        self.endpoint = _w.Dropdown(options=[("All endpoints", ALL)] + endpoint_options(results), value=ALL,
                                    description="Endpoint", layout=_w.Layout(width="min(100%, 46em)"))
        self.faults = FaultChoices(fault_types_present(runs))
        self.reset = _w.Button(description="Reset filters", icon="undo", tooltip="Show every request again",
                               layout=_w.Layout(width="auto"))
        self.reset.add_class("fnb-reset")
        self.reset.on_click(lambda _b: self.reset_filters())
        self.summary = _w.HTML()
        self._itables = itables_widget
        self.table = None  # the ITable of the current selection (made by _refresh)
        self.table_box = _w.Box([], layout=_w.Layout(width="100%", overflow="auto"))
        self.table_box.add_class("fnb-table-box")
        self.figures: list = []
        self.chart_outputs: list = []
        self.chart_box = _w.VBox(layout=_w.Layout(width="100%"))
        self.message = _w.HTML()
        self.frame = runs
        self._busy = False
        for control in (self.scenario, self.endpoint, self.faults):
            control.observe(self._refresh, names="value")
        filters = _w.HBox([self.scenario, self.endpoint], layout=_w.Layout(flex_flow="row wrap"))
        fault_row = _w.HBox([self.faults, self.reset], layout=_w.Layout(flex_flow="row wrap", align_items="center"))
        from .. import plots

        style = _w.HTML(_EXPLORER_CSS + plots.theme_css(), layout=_w.Layout(display="none"))
        views = [self.chart_box, self.table_box] if charts_first else [self.table_box, self.chart_box]
        super().__init__([style, filters, fault_row, self.summary, self.message, *views], **kwargs)
        self.add_class("fnb-results-explorer")
        self._refresh()

    @property
    def filters(self) -> dict[str, Any]:
        return {
            "scenario": None if self.scenario.value == -1 else self.scenario.value,
            "operation_id": None if self.endpoint.value == ALL else self.endpoint.value,
            "fault_types": tuple(self.faults.value),
        }

    def reset_filters(self) -> None:
        """All scenarios, all endpoints, no fault filter (one refresh)."""
        self._busy = True
        try:
            self.scenario.value, self.endpoint.value, self.faults.value = -1, ALL, ()
        finally:
            self._busy = False
        self._refresh()

    def _refresh(self, _change=None) -> None:
        if self._busy:
            return
        self.frame = filter_runs(self.runs, **self.filters)
        self.summary.value = self._summary_html()
        shown = self.frame.head(self.max_rows)
        caption = (f"The first {self.max_rows} of {len(self.frame)} requests (all of them: explorer.frame)"
                   if len(self.frame) > self.max_rows else "")
        # a new table per selection: ITable.update re-creates the DataTable on the old element and
        # loses its controls (search, paging, info) when the table scrolls sideways
        old, self.table = self.table, self._itables.ITable(display_frame(shown), caption=caption, **TABLE_OPTIONS)
        self.table_box.children = [self.table]
        if old is not None:
            old.close()
        self.table_box.layout.display = "" if len(self.frame) else "none"
        self._draw_charts()

    def _empty_hint(self) -> str:
        """What to change so that requests show again: each filter that alone empties the view."""
        filters = self.filters
        names = {"scenario": "the scenario (All scenarios)", "operation_id": "the endpoint (All endpoints)",
                 "fault_types": "the fault boxes"}
        hints = []
        for key in ("fault_types", "operation_id", "scenario"):
            if filters[key] is None or filters[key] == ():  # not filtering (scenario 0 is a filter)
                continue
            relaxed = dict(filters, **{key: () if key == "fault_types" else None})
            n = len(filter_runs(self.runs, **relaxed))
            if n:
                hints.append(f"clear {names[key]} to see {n} request(s)")
        if not hints:
            return "Press <em>Reset filters</em> to see all requests."
        return "Try: " + "; or ".join(hints) + ", or press <em>Reset filters</em>."

    def _summary_html(self) -> str:
        f = self.frame
        n = len(f)
        if not len(self.runs):
            raw = getattr(self.results, "raw", None) or {}
            scenarios = raw.get("results") or []
            items = sum(len(r.get("results") or []) for r in scenarios if isinstance(r, dict))
            return ("<div class='fnb-empty'><strong>No request matches these filters</strong>: these results "
                    f"hold no requests ({len(scenarios)} scenario(s), {items} item(s), none sent a request), "
                    "so there is nothing to chart.</div>")
        if not n:
            return ("<div class='fnb-empty'><strong>No request matches these filters.</strong> "
                    f"{self._empty_hint()}</div>")
        s = summarize_runs(f)  # the numbers are the core's; this only lays them out
        timing = (f", total time p50 {s.p50_ms:.1f} ms, p95 {s.p95_ms:.1f} ms, max {s.max_ms:.1f} ms (R-6)"
                  if s.p50_ms == s.p50_ms else "")
        return (f"<p><strong>{n}</strong> of {len(self.runs)} requests, "
                f"<strong>{s.failed}</strong> failed ({s.failure_rate:.0%}): {s.http_5xx} HTTP 5xx, "
                f"{s.transport_errors} transport errors, {s.timed_out} timed out, "
                f"{s.expectation_failed} missed their expectation{html.escape(timing)}</p>")

    def _draw_charts(self) -> None:
        figures = []
        problems = []
        if len(self.frame):
            for chart in self.charts:
                try:
                    figures.append(chart(self.frame))
                except Exception as exc:  # one bad chart must not take the explorer down
                    name = getattr(chart, "__name__", None) or getattr(getattr(chart, "func", None), "__name__", "chart")
                    problems.append(f"{name}: {exc}")
        self.message.value = error_box("; ".join(problems), "Chart failed") if problems else ""
        self.figures = figures
        # plotly's mime bundle in an Output widget, not a FigureWidget: a FigureWidget
        # carries the whole plotly.js bundle in its saved state (~5 MB per chart)
        if len(self.chart_outputs) != len(figures):
            self.chart_outputs = [_w.Output(layout=_w.Layout(width="100%")) for _ in figures]
            self.chart_box.children = self.chart_outputs
        for out, fig in zip(self.chart_outputs, figures):
            out.outputs = ({"output_type": "display_data", "data": _figure_bundle(fig), "metadata": {}},)
        if not figures:
            self.chart_outputs = []
            self.chart_box.children = ()

    def static_html(self, rows: int = 50) -> str:
        """The summary and the first ``rows`` rows as escaped HTML (saved notebooks, nbviewer)."""
        table = display_frame(self.frame.head(rows)).to_html(index=False, escape=True, border=0,
                                                             classes="fnb-runs jp-RenderedHTMLCommon")
        more = len(self.frame) - rows
        return self.summary.value + table + (f"<p>… {more} more rows</p>" if more > 0 else "")

    def to_text(self) -> str:
        return f"ResultsExplorer: {len(self.frame)} of {len(self.runs)} requests ({self.results!r})"

    def _repr_mimebundle_(self, **kwargs):
        return with_fallback(super()._repr_mimebundle_(**kwargs), self.to_text(), self.static_html())
