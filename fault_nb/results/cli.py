"""``fault-nb results ...``: look at a results.json from the terminal.

    fault-nb results summary --results results.json [--format md|json]

Kept import-light: the parser is built on every ``fault-nb`` call, so the
results package is imported inside the handler only.
"""
from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    """Add the ``results`` command group to the ``fault-nb`` parser."""
    results = sub.add_parser("results", help="read fault's results.json / results.yaml")
    rsub = results.add_subparsers(dest="results_command", metavar="SUBCOMMAND")
    summary = rsub.add_parser(
        "summary",
        help="print fault's Markdown report (or the Report numbers as JSON) for a results file",
        description="Rebuild fault's report from a results.json/results.yaml and print it.",
    )
    summary.add_argument("--results", default="results.json", metavar="FILE",
                         help="results file written by fault or fault-nb (default: results.json)")
    summary.add_argument("--format", choices=("md", "json"), default="md",
                         help="md: fault's report.md; json: the Report numbers (default: md)")
    summary.add_argument("--end-time", default=None, metavar="RFC3339",
                         help="end time to print (default: the file's own end; 'now' for the wall clock)")
    summary.set_defaults(func=_summary)
    results.set_defaults(func=lambda args: _help(results))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _summary(args) -> int:
    from .model import load_results
    from .report import FILE_END

    end_time = args.end_time if args.end_time else FILE_END
    if args.end_time:
        from ..errors import FaultNbError
        from .report import _end_time

        try:
            _end_time(args.end_time)
        except ValueError as exc:
            raise FaultNbError(f"--end-time: {exc}") from None
    results = load_results(args.results)
    if args.format == "json":
        from ._serde import dumps_json

        sys.stdout.write(dumps_json(results.report(end_time=end_time)) + "\n")
    else:
        sys.stdout.write(results.to_markdown(end_time=end_time))
    sys.stdout.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run only the ``results`` commands (``python -m fault_nb.results.cli summary ...``)."""
    from ..errors import FaultNbError

    parser = argparse.ArgumentParser(prog="fault-nb results")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    register(sub)
    args = parser.parse_args(["results", *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.func(args) or 0)
    except FaultNbError as exc:
        print(f"fault-nb: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `... | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
