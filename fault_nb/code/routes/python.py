"""Route facts of Python files: FastAPI and Flask.

FastAPI: ``@app.get`` on ``FastAPI()``/``APIRouter()`` objects, ``api_route``,
``include_router(prefix=...)``, ``operation_id=``, ``name=``, ``add_api_route``.
Flask: ``@app.route(methods=...)``, ``@bp.get``, ``Blueprint(url_prefix=...)``,
``register_blueprint(url_prefix=...)``, ``add_url_rule`` with a function or a
class-based view (``view_func=ItemView.as_view("item")``). For a view class the
file's top-level classes are recorded too (bases, HTTP handler methods, a
``methods`` attribute), so that resolution can give the methods Flask gives.
"""
from __future__ import annotations

import re
from typing import Any

from ..symbols import py_string
from ._base import HTTP_METHODS, matches, text

_PY_OBJECTS = {"FastAPI": "fastapi_app", "APIRouter": "fastapi_router",
               "Flask": "flask_app", "Blueprint": "flask_blueprint"}
_PY_ASSIGN = "(assignment left: (identifier) @var right: (call function: (_) @fn arguments: (argument_list) @args))"
_PY_DECORATED = ("(decorated_definition (decorator (call function: (attribute object: (_) @obj "
                 "attribute: (identifier) @meth) arguments: (argument_list) @args)) "
                 "definition: (function_definition name: (identifier) @name)) @def")
_PY_CONST = "(assignment left: (identifier) @name right: (string) @value)"
_PY_CALL = "(call function: (attribute object: (_) @obj attribute: (identifier) @meth) arguments: (argument_list) @args)"
_AS_VIEW = re.compile(r"([\w.]+)\.as_view\(")


def _py_args(args: Any) -> tuple[list[Any], dict[str, Any]]:
    pos, kw = [], {}
    for a in args.named_children:
        if a.type == "keyword_argument":
            kw[text(a.child_by_field_name("name"))] = a.child_by_field_name("value")
        elif a.type != "comment":
            pos.append(a)
    return pos, kw


def _py_str_list(node: Any) -> list[str] | None:
    if node is None or node.type not in ("list", "tuple", "set"):
        return None
    out = [py_string(c) for c in node.named_children]
    return [s.upper() for s in out if s]


def _expr(node: Any) -> str | None:
    """The source of a non-literal argument (``settings.API_V1_STR``), to resolve later."""
    if node is None or py_string(node) is not None:
        return None
    return text(node) if node.type in ("identifier", "attribute") else None


def python_facts(root: Any) -> dict:
    objects: dict[str, dict] = {}
    routes: list[dict] = []
    includes: list[dict] = []
    for m in matches("python", _PY_ASSIGN, root):
        fn = text(m["fn"][0]).rsplit(".", 1)[-1]
        if fn not in _PY_OBJECTS:
            continue
        pos, kw = _py_args(m["args"][0])
        kind = _PY_OBJECTS[fn]
        node = kw.get("url_prefix" if kind == "flask_blueprint" else "prefix")
        objects[text(m["var"][0])] = {"kind": kind, "prefix": py_string(node) or "", "prefix_expr": _expr(node)}
    for m in matches("python", _PY_DECORATED, root):
        meth = text(m["meth"][0])
        pos, kw = _py_args(m["args"][0])
        path = py_string(pos[0]) if pos else py_string(kw.get("path") or kw.get("rule"))
        if path is None:
            continue
        if meth in HTTP_METHODS:
            methods = [meth.upper()]
        elif meth in ("route", "api_route"):
            methods = _py_str_list(kw.get("methods")) or ["GET"]
        else:
            continue
        d = m["def"][0]
        routes.append({
            "obj": text(m["obj"][0]), "methods": methods, "path": path, "function": text(m["name"][0]),
            "start_line": d.start_point[0] + 1, "end_line": d.end_point[0] + 1,
            "operation_id": py_string(kw.get("operation_id")), "name": py_string(kw.get("name")),
            "hint": "flask" if meth == "route" else ("fastapi" if meth == "api_route" else None),
        })
    for m in matches("python", _PY_CALL, root):
        meth = text(m["meth"][0])
        pos, kw = _py_args(m["args"][0])
        if meth in ("include_router", "register_blueprint") and pos:
            node = kw.get("prefix" if meth == "include_router" else "url_prefix")
            includes.append({"parent": text(m["obj"][0]), "child": text(pos[0]), "prefix": py_string(node),
                             "prefix_expr": _expr(node)})
        elif meth in ("add_api_route", "add_url_rule") and pos:
            path = py_string(pos[0])
            view = kw.get("endpoint") if meth == "add_api_route" else kw.get("view_func")
            if view is None and len(pos) > 1:
                view = pos[1] if meth == "add_api_route" else (pos[2] if len(pos) > 2 else None)
            if path is None or view is None:
                continue
            methods = _py_str_list(kw.get("methods"))
            route = {
                "obj": text(m["obj"][0]), "methods": methods or ["GET"], "path": path, "function": text(view),
                "start_line": 0, "end_line": 0, "operation_id": py_string(kw.get("operation_id")),
                "name": py_string(kw.get("name")), "hint": "fastapi" if meth == "add_api_route" else "flask",
            }
            view_class = _AS_VIEW.match(text(view)) if meth == "add_url_rule" else None
            if view_class:  # no methods=: Flask takes them from the class (resolved across files later)
                route["view_class"] = view_class.group(1)
                route["methods_from_class"] = methods is None
            routes.append(route)
    constants: dict[str, str] = {}
    for m in matches("python", _PY_CONST, root):
        value = py_string(m["value"][0])
        if value is not None and value.startswith("/") and len(value) < 200:
            constants.setdefault(text(m["name"][0]), value)
    return {"objects": objects, "routes": routes, "includes": includes, "constants": constants,
            "classes": _classes(root)}


def _classes(root: Any) -> dict[str, dict]:
    """Top-level classes: bases, HTTP handler methods (with lines) and a literal ``methods`` attribute."""
    out: dict[str, dict] = {}
    for node in root.named_children:
        if node.type == "decorated_definition":
            node = node.child_by_field_name("definition")
        if node is None or node.type != "class_definition":
            continue
        supers = node.child_by_field_name("superclasses")
        bases = [text(b) for b in (supers.named_children if supers is not None else [])
                 if b.type in ("identifier", "attribute")]
        handlers: dict[str, list[int]] = {}
        methods_attr: list[str] | None = None
        for member in node.child_by_field_name("body").named_children:
            definition = member.child_by_field_name("definition") if member.type == "decorated_definition" \
                else member
            if definition is not None and definition.type == "function_definition":
                name = text(definition.child_by_field_name("name"))
                if name in HTTP_METHODS:
                    handlers[name] = [member.start_point[0] + 1, member.end_point[0] + 1]
            elif member.type == "expression_statement" and member.named_children \
                    and member.named_children[0].type == "assignment":
                assign = member.named_children[0]
                if text(assign.child_by_field_name("left")) == "methods":
                    methods_attr = _py_str_list(assign.child_by_field_name("right"))
        out[text(node.child_by_field_name("name"))] = {
            "bases": bases, "handlers": handlers, "methods": methods_attr,
            "start_line": node.start_point[0] + 1, "end_line": node.end_point[0] + 1}
    return out
