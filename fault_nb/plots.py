"""plotly figures for fault results, plotly-express style: frame first, ``go.Figure`` out.

Nothing here displays a figure; the notebook decides how to show it.
Percentiles use fault's R-6 rule so the bars match the report's numbers.

Every figure is laid out to be read: categories on the vertical axis (horizontal
bars, one facet per endpoint) instead of rotated tick labels, axis titles in words
with their unit, a fixed height that fits the content (JupyterLab draws the live
chart at that height from the first render), and transparent backgrounds with
neutral grid colours; :func:`theme_css` makes the text follow JupyterLab's light or
dark theme.

>>> from fault_nb import load_results
>>> from fault_nb import plots
>>> results = load_results("results.json")  # doctest: +SKIP
>>> plots.latency_percentiles(results.runs)  # doctest: +SKIP
"""
from __future__ import annotations

import math
import os
import threading
import time
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .errors import ColumnError
from .results.frames import COLUMN_TITLES

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import plotly.graph_objects as go

__all__ = ["axis_title", "compare", "error_rates", "latency_percentiles", "latency_timeline", "slo_margins",
           "theme_css", "use_static_images"]

_PASS, _FAIL = "#2a9d8f", "#e63946"
_PCT_COLORS = {50: "#457b9d", 95: "#f4a261", 99: "#e76f51"}
# fault windows: one colour per fault label, the same in every chart (translucent: the points stay visible)
_WINDOW_COLORS = ["rgba(230,57,70,0.16)", "rgba(244,162,97,0.20)", "rgba(69,123,157,0.18)",
                  "rgba(42,157,143,0.18)", "rgba(131,56,236,0.14)", "rgba(255,190,11,0.20)",
                  "rgba(58,134,255,0.14)", "rgba(128,128,128,0.20)"]
# readable on white and on JupyterLab's dark background when no theme CSS is around (a saved notebook)
_NEUTRAL_TEXT = "#7a7a7a"
_ENDPOINT_COLORS = ["#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880"]
_GRID = "rgba(128,128,128,0.28)"
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"

#: human axis titles of the runs frame's columns (with their unit); one home: results.frames
AXIS_TITLES = COLUMN_TITLES


def axis_title(column: str) -> str:
    """A column name as an axis title: words, and the unit in brackets.

    >>> axis_title("total_time_ms"), axis_title("queue_wait_ms"), axis_title("inventory")
    ('Total time (ms)', 'Queue wait (ms)', 'Inventory')
    """
    if column in AXIS_TITLES:
        return AXIS_TITLES[column]
    words, unit = str(column), ""
    for suffix, name in (("_ms", "ms"), ("_s", "s"), ("_pct", "%"), ("_bytes", "bytes")):
        if words.endswith(suffix):
            words, unit = words[: -len(suffix)], name
            break
    words = words.replace("_", " ").strip().capitalize() or str(column)
    return f"{words} ({unit})" if unit else words


def theme_css() -> str:
    """A ``<style>`` that makes plotly charts follow JupyterLab's (and Voilà's) theme.

    The figures have transparent backgrounds; this paints their text, grid and
    legend with JupyterLab's ``--jp-*`` colours, so a dark theme gives light text.
    Outside JupyterLab (nbviewer, a PNG) the neutral grey of the figure stays.

    >>> "--jp-ui-font-color1" in theme_css()
    True
    """
    return """<style class="fnb-plotly-theme">
.js-plotly-plot .main-svg text:not(.bartext):not(.hoverlayer text) {
  fill: var(--jp-ui-font-color1, #222) !important; }
.js-plotly-plot .main-svg .xtick text, .js-plotly-plot .main-svg .ytick text,
.js-plotly-plot .main-svg .xtick2 text, .js-plotly-plot .main-svg .ytick2 text,
.js-plotly-plot .main-svg .multicategory text { fill: var(--jp-ui-font-color1, #333) !important; opacity: 0.85; }
.js-plotly-plot .main-svg .gridlayer path { stroke: var(--jp-border-color2, #e0e0e0) !important; }
.js-plotly-plot .main-svg .legend .bg { fill: transparent !important; }
.js-plotly-plot .modebar-btn path { fill: var(--jp-ui-font-color2, #555) !important; }
</style>"""


