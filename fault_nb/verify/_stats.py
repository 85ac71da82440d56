"""The statistics behind :func:`fault_nb.compare`: intervals, p-values, multiplicity.

Three kinds of rows, each with an interval at the requested confidence and a
two-sided p-value that is consistent with it (the interval excludes 0 exactly
when ``p < 1 - confidence``, up to Monte Carlo error for the bootstrap):

* **percentile differences** (``after - before`` of an R-6 percentile): the
  nonparametric bootstrap, percentile interval, ``B`` resamples, seeded.
  Unpaired, the two sides are resampled independently; the bootstrap
  distribution of an R-6 percentile only depends on the two order statistics
  it interpolates, and the ``k``-th order statistic of a resample of ``n`` is
  ``x_(ceil(n U_(k)))`` with ``U_(k) ~ Beta(k, n-k+1)`` (and ``U_(k+1) = U_(k) +
  (1 - U_(k)) Beta(1, n-k)``), so it is drawn exactly in O(B) per row,
  whatever ``n`` is. Paired (both runs used the same fault seed), request
  ``i`` of before and after are resampled together: multinomial counts shared
  by both sides, then each side's order statistics from its own ranks, found
  by scanning only a window of sorted positions around each one (the rare
  resample outside its window is recounted in full, so the draws are exact).
* **rate differences**: Newcombe's hybrid score interval (MOVER with Wilson
  intervals; Newcombe 1998, method 10), and its paired form with the phi
  correlation (Newcombe 1998b, method 10) when requests pair. Both stay
  inside [-1, 1] and behave at 0 % and 100 %; the p-value is found by
  inverting the interval in ``z``.
* **multiplicity**: Benjamini-Hochberg at ``q = 1 - confidence`` over every
  testable row of one comparison. When nothing changed at all, BH keeps the
  chance of *any* claim at or below ``q``, so far fewer than ``q`` of the rows
  claim; when some rows really changed, it keeps the expected share of false
  claims among the claims at or below ``q``.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> lo, hi, p, _ = newcombe_unpaired(np.array([0]), np.array([50]), np.array([30]), np.array([50]), 0.95)
>>> bool(lo[0] > 0), bool(p[0] < 0.001)
(True, True)
"""
from __future__ import annotations

import functools
import math
from statistics import NormalDist
from typing import Sequence

import numpy as np

from ..results.report import r6_percentile

B_UNPAIRED = 2000
B_PAIRED = 1000
MAX_COUNTS = 4_000_000  # resample counts held at once by the paired bootstrap (B x n int32: 16 MB)
_TAIL_MIN = 10  # fewer resamples than this beyond 0: the p-value uses the normal tail of the bootstrap


def z_of(confidence: float) -> float:
    """Two-sided normal quantile: ``z_of(0.95) == 1.959...``."""
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def _norm_sf(z: np.ndarray) -> np.ndarray:
    return np.array([0.5 * math.erfc(v / math.sqrt(2.0)) for v in np.ravel(z)]).reshape(np.shape(z))


@functools.lru_cache(maxsize=1024)
def r6_position(n: int, p: float) -> tuple[int, float]:
    """``(j, g)``: the R-6 percentile of ``n`` sorted values is ``(1-g) x_(j) + g x_(j+1)``.

    Read off the project's own R-6 function applied to the ranks 1..n, so the
    rule (including its clamping at both ends) lives in one place.

    >>> r6_position(4, 50.0)
    (2, 0.5)
    >>> r6_position(30, 99.0)
    (30, 0.0)
    """
    h = r6_percentile(range(1, n + 1), p)[0]
    j = int(math.floor(h + 1e-9))
    g = max(0.0, h - j)
    if g < 1e-9:
        g = 0.0
    return j, g


MIN_TAIL = 3  # requests above a percentile it takes for a bootstrap interval to be trusted


