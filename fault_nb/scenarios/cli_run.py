"""`fault-nb scenario run`: the run verb, added to the `scenario` group by scenarios/cli.py.

Kept light: the runner (asyncio, proxy, pandas through Results) is imported
inside the handler.
"""
from __future__ import annotations

import argparse
import os


def add_run_parser(scenario_subparsers) -> argparse.ArgumentParser:
    """Add ``run --scenario FILE [--result results.json] [--report report.md]``.

    >>> add_run_parser(sub)  # doctest: +SKIP
    """
    p = scenario_subparsers.add_parser(
        "run", help="run scenarios through the fault-injecting proxy",
        description="Run every scenario item through fault_nb's proxy and write fault-compatible "
                    "results.json and report.md.")
    p.add_argument("-s", "--scenario", default=os.environ.get("FAULT_SCENARIO_PATH"),
                   required="FAULT_SCENARIO_PATH" not in os.environ,
                   help="scenario YAML file or folder (env FAULT_SCENARIO_PATH)")
    p.add_argument("--result", default=os.environ.get("FAULT_SCENARIO_RESULTS_PATH", "results.json"),
                   help="results file, .json or .yaml (default results.json)")
    p.add_argument("-r", "--report", default=os.environ.get("FAULT_SCENARIO_REPORT_PATH", "report.md"),
                   help="Markdown report (default report.md)")
    p.add_argument("--proxy-port", type=int, default=None, help="port of the local proxy (default: a free one)")
    p.add_argument("--seed", type=int, default=None,
                   help="fault seed: every random fault decision depends only on (seed, scenario, item, "
                        "request index), so two runs with one seed face the same faults (fault-nb compare "
                        "then pairs their requests)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)
    return p


def _run(args) -> int:
    import sys

    from .runner import run_scenarios

    results = run_scenarios(args.scenario, result=args.result, report=args.report,
                            progress=not args.no_progress, proxy_port=args.proxy_port,
                            seed=args.seed)
    raw = results.raw
    items = [ir for sr in raw["results"] for ir in sr["results"]]
    requests = sum(ir["requests_count"] for ir in items)
    failed = sum(ir["failure_counts"] for ir in items)
    print(f"{len(raw['results'])} scenario(s), {len(items)} item(s), {requests} request(s), "
          f"{failed} failed expectation(s)", file=sys.stderr)
    print(f"results: {args.result}\nreport: {args.report}")
    return 0
