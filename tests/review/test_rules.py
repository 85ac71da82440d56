"""The offline rules reviewer: findings on the orders app, quiet on good code, every diff applies."""
from __future__ import annotations

import shutil
import textwrap

import pytest

from fault_nb.review import review_endpoint
from fault_nb.review.rules import run_rules

from .conftest import git_apply_check

GOOD = textwrap.dedent('''
    import asyncio
    import logging
    import random
    import time

    import httpx
    import requests
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    engine = create_engine("sqlite:///x.db", pool_size=5, max_overflow=10)
    SessionLocal = sessionmaker(bind=engine)
    log = logging.getLogger(__name__)


    def stock(sku):
        return requests.get(f"http://inv/items/{sku}", timeout=2.0).json()


    async def create(order):
        async with httpx.AsyncClient(timeout=httpx.Timeout(3.0)) as client:
            await client.post("http://inv/reservations", json=order)

        def work():
            db = SessionLocal()
            try:
                db.add(order)
                db.commit()
            except Exception:
                db.rollback()
                raise
            finally:
                db.close()

        await asyncio.to_thread(work)
        await asyncio.sleep(0.1)


    def save(order):
        with SessionLocal() as db, db.begin():
            db.add(order)


    def fetch_with_retry(url):
        for attempt in range(3):
            try:
                return requests.get(url, timeout=1.0)
            except requests.RequestException:
                log.exception("attempt %s failed", attempt)
                time.sleep(min(0.1 * 2 ** attempt, 2.0) + random.uniform(0, 0.1))
        raise RuntimeError("inventory unavailable")
''')

BAD = textwrap.dedent('''
    import time

    import requests
    from sqlalchemy import create_engine

    engine = create_engine("sqlite:///x.db", max_overflow=-1)


    async def slow_handler():
        time.sleep(0.5)
        return {"ok": True}


    def swallow():
        try:
            return requests.get("http://inv/items", timeout=1)
        except:
            pass


    def retry(url):
        for attempt in range(5):
            try:
                return requests.get(url, timeout=1)
            except Exception as exc:
                last = exc
                continue
        raise RuntimeError(last)
''')

ORDERS_FUNCS = {"health", "stock", "create_order", "read_order"}


def _kinds(results):
    return sorted(r.finding.kind for r in results)


def test_orders_app_findings_and_their_diffs_apply(orders_src, tmp_path, shared):
    results = run_rules(orders_src, {"app.py": ORDERS_FUNCS})
    assert all(r.ok for r in results), [r.error for r in results]
    kinds = _kinds(results)
    assert kinds.count("http-timeout") == 2  # stock and read_order: requests.get without timeout
    assert "client-timeout-none" in kinds  # httpx.AsyncClient(timeout=None)
    assert "blocking-db-in-async" in kinds  # sync session work inside async def create_order
    assert "commit-no-rollback" in kinds
    by_kind = {r.finding.kind: r for r in results}
    assert by_kind["blocking-db-in-async"].finding.function == "create_order"
    assert "+    async with httpx.AsyncClient(timeout=httpx.Timeout(" in by_kind["client-timeout-none"].diff
    # the DB block is first wrapped in try/rollback, then moved off the event loop: a dependency
    assert by_kind["commit-no-rollback"].sid in by_kind["blocking-db-in-async"].dependencies
    fresh = tmp_path / "fresh"
    shutil.copytree(shared / "apps" / "orders", fresh)
    fresh.chmod(0o755)
    check = git_apply_check("".join(r.diff for r in results), fresh)
    assert check.returncode == 0, check.stderr
    for r in results:
        if not r.dependencies:
            assert git_apply_check(r.diff, fresh).returncode == 0, r.finding.kind
    # applied together the result still compiles (and the session is closed in finally)
    from fault_nb.review.edits import apply_diff

    final = apply_diff("".join(r.diff for r in results), {"app.py": (fresh / "app.py").read_text()})["app.py"]
    compile(final, "app.py", "exec")
    assert final.count("timeout=") >= 3 and "db.rollback()" in final and "asyncio.to_thread" in final


def test_good_code_stays_quiet(tmp_path):
    (tmp_path / "good.py").write_text(GOOD)
    scope = {"good.py": {"stock", "create", "work", "save", "fetch_with_retry"}}
    assert run_rules(tmp_path, scope) == []


def test_other_rules_fire_with_parsing_fixes(tmp_path):
    (tmp_path / "bad.py").write_text(BAD)
    results = run_rules(tmp_path, {"bad.py": {"slow_handler", "swallow", "retry"}})
    assert all(r.ok for r in results), [r.error for r in results]
    kinds = _kinds(results)
    assert {"blocking-call-in-async", "broad-except", "retry-no-backoff", "unbounded-pool"} <= set(kinds)
    diff = "".join(r.diff for r in results)
    assert "+    await asyncio.sleep(0.5)" in diff
    assert "+    except Exception:" in diff and "exception(" in diff
    assert "time.sleep(min(0.1 * 2 ** attempt" in diff
    assert "max_overflow=10" in diff
    assert git_apply_check(diff, tmp_path).returncode == 0


def test_scope_limits_the_checks(tmp_path):
    (tmp_path / "bad.py").write_text(BAD)
    kinds = _kinds(run_rules(tmp_path, {"bad.py": {"slow_handler"}}))
    assert "broad-except" not in kinds and "retry-no-backoff" not in kinds
    assert "blocking-call-in-async" in kinds


def test_review_endpoint_offline_is_labelled_and_ranked(orders_results, orders_index):
    review = review_endpoint(orders_results, orders_index, "create_order_orders_post")
    assert review.provenance["reviewer"] == "rules"
    assert "offline rules reviewer (no LLM)" in review.to_markdown()
    assert "offline rules reviewer (no LLM)" in review._repr_html_()
    assert review.handler["function"] == "create_order"
    cats = [s.category for s in review.verified]
    assert {"timeout", "transaction", "other"} <= set(cats)
    assert all(s.evidence for s in review.verified)  # every finding cites scenario evidence
    # dependencies always come first
    seen = set()
    for s in review.suggestions:
        assert set(s.dependencies) <= seen
        seen.add(s.id)
    # the SLO (800 ms) sets the timeout: 80% of it
    assert "timeout=httpx.Timeout(0.6" in review.combined_diff()


def test_stock_review_only_sees_its_handler(orders_results, orders_index):
    review = review_endpoint(orders_results, orders_index, "stock_stock__sku__get")
    assert [s.category for s in review.verified] == ["timeout"]
    assert review.verified[0].line == 54


def test_health_is_clean(orders_results, orders_index):
    review = review_endpoint(orders_results, orders_index, "health_health_get")
    assert review.suggestions == [] and "No rule fired" in " ".join(review.notes)
