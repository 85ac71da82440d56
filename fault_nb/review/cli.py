"""`fault-nb agent ...`: scenario review and code review from the terminal (fault's verbs).

    fault-nb agent scenario-review --results FILE [--role developer|sre] [--report FILE]
    fault-nb agent code-review --results FILE --source-dir DIR [--source-lang L]
        [--scenario-review-report FILE] [--endpoint OPID | --all] [--report FILE] [--json]
        [--save-reviews FILE]
    fault-nb agent verify --scenario FILE --source-dir DIR --app-cmd CMD (--reviews FILE | --all) ...

The LLM comes from the environment (FAULT_NB_LLM_*, listed by ``--help``;
fault_nb/settings.py owns them); without one, or with ``--offline``, the
offline rules reviewer runs and says so. ``--timeout``, ``--deadline``,
``--max-tokens`` and ``--context`` override their variables. Kept light: the
work is imported inside the handlers.
"""
from __future__ import annotations

import argparse
import json
import sys


def _llm_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model call limits (override the FAULT_NB_LLM_* variables)")
    g.add_argument("--timeout", type=float, default=None, metavar="S",
                   help="seconds one model call may take (FAULT_NB_LLM_TIMEOUT, default 120)")
    g.add_argument("--deadline", type=float, default=None, metavar="S",
                   help="seconds one review may take (FAULT_NB_LLM_DEADLINE, default 900)")
    g.add_argument("--max-tokens", type=int, default=None, metavar="N",
                   help="answer length cap per call (FAULT_NB_LLM_MAX_TOKENS; default sized per call)")
    g.add_argument("--context", type=int, default=None, metavar="N",
                   help="the model's context window in tokens (FAULT_NB_LLM_CONTEXT; default: ask the server)")


