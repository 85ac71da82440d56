"""plotly figures for fault results, plotly-express style: frame first, ``go.Figure`` out.

Nothing here displays a figure; the notebook decides how to show it.
Percentiles use fault's R-6 rule so the bars match the report's numbers.

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

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import plotly.graph_objects as go

__all__ = ["compare", "error_rates", "latency_percentiles", "latency_timeline", "slo_margins", "use_static_images"]

_PASS, _FAIL = "#2a9d8f", "#e63946"
_PCT_COLORS = {50: "#457b9d", 95: "#f4a261", 99: "#e76f51"}


def _check(df: "pd.DataFrame", **columns: Any) -> None:
    valid = list(df.columns)
    for arg, name in columns.items():
        if name is None:
            continue
        for one in (name if isinstance(name, (list, tuple)) else [name]):
            if one not in df.columns:
                raise ColumnError(arg, one, valid)


def _endpoint_key(df: "pd.DataFrame"):
    """operation_id, or ``METHOD url`` for requests without one."""
    fallback = df["method"].astype(str) + " " + df["url"].astype(str)
    if "operation_id" not in df.columns:
        return fallback
    return df["operation_id"].where(df["operation_id"].notna(), fallback).astype(str)


def _fault_key(values: Iterable) -> list[str]:
    out = []
    for v in values:
        if isinstance(v, (tuple, list)):
            out.append("+".join(str(x) for x in v) if v else "no fault")
        elif v is None or (isinstance(v, float) and math.isnan(v)):
            out.append("no fault")
        else:
            out.append(str(v))
    return out


def _r6(values, p: float) -> float:
    from .results.report import r6_percentile

    vals = sorted(values)
    return r6_percentile(vals, p)[0] if vals else math.nan


def latency_percentiles(runs: "pd.DataFrame", *, x: str | None = None, y: str = "total_time_ms",
                        group: str | None = "fault_types", percentiles: Sequence[float] = (50, 95, 99),
                        title: str | None = "Latency percentiles per endpoint and fault") -> "go.Figure":
    """Grouped bars of p50/p95/p99 latency per endpoint (and fault type).

    ``x`` defaults to the operationId (``METHOD url`` when absent); ``group`` adds a
    second axis level (the faults in force). Rows without metrics are skipped.

    >>> fig = latency_percentiles(results.runs)  # doctest: +SKIP
    >>> [t.name for t in fig.data]  # doctest: +SKIP
    ['p50', 'p95', 'p99']
    """
    import plotly.graph_objects as go

    _check(runs, x=x, y=y, group=group)
    if x is None:
        _check(runs, x=["method", "url"])
    df = runs[runs[y].notna()]
    keys = _endpoint_key(df) if x is None else df[x].astype(str)
    groups = _fault_key(df[group]) if group is not None else ["all"] * len(df)
    buckets: dict[tuple[str, str], list[float]] = {}
    for k, g, v in zip(keys, groups, df[y].to_numpy()):
        buckets.setdefault((k, g), []).append(float(v))
    order = list(buckets)
    fig = go.Figure()
    for p in percentiles:
        values = [_r6(buckets[key], float(p)) for key in order]
        counts = [len(buckets[key]) for key in order]
        xs: Any = [k for k, _ in order]
        if group is not None and order:
            xs = [xs, [g for _, g in order]]  # a two-level (multicategory) axis
        fig.add_trace(go.Bar(
            name=f"p{p:g}", x=xs, y=values, customdata=counts,
            marker_color=_PCT_COLORS.get(int(p)) if float(p).is_integer() else None,
            hovertemplate="%{x}<br>" + f"p{p:g}" + ": %{y:.2f} ms<br>%{customdata} requests<extra></extra>",
        ))
    fig.update_layout(barmode="group", title=title, yaxis_title=f"{y} (R-6 percentile)",
                      xaxis_title="endpoint / faults" if group is not None else "endpoint",
                      legend_title="percentile")
    return fig


_MAX_SPAN_MS = 365 * 24 * 3600 * 1000.0  # a shaded window never ends more than a year after its request

MAX_WINDOWS = 60  # more shaded spans than this are merged: plotly slows down with thousands of shapes


def _windows(runs: "pd.DataFrame", results: Any, x: str, y: str) -> list[dict]:
    """Shaded spans: one per item with faults; load periods narrow it to the fault's period."""
    import pandas as pd

    from .results.markdown import parse_duration, period_fractions

    needed = ("scenario_idx", "item_idx", "fault_types")
    if any(c not in runs.columns for c in needed) or not len(runs):
        return []
    # clip absurd latencies (a corrupt or hung run): pandas timestamps end in 2262
    end = runs[x] + pd.to_timedelta(runs[y].fillna(0.0).clip(lower=0.0, upper=_MAX_SPAN_MS), unit="ms")
    spans = (pd.DataFrame({"si": runs["scenario_idx"], "ii": runs["item_idx"], "t0": runs[x], "t1": end,
                           "faults": runs["fault_types"]})
             .groupby(["si", "ii"], sort=True).agg(t0=("t0", "min"), t1=("t1", "max"), faults=("faults", "first")))
    if results is not None:
        from .results.frames import fault_schedules

        schedules = fault_schedules(results.raw)
    else:
        schedules = runs.attrs.get("fault_schedules") or {}
    out = []
    for (si, ii), t0, t1, faults in zip(spans.index, spans["t0"], spans["t1"], spans["faults"]):
        if not isinstance(faults, (tuple, list)) or not faults:
            continue
        item_spans = [(t0, t1, "+".join(str(f) for f in faults))]
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


