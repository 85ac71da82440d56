"""Compare two runs of the same scenarios: per cell and metric, the change with its interval.

A *cell* is one scenario item, matched across the two runs by its endpoint
(operationId, else ``METHOD path``), its fault label and its strategy; when a
run has several items with the same three, they match in file order. Each
cell gives one row per metric:

* ``p50_ms``, ``p95_ms``, ``p99_ms``: R-6 percentiles of ``total_time`` over
  every request with metrics, failures included (as fault's report does);
* ``error_rate``: transport errors and timeouts (and calls never sent), in %;
* ``http_5xx_rate``: responses with status 500-599, in %;
* ``slo:<title>``: each SLO of the item, pass or fail, with fault's measured value.

``delta = after - before``; lower is better for every metric. How the
intervals, p-values and claims are computed is in :mod:`fault_nb.verify._stats`
and docs/compare.md: bootstrap (paired when both runs used the same fault
seed), Newcombe's hybrid score for rates, Benjamini-Hochberg across rows, no
claim from fewer than 10 samples a side, and no latency claim whose interval
does not clear the noise floor (``min_effect_ms``, ``min_effect_pct``).

>>> import fault_nb
>>> cmp = fault_nb.compare("before.json", "after.json")  # doctest: +SKIP
>>> cmp.table.query("verdict != 'no-change'")  # doctest: +SKIP
"""
from __future__ import annotations

import html
import json
import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..errors import CompareError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from ..results import Results

LATENCY_METRICS = {"p50_ms": 50.0, "p95_ms": 95.0, "p99_ms": 99.0}
RATE_METRICS = ("error_rate", "http_5xx_rate")
METRICS = (*LATENCY_METRICS, *RATE_METRICS)
COLUMNS = (
    "operation_id", "fault", "strategy", "scenario", "item_before", "item_after", "metric", "unit",
    "before", "after", "delta", "ci_low", "ci_high", "n_before", "n_after", "p_value", "method",
    "verdict", "note",
)
VERDICTS = ("improved", "regressed", "no-change")
MIN_N = 10  # fewer samples than this on a side: no claim
# The noise floor of a latency claim: its interval must lie wholly beyond +-max(MIN_EFFECT_MS,
# MIN_EFFECT_PCT % of before). Scheduling and timer noise moves the p50 of a few-ms local endpoint
# by a millisecond or two between two runs of the same app (docs/compare.md, "Noise floor").
MIN_EFFECT_MS = 2.0
MIN_EFFECT_PCT = 1.0
BOOTSTRAP_SEED = 20_240_611  # fixed: the same two runs always give the same intervals
_PAIRED_BATCH = 128  # paired cells of one size computed together (bounds the draws held at once)


@dataclass
class _Cell:
    endpoint: str
    fault: str
    strategy: str
    scenario: str
    item: str  # "scenario_idx.item_idx" in its own file
    latency: "np.ndarray"  # total_time_ms per request, NaN without metrics (index = request index)
    failed: "np.ndarray"  # transport error, timeout or not sent
    errored: "np.ndarray"  # metrics.errored (what fault's error SLO counts)
    http5xx: "np.ndarray"
    requests_count: int
    slos: dict[str, dict] = field(default_factory=dict)
    config: dict = field(default_factory=dict)


@dataclass
class _Side:
    label: str
    source: str
    seed: int | None
    cells: dict[tuple, _Cell]


def _load(side: Any, label: str) -> "Results":
    from ..results import Results, load_results

    if isinstance(side, Results):
        return side
    if isinstance(side, (str, os.PathLike)):
        return load_results(side)
    raise CompareError(f"{label}: expected a Results or the path of a results file, "
                       f"got {type(side).__name__}")


def _seed_of(results: "Results") -> int | None:
    seed = (results.extras or {}).get("seed")
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def _fault_labels(results: "Results") -> dict[tuple[int, int], str]:
    """The fault label of each item, as the charts show it: the items frame's ``fault_label``
    column where the results package provides it (it also names a dependency's faults),
    else the charts' own label of the item's fault types."""
    items = results.items
    if "fault_label" in items.columns:
        return {(int(si), int(ii)): str(label)
                for si, ii, label in zip(items["scenario_idx"], items["item_idx"], items["fault_label"])}
    from ..plots import _fault_key

    return {(int(si), int(ii)): label
            for si, ii, label in zip(items["scenario_idx"], items["item_idx"], _fault_key(items["fault_types"]))}


