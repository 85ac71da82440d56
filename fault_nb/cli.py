"""`fault-nb` command line: verbs mirroring fault's.

    fault-nb results summary --results results.json [--format md|json]
    fault-nb scenario generate (--spec-url URL | --spec-file FILE) --scenario OUT.yaml
    fault-nb scenario run --scenario FILE [--result results.json] [--report report.md]
    fault-nb index --source-dir DIR [--source-lang L] [--endpoints FILE] [--json]
    fault-nb agent scenario-review --results FILE [--role developer|sre]
    fault-nb agent code-review --results FILE --source-dir DIR [...]
    fault-nb compare --before FILE --after FILE [--format md|json]

Each command group lives beside the code it drives (``fault_nb/<pkg>/cli.py``)
and exposes ``register(subparsers)``; this module only wires them together and
turns :class:`~fault_nb.errors.FaultNbError` into a one-line message.
"""
from __future__ import annotations

import argparse
import importlib
import sys

# modules that contribute sub-commands; each has register(subparsers)
_COMMAND_MODULES = (
    "fault_nb.results.cli",
    "fault_nb.scenarios.cli",
    "fault_nb.code.cli",
    "fault_nb.review.cli",
    "fault_nb.verify.cli",
    "fault_nb.demo",
)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="fault-nb",
        description="Resilience code review for HTTP apps, notebook-first.",
    )
    parser.add_argument("--version", action="version", version=f"fault-nb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that command group is not part of this build
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .errors import FaultNbError

    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(func(args) or 0)
    except FaultNbError as exc:
        print(f"fault-nb: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fault-nb: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `fault-nb ... | head`
        return 0
    except OSError as exc:  # a file we were told to read or write: one line, not a traceback
        if exc.filename is None:
            raise
        print(f"fault-nb: error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
