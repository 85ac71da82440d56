"""Route facts of Rust files: actix-web attributes (``#[get("/x")]``, ``web::scope``)
and axum routers (``.route("/x", get(a).post(b))``, ``.nest("/p", f())``)."""
from __future__ import annotations

from typing import Any

from ._base import join_path, matches, text

_RUST_METHODS = {"get": "GET", "post": "POST", "put": "PUT", "delete": "DELETE", "patch": "PATCH",
                 "head": "HEAD", "options": "OPTIONS", "any": "ALL", "trace": "TRACE"}


def _rust_string(node: Any) -> str | None:
    if node is not None and node.type == "string_literal":
        return "".join(text(c) for c in node.named_children if c.type in ("string_content", "escape_sequence"))
    return None


def _axum_methods(node: Any) -> list[tuple[str, Any]]:
    """``get(show).post(create)`` -> [("GET", show), ("POST", create)] (handler nodes)."""
    out: list[tuple[str, Any]] = []
    while node is not None and node.type == "call_expression":
        fn = node.child_by_field_name("function")
        args = [a for a in node.child_by_field_name("arguments").named_children if a.type not in (
            "line_comment", "block_comment")]
        if fn.type in ("identifier", "scoped_identifier"):
            name = text(fn).rsplit("::", 1)[-1]
            if name in _RUST_METHODS and args:
                out.append((_RUST_METHODS[name], args[0]))
            break
        if fn.type == "field_expression":
            name = text(fn.child_by_field_name("field"))
            if name in _RUST_METHODS and args:
                out.append((_RUST_METHODS[name], args[0]))
            node = fn.child_by_field_name("value")
            continue
        break
    return list(reversed(out))


def rust_facts(root: Any) -> dict:
    """actix-web ``#[get("/x")]`` handlers (+ ``web::scope("/p").service(h)``) and axum ``.route()`` chains
    (+ ``.nest("/p", f())`` of a router built by a function of the same file)."""
    routes: list[dict] = []
    # actix: scope prefixes of services registered by name
    scope_of: dict[str, str] = {}
    for m in matches("rust", "(call_expression function: (field_expression value: (_) @recv "
                             "field: (field_identifier) @f) arguments: (arguments) @args) @call", root):
        field = text(m["f"][0])
        args = m["args"][0].named_children
        if field == "service" and args and args[0].type == "identifier":
            recv = m["recv"][0]
            while recv is not None and recv.type == "call_expression":
                fn = recv.child_by_field_name("function")
                if text(fn).rsplit("::", 1)[-1] == "scope":
                    a = recv.child_by_field_name("arguments").named_children
                    prefix = _rust_string(a[0]) if a else None
                    if prefix is not None:
                        scope_of.setdefault(text(args[0]), prefix)
                    break
                recv = fn.child_by_field_name("value") if fn.type == "field_expression" else None
    for m in matches("rust", "(attribute_item (attribute (identifier) @name arguments: (token_tree) @args)) @attr",
                     root):
        name = text(m["name"][0])
        if name not in _RUST_METHODS and name != "route":
            continue
        item = m["attr"][0].next_named_sibling
        while item is not None and item.type == "attribute_item":
            item = item.next_named_sibling
        if item is None or item.type != "function_item":
            continue
        tokens = m["args"][0].named_children
        path = _rust_string(tokens[0]) if tokens else None
        if path is None:
            continue
        if name == "route":
            methods = [_rust_string(t).upper() for t in tokens[1:] if _rust_string(t)] or ["ALL"]
        else:
            methods = [_RUST_METHODS[name]]
        fname = text(item.child_by_field_name("name"))
        prefix = scope_of.get(fname, "")
        full = join_path(prefix, path)
        routes.append({"obj": None, "methods": methods, "path": full, "function": fname,
                       "start_line": m["attr"][0].start_point[0] + 1, "end_line": item.end_point[0] + 1,
                       "operation_id": None, "name": None, "hint": "actix"})
    # axum: nest prefixes for routers built by a function of this file
    nest_of: dict[str, str] = {}
    for m in matches("rust", "(call_expression function: (field_expression field: (field_identifier) @f) "
                             "arguments: (arguments . (string_literal) @p . (call_expression function: "
                             "(identifier) @fn)))", root):
        if text(m["f"][0]) == "nest":
            nest_of.setdefault(text(m["fn"][0]), _rust_string(m["p"][0]) or "")
    for m in matches("rust", "(call_expression function: (field_expression field: (field_identifier) @f) "
                             "arguments: (arguments . (string_literal) @p . (_) @mr)) @call", root):
        if text(m["f"][0]) != "route":
            continue
        path = _rust_string(m["p"][0])
        if path is None:
            continue
        enclosing = m["call"][0].parent
        while enclosing is not None and enclosing.type != "function_item":
            enclosing = enclosing.parent
        prefix = nest_of.get(text(enclosing.child_by_field_name("name")), "") if enclosing is not None else ""
        full = join_path(prefix, path)
        for method, handler in _axum_methods(m["mr"][0]):
            if handler.type in ("identifier", "scoped_identifier"):
                function, start, end = text(handler).replace("::", "."), 0, 0
            else:  # a closure: point at it
                function = f"route({text(m['p'][0])}).{method.lower()}"
                start, end = handler.start_point[0] + 1, handler.end_point[0] + 1
            routes.append({"obj": None, "methods": [method], "path": full, "function": function,
                           "start_line": start, "end_line": end, "operation_id": None, "name": None,
                           "hint": "axum"})
    return {"objects": {}, "routes": routes, "includes": []}
