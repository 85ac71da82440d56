"""CodeIndex: chunks, routes, call graph and vectors of one source tree.

The index lives in ``cache_dir("index", <hash of the source dir>)``: a JSON
manifest (per file: content hash, chunks, import/route facts) and, beside it,
the qdrant store. Re-indexing reads and hashes every file but parses and
embeds only the ones whose content changed; deleted files lose their points.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .._io import atomic_write
from .._paths import cache_dir as default_cache_dir
from ..errors import CodeIndexError
from .chunker import CHUNKER_VERSION, Chunk, chunk_source
from .context import EndpointContext, HandlerMatch, build_context, match_handler
from .embed import Embedder, sparse_vector
from .parsing import EXTENSIONS, LANGUAGES, canonical_language, normalize_language
from .routes import Route, extract_route_facts, resolve_routes
from .store import VectorStore
from .symbols import ModuleTable, extract_imports, extract_js_exports
from .walker import WalkStats, walk_sources

MANIFEST_VERSION = 1
_NS = uuid.UUID("6f1c1b0e-5d43-4c1e-9a57-0b7f3a1f2c10")


def _source_key(source_dir: Path) -> str:
    return hashlib.sha256(str(source_dir).encode()).hexdigest()[:16]


def _embed_text(c: Chunk) -> str:
    head = f"{c.file} {c.symbol} {c.kind}"
    return f"{head}\n{c.parent_signature}\n{c.text}"[:6000]


class CodeIndex:
    """The index of one source tree; build it with :func:`index_source`.

    >>> index = index_source("app/")  # doctest: +SKIP
    >>> index.handler_for("read_user_users__user_id__get").function  # doctest: +SKIP
    'read_user'
    """

    def __init__(self, source_dir: str | os.PathLike, lang: str | None = None, *,
                 store: VectorStore | Any | None = None, embedder: Embedder | None = None,
                 cache_dir: str | os.PathLike | None = None, progress: bool = True):
        src = Path(source_dir).expanduser()
        if not src.exists():
            raise CodeIndexError(f"source dir {src} does not exist")
        if not src.is_dir():
            raise CodeIndexError(f"source dir {src} is not a directory")
        self.source_dir = src.resolve()
        self._lang_arg = normalize_language(lang) if lang else None
        self.lang: str | None = self._lang_arg
        key = _source_key(self.source_dir)
        self.index_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir("index", key)
        self.index_dir.mkdir(parents=True, exist_ok=True)
        if store is not None and not isinstance(store, VectorStore):
            store = VectorStore(client=store, collection=f"code_{key}")
        self.store: VectorStore = store or VectorStore.from_env(self.index_dir / "qdrant", f"code_{key}")
        self.embedder = embedder
        self.progress = progress
        self.files: dict[str, dict] = {}
        self.chunks: list[Chunk] = []
        self.routes: list[Route] = []
        self.stats: dict[str, Any] = {}
        self._endpoints: list[tuple[str, str, str]] | None = None
        self._by_id: dict[str, int] = {}
        self._graph = None
        self._matches: dict[str, HandlerMatch] = {}
        self._store_ready = False
        # review_all() asks for contexts from worker threads: store and graph are built once
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ build
    @property
    def manifest_path(self) -> Path:
        return self.index_dir / "manifest.json"

    def _load_manifest(self) -> dict:
        try:
            data = json.loads(self.manifest_path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        if data.get("version") != MANIFEST_VERSION or data.get("chunker") != CHUNKER_VERSION \
                or data.get("source_dir") != str(self.source_dir):
            return {}
        return data

    def build(self) -> "CodeIndex":
        """(Re-)index the source tree; unchanged files are reused from the manifest."""
        t0 = time.perf_counter()
        old = self._load_manifest()
        old_files: dict[str, dict] = old.get("files", {})
        embedder_name = self.embedder.name if self.embedder is not None else None
        full_rebuild = bool(old) and old.get("embedder") != embedder_name
        if full_rebuild:
            old_files = {}
        walk_stats = WalkStats()
        grammars = None
        if self._lang_arg:
            grammars = {g for ext, g in EXTENSIONS.items() if canonical_language(g) == self._lang_arg}
        new_files: dict[str, dict] = {}
        changed: list[str] = []
        parse_errors = 0
        files_iter = walk_sources(self.source_dir, grammars, walk_stats)
        bar = _progress(self.progress, "indexing")
        for sf in files_iter:
            digest = hashlib.blake2b(sf.data, digest_size=16).hexdigest()
            prev = old_files.get(sf.rel)
            bar.update(1)
            if prev is not None and prev.get("hash") == digest and prev.get("grammar") == sf.grammar:
                new_files[sf.rel] = prev
                continue
            new_files[sf.rel] = self._index_file(sf.rel, sf.grammar, sf.data, digest)
            changed.append(sf.rel)
        bar.close()
        deleted = [rel for rel in old_files if rel not in new_files]
        for entry in new_files.values():
            parse_errors += bool(entry.get("has_errors"))
        self.files = new_files
        self._rebuild_views()

        stale_ids = [pid for rel in (*changed, *deleted) if rel in old_files
                     for pid in old_files[rel].get("point_ids", [])]
        to_embed = [rel for rel in changed]
        embedded = 0
        need_store = bool(stale_ids or to_embed) or full_rebuild or not old
        if need_store:
            embedded = self._sync_store(to_embed, stale_ids, full_rebuild or not old)
        self._save_manifest(embedder_name)

        by_bytes: Counter = Counter()
        for rel, entry in new_files.items():
            by_bytes[entry["lang"]] += entry.get("bytes", 0)
        if self._lang_arg is None:
            self.lang = by_bytes.most_common(1)[0][0] if by_bytes else None
        self.stats = {
            "files_seen": walk_stats.files_seen,
            "files_indexed": len(new_files),
            "files_changed": len(changed),
            "files_deleted": len(deleted),
            "files_unchanged": len(new_files) - len(changed),
            "files_with_syntax_errors": parse_errors,
            "skipped": dict(sorted(walk_stats.skipped.items())),
            "chunks": len(self.chunks),
            "chunks_embedded": embedded,
            "routes": len(self.routes),
            "languages": dict(by_bytes.most_common()),
            "lines": sum(e.get("lines", 0) for e in new_files.values()),
            "store": repr(self.store),
            "dense": embedder_name,
            "seconds": round(time.perf_counter() - t0, 3),
        }
        return self

    def _index_file(self, rel: str, grammar: str, data: bytes, digest: str) -> dict:
        fc = chunk_source(rel, grammar, data, keep_tree=True)
        root = fc.tree.root_node
        lang = canonical_language(grammar)
        entry = {
            "hash": digest, "grammar": grammar, "lang": lang, "bytes": len(data),
            "lines": data.count(b"\n") + 1, "has_errors": fc.has_errors, "imports_text": fc.imports_text,
            "imports": extract_imports(rel, grammar, root),
            "exports": extract_js_exports(root) if lang in ("javascript", "typescript") else {},
            "routes": extract_route_facts(rel, grammar, root),
            "chunks": [c.to_dict() for c in fc.chunks],
        }
        entry["point_ids"] = [str(uuid.uuid5(_NS, f"{rel}\0{digest}\0{i}")) for i in range(len(fc.chunks))]
        return entry

    def _rebuild_views(self) -> None:
        self.chunks = []
        self._by_id = {}
        for rel in sorted(self.files):
            entry = self.files[rel]
            for pid, cd in zip(entry["point_ids"], entry["chunks"]):
                self._by_id[pid] = len(self.chunks)
                self.chunks.append(Chunk(**cd))
        self._table = ModuleTable(list(self.files))
        self.routes = resolve_routes(self.files, self._table)
        self._graph = None
        self._matches = {}

    def _sync_store(self, to_embed: list[str], stale_ids: list[str], recreate: bool) -> int:
        store = self.store
        if recreate or not store.exists():
            to_embed = list(self.files)
            stale_ids = []
            recreate = True
        items = [(pid, self.chunks[self._by_id[pid]]) for rel in to_embed for pid in self.files[rel]["point_ids"]]
        dense: list[list[float]] | None = None
        if self.embedder is not None and items:
            dense = []
            texts = [_embed_text(c) for _, c in items]
            bar = _progress(self.progress, "embedding", total=len(texts))
            for i in range(0, len(texts), 64):
                dense.extend(self.embedder.embed(texts[i:i + 64]))
                bar.update(min(64, len(texts) - i))
            bar.close()
        if recreate:
            dim = len(dense[0]) if dense else None
            if self.embedder is not None and dim is None:
                dim = len(self.embedder.embed(["probe"])[0])
            store.create(dim)
        if stale_ids:
            store.delete(stale_ids)
        points = ((pid, sparse_vector(_embed_text(c)), dense[k] if dense else None, {"file": c.file})
                  for k, (pid, c) in enumerate(items))
        n = store.upsert(points)
        self._store_ready = True
        return n

    def _ensure_store(self) -> None:
        """Open the store lazily (unchanged re-index never touches it) and repair it if needed."""
        if self._store_ready:
            return
        with self._lock:
            if self._store_ready:
                return
            expected = len(self.chunks)
            if not self.store.exists() or self.store.count() != expected:
                self._sync_store(list(self.files), [], True)
            self._store_ready = True

    def _save_manifest(self, embedder_name: str | None) -> None:
        data = {"version": MANIFEST_VERSION, "chunker": CHUNKER_VERSION, "source_dir": str(self.source_dir),
                "embedder": embedder_name, "files": self.files}
        atomic_write(self.manifest_path, json.dumps(data, separators=(",", ":")))

    def close(self) -> None:
        """Release the embedded store (another kernel can then open this index)."""
        self.store.close()
        self._store_ready = False

    def __enter__(self) -> "CodeIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _repr_html_(self) -> str:
        import html

        s = self.stats
        head = (f"<b>CodeIndex</b> {html.escape(str(self.source_dir))} ({html.escape(str(self.lang))}): "
                f"{s.get('files_indexed', 0)} files, {s.get('chunks', 0)} chunks, {s.get('routes', 0)} routes")
        rows = []
        for opid, _, _ in self.endpoints[:200]:
            m = self.handler_for(opid)
            where = f"{m.file}:{m.start_line}-{m.end_line} {m.function}" if m.mapped else m.reason
            how = m.how + (f" {m.score:.2f}" if m.how == "fuzzy" else "")
            rows.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (
                opid, f"{m.method or ''} {m.path or ''}", where, how)) + "</tr>")
        if not rows:
            return f"<p>{head}</p>"
        return (f"<p>{head}</p><table><thead><tr><th>operationId</th><th>request</th><th>handler</th>"
                f"<th>how</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")

    def __repr__(self) -> str:
        return (f"<CodeIndex {self.source_dir} lang={self.lang} files={len(self.files)} "
                f"chunks={len(self.chunks)} routes={len(self.routes)}>")

    # --------------------------------------------------------------- endpoints
    def set_endpoints(self, endpoints: Any) -> "CodeIndex":
        """Endpoints to map: a ``Results``, an OpenAPI dict or path, or ``[(opid, method, url), ...]``.

        >>> index.set_endpoints(load_results("results.json"))  # doctest: +SKIP
        """
        from .context import endpoints_from

        self._endpoints = endpoints_from(endpoints)
        self._matches = {}
        return self

    @property
    def endpoints(self) -> list[tuple[str, str, str]]:
        """``[(operation_id, method, url)]``: the ones set, else those the FastAPI routes define."""
        if self._endpoints is not None:
            return list(self._endpoints)
        seen, out = set(), []
        for r in self.routes:
            if r.operation_id and r.operation_id not in seen:
                seen.add(r.operation_id)
                out.append((r.operation_id, r.method, r.path))
        return out

    def handler_for(self, operation_id: str) -> HandlerMatch:
        """Map an operationId to its handler (how = route | operation_id | fuzzy | unmapped).

        >>> index.handler_for("index__get").how  # doctest: +SKIP
        'route'
        """
        cached = self._matches.get(operation_id)
        if cached is None:
            cached = self._matches[operation_id] = match_handler(self, operation_id)
        return cached

    def mapping(self) -> Any:
        """A DataFrame with one row per endpoint and the handler it maps to."""
        import pandas as pd

        rows = [asdict(self.handler_for(opid)) for opid, _, _ in self.endpoints]
        return pd.DataFrame(rows, columns=list(HandlerMatch.__dataclass_fields__))

    @property
    def graph(self):
        if self._graph is None:
            from .callgraph import CallGraph

            with self._lock:
                if self._graph is None:
                    self._graph = CallGraph(self.chunks, self.files, self._table)
        return self._graph

    def context_for(self, operation_id: str, budget_tokens: int = 6000) -> EndpointContext:
        """The handler, what it calls and uses, and related chunks, cut to a token budget.

        >>> print(index.context_for("read_user_users__user_id__get").to_prompt())  # doctest: +SKIP
        """
        return build_context(self, operation_id, budget_tokens)

    def search(self, query: str, limit: int = 10) -> list[tuple[Chunk, float]]:
        """Hybrid search over the chunks: ``[(chunk, score)]``, best first.

        >>> index.search("database session engine")  # doctest: +SKIP
        """
        return [(self.chunks[i], s) for i, s in self._search(query, limit)]

    def _search(self, query: str, limit: int) -> list[tuple[int, float]]:
        if not self.chunks:
            return []
        self._ensure_store()
        dense = self.embedder.embed([query])[0] if self.embedder is not None else None
        # a few more than asked, then ties broken by the chunk's place in the code, not by the store's
        # insertion order: a fresh and a reused index give the same ranking (and the same prompt)
        extra = limit + 8
        with self._lock:  # one qdrant client per index; its local mode is not thread-safe
            hits = self.store.query(sparse_vector(query), dense, limit=extra, candidates=max(20, 2 * extra))
        ranked = [(self._by_id[pid], score) for pid, score in hits if pid in self._by_id]
        ranked.sort(key=lambda t: (-float(f"{t[1]:.5g}"), self.chunks[t[0]].file, self.chunks[t[0]].start_line,
                                   self.chunks[t[0]].symbol))
        return ranked[:limit]

    def file_text(self, rel: str) -> str:
        """The current text of an indexed file (undecodable bytes replaced)."""
        return (self.source_dir / rel).read_text("utf-8", errors="replace")

    def outline(self, rel: str) -> str:
        """A file's outline: its imports, then one signature line per chunk with its line span.

        >>> print(index.outline("app.py"))  # doctest: +SKIP
        """
        entry = self.files.get(rel)
        if entry is None:
            raise CodeIndexError(f"{rel} is not in the index of {self.source_dir}")
        lines = [entry.get("imports_text") or ""] if entry.get("imports_text") else []
        for c in (c for c in self.chunks if c.file == rel and c.kind != "imports" and c.part <= 1):
            first = next((ln.strip() for ln in c.text.splitlines()
                          if ln.strip() and not ln.strip().startswith(("@", "#", "//"))), "")
            indent = "    " if c.parent else ""
            lines.append(f"{indent}L{c.start_line}-{c.end_line} {c.kind} {c.symbol}: {first[:120]}")
        return "\n".join(lines)


def _progress(enabled: bool, desc: str, total: int | None = None):
    from .._progress import tqdm  # tqdm.auto; notebook bars end as text

    return tqdm(total=total, desc=desc, unit="file" if total is None else "chunk",
                disable=not enabled, leave=False)


def index_source(source_dir: str | os.PathLike, lang: str | None = None, *, store: Any = None,
                 embedder: Embedder | None = None, endpoints: Any = None,
                 cache_dir: str | os.PathLike | None = None, progress: bool = True) -> CodeIndex:
    """Index a source tree (incrementally) and return the :class:`CodeIndex`.

    ``lang`` limits the index to one language (detected by bytes otherwise);
    ``store`` is a :class:`VectorStore` or a ``QdrantClient`` (embedded under
    ``cache_dir`` by default, a server when ``QDRANT_URL`` is set);
    ``embedder`` adds dense vectors; ``endpoints`` as for
    :meth:`CodeIndex.set_endpoints`.

    >>> index = index_source("examples/apps/webapp", endpoints="openapi.json")  # doctest: +SKIP
    >>> index.handler_for("index__get")  # doctest: +SKIP
    """
    index = CodeIndex(source_dir, lang, store=store, embedder=embedder, cache_dir=cache_dir, progress=progress)
    try:
        index.build()
        if endpoints is not None:
            index.set_endpoints(endpoints)
    except BaseException:
        index.close()
        raise
    return index


__all__ = ["CodeIndex", "index_source", "LANGUAGES"]
