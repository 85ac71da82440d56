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
    from fastapi import HTTPException
    from requests.adapters import HTTPAdapter
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker
    from urllib3.util.retry import Retry

    engine = create_engine("sqlite:///x.db", pool_size=5, max_overflow=10)
    SessionLocal = sessionmaker(bind=engine)
    log = logging.getLogger(__name__)
    inventory = requests.Session()
    inventory.mount("http://", HTTPAdapter(max_retries=Retry(total=3, backoff_factor=0.2)))


    def stock(sku):
        try:
            return inventory.get(f"http://inv/items/{sku}", timeout=2.0).json()
        except requests.RequestException as exc:
            raise HTTPException(status_code=502, detail="inventory unavailable") from exc


    async def create(order):
        try:
            async with httpx.AsyncClient(timeout=httpx.Timeout(3.0)) as client:
                await client.post("http://inv/reservations", json=order)
        except httpx.HTTPError as exc:
            raise HTTPException(status_code=502, detail="inventory unavailable") from exc

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


def _no_retry_rule(results):
    """The results of every rule but upstream-no-retry (idempotent GETs without retry are everywhere in
    these samples; that rule has its own tests and the corpus)."""
    return [r for r in results if r.finding.kind != "upstream-no-retry"]


def test_orders_app_findings_and_their_diffs_apply(orders_src, tmp_path, shared):
    results = run_rules(orders_src, {"app.py": ORDERS_FUNCS})
    assert all(r.ok for r in results), [r.error for r in results]
    kinds = _kinds(results)
    assert kinds.count("http-timeout") == 2  # stock and read_order: requests.get without timeout
    assert kinds.count("dependency-error") == 3  # each inventory call can surface as a bare 500
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
    assert review.provenance.reviewer == "rules"
    assert "offline rules reviewer (no LLM)" in review.to_markdown()
    assert "offline rules reviewer (no LLM)" in review._repr_html_()
    assert review.handler.function == "create_order"
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
    assert "Timeouts are set to 0.6 s, 80% of the tightest latency SLO (800 ms)." in review.notes


def test_timeout_note_names_the_floor_when_the_slo_is_tight(orders_results, orders_index):
    # a 300 ms SLO gives 0.24 s, raised to the 0.5 s floor: the note said "80% of the SLO" next to timeout=0.5
    from fault_nb.results import Results

    from .orders_results import orders_results_dict

    raw = orders_results_dict()
    for sc in raw["results"]:
        for item in sc["scenario"]["items"]:
            for slo in item["context"]["slo"]:
                if slo["slo_type"] == "latency":
                    slo["threshold"], slo["title"] = 300.0, "P95 < 300ms"

    review = review_endpoint(Results.from_dict(raw, source="tight.json"), orders_index, "create_order_orders_post")
    assert "timeout=httpx.Timeout(0.5" in review.combined_diff()
    note = next(n for n in review.notes if n.startswith("Timeouts"))
    assert note.startswith("Timeouts are set to 0.5 s, the shortest we propose") and "(300 ms)" in note


def test_stock_review_only_sees_its_handler(orders_results, orders_index):
    review = review_endpoint(orders_results, orders_index, "stock_stock__sku__get")
    assert [s.category for s in review.verified] == ["timeout", "other", "retry"]
    timeout, mapping, retry = review.verified
    assert "_retrying_http.get(" in retry.diff and "total=3, connect=3" in retry.diff
    # built on the timeout, the retry shares its deadline: a read timeout is raised at once (a 504 in
    # 0.5 s), not retried twice and then raised as a ConnectionError (a 502 after ~1.4 s)
    assert "read=False" in retry.diff and "A read timeout is not retried" in retry.rationale
    untimed = review.combined_diff([retry.id])  # re-run without the timeout: reads are retried again
    assert "read=2" in untimed and "read=False" not in untimed
    # the error mapping was built on the timeout, but re-run alone it applies without it
    assert timeout.line == 54 and mapping.dependencies == []
    assert "except requests.Timeout as exc:" in mapping.diff and "status_code=504" in mapping.diff
    alone = review.combined_diff([mapping.id])
    assert "except requests.Timeout as exc:" in alone and "timeout=" not in alone
    assert mapping.evidence  # answers the failing (packet loss) requests


def test_health_is_clean(orders_results, orders_index):
    review = review_endpoint(orders_results, orders_index, "health_health_get")
    assert review.suggestions == [] and "No rule fired" in " ".join(review.notes)


