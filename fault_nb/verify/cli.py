"""``fault-nb compare``: before/after of two results files, with intervals and verdicts.

    fault-nb compare --before before.json --after after.json [--format md|json] [--confidence 0.95]
        [--min-effect-ms 2] [--min-effect-pct 1]

Kept import-light: the parser is built on every ``fault-nb`` call, so numpy and
pandas are only imported inside the handler.
"""
from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    """Add the ``compare`` command to the ``fault-nb`` parser."""
    p = sub.add_parser(
        "compare", help="compare two results files (before/after a fix) with confidence intervals",
        description="Compare two runs of the same scenarios cell by cell (endpoint x fault x strategy): "
                    "p50/p95/p99, error and 5xx rates and SLOs, with bootstrap / Newcombe intervals and "
                    "Benjamini-Hochberg-adjusted verdicts. Runs made with the same --seed are paired "
                    "request by request.")
    p.add_argument("--before", required=True, metavar="FILE", help="results file of the run before the change")
    p.add_argument("--after", required=True, metavar="FILE", help="results file of the run after the change")
    p.add_argument("--format", choices=("md", "json"), default="md",
                   help='md: a Markdown report; json: {"rows": [...], ...} (default: md)')
    p.add_argument("--confidence", type=_confidence, default=0.95, metavar="C",
                   help="confidence of the intervals; claims use q = 1 - C (default 0.95)")
    p.add_argument("--min-effect-ms", type=_non_negative, default=None, metavar="MS",
                   help="noise floor: a latency claim's interval must lie beyond +-max(MS, PCT %% of before) "
                        "(default 2)")
    p.add_argument("--min-effect-pct", type=_non_negative, default=None, metavar="PCT",
                   help="the relative part of the noise floor, in %% of the before value (default 1)")
    p.set_defaults(func=_compare)


def _number(low: float, high: float, example: str, bounds: str):
    """An argparse type: a float in [low, high), else a one-line error naming ``bounds``."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number such as {example}, got {text!r}") from None
        if not low <= value < high:
            raise argparse.ArgumentTypeError(f"expected a number {bounds}, got {text}")
        return value
    return parse


_confidence = _number(0.5, 1.0, "0.95", "in [0.5, 1)")
_non_negative = _number(0.0, float("inf"), "2", ">= 0")


def _compare(args) -> int:
    from .compare import compare

    floor = {k: v for k, v in (("min_effect_ms", args.min_effect_ms), ("min_effect_pct", args.min_effect_pct))
             if v is not None}
    result = compare(args.before, args.after, confidence=args.confidence, **floor)
    if args.format == "json":
        sys.stdout.write(result.to_json() + "\n")
    else:
        sys.stdout.write(result.to_markdown())
    for w in result.warnings:
        print(f"fault-nb: warning: {w}", file=sys.stderr)
    sys.stdout.flush()
    return 0
