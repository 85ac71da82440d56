"""What a tick costs: recomputing the diffs of a chosen subset vs the review itself (same run).

For every endpoint of the seed and orders apps with two or more verified suggestions, the
offline rules review (``review_endpoint``, which also settles what each suggestion needs) is
the baseline; each proper subset's ``combined_diff`` (the rules re-run on only the chosen
findings, what the DiffViewer does on a tick) is measured against it. Prints medians and the
ratio; no time is asserted anywhere.

    .venv/bin/python benchmarks/bench_subsets.py
"""
from __future__ import annotations

import itertools
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "review"))


def main(repeats: int = 5) -> None:
    import fault_nb
    from fault_nb.demo import find_shared
    from fault_nb.results import Results
    from orders_results import orders_results_dict

    shared = find_shared()
    work = Path(tempfile.mkdtemp(prefix="bench-subsets-"))
    try:
        cases = [("webapp", fault_nb.load_results(shared / "fixtures" / "results" / "seed_app.results.json")),
                 ("orders", Results.from_dict(orders_results_dict(), source="orders.results.json"))]
        review_s: list[float] = []
        subset_s: list[float] = []
        for app, results in cases:
            src = shutil.copytree(shared / "apps" / app, work / app, ignore=shutil.ignore_patterns("*.db"))
            index = fault_nb.index_source(src, "python", endpoints=results, cache_dir=work / f"{app}-idx",
                                          progress=False)
            try:
                for opid in results.operation_ids:
                    times, review = [], None
                    for _ in range(repeats):
                        t = time.perf_counter()
                        review = fault_nb.review_endpoint(results, index, opid)
                        times.append(time.perf_counter() - t)
                    ids = [s.id for s in review.verified]
                    if len(ids) < 2:
                        continue
                    review_s.append(statistics.median(times))
                    for n in range(1, len(ids)):
                        for subset in itertools.combinations(ids, n):
                            ts = []
                            for _ in range(repeats):
                                t = time.perf_counter()
                                review.combined_diff(list(subset))
                                ts.append(time.perf_counter() - t)
                            subset_s.append(statistics.median(ts))
                    print(f"{app} {opid}: {len(ids)} suggestions, review {statistics.median(times) * 1000:.0f} ms")
            finally:
                index.close()
        base, tick = statistics.median(review_s), statistics.median(subset_s)
        print(f"review (baseline): median {base * 1000:.0f} ms over {len(review_s)} endpoints")
        print(f"one subset's diffs (a tick): median {tick * 1000:.0f} ms over {len(subset_s)} subsets")
        print(f"ratio tick / review: {tick / base:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