def _style(fig: "go.Figure", *, height: int, legend_title: str | None = None, top_legend: bool = False) -> "go.Figure":
    """The shared look: transparent, neutral colours, a height that fits, a legend that is not clipped."""
    legend: dict[str, Any] = {"bgcolor": "rgba(0,0,0,0)", "title": {"text": legend_title or ""}}
    if top_legend:  # a short legend: one row above the plot, right-aligned (titles sit on the left)
        legend.update(orientation="h", x=1, xanchor="right", y=1.0, yanchor="bottom")
    fig.update_layout(
        height=int(height), autosize=True, paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        font={"family": _FONT, "color": _NEUTRAL_TEXT, "size": 12}, legend=legend,
        margin={"l": 10, "r": 10, "t": 90 if top_legend else 60, "b": 50}, title_x=0, title_xanchor="left",
        hoverlabel={"namelength": -1},
    )
    fig.update_xaxes(gridcolor=_GRID, zerolinecolor=_GRID, linecolor=_GRID, automargin=True)
    fig.update_yaxes(gridcolor=_GRID, zerolinecolor=_GRID, linecolor=_GRID, automargin=True)
    return fig


def _wrap(text: str, width: int = 32) -> str:
    """Break a long category label over lines (``<br>``) so it does not eat the plot's width."""
    import textwrap

    lines = textwrap.wrap(str(text), width=width, break_long_words=True) or [str(text)]
    return "<br>".join(lines)


def _check(df: "pd.DataFrame", **columns: Any) -> None:
    valid = list(df.columns)
    for arg, name in columns.items():
        if name is None:
            continue
        for one in (name if isinstance(name, (list, tuple)) else [name]):
            if one not in df.columns:
                raise ColumnError(arg, one, valid)


def _fault_key(values: Iterable) -> list[str]:
    """The fault label of each value of a ``group`` column (tuples of fault types become ``fault_label``'s form)."""
    from .results.frames import NO_FAULT, fault_label

    out = []
    for v in values:
        if isinstance(v, (tuple, list)):
            out.append(fault_label(v))
        elif v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(NO_FAULT)
        else:
            out.append(str(v))
    return out


