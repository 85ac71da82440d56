"""Shared test fixtures.

- Every test runs with an isolated environment: no LLM key, no qdrant server,
  and fault_nb's cache under the test's tmp dir, so no test reaches a real
  service by accident (simonw/llm does the same).
- ``shared`` is the repository's ``examples/`` folder (the sample apps under
  ``apps/``, what ``fault_nb.demo.find_shared()`` returns in a checkout);
  ``fixtures_dir`` is ``tests/fixtures`` (fault's reference files, byte-exact, and
  the spec's JSON Schemas under ``spec/``). Both are in the repository: a clone
  alone runs every test. Copy before changing anything.
- ``workspace_shared`` is the developers' ``../shared`` (reading material): a test
  that cross-checks against it skips when it is absent.
- ``webapp``, ``inventory_app`` and ``orders_app`` start the real sample apps
  with uvicorn on free loopback ports and stop them by PID, also on failure.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _system import _SKIP_PREFIX, REQUIRE_SYSTEM_TOOLS, require_system

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures"
WORKSPACE_SHARED = (ROOT.parent / "shared").resolve()

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
    """The sample apps' folder (``apps/<name>``): the repository's examples/."""
    return EXAMPLES


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """fault's reference files (results, reports, scenarios, openapi) and spec/*.schema.json."""
    return FIXTURES


@pytest.fixture(scope="session")
def workspace_shared() -> Path:
    """The developers' ../shared, for optional cross-checks; skips when this is a clone alone."""
    if not (WORKSPACE_SHARED / "fixtures").is_dir():
        pytest.skip(f"no {WORKSPACE_SHARED} beside the checkout (a clone alone): nothing to cross-check")
    return WORKSPACE_SHARED


@pytest.fixture
def app_copy(tmp_path, shared):
    """Copy one of examples/apps/<name> into tmp_path and return its path."""

    def _copy(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(shared / "apps" / name, dst)
        return dst

    return _copy


@pytest.fixture(scope="session")
def webapp(shared, tmp_path_factory):
    """The seed FastAPI + SQLAlchemy app, running on a free port."""
    from fault_nb.apps import serve_app

    with serve_app(shared / "apps" / "webapp", workdir=tmp_path_factory.mktemp("webapp-run")) as app:
        yield app


@pytest.fixture(scope="session")
def inventory_app(shared, tmp_path_factory):
    from fault_nb.apps import serve_app

    with serve_app(shared / "apps" / "inventory", workdir=tmp_path_factory.mktemp("inventory-run")) as app:
        yield app


@pytest.fixture(scope="session")
def orders_app(shared, inventory_app, tmp_path_factory):
    """The orders app, talking straight to the inventory app (no proxy)."""
    from fault_nb.apps import serve_app

    work = tmp_path_factory.mktemp("orders-run")
    with serve_app(shared / "apps" / "orders", workdir=work,
                   env={"INVENTORY_URL": inventory_app.url, "ORDERS_DB": f"sqlite:///{work}/orders.db"}) as app:
        yield app


# -- system packages (see tests/_system.py): skipped with a reason, counted, or failed in CI

def pytest_collection_modifyitems(config, items):
    for item in items:  # every browser test drives Chromium
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.system("chromium"))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    tools = [tool for mark in item.iter_markers("system") for tool in mark.args]
    if tools:
        require_system(*dict.fromkeys(tools))


def pytest_terminal_summary(terminalreporter):
    counts: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if _SKIP_PREFIX in reason:
            names = reason.split(f"{_SKIP_PREFIX}: ", 1)[1].split(" (", 1)[0]
            for name in names.split(", "):
                counts[name] = counts.get(name, 0) + 1
    if counts:
        total = sum(1 for r in terminalreporter.stats.get("skipped", [])
                    if _SKIP_PREFIX in (r.longrepr[2] if isinstance(r.longrepr, tuple) else str(r.longrepr)))
        per_tool = ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
        terminalreporter.write_line(
            f"{total} test(s) skipped for missing system packages ({per_tool}); "
            f"set {REQUIRE_SYSTEM_TOOLS}=1 to make them failures", yellow=True)
