"""Real run -> review: scenarios against the running orders app, then the offline review of its source."""
from __future__ import annotations

import pytest

from fault_nb.review import review_all, review_scenarios

from .conftest import git_apply_check, make_index


@pytest.mark.slow
def test_run_scenarios_then_review_orders(orders_app, orders_src, tmp_path, shared):
    from fault_nb.scenarios.runner import run_scenarios

    def item(method, path, opid, body=None):
        call = {"method": method, "url": orders_app.url + path, "meta": {"operation_id": opid}}
        if body:
            call.update(headers={"content-type": "application/json"}, body=body)
        return {"call": call,
                "context": {"upstreams": [orders_app.url],
                            "faults": [{"type": "latency", "mean": 150.0, "stddev": 0.0}],
                            "strategy": {"mode": "repeat", "step": 50.0, "count": 2, "wait": None,
                                         "add_baseline_call": True},
                            "slo": [{"slo_type": "latency", "title": "P95 < 200ms", "objective": 95.0,
                                     "threshold": 200.0}]}}

    items = [item("GET", "/stock/widget", "stock_stock__sku__get"),
             item("POST", "/orders", "create_order_orders_post", '{"sku": "widget", "quantity": 1}'),
             item("GET", "/orders/1", "read_order_orders__order_id__get")]
    results = run_scenarios([{"title": "latency on orders", "items": items}],
                            result=tmp_path / "results.json", progress=False)
    assert results.operation_ids == [i["call"]["meta"]["operation_id"] for i in items]
    sr = review_scenarios(results, path=tmp_path / "scenario-review-report.md")
    assert "SLO deep dive" in sr.markdown
    index = make_index(orders_src, results, tmp_path)
    try:
        reviews = review_all(results, index, advices=sr, progress=False)
    finally:
        index.close()
    by_id = {r.operation_id: r for r in reviews}
    assert by_id["stock_stock__sku__get"].verified[0].category == "timeout"
    create = by_id["create_order_orders_post"]
    merged = [s for s in create.rejected if s.error.startswith(("same change as", "overlaps"))]
    assert len(create.verified) + len(merged) >= 3  # edits another endpoint already proposed are merged
    for r in reviews:
        assert r.evidence["rows"] and r.evidence["rows"][0]["fault"] == "latency"
        patch = r.combined_diff()
        if patch:
            assert git_apply_check(patch, orders_src).returncode == 0
    # apply every accepted change for real, the app source still compiles, then undo
    applied = by_id["create_order_orders_post"].apply(orders_src)
    compile((orders_src / "app.py").read_text(), "app.py", "exec")
    applied.undo()
    assert (orders_src / "app.py").read_text() == (shared / "apps" / "orders" / "app.py").read_text()
