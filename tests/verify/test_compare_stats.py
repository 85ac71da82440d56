"""compare() on synthetic Results (built with Results.from_dict): effects, no effects, small n, pairing, input errors."""
from __future__ import annotations

import importlib
import json
import math

import numpy as np
import pytest

import fault_nb
from fault_nb.errors import CompareError
from fault_nb.verify import Comparison, compare
from fault_nb.verify import _stats
from fault_nb.verify._simulate import results_from_samples
from fault_nb.verify.compare import COLUMNS

SLO = [{"slo_type": "latency", "title": "P95 < 300ms", "objective": 95.0, "threshold": 300.0},
       {"slo_type": "error", "title": "P99 < 1% errors", "objective": 99.0, "threshold": 1.0}]


def _cells(rng, n=100, m=4, scale=1.0, first_only=True, err=0.0, status=None):
    out = []
    for k in range(m):
        lat = rng.lognormal(math.log(200), 0.4, n) * (scale if (k == 0 or not first_only) else 1.0)
        out.append({"operation_id": f"op{k}", "latency": lat, "errored": rng.random(n) < err, "slo": SLO,
                    "status": status if (status is not None and k == 0) else None})
    return out


def test_finds_a_large_real_effect_and_the_honest_trade_off():
    rng = np.random.default_rng(1)
    before = results_from_samples(_cells(rng))
    n = 100
    cells = _cells(rng, scale=0.5)
    cells[0]["status"] = np.where(rng.random(n) < 0.3, 504, 200)  # fails fast now: 30 % 5xx
    after = results_from_samples(cells)
    cmp = compare(before, after)
    t = cmp.table.set_index(["operation_id", "metric"])
    for metric in ("p50_ms", "p95_ms"):
        row = t.loc[("op0", metric)]
        assert row.verdict == "improved", row.note
        assert row.ci_high < 0 < row.before and row.ci_low <= row.delta <= row.ci_high
        assert row.method == "bootstrap"
    r5 = t.loc[("op0", "http_5xx_rate")]
    assert r5.verdict == "regressed" and r5.before == 0.0 and r5.after > 15
    assert 0 < r5.ci_low < r5.ci_high <= 100 and r5.method == "Newcombe hybrid score"
    slo = t.loc[("op0", "slo:P95 < 300ms")]
    assert slo.verdict == "improved" and "fail → pass" in slo.note and slo.unit == "ms"
    # nothing else changed, nothing else is claimed
    others = cmp.table[cmp.table.operation_id != "op0"]
    assert (others.verdict == "no-change").all()
    assert list(cmp.table.columns) == list(COLUMNS)


def test_no_claim_where_there_is_none_across_many_cells():
    rng = np.random.default_rng(2)
    cmp = compare(results_from_samples(_cells(rng, m=30, err=0.05)), results_from_samples(_cells(rng, m=30, err=0.05)))
    assert len(cmp.table) == 30 * 7
    assert (cmp.table.verdict == "no-change").all(), cmp.claims
    # some marginal intervals exclude 0 by chance; the note says why they do not claim
    assert cmp.tested == 30 * 6  # p99 of 100 requests is not tested
    assert cmp.summary()["headline"].eq("no measurable change").all()


def test_nothing_from_a_handful_of_rows():
    rng = np.random.default_rng(3)
    before = results_from_samples([{"operation_id": "op0", "latency": rng.normal(900, 5, 6)}])
    after = results_from_samples([{"operation_id": "op0", "latency": rng.normal(100, 5, 6),
                                   "status": [500] * 6}])
    cmp = compare(before, after)
    assert (cmp.table.verdict == "no-change").all()
    assert cmp.table.note.str.contains("fewer than 10").all()
    assert cmp.table.ci_low.isna().all() and cmp.tested == 0


def test_extreme_percentiles_need_requests_above_them():
    rng = np.random.default_rng(4)
    cmp = compare(results_from_samples([{"operation_id": "op0", "latency": rng.normal(900, 50, 100)}]),
                  results_from_samples([{"operation_id": "op0", "latency": rng.normal(100, 5, 100)}]))
    t = cmp.table.set_index("metric")
    assert t.loc["p99_ms", "verdict"] == "no-change" and "needs at least 300 requests" in t.loc["p99_ms", "note"]
    assert math.isnan(t.loc["p99_ms", "ci_low"]) and t.loc["p99_ms", "delta"] < -700  # shown, not claimed
    assert t.loc["p95_ms", "verdict"] == "improved"
    assert _stats.min_n_for(95.0) == 60


