"""The rules added for issue 11: each fires on its defect, stays quiet on the same shape done right,
and its fix applies, parses and compiles (with the toolchains installed here)."""
from __future__ import annotations

import importlib.util
import shutil
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fault_nb.review import toolchains
from fault_nb.review.edits import apply_diff
from fault_nb.review.rules import rule_questions, run_rules

from .conftest import git_apply_check


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text).lstrip("\n"))


def _found(results):
    return sorted((r.finding.kind, r.finding.file, r.finding.function) for r in results if not r.question)


def _patched(root: Path, results) -> dict[str, str]:
    files = {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}
    return apply_diff("".join(r.diff for r in results if r.ok), files)


# ---------------------------------------------------------------- Python


class _Flaky(BaseHTTPRequestHandler):
    """503 twice, then 200: what a dependency does during a restart."""

    hits = 0

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).hits += 1
        code = 503 if type(self).hits <= 2 else 200
        body = b'{"n": 7}' if code == 200 else b"{}"
        self.send_response(code)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_idempotent_get_gets_a_retrying_session_that_really_retries(tmp_path):
    _write(tmp_path, {"up.py": '''
        import requests


        def stock(url):
            return requests.get(url, timeout=2).json()


        def create(url):
            return requests.post(url, json={}, timeout=2).json()
    '''})
    results = run_rules(tmp_path, {"up.py": {"stock", "create"}})
    assert _found(results) == [("upstream-no-retry", "up.py", "stock")]  # never POST
    r = results[0]
    assert r.ok and [c.status for c in r.compiled] == ["ok"]
    assert "raise_on_status=False" in r.diff and "backoff_jitter=0.1" in r.diff
    assert git_apply_check(r.diff, tmp_path).returncode == 0
    fixed = tmp_path / "fixed.py"
    fixed.write_text(_patched(tmp_path, results)["up.py"])
    spec = importlib.util.spec_from_file_location("fixed_up", fixed)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    _Flaky.hits = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert mod.stock(f"http://127.0.0.1:{server.server_port}/stock") == {"n": 7}
        assert _Flaky.hits == 3
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_retry_uses_what_the_project_has(tmp_path):
    _write(tmp_path, {
        "clients.py": '''
            import httpx
            import requests

            inventory = requests.Session()
            catalog = httpx.Client(base_url="http://catalog", limits=httpx.Limits(max_connections=7), timeout=2)
            reviews = httpx.Client(transport=httpx.HTTPTransport(retries=2))
        ''',
        "svc.py": '''
            import requests

            from clients import catalog, inventory, reviews


            def item(sku):
                return inventory.get(f"http://inv/{sku}", timeout=2).json()


            def product(sku):
                return catalog.get(f"/p/{sku}").json()


            def review(sku):
                return reviews.get(f"/r/{sku}").json()


            def legacy(sku):
                return requests.delete(f"http://inv/{sku}", timeout=2)
        ''',
        "requirements.txt": "requests\nhttpx\ntenacity>=8.2\nurllib3<2\n",
    })
    results = run_rules(tmp_path, {"svc.py": {"item", "product", "review", "legacy"}})
    assert _found(results) == [("upstream-no-retry", "svc.py", f) for f in ("item", "legacy", "product")]
    assert all(r.ok for r in results), [r.error for r in results]
    new = _patched(tmp_path, results)
    # the session is fixed where it is created (another file), without jitter for urllib3 1.x
    assert 'inventory.mount("https://", _inventory_retries)' in new["clients.py"]
    assert "backoff_jitter" not in new["clients.py"]
    # httpx ignores limits= on the client once a transport is given: they move into it
    assert "transport=httpx.HTTPTransport(limits=httpx.Limits(max_connections=7), retries=3)" in new["clients.py"]
    # tenacity is a dependency: a bounded decorator, not a new session
    assert "@retry(stop=stop_after_attempt(3), wait=wait_exponential_jitter(" in new["svc.py"]
    assert "from tenacity import retry" in new["svc.py"]
    for text in new.values():
        compile(text, "x.py", "exec")


