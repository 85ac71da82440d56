"""`fault-nb scenario ...`: generate (here) and run (``cli_run``, when present).

    fault-nb scenario generate (--spec-url URL | --spec-file FILE) --scenario OUT.yaml
                               [--operation ID ...] [--kind K ...] [--fault-compat]
                               [--base-url URL] [--load-scale F]

Like fault, the options fall back to ``FAULT_SCENARIO_PATH``,
``FAULT_SCENARIO_OPENAPI_V3_SPEC_FILE`` and ``FAULT_SCENARIO_OPENAPI_V3_SPEC_URL``.
An existing directory as ``--scenario`` gets one file per endpoint.
Heavy imports happen inside the handler.
"""
from __future__ import annotations

import argparse
import os

from .catalogue import KINDS  # pure data: keeps the parser light


def register(subparsers) -> None:
    scenario = subparsers.add_parser("scenario", help="generate and run resilience scenarios")
    sub = scenario.add_subparsers(dest="scenario_command", metavar="SUBCOMMAND")
    gen = sub.add_parser(
        "generate", help="generate fault's resilience scenarios from an OpenAPI document",
        description="Generate eight resilience scenarios per OpenAPI operation (fault's set). "
                    "The default mode fills path/query parameters and request bodies so calls reach "
                    "the handlers; --fault-compat writes exactly what `fault scenario generate` writes.")
    src = gen.add_mutually_exclusive_group()
    src.add_argument("--spec-url", help="URL of the OpenAPI document (JSON or YAML)")
    src.add_argument("--spec-file", help="OpenAPI document file (JSON or YAML)")
    gen.add_argument("--scenario",
                     help="output YAML file, or an existing directory for one file per endpoint")
    gen.add_argument("--operation", action="append", metavar="ID",
                     help="only this operationId or 'METHOD /path' (repeatable)")
    gen.add_argument("--kind", action="append", choices=KINDS, help="only this scenario kind (repeatable)")
    gen.add_argument("--fault-compat", action="store_true",
                     help="reproduce fault's output byte for byte (unfilled placeholders, empty bodies)")
    gen.add_argument("--base-url", help="send the calls here instead of the document's servers")
    gen.add_argument("--load-scale", type=float, default=1.0,
                     help="multiply load test durations (e.g. 0.2 for a quick demo run)")
    gen.set_defaults(func=_generate)
    try:
        from .cli_run import add_run_parser
    except ModuleNotFoundError as exc:
        if exc.name != "fault_nb.scenarios.cli_run":
            raise
    else:
        add_run_parser(sub)

    def _help(args, parser=scenario) -> int:
        parser.print_help()
        return 2

    scenario.set_defaults(func=_help)


def _generate(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from .._io import atomic_write, safe_join
    from ..errors import FaultNbError
    from . import dumps_scenarios_yaml
    from .generate import generate_scenarios, split_by_endpoint

    spec = (args.spec_url or args.spec_file or os.environ.get("FAULT_SCENARIO_OPENAPI_V3_SPEC_URL")
            or os.environ.get("FAULT_SCENARIO_OPENAPI_V3_SPEC_FILE"))
    args.scenario = args.scenario or os.environ.get("FAULT_SCENARIO_PATH")
    if not spec:
        raise FaultNbError("give --spec-url URL or --spec-file FILE")
    if not args.scenario:
        raise FaultNbError("give --scenario OUT.yaml (or a directory)")
    scenarios = generate_scenarios(spec, operations=args.operation, kinds=args.kind,
                                   fault_compat=args.fault_compat, base_url=args.base_url,
                                   load_scale=args.load_scale)
    for note in scenarios.warnings:
        print(f"fault-nb: note: {note}", file=sys.stderr)
    out = Path(args.scenario)
    if out.is_dir():
        groups = split_by_endpoint(scenarios)
        for name, batch in groups.items():
            atomic_write(safe_join(out, name), dumps_scenarios_yaml(batch))
        endpoints = len(groups)
    else:
        atomic_write(out, dumps_scenarios_yaml(scenarios))
        endpoints = len({s["items"][0]["call"]["url"] for s in scenarios if s.get("items")})
    print(f"Generated {len(scenarios)} reliability scenarios across {endpoints} endpoints!")
    return 0
