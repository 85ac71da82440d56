"""The before/after chart of a :class:`~fault_nb.verify.compare.Comparison` (``plots.compare``).

Renders what :func:`fault_nb.compare` computed; it computes nothing itself.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

    from .compare import Comparison

COLOURS = {"improved": "#2a9d8f", "regressed": "#e63946", "no-change": "#6c757d"}
BEFORE = "#adb5bd"


def compare_figure(comparison: "Comparison", *, metrics: Sequence[str] | None = None,
                   title: str | None = "Before → after per cell") -> "go.Figure":
    """Before (grey) and after (coloured by verdict) per cell and metric, with the interval as whiskers.

    The whisker spans ``before + ci_low`` to ``before + ci_high``: the after values the
    interval of the difference allows. Latency rows (ms) are drawn on the top axis,
    rates (% of requests) on the bottom one. ``metrics`` keeps only those metrics
    (``"p99_ms"``, ``"error_rate"``, ``"slo:P95 < 300ms"`` ...).

    >>> fig = compare_figure(fault_nb.compare(before, after), metrics=["p95_ms", "p99_ms"])  # doctest: +SKIP
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from ..errors import FaultNbError

    t = comparison.table
    if metrics is not None:
        unknown = [m for m in metrics if m not in set(t["metric"])]
        if unknown:
            raise FaultNbError(f"unknown metric(s) {unknown}; expected some of {sorted(set(t['metric']))}")
        t = t[t["metric"].isin(list(metrics))]
    t = t[t["before"].notna() | t["after"].notna()]
    panels = [("ms", "latency (ms)"), ("%", "share of requests (%)")]
    present = [(u, label) for u, label in panels if (t["unit"] == u).any()] or panels[:1]
    fig = make_subplots(rows=len(present), cols=1, shared_xaxes=False, vertical_spacing=0.32 if len(present) > 1 else 0.1,
                        subplot_titles=[("latency percentiles and latency SLOs" if u == "ms"
                                         else "error and 5xx rates, error SLOs") for u, _ in present])
    shown: set[str] = set()
    for r, (unit, label) in enumerate(present, start=1):
        part = t[t["unit"] == unit]
        x = [[f"{o} · {f} · {s}" for o, f, s in zip(part["operation_id"], part["fault"], part["strategy"])],
             list(part["metric"])]
        hover = [f"n {nb}/{na}<br>{note}" for nb, na, note in zip(part["n_before"], part["n_after"], part["note"])]
        fig.add_trace(go.Scatter(
            x=x, y=list(part["before"]), mode="markers", name="before", legendgroup="before",
            marker=dict(color=BEFORE, size=9, symbol="circle-open", line=dict(width=2)),
            showlegend="before" not in shown, customdata=hover,
            hovertemplate="%{x}<br>before %{y:.1f} " + unit + "<br>%{customdata}<extra></extra>"), row=r, col=1)
        shown.add("before")
        for verdict, colour in COLOURS.items():
            sel = part[part["verdict"] == verdict]
            if not len(sel):
                continue
            up = [_whisker(b + hi - a) for a, b, hi in zip(sel["after"], sel["before"], sel["ci_high"])]
            # latencies and rates are never negative: the whisker stops at 0
            down = [_whisker(a - max(b + lo, 0.0)) for a, b, lo in zip(sel["after"], sel["before"], sel["ci_low"])]
            xs = [[f"{o} · {f} · {s}" for o, f, s in zip(sel["operation_id"], sel["fault"], sel["strategy"])],
                  list(sel["metric"])]
            ci = [f"Δ {d:+.1f} {unit} ({lo:+.1f} to {hi:+.1f})" if not math.isnan(lo) else f"Δ {d:+.1f} {unit}, no interval"
                  for d, lo, hi in zip(sel["delta"], sel["ci_low"], sel["ci_high"])]
            fig.add_trace(go.Scatter(
                x=xs, y=list(sel["after"]), mode="markers", name=f"after: {verdict}", legendgroup=verdict,
                marker=dict(color=colour, size=10), showlegend=verdict not in shown,
                error_y=dict(type="data", symmetric=False, array=up, arrayminus=down, color=colour, thickness=1.5),
                customdata=ci,
                hovertemplate="%{x}<br>after %{y:.1f} " + unit + "<br>%{customdata}<extra>" + verdict + "</extra>"),
                row=r, col=1)
            shown.add(verdict)
        fig.update_yaxes(title_text=label, rangemode="tozero", row=r, col=1)
        fig.update_xaxes(tickangle=-30, row=r, col=1)
    conf = f"{comparison.confidence:.0%}"
    fig.update_layout(
        title=None if title is None else f"{title} ({conf} interval of the change as whiskers; "
                                         f"{'paired' if comparison.paired else 'unpaired'})",
        legend_title="run", height=420 * len(present) + 80)
    return fig


def _whisker(x: float) -> float | None:
    if x is None or math.isnan(x):
        return None
    return max(float(x), 0.0)
