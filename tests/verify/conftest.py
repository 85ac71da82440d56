"""Fixtures of the verification-loop tests: real inventory app, a user tree of orders, real reviews."""
from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="module")
def inventory(shared, tmp_path_factory):
    """A fresh inventory app for this module (its stock is not shared with other modules)."""
    from fault_nb.apps import serve_app

    with serve_app(shared / "apps" / "inventory", workdir=tmp_path_factory.mktemp("inventory-run")) as app:
        yield app


@pytest.fixture(scope="module")
def orders_reviews(shared, inventory, tmp_path_factory):
    """Offline reviews of orders' stock and create_order, made on a real run under a slow inventory.

    Returns ``(reviews, reviewed_tree, results)``; tests copy the tree before using it as "the user's".
    """
    from _orders import orders_scenarios

    import fault_nb
    from fault_nb.scenarios.proxy import start_proxy

    work = tmp_path_factory.mktemp("orders-reviewed")
    tree = shutil.copytree(shared / "apps" / "orders", work / "orders")
    scenarios = orders_scenarios(inventory.url, latency_ms=700.0, duration="1s", rps=4)
    with start_proxy([], upstream=inventory.url, seed=1) as proxy, fault_nb.serve_app(
            tree, workdir=work / "run", env={"INVENTORY_URL": proxy.url, "ORDERS_DB": f"sqlite:///{work}/o.db"}) as app:
        for item in scenarios[0]["items"]:  # the scenario's address -> this app; the faults on the proxy
            item["call"]["url"] = app.url + item["call"]["url"].split("9090", 1)[1]
            item["context"]["upstreams"] = [app.url]
        proxy.set_faults(scenarios[0]["items"][0]["context"]["faults"])
        for item in scenarios[0]["items"]:
            item["context"]["faults"] = []
        results = fault_nb.run_scenarios(scenarios, progress=False, seed=1)
    index = fault_nb.index_source(tree, "python", endpoints=results, progress=False,
                                  cache_dir=tmp_path_factory.mktemp("index-cache"))
    try:
        reviews = [fault_nb.review_endpoint(results, index, op) for op in results.operation_ids]
    finally:
        index.close()
    return reviews, tree, results


@pytest.fixture
def user_tree(orders_reviews, tmp_path):
    """A copy of the reviewed orders source: the folder a user hands to verify_fix."""
    return shutil.copytree(orders_reviews[1], tmp_path / "user-orders")
