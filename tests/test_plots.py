"""plotly figures: data and layout, not pixels."""
from __future__ import annotations

import math

import plotly.graph_objects as go
import pytest

from fault_nb import plots
from fault_nb.errors import ColumnError
from fault_nb.results import Results, load_results
from fault_nb.results.report import r6_percentile


@pytest.fixture(scope="module")
def seed(fixtures_dir):
    return load_results(fixtures_dir / "results" / "seed_app.results.json")


@pytest.fixture(scope="module")
def empty():
    return Results.from_dict({"start": 0, "end": 0, "results": []})


def test_latency_percentiles_match_report(seed):
    fig = plots.latency_percentiles(seed.runs)
    assert isinstance(fig, go.Figure)
    # one facet (subplot) per endpoint, horizontal bars: p50, p95, p99 in every facet
    facets = [a.text for a in fig.layout.annotations]
    assert facets == ["<b>index__get</b>", "<b>create_user_users__post</b>", "<b>read_user_users__user_id__get</b>"]
    assert [t.name for t in fig.data] == ["p50"] * 3 + ["p95"] * 3 + ["p99"] * 3
    assert [t.name for t in fig.data if t.showlegend] == ["p50", "p95", "p99"]  # one legend entry each
    assert all(t.orientation == "h" for t in fig.data)
    p50 = [t for t in fig.data if t.name == "p50"]
    pairs = [(t.customdata[0][1], g) for t in p50 for g in t.y]

    class _Flat:  # the p50 traces of all facets, in facet order
        y = [v for t in p50 for v in t.x]
        customdata = [c[0] for t in p50 for c in t.customdata]
    p50 = _Flat
    # buckets are (endpoint_key, fault_label): the three latency pulses, the spike and the
    # stair-step of index__get share "latency"; their p50 is R-6 over that whole sample
    assert ("index__get", "latency") in pairs and ("index__get", "latency + packetloss") in pairs
    runs = seed.runs
    part = runs[(runs.endpoint_key == "index__get") & (runs.fault_label == "latency")].total_time_ms.dropna()
    idx = pairs.index(("index__get", "latency"))
    assert p50.y[idx] == r6_percentile(sorted(part), 50.0)[0]
    assert p50.customdata[idx] == len(part)
    # one item alone matches fault's report exactly: the load item with latency and packet loss
    report = seed.report(end_time=None)
    idx = pairs.index(("index__get", "latency + packetloss"))
    item = runs[runs.fault_label == "latency + packetloss"][["scenario_idx", "item_idx"]].drop_duplicates()
    assert len(item) == 1
    si, ii = item.iloc[0]
    overview = report["scenario_summaries"][si]["item_summaries"][ii]["run_overview"][0]
    assert p50.y[idx] == overview["latency_percentiles"][1]["latency"]
    assert fig.layout.barmode == "group"
    # human axis title with its unit; no rotated tick labels; the height fits the 11 bar groups: with
    # one group per facet instead (same 3 facets), the 8 groups fewer take their 3 bars' height with them
    assert fig.layout.xaxis3.title.text == "Total time (ms), R-6 percentile"
    groups = sum(len(t.y) for t in fig.data if t.name == "p50")
    assert groups == 11
    flat = plots.latency_percentiles(seed.runs, group=None)
    assert len(flat.layout.annotations) == 3 and sum(len(t.y) for t in flat.data if t.name == "p50") == 3
    assert fig.layout.height - flat.layout.height >= (groups - 3) * 3 * 9  # >= 9 px a bar


def test_latency_percentiles_custom_columns(seed):
    fig = plots.latency_percentiles(seed.runs, x="scenario_title", group=None, percentiles=(50,))
    assert len(fig.data) == 6 and all(list(t.y) == ["all requests"] for t in fig.data)
    assert fig.layout.annotations[0].text == "<b>Latency spike on every endpoint</b>"