def min_n_for(p: float) -> int:
    """Fewest requests a side for a claim about the ``p``-th percentile.

    The bootstrap of a percentile that rests on its last one or two values (a
    p99 of 100 requests is their 99th-100th slowest) is far too narrow: in the
    calibration study a p99 of 100 and a p95 of 30 put 0 outside their 95 %
    interval 12-17 % and 7-10 % of the time with nothing changed. So a claim
    needs at least ``MIN_TAIL`` (3) requests above the percentile.

    >>> min_n_for(99.0), min_n_for(95.0), min_n_for(50.0)
    (300, 60, 6)
    """
    return math.ceil(MIN_TAIL * 100.0 / (100.0 - p) - 1e-9)


def boot_r6_unpaired(samples: Sequence[np.ndarray], p: float, B: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap draws ``(len(samples), B)`` of the R-6 ``p``-th percentile of each sample.

    Exactly the distribution of ``np.quantile(resample, p/100, method="weibull")``
    over resamples with replacement, drawn through the order statistics.
    """
    m = len(samples)
    if m == 0:
        return np.empty((0, B))
    ns = np.array([len(s) for s in samples], dtype=np.int64)
    pos = [r6_position(int(n), p) for n in ns]
    j = np.array([q[0] for q in pos], dtype=np.int64)
    g = np.array([q[1] for q in pos])
    flat = np.concatenate([np.sort(np.asarray(s, dtype=float)) for s in samples])
    offsets = np.concatenate([[0], np.cumsum(ns)[:-1]])
    n_col = ns[:, None].astype(float)
    u1 = rng.beta(j[:, None].astype(float), (ns - j + 1)[:, None].astype(float), size=(m, B))
    rest = np.maximum(ns - j, 1)[:, None].astype(float)
    u2 = u1 + (1.0 - u1) * rng.beta(1.0, rest, size=(m, B))
    k1 = np.clip(np.ceil(n_col * u1), 1, n_col).astype(np.int64) - 1
    k2 = np.clip(np.ceil(n_col * u2), 1, n_col).astype(np.int64) - 1
    k2 = np.where((j < ns)[:, None], k2, k1)
    base = offsets[:, None]
    return flat[base + k1] * (1.0 - g)[:, None] + flat[base + k2] * g[:, None]


def resample_counts(n: int, B: int, rng: np.random.Generator) -> np.ndarray:
    """``(B, n)`` multinomial counts: how often each of ``n`` request pairs is in each resample."""
    idx = rng.integers(0, n, size=(B, n), dtype=np.int32)
    idx += (np.arange(B, dtype=np.int32) * np.int32(n))[:, None]
    return np.bincount(idx.ravel(), minlength=B * n).astype(np.int32).reshape(B, n)


_WINDOW_SD = 4.0  # half-width of the searched window, in standard deviations of an order statistic's position
_GEMM_COLUMNS = 512  # windows whose below-counts one matrix product computes at once
_GEMM_MIN = 10_000_000  # counts to add up from which one matrix product is cheaper than summing them


def _window(n: int, j: int, g: float) -> tuple[int, int, tuple[int, ...]]:
    """``(lo, hi, ranks)``: the sorted positions ``[lo, hi)`` that hold the ``j``-th (and, when the
    percentile interpolates, the ``j+1``-th) order statistic of nearly every resample of ``n``.

    The number of resampled values among the ``m`` smallest is Binomial(n, m/n), so the position of
    the ``j``-th order statistic of a resample is ``j - 1`` give or take ``sqrt(j (1 - j/n))``.
    Resamples whose order statistic falls outside the window are found exactly and recomputed.

    >>> _window(1000, 500, 0.5)
    (432, 568, (500, 501))
    >>> _window(30, 15, 0.0)
    (0, 29, (15,))
    """
    ranks = (j, j + 1) if g > 0.0 and j < n else (j,)
    h = int(math.ceil(_WINDOW_SD * math.sqrt(j * max(0.0, 1.0 - j / n)))) + 3
    return max(0, j - 1 - h), min(n, ranks[-1] + h), ranks


def _counts_below(counts: np.ndarray, orders: list[np.ndarray], los: list[int]) -> np.ndarray:
    """``(B, K)``: per resample, how many draws fall on the ``los[k]`` smallest values of side ``k``
    (``orders[k]`` sorts that side).

    Few columns to add up (a handful of small cells): the counts of the smaller of the two parts are
    summed directly (every resample holds ``n`` draws, so the part above gives the part below).
    Many (like 100 cells of 1,000): one matrix product of the counts with 0/1 indicators, exact
    because integer sums below 2**24 (float32) or 2**53 (float64) carry no rounding.
    """
    B, n = counts.shape
    K = len(los)
    out = np.zeros((B, K), dtype=np.int64)
    cols = [k for k in range(K) if los[k] > 0]
    if not cols:
        return out
    if B * sum(min(los[k], n - los[k]) for k in cols) < _GEMM_MIN:
        for k in cols:
            if los[k] <= n - los[k]:
                out[:, k] = np.take(counts, orders[k][:los[k]], axis=1).sum(axis=1)
            else:
                out[:, k] = n - np.take(counts, orders[k][los[k]:], axis=1).sum(axis=1)
        return out
    dtype = np.float32 if n < 2**24 else np.float64
    cf = counts.astype(dtype)
    for start in range(0, len(cols), _GEMM_COLUMNS):
        chunk = cols[start:start + _GEMM_COLUMNS]
        ind = np.zeros((n, len(chunk)), dtype=dtype)
        for c, k in enumerate(chunk):
            ind[orders[k][:los[k]], c] = 1.0
        out[:, chunk] = np.rint(cf @ ind).astype(np.int64)
    return out


def boot_r6_paired_shared(cells: Sequence[tuple[np.ndarray, np.ndarray, Sequence[float]]],
                          counts: np.ndarray) -> list[np.ndarray]:
    """Paired bootstrap draws for several cells with the same number of pairs, on shared resamples.

    ``cells``: ``(before, after, ps)`` each, ``before[i]``/``after[i]`` paired; ``counts``: ``(B, n)``
    from :func:`resample_counts`. Returns per cell the ``(len(ps), B)`` draws of
    ``q_p(after) - q_p(before)``; each cell's draws are exactly its bootstrap over those resamples.

    The ``k``-th order statistic of resample ``b`` of one side is the value at the first sorted
    position where the resample's running count reaches ``k``. Only a window of positions around
    ``k`` is scanned (:func:`_window`); the count below the window comes, for all cells and
    percentiles at once, from one matrix product (:func:`_counts_below`); a resample whose order
    statistic lies outside its window (rare) is recounted over all positions.
    """
    B, n = counts.shape
    specs = []  # (cell, row, sign, sorted values, order, j, g, lo, hi, ranks)
    for c, (before, after, ps) in enumerate(cells):
        if len(before) != n or len(after) != n:
            raise ValueError(f"cell {c}: {len(before)} and {len(after)} pairs, the resamples are of {n}")
        for sign, x in ((-1.0, before), (1.0, after)):
            order = np.argsort(x, kind="stable")
            xs = np.asarray(x, dtype=float)[order]
            for r, p in enumerate(ps):
                j, g = r6_position(n, p)
                lo, hi, ranks = _window(n, j, g)
                specs.append((c, r, sign, xs, order, j, g, lo, hi, ranks))
    below = _counts_below(counts, [s[4] for s in specs], [s[7] for s in specs])
    out = [np.zeros((len(ps), B)) for _, _, ps in cells]
    dtype = np.int32 if counts.size < 2**31 - 1 else np.int64
    rows = np.arange(B, dtype=np.int64)
    for k, (c, r, sign, xs, order, j, g, lo, hi, ranks) in enumerate(specs):
        w = hi - lo
        base = below[:, k]
        # one running count over the windows of all resamples (row b of the window ends at ends[b]):
        # the rank-th order statistic of resample b is where it reaches starts[b] + rank - base[b]
        running = np.cumsum(np.take(counts, order[lo:hi], axis=1).ravel(), dtype=dtype)  # take: C order
        ends = running[w - 1::w].astype(np.int64)
        starts = np.concatenate(([0], ends[:-1]))
        pos = []
        for rank in ranks:
            m = lo + np.searchsorted(running, (starts + (rank - base)).astype(dtype), side="left") - rows * w
            outside = (base >= rank) | (base + ends - starts < rank)
            if outside.any():  # the order statistic lies outside the window: count over every position
                full = np.cumsum(counts[outside][:, order], axis=1)
                m[outside] = (full < rank).sum(axis=1)
            pos.append(m)
        value = xs[pos[0]]
        if len(pos) == 2:
            value = value * (1.0 - g) + xs[pos[1]] * g
        out[c][r] += sign * value
    return out


def boot_r6_paired(before: np.ndarray, after: np.ndarray, ps: Sequence[float], B: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Paired bootstrap draws ``(len(ps), B)`` of ``q_p(after) - q_p(before)``.

    ``before[i]`` and ``after[i]`` faced the same fault draws (same seed, same
    request index), so pairs are resampled together. Cells with the same number of
    pairs can share one set of resamples: :func:`boot_r6_paired_shared`.
    """
    n = len(before)
    if B * n > MAX_COUNTS:  # bounded memory: resample in blocks
        block = max(1, MAX_COUNTS // n)
        return np.concatenate([boot_r6_paired(before, after, ps, min(block, B - start), rng)
                               for start in range(0, B, block)], axis=1)
    return boot_r6_paired_shared([(before, after, ps)], resample_counts(n, B, rng))[0]


def boot_summary(draws: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(ci_low, ci_high, p_value)`` per row of bootstrap draws of a difference.

    The interval is the percentile interval. The p-value is the smallest
    ``1 - confidence`` whose interval would exclude 0: twice the share of draws
    on the far side of 0. When fewer than 10 draws lie there, the share is too
    coarse to rank among many rows, so the normal tail of the bootstrap
    distribution (its mean over its standard deviation) is used instead.
    """
    alpha = 1.0 - confidence
    if draws.shape[0] == 0:
        empty = np.empty(0)
        return empty, empty, empty
    lo, hi = np.quantile(draws, [alpha / 2.0, 1.0 - alpha / 2.0], axis=1)
    B = draws.shape[1]
    below = (draws <= 0.0).sum(axis=1)
    above = (draws >= 0.0).sum(axis=1)
    far = np.minimum(below, above)
    p_emp = np.minimum(1.0, 2.0 * (far + 1) / (B + 1))
    mean = draws.mean(axis=1)
    sd = draws.std(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sd > 0, np.abs(mean) / np.where(sd > 0, sd, 1.0), np.where(mean != 0, np.inf, 0.0))
    p_norm = np.minimum(1.0, 2.0 * _norm_sf(z))
    p = np.where(far < _TAIL_MIN, np.minimum(p_emp, p_norm), p_emp)
    return lo, hi, p


def _wilson(x: np.ndarray, n: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = x / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def _newcombe_bounds(xb, nb, xa, na, z, paired_phi=None):
    """Lower and upper bound of ``pa - pb`` at normal quantile ``z`` (arrays)."""
    pb, pa = xb / nb, xa / na
    lb, ub = _wilson(xb, nb, z)
    la, ua = _wilson(xa, na, z)
    d = pa - pb
    phi = 0.0 if paired_phi is None else paired_phi
    low_sq = (pa - la) ** 2 - 2 * phi * (pa - la) * (ub - pb) + (ub - pb) ** 2
    high_sq = (ua - pa) ** 2 - 2 * phi * (ua - pa) * (pb - lb) + (pb - lb) ** 2
    return d - np.sqrt(np.maximum(low_sq, 0.0)), d + np.sqrt(np.maximum(high_sq, 0.0))


def _invert(xb, nb, xa, na, phi) -> np.ndarray:
    """Two-sided p-value: the ``z`` at which the interval's near bound touches 0."""
    d = xa / na - xb / nb
    lo_z = np.zeros_like(d, dtype=float)
    hi_z = np.full_like(d, 40.0, dtype=float)
    for _ in range(60):
        mid = (lo_z + hi_z) / 2.0
        low, high = _newcombe_bounds(xb, nb, xa, na, mid, phi)
        excludes = np.where(d > 0, low > 0, high < 0)
        lo_z = np.where(excludes, mid, lo_z)
        hi_z = np.where(excludes, hi_z, mid)
    p = 2.0 * _norm_sf(lo_z)
    return np.where(d == 0, 1.0, np.minimum(p, 1.0))


def newcombe_unpaired(xb, nb, xa, na, confidence: float):
    """``(ci_low, ci_high, p_value, d)`` of ``xa/na - xb/nb``: Newcombe's hybrid score interval.

    >>> lo, hi, p, d = newcombe_unpaired(np.array([0]), np.array([20]), np.array([0]), np.array([20]), 0.95)
    >>> round(float(lo[0]), 3), round(float(hi[0]), 3), float(p[0])
    (-0.161, 0.161, 1.0)
    """
    xb, nb, xa, na = (np.asarray(v, dtype=float) for v in (xb, nb, xa, na))
    low, high = _newcombe_bounds(xb, nb, xa, na, z_of(confidence))
    return low, high, _invert(xb, nb, xa, na, None), xa / na - xb / nb


def newcombe_paired(before: Sequence[np.ndarray], after: Sequence[np.ndarray], confidence: float):
    """``(ci_low, ci_high, p_value, d)`` for paired 0/1 outcomes (Newcombe 1998b, method 10).

    ``before[r]`` and ``after[r]`` are boolean arrays of the same length, paired by index.
    """
    a = np.array([np.sum(b & f) for b, f in zip(before, after)], dtype=float)  # failed on both
    b_ = np.array([np.sum(b & ~f) for b, f in zip(before, after)], dtype=float)  # before only
    c = np.array([np.sum(~b & f) for b, f in zip(before, after)], dtype=float)  # after only
    n = np.array([len(b) for b in before], dtype=float)
    d_ = n - a - b_ - c
    denom = np.sqrt((a + b_) * (c + d_) * (a + c) * (b_ + d_))
    # Newcombe's phi with his continuity correction: ad - bc above n/2 is reduced by n/2,
    # between 0 and n/2 it counts as 0, a negative one is kept
    cross = a * d_ - b_ * c
    cross = np.where(cross > n / 2, cross - n / 2, np.where(cross >= 0, 0.0, cross))
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(denom > 0, cross / np.where(denom > 0, denom, 1.0), 0.0)
    xb, xa = a + b_, a + c
    low, high = _newcombe_bounds(xb, n, xa, n, z_of(confidence), phi)
    return low, high, _invert(xb, n, xa, n, phi), (xa - xb) / n


def benjamini_hochberg(p: np.ndarray, q: float) -> np.ndarray:
    """Which hypotheses Benjamini-Hochberg rejects at false-discovery rate ``q`` (NaN: not tested).

    >>> benjamini_hochberg(np.array([0.001, 0.2, 0.04, np.nan]), 0.05).tolist()
    [True, False, False, False]
    """
    p = np.asarray(p, dtype=float)
    out = np.zeros(len(p), dtype=bool)
    tested = np.flatnonzero(~np.isnan(p))
    m = len(tested)
    if m == 0:
        return out
    order = tested[np.argsort(p[tested], kind="stable")]
    ranked = p[order]
    ok = ranked <= q * np.arange(1, m + 1) / m
    if ok.any():
        k = int(np.flatnonzero(ok).max())
        out[order[:k + 1]] = True
    return out
