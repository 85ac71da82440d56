"""Benchmark the code index on sqlalchemy's installed sources (>100k lines).

Measures, in one run, against a same-run baseline (a plain tree-sitter parse
of every file, the least any index has to do):

- full index (walk, parse, chunk, routes, sparse vectors, embedded qdrant writes)
- unchanged re-index (hash every file, reuse the manifest)
- re-index after touching one file
- ``context_for`` and ``search`` p50 / p95
- peak memory: max RSS, and Python allocations under tracemalloc (separate, untimed run)

Targets: full <= 60 s, unchanged <= 2 s, context_for p50 <= 200 ms.

    .venv/bin/python benchmarks/bench_index.py [--source DIR]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path


def _baseline_parse(src: Path) -> tuple[float, int, int]:
    from fault_nb.code.parsing import language_for_path, parse

    t0 = time.perf_counter()
    files = lines = 0
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if d != "__pycache__" and not d.startswith(".")]
        for name in filenames:
            g = language_for_path(name)
            if g is None:
                continue
            data = Path(dirpath, name).read_bytes()
            parse(g, data)
            files += 1
            lines += data.count(b"\n")
    return time.perf_counter() - t0, files, lines


def _pcts(xs: list[float]) -> tuple[float, float]:
    from fault_nb.results.report import percentile  # R-6, the one percentile of fault_nb

    return percentile(xs, 50), percentile(xs, 95)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", default=None, help="source tree (default: installed sqlalchemy)")
    ap.add_argument("--queries", type=int, default=40)
    args = ap.parse_args(argv)
    if args.source:
        original = Path(args.source)
    else:
        import sqlalchemy

        original = Path(os.path.dirname(sqlalchemy.__file__))
    from fault_nb.code import index_source

    work = Path(tempfile.mkdtemp(prefix="bench-index-"))
    try:
        src = work / "src"
        shutil.copytree(original, src, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyc"))
        cache = work / "cache"

        base_s, base_files, base_lines = _baseline_parse(src)
        print(f"source: {original} ({base_files} files, {base_lines} lines)")
        print(f"baseline  plain tree-sitter parse of every file: {base_s:8.2f} s")

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        index = index_source(src, cache_dir=cache, progress=False)
        full_s = time.perf_counter() - t0
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        s = index.stats
        print(f"full index: {full_s:8.2f} s  ({full_s / base_s:5.1f}x baseline; target <= 60 s) "
              f"files={s['files_indexed']} chunks={s['chunks']} routes={s['routes']} "
              f"skipped={s['skipped']}")
        print(f"peak RSS: {rss_before:.0f} MiB before the index, {rss_after:.0f} MiB after the full index")
        index.close()
        # the same full index again under tracemalloc (slower, so not timed) for peak Python allocations
        tracemalloc.start()
        index_source(src, cache_dir=work / "cache-traced", progress=False).close()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"peak Python allocations during a full index: {peak / 2**20:.0f} MiB (tracemalloc)")

        t0 = time.perf_counter()
        index = index_source(src, cache_dir=cache, progress=False)
        unchanged_s = time.perf_counter() - t0
        assert index.stats["chunks_embedded"] == 0
        print(f"unchanged re-index: {unchanged_s:8.2f} s  ({unchanged_s / base_s:5.2f}x baseline; target <= 2 s)")
        index.close()

        victim = src / "orm" / "session.py" if (src / "orm" / "session.py").exists() else \
            next(p for p in src.rglob("*.py") if p.stat().st_size > 5000)
        victim.write_text(victim.read_text() + "\n\ndef _bench_added():\n    return 1\n")
        t0 = time.perf_counter()
        index = index_source(src, cache_dir=cache, progress=False)
        one_s = time.perf_counter() - t0
        print(f"re-index after editing {victim.relative_to(src)}: {one_s:8.2f} s "
              f"({index.stats['chunks_embedded']} chunks re-embedded)")

        # sqlalchemy serves no HTTP routes: each sampled function stands in for a handler
        funcs = [c for c in index.chunks if c.kind in ("function", "method")][:: max(1, len(index.chunks) // 400)]
        funcs = funcs[: args.queries]
        index.set_endpoints([(f"op{i}", "GET", f"/bench/{i}") for i in range(len(funcs))])
        from fault_nb.code.context import HandlerMatch

        t0 = time.perf_counter()
        index.handler_for("op0")  # the real mapping: no routes, so a fuzzy scan of every function name
        fuzzy_s = time.perf_counter() - t0
        print(f"handler_for with no routes (fuzzy scan of {len(index.chunks)} chunks): {fuzzy_s * 1000:.1f} ms")
        for i, c in enumerate(funcs):  # what a route match would have found
            index._matches[f"op{i}"] = HandlerMatch(f"op{i}", "GET", "/", c.file, c.symbol, c.start_line,
                                                    c.end_line, "route", 1.0, None, "bench")
        index.context_for("op0")  # opens the store once; not part of the per-call figure
        ctx_times = []
        for i in range(len(funcs)):
            t0 = time.perf_counter()
            index.context_for(f"op{i}")
            ctx_times.append(time.perf_counter() - t0)
        p50, p95 = _pcts(ctx_times)
        print(f"context_for p50 {p50 * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  (target p50 <= 200 ms, "
              f"n={len(ctx_times)})")
        search_times = []
        for c in funcs:
            t0 = time.perf_counter()
            index.search(f"{c.symbol} {' '.join(c.references[:5])}", limit=10)
            search_times.append(time.perf_counter() - t0)
        p50s, p95s = _pcts(search_times)
        print(f"search      p50 {p50s * 1000:7.1f} ms  p95 {p95s * 1000:7.1f} ms")
        index.close()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"max RSS of the process: {rss:.0f} MiB")
        print("ratios: full/baseline={:.1f}  unchanged/baseline={:.2f}  unchanged/full={:.3f}".format(
            full_s / base_s, unchanged_s / base_s, unchanged_s / full_s))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