def latency_percentiles(runs: "pd.DataFrame", *, x: str | None = None, y: str = "total_time_ms",
                        group: str | None = "fault_label", percentiles: Sequence[float] = (50, 95, 99),
                        title: str | None = "Latency percentiles per endpoint and fault") -> "go.Figure":
    """Horizontal bars of p50/p95/p99 latency, one facet per endpoint, one bar group per fault.

    ``x`` names the facets (default: the ``endpoint_key`` column, the operationId or
    ``METHOD url``); ``group`` the bar groups inside a facet (``fault_label``: the
    faults in force, a dependency's included; ``None`` for one group). Rows without
    metrics are skipped. The latency runs along the horizontal axis, the labels are
    read horizontally, and the figure grows with the number of groups.

    >>> fig = latency_percentiles(results.runs)  # doctest: +SKIP
    >>> [t.name for t in fig.data[:3]]  # doctest: +SKIP
    ['p50', 'p95', 'p99']
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from .results.report import percentile

    _check(runs, x=x or "endpoint_key", y=y, group=group)
    df = runs[runs[y].notna()]
    keys = df[x or "endpoint_key"].astype(str)
    groups = _fault_key(df[group]) if group is not None else ["all requests"] * len(df)
    buckets: dict[str, dict[str, list[float]]] = {}
    for k, g, v in zip(keys, groups, df[y].to_numpy()):
        buckets.setdefault(k, {}).setdefault(g, []).append(float(v))
    facets = list(buckets) or [""]
    sizes = [max(1, len(buckets.get(f, {}))) for f in facets]
    bar_px = 9 * max(1, len(percentiles)) + 10  # one group of bars
    title_px = 26  # a facet's title above it
    plot_px = sum(s * bar_px + title_px for s in sizes)
    fig = make_subplots(rows=len(facets), cols=1, shared_xaxes=True, row_heights=[s * bar_px + title_px for s in sizes],
                        vertical_spacing=min(0.08, 30.0 / max(plot_px, 1)),
                        subplot_titles=[f"<b>{f}</b>" for f in facets])
    unit = axis_title(y)
    for p in percentiles:
        name = f"p{p:g}"
        for row, facet in enumerate(facets, start=1):
            part = buckets.get(facet, {})
            labels = list(part)
            fig.add_trace(go.Bar(
                name=name, legendgroup=name, showlegend=row == 1, orientation="h",
                y=labels, x=[percentile(part[g], float(p)) for g in labels],
                customdata=[[len(part[g]), facet] for g in labels],
                marker_color=_PCT_COLORS.get(int(p)) if float(p).is_integer() else None,
                hovertemplate="%{customdata[1]} · %{y}<br>" + name + ": %{x:.1f} ms<br>"
                              "%{customdata[0]} requests<extra></extra>",
            ), row=row, col=1)
    fig.update_yaxes(autorange="reversed")  # the first group on top, as listed
    fig.update_xaxes(title_text=f"{unit}, R-6 percentile", row=len(facets), col=1)
    fig.update_annotations(xanchor="left", x=0, font={"size": 12})  # facet titles on the left, not centred
    fig.update_layout(barmode="group", title=title, bargap=0.25, bargroupgap=0.05)
    return _style(fig, height=plot_px + 60 * len(facets) // 2 + 150, legend_title="percentile", top_legend=True)


_MAX_SPAN_MS = 365 * 24 * 3600 * 1000.0  # a shaded window never ends more than a year after its request

MAX_WINDOWS = 60  # more shaded spans than this are merged: plotly slows down with thousands of shapes


def _windows(runs: "pd.DataFrame", results: Any, x: str, y: str) -> list[dict]:
    """Shaded spans: one per item with faults; load periods narrow it to the fault's period."""
    import pandas as pd

    from .results.frames import NO_FAULT, fault_label, fault_schedules
    from .results.markdown import parse_duration, period_fractions

    needed = ("scenario_idx", "item_idx", "fault_types")
    if any(c not in runs.columns for c in needed) or not len(runs):
        return []
    # clip absurd latencies (a corrupt or hung run): pandas timestamps end in 2262
    end = runs[x] + pd.to_timedelta(runs[y].fillna(0.0).clip(lower=0.0, upper=_MAX_SPAN_MS), unit="ms")
    # the fault_label column also names a dependency's fault (the requests themselves carry none)
    labels = runs["fault_label"] if "fault_label" in runs.columns else runs["fault_types"].map(fault_label)
    spans = (pd.DataFrame({"si": runs["scenario_idx"], "ii": runs["item_idx"], "t0": runs[x], "t1": end,
                           "faults": labels})
             .groupby(["si", "ii"], sort=True).agg(t0=("t0", "min"), t1=("t1", "max"), faults=("faults", "first")))
    if results is not None:
        schedules = fault_schedules(results.raw)
    else:
        schedules = runs.attrs.get("fault_schedules") or {}
    out = []
    for (si, ii), t0, t1, faults in zip(spans.index, spans["t0"], spans["t1"], spans["faults"]):
        if not isinstance(faults, str) or faults == NO_FAULT:
            continue
        item_spans = [(t0, t1, faults)]
        sched = schedules.get(f"{int(si)}.{int(ii)}")
        if sched is not None:
            secs = parse_duration(sched["duration"]) or 0.0
            origin = t0 - pd.Timedelta(milliseconds=100)  # the schedule starts 100 ms before the clients
            item_spans = []
            for kind, period in sched["faults"]:
                frac = period_fractions(period, secs) or (0.0, 1.0)
                item_spans.append((origin + pd.Timedelta(seconds=frac[0] * secs),
                                   origin + pd.Timedelta(seconds=frac[1] * secs), kind))
        for a, b, label in item_spans:
            out.append({"x0": a, "x1": b, "label": label, "name": f"{int(si)}.{int(ii)} {label}",
                        "scenario_idx": int(si)})
    if len(out) > MAX_WINDOWS:
        out = _merge_windows(out, same_label=True)
    if len(out) > MAX_WINDOWS:
        out = _merge_windows(out, same_label=False)
    return out


