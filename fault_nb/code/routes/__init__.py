"""Endpoint -> handler mapping, exact where the framework says so.

Per file we extract *facts* (app/router objects and their prefixes, route
decorators or calls, include/register/use calls); they are cached with the
file's hash. :func:`resolve_routes` then joins the facts of every file
(routers included from other modules, prefixes stacked) into :class:`Route`
objects with their full path and, for FastAPI, the operationId FastAPI itself
would generate.

One module per ecosystem: :mod:`.python` (FastAPI, Flask), :mod:`.javascript`
(Express, NestJS), :mod:`.go` (net/http, gin, echo, chi), :mod:`.java` (Spring),
:mod:`.rust` (actix-web, axum); :mod:`.resolve` joins them, :mod:`.match` compares
paths.
"""
from __future__ import annotations

from typing import Any

from ._base import HTTP_METHODS, JS_GRAMMARS, Route, no_facts
from .match import is_param, match_score, segments, url_path
from .resolve import fastapi_operation_id, resolve_routes

__all__ = ["HTTP_METHODS", "Route", "extract_route_facts", "fastapi_operation_id", "is_param", "match_score",
           "resolve_routes", "segments", "url_path"]


def extract_route_facts(rel: str, grammar: str, root: Any) -> dict:
    """The route-related facts of one file (JSON-serialisable)."""
    if grammar == "python":
        from .python import python_facts

        return python_facts(root)
    if grammar in JS_GRAMMARS:
        from .javascript import javascript_facts

        return javascript_facts(root, grammar)
    if grammar == "go":
        from .go import go_facts

        return go_facts(root)
    if grammar == "java":
        from .java import spring_facts

        return spring_facts(root)
    if grammar == "rust":
        from .rust import rust_facts

        return rust_facts(root)
    return no_facts()
