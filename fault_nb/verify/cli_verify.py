"""`fault-nb agent verify`: measure what suggested changes do, from the terminal.

    fault-nb agent verify --scenario FILE --source-dir DIR --app-cmd "uvicorn app:app --port {port}"
        [--dependency NAME=URL ...] (--reviews FILE [--only IDS] | --all [--offline])
        [--mode together|each] [--runs N] [--seed N] [--control] [--out DIR] [--format md|json]

Added to the ``agent`` group by ``fault_nb/review/cli.py``; the work is imported
inside the handler so building the parser stays cheap.
"""
from __future__ import annotations

import argparse
import sys


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=VALUE")
    return name.strip(), value.strip()


def add_verify_parser(agent_verbs) -> argparse.ArgumentParser:
    """Add ``verify`` to the ``agent`` sub-commands."""
    p = agent_verbs.add_parser(
        "verify", help="apply suggestions to a copy, re-run the scenarios, measure the effect",
        description="Copy the source, apply the chosen suggestions there, start the original and the patched "
                    "app (each on a fresh port, dependencies behind fault proxies), run the same scenarios with "
                    "the same seed, and compare before and after with confidence intervals. The source folder "
                    "is only read.")
    p.add_argument("--scenario", required=True, help="scenario YAML file or folder (its calls are retargeted "
                                                     "to the app this command starts)")
    p.add_argument("--source-dir", required=True, help="the app's source folder (copied, never changed)")
    p.add_argument("--app-cmd", required=True, metavar="COMMAND",
                   help='how to start the app, with {port} or reading PORT, e.g. "uvicorn app:app --port {port}" '
                        'or "node src/server.js"; run from the copy of --source-dir')
    p.add_argument("--app-env", action="append", type=_pair, default=[], metavar="NAME=VALUE",
                   help="environment for the app (repeatable; {port} is replaced)")
    p.add_argument("--app-cwd", default=".", help="folder to run the command in, relative to the source")
    p.add_argument("--ready-path", default="/", help="path that answers below 500 once the app is up (default /)")
    p.add_argument("--ready-timeout", type=float, default=30.0, help="seconds to wait for it (default 30)")
    p.add_argument("--dependency", action="append", type=_pair, default=[], metavar="NAME=URL",
                   help="a running service the app calls, and the variable the app reads its URL from, e.g. "
                        "INVENTORY_URL=http://127.0.0.1:9191 (repeatable); a fault proxy goes in between and "
                        "items whose upstreams name that URL fault it")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--reviews", metavar="FILE",
                       help="reviews saved by `fault-nb agent code-review --save-reviews FILE`")
    which.add_argument("--all", action="store_true",
                       help="review every endpoint now (on the baseline run) and verify every verified suggestion")
    p.add_argument("--only", default=None, metavar="IDS",
                   help="comma-separated suggestion ids to verify (s1, or OPERATION_ID:s1 with several reviews); "
                        "default: every verified suggestion that is ticked")
    p.add_argument("--offline", action="store_true", help="with --all: the offline rules reviewer even if an LLM is set")
    p.add_argument("--mode", choices=("together", "each"), default="together",
                   help="apply the suggestions together, or each alone plus all together (default together)")
    p.add_argument("--runs", type=int, default=1, help="runs of the scenarios per side (default 1)")
    p.add_argument("--seed", type=int, default=0, help="fault seed, the same for both sides (default 0)")
    p.add_argument("--control", action="store_true",
                   help="A/A drift check: start the unchanged app once more after the patched ones and compare "
                        "it with the baseline, to show how much the machine alone moved the numbers; costs one "
                        "more baseline block (--runs runs of the scenarios)")
    p.add_argument("--confidence", type=float, default=0.95, help="confidence level of the intervals")
    p.add_argument("--out", default="verify-out", help="folder for results, logs and the verdicts (default %(default)s)")
    p.add_argument("--format", choices=("md", "json"), default="md", help="what to print (default md)")
    p.set_defaults(func=run_verify)
    return p


def run_verify(args: argparse.Namespace) -> int:
    import json

    from .launcher import AppSpec
    from .loop import verify_fix

    spec = AppSpec(args.app_cmd, env=dict(args.app_env), ready_path=args.ready_path,
                   ready_timeout=args.ready_timeout, cwd=args.app_cwd)
    llm = None
    if args.all and not args.offline:
        from .._defaults import defaults

        llm = defaults(embedder=None, store=None).llm
    only = [s for s in (args.only or "").split(",") if s.strip()] or None
    verification = verify_fix("all" if args.all else args.reviews, args.scenario, args.source_dir, spec,
                              only=only, dependencies=dict(args.dependency), runs=args.runs, seed=args.seed,
                              mode=args.mode, out_dir=args.out, confidence=args.confidence,
                              progress=sys.stderr.isatty(), llm=llm, control=args.control)
    if args.format == "json":
        print(json.dumps(verification.to_dict(), indent=2, default=str))
    else:
        print(verification.to_markdown())
    print(f"verification written to {verification.out_dir}", file=sys.stderr)
    return 0