def _merge_windows(windows: list[dict], *, same_label: bool) -> list[dict]:
    """Join consecutive spans of one scenario (with the same label when ``same_label``)."""
    merged: list[dict] = []
    for w in sorted(windows, key=lambda w: (w["scenario_idx"], w["x0"])):
        last = merged[-1] if merged else None
        if last is not None and last["scenario_idx"] == w["scenario_idx"] and (
                not same_label or last["label"] == w["label"]):
            last["x1"] = max(last["x1"], w["x1"])
            if w["label"] not in last["label"].split(", "):
                last["label"] += ", " + w["label"]
            last["name"] = f"scenario {w['scenario_idx']}: {last['label']}"
        else:
            merged.append(dict(w, name=f"scenario {w['scenario_idx']}: {w['label']}"))
    return merged


def _window_colors(windows: list[dict]) -> dict[str, str]:
    labels = list(dict.fromkeys(w["label"] for w in windows))
    return {label: _WINDOW_COLORS[i % len(_WINDOW_COLORS)] for i, label in enumerate(labels)}


def latency_timeline(runs: "pd.DataFrame", *, x: str = "start", y: str = "total_time_ms",
                     color: str | None = None, results: Any = None,
                     title: str | None = "Latency over time") -> "go.Figure":
    """Latency of every request over time, with the fault windows shaded.

    Each item that ran with faults gets a shaded span over its requests; load
    items whose faults have a ``period`` get one span per fault, placed as fault
    schedules it (fractions of the load duration). The schedules come from
    ``results=`` or from ``runs.attrs`` (set by ``Results.runs``). Past
    ``MAX_WINDOWS`` spans, consecutive spans of a scenario are merged.
    The windows are coloured by fault label and named in the legend (no labels
    drawn over each other). Failed requests (the ``failed`` column: transport
    error, timeout, 5xx or missed expectation) are drawn as crosses; the legend
    says what a circle and a cross mean.

    >>> fig = latency_timeline(results.runs, results=results)  # doctest: +SKIP
    """
    import plotly.graph_objects as go

    _check(runs, x=x, y=y, color=color or "endpoint_key")
    df = runs[runs[y].notna()]
    keys = df[color or "endpoint_key"].astype(str)
    bad = df["failed"].astype(bool).to_numpy() if "failed" in df.columns else None
    fig = go.Figure()
    group_title = axis_title(color or "endpoint_key")
    for i, name in enumerate(dict.fromkeys(keys)):
        mask = (keys == name).to_numpy()
        failed = bad[mask] if bad is not None else [False] * int(mask.sum())
        hover = "%{x}<br>%{y:.1f} ms<extra>" + name.replace("<", "&lt;") + "</extra>"
        # answered and failed points of an endpoint are two traces of one legend group: its legend
        # entry is a circle in its colour, the cross is explained once below
        color_ = _ENDPOINT_COLORS[i % len(_ENDPOINT_COLORS)]
        for is_failed in (False, True):
            pick = mask.copy()
            pick[mask] = [bool(f) == is_failed for f in failed]
            if is_failed and not pick.any():
                continue
            fig.add_trace(go.Scatter(
                x=df[x][pick], y=df[y][pick], mode="markers", name=name, legendgroup=name,
                showlegend=not is_failed, legendgrouptitle_text=group_title if i == 0 and not is_failed else None,
                marker={"symbol": "x" if is_failed else "circle", "size": 8, "color": color_},
                hovertemplate=hover.replace("<extra>", " (failed)<extra>") if is_failed else hover,
            ))
    if len(df):  # what the two marker shapes mean (legend-only traces: no data of their own)
        for label, symbol in (("answered", "circle"), ("failed (error, timeout, 5xx or missed expectation)", "x")):
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=label, legendgroup="markers",
                                     legendgrouptitle_text="Request" if symbol == "circle" else None,
                                     hoverinfo="skip",
                                     marker={"symbol": symbol, "size": 9, "color": _NEUTRAL_TEXT}))
    windows = _windows(runs, results, x, y)
    colors = _window_colors(windows)
    shapes, named = [], set()
    for w in windows:
        # built as plain dicts and set once: add_vrect per span is quadratic in the span count
        first = w["label"] not in named
        named.add(w["label"])
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": w["x0"], "x1": w["x1"], "y0": 0,
                       "y1": 1, "fillcolor": colors[w["label"]], "line": {"width": 0}, "layer": "below",
                       "name": w["name"], "legendgroup": "faults", "legendgrouptitle": {"text": "Fault window"},
                       "showlegend": first, "legend": "legend"})
        if first:  # the legend names the window by its fault label
            shapes[-1]["name"] = w["label"]
    fig.update_layout(title=title, shapes=shapes, legend_groupclick="togglegroup", legend_tracegroupgap=6)
    fig.update_xaxes(title_text=axis_title(x))
    fig.update_yaxes(title_text=axis_title(y), rangemode="tozero")
    return _style(fig, height=480)


