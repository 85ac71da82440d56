"""The code index: tree-sitter chunks, endpoint -> handler mapping, call graph, hybrid search.

>>> from fault_nb.code import index_source
>>> index = index_source("examples/apps/webapp")  # doctest: +SKIP
>>> print(index.context_for("index__get").to_prompt())  # doctest: +SKIP

Heavy dependencies (tree_sitter, qdrant_client) are imported on first use.
"""
from __future__ import annotations

from .context import ContextChunk, EndpointContext, HandlerMatch
from .embed import Embedder, MiniLMEmbedder, OpenAIEmbedder
from .index import CodeIndex, index_source
from .parsing import language_for_path, parse
from .store import VectorStore

__all__ = [
    "CodeIndex", "index_source", "HandlerMatch", "EndpointContext", "ContextChunk",
    "Embedder", "OpenAIEmbedder", "MiniLMEmbedder", "VectorStore", "parse", "language_for_path",
]