def test_latency_timeline_shades_fault_windows(seed):
    fig = plots.latency_timeline(seed.runs, results=seed)
    points = sum(len(t.x) for t in fig.data if len(t.x) and t.x[0] is not None)  # not the legend-only traces
    assert points == int(seed.runs.total_time_ms.notna().sum())
    points_traces = [t for t in fig.data if len(t.x) and t.x[0] is not None]
    assert {t.name for t in points_traces} == set(seed.operation_ids)
    shapes = fig.layout.shapes
    # 13 items with faults; the pulsed load item gives 3 windows instead of 1
    assert len(shapes) == 15
    # no text drawn over the plot: the windows are named in the legend, once per fault label
    assert not fig.layout.annotations
    legend = [s.name for s in shapes if s.showlegend]
    assert sorted(legend) == sorted(set(seed.runs.fault_label) - {"none"})
    assert len({s.fillcolor for s in shapes if s.showlegend}) == len(legend)
    pulse = [w for w in plots._windows(seed.runs, seed, "start", "total_time_ms") if w["name"].startswith("3.0 ")]
    assert len(pulse) == 3
    starts = sorted(s["x0"] for s in pulse)
    # start:10% / 40% / 70% of a 3 s load: 0.9 s apart
    assert (starts[1] - starts[0]).total_seconds() == pytest.approx(0.9)
    assert (pulse[0]["x1"] - pulse[0]["x0"]).total_seconds() == pytest.approx(0.45)
    assert fig.layout.xaxis.title.text == "Request start (UTC)" and fig.layout.yaxis.title.text == "Total time (ms)"


def test_latency_timeline_marks_failed_requests(seed):
    fig = plots.latency_timeline(seed.runs)
    data = [t for t in fig.data if len(t.x) and t.x[0] is not None]
    crosses = sum(len(t.x) for t in data if t.marker.symbol == "x")
    bad = int(seed.runs.failed[seed.runs.total_time_ms.notna()].sum())
    assert crosses == bad > int((seed.runs.errored | seed.runs.timed_out).sum()) > 0  # 5xx too
    # every marker shape has a legend entry: endpoints as circles, and what a circle and a cross mean
    legend = [(t.name, t.marker.symbol) for t in fig.data if t.showlegend is not False]
    assert ("answered", "circle") in legend
    assert any(sym == "x" and name.startswith("failed") for name, sym in legend)
    assert all(sym == "circle" for name, sym in legend if name in set(seed.operation_ids))
    assert len(fig.layout.shapes) == 15  # the schedules travel in runs.attrs
    plain = seed.runs.copy()
    plain.attrs = {}
    assert len(plots.latency_timeline(plain).layout.shapes) == 13  # one window per item with faults


def test_error_rates(seed):
    fig = plots.error_rates(seed.runs)
    assert [t.name for t in fig.data] == ["failed", "HTTP 5xx", "transport error", "timed out",
                                          "expectation failed"]
    runs = seed.runs
    scen = runs.scenario_title.unique().tolist()
    assert [t.orientation for t in fig.data] == ["h"] * 5
    assert [y.replace("<br>", " ") for y in fig.data[0].y] == scen  # long titles wrap instead of tilting
    assert all(len(line) <= 32 for y in fig.data[0].y for line in y.split("<br>"))
    for t in fig.data:  # the chart code below reads x as the rate
        t.y, t.x = t.x, t.y
    for i, title in enumerate(scen):
        part = runs[runs.scenario_title == title]
        failed = part.errored | part.timed_out | ~part.has_metrics | (part.status.fillna(0) >= 500) | (
            part.decision == "failure").fillna(False) | part.expectation_failed
        assert fig.data[0].y[i] == pytest.approx(100.0 * failed.sum() / len(part))
        assert fig.data[1].y[i] == pytest.approx(100.0 * (part.status.fillna(0) >= 500).sum() / len(part))
        assert fig.data[2].y[i] == pytest.approx(100.0 * (part.errored | ~part.has_metrics).sum() / len(part))
        assert fig.data[3].y[i] == pytest.approx(100.0 * part.timed_out.sum() / len(part))
        assert fig.data[4].y[i] == pytest.approx(100.0 * part.expectation_failed.sum() / len(part))
    # the HTTP error scenario: fault counts no transport error there, the chart shows its 5xx
    http = scen.index("Bandwidth cap and HTTP errors under load")
    assert fig.data[2].y[http] == 0 < fig.data[1].y[http] <= fig.data[0].y[http]
    assert tuple(fig.layout.xaxis.range) == (0, 100)
    assert fig.layout.xaxis.title.text == "Share of requests (%)" and fig.layout.yaxis.title.text == "Scenario"