def error_rates(runs: "pd.DataFrame", *, by: str = "scenario_title",
                title: str | None = "Failed requests and why") -> "go.Figure":
    """Share of requests that failed, per ``by``, and why: 5xx answers, transport errors
    (fault's ``errored``, or no answer), timeouts and missed expectations.

    "failed" is the runs frame's ``failed`` column; the counts come from
    :func:`fault_nb.results.stats.summarize_by`. Bars are horizontal, one group per
    ``by`` value (long names wrap), so every label is read without tilting.

    >>> fig = error_rates(results.runs)  # doctest: +SKIP
    >>> [t.name for t in fig.data]  # doctest: +SKIP
    ['failed', 'HTTP 5xx', 'transport error', 'timed out', 'expectation failed']
    """
    import plotly.graph_objects as go

    from .results.stats import summarize_by

    _check(runs, by=by, failed="failed", errored="errored", timed_out="timed_out", http_5xx="http_5xx",
           expectation_failed="expectation_failed")
    table = summarize_by(runs, by)
    names = [str(k) for k in table[by]]
    labels = [_wrap(n) for n in names]
    total = table["requests"].tolist()
    kinds = (("failed", "failed", "#6a040f"), ("HTTP 5xx", "http_5xx", "#c1121f"),
             ("transport error", "transport_errors", "#e76f51"), ("timed out", "timed_out", "#f4a261"),
             ("expectation failed", "expectation_failed", "#457b9d"))
    fig = go.Figure()
    for label, column, color in kinds:
        counts = [int(c) for c in table[column]]
        rates = [100.0 * c / n if n else 0.0 for c, n in zip(counts, total)]
        fig.add_trace(go.Bar(name=label, y=labels, x=rates, orientation="h", marker_color=color,
                             customdata=list(zip(counts, [int(n) for n in total], names)),
                             hovertemplate="%{customdata[2]}<br>%{x:.1f}% (%{customdata[0]} of %{customdata[1]})"
                                           "<extra>" + label + "</extra>"))
    fig.update_layout(barmode="group", title=title, bargap=0.2, bargroupgap=0.05)
    fig.update_xaxes(title_text="Share of requests (%)", range=[0, 100], ticksuffix="%")
    fig.update_yaxes(title_text=axis_title(by), autorange="reversed")
    lines = sum(lab.count("<br>") + 1 for lab in labels)
    height = max(len(names) * (len(kinds) * 9 + 14), lines * 16) + 170
    return _style(fig, height=max(300, height), legend_title="requests that", top_legend=True)


def slo_margins(slo: "pd.DataFrame", *, title: str | None = "SLO objectives: measured vs threshold") -> "go.Figure":
    """Measured value against each SLO threshold, one panel per unit (ms, %).

    Bars are the measured values (green pass, red fail), diamonds the thresholds,
    and the text is the margin with its unit (``margin_label``: "Above by 1.0ms",
    "Below by 0.5% of requests").

    >>> fig = slo_margins(results.slo)  # doctest: +SKIP
    """
    from plotly.subplots import make_subplots
    import plotly.graph_objects as go

    _check(slo, endpoint="endpoint", title="title", measured="measured", threshold="threshold",
           unit="unit", passed="pass", margin_label="margin_label")
    units = list(dict.fromkeys(slo["unit"])) or ["ms"]
    fig = make_subplots(rows=len(units), cols=1, subplot_titles=[f"<b>objectives in {u}</b>" for u in units],
                        vertical_spacing=0.2 if len(units) > 1 else 0.0)
    rows = 0
    for row, unit in enumerate(units, start=1):
        part = slo[slo["unit"] == unit]
        rows += len(part)
        labels = _slo_labels(part)
        passed = part["pass"].astype(bool).tolist()
        fig.add_trace(go.Bar(
            x=part["measured"].tolist(), y=labels, orientation="h", name=f"measured ({unit})",
            marker_color=[_PASS if p else _FAIL for p in passed], text=part["margin_label"].tolist(),
            textposition="auto", hovertemplate="%{y}<br>measured %{x:.2f} " + unit + "<br>%{text}<extra></extra>",
        ), row=row, col=1)
        fig.add_trace(go.Scatter(
            x=part["threshold"].tolist(), y=labels, mode="markers", name=f"threshold ({unit})",
            marker={"symbol": "diamond", "size": 12, "color": _NEUTRAL_TEXT, "line": {"width": 1, "color": "#fff"}},
            hovertemplate="%{y}<br>threshold %{x} " + unit + "<extra></extra>",
        ), row=row, col=1)
        fig.update_xaxes(title_text=f"Measured ({unit})", row=row, col=1)
        fig.update_yaxes(autorange="reversed", row=row, col=1)
    fig.update_annotations(xanchor="left", x=0, font={"size": 12})
    fig.update_layout(title=title, showlegend=True)
    return _style(fig, height=max(320, 46 * rows + 150 * len(units)), top_legend=True)


