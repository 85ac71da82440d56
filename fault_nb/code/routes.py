"""Endpoint -> handler mapping, exact where the framework says so.

Per file we extract *facts* (app/router objects and their prefixes, route
decorators or calls, include/register/use calls); they are cached with the
file's hash. :func:`resolve_routes` then joins the facts of every file
(routers included from other modules, prefixes stacked) into :class:`Route`
objects with their full path and, for FastAPI, the operationId FastAPI itself
would generate.

Supported (Go and Spring facts live in :mod:`fault_nb.code.routes_extra`): FastAPI
(``@app.get`` on ``FastAPI()``/``APIRouter()`` objects,
``include_router(prefix=...)``, ``operation_id=``, ``name=``,
``add_api_route``), Flask (``@app.route(methods=...)``, ``@bp.get``,
``Blueprint(url_prefix=...)``, ``register_blueprint(url_prefix=...)``,
``add_url_rule``) and Express (``app.get``, ``router.post``,
``app.use('/prefix', router)`` across ``require``/``import``).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from .parsing import query
from .symbols import ModuleTable, js_import_target, js_string, py_string

HTTP_METHODS = ("get", "post", "put", "delete", "patch", "head", "options", "trace")
_PY_OBJECTS = {"FastAPI": "fastapi_app", "APIRouter": "fastapi_router",
               "Flask": "flask_app", "Blueprint": "flask_blueprint"}
_JS = ("javascript", "typescript", "tsx")

_PY_ASSIGN = "(assignment left: (identifier) @var right: (call function: (_) @fn arguments: (argument_list) @args))"
_PY_DECORATED = ("(decorated_definition (decorator (call function: (attribute object: (_) @obj "
                 "attribute: (identifier) @meth) arguments: (argument_list) @args)) "
                 "definition: (function_definition name: (identifier) @name)) @def")
_PY_CONST = "(assignment left: (identifier) @name right: (string) @value)"
_PY_CALL = "(call function: (attribute object: (_) @obj attribute: (identifier) @meth) arguments: (argument_list) @args)"
_JS_DECL = "(variable_declarator name: (identifier) @var value: (call_expression function: (_) @fn arguments: (arguments) @args))"
_JS_CALL = ("(call_expression function: (member_expression object: (_) @obj property: (property_identifier) @meth) "
            "arguments: (arguments) @args) @call")


@dataclass
class Route:
    """One (method, full path) served by one handler function."""

    method: str
    path: str
    file: str
    function: str
    start_line: int
    end_line: int
    framework: str
    operation_id: str | None = None
    explicit_operation_id: bool = False
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _t(node: Any) -> str:
    return node.text.decode("utf-8", errors="replace")


def _matches(grammar: str, src: str, root: Any) -> list[dict[str, list[Any]]]:
    from tree_sitter import QueryCursor

    return [m for _, m in QueryCursor(query(grammar, src)).matches(root)]


def _py_args(args: Any) -> tuple[list[Any], dict[str, Any]]:
    pos, kw = [], {}
    for a in args.named_children:
        if a.type == "keyword_argument":
            kw[_t(a.child_by_field_name("name"))] = a.child_by_field_name("value")
        elif a.type != "comment":
            pos.append(a)
    return pos, kw


def _py_str_list(node: Any) -> list[str] | None:
    if node is None or node.type not in ("list", "tuple", "set"):
        return None
    out = [py_string(c) for c in node.named_children]
    return [s.upper() for s in out if s]


def extract_route_facts(rel: str, grammar: str, root: Any) -> dict:
    """The route-related facts of one file (JSON-serialisable)."""
    if grammar == "python":
        return _python_facts(root)
    if grammar in _JS:
        from .routes_extra import nest_facts

        facts = _express_facts(root, grammar)
        nest = nest_facts(root, _matches, grammar)
        facts["routes"] += nest["routes"]
        facts["global_prefix"] = nest["global_prefix"]
        return facts
    if grammar == "go":
        from .routes_extra import go_facts

        return go_facts(root, _matches)
    if grammar == "java":
        from .routes_extra import spring_facts

        return spring_facts(root, _matches)
    if grammar == "rust":
        from .routes_extra import rust_facts

        return rust_facts(root, _matches)
    return {"objects": {}, "routes": [], "includes": []}


def _python_facts(root: Any) -> dict:
    objects: dict[str, dict] = {}
    routes: list[dict] = []
    includes: list[dict] = []
    for m in _matches("python", _PY_ASSIGN, root):
        fn = _t(m["fn"][0]).rsplit(".", 1)[-1]
        if fn not in _PY_OBJECTS:
            continue
        pos, kw = _py_args(m["args"][0])
        kind = _PY_OBJECTS[fn]
        node = kw.get("url_prefix" if kind == "flask_blueprint" else "prefix")
        objects[_t(m["var"][0])] = {"kind": kind, "prefix": py_string(node) or "", "prefix_expr": _expr(node)}
    for m in _matches("python", _PY_DECORATED, root):
        meth = _t(m["meth"][0])
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
            "obj": _t(m["obj"][0]), "methods": methods, "path": path, "function": _t(m["name"][0]),
            "start_line": d.start_point[0] + 1, "end_line": d.end_point[0] + 1,
            "operation_id": py_string(kw.get("operation_id")), "name": py_string(kw.get("name")),
            "hint": "flask" if meth == "route" else ("fastapi" if meth == "api_route" else None),
        })
    for m in _matches("python", _PY_CALL, root):
        meth = _t(m["meth"][0])
        pos, kw = _py_args(m["args"][0])
        if meth in ("include_router", "register_blueprint") and pos:
            node = kw.get("prefix" if meth == "include_router" else "url_prefix")
            includes.append({"parent": _t(m["obj"][0]), "child": _t(pos[0]), "prefix": py_string(node),
                             "prefix_expr": _expr(node)})
        elif meth in ("add_api_route", "add_url_rule") and pos:
            path = py_string(pos[0])
            view = kw.get("endpoint") if meth == "add_api_route" else kw.get("view_func")
            if view is None and len(pos) > 1:
                view = pos[1] if meth == "add_api_route" else (pos[2] if len(pos) > 2 else None)
            if path is None or view is None:
                continue
            methods = _py_str_list(kw.get("methods")) or ["GET"]
            routes.append({
                "obj": _t(m["obj"][0]), "methods": methods, "path": path, "function": _t(view),
                "start_line": 0, "end_line": 0, "operation_id": py_string(kw.get("operation_id")),
                "name": py_string(kw.get("name")), "hint": "fastapi" if meth == "add_api_route" else "flask",
            })
    constants: dict[str, str] = {}
    for m in _matches("python", _PY_CONST, root):
        value = py_string(m["value"][0])
        if value is not None and value.startswith("/") and len(value) < 200:
            constants.setdefault(_t(m["name"][0]), value)
    return {"objects": objects, "routes": routes, "includes": includes, "constants": constants}


def _expr(node: Any) -> str | None:
    """The source of a non-literal argument (``settings.API_V1_STR``), to resolve later."""
    if node is None or py_string(node) is not None:
        return None
    return _t(node) if node.type in ("identifier", "attribute") else None


def _express_facts(root: Any, grammar: str) -> dict:
    objects: dict[str, dict] = {}
    routes: list[dict] = []
    includes: list[dict] = []
    for m in _matches(grammar, _JS_DECL, root):
        fn = _t(m["fn"][0])
        if fn == "express":
            objects[_t(m["var"][0])] = {"kind": "express_app", "prefix": ""}
        elif fn.endswith("Router") and ("express" in fn or fn == "Router"):
            objects[_t(m["var"][0])] = {"kind": "express_router", "prefix": ""}
    for m in _matches(grammar, _JS_CALL, root):
        meth = _t(m["meth"][0])
        args = [a for a in m["args"][0].named_children if a.type != "comment"]
        if meth == "use" and args:
            prefix = js_string(args[0])
            rest = args[1:] if prefix is not None else args
            for a in rest:
                child = _t(a) if a.type in ("identifier", "member_expression") else _require_target(a)
                if child:
                    includes.append({"parent": _t(m["obj"][0]), "child": child, "prefix": prefix or ""})
            continue
        if meth not in (*HTTP_METHODS, "all") or not args:
            continue
        obj_node = m["obj"][0]
        route_obj = _route_chain(obj_node)
        if route_obj is not None:  # router.route('/x').get(h).post(h2)
            obj_text, path, path_node = route_obj
            handlers = args
        else:
            if len(args) < 2:
                continue
            obj_text, path, path_node = _t(obj_node), js_string(args[0]), args[0]
            handlers = args[1:]
        if path is None or not path.startswith(("/", "*")):
            continue
        handler = handlers[-1]
        call = m["call"][0]
        stmt = call
        while stmt.parent is not None and stmt.parent.type in ("expression_statement", "member_expression",
                                                               "call_expression"):
            stmt = stmt.parent
        if handler.type in ("arrow_function", "function_expression", "function"):
            if route_obj is None:
                function = f"{obj_text}.{meth}({_t(path_node)})"
                start, end = stmt.start_point[0] + 1, stmt.end_point[0] + 1
            else:  # several inline handlers in one chain: point at this one
                function = f"{obj_text}.route({_t(path_node)}).{meth}"
                start, end = handler.start_point[0] + 1, handler.end_point[0] + 1
        else:
            function, start, end = _t(handler), 0, 0
        routes.append({
            "obj": obj_text, "methods": ["ALL" if meth == "all" else meth.upper()], "path": path,
            "function": function, "start_line": start, "end_line": end, "operation_id": None,
            "name": None, "hint": "express",
        })
    return {"objects": objects, "routes": routes, "includes": includes}


def _route_chain(obj: Any) -> tuple[str, str | None, Any] | None:
    """For ``X.route('/p').get(a).post`` return (``X``, ``/p``, path node); else None."""
    node = obj
    while node is not None and node.type == "call_expression":
        fn = node.child_by_field_name("function")
        if fn is None or fn.type != "member_expression":
            return None
        prop = fn.child_by_field_name("property")
        if prop is not None and _t(prop) == "route":
            args = [a for a in node.child_by_field_name("arguments").named_children if a.type != "comment"]
            if not args:
                return None
            return _t(fn.child_by_field_name("object")), js_string(args[0]), args[0]
        node = fn.child_by_field_name("object")
    return None


def _require_target(node: Any) -> str | None:
    """``require('./routes/users')`` as an include child: ``require:./routes/users``."""
    if node.type != "call_expression":
        return None
    fn = node.child_by_field_name("function")
    args = node.child_by_field_name("arguments")
    if fn is None or _t(fn) != "require" or args is None or not args.named_children:
        return None
    spec = js_string(args.named_children[0])
    return f"require:{spec}" if spec else None


# ---------------------------------------------------------------- resolution

def fastapi_operation_id(name: str, path: str, method: str) -> str:
    """FastAPI's default ``generate_unique_id``: ``f"{name}{path_format}"``, non-word chars -> ``_``.

    >>> fastapi_operation_id("read_user", "/users/{user_id}", "GET")
    'read_user_users__user_id__get'
    """
    path_format = re.sub(r"\{([^}:]+)(:[^}]*)?\}", r"{\1}", path)
    return re.sub(r"\W", "_", f"{name}{path_format}") + f"_{method.lower()}"


def resolve_routes(files: dict[str, dict], table: ModuleTable) -> list[Route]:
    """Join the per-file facts into routes with full paths.

    ``files`` maps a file to ``{"lang", "imports", "exports", "routes": facts}``.
    """
    objects: dict[tuple[str, str], dict] = {}
    for rel, f in files.items():
        for var, obj in (f.get("routes") or {}).get("objects", {}).items():
            objects[(rel, var)] = obj

    def resolve(rel: str, expr: str, depth: int = 0) -> tuple[str, str] | None:
        if (rel, expr) in objects:
            return rel, expr
        if depth > 4:
            return None
        f = files.get(rel) or {}
        imports, lang = f.get("imports") or {}, f.get("lang")
        if expr.startswith("require:"):
            spec = expr[len("require:"):]
            target = js_import_target(rel, spec)
            target_file = table.resolve(target, lang)
            if target_file is None:
                return None
            name = (files.get(target_file) or {}).get("exports", {}).get("default")
            return resolve(target_file, name, depth + 1) if name else None
        if expr in imports:
            target, name = table.resolve_import(imports[expr], lang)
            if target is None or name is None:
                return None
            if lang in _JS:
                name = (files.get(target) or {}).get("exports", {}).get(name, name)
            return resolve(target, name, depth + 1)
        if "." in expr:
            head, attr = expr.rsplit(".", 1)
            if head in imports:
                target, name = table.resolve_import(imports[head], lang)
                if target is not None and name is None:
                    if lang in _JS:
                        attr = (files.get(target) or {}).get("exports", {}).get(attr, attr)
                    return resolve(target, attr, depth + 1)
        return None

    by_name: dict[str, set[str]] = {}
    for f in files.values():
        for name, value in ((f.get("routes") or {}).get("constants") or {}).items():
            by_name.setdefault(name, set()).add(value)

    def constant(rel: str, expr: str | None) -> tuple[str | None, str]:
        """Value of a prefix given as a name (``API_PREFIX``, ``settings.API_V1_STR``) and a note."""
        if not expr:
            return None, ""
        f = files.get(rel) or {}
        consts = (f.get("routes") or {}).get("constants") or {}
        imports, lang = f.get("imports") or {}, f.get("lang")
        if expr in consts:
            return consts[expr], ""
        if expr in imports:
            target, name = table.resolve_import(imports[expr], lang)
            value = (((files.get(target) or {}).get("routes") or {}).get("constants") or {}).get(name or "")
            if value is not None:
                return value, ""
        values = by_name.get(expr.rsplit(".", 1)[-1], set())
        if len(values) == 1:
            value = next(iter(values))
            return value, f"prefix {expr} taken as {value!r} (the only string constant of that name)"
        return None, f"prefix {expr} is not a literal; paths may lack it"

    parents: dict[tuple[str, str], list[tuple[tuple[str, str], str | None, str]]] = {}
    for rel, f in files.items():
        for var, obj in ((f.get("routes") or {}).get("objects") or {}).items():
            if obj.get("prefix_expr"):
                value, note = constant(rel, obj["prefix_expr"])
                obj = objects[(rel, var)] = {**obj, "prefix": value or "", "note": note}
        for inc in (f.get("routes") or {}).get("includes", []):
            p, c = resolve(rel, inc["parent"]), resolve(rel, inc["child"])
            if p is not None and c is not None and p != c:
                pre, note = inc["prefix"], ""
                if pre is None and inc.get("prefix_expr"):
                    pre, note = constant(rel, inc["prefix_expr"])
                parents.setdefault(c, []).append((p, pre, note))

    def prefixes(key: tuple[str, str], seen: frozenset) -> list[tuple[str, str]]:
        obj = objects[key]
        own = obj.get("prefix") or ""
        own_note = obj.get("note") or ""
        ups = [(p, pre, n) for p, pre, n in parents.get(key, []) if p not in seen]
        if not ups:
            note = "" if obj["kind"].endswith("_app") else \
                f"{obj['kind'].split('_')[1]} {key[1]!r} is not included in any app found; its path may lack a prefix"
            return [(own, "; ".join(filter(None, [own_note, note])))]
        out = []
        for p, pre, inc_note in ups:
            for base, note in prefixes(p, seen | {key}):
                note = "; ".join(filter(None, [note, inc_note, own_note]))
                if obj["kind"] == "flask_blueprint" and pre is not None:
                    out.append((base + pre, note))  # register_blueprint(url_prefix=) replaces the bp's own
                else:
                    out.append((base + (pre or "") + own, note))
        return out

    nest_prefixes = sorted({"/" + g.strip("/") for f in files.values()
                            if (g := (f.get("routes") or {}).get("global_prefix"))})
    routes: list[Route] = []
    for rel, f in files.items():
        facts = f.get("routes") or {}
        for r in facts.get("routes", []):
            key = resolve(rel, r["obj"]) if r["obj"] else None
            if key is not None:
                framework = _root_kind(key, parents, objects).split("_")[0]
                bases = prefixes(key, frozenset())
            elif not r["obj"]:  # the path is complete where it is declared (Spring, http.HandleFunc)
                framework, bases = r.get("hint"), [("", "")]
                if framework == "nest" and nest_prefixes:
                    bases = [(p, "" if len(nest_prefixes) == 1 else "several setGlobalPrefix() calls")
                             for p in nest_prefixes]
            else:
                framework = r.get("hint") or _framework_from_imports(f)
                bases = [("", f"object {r['obj']!r} could not be resolved; prefixes unknown")]
            if framework is None:
                continue
            for base, note in bases:
                path = _join(base, r["path"])
                for method in r["methods"]:
                    opid, explicit = r.get("operation_id"), bool(r.get("operation_id"))
                    if not opid and framework == "fastapi":
                        opid = fastapi_operation_id(r.get("name") or r["function"], path, method)
                    routes.append(Route(method, path, rel, r["function"], r["start_line"], r["end_line"],
                                        framework, opid, explicit, note))
    return routes


def _root_kind(key: tuple[str, str], parents: dict, objects: dict) -> str:
    """The kind of the app a router/group ends up in (a gin group is gin)."""
    seen = {key}
    while not objects[key]["kind"].endswith("_app"):
        ups = [p for p, *_ in parents.get(key, []) if p not in seen]
        if not ups:
            break
        key = ups[0]
        seen.add(key)
    return objects[key]["kind"]


def _framework_from_imports(f: dict) -> str | None:
    mods = " ".join(str(v[0]) for v in (f.get("imports") or {}).values())
    if "fastapi" in mods:
        return "fastapi"
    if "flask" in mods:
        return "flask"
    if "express" in mods:
        return "express"
    return None


def _join(base: str, path: str) -> str:
    if not base:
        return path or "/"
    if not path or path == "/":
        return base if path == "" or base.endswith("/") else base + path
    return base.rstrip("/") + "/" + path.lstrip("/")


# ---------------------------------------------------------------- matching

_PARAM = re.compile(r"^(\{[^}]+\}|<[^>]+>|:\w+\??(\(.*\))?|\*\w*)$")


def url_path(url: str) -> str:
    """The decoded path of a URL or path template (``http://h/users/%7Bid%7D`` -> ``/users/{id}``)."""
    parts = urlsplit(url)
    path = parts.path if (parts.scheme or parts.netloc) else url.split("?", 1)[0]
    return unquote(path) or "/"


def segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s != ""]


def is_param(seg: str) -> bool:
    return bool(_PARAM.match(seg))


def match_score(route_path: str, url: str) -> int | None:
    """How well a route template matches a request path or template (None = no match).

    Literal segment matches count 2, parameter matches 1; an exact trailing
    slash match adds 1, so ``/users/`` prefers the route declared with the slash.

    >>> match_score("/users/{user_id}", "http://h/users/1"), match_score("/users/<int:id>", "/users/{id}")
    (4, 4)
    """
    path = url_path(url)
    rs, us = segments(route_path), segments(path)
    if len(rs) != len(us):
        return None
    score = 0
    for r, u in zip(rs, us):
        if is_param(r):
            score += 1
        elif r == u:
            score += 2
        else:
            return None
    if route_path.endswith("/") == path.endswith("/"):
        score += 1
    return score
