"""Languages, file extensions and tree-sitter parsers.

These are the tree-sitter entry points the rest of fault_nb reuses (the review
verifier checks that an edited file still parses with :func:`parse`). Grammars
come from the per-language wheels (``tree-sitter-python`` ...); they are
imported on first use so ``import fault_nb`` stays cheap.
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from ..errors import FaultNbError, require

# grammar name -> (wheel module, attribute returning the language pointer)
_GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "java": ("tree_sitter_java", "language"),
}

# extension -> grammar name; ``tsx`` is TypeScript with JSX and counts as typescript
EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
}

LANGUAGES = ("python", "javascript", "typescript", "go", "rust", "java")

_ALIASES = {
    "py": "python", "python3": "python", "js": "javascript", "node": "javascript",
    "ts": "typescript", "golang": "go", "rs": "rust",
}


def canonical_language(grammar: str) -> str:
    """The user-facing language of a grammar name (``tsx`` -> ``typescript``)."""
    return "typescript" if grammar == "tsx" else grammar


def normalize_language(lang: str) -> str:
    """Validate a user-given language name; raise a clear error listing the choices.

    >>> normalize_language("TS")
    'typescript'
    """
    key = (lang or "").strip().lower()
    key = _ALIASES.get(key, key)
    if key not in LANGUAGES:
        raise UnsupportedLanguageError(
            f"unsupported source language {lang!r}. Expected one of: {', '.join(LANGUAGES)}"
        )
    return key


class UnsupportedLanguageError(FaultNbError, ValueError):
    """A language name fault_nb has no grammar for."""


def language_for_path(path: str | os.PathLike) -> str | None:
    """The grammar for a file name, or ``None`` when it is not a source file we parse.

    >>> language_for_path("src/app.tsx"), language_for_path("README.md")
    ('tsx', None)
    """
    return EXTENSIONS.get(os.path.splitext(os.fspath(path))[1].lower())


@lru_cache(maxsize=None)
def get_language(grammar: str) -> Any:
    """The ``tree_sitter.Language`` of a grammar name (``python``, ``tsx`` ...)."""
    grammar = grammar if grammar in _GRAMMARS else normalize_language(grammar)
    ts = require("tree_sitter", "code")
    module_name, attr = _GRAMMARS[grammar]
    module = require(module_name, "code")
    return ts.Language(getattr(module, attr)())


@lru_cache(maxsize=None)
def get_parser(grammar: str) -> Any:
    """A cached ``tree_sitter.Parser`` for a grammar (parsers are reusable, not thread-safe)."""
    ts = require("tree_sitter", "code")
    return ts.Parser(get_language(grammar))


def parse(lang: str, source_bytes: bytes | str) -> Any:
    """Parse source text with tree-sitter and return the ``Tree``.

    Syntax errors do not raise: tree-sitter recovers and marks ``ERROR`` nodes
    (see :func:`has_errors`).

    >>> tree = parse("python", b"def f():\\n    return 1\\n")
    >>> tree.root_node.children[0].type
    'function_definition'
    """
    if isinstance(source_bytes, str):
        source_bytes = source_bytes.encode("utf-8")
    grammar = lang if lang in _GRAMMARS else normalize_language(lang)
    return get_parser(grammar).parse(source_bytes)


def has_errors(tree: Any) -> bool:
    """True when the tree contains a syntax error or a missing node.

    >>> has_errors(parse("python", b"def f(:\\n"))
    True
    """
    return bool(tree.root_node.has_error)


def query(grammar: str, source: str) -> Any:
    """A cached compiled ``tree_sitter.Query`` for ``grammar``."""
    return _query(grammar, source)


@lru_cache(maxsize=None)
def _query(grammar: str, source: str) -> Any:
    ts = require("tree_sitter", "code")
    return ts.Query(get_language(grammar), source)


def captures(grammar: str, source: str, node: Any) -> dict[str, list[Any]]:
    """Run a query on ``node``; ``{capture name: [nodes]}`` (tree-sitter 0.25+ API)."""
    ts = require("tree_sitter", "code")
    return ts.QueryCursor(query(grammar, source)).captures(node)