def _slo_labels(part: "pd.DataFrame") -> list[str]:
    """One distinct, readable label per SLO row: endpoint and faults, then the objective."""
    key = part["endpoint_key"] if "endpoint_key" in part.columns else part["endpoint"]
    faults = part["fault_label"] if "fault_label" in part.columns else [""] * len(part)
    labels = [f"{k}{' · ' + f if f else ''}<br>{t}" for k, f, t in zip(key, faults, part["title"])]
    seen: dict[str, int] = {}
    for lab in labels:
        seen[lab] = seen.get(lab, 0) + 1
    scen = part["scenario_idx"].tolist() if "scenario_idx" in part.columns else list(range(len(part)))
    return [f"{lab} (scenario {int(s) + 1})" if seen[lab] > 1 else lab for lab, s in zip(labels, scen)]


# -- display -------------------------------------------------------------------------

def _frontend_runs_javascript() -> bool:
    """True when the cell runs in a front-end that draws plotly itself (JupyterLab, Notebook 7, Voilà).

    JupyterLab sends a ``cellId`` with every execute request, Voilà starts its kernels
    with ``VOILA_*`` variables; nbclient (``fault-nb demo``, nbconvert) sends neither,
    and its saved notebook is what GitHub shows without JavaScript.
    """
    import os

    if os.environ.get("VOILA_BASE_URL") or os.environ.get("SERVER_SOFTWARE", "").startswith("voila"):
        return True
    try:
        from IPython import get_ipython

        shell = get_ipython()
        kernel = getattr(shell, "kernel", None)
        parent = kernel.get_parent() if kernel is not None and hasattr(kernel, "get_parent") else {}
    except Exception:  # no IPython, an old kernel: treat as headless
        return False
    return bool((parent or {}).get("metadata", {}).get("cellId"))


def _renderer():
    """The ``fault_nb`` renderer: plotly's JSON, drawn live by JupyterLab/Voilà at the figure's
    own height, and an HTML copy for nbviewer (it loads plotly.js only where that HTML is
    shown). No page-wide activation script: plotly's ``notebook_connected`` displays one
    that fetches plotly.js from a CDN, which fails offline."""
    import plotly.io as pio
    from plotly.io.base_renderers import MimetypeRenderer

    class FaultNbRenderer(MimetypeRenderer):
        def to_mimebundle(self, fig_dict):
            bundle = pio.renderers["plotly_mimetype"].to_mimebundle(fig_dict)
            bundle["text/html"] = pio.to_html(fig_dict, include_plotlyjs="cdn", full_html=False,
                                              validate=False, config={"responsive": True})
            return bundle

    return FaultNbRenderer()


def _on_white(fig_dict: dict) -> dict:
    """The figure with a white background (a PNG is looked at outside the notebook's theme)."""
    layout = dict(fig_dict.get("layout") or {})
    layout.update(paper_bgcolor="#ffffff", plot_bgcolor="#ffffff")
    return {**fig_dict, "layout": layout}


