"""The repository is self-contained: the sample apps live in examples/, fault's reference
files in tests/fixtures/, and find_shared() finds them from a clone alone (or from the
wheel's copy). ../shared, when present, is only cross-checked."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from fault_nb import demo
from fault_nb.errors import FaultNbError

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_FILES = sorted(
    str(p.relative_to(ROOT / "tests" / "fixtures")) for p in (ROOT / "tests" / "fixtures").rglob("*")
    if p.is_file() and p.name != "README.md")


def test_find_shared_is_the_repository_examples_folder(monkeypatch, tmp_path, shared):
    monkeypatch.delenv("FAULT_NB_SHARED", raising=False)
    assert shared == ROOT / "examples"
    assert demo.find_shared() == shared
    assert demo.find_shared(tmp_path) == shared  # from anywhere: the checkout beside the package
    for name in ("webapp", "orders", "inventory"):
        assert (demo.find_shared() / "apps" / name / "app.py").is_file()
    assert (demo.find_shared() / "fixtures" / "results" / "seed_app.results.json").is_file()


def test_find_shared_environment_override(monkeypatch, tmp_path):
    monkeypatch.setenv("FAULT_NB_SHARED", str(tmp_path / "nope"))
    with pytest.raises(FaultNbError, match="FAULT_NB_SHARED"):
        demo.find_shared()
    monkeypatch.setenv("FAULT_NB_SHARED", str(tmp_path))
    assert demo.find_shared() == tmp_path


def test_find_shared_in_a_clone_with_the_package_installed_elsewhere(monkeypatch, tmp_path):
    """Binder: the package is a wheel in site-packages, the notebooks run inside the clone."""
    monkeypatch.delenv("FAULT_NB_SHARED", raising=False)
    clone = tmp_path / "clone"
    shutil.copytree(ROOT / "examples", clone / "examples")
    (clone / "notebooks").mkdir()
    monkeypatch.setattr(demo, "REPO", tmp_path / "site-packages")
    assert demo.find_shared(clone / "notebooks") == clone / "examples"
    # outside any checkout and without the wheel's copy: a clear error that says what to set
    monkeypatch.setattr(demo, "__file__", str(tmp_path / "site-packages" / "fault_nb" / "demo.py"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(FaultNbError, match="FAULT_NB_SHARED=") as err:
        demo.find_shared(elsewhere)
    assert "examples/apps" in str(err.value)


def test_the_notebooks_sample_results_are_the_reference_fixture(shared, fixtures_dir):
    rel = Path("results") / "seed_app.results.json"
    assert (shared / "fixtures" / rel).read_bytes() == (fixtures_dir / rel).read_bytes()


def test_wheel_ships_the_examples():
    text = (ROOT / "pyproject.toml").read_text()
    assert '"examples" = "fault_nb/_examples"' in text


@pytest.mark.parametrize("rel", FIXTURE_FILES)
def test_fixtures_match_the_workspace_reference(rel, fixtures_dir, workspace_shared):
    """Where ../shared exists (developers' workspace), the copies are byte-identical."""
    source = workspace_shared / ("spec" if rel.startswith("spec/") else "fixtures") / rel.removeprefix("spec/")
    assert source.is_file(), source
    assert (fixtures_dir / rel).read_bytes() == source.read_bytes(), f"tests/fixtures/{rel} drifted from {source}"


def _operations(doc: dict) -> set[tuple[str, str, str]]:
    return {(method.upper(), path, op.get("operationId"))
            for path, item in doc["paths"].items() for method, op in item.items()}


def test_webapp_serves_the_operations_of_the_reference_document(webapp, fixtures_dir):
    live = httpx.get(f"{webapp.url}/openapi.json", timeout=10).json()
    reference = json.loads((fixtures_dir / "openapi" / "seed_app.openapi.json").read_text())
    assert _operations(live) == _operations(reference)
    assert live["servers"] == reference["servers"]
    assert live["components"]["schemas"]["Body_create_user_users__post"] == \
        reference["components"]["schemas"]["Body_create_user_users__post"]


def test_orders_and_inventory_operations(orders_app, inventory_app):
    orders = _operations(httpx.get(f"{orders_app.url}/openapi.json", timeout=10).json())
    assert orders == {("GET", "/health", "health_health_get"), ("GET", "/stock/{sku}", "stock_stock__sku__get"),
                      ("POST", "/orders", "create_order_orders_post"),
                      ("GET", "/orders/{order_id}", "read_order_orders__order_id__get")}
    inventory = _operations(httpx.get(f"{inventory_app.url}/openapi.json", timeout=10).json())
    assert inventory == {("GET", "/items/{sku}", "get_item_items__sku__get"),
                         ("POST", "/reservations", "reserve_reservations_post")}
    placed = httpx.post(f"{orders_app.url}/orders", json={"sku": "sku-3", "quantity": 1}, timeout=10)
    assert placed.status_code == 201 and placed.json()["status"] == "reserved"
    assert httpx.get(f"{orders_app.url}/orders/{placed.json()['id']}", timeout=10).json()["available_now"] >= 0