def latency_timeline(runs: "pd.DataFrame", *, x: str = "start", y: str = "total_time_ms",
                     color: str | None = None, results: Any = None,
                     title: str | None = "Latency over time") -> "go.Figure":
    """Latency of every request over time, with the fault windows shaded.

    Each item that ran with faults gets a shaded span over its requests; load
    items whose faults have a ``period`` get one span per fault, placed as fault
    schedules it (fractions of the load duration). The schedules come from
    ``results=`` or from ``runs.attrs`` (set by ``Results.runs``). Past
    ``MAX_WINDOWS`` spans, consecutive spans of a scenario are merged.
    Errored and timed-out requests are drawn as crosses.

    >>> fig = latency_timeline(results.runs, results=results)  # doctest: +SKIP
    """
    import plotly.graph_objects as go

    _check(runs, x=x, y=y, color=color)
    df = runs[runs[y].notna()]
    keys = _endpoint_key(df) if color is None else df[color].astype(str)
    bad = None
    if "errored" in df.columns and "timed_out" in df.columns:
        bad = (df["errored"].astype(bool) | df["timed_out"].astype(bool)).to_numpy()
    fig = go.Figure()
    for name in dict.fromkeys(keys):
        mask = (keys == name).to_numpy()
        symbols = ["x" if b else "circle" for b in bad[mask]] if bad is not None else "circle"
        fig.add_trace(go.Scatter(
            x=df[x][mask], y=df[y][mask], mode="markers", name=name, marker={"symbol": symbols},
            hovertemplate="%{x}<br>%{y:.2f} ms<extra>" + name.replace("<", "&lt;") + "</extra>",
        ))
    palette = ["rgba(230,57,70,0.12)", "rgba(244,162,97,0.15)", "rgba(69,123,157,0.12)"]
    windows = _windows(runs, results, x, y)
    shapes, notes = [], []
    for i, w in enumerate(windows):
        # built as plain dicts and set once: add_vrect per span is quadratic in the span count
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": w["x0"], "x1": w["x1"], "y0": 0,
                       "y1": 1, "fillcolor": palette[i % len(palette)], "line": {"width": 0}, "layer": "below",
                       "name": w["name"]})
        notes.append({"x": w["x0"], "y": 1, "xref": "x", "yref": "paper", "text": w["label"],
                      "showarrow": False, "xanchor": "left", "yanchor": "top", "font": {"size": 10}})
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=f"{y}", legend_title="endpoint",
                      shapes=shapes, annotations=notes)
    return fig


def error_rates(runs: "pd.DataFrame", *, by: str = "scenario_title",
                title: str | None = "Error, timeout and expectation-failure rates") -> "go.Figure":
    """Share of requests that errored, timed out or failed their expectation, per ``by``.

    >>> fig = error_rates(results.runs)  # doctest: +SKIP
    >>> [t.name for t in fig.data]  # doctest: +SKIP
    ['errored', 'timed out', 'expectation failed']
    """
    import plotly.graph_objects as go

    _check(runs, by=by, errored="errored", timed_out="timed_out", decision="decision")
    groups = runs.groupby(by, sort=False)
    names = [str(k) for k in groups.groups.keys()]
    total = groups.size().to_numpy()
    errored = groups["errored"].sum().to_numpy()
    timed = groups["timed_out"].sum().to_numpy()
    failed = groups["decision"].agg(lambda s: int((s == "failure").sum())).to_numpy()
    fig = go.Figure()
    for label, counts, color in (("errored", errored, "#e63946"), ("timed out", timed, "#f4a261"),
                                 ("expectation failed", failed, "#457b9d")):
        rates = [100.0 * c / n if n else 0.0 for c, n in zip(counts, total)]
        fig.add_trace(go.Bar(name=label, x=names, y=rates, marker_color=color,
                             customdata=list(zip([int(c) for c in counts], [int(n) for n in total])),
                             hovertemplate="%{x}<br>%{y:.1f}% (%{customdata[0]} of %{customdata[1]})"
                                           "<extra>" + label + "</extra>"))
    fig.update_layout(barmode="group", title=title, yaxis_title="% of requests", yaxis_range=[0, 100],
                      xaxis_title=by)
    return fig


