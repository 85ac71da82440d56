"""Summary numbers of a runs frame: requests, failures as users mean them, R-6 latency percentiles.

The one place that counts failures for the views: the explorer's summary line, the
error chart, the review evidence and the scenario review all read these numbers, so
they agree. fault's own report numbers (``Results.report()``) stay fault's.

A request **failed** when it got no answer, errored (fault's transport error), timed
out, answered 5xx, or missed its expectation: the runs frame's ``failed`` column.

>>> from fault_nb.results.stats import summarize_runs
>>> summarize_runs(results.runs).failure_rate  # doctest: +SKIP
0.42
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from .report import percentile

__all__ = ["RunsSummary", "summarize_runs", "summarize_by", "SUMMARY_COLUMNS"]

#: columns of :func:`summarize_by` after the group column(s)
SUMMARY_COLUMNS = ("requests", "failed", "transport_errors", "timed_out", "http_5xx", "expectation_failed",
                   "failure_rate", "transport_error_rate", "timeout_rate", "http_5xx_rate",
                   "expectation_failure_rate", "p50_ms", "p95_ms", "p99_ms", "max_ms")


@dataclass(frozen=True)
class RunsSummary:
    """Counts and latency of a set of requests (``Results.runs`` rows).

    ``transport_errors`` counts fault's ``errored`` plus requests that got no answer at
    all (no metrics); ``failed`` is the runs frame's ``failed`` column. Latency
    percentiles are R-6 over ``total_time_ms`` (NaN without a sample).
    """

    requests: int
    failed: int
    transport_errors: int
    timed_out: int
    http_5xx: int
    expectation_failed: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    def _rate(self, count: int) -> float:
        return count / self.requests if self.requests else 0.0

    @property
    def failure_rate(self) -> float:
        return self._rate(self.failed)

    @property
    def transport_error_rate(self) -> float:
        return self._rate(self.transport_errors)

    @property
    def timeout_rate(self) -> float:
        return self._rate(self.timed_out)

    @property
    def http_5xx_rate(self) -> float:
        return self._rate(self.http_5xx)

    @property
    def expectation_failure_rate(self) -> float:
        return self._rate(self.expectation_failed)

    def as_dict(self) -> dict[str, Any]:
        """Counts, rates and percentiles in :data:`SUMMARY_COLUMNS` order."""
        d = asdict(self)
        return {name: d[name] if name in d else getattr(self, name) for name in SUMMARY_COLUMNS}


def _count(runs, column: str, default: bool = False) -> int:
    if column not in runs.columns:
        return 0
    return int(runs[column].fillna(default).astype(bool).sum())


def summarize_runs(runs) -> RunsSummary:
    """Count the failures of ``runs`` and take its R-6 latency percentiles.

    >>> s = summarize_runs(results.runs)  # doctest: +SKIP
    >>> s.requests, s.failed, s.http_5xx, round(s.p95_ms, 1)  # doctest: +SKIP
    (42, 18, 18, 1311.2)
    """
    n = int(len(runs))
    no_answer = ~runs["has_metrics"].fillna(False).astype(bool) if "has_metrics" in runs.columns else None
    errored = runs["errored"].fillna(False).astype(bool) if "errored" in runs.columns else None
    if errored is not None and no_answer is not None:
        transport = int((errored | no_answer).sum())
    else:
        transport = _count(runs, "errored")
    sample = runs["total_time_ms"].to_numpy() if "total_time_ms" in runs.columns else ()
    valid = [float(v) for v in sample if v == v]
    return RunsSummary(
        requests=n, failed=_count(runs, "failed"), transport_errors=transport, timed_out=_count(runs, "timed_out"),
        http_5xx=_count(runs, "http_5xx"), expectation_failed=_count(runs, "expectation_failed"),
        p50_ms=percentile(valid, 50), p95_ms=percentile(valid, 95), p99_ms=percentile(valid, 99),
        max_ms=max(valid) if valid else math.nan)


def summarize_by(runs, by: str | list[str]):
    """One :class:`RunsSummary` row per group of ``runs`` (first-seen order), as a DataFrame.

    Columns: the ``by`` column(s), then :data:`SUMMARY_COLUMNS`.

    >>> summarize_by(results.runs, "fault_label")[["fault_label", "requests", "failure_rate"]]  # doctest: +SKIP
    """
    import pandas as pd

    keys = [by] if isinstance(by, str) else list(by)
    rows = []
    if len(runs):
        for key, part in runs.groupby(keys if len(keys) > 1 else keys[0], sort=False, dropna=False):
            key = key if isinstance(key, tuple) else (key,)
            rows.append({**dict(zip(keys, key)), **summarize_runs(part).as_dict()})
    return pd.DataFrame(rows, columns=[*keys, *SUMMARY_COLUMNS])