def test_two_identical_calls_in_one_function_are_both_fixed(tmp_path):
    (tmp_path / "m.py").write_text(textwrap.dedent('''
        import requests


        def both(a):
            x = requests.get(a)
            y = requests.get(a)
            return x, y
    '''))
    results = _no_retry_rule(run_rules(tmp_path, {"m.py": {"both"}}))
    assert [r.finding.kind for r in results] == ["http-timeout", "http-timeout"] and all(r.ok for r in results)
    assert git_apply_check("".join(r.diff for r in results), tmp_path).returncode == 0


JS = textwrap.dedent('''
    const express = require("express");
    const axios = require("axios");
    const app = express();

    async function loadItem(sku) {
      const res = await fetch(`${process.env.INVENTORY_URL}/items/${sku}`);
      return res.json();
    }

    app.get("/stock/:sku", async (req, res) => {
      const item = await loadItem(req.params.sku);
      const other = await fetch(process.env.OTHER, { method: "GET" });
      const price = await axios.get(process.env.PRICES);
      res.json({ item, other: await other.json(), price: price.data });
    });

    app.get("/health", async (req, res) => {
      const ok = await fetch(process.env.PING, { signal: AbortSignal.timeout(100) });
      res.json({ ok: ok.ok });
    });
''')


def test_javascript_fetch_and_axios_without_timeout(tmp_path):
    from fault_nb.code import index_source
    from fault_nb.review.rules import findings_scope

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "server.js").write_text(JS)
    index = index_source(tmp_path / "src", endpoints=[("stock", "GET", "http://x/stock/a"),
                                                      ("health", "GET", "http://x/health")],
                         progress=False, cache_dir=tmp_path / "idx")
    try:
        scope, handler = findings_scope(index, "stock")
        results = run_rules(tmp_path / "src", scope)
        assert handler.framework == "express"
        assert len(results) == 3 and all(r.ok for r in results)
        diff = "".join(r.diff for r in results)
        assert "{ signal: AbortSignal.timeout(5000) }" in diff
        assert '{ signal: AbortSignal.timeout(5000), method: "GET" }' in diff
        assert "axios.get(process.env.PRICES, { timeout: 5000 })" in diff
        assert git_apply_check(diff, tmp_path / "src").returncode == 0
        # the health handler already bounds its fetch
        scope, _ = findings_scope(index, "health")
        assert run_rules(tmp_path / "src", scope) == []
    finally:
        index.close()


def test_webapp_async_handlers_doing_sync_db_work(seed_results, webapp_index):
    review = review_endpoint(seed_results, webapp_index, "read_user_users__user_id__get")
    assert [s.title for s in review.verified] == [
        "Declare `read_user` with plain `def` so its blocking calls leave the event loop"]
    assert "-async def read_user(\n+def read_user(\n" in review.verified[0].diff
    review = review_endpoint(seed_results, webapp_index, "create_user_users__post")
    cats = sorted(s.category for s in review.verified)
    assert cats == ["other", "transaction"]
    review = review_endpoint(seed_results, webapp_index, "index__get")
    assert review.suggestions == []  # async def without blocking work is fine


def test_aiohttp_session_and_urlopen(tmp_path):
    (tmp_path / "m.py").write_text(textwrap.dedent('''
        import aiohttp
        from urllib.request import urlopen


        async def fetch(url):
            async with aiohttp.ClientSession() as session:
                async with session.get(url) as resp:
                    return await resp.json()


        def legacy(url):
            return urlopen(url).read()


        def legacy_ok(url):
            return urlopen(url, None, 3).read()


        async def bounded(url):
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
                return await session.get(url)
    '''))
    results = run_rules(tmp_path, {"m.py": {"fetch", "legacy", "legacy_ok", "bounded"}})
    assert all(r.ok for r in results)
    assert [(r.finding.kind, r.finding.function) for r in results] == [
        ("client-timeout-none", "fetch"), ("http-timeout", "legacy")]
    diff = "".join(r.diff for r in results)
    assert "aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))" in diff
    assert "urlopen(url, timeout=5).read()" in diff


