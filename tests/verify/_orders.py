"""Scenarios for the orders app whose faults sit on its inventory hop (helpers for the loop tests)."""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from fault_nb.verify import AppSpec

APP_URL = "http://127.0.0.1:9090"  # where the scenarios say orders runs; the loop retargets it
STOCK, CREATE = "stock_stock__sku__get", "create_order_orders_post"
SLO = [{"slo_type": "latency", "title": "P95 < 500ms", "objective": 95.0, "threshold": 500.0}]


def orders_scenarios(inventory_url: str, *, latency_ms: float = 2000.0, duration: str = "2s", rps: int = 10,
                     endpoints=(STOCK, CREATE), call_timeout_ms: int | None = None,
                     create_load: tuple[int, int] | None = None) -> list[dict]:
    """Stock reads and new orders under load while the inventory hop is slow (the faults name inventory).

    ``create_load`` (clients, rps) for new orders: each builds an httpx client (~0.1 s of CPU on a
    busy 2-core box), so a rate the box cannot serve measures its CPU queue, not the dependency.
    """
    strategy = {"mode": "load", "duration": duration, "clients": 2, "rps": rps}
    faults = [{"type": "latency", "mean": latency_ms, "stddev": 50.0}]
    calls = {STOCK: ("GET", "/stock/sku-3", 200, None),
             CREATE: ("POST", "/orders", 201, '{"sku": "sku-3", "quantity": 0}')}
    items = []
    for opid in endpoints:
        method, path, status, body = calls[opid]
        call = {"method": method, "url": APP_URL + path, "meta": {"operation_id": opid}}
        if body:
            call.update(headers={"content-type": "application/json"}, body=body)
        if call_timeout_ms:
            call["timeout"] = call_timeout_ms
        load = strategy if opid != CREATE or not create_load else {**strategy, "clients": create_load[0],
                                                                     "rps": create_load[1]}
        items.append({"call": call, "context": {"upstreams": [inventory_url], "faults": faults,
                                                "strategy": load, "slo": SLO},
                      "expect": {"status": status}})
    return [{"title": "Slow inventory", "description": "orders under load, inventory answers slowly",
             "items": items}]


def orders_app_spec(**kwargs) -> AppSpec:
    env = {"ORDERS_DB": "sqlite:///./orders.db", "NO_PROXY": "127.0.0.1,localhost"}
    return AppSpec.uvicorn("app:app", env=env, **kwargs)


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its sha256: "nothing in the user's tree changed" is equality of these."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


PY = sys.executable
