"""The offline rules reviewer on its corpus: recall and false positives per rule and per language, and
the share of shown fixes that apply, parse and compile.

    .venv/bin/python benchmarks/bench_rules.py [--corpus tests/corpus] [--no-compile]

The corpus (tests/corpus/) holds small apps per language with planted defects and good-code traps;
tests/corpus/truth.json says, per defect, the kind, the file and the function. Targets: recall >= 90%
per language, 0 false positives, 100% of the shown fixes verified. "Compiles" means: Python
compile(); JavaScript node --check; Go gofmt -e per fix and go vet ./... on the patched module;
Java javac (parse) per fix and a full javac of the JDK-only files of the patched project (Spring
jars are not available offline); TypeScript tsc only when installed (else tree-sitter parse only).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def main(argv: list[str] | None = None) -> int:
    from fault_nb.review.rules_eval import evaluate_corpus

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT / "tests" / "corpus"))
    ap.add_argument("--no-compile", action="store_true", help="skip the whole-project compile checks")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    card = evaluate_corpus(args.corpus, compile_projects=not args.no_compile, progress=True)
    took = time.perf_counter() - t0
    for by in ("kind", "language"):
        print(f"\n| {by} | planted | found | recall | false positives |\n|---|---|---|---|---|")
        for key, row in card.table(by).items():
            print(f"| {key} | {row['planted']} | {row['found']} | {_pct(row['recall'])} | {row['fp']} |")
    found = sum(d["found"] for d in card.defects)
    print(f"\nplanted defects: {len(card.defects)}, found: {found} ({_pct(found / len(card.defects))}); "
          f"good-code traps: {len(card.traps)}; false positives: {len(card.false_positives())}; "
          f"questions (no diff): {card.questions}")
    print(f"fixes shown: {card.fixes_shown}, verified (apply + parse + compile): {card.fixes_verified} "
          f"({_pct(card.verified_share)}); rejected by verification (not shown): {card.fixes_rejected}")
    print("compile checks: " + ", ".join(f"{tool} {status}: {n}" for (tool, status), n in
                                         sorted(card.compile_checks.items())))
    for d in card.defects:
        if not d["found"]:
            print(f"missed: {d['app']} {d['kind']} {d['file']}:{d['function']}")
    for f in card.false_positives():
        print(f"false positive: {f['app']} {f['kind']} {f['file']}:{f['line']} {f['function']}: {f['title']}")
    for msg in card.failures:
        print(f"failure: {msg}")
    print(f"\n({took:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