def test_file_io_in_async_def_moves_to_a_thread(tmp_path):
    _write(tmp_path, {"app.py": '''
        import json
        from pathlib import Path


        async def config(p: Path):
            with open(p) as fh:
                cfg = json.load(fh)
            size = p.stat().st_size
            return cfg, size, p.read_bytes()


        async def quiet(p: Path):
            import aiofiles

            async with aiofiles.open(p) as fh:
                return await fh.read()
    '''})
    results = run_rules(tmp_path, {"app.py": {"config", "quiet"}})
    assert _found(results) == [("blocking-io-in-async", "app.py", "config")] * 2
    new = _patched(tmp_path, results)["app.py"]
    assert "cfg = await asyncio.to_thread(_config_io)" in new and "return cfg\n" in new
    assert "await asyncio.to_thread(p.read_bytes)" in new and "import asyncio" in new
    compile(new, "app.py", "exec")


# ---------------------------------------------------------------- JavaScript / TypeScript

JS = '''
    const express = require("express");
    const fs = require("fs");
    const cp = require("child_process");

    const app = express();

    async function load(id) {
      try {
        return await fetch(`http://x/${id}`, { signal: AbortSignal.timeout(1000) });
      } catch {
        // nothing to do
      }
    }

    async function send(order) {
      for (let i = 0; i < 3; i++) {
        try {
          return await fetch("http://x/orders", { method: "POST", body: JSON.stringify(order), signal: AbortSignal.timeout(900) });
        } catch (err) {
          console.warn(err);
        }
      }
    }

    function helper(p) {
      return fs.readFileSync(p, "utf8");
    }

    app.get("/a", (req, res) => {
      const out = cp.execSync("ls", { cwd: "/tmp" });
      res.send(out + helper("x"));
    });

    module.exports = { load, send };
'''


def test_javascript_catch_retry_question_and_sync_io(tmp_path):
    _write(tmp_path, {"server.js": JS})
    results = run_rules(tmp_path, {"server.js": {"L1-40"}})
    assert _found(results) == [("swallowed-catch", "server.js", "load"),
                               ("sync-io-in-handler", "server.js", "<anonymous>")]
    assert all(r.ok for r in results if not r.question)
    # the POST loop has no idempotency key: a question, no diff
    questions = [r for r in results if r.question]
    assert [q.finding.function for q in questions] == ["send"] and questions[0].diff == ""
    assert "idempotency key" in rule_questions(results)[0]
    new = _patched(tmp_path, results)["server.js"]
    assert "} catch (err) {\n    console.error(\"load failed\", err);\n    throw err;\n  }" in new
    # the route callback becomes async; the helper (sync callers) is left alone
    assert 'app.get("/a", async (req, res) => {' in new
    assert '(await util.promisify(cp.exec)("ls", { encoding: "buffer", ...{ cwd: "/tmp" } })).stdout' in new
    assert 'const util = require("node:util");' in new and 'fs.readFileSync(p, "utf8")' in new
    if shutil.which("node"):
        assert all(c.tool == "node --check" and c.ok for r in results if r.ok for c in r.compiled)


def test_typescript_esm_gets_a_typed_util_import(tmp_path):
    _write(tmp_path, {"a.ts": '''
        import * as zlib from "zlib";
        import { Request, Response } from "express";

        export async function pack(req: Request, res: Response): Promise<void> {
          res.send(zlib.gzipSync(Buffer.from("x")).length);
        }
    '''})
    results = run_rules(tmp_path, {"a.ts": {"L4-6"}})
    assert _found(results) == [("sync-io-in-handler", "a.ts", "pack")] and results[0].ok
    new = _patched(tmp_path, results)["a.ts"]
    assert 'import * as util from "node:util";' in new
    assert "(await util.promisify(zlib.gzip)(Buffer.from(\"x\"))).length" in new


