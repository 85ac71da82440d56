"""VectorStore: qdrant through qdrant-client, embedded on disk or a server.

Only vectors and a chunk key live in qdrant; chunk metadata stays in the
index manifest (embedded qdrant pickles every payload and gets slow with big
ones). Sparse vectors use ``Modifier.IDF`` so qdrant weights rare identifiers;
with a dense embedder both are queried and fused with reciprocal-rank fusion
in one ``query_points`` call.

Two measured limits of embedded (local-mode) qdrant are worked around here:

- it commits (and fsyncs) sqlite once per point: 13,800 points took ~13 s of
  a 27 s index of sqlalchemy. The store's sqlite file is switched to WAL with
  ``synchronous=NORMAL`` (consistent after a crash, may lose the last writes,
  which the index repairs: it re-checks the point count and rewrites);
- it scores sparse vectors in pure Python, O(all non-zeros) per query
  (~180 ms at 14k chunks). Above ``FAST_SPARSE_MIN_POINTS`` the sparse leg is
  scored with numpy over the very vectors the local collection holds, with
  qdrant's IDF formula, and fused with qdrant's own RRF function. With a
  qdrant server (``QDRANT_URL``) every query goes through ``query_points``.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Iterable

from ..errors import CodeIndexError, require

SPARSE = "sparse"
DENSE = "dense"
FAST_SPARSE_MIN_POINTS = 2000

# embedded clients shared inside this process: re-running `index = index_source(...)` in a
# notebook must not collide with the index object of the previous run on the same folder
_SHARED: dict[str, list] = {}  # resolved path -> [client, users]
_SHARED_LOCK = threading.Lock()


class VectorStore:
    """A qdrant collection for one source tree.

    ``VectorStore(path=...)`` is embedded (no server); ``VectorStore(url=...)``
    talks to a qdrant server or cluster; ``VectorStore(client=QdrantClient(...))``
    wraps a client you built.

    >>> store = VectorStore(path="/tmp/idx/qdrant")  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike | None = None, *, url: str | None = None,
                 api_key: str | None = None, collection: str = "code", client: Any = None,
                 batch_size: int = 256):
        self.path = Path(path) if path is not None else None
        self.url = url
        self._api_key = api_key
        self.collection = collection
        self._client = client
        self._owns_client = client is None  # a client the caller built stays the caller's to close
        self.batch_size = batch_size
        self._sparse_cache: Any = None
        self.fast_sparse_min_points = FAST_SPARSE_MIN_POINTS

    @classmethod
    def from_env(cls, path: str | os.PathLike, collection: str) -> "VectorStore":
        """Embedded under ``path`` unless ``QDRANT_URL`` (+ ``QDRANT_API_KEY``) is set."""
        from ..settings import qdrant_from_env

        url, api_key = qdrant_from_env(os.environ)  # only these: another bad variable must not break the index
        if url:
            return cls(url=url, api_key=api_key, collection=collection)
        return cls(path=path, collection=collection)

    def __repr__(self) -> str:
        where = self.url or self.path or "client"
        return f"VectorStore({where}, collection={self.collection!r})"

    @property
    def client(self) -> Any:
        if self._client is None:
            qc = require("qdrant_client", "code")
            if self.url:
                self._client = qc.QdrantClient(url=self.url, api_key=self._api_key)
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                key = str(self.path.resolve())
                with _SHARED_LOCK:
                    entry = _SHARED.get(key)
                    if entry is None:
                        entry = _SHARED[key] = [self._open_local(qc), 0]
                    entry[1] += 1
                    self._client, self._shared_key = entry[0], key
        return self._client

    def _open_local(self, qc: Any) -> Any:
        import warnings

        _register_atexit()
        try:
            with warnings.catch_warnings():  # the >20,000 points advice: see _write
                warnings.filterwarnings("ignore", message="Local mode is not recommended")
                return qc.QdrantClient(path=str(self.path))
        except Exception as exc:  # portalocker / RuntimeError: held by another process
            if "already accessed" in str(exc) or "lock" in str(exc).lower() \
                    or type(exc).__name__.endswith("LockException"):
                raise CodeIndexError(
                    f"the code index at {self.path} is in use by another Python process "
                    "(an open notebook or kernel?). Close it (CodeIndex.close() or restart that "
                    "kernel), or pass another cache_dir= to index_source."
                ) from exc
            raise

    def exists(self) -> bool:
        try:
            return bool(self.client.collection_exists(self.collection))
        except CodeIndexError:
            raise
        except Exception as exc:  # a server that is down or refuses us: say which and how to fix
            if not self.url:
                raise
            raise CodeIndexError(
                f"qdrant server at {self.url} (QDRANT_URL) cannot be used: {type(exc).__name__}: {exc}. "
                "Start it, fix QDRANT_URL/QDRANT_API_KEY, or unset QDRANT_URL for the embedded store."
            ) from exc

    def dense_size(self) -> int | None:
        info = self.client.get_collection(self.collection)
        vectors = info.config.params.vectors
        if isinstance(vectors, dict) and DENSE in vectors:
            return int(vectors[DENSE].size)
        return None

    def create(self, dense_dim: int | None) -> None:
        """(Re)create the collection: sparse always, dense when ``dense_dim`` is given."""
        from qdrant_client import models

        if self.exists():
            self.client.delete_collection(self.collection)
        vectors = {DENSE: models.VectorParams(size=dense_dim, distance=models.Distance.COSINE)} if dense_dim else {}
        self.client.create_collection(
            self.collection,
            vectors_config=vectors,
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        )
        self._sparse_cache = None

    def _local(self) -> Any:
        """The embedded collection object, or None (server, or a qdrant-client that changed)."""
        if self.url:
            return None
        try:
            return self.client._client.collections[self.collection]
        except (AttributeError, KeyError, TypeError):
            return None

    def _tune_local_writes(self) -> None:
        coll = self._local()
        conn = getattr(getattr(coll, "storage", None), "storage", None)
        if conn is not None and not getattr(self, "_wal", False):
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                self._wal = True
            except Exception:  # an unexpected storage: keep qdrant's defaults
                pass

    def count(self) -> int:
        return int(self.client.count(self.collection, exact=True).count)

    def upsert(self, points: Iterable[tuple[str, tuple[list[int], list[float]], list[float] | None, dict]]) -> int:
        """Write ``(id, sparse, dense or None, payload)`` points in batches; returns how many."""
        from qdrant_client import models

        self._tune_local_writes()
        self._sparse_cache = None
        batch: list = []
        n = 0
        for pid, (idx, val), dense, payload in points:
            vec: dict = {SPARSE: models.SparseVector(indices=idx, values=val)}
            if dense is not None:
                vec[DENSE] = dense
            batch.append(models.PointStruct(id=pid, vector=vec, payload=payload))
            if len(batch) >= self.batch_size:
                self._write(batch)
                n += len(batch)
                batch = []
        if batch:
            self._write(batch)
            n += len(batch)
        return n

    def _write(self, batch: list) -> None:
        import warnings

        with warnings.catch_warnings():
            # local mode warns past 20,000 points; the fast paths above are what makes it usable,
            # and QDRANT_URL is the documented way past one machine
            warnings.filterwarnings("ignore", message="Local mode is not recommended")
            self.client.upsert(self.collection, points=batch, wait=True)

    def delete(self, ids: list[str]) -> None:
        from qdrant_client import models

        self._tune_local_writes()
        self._sparse_cache = None
        for i in range(0, len(ids), 1000):
            self.client.delete(self.collection, points_selector=models.PointIdsList(points=ids[i:i + 1000]),
                               wait=True)

    def query(self, sparse: tuple[list[int], list[float]], dense: list[float] | None = None,
              limit: int = 10, candidates: int = 20) -> list[tuple[str, float]]:
        """Hybrid search: sparse alone, or sparse + dense prefetch fused with RRF."""
        from qdrant_client import models

        sv = models.SparseVector(indices=sparse[0], values=sparse[1])
        fast = self._fast_sparse(sparse, candidates if dense is not None else limit)
        if fast is not None:
            if dense is None:
                return fast[:limit]
            from qdrant_client.hybrid.fusion import reciprocal_rank_fusion

            dense_pts = self.client.query_points(self.collection, query=dense, using=DENSE, limit=candidates).points
            sparse_pts = [models.ScoredPoint(id=pid, version=0, score=score) for pid, score in fast]
            fused = reciprocal_rank_fusion([sparse_pts, list(dense_pts)], limit=limit)
            return [(str(p.id), float(p.score)) for p in fused]
        if dense is None:
            res = self.client.query_points(self.collection, query=sv, using=SPARSE, limit=limit)
        else:
            res = self.client.query_points(
                self.collection,
                prefetch=[models.Prefetch(query=sv, using=SPARSE, limit=candidates),
                          models.Prefetch(query=dense, using=DENSE, limit=candidates)],
                query=models.FusionQuery(fusion=models.Fusion.RRF),
                limit=limit,
            )
        return [(str(p.id), float(p.score)) for p in res.points]

    def _fast_sparse(self, sparse: tuple[list[int], list[float]], limit: int) -> list[tuple[str, float]] | None:
        """Sparse top-``limit`` with qdrant's IDF scoring, in numpy, for big embedded collections."""
        coll = self._local()
        if coll is None:
            return None
        try:
            if len(coll.ids_inv) < self.fast_sparse_min_points:
                return None
            # another VectorStore may share this client and write: rebuild when the collection changed
            state = (id(coll), len(coll.ids_inv), int(coll.deleted.sum()))
            if self._sparse_cache is None or self._sparse_cache.state != state:
                self._sparse_cache = _SparseIndex(coll.sparse_vectors[SPARSE], coll.deleted, coll.ids_inv)
                self._sparse_cache.state = state
            return self._sparse_cache.top(sparse, limit)
        except (AttributeError, KeyError, TypeError):  # internals changed: use qdrant's own path
            self._sparse_cache = None
            return None

    def close(self) -> None:
        """Release the client; an embedded one closes when its last user in this process lets go."""
        client, self._client = self._client, None
        self._sparse_cache = None
        key, self._shared_key = getattr(self, "_shared_key", None), None
        if client is None:
            return
        if not self._owns_client:
            self._client = client
            return
        if key is not None:
            with _SHARED_LOCK:
                entry = _SHARED.get(key)
                if entry is not None and entry[0] is client:
                    entry[1] -= 1
                    if entry[1] > 0:
                        return
                    del _SHARED[key]
        client.close()


