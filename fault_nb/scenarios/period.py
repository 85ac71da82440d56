"""Fault schedules (``period``, spec C.6) and parse_duration strings.

A period is ``start:<v>,duration:<v>`` where each value is ``<number>%`` (a
fraction of the load duration) or a parse_duration string (``30s``, ``5m``,
``500ms``, a bare number = seconds). Several periods may be separated by
``;``: fault only uses the first, so do we.

fault prints a parsed period back in a normalised form (whole seconds,
truncated percentages, a missing start as ``0s``) and writes a start-only
period with a stray ``%`` (``start:30s%``) that fault itself can no longer
read. :attr:`Period.text` reproduces that form byte for byte so the files we
write match fault's; :func:`parse_period` reads it back (we tolerate the stray
``%``), so a start-only period survives a round trip through our tools.

Where we differ from fault: invalid text is reported (``parse_period_strict``
raises, the scenario loader drops the period with a warning) instead of being
silently ignored, and every fault keeps its own period (the runner schedules
each fault by its own window).

>>> p = parse_period("start:10%,duration:15%")
>>> p.text, p.window(10.0)
('start:10%,duration:15%', (1.0, 2.5))
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = [
    "Offset", "Period", "parse_period", "parse_period_strict", "normalise_period",
    "parse_duration", "parse_duration_strict",
]

# parse_duration (the Rust crate fault uses): "<number>[ ]<unit>" terms, summed
_UNIT_SECONDS = {}
for _names, _secs in (
    (("nanoseconds", "nanosecond", "nanos", "nano", "nsecs", "nsec", "ns"), 1e-9),
    (("microseconds", "microsecond", "micros", "micro", "usecs", "usec", "us", "µs", "μs"), 1e-6),
    (("milliseconds", "millisecond", "millis", "milli", "msecs", "msec", "ms"), 1e-3),
    (("seconds", "second", "secs", "sec", "s"), 1.0),
    (("minutes", "minute", "mins", "min", "m"), 60.0),
    (("hours", "hour", "hrs", "hr", "h"), 3600.0),
    (("days", "day", "d"), 86400.0),
    (("weeks", "week", "w"), 604800.0),
    (("months", "month", "mon"), 2629746.0),
    (("years", "year", "yrs", "yr", "y"), 31556952.0),
):
    for _n in _names:
        _UNIT_SECONDS[_n] = _secs

_NUMBER = r"(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TERM = re.compile(rf"\s*({_NUMBER})\s*([^\d\s.,+-][^\d\s.,]*)?\s*,?")
_PERCENT = re.compile(rf"\+?({_NUMBER})%")


def parse_duration_strict(text: object) -> float:
    """Seconds in a parse_duration string; raise ``ValueError`` saying why it is invalid.

    >>> parse_duration_strict("1.5 minutes")
    90.0
    """
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ValueError(f"expected a duration string such as '10s', got {text!r}")
    if isinstance(text, (int, float)):
        if not math.isfinite(text) or text < 0:
            raise ValueError(f"a duration must be a finite number >= 0, got {text!r}")
        return float(text)
    s = text.strip()
    if not s:
        raise ValueError("empty duration")
    pos, total = 0, 0.0
    while pos < len(s):
        m = _TERM.match(s, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read {s[pos:]!r} in duration {text!r}")
        unit = (m.group(2) or "s").lower()
        if unit not in _UNIT_SECONDS:
            raise ValueError(f"unknown time unit {m.group(2)!r} in duration {text!r}")
        total += float(m.group(1)) * _UNIT_SECONDS[unit]
        pos = m.end()
    return total


def parse_duration(text: object) -> float | None:
    """Seconds in a parse_duration string (``10s``, ``1m``, ``1.5 minutes``, ``2``), or None.

    >>> parse_duration("1m 30s"), parse_duration("soon")
    (90.0, None)
    """
    try:
        return parse_duration_strict(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class Offset:
    """A period value: seconds (``unit == "s"``) or a fraction of the run (``unit == "%"``, 0.1 = 10%)."""

    value: float
    unit: str

    @property
    def is_fraction(self) -> bool:
        return self.unit == "%"

    def seconds(self, run_seconds: float | None = None) -> float:
        """This offset in seconds; fractions need the load ``run_seconds``."""
        if not self.is_fraction:
            return self.value
        if run_seconds is None:
            raise ValueError("a percentage period needs the load duration to be resolved")
        return self.value * run_seconds

    @property
    def text(self) -> str:
        # fault prints Duration::as_secs() and trunc(fraction * 100): 29% -> 28%
        if self.is_fraction:
            return f"{math.trunc(self.value * 100.0)}%"
        return f"{math.trunc(self.value)}s"


@dataclass(frozen=True)
class Period:
    """When a fault is active inside a load run (``start`` default 0, no ``duration`` = to the end)."""

    start: Offset | None = None
    duration: Offset | None = None

    @property
    def text(self) -> str:
        """fault's normalised form (what fault writes back into YAML and results.json)."""
        start = self.start.text if self.start is not None else "0s"
        if self.duration is None:
            return f"start:{start}%"  # fault's stray '%' on start-only periods
        return f"start:{start},duration:{self.duration.text}"

    def window(self, run_seconds: float | None = None) -> tuple[float, float | None]:
        """``(start_s, end_s | None)`` relative to the start of the schedule.

        >>> parse_period("start:2s,duration:50%").window(10.0)
        (2.0, 7.0)
        """
        start = self.start.seconds(run_seconds) if self.start is not None else 0.0
        if self.duration is None:
            return (start, None)
        return (start, start + self.duration.seconds(run_seconds))