# ---------------------------------------------------------------- Go, Java, Rust


def test_go_rules_and_their_quiet_twins(tmp_path):
    _write(tmp_path, {"h.go": '''
        package main

        import (
        	"context"
        	"net/http"
        )

        func audit(w http.ResponseWriter, r *http.Request) {
        	req, _ := http.NewRequestWithContext(context.Background(), "GET", "http://a", nil)
        	resp, err := http.DefaultClient.Do(req)
        	if err != nil {
        		return
        	}
        	w.WriteHeader(resp.StatusCode)
        }

        func raw(r *http.Request, c *http.Client) (*http.Response, error) {
        	req, _ := http.NewRequestWithContext(r.Context(), "GET", "http://a", nil)
        	resp, err := c.Do(req)
        	if err != nil {
        		return nil, err
        	}
        	return resp, nil
        }
    '''})
    results = run_rules(tmp_path, {"h.go": {"L1-30"}})
    assert _found(results) == [("go-body-not-closed", "h.go", "audit"), ("go-http-timeout", "h.go", "audit"),
                               ("go-request-context", "h.go", "audit")]
    assert all(r.ok for r in results), [r.error for r in results]
    new = _patched(tmp_path, results)["h.go"]
    assert '"context"' not in new  # its last use went: Go rejects an unused import
    assert '\t"time"\n)' in new and "(&http.Client{Timeout: 5 * time.Second}).Do(req)" in new
    assert "\t}\n\tdefer resp.Body.Close()\n" in new
    if shutil.which("gofmt"):
        assert toolchains.compile_check("h.go", new).ok


def test_java_rest_template_twice_in_one_class_adds_one_factory(tmp_path):
    _write(tmp_path, {"Svc.java": '''
        package x;

        import org.apache.hc.client5.http.classic.HttpClient;
        import org.springframework.web.client.RestTemplate;

        public class Svc {
            private final RestTemplate a = new RestTemplate();
            private HttpClient apache;

            public String get() {
                RestTemplate b = new RestTemplate();
                return a.getForObject("http://a", String.class) + b.getForObject("http://b", String.class);
            }
        }
    '''})
    results = run_rules(tmp_path, {"Svc.java": {"get", "L10-13"}})
    assert _found(results) == [("java-client-timeout", "Svc.java", "<module>"),
                               ("java-client-timeout", "Svc.java", "get")]
    assert all(r.ok for r in results), [r.error for r in results]
    new = _patched(tmp_path, results)["Svc.java"]
    assert new.count("private static SimpleClientHttpRequestFactory boundedRequestFactory()") == 1
    assert new.count("new RestTemplate(boundedRequestFactory())") == 2
    if shutil.which("javac"):
        assert toolchains.compile_check("Svc.java", new).ok


def test_rust_blocking_client_is_left_alone(tmp_path):
    _write(tmp_path, {"src/lib.rs": '''
        pub async fn a() -> Result<String, reqwest::Error> {
            let c = reqwest::Client::new();
            c.get("http://a").send().await?.text().await
        }

        pub fn b() -> Result<String, reqwest::Error> {
            let c = reqwest::blocking::Client::builder().build()?;
            c.get("http://b").send()?.text()
        }
    '''})
    results = run_rules(tmp_path, {"src/lib.rs": {"L1-10"}})
    assert _found(results) == [("rust-client-timeout", "src/lib.rs", "a")] and results[0].ok
    assert "reqwest::Client::builder().timeout(std::time::Duration::from_millis(5000))" in results[0].diff


# ---------------------------------------------------------------- compile checks


@pytest.mark.parametrize("rel,bad", [("a.js", "function (\n"), ("a.go", "package main\nfunc {\n"),
                                     ("A.java", "class A { void f() { int x = 1 } }\n"),
                                     ("a.rs", "fn main() { let x = 1 }\n"), ("a.py", "def f(:\n")])
