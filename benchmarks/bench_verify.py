"""The closed loop on the orders app: wall time and measured effect.

Orders calls inventory; inventory is slow (latency ~2 s on that hop). The offline rules
reviewer reviews both inventory-calling endpoints on the loop's own baseline run
(``reviews="all"``), every verified suggestion is applied to a scratch copy, and the
patched app is measured against the original with the same fault seed.

Printed: the loop's wall time next to the same-run cost of just running the scenarios
twice against an already running app (the floor: what the loop adds is copying, patching,
starting apps, reviewing and comparing), as a ratio; then the p50/p99/5xx rows with their
intervals and each suggestion's verdict. Nothing is asserted.

    .venv/bin/python benchmarks/bench_verify.py [--runs 3] [--latency 2000]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import fault_nb
from fault_nb.demo import find_shared
from fault_nb.scenarios.proxy import start_proxy
from fault_nb.verify import AppSpec, verify_fix

STOCK, CREATE = "stock_stock__sku__get", "create_order_orders_post"


def scenarios(app_url: str, inventory_url: str, latency: float, upstream: str | None = None) -> list[dict]:
    load = {"mode": "load", "duration": "2s", "clients": 2, "rps": 10}
    slo = [{"slo_type": "latency", "title": "P95 < 500ms", "objective": 95.0, "threshold": 500.0}]
    items = []
    for opid, method, path, body in ((STOCK, "GET", "/stock/sku-3", None),
                                     (CREATE, "POST", "/orders", '{"sku": "sku-3", "quantity": 0}')):
        call = {"method": method, "url": app_url + path, "meta": {"operation_id": opid}}
        if body:
            call.update(headers={"content-type": "application/json"}, body=body)
        items.append({"call": call, "context": {"upstreams": [upstream or inventory_url],
                                                "faults": [{"type": "latency", "mean": latency, "stddev": 50.0}],
                                                "strategy": load, "slo": slo}})
    return [{"title": "Slow inventory", "description": "bench", "items": items}]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--latency", type=float, default=2000.0)
    args = ap.parse_args()
    shared = find_shared()
    work = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    try:
        tree = shutil.copytree(shared / "apps" / "orders", work / "orders")
        with fault_nb.serve_app(shared / "apps" / "inventory", workdir=work / "inv") as inventory:
            # the floor, same run: the scenarios twice (runs times each) against one running app
            t = time.perf_counter()
            with start_proxy([], upstream=inventory.url, seed=1) as proxy, fault_nb.serve_app(
                    tree, workdir=work / "floor", env={"INVENTORY_URL": proxy.url,
                                                       "ORDERS_DB": f"sqlite:///{work}/floor.db"}) as app:
                sc = scenarios(app.url, inventory.url, args.latency, upstream=app.url)
                proxy.set_faults(sc[0]["items"][0]["context"]["faults"])
                for item in sc[0]["items"]:
                    item["context"]["faults"] = []
                for _ in range(2 * args.runs):
                    fault_nb.run_scenarios(sc, progress=False, seed=1)
            floor = time.perf_counter() - t
            shutil.rmtree(tree / "__pycache__", ignore_errors=True)

            t = time.perf_counter()
            v = verify_fix("all", scenarios("http://127.0.0.1:9090", inventory.url, args.latency), tree,
                           AppSpec.uvicorn(env={"ORDERS_DB": "sqlite:///./orders.db"}),
                           dependencies={"INVENTORY_URL": inventory.url}, runs=args.runs, seed=1,
                           out_dir=work / "out", progress=False)
            loop = time.perf_counter() - t
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"orders -> inventory (latency {args.latency:.0f} ms), {args.runs} run(s) a side, "
          f"{len(v.verdicts)} suggestion(s) applied together")
    print(f"loop wall time {loop:.1f} s; scenarios alone (2 x {args.runs} runs, app already up) {floor:.1f} s; "
          f"ratio {loop / floor:.2f}")
    for var in v.variants:
        print(f"  {var.name}: {var.wall_s:.1f} s (start + runs + stop)")
    table = v.comparison.table
    rows = table[table.metric.isin(["p50_ms", "p99_ms", "http_5xx_rate"])]
    print(rows[["operation_id", "metric", "before", "after", "delta", "ci_low", "ci_high", "n_before", "n_after",
                "verdict"]].round(1).to_string(index=False))
    for s in v.verdicts:
        print(f"  {s.key}: {s.verdict} ({s.title})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