_ATEXIT = []


def _register_atexit() -> None:
    # close embedded clients before interpreter teardown, where qdrant's __del__ fails noisily
    if not _ATEXIT:
        import atexit

        atexit.register(_close_all)
        _ATEXIT.append(True)


def _close_all() -> None:
    with _SHARED_LOCK:
        entries = list(_SHARED.values())
        _SHARED.clear()
    for client, _ in entries:
        try:
            client.close()
        except Exception:  # interpreter shutdown: nothing useful left to report
            pass


class _SparseIndex:
    """An inverted index over the live sparse vectors of an embedded collection."""

    def __init__(self, vectors: list, deleted: Any, ids_inv: list):
        import numpy as np

        rows, cols, vals = [], [], []
        live = 0
        for i, v in enumerate(vectors):
            if i < len(deleted) and deleted[i]:
                continue
            if v is None or not len(v.indices):
                continue
            live += 1
            rows.append(np.full(len(v.indices), i, dtype=np.int32))
            cols.append(np.asarray(v.indices, dtype=np.int64))
            vals.append(np.asarray(v.values, dtype=np.float32))
        self.n = live
        self.size = len(vectors)
        self.ids = list(ids_inv)
        if not rows:
            self.postings: dict = {}
            return
        r, c, w = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
        order = np.argsort(c, kind="stable")
        r, c, w = r[order], c[order], w[order]
        terms, starts = np.unique(c, return_index=True)
        ends = np.append(starts[1:], len(c))
        self.postings = {int(t): (r[s:e], w[s:e]) for t, s, e in zip(terms, starts, ends)}

    def top(self, sparse: tuple[list[int], list[float]], limit: int) -> list[tuple[str, float]]:
        import math

        import numpy as np

        scores = np.zeros(self.size, dtype=np.float32)
        hit = np.zeros(self.size, dtype=bool)
        for idx, q in zip(*sparse):
            post = self.postings.get(int(idx))
            if post is None:
                continue
            rows, w = post
            df = len(rows)
            idf = math.log((self.n - df + 0.5) / (df + 0.5) + 1)  # qdrant's formula (local_collection)
            scores[rows] += np.float32(q * idf) * w
            hit[rows] = True
        cand = np.flatnonzero(hit)
        if not len(cand):
            return []
        k = min(limit, len(cand))
        part = cand[np.argpartition(-scores[cand], k - 1)[:k]]
        part = part[np.argsort(-scores[part], kind="stable")]
        return [(str(self.ids[i]), float(scores[i])) for i in part]
