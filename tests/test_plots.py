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
    assert [t.name for t in fig.data] == ["p50", "p95", "p99"]
    p50 = fig.data[0]
    pairs = list(zip(p50.x[0], p50.x[1]))
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


def test_latency_percentiles_custom_columns(seed):
    fig = plots.latency_percentiles(seed.runs, x="scenario_title", group=None, percentiles=(50,))
    assert len(fig.data) == 1 and len(fig.data[0].x) == 6
    assert fig.data[0].x[0] == "Latency spike on every endpoint"


def test_latency_timeline_shades_fault_windows(seed):
    fig = plots.latency_timeline(seed.runs, results=seed)
    points = sum(len(t.x) for t in fig.data)
    assert points == int(seed.runs.total_time_ms.notna().sum())
    assert {t.name for t in fig.data} == set(seed.operation_ids)
    shapes = fig.layout.shapes
    labels = [a.text for a in fig.layout.annotations]
    # 13 items with faults; the pulsed load item gives 3 windows instead of 1
    assert len(shapes) == 15
    assert labels.count("latency") >= 3
    pulse = [s for s in shapes if s.name and s.name.startswith("3.0 ")]
    assert len(pulse) == 3
    starts = sorted(s.x0 for s in pulse)
    # start:10% / 40% / 70% of a 3 s load: 0.9 s apart
    assert (starts[1] - starts[0]).total_seconds() == pytest.approx(0.9)
    assert (pulse[0].x1 - pulse[0].x0).total_seconds() == pytest.approx(0.45)


def test_latency_timeline_marks_failed_requests(seed):
    fig = plots.latency_timeline(seed.runs)
    symbols = [s for t in fig.data for s in t.marker.symbol]
    bad = int(seed.runs.failed[seed.runs.total_time_ms.notna()].sum())
    assert symbols.count("x") == bad > int((seed.runs.errored | seed.runs.timed_out).sum()) > 0  # 5xx too
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
    assert list(fig.data[0].x) == scen
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
    assert tuple(fig.layout.yaxis.range) == (0, 100)


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
        assert plots.use_static_images() == "plotly_mimetype+notebook_connected+fault_nb_png"
        bundle = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))._repr_mimebundle_({}, {})
        png = bundle["image/png"]
        raw = base64.b64decode(png) if isinstance(png, str) else png
        assert raw[:8] == b"\x89PNG\r\n\x1a\n"
        assert "application/vnd.plotly.v1+json" in bundle
        assert plots.use_static_images(enable=False) == "plotly_mimetype+notebook_connected"
        assert "image/png" not in go.Figure()._repr_mimebundle_({}, {})
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
    assert not any(s.name.startswith("0.") for s in plots.latency_timeline(healthy.runs, results=healthy).layout.shapes)
    degraded = healthy.with_dependency_faults("db", [{"type": "latency", "mean": 50.0}], scenarios=[0])
    names = [s.name for s in plots.latency_timeline(degraded.runs, results=degraded).layout.shapes]
    assert "0.0 db: latency" in names