def test_slo_margins(seed):
    fig = plots.slo_margins(seed.slo)
    bars = [t for t in fig.data if t.type == "bar"]
    marks = [t for t in fig.data if t.type == "scatter"]
    assert [b.name for b in bars] == ["measured (ms)", "measured (%)"]
    ms = seed.slo[seed.slo.unit == "ms"]
    assert list(bars[0].x) == ms.measured.tolist()
    assert list(marks[0].x) == ms.threshold.tolist()
    assert list(bars[0].text) == ms.margin_label.tolist()
    assert all(t.endswith("ms") for t in bars[0].text)  # the margin carries its unit
    colors = list(bars[0].marker.color)
    assert colors.count(plots._FAIL) == int((~ms["pass"]).sum())


@pytest.mark.parametrize("func, kwargs", [
    (plots.latency_percentiles, {"x": "endpoint_name"}),
    (plots.latency_percentiles, {"y": "latency"}),
    (plots.latency_timeline, {"color": "nope"}),
    (plots.error_rates, {"by": "scenario"}),
])
def test_bad_column_lists_valid_ones(seed, func, kwargs):
    with pytest.raises(ColumnError) as info:
        func(seed.runs, **kwargs)
    msg = str(info.value)
    (arg, value), = kwargs.items()
    assert f"Value of '{arg}' is not the name of a column in 'data_frame'" in msg
    assert repr(value) in msg and "'total_time_ms'" in msg
    assert isinstance(info.value, ValueError)


def test_slo_margins_needs_slo_frame(seed):
    with pytest.raises(ColumnError, match="'endpoint'"):
        plots.slo_margins(seed.runs)


def test_empty_frames_give_empty_figures(empty):
    assert all(len(t.x) == 0 for t in plots.latency_percentiles(empty.runs).data)
    assert len(plots.latency_timeline(empty.runs, results=empty).data) == 0
    assert all(len(t.x) == 0 for t in plots.error_rates(empty.runs).data)
    assert len(plots.slo_margins(empty.slo).data) == 2


def test_no_show_and_lazy_import():
    import inspect
    import subprocess
    import sys

    assert ".show(" not in inspect.getsource(plots)
    out = subprocess.run([sys.executable, "-c", "import sys, fault_nb.plots; print('plotly' in sys.modules)"],
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
    assert not math.isnan(0.0)


@pytest.mark.system("chromium")
def test_use_static_images_adds_a_real_png_to_every_figure():
    """kaleido drives the system Chromium (installed by scripts/sysdeps.sh)."""
    import base64

    import plotly.graph_objects as go
    import plotly.io as pio

    from fault_nb import plots

    before = pio.renderers.default
    try:
        # no JavaScript front-end here (like nbclient / fault-nb demo): the PNG copy is added
        assert plots.use_static_images() == "fault_nb+fault_nb_png"
        bundle = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))._repr_mimebundle_({}, {})
        png = bundle["image/png"]
        raw = base64.b64decode(png) if isinstance(png, str) else png
        assert raw[:8] == b"\x89PNG\r\n\x1a\n"
        assert "application/vnd.plotly.v1+json" in bundle
        # the HTML copy loads plotly.js itself; no page-wide script is displayed by activation
        assert "<script" in bundle["text/html"] and "plotly" in bundle["text/html"]
        assert plots.use_static_images(enable=False) == "fault_nb"
        assert "image/png" not in go.Figure()._repr_mimebundle_({}, {})
        # inside Voila (a JavaScript front-end) the PNG is left out even when kaleido works
        plots.use_static_images()
        monkey = pytest.MonkeyPatch()
        monkey.setenv("VOILA_BASE_URL", "/")
        try:
            assert "image/png" not in go.Figure(go.Bar(x=[1], y=[1]))._repr_mimebundle_({}, {})
        finally:
            monkey.undo()
    finally:
        pio.renderers.default = before