def slo_margins(slo: "pd.DataFrame", *, title: str | None = "SLO objectives: measured vs threshold") -> "go.Figure":
    """Measured value against each SLO threshold, one panel per unit (ms, %).

    Bars are the measured values (green pass, red fail), diamonds the thresholds,
    and the text is fault's margin ("Above by 1.0ms").

    >>> fig = slo_margins(results.slo)  # doctest: +SKIP
    """
    from plotly.subplots import make_subplots
    import plotly.graph_objects as go

    _check(slo, endpoint="endpoint", title="title", measured="measured", threshold="threshold",
           unit="unit", passed="pass", margin_text="margin_text")
    units = list(dict.fromkeys(slo["unit"])) or ["ms"]
    fig = make_subplots(rows=1, cols=len(units), subplot_titles=[f"unit: {u}" for u in units],
                        horizontal_spacing=0.25)
    for col, unit in enumerate(units, start=1):
        part = slo[slo["unit"] == unit]
        labels = [f"{e} · {t}" for e, t in zip(part["endpoint"], part["title"])]
        passed = part["pass"].astype(bool).tolist()
        fig.add_trace(go.Bar(
            x=part["measured"].tolist(), y=labels, orientation="h", name=f"measured ({unit})",
            marker_color=[_PASS if p else _FAIL for p in passed], text=part["margin_text"].tolist(),
            textposition="auto", hovertemplate="%{y}<br>measured %{x:.2f}" + unit + "<br>%{text}<extra></extra>",
        ), row=1, col=col)
        fig.add_trace(go.Scatter(
            x=part["threshold"].tolist(), y=labels, mode="markers", name=f"threshold ({unit})",
            marker={"symbol": "diamond", "size": 12, "color": "black"},
            hovertemplate="%{y}<br>threshold %{x}" + unit + "<extra></extra>",
        ), row=1, col=col)
        fig.update_xaxes(title_text=unit, row=1, col=col)
    fig.update_layout(title=title, showlegend=True)
    return fig


def use_static_images(enable: bool = True, *, timeout: float | None = None) -> str:
    """Make figures carry a PNG copy, so a saved notebook shows them anywhere.

    JupyterLab draws the interactive chart (``plotly_mimetype``), nbviewer the
    HTML copy (``notebook_connected``) and GitHub, which runs no JavaScript, the
    PNG. The PNG needs ``kaleido`` and a Chrome/Chromium on the machine. The
    browser is looked for first, the way kaleido's browser layer looks for it;
    every PNG is bounded by ``timeout`` seconds (default ``IMAGE_TIMEOUT_S``).
    When there is no browser, or a render fails or times out, charts stay
    interactive only and one notice says so. Returns the renderer now in use.

    >>> from fault_nb import plots
    >>> plots.use_static_images()  # doctest: +SKIP
    'plotly_mimetype+notebook_connected+fault_nb_png'
    """
    import plotly.io as pio

    global _IMAGE_TIMEOUT
    if timeout is not None:
        _IMAGE_TIMEOUT = float(timeout)
    renderer = _INTERACTIVE
    if enable and _start_image_server():
        pio.renderers[_PNG_RENDERER] = _bounded_png_renderer()
        renderer += "+" + _PNG_RENDERER
    pio.renderers.default = renderer
    return renderer


# -- static images: detect the browser first, bound every render, say it once ----------------

IMAGE_TIMEOUT_S = 60.0  # one PNG, the browser's start included (15 s seen on a busy 2-core machine)
_INTERACTIVE = "plotly_mimetype+notebook_connected"
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
            png = static_png(fig_dict)
            return {} if png is None else {"image/png": base64.b64encode(png).decode("ascii")}

    return BoundedPngRenderer()


def compare(comparison: Any, *, metrics: Sequence[str] | None = None,
            title: str | None = "Before → after per cell") -> "go.Figure":
    """Before/after per cell of a :func:`fault_nb.compare` result, interval whiskers, verdict colours.

    >>> fig = plots.compare(fault_nb.compare("before.json", "after.json"))  # doctest: +SKIP
    """
    from .verify._plot import compare_figure

    return compare_figure(comparison, metrics=metrics, title=title)