def test_rates_at_0_and_100_percent_behave():
    lo, hi, p, d = _stats.newcombe_unpaired([0], [30], [30], [30], 0.95)
    assert -1 <= lo[0] < hi[0] <= 1 and lo[0] > 0.8 and p[0] < 1e-6 and d[0] == 1.0
    lo, hi, p, d = _stats.newcombe_unpaired([30], [30], [30], [30], 0.95)
    assert lo[0] < 0 < hi[0] and p[0] == 1.0
    # Newcombe (1998) table II example: 56/70 - 48/80 -> 0.0524 to 0.3339
    lo, hi, _, _ = _stats.newcombe_unpaired([48], [80], [56], [70], 0.95)
    assert (round(float(lo[0]), 4), round(float(hi[0]), 4)) == (0.0524, 0.3339)


def test_paired_newcombe_interval_properties():
    rng = np.random.default_rng(14)
    n = 200
    shared = rng.random(n) < 0.2  # the same fault decisions hit both runs
    before = shared | (rng.random(n) < 0.02)
    after = shared & (rng.random(n) < 0.5)  # the fix halves the failures
    lo, hi, p, d = _stats.newcombe_paired([before], [after], 0.95)
    assert lo[0] <= d[0] <= hi[0] and hi[0] < 0 and p[0] < 0.001
    ulo, uhi, _, ud = _stats.newcombe_unpaired([before.sum()], [n], [after.sum()], [n], 0.95)
    assert ud[0] == d[0] and (hi[0] - lo[0]) < (uhi[0] - ulo[0])  # pairing tightens the interval
    # uncorrelated outcomes (ad - bc = 0): the paired interval is the unpaired one
    b0 = np.array([1, 1, 0, 0] * 10, bool)
    a0 = np.array([1, 0, 1, 0] * 10, bool)
    assert np.allclose(_stats.newcombe_paired([b0], [a0], 0.95)[:2], _stats.newcombe_unpaired([20], [40], [20], [40], 0.95)[:2])
    # all fail before, none after; and none on both sides: inside [-1, 1], no error
    lo, hi, p, d = _stats.newcombe_paired([np.ones(20, bool), np.zeros(20, bool)], [np.zeros(20, bool)] * 2, 0.95)
    assert -1 <= lo[0] < hi[0] < 0 and d[0] == -1.0 and lo[1] < 0 < hi[1] and p[1] == 1.0


def test_order_statistic_bootstrap_is_the_resampling_bootstrap():
    rng = np.random.default_rng(5)
    for n, p in ((25, 50.0), (120, 95.0), (300, 99.0)):
        x = rng.lognormal(3, 1, n)
        fast = _stats.boot_r6_unpaired([x], p, 20000, np.random.default_rng(6))[0]
        idx = rng.integers(0, n, (20000, n))
        naive = np.quantile(x[idx], p / 100, axis=1, method="weibull")  # numpy's weibull = R-6
        for q in (0.05, 0.25, 0.5, 0.75, 0.95):
            a, b = np.quantile(fast, q), np.quantile(naive, q)
            assert abs(a - b) <= 0.05 * np.std(naive) + 1e-9 or np.sum(np.isclose(naive, a)) > 0, (n, p, q)


def test_paired_bootstrap_is_the_joint_resampling_bootstrap():
    rng = np.random.default_rng(7)
    n = 60
    b = rng.lognormal(4, 0.5, n)
    a = b * 0.7 + rng.normal(0, 3, n)
    draws = _stats.boot_r6_paired(b, a, [50.0, 95.0], 20000, np.random.default_rng(8))
    idx = rng.integers(0, n, (20000, n))
    for r, p in enumerate((50.0, 95.0)):
        naive = (np.quantile(a[idx], p / 100, axis=1, method="weibull")
                 - np.quantile(b[idx], p / 100, axis=1, method="weibull"))
        for q in (0.025, 0.5, 0.975):
            assert abs(np.quantile(draws[r], q) - np.quantile(naive, q)) <= 0.06 * np.std(naive), (p, q)