def test_latency_timeline_survives_a_huge_latency(seed):
    # a hung or corrupt run: 1e15 ms does not fit a pandas Timedelta
    import copy

    raw = copy.deepcopy(seed.raw)
    raw["results"][3]["results"][0]["results"][0]["metrics"]["total_time"] = 1e15
    r = Results.from_dict(raw)
    fig = plots.latency_timeline(r.runs, results=r)
    assert isinstance(fig, go.Figure) and fig.layout.shapes


def test_timeline_shades_a_dependency_fault(seed):
    """Requests that carried no fault but whose dependency was faulted get a window named after it."""
    import copy

    data = copy.deepcopy(seed.raw)
    for item, ir in zip(data["results"][0]["scenario"]["items"], data["results"][0]["results"]):
        item["context"]["faults"] = []
        for row in ir["results"]:
            row["faults"] = []
    healthy = Results.from_dict(data)
    assert not any("db" in s.name for s in plots.latency_timeline(healthy.runs, results=healthy).layout.shapes)
    degraded = healthy.with_dependency_faults("db", [{"type": "latency", "mean": 50.0}], scenarios=[0])
    names = [s.name for s in plots.latency_timeline(degraded.runs, results=degraded).layout.shapes]
    assert "db: latency" in names  # the legend names the window by its label (the first span carries it)
    assert sum(1 for n in names if n.endswith("db: latency")) == 3  # one window per item of scenario 0

def test_axis_titles_are_words_with_units():
    assert plots.axis_title("total_time_ms") == "Total time (ms)"
    assert plots.axis_title("start") == "Request start (UTC)"
    assert plots.axis_title("inventory") == "Inventory"
    assert plots.axis_title("queue_wait_ms") == "Queue wait (ms)"


def test_group_axis_is_named_after_the_group(seed):
    """Notebook 03 groups by a column of its own (healthy / degraded): no 'endpoint / faults' title."""
    runs = seed.runs.assign(inventory=["healthy", "degraded"] * (len(seed.runs) // 2) + ["healthy"] * (len(seed.runs) % 2))
    fig = plots.latency_percentiles(runs, group="inventory")
    assert {g for t in fig.data for g in t.y} == {"healthy", "degraded"}
    titles = [fig.layout[k].title.text for k in fig.layout if k.startswith(("xaxis", "yaxis"))]
    assert not any(t and "faults" in t for t in titles)


def test_figures_are_transparent_and_sized(seed):
    """Transparent backgrounds (the theme CSS paints the text), and a fixed height: JupyterLab draws
    the live chart at that height from the first render, nothing jumps."""
    for fig in (plots.latency_percentiles(seed.runs), plots.latency_timeline(seed.runs, results=seed),
                plots.error_rates(seed.runs), plots.slo_margins(seed.slo)):
        assert fig.layout.paper_bgcolor == "rgba(0,0,0,0)" and fig.layout.plot_bgcolor == "rgba(0,0,0,0)"
        assert isinstance(fig.layout.height, int) and fig.layout.height > 0
    # the height follows the rows: a floor of 300 px for a few, then each row's 5 bars (>= 9 px each) more

    def rates_height(rows: int) -> int:
        runs = seed.runs.assign(bucket=[f"group {i % rows}" for i in range(len(seed.runs))])
        fig = plots.error_rates(runs, by="bucket")
        assert len(fig.data[0].y) == rows
        return fig.layout.height

    assert rates_height(1) == rates_height(2) == 300
    assert rates_height(40) - rates_height(20) >= 20 * 5 * 9
    css = plots.theme_css()
    assert "--jp-ui-font-color1" in css and "!important" in css
