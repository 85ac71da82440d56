"""`fault-nb index`: index a source tree and print the endpoint -> handler table.

    fault-nb index --source-dir app/ [--source-lang python] [--endpoints results.json] [--json]

Kept light: the index itself is imported inside the handler.
"""
from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="index a source tree and map endpoints to handlers",
                       description="Index a source tree (tree-sitter + embedded qdrant) and print "
                                   "which handler serves each endpoint.")
    p.add_argument("--source-dir", required=True, help="the application's source folder")
    p.add_argument("--source-lang", default=None,
                   help="python, javascript, typescript, go, rust or java (default: detected)")
    p.add_argument("--endpoints", default=None, metavar="FILE",
                   help="a results.json/.yaml or an OpenAPI document listing the endpoints")
    p.add_argument("--cache-dir", default=None, help="where to keep the index (default: the fault-nb cache)")
    p.add_argument("--json", action="store_true", help="print the mapping and stats as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .._defaults import defaults
    from . import index_source

    # dense vectors only when FAULT_NB_EMBED_BASE_URL / FAULT_NB_EMBED_MODEL say so (the edge builds them)
    embedder = defaults(llm=None).embedder
    index = index_source(args.source_dir, args.source_lang, endpoints=args.endpoints, embedder=embedder,
                         cache_dir=args.cache_dir, progress=not args.json and sys.stderr.isatty())
    try:
        matches = [index.handler_for(opid) for opid, _, _ in index.endpoints]
        if args.json:
            print(json.dumps({"source_dir": str(index.source_dir), "lang": index.lang,
                              "stats": index.stats, "endpoints": [asdict(m) for m in matches]}, indent=2))
            return 0
        print(f"{index.source_dir} ({index.lang or 'no source files'})")
        s = index.stats
        if s["dense"]:
            print(f"  dense vectors: {s['dense']}")
        print(f"  {s['files_indexed']} files ({s['files_changed']} changed, {s['files_deleted']} deleted), "
              f"{s['chunks']} chunks, {s['routes']} routes, {s['lines']} lines in {s['seconds']} s")
        if s["skipped"]:
            print("  skipped: " + ", ".join(f"{k} {v}" for k, v in s["skipped"].items()))
        if s["files_with_syntax_errors"]:
            print(f"  {s['files_with_syntax_errors']} file(s) with syntax errors (chunked anyway)")
        if not matches:
            print("no endpoints (pass --endpoints, or the code declares no FastAPI route)")
            return 0
        rows = [(m.operation_id, f"{m.method or ''} {m.path or ''}".strip(),
                 f"{m.file}:{m.start_line}-{m.end_line} {m.function}" if m.mapped else "-",
                 m.how + (f" {m.score:.2f}" if m.how == "fuzzy" else ""))
                for m in matches]
        head = ("operationId", "request", "handler", "how")
        widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(4)]
        for r in [head, tuple("-" * w for w in widths), *rows]:
            print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip())
        for m in matches:
            if not m.mapped:
                print(f"unmapped {m.operation_id}: {m.reason}")
        return 0
    finally:
        index.close()
