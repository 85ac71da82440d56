"""Benchmark and calibration study of fault_nb.compare.

1. **Calibration (no change).** ``--pairs`` (1,000) simulated before/after pairs where
   nothing changed, each a comparison of three load cells (n = 30, 100 and 300
   requests a side), unpaired (no seed) and paired (one seed). Reports the share of
   tested rows that claim ``improved``/``regressed`` (the false-claim rate, with a 95%
   interval from resampling the pairs), the share of comparisons with any claim
   (Wilson interval), and, for contrast, how often a row's marginal 95% interval
   excludes 0 (what claiming without the multiplicity adjustment would do).
2. **Detection.** Latency shortened by 10%, 20% and 50% at n = 30, 100, 300 per
   side, with and without pairing, ``--reps`` (200) one-cell comparisons each:
   the share where p50 / p95 / p99 is claimed ``improved``.
3. **Speed.** 100 cells x 1,000 requests a side: ``compare()`` against a plain
   pandas ``groupby().quantile()`` of the same runs frames, in the same run.

The simulated cell is a load item under a latency fault: request ``i`` takes
``F_i + A_i`` ms, the injected fault delay ``F_i ~ Normal(300, 100)`` (clipped at 0)
plus the app's own time ``A_i ~ LogNormal(log 60, 0.5)``; 2% transport errors and 3%
5xx come from fault coins. With one seed both runs share ``F_i`` and the coins (what
``run_scenarios(seed=)`` does); without, everything is drawn afresh. A shift ``s``
multiplies every latency of the after run by ``1 - s``. Every pair goes through the
real ``compare()`` on Results built with ``Results.from_dict``.

    .venv/bin/python benchmarks/bench_compare.py [--pairs 1000] [--reps 200] [--quick]

Prints tables and ratios; never asserts on time.
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from fault_nb.verify import _stats, compare  # noqa: E402
from fault_nb.verify._simulate import results_from_samples  # noqa: E402

NS = (30, 100, 300)
SHIFTS = (0.10, 0.20, 0.50)


def _run_pair(rng: np.random.Generator, ns, *, paired: bool, shift: float = 0.0):
    """One before/after pair of simulated runs: one cell per n."""
    cells_b, cells_a = [], []
    for k, n in enumerate(ns):
        fault_b = np.clip(rng.normal(300.0, 100.0, n), 0, None)
        err_b, x5_b = rng.random(n) < 0.02, rng.random(n) < 0.03
        if paired:  # one seed: the same fault draws and coins request by request
            fault_a, err_a, x5_a = fault_b, err_b, x5_b
        else:
            fault_a = np.clip(rng.normal(300.0, 100.0, n), 0, None)
            err_a, x5_a = rng.random(n) < 0.02, rng.random(n) < 0.03
        app_b, app_a = rng.lognormal(math.log(60.0), 0.5, n), rng.lognormal(math.log(60.0), 0.5, n)
        cells_b.append({"operation_id": f"op{k}", "latency": fault_b + app_b, "errored": err_b,
                        "status": np.where(x5_b, 503, 200)})
        cells_a.append({"operation_id": f"op{k}", "latency": (fault_a + app_a) * (1.0 - shift), "errored": err_a,
                        "status": np.where(x5_a, 503, 200)})
    seed = 1 if paired else None
    return compare(results_from_samples(cells_b, seed=seed), results_from_samples(cells_a, seed=seed))


def _wilson(k: int, n: int) -> tuple[float, float]:
    lo, hi = _stats._wilson(np.array([k], float), np.array([n], float), np.array([1.959964]))
    return float(lo[0]), float(hi[0])


def calibration(pairs: int, seed: int = 1) -> list[dict]:
    from tqdm.auto import tqdm

    out = []
    for paired in (False, True):
        rng = np.random.default_rng(seed + paired)
        claims, tested, excl, any_claim = [], [], [], 0
        for _ in tqdm(range(pairs), desc=f"no-change pairs ({'paired' if paired else 'unpaired'})", leave=False):
            t = _run_pair(rng, NS, paired=paired).table
            tt = t[t["p_value"].notna()]
            c = int((tt["verdict"] != "no-change").sum())
            claims.append(c)
            tested.append(len(tt))
            excl.append(int(((tt["ci_low"] > 0) | (tt["ci_high"] < 0)).sum()))
            any_claim += c > 0
        claims_a, tested_a, excl_a = np.array(claims), np.array(tested), np.array(excl)
        rate = claims_a.sum() / tested_a.sum()
        boot = np.random.default_rng(7).integers(0, pairs, (2000, pairs))
        rates = claims_a[boot].sum(axis=1) / tested_a[boot].sum(axis=1)
        out.append({
            "mode": "paired (one seed)" if paired else "unpaired",
            "pairs": pairs, "rows": int(tested_a.sum()),
            "false_claim_rate": rate, "ci": (float(np.quantile(rates, 0.025)), float(np.quantile(rates, 0.975))),
            "any_claim": any_claim / pairs, "any_ci": _wilson(any_claim, pairs),
            "marginal_exclusion": excl_a.sum() / tested_a.sum(),
        })
    return out


def detection(reps: int, seed: int = 2) -> list[dict]:
    from tqdm.auto import tqdm

    out = []
    for paired in (False, True):
        for n in NS:
            for shift in SHIFTS:
                rng = np.random.default_rng([seed, n, int(shift * 100), paired])
                hits = {"p50_ms": 0, "p95_ms": 0, "p99_ms": 0}
                testable = dict.fromkeys(hits, 0)
                for _ in tqdm(range(reps), desc=f"shift {shift:.0%} n={n} {'paired' if paired else 'unpaired'}",
                              leave=False):
                    t = _run_pair(rng, (n,), paired=paired, shift=shift).table.set_index("metric")
                    for m in hits:
                        testable[m] += bool(not math.isnan(t.loc[m, "p_value"]))
                        hits[m] += t.loc[m, "verdict"] == "improved"
                out.append({"paired": paired, "n": n, "shift": shift,
                            **{m: (hits[m] / reps if testable[m] else None) for m in hits}})
    return out


def speed(cells: int = 100, rows: int = 1000, repeat: int = 3) -> list[dict]:
    rng = np.random.default_rng(3)
    out = []
    for paired in (False, True):
        seed = 5 if paired else None
        mk = lambda: results_from_samples([{"operation_id": f"op{k}", "latency": rng.lognormal(5, 0.5, rows),  # noqa: E731
                                            "errored": rng.random(rows) < 0.02} for k in range(cells)], seed=seed)
        before, after = mk(), mk()
        t0 = time.perf_counter()
        compare(before, after)  # cold: builds the runs frames too
        cold = time.perf_counter() - t0
        warm, base, cpu = [], [], []
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            compare(before, after)
            warm.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            t0 = time.perf_counter()
            for r in (before, after):
                r.runs.groupby(["operation_id", "scenario_idx", "item_idx"]).total_time_ms.quantile([0.5, 0.95, 0.99])
            base.append(time.perf_counter() - t0)
        out.append({"mode": "paired" if paired else "unpaired", "cold": cold, "warm": statistics.median(warm),
                    "cpu": statistics.median(cpu), "baseline": statistics.median(base)})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="100 pairs, 40 reps (a smoke run)")
    ap.add_argument("--skip", nargs="*", default=(), choices=("calibration", "detection", "speed"))
    args = ap.parse_args(argv)
    pairs, reps = (100, 40) if args.quick else (args.pairs, args.reps)
    if "speed" not in args.skip:
        print("## Speed: 100 cells x 1,000 requests a side (median of 3; baseline: pandas groupby().quantile() "
              "of both runs frames)\n")
        print("| mode | compare() warm (CPU) | compare() cold (frames built too) | groupby().quantile() | "
              "ratio warm/baseline |")
        print("|---|---|---|---|---|")
        for s in speed():
            print(f"| {s['mode']} | {s['warm']:.3f} s ({s['cpu']:.3f} s) | {s['cold']:.3f} s | {s['baseline']:.3f} s | "
                  f"{s['warm'] / s['baseline']:.1f}x |")
        print(flush=True)
    if "calibration" not in args.skip:
        print(f"## Calibration: {pairs} no-change pairs, cells n = 30/100/300 a side\n")
        print("| mode | tested rows | false-claim rate per row (95% CI) | comparisons with any claim (95% CI) | "
              "marginal 95% intervals excluding 0 |")
        print("|---|---|---|---|---|")
        for c in calibration(pairs):
            print(f"| {c['mode']} | {c['rows']} | {c['false_claim_rate']:.2%} ({c['ci'][0]:.2%} to {c['ci'][1]:.2%}) | "
                  f"{c['any_claim']:.1%} ({c['any_ci'][0]:.1%} to {c['any_ci'][1]:.1%}) | "
                  f"{c['marginal_exclusion']:.1%} |")
        print(flush=True)
    if "detection" not in args.skip:
        print(f"## Detection: share of {reps} one-cell comparisons claiming `improved` "
              "(latency x (1 - shift); '—' = no claim possible at that n)\n")
        print("| pairing | n a side | shift | p50 | p95 | p99 |")
        print("|---|---|---|---|---|---|")
        for d in detection(reps):
            cells = " | ".join("—" if d[m] is None else f"{d[m]:.0%}" for m in ("p50_ms", "p95_ms", "p99_ms"))
            print(f"| {'paired' if d['paired'] else 'unpaired'} | {d['n']} | {d['shift']:.0%} | {cells} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