def test_pairing_is_used_with_equal_seeds_and_tightens_the_interval():
    rng = np.random.default_rng(9)
    n = 200
    injected = rng.normal(300, 80, n).clip(0)  # the fault draws both runs share with one seed
    app_b, app_a = rng.normal(50, 5, n), rng.normal(40, 5, n)
    cells_b = [{"operation_id": "op0", "latency": injected + app_b}]
    cells_a = [{"operation_id": "op0", "latency": injected + app_a}]
    paired = compare(results_from_samples(cells_b, seed=7), results_from_samples(cells_a, seed=7))
    unpaired = compare(results_from_samples(cells_b, seed=7), results_from_samples(cells_a, seed=8))
    assert paired.paired and not unpaired.paired
    assert "seed 7" in paired.method and "paired" in paired.method
    assert any("different fault seeds" in w for w in unpaired.warnings)
    p50p = paired.table.set_index("metric").loc["p50_ms"]
    p50u = unpaired.table.set_index("metric").loc["p50_ms"]
    assert p50p.method == "paired bootstrap" and p50u.method == "bootstrap"
    assert p50p.verdict == "improved"  # a 10 ms gain under 300 ms of shared noise
    assert p50u.verdict == "no-change"
    assert (p50p.ci_high - p50p.ci_low) < (p50u.ci_high - p50u.ci_low) / 3
    rates = paired.table.set_index("metric").loc["error_rate"]
    assert rates.method == "Newcombe paired score"


def test_a_latency_claim_must_clear_the_noise_floor():
    # one run of a few-ms local endpoint and the same run 0.6 ms slower: significant, and smaller than
    # the scheduling noise between two runs of the same app (docs/compare.md, "Noise floor")
    rng = np.random.default_rng(21)
    base = rng.normal(3.0, 0.8, 200).clip(0.5)
    b, a = [{"operation_id": "op0", "latency": base}], [{"operation_id": "op0", "latency": base + 0.6}]
    floored = compare(results_from_samples(b, seed=2), results_from_samples(a, seed=2)).table.set_index("metric")
    bare = compare(results_from_samples(b, seed=2), results_from_samples(a, seed=2),
                   min_effect_ms=0, min_effect_pct=0).table.set_index("metric")
    assert bare.loc["p50_ms", "verdict"] == "regressed" and bare.loc["p50_ms", "ci_low"] > 0
    assert floored.loc["p50_ms", "verdict"] == "no-change"
    assert "does not clear the noise floor of ±2.0 ms" in floored.loc["p50_ms", "note"]
    assert floored.loc["p50_ms", "ci_low"] == bare.loc["p50_ms", "ci_low"]  # the same numbers, only the claim differs
    # a change that clears it is claimed; the relative part scales with the before value
    a_big = [{"operation_id": "op0", "latency": base + 5.0}]
    assert compare(results_from_samples(b, seed=2), results_from_samples(a_big, seed=2)).table.set_index(
        "metric").loc["p50_ms", "verdict"] == "regressed"
    slow = rng.normal(1000.0, 1.0, 200)
    rel = compare(results_from_samples([{"operation_id": "op0", "latency": slow}], seed=2),
                  results_from_samples([{"operation_id": "op0", "latency": slow - 5.0}], seed=2))
    assert rel.table.set_index("metric").loc["p50_ms", "verdict"] == "no-change"  # 5 ms < 1 % of 1 s
    assert "±10.0 ms" in rel.table.set_index("metric").loc["p50_ms", "note"]
    assert "±max(2 ms, 1 % of before)" in rel.multiplicity and rel.to_dict()["min_effect"] == {"ms": 2.0, "pct": 1.0}
    # a latency SLO that flips on a change below the floor makes no claim either
    slo = [{"slo_type": "latency", "title": "P50 < 3.3ms", "objective": 50.0, "threshold": 3.3}]
    flip = compare(results_from_samples([dict(b[0], slo=slo)], seed=2), results_from_samples([dict(a[0], slo=slo)], seed=2))
    row = flip.table.set_index("metric").loc["slo:P50 < 3.3ms"]
    assert row.verdict == "no-change" and "pass → fail" in row.note and "noise floor" in row.note
    assert "within noise" not in row.note
    bare_flip = compare(results_from_samples([dict(b[0], slo=slo)], seed=2),
                        results_from_samples([dict(a[0], slo=slo)], seed=2), min_effect_ms=0, min_effect_pct=0)
    assert bare_flip.table.set_index("metric").loc["slo:P50 < 3.3ms", "verdict"] == "regressed"
    with pytest.raises(CompareError, match="min_effect_ms must be a number >= 0"):
        compare(results_from_samples(b), results_from_samples(a), min_effect_ms=-1)