def _endpoint(opid: str | None, call: dict) -> str:
    if opid:
        return opid
    return f"{call.get('method', '')} {urlsplit(str(call.get('url', ''))).path or '/'}"


def _item_config(item: dict) -> dict:
    ctx = item.get("context") or {}
    return {"faults": ctx.get("faults") or [], "strategy": ctx.get("strategy") or {"mode": "single"},
            "slo": ctx.get("slo") or [], "expect": item.get("expect"),
            "method": (item.get("call") or {}).get("method"),
            "path": urlsplit(str((item.get("call") or {}).get("url", ""))).path}


def _side(results: "Results", label: str) -> _Side:
    import numpy as np

    from ..results.frames import OperationIds

    runs = results.runs
    where = f"{label} ({results.source})"
    if not len(runs):
        raise CompareError(f"{where}: no requests to compare (the run is empty)")
    has = runs["has_metrics"].to_numpy(dtype=bool)
    errored = runs["errored"].to_numpy(dtype=bool)
    timed_out = runs["timed_out"].to_numpy(dtype=bool)
    failed = ~has | errored | timed_out
    if failed.all():
        raise CompareError(f"{where}: all {len(runs)} requests failed with a transport error or a timeout, "
                           "so nothing answered: was the app running and reachable?")
    latency = np.where(has, runs["total_time_ms"].to_numpy(dtype=float), np.nan)
    status = runs["status"].to_numpy(dtype="float64", na_value=np.nan)
    http5xx = (status >= 500) & (status <= 599)
    slo_rows: dict[tuple[int, int], dict[str, dict]] = {}
    slo = results.slo
    if len(slo):
        for rec in slo.to_dict("records"):
            slo_rows.setdefault((rec["scenario_idx"], rec["item_idx"]), {})[str(rec["title"])] = rec
    ids = OperationIds(results.raw)
    labels = _fault_labels(results)
    cells: dict[tuple, _Cell] = {}
    seen: dict[tuple, int] = {}
    start = 0
    for si, sr in enumerate(results.raw["results"]):
        scen = sr["scenario"]
        for ii, (item, ir) in enumerate(zip(scen["items"], sr["results"])):
            n = len(ir["results"])
            sl = slice(start, start + n)
            start += n
            ctx = item.get("context") or {}
            base = (_endpoint(ids(item["call"])[0], item["call"]), labels[(si, ii)],
                    str((ctx.get("strategy") or {}).get("mode", "single")))
            occurrence = seen.get(base, 0)
            seen[base] = occurrence + 1
            cells[(*base, occurrence)] = _Cell(
                endpoint=base[0], fault=base[1], strategy=base[2], scenario=str(scen.get("title", "")),
                item=f"{si}.{ii}", latency=latency[sl], failed=failed[sl], errored=errored[sl] & has[sl],
                http5xx=http5xx[sl], requests_count=int(ir.get("requests_count", n)),
                slos=slo_rows.get((si, ii), {}), config=_item_config(item))
    return _Side(label, results.source, _seed_of(results), cells)


# ---------------------------------------------------------------------------- the rows
@dataclass
class _Row:
    values: dict
    test: str | None = None  # "boot" | "rate" | None (no test)
    data: Any = None
    slo_pass: tuple[bool, bool] | None = None
    floor: float = 0.0  # the noise floor a claim's interval must clear (latency rows), in the row's unit


def _base_values(key: tuple, b: _Cell | None, a: _Cell | None) -> dict:
    return {"operation_id": key[0], "fault": key[1], "strategy": key[2],
            "scenario": (b.scenario if b is not None else a.scenario),
            "item_before": b.item if b is not None else "", "item_after": a.item if a is not None else ""}


def _finite(x: "np.ndarray") -> "np.ndarray":
    import numpy as np

    return x[np.isfinite(x)]


def _r6(x: "np.ndarray", p: float) -> float:
    import numpy as np

    from ..results.report import r6_percentile

    return float(r6_percentile(x if _is_sorted(x) else np.sort(x), p)[0]) if len(x) else math.nan


def _is_sorted(x: "np.ndarray") -> bool:
    return bool(len(x) < 2 or (x[1:] >= x[:-1]).all())


def _floor_at(floor: tuple[float, float], before: float) -> float:
    """The noise floor of a latency row: max(min_effect_ms, min_effect_pct % of its before value)."""
    return max(floor[0], abs(before) * floor[1] / 100.0)


