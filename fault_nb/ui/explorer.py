"""ResultsExplorer: the runs of a Results, filterable, with fault_nb.plots charts."""
from __future__ import annotations

import html
from typing import Any, Callable, Sequence

from ..results.frames import fault_types_present, filter_runs  # noqa: F401  (filter_runs: re-exported)
from ..results.stats import summarize_runs
from ._common import error_box, widgets_module, with_fallback
from .picker import endpoint_options

_w = widgets_module()

ALL = "__all__"
TABLE_COLUMNS = ("scenario_title", "operation_id", "method", "url", "strategy_mode", "fault_label",
                 "status", "total_time_ms", "ttfb_ms", "failed", "errored", "timed_out", "decision")


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


class ResultsExplorer(_w.VBox):
    """Runs table + charts of one Results, filtered by scenario, endpoint and fault type.

    The filters are stock widgets (``scenario``, ``endpoint``, ``faults``);
    ``frame`` is the filtered runs frame the table and charts show.

    >>> explorer = ResultsExplorer(results)  # doctest: +SKIP
    >>> explorer.endpoint.value = "index__get"  # doctest: +SKIP
    >>> len(explorer.frame)  # doctest: +SKIP
    """

    def __init__(self, results, *, charts: Sequence[Callable] | None = None, max_rows: int = 200, **kwargs):
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
        kinds = fault_types_present(runs)
        self.faults = _w.SelectMultiple(options=kinds, value=(), description="Faults", rows=min(6, max(2, len(kinds))),
                                        layout=_w.Layout(width="18em"))
        self.summary = _w.HTML()
        self.table = _w.HTML(layout=_w.Layout(max_height="24em", overflow="auto"))
        self.figures: list = []
        self.chart_outputs: list = []
        self.chart_box = _w.VBox()
        self.message = _w.HTML()
        self.frame = runs
        for control in (self.scenario, self.endpoint, self.faults):
            control.observe(self._refresh, names="value")
        filters = _w.HBox([_w.VBox([self.scenario, self.endpoint]), self.faults],
                          layout=_w.Layout(flex_flow="row wrap"))
        super().__init__([filters, self.summary, self.message, self.table, self.chart_box], **kwargs)
        self.add_class("fnb-results-explorer")
        self._refresh()

    @property
    def filters(self) -> dict[str, Any]:
        return {
            "scenario": None if self.scenario.value == -1 else self.scenario.value,
            "operation_id": None if self.endpoint.value == ALL else self.endpoint.value,
            "fault_types": tuple(self.faults.value),
        }

    def _refresh(self, _change=None) -> None:
        self.frame = filter_runs(self.runs, **self.filters)
        self.summary.value = self._summary_html()
        shown = [c for c in TABLE_COLUMNS if c in self.frame.columns]
        table = self.frame[shown].head(self.max_rows).copy()
        more = len(self.frame) - len(table)
        self.table.value = table.to_html(index=False, escape=True, na_rep="", border=0, float_format="{:.1f}".format,
                                         classes="fnb-runs jp-RenderedHTMLCommon") + (
            f"<p>… {more} more rows (use <code>explorer.frame</code>)</p>" if more > 0 else "")
        self._draw_charts()

    def _summary_html(self) -> str:
        f = self.frame
        n = len(f)
        if not len(self.runs):
            raw = getattr(self.results, "raw", None) or {}
            scenarios = raw.get("results") or []
            items = sum(len(r.get("results") or []) for r in scenarios if isinstance(r, dict))
            return ("<p><strong>No request matches these filters</strong>: these results hold no requests "
                    f"({len(scenarios)} scenario(s), {items} item(s), none sent a request), "
                    "so there is nothing to chart.</p>")
        if not n:
            return ("<p><strong>No request matches these filters.</strong> An endpoint listed with no request "
                    "here had its scenario items run zero requests.</p>")
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
            self.chart_outputs = [_w.Output() for _ in figures]
            self.chart_box.children = self.chart_outputs
        for out, fig in zip(self.chart_outputs, figures):
            out.outputs = ({"output_type": "display_data", "data": _figure_bundle(fig), "metadata": {}},)
        if not figures:
            self.chart_outputs = []
            self.chart_box.children = ()

    def to_text(self) -> str:
        return f"ResultsExplorer: {len(self.frame)} of {len(self.runs)} requests ({self.results!r})"

    def _repr_mimebundle_(self, **kwargs):
        return with_fallback(super()._repr_mimebundle_(**kwargs), self.to_text(),
                             self.summary.value + self.table.value)
