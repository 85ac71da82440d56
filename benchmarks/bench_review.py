"""Benchmark the review engine against same-run baselines.

1. Prompt size (estimated tokens) of our code-review prompt for one endpoint
   vs a fault-style prompt (fault's base query + top chunk + the whole file +
   the package manifest, spec G.3), on the orders app and on an enlarged copy
   of it (40 extra handlers in the same file, as real services grow).
2. Share of shown suggestions whose diffs verify (``git apply --check`` on a
   fresh copy, in order, and the patched file compiles): the offline rules
   reviewer on every endpoint of the orders and seed apps, vs the four diffs
   fault printed in its own code-review guide (seed), checked the same way.
3. Rules reviewer time over every orders endpoint vs building the index
   (the baseline every review needs anyway).

    .venv/bin/python benchmarks/bench_review.py
"""
from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"  # the sample apps
FIXTURES = ROOT / "tests" / "fixtures"
WORKSPACE_SHARED = ROOT.parent / "shared"  # fault's guide (optional reading material)
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "review"))


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    for p in [dst, *dst.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dst


def _enlarge(app_dir: Path, extra: int = 40) -> None:
    """Append ``extra`` realistic handlers to app.py (the file fault would inline whole)."""
    app = app_dir / "app.py"
    text = app.read_text()
    block = []
    for i in range(extra):
        block.append(f'''

@app.get("/reports/{i}/{{order_id}}")
def report_{i}(order_id: int) -> dict:
    db = SessionLocal()
    order = db.query(Order).filter(Order.id == order_id).first()
    db.close()
    if order is None:
        raise HTTPException(status_code=404, detail="order not found")
    live = requests.get(f"{{INVENTORY_URL}}/items/{{order.sku}}?report={i}", timeout=2).json()
    return {{"id": order.id, "report": {i}, "available": live.get("available")}}
''')
    app.write_text(text + "".join(block))


def fault_style_prompt(index, results, opid: str, source_dir: Path) -> str:
    """What fault's code-review agent sends (spec G.3): base query, metadata, top chunk, whole file, manifest."""
    from fault_nb.review.evidence import endpoint_info, is_idempotent

    method, url = endpoint_info(results, opid)
    match = index.handler_for(opid)
    ctx = index.context_for(opid)
    top = ctx.chunks[0].text if ctx.chunks else ""
    whole = (source_dir / match.file).read_text() if match.file else ""
    manifest = ""
    for name in ("pyproject.toml", "requirements.txt"):
        if (source_dir / name).exists():
            manifest = (source_dir / name).read_text()
            break
    base = (f"Suggest code changes to make the endpoint resilient to transient network errors. "
            f"operation_id: {opid}, method: {method}, path: {url}, idempotent: {is_idempotent(method)}, "
            f"source dir: {source_dir}, language: python.")
    return "\n\n".join([base, f"file: {match.file}\nfunction: {match.function}", top, whole, manifest])


def our_prompt(index, results, opid: str) -> str:
    from fault_nb.review.code_review import _static_hints
    from fault_nb.review.evidence import collect_evidence, evidence_prompt
    from fault_nb.review.prompts import code_review_messages

    ev = collect_evidence(results, opid)
    msgs = code_review_messages(evidence_text=evidence_prompt(ev), context_text=index.context_for(opid).to_prompt(),
                                method=ev["method"], url=ev["url"], operation_id=opid, idempotent=ev["idempotent"],
                                hints=_static_hints(index, opid))
    return "\n".join(m["content"] for m in msgs)


def verifies(patches: list[str], pristine: Path, work: Path) -> list[bool]:
    """For each patch (applied in order on top of the previous ones): applies with git, result compiles."""
    d = _copy(pristine, work)
    ok = []
    for patch in patches:
        f = d / ".p.patch"
        f.write_text(patch)
        res = subprocess.run(["git", "apply", ".p.patch"], cwd=d, capture_output=True, text=True)
        f.unlink()
        good = res.returncode == 0
        if good:
            for py in d.rglob("*.py"):
                try:
                    compile(py.read_text(), str(py), "exec")
                except SyntaxError:
                    good = False
        ok.append(good)
    return ok


def main() -> int:
    from fault_nb._tokens import estimate_tokens
    from fault_nb.code import index_source
    from fault_nb.results import Results, load_results
    from fault_nb.review import review_endpoint
    from orders_results import orders_results_dict

    tmp = Path(tempfile.mkdtemp(prefix="bench-review-"))
    os.environ["FAULT_NB_CACHE_DIR"] = str(tmp / "cache")
    orders_results = Results.from_dict(orders_results_dict())
    seed_results = load_results(FIXTURES / "results" / "seed_app.results.json")
    try:
        # 1. prompt size ------------------------------------------------------------
        print("1. prompt size, estimated tokens (ours vs fault-style: base query + top chunk + whole file + manifest)")
        for label, enlarge in (("orders app", False), ("orders app + 40 handlers", True)):
            src = _copy(EXAMPLES / "apps" / "orders", tmp / f"p-{enlarge}")
            if enlarge:
                _enlarge(src)
            index = index_source(src, endpoints=orders_results, progress=False, cache_dir=tmp / f"i-{enlarge}")
            lines = len((src / "app.py").read_text().splitlines())
            for opid in ("create_order_orders_post", "stock_stock__sku__get"):
                ours = estimate_tokens(our_prompt(index, orders_results, opid))
                theirs = estimate_tokens(fault_style_prompt(index, orders_results, opid, src))
                print(f"   {label:26s} ({lines:4d} lines) {opid:28s} ours {ours:6d}  fault-style {theirs:6d}  "
                      f"ratio {ours / theirs:.2f}")
            index.close()

        # 2. verified share ---------------------------------------------------------
        print("2. shown suggestions whose diffs verify (git apply in order on a fresh copy + compile)")
        shown = good = 0
        for app, results in (("orders", orders_results), ("webapp", seed_results)):
            src = _copy(EXAMPLES / "apps" / app, tmp / f"v-{app}")
            index = index_source(src, endpoints=results, progress=False, cache_dir=tmp / f"vi-{app}")
            for k, opid in enumerate(results.operation_ids):
                review = review_endpoint(results, index, opid)
                patches = [s.diff for s in review.verified]
                oks = verifies(patches, EXAMPLES / "apps" / app, tmp / f"fresh-{app}-{k}")
                shown += len(oks)
                good += sum(oks)
            index.close()
        # fault's guide diffs were written for the guide's own app: both come from ../shared when present
        seed = WORKSPACE_SHARED / "seed" / "000_a2a965d7c6ffcce9.txt"
        seed_text = seed.read_text() if seed.is_file() else ""
        if not seed_text:
            print(f"   (no {seed}: fault's guide diffs are not measured)")
        fault_diffs = [textwrap_dedent(d) for d in re.findall(r"```diff\n(.*?)```", seed_text, re.S)]
        fault_ok = [verifies([d], WORKSPACE_SHARED / "apps" / "webapp", tmp / f"fault-{i}")[0]
                    for i, d in enumerate(fault_diffs)]
        ours_share = good / shown if shown else float("nan")
        fault_share = sum(fault_ok) / len(fault_ok) if fault_ok else float("nan")
        print(f"   rules reviewer: {good}/{shown} = {ours_share:.0%};  fault's guide diffs on webapp: "
              f"{sum(fault_ok)}/{len(fault_ok)} = {fault_share:.0%}")

        # 3. rules time -------------------------------------------------------------
        print("3. rules reviewer over every orders endpoint vs building the index")
        src = _copy(EXAMPLES / "apps" / "orders", tmp / "t-orders")
        builds, reviews = [], []
        for i in range(5):
            t0 = time.perf_counter()
            index = index_source(src, endpoints=orders_results, progress=False, cache_dir=tmp / f"ti-{i}")
            builds.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for opid in orders_results.operation_ids:
                review_endpoint(orders_results, index, opid)
            reviews.append(time.perf_counter() - t0)
            index.close()
        b, r = statistics.median(builds), statistics.median(reviews)
        print(f"   index build (baseline) {b * 1000:.1f} ms; rules review of {len(orders_results.operation_ids)} "
              f"endpoints {r * 1000:.1f} ms; ratio {r / b:.2f}")
        print(json.dumps({"verified_share": ours_share, "fault_guide_share": fault_share,
                          "rules_ms": round(r * 1000, 1), "index_ms": round(b * 1000, 1)}))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def textwrap_dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text)


if __name__ == "__main__":
    sys.exit(main())
