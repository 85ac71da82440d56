"""VectorStore: qdrant through qdrant-client, embedded on disk or a server.

Only vectors and a chunk key live in qdrant; chunk metadata stays in the
index manifest (embedded qdrant pickles every payload and gets slow with big
ones). Sparse vectors use ``Modifier.IDF`` so qdrant weights rare identifiers;
with a dense embedder both are queried and fused with reciprocal-rank fusion
in one ``query_points`` call.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from ..errors import CodeIndexError, require

SPARSE = "sparse"
DENSE = "dense"


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
        self.batch_size = batch_size

    @classmethod
    def from_env(cls, path: str | os.PathLike, collection: str) -> "VectorStore":
        """Embedded under ``path`` unless ``QDRANT_URL`` (+ ``QDRANT_API_KEY``) is set."""
        url = os.environ.get("QDRANT_URL")
        if url:
            return cls(url=url, api_key=os.environ.get("QDRANT_API_KEY"), collection=collection)
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
                try:
                    self._client = qc.QdrantClient(path=str(self.path))
                except Exception as exc:  # portalocker / RuntimeError: held by another process
                    if "already accessed" in str(exc) or "lock" in str(exc).lower() \
                            or type(exc).__name__.endswith("LockException"):
                        raise CodeIndexError(
                            f"the code index at {self.path} is in use by another Python process "
                            "(an open notebook or kernel?). Close it (CodeIndex.close() or restart that "
                            "kernel), or pass another cache_dir= to index_source."
                        ) from exc
                    raise
        return self._client

    def exists(self) -> bool:
        return bool(self.client.collection_exists(self.collection))

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

    def count(self) -> int:
        return int(self.client.count(self.collection, exact=True).count)

    def upsert(self, points: Iterable[tuple[str, tuple[list[int], list[float]], list[float] | None, dict]]) -> int:
        """Write ``(id, sparse, dense or None, payload)`` points in batches; returns how many."""
        from qdrant_client import models

        batch: list = []
        n = 0
        for pid, (idx, val), dense, payload in points:
            vec: dict = {SPARSE: models.SparseVector(indices=idx, values=val)}
            if dense is not None:
                vec[DENSE] = dense
            batch.append(models.PointStruct(id=pid, vector=vec, payload=payload))
            if len(batch) >= self.batch_size:
                self.client.upsert(self.collection, points=batch, wait=True)
                n += len(batch)
                batch = []
        if batch:
            self.client.upsert(self.collection, points=batch, wait=True)
            n += len(batch)
        return n

    def delete(self, ids: list[str]) -> None:
        from qdrant_client import models

        for i in range(0, len(ids), 1000):
            self.client.delete(self.collection, points_selector=models.PointIdsList(points=ids[i:i + 1000]),
                               wait=True)

    def query(self, sparse: tuple[list[int], list[float]], dense: list[float] | None = None,
              limit: int = 10, candidates: int = 20) -> list[tuple[str, float]]:
        """Hybrid search: sparse alone, or sparse + dense prefetch fused with RRF."""
        from qdrant_client import models

        sv = models.SparseVector(indices=sparse[0], values=sparse[1])
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

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            finally:
                self._client = None