def _cell_rows(key: tuple, b: _Cell | None, a: _Cell | None, paired: bool,
               floor: tuple[float, float] = (0.0, 0.0)) -> list[_Row]:
    """The rows of one cell; ``floor`` is (min_effect_ms, min_effect_pct) for its latency rows."""
    import numpy as np

    from . import _stats

    base = _base_values(key, b, a)
    rows: list[_Row] = []
    one_sided = None
    if b is None or a is None:
        one_sided = ("only in the after run (no matching cell before)" if b is None
                     else "only in the before run (no matching cell after)")
    n_common = min(len(b.latency), len(a.latency)) if b is not None and a is not None else 0
    pair_ok = paired and one_sided is None
    if pair_ok:
        both = np.isfinite(b.latency[:n_common]) & np.isfinite(a.latency[:n_common])
        pairs = (b.latency[:n_common][both], a.latency[:n_common][both])
    xb = np.sort(_finite(b.latency)) if b is not None else np.empty(0)
    xa = np.sort(_finite(a.latency)) if a is not None else np.empty(0)
    for metric, p in LATENCY_METRICS.items():
        v = dict(base, metric=metric, unit="ms", before=_r6(xb, p) if b is not None else math.nan,
                 after=_r6(xa, p) if a is not None else math.nan, n_before=len(xb), n_after=len(xa))
        row = _Row(v)
        if one_sided:
            v["note"] = one_sided
        elif min(len(xb), len(xa)) < MIN_N:
            v["note"] = f"fewer than {MIN_N} requests with a latency on a side (before {len(xb)}, after {len(xa)}): no claim"
        elif min(len(xb), len(xa)) < _stats.min_n_for(p):
            v["note"] = _tail_note(p, len(xb), len(xa))
        elif pair_ok and len(pairs[0]) >= _stats.min_n_for(p):
            row.test, row.data = "boot-paired", (pairs, p)
            v["method"] = "paired bootstrap"
            if len(pairs[0]) < max(len(xb), len(xa)):
                v["note"] = f"paired on the {len(pairs[0])} request indices with a latency on both sides"
        else:
            row.test, row.data = "boot", (xb, xa, p)
            v["method"] = "bootstrap"
        if row.test:
            row.floor = _floor_at(floor, v["before"])
        rows.append(row)
    for metric, flag in (("error_rate", "failed"), ("http_5xx_rate", "http5xx")):
        fb = getattr(b, flag) if b is not None else None
        fa = getattr(a, flag) if a is not None else None
        rows.append(_rate_row(dict(base, metric=metric, unit="%"), fb, fa, one_sided, pair_ok, n_common))
    titles = list(b.slos) if b is not None else []
    titles += [t for t in (a.slos if a is not None else {}) if t not in titles]
    for title in titles:
        rows.append(_slo_row(base, title, b, a, one_sided, pair_ok, n_common, floor))
    return rows


def _rate_row(v: dict, fb, fa, one_sided: str | None, pair_ok: bool, n_common: int) -> _Row:
    import numpy as np

    nb = 0 if fb is None else len(fb)
    na = 0 if fa is None else len(fa)
    v.update(before=100.0 * fb.sum() / nb if nb else math.nan, after=100.0 * fa.sum() / na if na else math.nan,
             n_before=nb, n_after=na)
    row = _Row(v)
    if one_sided:
        v["note"] = one_sided
    elif min(nb, na) < MIN_N:
        v["note"] = f"fewer than {MIN_N} requests on a side (before {nb}, after {na}): no claim"
    elif pair_ok and n_common >= MIN_N:
        row.test, row.data = "rate-paired", (np.asarray(fb[:n_common], bool), np.asarray(fa[:n_common], bool))
        v["method"] = "Newcombe paired score"
        if n_common < max(nb, na):
            v["note"] = f"paired on the first {n_common} request indices"
    else:
        row.test, row.data = "rate", (int(fb.sum()), nb, int(fa.sum()), na)
        v["method"] = "Newcombe hybrid score"
    return row