def test_module_level_client_without_timeout_and_constant_retry_sleep(tmp_path):
    # a shared `httpx.Client(timeout=None)` at module level, and a retry loop that sleeps a constant 1s,
    # were both missed: the client check looked only inside functions, and any `sleep` counted as backoff
    (tmp_path / "svc.py").write_text(textwrap.dedent('''
        import time

        import httpx

        client = httpx.Client(base_url="http://crm", timeout=None)
        unused = httpx.Client(timeout=None)


        def fetch(cid):
            return client.get(f"/c/{cid}").json()


        def quote(sku):
            for attempt in range(3):
                try:
                    return client.get(f"/price/{sku}").json()
                except httpx.HTTPError:
                    time.sleep(1)
            return 0.0
    '''))
    results = _no_retry_rule(run_rules(tmp_path, {"svc.py": {"fetch", "quote"}}))
    assert all(r.ok for r in results), [r.error for r in results]
    assert sorted(r.finding.kind for r in results) == ["client-timeout-none", "retry-no-backoff"]
    diff = "".join(r.diff for r in results)
    assert '+client = httpx.Client(base_url="http://crm", timeout=httpx.Timeout(5, connect=2))' in diff
    assert "-unused = httpx.Client(timeout=None)" not in diff  # no scoped function uses it
    assert "+            time.sleep(min(1 * 2 ** attempt, 10) + random.uniform(0, 0.1))" in diff
    assert "+import random" in diff
    assert git_apply_check(diff, tmp_path).returncode == 0
    # out of scope, the module-level client is not reported
    assert run_rules(tmp_path, {"svc.py": {"nothing"}}) == []


def test_requests_session_calls_need_a_timeout_and_are_not_database_work(tmp_path):
    # `requests.Session()` calls were not checked for a timeout, and a local `s = requests.Session()` in an
    # async handler was reported as "blocking database work"
    (tmp_path / "svc.py").write_text(textwrap.dedent('''
        import requests
        from fastapi import FastAPI

        app = FastAPI()
        http = requests.Session()


        @app.get("/a")
        def a():
            return http.get("http://dep/a").json()


        @app.get("/b")
        async def b():
            s = requests.Session()
            r = s.post("http://dep/b", json={})
            return r.json()


        @app.get("/c")
        def c():
            with requests.Session() as s:
                return s.get("http://dep/c", timeout=2).json()


        @app.get("/d")
        def d():
            with requests.Session() as s:
                return s.request("GET", "http://dep/d").json()
    '''))
    results = _no_retry_rule(run_rules(tmp_path, {"svc.py": {"a", "b", "c", "d"}}))
    assert all(r.ok for r in results), [r.error for r in results]
    got = sorted((r.finding.kind, r.finding.function) for r in results)
    assert got == [("http-timeout", "a"), ("http-timeout", "b"), ("http-timeout", "d"),
                   ("sync-work-in-async-handler", "b")]
    diff = "".join(r.diff for r in results)
    assert '+    return http.get("http://dep/a", timeout=5).json()' in diff
    assert "database" not in " ".join(r.finding.title for r in results)
    assert git_apply_check(diff, tmp_path).returncode == 0


def test_axios_instance_without_timeout(tmp_path):
    # `const api = axios.create({baseURL})` then `api.get(...)`: axios has no default timeout, and the
    # instance's calls were not checked
    (tmp_path / "profiles.js").write_text(textwrap.dedent('''
        const axios = require("axios");

        const api = axios.create({ baseURL: process.env.PROFILE_URL });
        const bare = axios.create();
        const bounded = axios.create({ baseURL: "x", timeout: 1000 });
        const unused = axios.create({});

        async function loadProfile(id) {
          const r = await api.get(`/profiles/${id}`);
          const s = await bare.post("/stats", {});
          const b = await bounded.get("/b");
          return [r.data, s.data, b.data];
        }

        module.exports = { loadProfile };
    '''))
    results = run_rules(tmp_path, {"profiles.js": {"loadProfile", "L8-13"}})
    assert all(r.ok for r in results), [r.error for r in results]
    titles = sorted(r.finding.title for r in results)
    assert titles == ["Give the axios instance `api` a 5000 ms timeout",
                      "Give the axios instance `bare` a 5000 ms timeout"]
    diff = "".join(r.diff for r in results)
    assert "+const api = axios.create({ timeout: 5000, baseURL: process.env.PROFILE_URL });" in diff
    assert "+const bare = axios.create({ timeout: 5000 });" in diff
    assert git_apply_check(diff, tmp_path).returncode == 0