def test_compile_check_rejects_broken_code_or_says_why_it_could_not(rel, bad):
    check = toolchains.compile_check(rel, bad, timeout_s=120)
    assert check.status in ("failed", "skipped")
    if check.status == "skipped":
        assert check.detail  # a reason, e.g. "gofmt is not installed"


def test_a_missing_toolchain_is_skipped_with_a_reason(monkeypatch):
    monkeypatch.setenv("PATH", "")
    toolchains._which.cache_clear()
    try:
        check = toolchains.compile_check("a.go", "package main\n")
        assert check.status == "skipped" and "not installed" in check.detail
        assert toolchains.compile_check("a.ts", "let x: number = 1;\n").detail.startswith("no TypeScript compiler")
    finally:
        toolchains._which.cache_clear()


def test_same_shapes_done_right_or_not_about_resilience_stay_quiet(tmp_path):
    _write(tmp_path, {
        "a.js": '''
            function parseMaybe(s) {
              try {
                return JSON.parse(s);
              } catch (e) {
                return;
              }
            }
            module.exports = { parseMaybe };
        ''',
        "Cfg.java": '''
            import org.springframework.http.client.SimpleClientHttpRequestFactory;
            import org.springframework.web.client.RestTemplate;

            class Cfg {
                RestTemplate rest(SimpleClientHttpRequestFactory f) {
                    RestTemplate t = new RestTemplate();
                    t.setRequestFactory(f);
                    return t;
                }
            }
        ''',
        "tasks.py": '''
            import requests

            from celery import shared_task


            @shared_task(autoretry_for=(requests.RequestException,), retry_backoff=True)
            def sync_stock(sku):
                return requests.get(f"http://inv/{sku}", timeout=2).json()
        ''',
        "lib.rs": '''
            use reqwest::{blocking::Client};

            pub fn get() -> Client {
                Client::new()
            }
        ''',
    })
    scope = {"a.js": {"L1-8"}, "Cfg.java": {"rest", "L5-9"}, "tasks.py": {"sync_stock"}, "lib.rs": {"L1-6"}}
    assert run_rules(tmp_path, scope) == []


def test_a_loop_over_items_is_not_a_retry_loop(tmp_path):
    _write(tmp_path, {"sync.js": '''
        const { api } = require("./api");

        async function pushAll(items) {
          for (const item of items) {
            try {
              await api.put(`/items/${item.id}`, item);
            } catch (err) {
              console.warn("skipped", item.id, err);
            }
          }
          for (let i = 0; i < items.length; i++) {
            try {
              await api.put(`/items/${items[i].id}`, items[i]);
            } catch (err) {
              console.warn("skipped", i, err);
            }
          }
        }
        module.exports = { pushAll };
    ''', "api.js": 'const axios = require("axios");\nconst api = axios.create({ timeout: 1000 });\nmodule.exports = { api };\n'})
    assert run_rules(tmp_path, {"sync.js": {"L3-18"}}) == []


def test_destructured_fs_calls_get_fs_promises(tmp_path):
    _write(tmp_path, {"h.mjs": '''
        import express from "express";
        import { readFileSync, statSync } from "node:fs";

        export async function page(req, res) {
          const size = statSync("p.html").size;
          res.send(readFileSync("p.html", "utf8") + size);
        }
    '''})
    results = run_rules(tmp_path, {"h.mjs": {"L4-7"}})
    assert _found(results) == [("sync-io-in-handler", "h.mjs", "page")] * 2 and all(r.ok for r in results)
    new = _patched(tmp_path, results)["h.mjs"]
    assert new.count('import * as fsp from "node:fs/promises";') == 1
    assert 'const size = (await fsp.stat("p.html")).size;' in new and 'res.send(await fsp.readFile("p.html", "utf8") + size);' in new
    if shutil.which("node"):
        assert toolchains.compile_check("h.mjs", new).ok