def _slo_row(base: dict, title: str, b: _Cell | None, a: _Cell | None, one_sided: str | None,
             pair_ok: bool, n_common: int, floor: tuple[float, float] = (0.0, 0.0)) -> _Row:
    import numpy as np

    from . import _stats

    sb = b.slos.get(title) if b is not None else None
    sa = a.slos.get(title) if a is not None else None
    spec = sb or sa
    kind, unit = spec["slo_type"], spec["unit"]
    v = dict(base, metric=f"slo:{title}", unit=unit,
             before=float(sb["measured"]) if sb else math.nan, after=float(sa["measured"]) if sa else math.nan)
    row = _Row(v)
    if sb and sa:
        row.slo_pass = (bool(sb["pass"]), bool(sa["pass"]))
    status = f"{_pf(sb)} → {_pf(sa)}"
    if kind == "latency":
        xb = _finite(b.latency) if b is not None else np.empty(0)
        xa = _finite(a.latency) if a is not None else np.empty(0)
        p = float(spec["objective"])
    else:
        xb = b.errored if b is not None else np.empty(0, bool)
        xa = a.errored if a is not None else np.empty(0, bool)
    v.update(n_before=len(xb), n_after=len(xa))
    if one_sided or sb is None or sa is None:
        v["note"] = f"{status}; " + (one_sided or "this SLO is defined on one side only")
        return row
    if min(len(xb), len(xa)) < MIN_N:
        v["note"] = f"{status}; fewer than {MIN_N} requests on a side: no claim"
        return row
    if kind == "latency":
        if min(len(xb), len(xa)) < _stats.min_n_for(p):
            v["note"] = f"{status}; " + _tail_note(p, len(xb), len(xa))
            return row
        if pair_ok:
            both = np.isfinite(b.latency[:n_common]) & np.isfinite(a.latency[:n_common])
            pairs = (b.latency[:n_common][both], a.latency[:n_common][both])
            if len(pairs[0]) >= _stats.min_n_for(p):
                row.test, row.data = "boot-paired", (pairs, p)
                v["method"] = "paired bootstrap"
        if row.test is None:
            row.test, row.data = "boot", (xb, xa, p)
            v["method"] = "bootstrap"
        row.floor = _floor_at(floor, v["before"])
    else:
        # fault's error SLO: metrics.errored over requests_count, in %
        if pair_ok and n_common >= MIN_N:
            row.test, row.data = "rate-paired", (xb[:n_common], xa[:n_common])
            v["method"] = "Newcombe paired score"
        else:
            row.test, row.data = "rate", (int(xb.sum()), b.requests_count, int(xa.sum()), a.requests_count)
            v["method"] = "Newcombe hybrid score"
    v["note"] = status
    return row


def _tail_note(p: float, nb: int, na: int) -> str:
    from . import _stats

    return (f"p{p:g} needs at least {_stats.min_n_for(p)} requests a side ({_stats.MIN_TAIL} above it) for an "
            f"interval (before {nb}, after {na}): no claim")


def _pf(slo: dict | None) -> str:
    return "—" if slo is None else ("pass" if slo["pass"] else "fail")


def _run_tests(rows: list[_Row], confidence: float) -> None:
    """Fill ``delta``, ``ci_low``, ``ci_high``, ``p_value`` of every row, all tests batched."""
    import numpy as np

    from . import _stats

    rng = np.random.default_rng(BOOTSTRAP_SEED)
    for r in rows:
        r.values["delta"] = r.values["after"] - r.values["before"]
        r.values.setdefault("ci_low", math.nan)
        r.values.setdefault("ci_high", math.nan)
        r.values.setdefault("p_value", math.nan)
    # unpaired bootstrap: batched per percentile, both sides drawn through the order statistics
    boot = [r for r in rows if r.test == "boot"]
    for p in sorted({r.data[2] for r in boot}):
        group = [r for r in boot if r.data[2] == p]
        db = _stats.boot_r6_unpaired([r.data[0] for r in group], p, _stats.B_UNPAIRED, rng)
        da = _stats.boot_r6_unpaired([r.data[1] for r in group], p, _stats.B_UNPAIRED, rng)
        _store(group, *_stats.boot_summary(da - db, confidence))
    # paired bootstrap: one set of joint resamples per cell serves every percentile of that cell,
    # and cells with the same number of pairs share it (the resampling does not depend on the values),
    # so they are computed together; the resamples are drawn in cell order, whatever the batching
    paired = [r for r in rows if r.test == "boot-paired"]
    by_pairs: dict[int, list[_Row]] = {}
    for r in paired:
        by_pairs.setdefault(id(r.data[0][0]), []).append(r)
    counts: dict[int, "np.ndarray"] = {}
    shared: dict[int, list[list[_Row]]] = {}
    for group in by_pairs.values():
        (xb, xa), ps = group[0].data[0], [r.data[1] for r in group]
        if len(xb) * _stats.B_PAIRED <= _stats.MAX_COUNTS:
            if len(xb) not in counts:
                counts[len(xb)] = _stats.resample_counts(len(xb), _stats.B_PAIRED, rng)
            shared.setdefault(len(xb), []).append(group)
        else:  # a large cell: its own resamples, in blocks of bounded memory
            draws = _stats.boot_r6_paired(xb, xa, ps, _stats.B_PAIRED, rng)
            _store(group, *_stats.boot_summary(draws, confidence))
    for n, groups in shared.items():
        for start in range(0, len(groups), _PAIRED_BATCH):
            batch = groups[start:start + _PAIRED_BATCH]
            draws = _stats.boot_r6_paired_shared(
                [(*g[0].data[0], [r.data[1] for r in g]) for g in batch], counts[n])
            _store([r for g in batch for r in g], *_stats.boot_summary(np.concatenate(draws), confidence))
    rate = [r for r in rows if r.test == "rate"]
    if rate:
        xb, nb, xa, na = (np.array([r.data[i] for r in rate], dtype=float) for i in range(4))
        lo, hi, p, _ = _stats.newcombe_unpaired(xb, nb, xa, na, confidence)
        _store(rate, lo * 100.0, hi * 100.0, p)
    rate_p = [r for r in rows if r.test == "rate-paired"]
    if rate_p:
        lo, hi, p, _ = _stats.newcombe_paired([r.data[0] for r in rate_p], [r.data[1] for r in rate_p], confidence)
        _store(rate_p, lo * 100.0, hi * 100.0, p)