def use_static_images(enable: bool = True, *, timeout: float | None = None) -> str:
    """Show figures live, with copies for places that cannot draw them, and follow the theme.

    JupyterLab and Voilà draw the interactive chart from the first render (plotly's
    JSON; plotly.js comes with their extension, no CDN), nbviewer the HTML copy, and
    GitHub, which runs no JavaScript, a PNG copy. The PNG is only added when the
    notebook runs without a JavaScript front-end (``fault-nb demo``, nbclient): in
    JupyterLab a PNG in the output would be shown instead of the live chart until the
    first mouse-over. The PNG needs ``kaleido`` and a Chrome/Chromium on the machine.
    The browser is looked for first, the way kaleido's browser layer looks for it;
    every PNG is bounded by ``timeout`` seconds (default ``IMAGE_TIMEOUT_S``). When
    there is no browser, or a render fails or times out, charts stay interactive only
    and one notice says so. In a notebook this also displays :func:`theme_css`.
    Returns the renderer now in use.

    >>> from fault_nb import plots
    >>> plots.use_static_images()  # doctest: +SKIP
    'fault_nb+fault_nb_png'
    """
    import plotly.io as pio

    global _IMAGE_TIMEOUT
    if timeout is not None:
        _IMAGE_TIMEOUT = float(timeout)
    pio.renderers[_INTERACTIVE] = _renderer()
    renderer = _INTERACTIVE
    # a JavaScript front-end draws the charts itself: no browser is started for PNGs it would not use
    if enable and not _frontend_runs_javascript() and _start_image_server():
        pio.renderers[_PNG_RENDERER] = _bounded_png_renderer()
        renderer += "+" + _PNG_RENDERER
    pio.renderers.default = renderer
    _display_theme()
    return renderer


def _display_theme() -> None:
    try:
        from IPython import get_ipython

        if getattr(get_ipython(), "kernel", None) is None:
            return
        from IPython.display import HTML, display
    except ImportError:
        return
    display(HTML(theme_css()))


# -- static images: detect the browser first, bound every render, say it once ----------------

IMAGE_TIMEOUT_S = 60.0  # one PNG, the browser's start included (15 s seen on a busy 2-core machine)
_INTERACTIVE = "fault_nb"  # plotly JSON + an HTML copy (see _renderer)
_PNG_RENDERER = "fault_nb_png"
_IMAGE_TIMEOUT = IMAGE_TIMEOUT_S
_IMAGE_SERVER: bool | None = None  # None: not tried yet; False: interactive only for this process
_IMAGE_LOCK = threading.Lock()


def find_browser() -> str | None:
    """The Chrome/Chromium kaleido would drive, or None.

    Searched as choreographer (kaleido's browser layer) searches: its own
    download (``plotly_get_chrome``), ``$BROWSER_PATH``, the Chrome, Chromium,
    Edge, Brave and Vivaldi names on ``PATH``, then their usual install paths.
    A path that is not an executable file (a removed or hidden browser) counts
    as none.

    >>> find_browser()  # doctest: +SKIP
    '/usr/bin/chromium'
    """
    try:
        from choreographer.browsers.chromium import Chromium

        path = Chromium.find_browser(skip_local=False)
    except Exception:  # no kaleido/choreographer, or a search that fails: no browser we can use
        return None
    if path and os.path.isfile(path) and os.access(path, os.X_OK):
        return str(path)
    return None


def _image_notice(reason: str) -> None:
    """Say once per process, in plain words, that charts have no PNG copy."""
    from ._tools import say_once

    say_once("chart-images", f"{reason}; charts are shown interactive only (no PNG copy for viewers "
                             "without JavaScript, such as GitHub).")


def _start_image_server() -> bool:
    """Start kaleido's browser once per process (0.2 s per image after a 2 s start), if there is one."""
    global _IMAGE_SERVER
    with _IMAGE_LOCK:
        if _IMAGE_SERVER is not None:
            return _IMAGE_SERVER
        browser = find_browser()
        if browser is None:
            _IMAGE_SERVER = False
            _image_notice("no Chrome or Chromium found for PNG copies of charts (install chromium, "
                          "or set BROWSER_PATH)")
            return False
        import atexit
        import warnings

        try:
            import kaleido

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # kaleido's own per-figure timeout too, so a stuck render frees its thread
                kaleido.start_sync_server(path=browser, timeout=_IMAGE_TIMEOUT, silence_warnings=True)
            atexit.register(_stop_image_server)
            # plotly passes kaleido options the long-lived server does not need; without this
            # filter every chart in a notebook would print that notice under it
            warnings.filterwarnings("ignore", message="The kopts argument is ignored if using a server",
                                    category=UserWarning)
            _IMAGE_SERVER = True
        except Exception as exc:  # kaleido missing or refusing its arguments: interactive output only
            _IMAGE_SERVER = False
            _image_notice(f"PNG copies of charts are unavailable ({type(exc).__name__}: {exc})")
        return _IMAGE_SERVER