def register(sub: argparse._SubParsersAction) -> None:
    from ..settings import variables_help

    epilog = variables_help()
    agent = sub.add_parser("agent", help="LLM (or offline) scenario review and code review",
                           description="Review scenario results and the code behind each endpoint.",
                           epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = agent.add_subparsers(dest="agent_command", metavar="COMMAND")
    agent.set_defaults(func=lambda args: (agent.print_help(sys.stderr), 2)[1])

    s = verbs.add_parser("scenario-review", help="seven-phase analysis of a results file",
                         description="Analyse results.json in seven phases and write a Markdown (or PDF) report.",
                         epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--results", default="results.json", help="fault's results.json (default: %(default)s)")
    s.add_argument("--role", default="developer", choices=("developer", "sre"), help="audience of the analysis")
    s.add_argument("--report", default="scenario-review-report.md",
                   help="output file, .md or .pdf (default: %(default)s)")
    s.add_argument("--offline", action="store_true", help="never call an LLM, even if one is configured")
    _llm_flags(s)
    s.set_defaults(func=run_scenario_review)

    c = verbs.add_parser("code-review", help="verified code changes for one or every endpoint",
                         description="Suggest resilience changes to the code behind endpoints, as verified diffs.",
                         epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("--results", default="results.json", help="fault's results.json (default: %(default)s)")
    c.add_argument("--source-dir", required=True, help="the application's source folder")
    c.add_argument("--source-lang", default=None, help="python, javascript, typescript, go, rust or java")
    c.add_argument("--scenario-review-report", default=None, metavar="FILE",
                   help="a scenario review report to give the reviewer as context "
                        "(default: scenario-review-report.md when it exists, as fault does)")
    which = c.add_mutually_exclusive_group()
    which.add_argument("--endpoint", default=None, metavar="OPID", help="the operationId to review")
    which.add_argument("--all", action="store_true", help="review every endpoint")
    c.add_argument("--report", default="code-review-report.md", help="output file, .md or .pdf (default: %(default)s)")
    c.add_argument("--json", action="store_true", help="print the reviews as JSON on stdout")
    c.add_argument("--save-reviews", default=None, metavar="FILE",
                   help="also save the reviews as JSON, to verify them later (fault-nb agent verify --reviews FILE)")
    c.add_argument("--max-concurrency", type=int, default=4, help="parallel LLM calls with --all")
    c.add_argument("--offline", action="store_true", help="use the offline rules reviewer even if an LLM is set")
    _llm_flags(c)
    c.set_defaults(func=run_code_review)

    from ..verify.cli_verify import add_verify_parser

    add_verify_parser(verbs)


def _llm(args: argparse.Namespace):
    if args.offline:
        return None
    from .._defaults import defaults

    options = {"timeout": args.timeout, "deadline": args.deadline, "max_tokens": args.max_tokens,
               "context_window": args.context}
    for flag, value in options.items():
        if value is not None and value <= 0:
            from ..errors import FaultNbError
            raise FaultNbError(f"--{flag.replace('_window', '').replace('_', '-')} {value:g}: expected a "
                               "positive number")
    return defaults(embedder=None, store=None, llm_options=options).llm


def _say(args: argparse.Namespace):
    """Progress on stderr: every step on a terminal, else one line per endpoint/phase (log-friendly)."""
    # code review sends ReviewProgress events, scenario review plain messages
    return ((lambda m: print(f"  {getattr(m, 'message', m)}", file=sys.stderr, flush=True))
            if sys.stderr.isatty() else None)


def _write(markdown: str, path: str) -> str:
    from ..export import export_report

    return str(export_report(markdown, path))


def run_scenario_review(args: argparse.Namespace) -> int:
    from ..results import load_results
    from .scenario_review import review_scenarios

    llm = _llm(args)  # settings first: a bad variable fails before any work
    results = load_results(args.results)
    say = _say(args) or (lambda m: print(f"scenario review: {m}", file=sys.stderr, flush=True)
                         if m.startswith("phase") else None)
    sr = review_scenarios(results, role=args.role, llm=llm, on_progress=say, progress=False)
    out = _write(sr.markdown, args.report)
    print(f"scenario review ({sr.provenance.get('label')}) written to {out}")
    failed = sr.provenance.get("failed_phases") or []
    if llm is not None and failed and len(failed) == len(sr.phases):
        print(f"fault-nb: error: no phase got a usable answer from the model ({sr.provenance.get('error')})",
              file=sys.stderr)
        return 1
    return 0


def _choose(ops: list[str], labels: list[str]) -> str:
    from ..errors import FaultNbError

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise FaultNbError("choose an endpoint with --endpoint OPID or review them all with --all. "
                           "Endpoints: " + ", ".join(ops))
    for i, label in enumerate(labels, 1):
        print(f"  {i:>2}. {label}")
    while True:
        answer = input(f"Endpoint to review [1-{len(ops)}]: ").strip()
        if answer.isdigit() and 1 <= int(answer) <= len(ops):
            return ops[int(answer) - 1]
        if answer in ops:
            return answer
        print(f"  please type a number between 1 and {len(ops)}")


def run_code_review(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..code import index_source
    from ..errors import FaultNbError, UnknownEndpointError
    from ..results import load_results
    from .code_review import review_all, review_endpoint
    from .model import ReviewProgress
    from .render import reviews_markdown

    llm = _llm(args)  # settings first: a bad variable fails before any work
    results = load_results(args.results)
    ops = list(results.operation_ids)
    eps = results.endpoints
    if not ops:
        raise FaultNbError(f"{args.results}: " + ("no endpoint has an operationId (call.meta.operation_id)" if len(eps)
                                                  else "the file has no scenario items, so no endpoint")
                           + "; nothing to review")
    # fault's "none" placeholder got a derived id (in ops): only endpoints with no id at all are left out
    unnamed = [str(label) for label, opid in zip(eps["label"], eps["operation_id"]) if opid not in ops]
    if args.all and unnamed:  # fault's code review keys on operationIds: say which endpoints that leaves out
        print(f"fault-nb: note: {len(unnamed)} endpoint(s) without an operationId are not reviewed: "
              f"{', '.join(unnamed[:3])}{' ...' if len(unnamed) > 3 else ''}", file=sys.stderr)
    if not Path(args.source_dir).is_dir():
        raise FaultNbError(f"--source-dir {args.source_dir}: not a directory")
    if args.endpoint and args.endpoint not in ops:
        raise UnknownEndpointError(args.endpoint, ops)
    advices = None
    if args.scenario_review_report is None and Path("scenario-review-report.md").is_file():
        args.scenario_review_report = "scenario-review-report.md"
        print("using scenario-review-report.md as context", file=sys.stderr)
    if args.scenario_review_report:
        p = Path(args.scenario_review_report)
        if not p.is_file():
            raise FaultNbError(f"--scenario-review-report {p}: no such file")
        advices = p.read_text(encoding="utf-8")
    chosen = ops if args.all else [args.endpoint] if args.endpoint else None
    if chosen is None:
        eps = results.endpoints
        labels = [str(eps[eps["operation_id"] == o]["label"].iloc[0]) if len(eps[eps["operation_id"] == o]) else o
                  for o in ops]
        chosen = [_choose(ops, labels)]
    tty = sys.stderr.isatty() and not args.json
    index = index_source(args.source_dir, args.source_lang, endpoints=results, progress=tty)
    def line(event: ReviewProgress) -> None:  # not a terminal: one line per endpoint
        print(f"code review {event.done}/{event.total}: {event.operation_id}", file=sys.stderr, flush=True)

    try:
        if len(chosen) == 1:
            reviews = [review_endpoint(results, index, chosen[0], advices=advices, llm=llm,
                                       on_progress=_say(args))]
        else:
            reviews = review_all(results, index, llm=llm, max_concurrency=args.max_concurrency, advices=advices,
                                 operation_ids=chosen, progress=tty,
                                 on_progress=None if sys.stderr.isatty() else line)
    finally:
        close = getattr(index, "close", None)
        if close:
            close()
    if all(r.handler is None or not r.handler.mapped or not r.handler.start_line for r in reviews):
        print(f"fault-nb: warning: no handler of {', '.join(r.operation_id for r in reviews[:3])}"
              f"{' ...' if len(reviews) > 3 else ''} was found under {args.source_dir}, so nothing was checked: "
              f"is it the source of the app that produced {args.results}"
              f"{' (and is --source-lang ' + args.source_lang + ' right?)' if args.source_lang else ''}?",
              file=sys.stderr)
    who = reviews[0].provenance.label
    title = f"Code review: {who}" if len(reviews) > 1 else None
    out = _write(reviews_markdown(reviews, title=title), args.report)
    if args.save_reviews:
        from .model import save_reviews

        print(f"reviews saved to {save_reviews(reviews, args.save_reviews)}", file=sys.stderr)
    if args.json:
        print(json.dumps({"report": out, "reviews": [r.to_dict() for r in reviews]}, indent=2, default=str))
        return 0
    for r in reviews:
        err = r.provenance.get("error")
        print(f"{r.operation_id}: " + (f"failed: {err}" if err else
                                       f"{len(r.verified)} verified, {len(r.rejected)} rejected"
                                       + (" (the model's answer could not be read)"
                                          if r.provenance.get("unreadable") else "")))
    print(f"code review ({who}) written to {out}")
    return _exit_code(reviews, llm)


def _exit_code(reviews: list, llm) -> int:
    """Non-zero when no endpoint got a readable model answer: '0 verified' must not read as success."""
    if llm is None:
        return 0
    bad = [r for r in reviews if r.provenance.get("error") or r.provenance.get("unreadable")]
    if len(bad) == len(reviews):
        failed = sum(1 for r in bad if r.provenance.get("error"))
        print(f"fault-nb: error: no model answer could be used ({failed} failed, {len(bad) - failed} unreadable "
              "of " + str(len(reviews)) + "); the report says why per endpoint", file=sys.stderr)
        return 1
    return 0