def _store(group: list[_Row], lo, hi, p) -> None:
    for r, a, b, c in zip(group, lo, hi, p):
        r.values.update(ci_low=float(a), ci_high=float(b), p_value=float(c))


def _verdicts(rows: list[_Row], confidence: float) -> int:
    """Benjamini-Hochberg over every tested row, then the noise floor of latency rows (a claim's
    interval must lie wholly beyond it, as criterion.rs does); returns how many rows were tested."""
    import numpy as np

    from . import _stats

    pvals = np.array([r.values["p_value"] if r.test else math.nan for r in rows], dtype=float)
    claims = _stats.benjamini_hochberg(pvals, 1.0 - confidence)
    m = int(np.sum(~np.isnan(pvals)))
    for r, claim in zip(rows, claims):
        v = r.values
        v.setdefault("method", "")
        note = v.get("note", "")
        verdict = "no-change"
        if r.test:
            delta = v["delta"]
            excludes = v["ci_low"] > 0 or v["ci_high"] < 0
            floored = bool(claim and r.floor and not (v["ci_low"] > r.floor or v["ci_high"] < -r.floor))
            if floored:
                claim = False
                extra = (f"significant, but the interval does not clear the noise floor of "
                         f"±{_num(r.floor, v['unit'])}: no claim")
                note = f"{note}; {extra}" if note else extra
            if r.slo_pass is not None:
                before_ok, after_ok = r.slo_pass
                if claim and not before_ok and after_ok and delta < 0:
                    verdict = "improved"
                elif claim and before_ok and not after_ok and delta > 0:
                    verdict = "regressed"
                elif claim:
                    note += "; the measured value changed, the SLO outcome did not"
                elif before_ok != after_ok and not floored:
                    note += "; within noise (the change is not significant)"
            elif floored:
                pass
            elif claim and delta < 0:
                verdict = "improved"
            elif claim and delta > 0:
                verdict = "regressed"
            elif excludes:
                extra = (f"the {confidence:.0%} interval excludes 0, but not after the Benjamini-Hochberg "
                         f"adjustment over {m} tested rows")
                note = f"{note}; {extra}" if note else extra
            else:
                extra = "within noise (the interval includes 0)"
                note = f"{note}; {extra}" if note else extra
        v["verdict"] = verdict
        v["note"] = note
    return m