def _stop_image_server(timeout: float = 5.0) -> None:
    """Stop kaleido's browser, waiting at most ``timeout`` seconds (at exit too)."""
    try:
        import kaleido
        from kaleido import _sync_server
    except Exception:
        return
    stopper = threading.Thread(target=kaleido.stop_sync_server, kwargs={"silence_warnings": True},
                               daemon=True, name="fault-nb-kaleido-stop")
    stopper.start()
    stopper.join(timeout)
    if stopper.is_alive():
        # a browser that does not answer keeps kaleido's close() joining its thread forever;
        # mark the server closed so kaleido's own exit hook returns, and leave the daemon behind
        _sync_server.GlobalKaleidoServer()._initialized = False


def _images_off(reason: str) -> None:
    """After a failed or timed-out render: interactive only from now on, said once."""
    global _IMAGE_SERVER
    import plotly.io as pio

    with _IMAGE_LOCK:
        was_on, _IMAGE_SERVER = _IMAGE_SERVER, False
    if pio.renderers.default == f"{_INTERACTIVE}+{_PNG_RENDERER}":
        pio.renderers.default = _INTERACTIVE
    _image_notice(reason)
    if was_on:
        threading.Thread(target=_stop_image_server, daemon=True, name="fault-nb-kaleido-stop").start()


def static_png(fig: Any, *, timeout: float | None = None) -> bytes | None:
    """The PNG of ``fig`` (a figure or its dict), or None when static images are off.

    Bounded by ``timeout`` seconds (default: the ``use_static_images`` one); a
    failure or a timeout turns static images off for the process, with one notice.
    Call :func:`use_static_images` first.
    """
    if not _IMAGE_SERVER:
        return None
    import plotly.io as pio

    limit = _IMAGE_TIMEOUT if timeout is None else float(timeout)
    box: dict[str, Any] = {}

    def render() -> None:
        try:
            box["png"] = pio.to_image(fig, format="png", validate=False)
        except BaseException as exc:  # noqa: BLE001 - reported below, in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=render, daemon=True, name="fault-nb-png")
    worker.start()
    deadline = time.monotonic() + limit
    while worker.is_alive() and time.monotonic() < deadline and _image_server_alive():
        worker.join(0.2)
    if "png" in box:
        return box["png"]
    if worker.is_alive() and not _image_server_alive():
        _images_off("the browser kaleido started has stopped (it could not start or crashed)")
    elif worker.is_alive():
        _images_off(f"a PNG copy of a chart took longer than {limit:g} s (browser not answering)")
    else:
        error = box.get("error")
        _images_off(f"a PNG copy of a chart failed ({type(error).__name__}: {error})")
    return None


def _image_server_alive() -> bool:
    """False once kaleido's server thread has ended (its browser failed): no answer will come."""
    try:
        from kaleido import _sync_server

        thread = getattr(_sync_server.GlobalKaleidoServer(), "_thread", None)
    except Exception:
        return True
    return thread is None or thread.is_alive()


def _bounded_png_renderer():
    """plotly's PNG renderer, through :func:`static_png` (bounded, falls back to no PNG)."""
    import base64

    from plotly.io._base_renderers import PngRenderer

    class BoundedPngRenderer(PngRenderer):
        def to_mimebundle(self, fig_dict):
            if _frontend_runs_javascript():  # JupyterLab/Voila: a PNG would stand in for the live chart
                return {}
            png = static_png(_on_white(fig_dict))
            return {} if png is None else {"image/png": base64.b64encode(png).decode("ascii")}

    return BoundedPngRenderer()


def compare(comparison: Any, *, metrics: Sequence[str] | None = None,
            title: str | None = "Before → after per cell") -> "go.Figure":
    """Before/after per cell of a :func:`fault_nb.compare` result, interval whiskers, verdict colours.

    >>> fig = plots.compare(fault_nb.compare("before.json", "after.json"))  # doctest: +SKIP
    """
    from .verify._plot import compare_figure

    return compare_figure(comparison, metrics=metrics, title=title)