def test_added_import_keeps_the_docstring_and_shebang_first(tmp_path):
    # with no import in the file, `import logging` went above the module docstring (no longer the
    # docstring) or the shebang line
    body = "\n\ndef h(x):\n    try:\n        return int(x)\n    except Exception:\n        return 0\n"
    (tmp_path / "a.py").write_text('"""Helpers."""\n' + body)
    (tmp_path / "c.py").write_text("#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n" + body)
    (tmp_path / "d.py").write_text(body.lstrip("\n"))
    results = run_rules(tmp_path, {"a.py": {"h"}, "c.py": {"h"}, "d.py": {"h"}})
    assert [r.finding.kind for r in results] == ["broad-except"] * 3 and all(r.ok for r in results)
    from fault_nb.review.edits import apply_diff

    files = {f: (tmp_path / f).read_text() for f in ("a.py", "c.py", "d.py")}
    new = apply_diff("".join(r.diff for r in results), files)
    assert new["a.py"].startswith('"""Helpers."""\nimport logging\n')
    assert new["c.py"].startswith("#!/usr/bin/env python\n# -*- coding: utf-8 -*-\nimport logging\n")
    assert new["d.py"].startswith("import logging\ndef h(x):")
    ns: dict = {}
    exec(compile(new["a.py"], "a.py", "exec"), ns)
    assert ns["__doc__"] == "Helpers."


def test_typescript_generic_axios_call_without_timeout(tmp_path):
    # tree-sitter-typescript parses `await axios.get<T>(url)` as a call of `await axios.get`: it was missed
    (tmp_path / "orders.ts").write_text(textwrap.dedent('''
        import axios from "axios";

        export async function getOrder(id: string): Promise<unknown> {
          const r = await axios.get<{ id: string }>(`http://inv/orders/${id}`);
          const p = await axios.post<{ ok: boolean }>("http://inv/p", { id });
          return [r.data, p.data];
        }
    '''))
    results = run_rules(tmp_path, {"orders.ts": {"getOrder", "L3-7"}})
    assert [r.finding.title for r in results] == ["Bound `axios.get(...)` with a 5000 ms timeout",
                                                  "Bound `axios.post(...)` with a 5000 ms timeout"]
    assert all(r.ok for r in results), [r.error for r in results]
    diff = "".join(r.diff for r in results)
    assert "axios.get<{ id: string }>(`http://inv/orders/${id}`, { timeout: 5000 });" in diff
    assert 'axios.post<{ ok: boolean }>("http://inv/p", { id }, { timeout: 5000 });' in diff


def test_an_error_payload_is_not_logging(tmp_path):
    # `return {"error": str(exc)}` counted as logging (the bare word "error"), so the swallowed
    # exception was not reported; a real logging call still counts
    (tmp_path / "m.py").write_text(textwrap.dedent('''
        import logging

        import requests

        log = logging.getLogger(__name__)


        def quiet(u):
            try:
                return requests.get(u, timeout=1).json()
            except Exception as exc:
                return {"error": str(exc)}


        def logged(u):
            try:
                return requests.get(u, timeout=1).json()
            except Exception as exc:
                log.error("fetch failed: %s", exc)
                return {"error": str(exc)}
    '''))
    results = _no_retry_rule(run_rules(tmp_path, {"m.py": {"quiet", "logged"}}))
    assert [(r.finding.kind, r.finding.function) for r in results] == [("broad-except", "quiet")]
    assert results[0].ok and git_apply_check(results[0].diff, tmp_path).returncode == 0


def test_async_handler_calling_a_blocking_helper_in_another_file(tmp_path):
    # `async def ship(): notify(...)` where notify() does requests.post: the event loop blocks, but only
    # direct blocking calls were seen
    (tmp_path / "routes.py").write_text(textwrap.dedent('''
        from fastapi import APIRouter

        from notify import notify, notify_async

        router = APIRouter()


        @router.post("/ship")
        async def ship(order_id: int):
            notify(order_id)
            return {"ok": True}


        @router.post("/ship2")
        async def ship2(order_id: int):
            await notify_async(order_id)
            return {"ok": True}
    '''))
    (tmp_path / "notify.py").write_text(textwrap.dedent('''
        import httpx
        import requests


        def notify(order_id):
            requests.post("http://ship/x", json={"id": order_id}, timeout=1)


        async def notify_async(order_id):
            async with httpx.AsyncClient(timeout=1) as c:
                await c.post("http://ship/x", json={"id": order_id})
    '''))
    scope = {"routes.py": {"ship", "ship2"}, "notify.py": {"notify", "notify_async"}}
    results = run_rules(tmp_path, scope)
    assert [(r.finding.kind, r.finding.function) for r in results] == [("sync-work-in-async-handler", "ship")]
    assert "(notify)" in results[0].finding.rationale and results[0].ok
    assert "+def ship(order_id: int):" in results[0].diff
    # without the helper in scope nothing is known about it
    assert run_rules(tmp_path, {"routes.py": {"ship"}}) == []