# ---------------------------------------------------------------------------- public API
def compare(before: Any, after: Any, *, confidence: float = 0.95, min_effect_ms: float = MIN_EFFECT_MS,
            min_effect_pct: float = MIN_EFFECT_PCT) -> "Comparison":
    """Compare two runs of the same scenarios, cell by cell, with intervals and verdicts.

    ``before`` and ``after`` are :class:`~fault_nb.results.Results` or paths of
    results files. When both runs used the same fault seed
    (``run_scenarios(..., seed=N)``), requests pair by index and the intervals
    use the paired difference; ``Comparison.method`` says which was used.
    Claims (``improved``/``regressed``) are Benjamini-Hochberg-adjusted at
    ``q = 1 - confidence`` across the rows, and never made from fewer than 10
    samples a side. A latency row claims only when its interval lies wholly beyond
    the noise floor ``±max(min_effect_ms, min_effect_pct % of before)`` (2 ms, 1 %
    by default; 0 and 0 turn it off): two runs of the same app differ by that much.

    Raises :class:`~fault_nb.errors.CompareError` for an empty side, a side where
    every request failed without an answer, or runs that share no endpoint.

    >>> cmp = compare("before.json", "after.json")  # doctest: +SKIP
    >>> cmp.summary()  # doctest: +SKIP
    """
    import pandas as pd

    if not (isinstance(confidence, (int, float)) and 0.5 <= float(confidence) < 1.0):
        raise CompareError(f"confidence must be a number in [0.5, 1), got {confidence!r}")
    confidence = float(confidence)
    for name, value in (("min_effect_ms", min_effect_ms), ("min_effect_pct", min_effect_pct)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= float(value) < math.inf:
            raise CompareError(f"{name} must be a number >= 0, got {value!r}")
    min_effect_ms, min_effect_pct = float(min_effect_ms), float(min_effect_pct)
    rb, ra = _load(before, "before"), _load(after, "after")
    sb, sa = _side(rb, "before"), _side(ra, "after")
    eb = {k[0] for k in sb.cells}
    ea = {k[0] for k in sa.cells}
    if not eb & ea:
        raise CompareError(
            "before and after share no endpoint, so they look like results of different apps "
            f"(before: {', '.join(sorted(eb)[:8])}; after: {', '.join(sorted(ea)[:8])})")
    paired = sb.seed is not None and sb.seed == sa.seed
    warnings = _warnings(sb, sa)
    keys = list(sb.cells) + [k for k in sa.cells if k not in sb.cells]
    rows: list[_Row] = []
    for key in keys:
        rows.extend(_cell_rows(key, sb.cells.get(key), sa.cells.get(key), paired, (min_effect_ms, min_effect_pct)))
    _run_tests(rows, confidence)
    m = _verdicts(rows, confidence)
    table = pd.DataFrame([{c: r.values.get(c) for c in COLUMNS} for r in rows], columns=list(COLUMNS))
    for c in ("before", "after", "delta", "ci_low", "ci_high", "p_value"):
        table[c] = table[c].astype("float64")
    for c in ("n_before", "n_after"):
        table[c] = table[c].astype("int64")
    if paired:
        method = (f"paired: both runs used fault seed {sb.seed}, so request i of before and after faced the "
                  "same fault draws; percentiles by paired bootstrap, rates by Newcombe's paired score interval")
    else:
        seeds = f"seeds: before {sb.seed if sb.seed is not None else 'none'}, after {sa.seed if sa.seed is not None else 'none'}"
        method = (f"unpaired ({seeds}): percentiles by bootstrap, rates by Newcombe's hybrid score interval")
    return Comparison(table=table, confidence=confidence, paired=paired, method=method, warnings=warnings,
                      tested=m, before_source=rb.source, after_source=ra.source,
                      seeds=(sb.seed, sa.seed), min_effect=(min_effect_ms, min_effect_pct))


def _warnings(sb: _Side, sa: _Side) -> list[str]:
    out = []
    if sb.seed is not None and sa.seed is not None and sb.seed != sa.seed:
        out.append(f"the runs used different fault seeds (before {sb.seed}, after {sa.seed}): requests are not "
                   "paired, intervals are wider than with one seed")
    elif (sb.seed is None) != (sa.seed is None):
        out.append(f"only the {'before' if sb.seed is not None else 'after'} run recorded a fault seed: "
                   "requests are not paired")
    only_b = [k for k in sb.cells if k not in sa.cells]
    only_a = [k for k in sa.cells if k not in sb.cells]
    for label, keys in (("before", only_b), ("after", only_a)):
        if keys:
            shown = ", ".join(_cell_name(k) for k in keys[:6]) + (f" and {len(keys) - 6} more" if len(keys) > 6 else "")
            out.append(f"{len(keys)} cell(s) only in the {label} run: {shown}")
    differ = []
    for key in sb.cells:
        if key not in sa.cells:
            continue
        cb, ca = sb.cells[key].config, sa.cells[key].config
        fields = [f for f in ("faults", "strategy", "slo", "expect", "path") if cb.get(f) != ca.get(f)]
        if sb.cells[key].scenario != sa.cells[key].scenario:
            fields.insert(0, "scenario title")
        if fields:
            differ.append(f"{_cell_name(key)} ({', '.join(fields)})")
    if differ or only_b or only_a:
        if differ:
            shown = "; ".join(differ[:6]) + (f"; and {len(differ) - 6} more" if len(differ) > 6 else "")
            out.append("the runs come from different scenario files: matched cells differ in " + shown)
        elif only_b or only_a:
            out.append("the runs come from different scenario files (their cells do not all match)")
    return out


def _cell_name(key: tuple) -> str:
    name = f"{key[0]} · {key[1]} · {key[2]}"
    return name + (f" #{key[3] + 1}" if key[3] else "")


def _num(x: float, unit: str, *, signed: bool = False) -> str:
    """A value (or a signed change) for display: ms (s above 10 s), % (points for a change)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    sign = "+" if signed else ""
    if unit == "%":
        return f"{x:{sign}.1f} pts" if signed else f"{x:.1f}%"
    return f"{x:{sign},.1f} ms" if abs(x) < 10_000 else f"{x / 1000:{sign},.2f} s"


def _signed(x: float, unit: str) -> str:
    return _num(x, unit, signed=True)


def _ci(lo: float, hi: float, unit: str) -> str:
    if math.isnan(lo) or math.isnan(hi):
        return "—"
    return f"{_signed(lo, unit)} to {_signed(hi, unit)}"


def _md(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


_VERDICT_COLOUR = {"improved": "#2a9d8f", "regressed": "#e63946", "no-change": "inherit"}


@dataclass
class Comparison:
    """The result of :func:`compare`: a table of rows, how they were computed, and warnings.

    ``table`` columns: :data:`COLUMNS`. ``method`` says paired or unpaired;
    each row's ``method`` names its interval. ``warnings`` lists what does not
    match between the runs.

    >>> cmp.table[["operation_id", "metric", "delta", "ci_low", "ci_high", "verdict"]]  # doctest: +SKIP
    """

    table: "pd.DataFrame"
    confidence: float
    paired: bool
    method: str
    warnings: list[str]
    tested: int
    before_source: str = "<before>"
    after_source: str = "<after>"
    seeds: tuple[int | None, int | None] = (None, None)
    min_effect: tuple[float, float] = (MIN_EFFECT_MS, MIN_EFFECT_PCT)  # (ms, % of before): the noise floor

    @property
    def multiplicity(self) -> str:
        """How claims across many rows are kept honest (one sentence)."""
        ms, pct = self.min_effect
        floor = (f"; a latency claim's interval clears ±max({ms:g} ms, {pct:g} % of before)" if ms or pct
                 else "; no noise floor")
        return (f"Benjamini-Hochberg at q = {1 - self.confidence:.2g} over the {self.tested} tested rows; "
                f"no claim from fewer than {MIN_N} samples a side{floor}")

    @property
    def claims(self) -> "pd.DataFrame":
        """The rows that claim ``improved`` or ``regressed``."""
        return self.table[self.table["verdict"] != "no-change"]

    def summary(self) -> "pd.DataFrame":
        """One row per endpoint: cells, improved / regressed / no-change rows, and the headline claims.

        >>> cmp.summary()  # doctest: +SKIP
        """
        import pandas as pd

        out = []
        t = self.table
        for opid, g in t.groupby("operation_id", sort=False):
            cells = g[["fault", "strategy", "item_before", "item_after"]].drop_duplicates()
            one_sided = int(((cells["item_before"] == "") | (cells["item_after"] == "")).sum())
            claims = g[g["verdict"] != "no-change"]
            claims = claims.reindex(claims["p_value"].sort_values(kind="stable").index)
            headline = "; ".join(
                f"{r.metric} {r.verdict} {_signed(r.delta, r.unit)} ({_ci(r.ci_low, r.ci_high, r.unit)}) "
                f"under {r.fault} · {r.strategy}" for r in claims.head(3).itertuples())
            out.append({"operation_id": opid, "cells": len(cells), "one_sided_cells": one_sided,
                        "improved": int((g["verdict"] == "improved").sum()),
                        "regressed": int((g["verdict"] == "regressed").sum()),
                        "no_change": int((g["verdict"] == "no-change").sum()),
                        "headline": headline or "no measurable change"})
        return pd.DataFrame(out, columns=["operation_id", "cells", "one_sided_cells", "improved", "regressed",
                                          "no_change", "headline"])

    # ------------------------------------------------------------------ exports
    def to_dict(self) -> dict:
        """``{"rows": [...], ...}``: the table's columns per row (NaN as null), plus method and warnings."""
        rows = []
        for rec in self.table.to_dict("records"):
            rows.append({k: (None if isinstance(v, float) and math.isnan(v) else
                             (int(v) if k in ("n_before", "n_after") else v)) for k, v in rec.items()})
        return {"rows": rows, "confidence": self.confidence, "paired": self.paired, "method": self.method,
                "multiplicity": self.multiplicity, "warnings": list(self.warnings),
                "before": self.before_source, "after": self.after_source,
                "seeds": {"before": self.seeds[0], "after": self.seeds[1]},
                "min_effect": {"ms": self.min_effect[0], "pct": self.min_effect[1]}}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def _header_lines(self) -> list[str]:
        return [
            f"before: {self.before_source}; after: {self.after_source}",
            f"method: {self.method}",
            f"{self.confidence:.0%} intervals of after − before; claims: {self.multiplicity}",
        ]

    def to_markdown(self, *, all_rows: bool = True) -> str:
        """A Markdown report: how it was computed, warnings, per-endpoint summary, the rows.

        >>> print(cmp.to_markdown())  # doctest: +SKIP
        """
        lines = ["## Measured effect (before → after)", ""]
        lines += [f"- {_md(x)}" for x in self._header_lines()]
        lines += [f"- **warning**: {_md(w)}" for w in self.warnings]
        lines += ["", "| endpoint | cells | improved | regressed | no change | headline |", "|---|---|---|---|---|---|"]
        for r in self.summary().itertuples():
            lines.append(f"| {_md(r.operation_id)} | {r.cells} | {r.improved} | {r.regressed} | {r.no_change} | "
                         f"{_md(r.headline)} |")
        rows = self.table if all_rows else self.claims
        lines += ["", f"| endpoint | fault | strategy | metric | before | after | Δ | {self.confidence:.0%} CI | "
                  "n (before/after) | verdict | note |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows.itertuples():
            verdict = f"**{r.verdict}**" if r.verdict != "no-change" else r.verdict
            lines.append(
                f"| {_md(r.operation_id)} | {_md(r.fault)} | {_md(r.strategy)} | {_md(r.metric)} | "
                f"{_num(r.before, r.unit)} | {_num(r.after, r.unit)} | {_signed(r.delta, r.unit)} | "
                f"{_ci(r.ci_low, r.ci_high, r.unit)} | {r.n_before}/{r.n_after} | {verdict} | {_md(r.note)} |")
        return "\n".join(lines) + "\n"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        esc = html.escape
        parts = ['<div class="fnb-compare">', "<h4>Measured effect (before → after)</h4>", "<ul>"]
        parts += [f"<li>{esc(x)}</li>" for x in self._header_lines()]
        parts += [f'<li style="color:#b85c00"><strong>warning:</strong> {esc(w)}</li>' for w in self.warnings]
        parts.append("</ul>")
        shead = ("endpoint", "cells", "improved", "regressed", "no change", "headline")
        parts.append("<table><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in shead) + "</tr></thead><tbody>")
        for r in self.summary().itertuples():
            parts.append("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in (
                r.operation_id, r.cells, r.improved, r.regressed, r.no_change, r.headline)) + "</tr>")
        parts.append("</tbody></table>")
        head = ("endpoint", "fault", "strategy", "metric", "before", "after", "Δ", f"{self.confidence:.0%} CI",
                "n", "verdict", "note")
        parts.append("<table><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>")
        for r in self.table.itertuples():
            colour = _VERDICT_COLOUR.get(r.verdict, "inherit")
            cells = (r.operation_id, r.fault, r.strategy, r.metric, _num(r.before, r.unit), _num(r.after, r.unit),
                     _signed(r.delta, r.unit), _ci(r.ci_low, r.ci_high, r.unit), f"{r.n_before}/{r.n_after}")
            parts.append("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in cells)
                         + f'<td style="color:{colour};font-weight:bold">{esc(r.verdict)}</td>'
                         + f"<td>{esc(str(r.note))}</td></tr>")
        parts.append("</tbody></table></div>")
        return "".join(parts)

    def __repr__(self) -> str:
        counts = self.table["verdict"].value_counts()
        return (f"<Comparison {len(self.table)} rows: {int(counts.get('improved', 0))} improved, "
                f"{int(counts.get('regressed', 0))} regressed; {'paired' if self.paired else 'unpaired'}>")
