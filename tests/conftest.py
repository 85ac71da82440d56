"""Shared test fixtures.

- Every test runs with an isolated environment: no LLM key, no qdrant server,
  and fault_nb's cache under the test's tmp dir, so no test reaches a real
  service by accident (simonw/llm does the same).
- ``shared`` points at the read-only ../shared folder; copy before changing.
- ``webapp``, ``inventory_app`` and ``orders_app`` start the real sample apps
  with uvicorn on free loopback ports and stop them by PID, also on failure.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = (ROOT.parent / "shared").resolve()

from fault_nb.settings import PROXY_VARIABLES, VARIABLES  # noqa: E402  (cheap: no heavy import)

# every variable fault_nb reads (fault_nb/settings.py lists them) plus the proxies
# (FAULT_NB_SHARED stays: a checkout elsewhere points the tests at its shared/ folder with it)
_ISOLATED_VARS = tuple(v.name for v in VARIABLES if v.name != "FAULT_NB_SHARED") + PROXY_VARIABLES


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path_factory):
    for var in _ISOLATED_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("FAULT_NB_CACHE_DIR", str(tmp_path_factory.mktemp("fault-nb-cache")))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: the tests read the shared fixtures from ../shared")
    return SHARED


@pytest.fixture(scope="session")
def fixtures_dir(shared) -> Path:
    return shared / "fixtures"


@pytest.fixture
def app_copy(tmp_path, shared):
    """Copy one of ../shared/apps/<name> into tmp_path and return its path."""

    def _copy(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(shared / "apps" / name, dst)
        return dst

    return _copy


@pytest.fixture(scope="session")
def webapp(shared, tmp_path_factory):
    """The seed FastAPI + SQLAlchemy app, running on a free port."""
    from fault_nb.apps import serve_app

    app = serve_app(shared / "apps" / "webapp", workdir=tmp_path_factory.mktemp("webapp-run"))
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture(scope="session")
def inventory_app(shared, tmp_path_factory):
    from fault_nb.apps import serve_app

    app = serve_app(shared / "apps" / "inventory", workdir=tmp_path_factory.mktemp("inventory-run"))
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture(scope="session")
def orders_app(shared, inventory_app, tmp_path_factory):
    """The orders app, talking straight to the inventory app (no proxy)."""
    from fault_nb.apps import serve_app

    work = tmp_path_factory.mktemp("orders-run")
    app = serve_app(shared / "apps" / "orders", workdir=work,
                    env={"INVENTORY_URL": inventory_app.url, "ORDERS_DB": f"sqlite:///{work}/orders.db"})
    try:
        yield app
    finally:
        app.stop()