def test_one_sided_cells_are_listed_and_scenario_differences_warned():
    rng = np.random.default_rng(10)
    before = results_from_samples([{"operation_id": "op0", "latency": rng.normal(100, 5, 30)},
                                   {"operation_id": "gone", "latency": rng.normal(100, 5, 30)}])
    after = results_from_samples([{"operation_id": "op0", "latency": rng.normal(100, 5, 30),
                                   "faults": [{"type": "latency", "mean": 250.0, "stddev": 10.0}]},
                                  {"operation_id": "new", "latency": rng.normal(100, 5, 30),
                                   "faults": [{"type": "httperror", "status_code": 500, "probability": 0.1}]}])
    cmp = compare(before, after)
    gone = cmp.table[cmp.table.operation_id == "gone"]
    new = cmp.table[cmp.table.operation_id == "new"]
    assert len(gone) == 5 and gone.note.str.contains("only in the before run").all() and gone.after.isna().all()
    assert len(new) == 5 and new.note.str.contains("only in the after run").all()
    assert new.fault.iloc[0] == "httperror" and (new.item_before == "").all()
    text = " ".join(cmp.warnings)
    assert "only in the before run: gone · latency · load" in text
    assert "only in the after run: new · httperror · load" in text
    assert "different scenario files" in text and "op0 · latency · load (faults)" in text


def test_bad_input_gets_clear_messages(tmp_path):
    rng = np.random.default_rng(11)
    good = results_from_samples([{"operation_id": "op0", "latency": rng.normal(100, 5, 30)}])
    empty = fault_nb.results.Results.from_dict({"start": 0, "end": 0, "results": []}, source="empty.json")
    with pytest.raises(CompareError, match=r"after \(empty.json\): no requests"):
        compare(good, empty)
    dead = results_from_samples([{"operation_id": "op0", "latency": np.full(30, 1.0), "errored": np.ones(30, bool)}],
                                source="dead.json")
    with pytest.raises(CompareError, match=r"before \(dead.json\): all 30 requests failed .* app running"):
        compare(dead, good)
    other = results_from_samples([{"operation_id": "other_app", "latency": rng.normal(100, 5, 30)}])
    with pytest.raises(CompareError, match="share no endpoint.*different apps"):
        compare(good, other)
    with pytest.raises(CompareError, match="confidence"):
        compare(good, good, confidence=95)
    with pytest.raises(CompareError, match="expected a Results or the path"):
        compare(good, 3)
    with pytest.raises(fault_nb.errors.ResultsFormatError):
        bad = tmp_path / "bad.json"
        bad.write_text('{"start": 0}')
        compare(good, bad)


def test_paths_exports_and_escaping(tmp_path):
    rng = np.random.default_rng(12)
    cells = [{"operation_id": "<script>x|y</script>", "latency": rng.normal(100, 5, 70)}]
    b, a = tmp_path / "b.json", tmp_path / "a.json"
    results_from_samples(cells, seed=3).to_json(b)
    results_from_samples([dict(cells[0], latency=rng.normal(50, 5, 70))], seed=3).to_json(a)
    cmp = compare(str(b), a)
    assert isinstance(cmp, Comparison) and cmp.paired and cmp.seeds == (3, 3)  # the seed came back from the sidecar
    html = cmp._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    md = cmp.to_markdown()
    assert "\\|y" in md and cmp._repr_markdown_() == md and "**improved**" in md
    data = json.loads(cmp.to_json())
    assert set(data) >= {"rows", "method", "warnings", "confidence", "multiplicity"}
    assert [set(r) for r in data["rows"]] == [set(COLUMNS)] * len(cmp.table)
    p99 = next(r for r in data["rows"] if r["metric"] == "p99_ms")
    assert p99["ci_low"] is None and isinstance(p99["n_before"], int)
    assert "Benjamini-Hochberg" in cmp.multiplicity
    assert repr(cmp).startswith("<Comparison 5 rows: 2 improved")


