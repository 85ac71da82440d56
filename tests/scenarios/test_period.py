"""C.6 periods and parse_duration strings."""
from __future__ import annotations

import pytest

from fault_nb.scenarios.period import (
    Offset, Period, normalise_period, parse_duration, parse_duration_strict, parse_period,
    parse_period_strict,
)


@pytest.mark.parametrize("text, seconds", [
    ("10s", 10.0), ("1m", 60.0), ("1.5 minutes", 90.0), ("2", 2.0), ("500ms", 0.5),
    ("1h 30m", 5400.0), ("1m30s", 90.0), ("2 hours", 7200.0), ("250 milliseconds", 0.25),
    ("1e1s", 10.0), ("3 SECONDS", 3.0), (5, 5.0),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "10 parsecs", "-1s", "1s-", None, True, [1]])
def test_parse_duration_rejects(text):
    assert parse_duration(text) is None
    with pytest.raises(ValueError):
        parse_duration_strict(text)


@pytest.mark.parametrize("text, normalised", [
    ("start:10%,duration:15%", "start:10%,duration:15%"),
    ("start:29%,duration:15%", "start:28%,duration:15%"),   # fault truncates 0.29*100
    ("start:1.5s,duration:2500ms", "start:1s,duration:2s"),  # whole seconds
    ("duration:5s", "start:0s,duration:5s"),                  # missing start prints 0s
    ("start:30s", "start:30s%"),                              # fault's stray '%'
    ("start:50%", "start:50%%"),
    ("start:30s%", "start:30s%"),                             # ...which we read back
    ("start:50%%", "start:50%%"),
    (" start : 1m , duration : 10% ", "start:60s,duration:10%"),
    ("start:10%,duration:20%;start:60%,duration:5%", "start:10%,duration:20%"),  # first only
])
def test_normalise_period(text, normalised):
    assert normalise_period(text) == normalised
    # the normalised form is stable
    assert normalise_period(normalised) == normalised


@pytest.mark.parametrize("text, needle", [
    ("begin:10%", "unknown period key 'begin'"),
    ("start10%", "is not key:value"),
    ("start:soon", "start value 'soon'"),
    ("start:-5%", "start value '-5%'"),
    ("", "empty period"),
    (12, "must be a string"),
])
def test_invalid_periods_are_explained(text, needle):
    assert parse_period(text) is None
    with pytest.raises(ValueError, match=needle):
        parse_period_strict(text)


def test_period_structure_and_window():
    p = parse_period("start:10%,duration:15%")
    assert p == Period(Offset(0.1, "%"), Offset(0.15, "%"))
    assert p.start.is_fraction and p.window(10.0) == pytest.approx((1.0, 2.5))
    q = parse_period("start:2s,duration:1m")
    assert q.window() == (2.0, 62.0) and q.window(10.0) == (2.0, 62.0)
    assert parse_period("start:3s").window() == (3.0, None)
    assert parse_period("duration:50%").window(4.0) == (0.0, 2.0)
    with pytest.raises(ValueError, match="needs the load duration"):
        p.window(None)
