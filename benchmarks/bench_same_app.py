"""The same app twice: how often does compare() claim a change when the code did not change?

The simulated calibration study (bench_compare.py) draws the app's own time afresh
from one distribution; a real machine adds scheduling and timer noise that moves
between runs. This runs the repository's sample webapp (examples/apps/webapp) through
the real proxy and load generator, ``--pairs`` times two runs with one fault seed, and
compares each pair with the default noise floor and without one (``min_effect_ms=0,
min_effect_pct=0``). ``--busy`` keeps one core busy in a child process (a loaded CI
runner); the child is stopped by PID.

Two cells per run, 60 requests each (the test's): an http-error coin plus a 20 +- 15 ms latency
(p50 about 27 ms) and a DNS fault at rate 0.5 (p50 about 3 ms).

    .venv/bin/python benchmarks/bench_same_app.py [--pairs 8] [--busy]

Prints the claims per tested row both ways and the largest distance from 0 of an
interval; never asserts.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fault_nb._tools import stop_group  # noqa: E402
from fault_nb.apps import serve_app  # noqa: E402
from fault_nb.scenarios.runner import run_scenarios  # noqa: E402
from fault_nb.verify import compare  # noqa: E402


def _item(url: str, faults: list[dict]) -> dict:
    origin = url.split("/", 3)[0] + "//" + url.split("/", 3)[2]
    return {"call": {"method": "GET", "url": url, "meta": {"operation_id": "index__get"}},
            "context": {"upstreams": [origin], "faults": faults,
                        "strategy": {"mode": "load", "duration": "3s", "clients": 1, "rps": 20}}}


def main(argv: list[str] | None = None) -> int:
    from tqdm.auto import tqdm

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=8)
    ap.add_argument("--busy", action="store_true", help="keep one core busy while measuring")
    args = ap.parse_args(argv)
    hog = (subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
           if args.busy else None)
    floored, bare, tested, worst = 0, 0, 0, 0.0
    try:
        with tempfile.TemporaryDirectory() as work, serve_app(ROOT / "examples" / "apps" / "webapp",
                                                              workdir=work) as app:
            port = app.url.rsplit(":", 1)[1]
            scenario = [{"title": "same app twice", "items": [
                _item(app.url + "/", [{"type": "httperror", "status_code": 503, "probability": 0.4},
                                      {"type": "latency", "mean": 20.0, "stddev": 15.0}]),
                _item(f"http://localhost:{port}/", [{"type": "dns", "rate": 0.5}]),
            ]}]
            for _ in tqdm(range(args.pairs), desc="pairs of runs"):
                one = run_scenarios(scenario, progress=False, seed=5)
                two = run_scenarios(scenario, progress=False, seed=5)
                with_floor = compare(one, two).table
                without = compare(one, two, min_effect_ms=0, min_effect_pct=0).table
                lat = without[(without["unit"] == "ms") & without["p_value"].notna()]
                tested += len(lat)
                bare += int((lat["verdict"] != "no-change").sum())
                floored += int(((with_floor["unit"] == "ms") & (with_floor["verdict"] != "no-change")).sum())
                away = lat[["ci_low", "ci_high"]].abs().min(axis=1)[(lat["ci_low"] > 0) | (lat["ci_high"] < 0)]
                worst = max([worst, *away.tolist()])
                for r in lat.itertuples():
                    print(f"  {r.fault:>20} {r.metric}: before {r.before:7.2f} ms, delta {r.delta:+6.2f} ms, "
                          f"95% CI {r.ci_low:+6.2f} to {r.ci_high:+6.2f}, p {r.p_value:.3f}", flush=True)
    finally:
        if hog is not None:
            stop_group(hog)
    print(f"\n{args.pairs} pairs of runs of the same app, one seed{' , one core busy' if args.busy else ''}: "
          f"{tested} tested latency rows")
    print(f"claims without a noise floor: {bare} ({bare / max(tested, 1):.1%} of rows)")
    print(f"claims with the default floor (2 ms, 1 %): {floored} ({floored / max(tested, 1):.1%} of rows)")
    print(f"largest distance from 0 of an interval excluding 0: {worst:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
