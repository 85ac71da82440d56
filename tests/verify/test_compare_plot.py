"""plots.compare: before/after per cell, interval whiskers, verdict colours, units on the axes."""
from __future__ import annotations

import numpy as np
import pytest

from fault_nb import plots
from fault_nb.errors import FaultNbError
from fault_nb.verify import compare
from fault_nb.verify._plot import COLOURS
from fault_nb.verify._simulate import results_from_samples


@pytest.fixture(scope="module")
def comparison():
    rng = np.random.default_rng(3)
    n = 120
    before = results_from_samples([{"operation_id": "fast", "latency": rng.normal(400, 40, n)},
                                   {"operation_id": "same", "latency": rng.normal(100, 10, n)}])
    after = results_from_samples([{"operation_id": "fast", "latency": rng.normal(150, 20, n),
                                   "status": np.where(rng.random(n) < 0.4, 504, 200)},
                                  {"operation_id": "same", "latency": rng.normal(100, 10, n)}])
    return compare(before, after)


def test_before_after_whiskers_colours_and_units(comparison):
    fig = plots.compare(comparison)
    names = [t.name for t in fig.data]
    assert names.count("before") == 2 and "after: improved" in names and "after: regressed" in names
    improved = next(t for t in fig.data if t.name == "after: improved")
    regressed = next(t for t in fig.data if t.name == "after: regressed")
    assert improved.marker.color == COLOURS["improved"] and regressed.marker.color == COLOURS["regressed"]
    t = comparison.table
    row = t[(t.operation_id == "fast") & (t.metric == "p50_ms")].iloc[0]
    i = list(improved.x[1]).index("p50_ms")
    # the whisker spans before + ci_low .. before + ci_high around the after value
    assert improved.y[i] + improved.error_y.array[i] == pytest.approx(row.before + row.ci_high)
    assert improved.y[i] - improved.error_y.arrayminus[i] == pytest.approx(row.before + row.ci_low)
    assert fig.layout.yaxis.title.text == "latency (ms)"
    assert fig.layout.yaxis2.title.text == "share of requests (%)"
    assert "95% interval" in fig.layout.title.text


def test_metric_filter_and_unknown_metric(comparison):
    fig = plots.compare(comparison, metrics=["p95_ms"], title=None)
    assert {m for t in fig.data for m in t.x[1]} == {"p95_ms"} and "yaxis2" not in fig.layout
    with pytest.raises(FaultNbError, match="unknown metric.*p98_ms"):
        plots.compare(comparison, metrics=["p98_ms"])