def _offset(key: str, value: str, source: str) -> Offset:
    if value.endswith("%%"):  # fault's own start-only output, e.g. "start:50%%"
        value = value[:-1]
    m = _PERCENT.fullmatch(value)
    if m:
        return Offset(float(m.group(1)) / 100.0, "%")
    if value.endswith("%") and value[:-1].strip() and value[-2:-1].isalpha():
        value = value[:-1]  # "start:30s%": the stray '%' fault writes
    try:
        return Offset(parse_duration_strict(value), "s")
    except ValueError as exc:
        raise ValueError(f"{key} value {value!r} in period {source!r}: {exc}") from None


def parse_period_strict(text: object) -> Period:
    """Parse a period string; raise ``ValueError`` explaining what is wrong.

    >>> parse_period_strict("start:30s%")   # fault's start-only output reads back
    Period(start=Offset(value=30.0, unit='s'), duration=None)
    """
    if not isinstance(text, str):
        raise ValueError(f"a period must be a string such as 'start:10%,duration:20%', got {text!r}")
    first = text.split(";", 1)[0].strip()
    if not first:
        raise ValueError("empty period")
    found: dict[str, Offset] = {}
    for part in first.split(","):
        key, sep, value = part.partition(":")
        key, value = key.strip(), value.strip()
        if not sep:
            raise ValueError(f"{part.strip()!r} in period {text!r} is not key:value")
        if key not in ("start", "duration"):
            raise ValueError(f"unknown period key {key!r} in {text!r} (expected start or duration)")
        found[key] = _offset(key, value, text)
    return Period(found.get("start"), found.get("duration"))


def parse_period(text: object) -> Period | None:
    """Parse a period string, or None when fault would silently ignore it.

    >>> parse_period("start:5s").text
    'start:5s%'
    >>> parse_period("begin:5s") is None
    True
    """
    try:
        return parse_period_strict(text)
    except ValueError:
        return None


def normalise_period(text: object) -> str | None:
    """fault's re-printed form of a period string, or None if fault would drop it.

    >>> normalise_period("start:29%, duration:1.5m")
    'start:28%,duration:90s'
    """
    period = parse_period(text)
    return None if period is None else period.text