def test_same_inputs_same_numbers():
    rng = np.random.default_rng(13)
    b = results_from_samples(_cells(rng, m=2))
    a = results_from_samples(_cells(rng, m=2, scale=0.9))
    one, two = compare(b, a).table, compare(b, a).table
    assert one.equals(two)


def test_benjamini_hochberg():
    claims = _stats.benjamini_hochberg(np.array([0.01, 0.02, 0.03, 0.04, 0.05]), 0.05)
    assert claims.all()
    assert not _stats.benjamini_hochberg(np.array([0.02] + [0.9] * 9), 0.05).any()


def test_paired_bootstrap_in_blocks_for_large_cells(monkeypatch):
    rng = np.random.default_rng(20)
    b = rng.lognormal(4, 0.5, 500)
    a = b * 0.8
    whole = _stats.boot_r6_paired(b, a, [50.0], 2000, np.random.default_rng(21))
    monkeypatch.setattr(_stats, "MAX_COUNTS", 500 * 300)  # blocks of 300 resamples
    blocks = _stats.boot_r6_paired(b, a, [50.0], 2000, np.random.default_rng(21))
    assert blocks.shape == whole.shape == (1, 2000)
    assert abs(np.quantile(blocks, 0.5) - np.quantile(whole, 0.5)) < 0.1 * np.std(whole)


# window_sd 0: most order statistics fall outside the scanned window; gemm_min 0: counts below it by matrix product
@pytest.mark.parametrize(("window_sd", "gemm_min"), [(4.0, 10**12), (0.0, 10**12), (4.0, 0)])
def test_paired_shared_resamples_give_each_cells_exact_bootstrap(monkeypatch, window_sd, gemm_min):
    """Cells of one size share resamples; each cell's draws are the R-6 percentiles of its resamples,
    however the order statistics are found."""
    monkeypatch.setattr(_stats, "_WINDOW_SD", window_sd)
    monkeypatch.setattr(_stats, "_GEMM_MIN", gemm_min)
    rng = np.random.default_rng(30)
    n, B, ps = 80, 300, [50.0, 95.0, 99.0]
    cells = []
    for _ in range(3):
        b = rng.lognormal(4, 0.6, n).round(0)  # ties included
        cells.append((b, b * 0.8 + rng.normal(0, 5, n), ps))
    counts = _stats.resample_counts(n, B, np.random.default_rng(31))
    draws = _stats.boot_r6_paired_shared(cells, counts)
    for (b, a, _), d in zip(cells, draws):
        for r, p in enumerate(ps):
            naive = [np.quantile(np.repeat(a, counts[i]), p / 100, method="weibull")
                     - np.quantile(np.repeat(b, counts[i]), p / 100, method="weibull") for i in range(B)]
            assert np.allclose(d[r], naive, rtol=1e-12, atol=1e-9), p


def test_paired_batches_do_not_change_the_numbers(monkeypatch):
    rng = np.random.default_rng(32)
    cells = [{"operation_id": f"op{k}", "latency": rng.lognormal(5, 0.5, n)} for k, n in enumerate((300, 120, 300, 300))]
    after = [dict(c, latency=c["latency"] * 0.9) for c in cells]
    before_r, after_r = results_from_samples(cells, seed=4), results_from_samples(after, seed=4)
    whole = compare(before_r, after_r).table
    monkeypatch.setattr(importlib.import_module("fault_nb.verify.compare"), "_PAIRED_BATCH", 1)
    one_by_one = compare(before_r, after_r).table
    assert (whole["method"] == "paired bootstrap").sum() == 11  # p99 needs 300 pairs
    assert whole.equals(one_by_one)
