"""Route facts beyond FastAPI/Flask/Express: Go (net/http, gin, echo, chi), Java (Spring
annotations), TypeScript (NestJS controllers) and Rust (actix-web attributes, axum routers).

Same fact shape as :mod:`fault_nb.code.routes` (objects, routes, includes), so
the resolution and matching there apply unchanged. Go groups
(``v1 := r.Group("/v1")``) stack prefixes; Spring joins the class-level
``@RequestMapping`` with the method mapping.
"""
from __future__ import annotations

from typing import Any

_GO_METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}
_GO_CHI = {m.capitalize(): m for m in _GO_METHODS}  # chi: r.Get, r.Post ...
_GO_APPS = {"gin.Default": "gin", "gin.New": "gin", "echo.New": "echo", "chi.NewRouter": "chi",
            "chi.NewMux": "chi", "http.NewServeMux": "nethttp", "mux.NewRouter": "gorilla"}
_SPRING = {"GetMapping": "GET", "PostMapping": "POST", "PutMapping": "PUT", "DeleteMapping": "DELETE",
           "PatchMapping": "PATCH", "RequestMapping": None}

_GO_DECL = ("(short_var_declaration left: (expression_list . (identifier) @var) "
            "right: (expression_list . (call_expression function: (_) @fn arguments: (argument_list) @args)))"
            " (var_spec name: (identifier) @var value: (expression_list . (call_expression function: (_) @fn "
            "arguments: (argument_list) @args)))")
_GO_CALL = ("(call_expression function: (selector_expression operand: (_) @obj field: (field_identifier) @meth) "
            "arguments: (argument_list) @args) @call")
_JAVA_METHOD = "(method_declaration (modifiers) @mods name: (identifier) @name) @m"


def _t(node: Any) -> str:
    return node.text.decode("utf-8", errors="replace")


def _go_string(node: Any) -> str | None:
    if node is None:
        return None
    if node.type == "interpreted_string_literal":
        return "".join(_t(c) for c in node.named_children)
    if node.type == "raw_string_literal":
        return _t(node)[1:-1]
    return None


def go_facts(root: Any, matches) -> dict:
    objects: dict[str, dict] = {}
    routes: list[dict] = []
    includes: list[dict] = []
    for m in matches("go", _GO_DECL, root):
        var, fn = _t(m["var"][0]), _t(m["fn"][0])
        args = m["args"][0].named_children
        if fn in _GO_APPS:
            objects[var] = {"kind": f"{_GO_APPS[fn]}_app", "prefix": ""}
        elif fn.endswith((".Group", ".PathPrefix")) and args:
            prefix = _go_string(args[0])
            if prefix is not None:
                parent = fn.rsplit(".", 1)[0]
                objects[var] = {"kind": "go_router", "prefix": prefix}
                includes.append({"parent": parent, "child": var, "prefix": ""})
    for m in matches("go", _GO_CALL, root):
        meth = _t(m["meth"][0])
        args = [a for a in m["args"][0].named_children if a.type != "comment"]
        if len(args) < 2:
            continue
        path = _go_string(args[0])
        if path is None or not (path.startswith("/") or path.split(" ", 1)[0] in _GO_METHODS):
            continue
        obj = _t(m["obj"][0])
        if meth in _GO_METHODS or meth == "Any":
            methods = [meth] if meth != "Any" else ["ALL"]
        elif meth in _GO_CHI:
            methods = [_GO_CHI[meth]]
        elif meth in ("HandleFunc", "Handle"):
            # Go 1.22 patterns carry the method: "GET /items/{id}"
            head, _, rest = path.partition(" ")
            methods, path = ([head], rest.strip()) if head in _GO_METHODS and rest else (["ALL"], path)
        else:
            continue
        handler = args[1] if meth in ("HandleFunc", "Handle") else args[-1]
        call = m["call"][0]
        if handler.type == "func_literal":
            function = f"{obj}.{meth}({_t(args[0])})"
            start, end = call.start_point[0] + 1, call.end_point[0] + 1
        else:
            function, start, end = _t(handler), 0, 0
        routes.append({"obj": obj if obj != "http" else None, "methods": methods, "path": path,
                       "function": function, "start_line": start, "end_line": end, "operation_id": None,
                       "name": None, "hint": "nethttp" if obj == "http" else "go"})
    return {"objects": objects, "routes": routes, "includes": includes}


def _spring_mapping(mods: Any) -> tuple[str | None, list[str], bool] | None:
    """(path, methods, found) of the Spring mapping annotation among ``mods``."""
    for a in mods.named_children:
        if a.type not in ("annotation", "marker_annotation"):
            continue
        name = _t(a.child_by_field_name("name"))
        if name not in _SPRING:
            continue
        path, methods = "", ([_SPRING[name]] if _SPRING[name] else [])
        args = a.child_by_field_name("arguments")
        for arg in (args.named_children if args is not None else []):
            if arg.type == "string_literal":
                path = _t(arg)[1:-1]
            elif arg.type == "element_value_pair":
                key, value = _t(arg.child_by_field_name("key")), arg.child_by_field_name("value")
                if key in ("value", "path"):
                    lit = value if value.type == "string_literal" else next(
                        (c for c in value.named_children if c.type == "string_literal"), None)
                    path = _t(lit)[1:-1] if lit is not None else path
                elif key == "method":
                    methods = [_t(value).rsplit(".", 1)[-1]] if value.type == "field_access" else [
                        _t(c).rsplit(".", 1)[-1] for c in value.named_children if c.type == "field_access"]
        return path, methods or ["ALL"], True
    return None


def spring_facts(root: Any, matches) -> dict:
    routes: list[dict] = []
    for m in matches("java", _JAVA_METHOD, root):
        mapping = _spring_mapping(m["mods"][0])
        if mapping is None:
            continue
        path, methods, _ = mapping
        method_node = m["m"][0]
        cls = method_node.parent.parent if method_node.parent is not None else None
        prefix, cls_name = "", ""
        if cls is not None and cls.type in ("class_declaration", "interface_declaration"):
            cls_name = _t(cls.child_by_field_name("name"))
            cls_mods = next((c for c in cls.named_children if c.type == "modifiers"), None)
            if cls_mods is not None:
                cls_map = _spring_mapping(cls_mods)
                prefix = cls_map[0] if cls_map else ""
        full = "/" + "/".join(p.strip("/") for p in (prefix, path) if p.strip("/"))
        routes.append({"obj": None, "methods": methods, "path": full,
                       "function": f"{cls_name}.{_t(m['name'][0])}" if cls_name else _t(m["name"][0]),
                       "start_line": method_node.start_point[0] + 1, "end_line": method_node.end_point[0] + 1,
                       "operation_id": None, "name": None, "hint": "spring"})
    return {"objects": {}, "routes": routes, "includes": []}


_NEST = {"Get": "GET", "Post": "POST", "Put": "PUT", "Delete": "DELETE", "Patch": "PATCH",
         "Options": "OPTIONS", "Head": "HEAD", "All": "ALL"}


def _nest_decorator(node: Any) -> tuple[str, str | None] | None:
    """(decorator name, path argument) of ``@Get(':id')`` / ``@Controller({path: 'x'})``."""
    from .symbols import js_string

    call = node.named_children[0] if node.named_children else None
    if call is None:
        return None
    if call.type == "identifier":
        return _t(call), ""
    if call.type != "call_expression":
        return None
    fn = call.child_by_field_name("function")
    args = [a for a in call.child_by_field_name("arguments").named_children if a.type != "comment"]
    path: str | None = ""
    if args:
        first = args[0]
        path = js_string(first)
        if first.type == "object":
            path = ""
            for pair in first.named_children:
                if pair.type == "pair" and _t(pair.child_by_field_name("key")).strip("'\"") == "path":
                    path = js_string(pair.child_by_field_name("value"))
    return _t(fn), path


def nest_facts(root: Any, matches, grammar: str) -> dict:
    """NestJS controllers: ``@Controller('users')`` + ``@Get(':id')``; ``app.setGlobalPrefix('api')``."""
    routes: list[dict] = []
    global_prefix = None
    for m in matches(grammar, "(call_expression function: (member_expression property: (property_identifier) @p) "
                              "arguments: (arguments . (string) @s))", root):
        if _t(m["p"][0]) == "setGlobalPrefix":
            from .symbols import js_string

            global_prefix = js_string(m["s"][0])
    for m in matches(grammar, "(class_declaration name: (_) @name body: (class_body) @body) @cls", root):
        cls = m["cls"][0]
        decos = [c for c in cls.children if c.type == "decorator"]
        if cls.parent is not None and cls.parent.type == "export_statement":
            decos += [c for c in cls.parent.children if c.type == "decorator"]
        prefix = None
        for d in decos:
            info = _nest_decorator(d)
            if info and info[0] == "Controller":
                prefix = info[1] or ""
        if prefix is None:
            continue
        pending: list[Any] = []
        for member in m["body"][0].named_children:
            if member.type == "decorator":
                pending.append(member)
                continue
            if member.type == "method_definition":
                for d in pending:
                    info = _nest_decorator(d)
                    if info and info[0] in _NEST and info[1] is not None:
                        path = "/" + "/".join(p.strip("/") for p in (prefix, info[1]) if p and p.strip("/"))
                        routes.append({
                            "obj": None, "methods": [_NEST[info[0]]], "path": path,
                            "function": f"{_t(m['name'][0])}.{_t(member.child_by_field_name('name'))}",
                            "start_line": pending[0].start_point[0] + 1, "end_line": member.end_point[0] + 1,
                            "operation_id": None, "name": None, "hint": "nest",
                        })
            pending = []
    return {"objects": {}, "routes": routes, "includes": [], "global_prefix": global_prefix}


_RUST_METHODS = {"get": "GET", "post": "POST", "put": "PUT", "delete": "DELETE", "patch": "PATCH",
                 "head": "HEAD", "options": "OPTIONS", "any": "ALL", "trace": "TRACE"}


def _rust_string(node: Any) -> str | None:
    if node is not None and node.type == "string_literal":
        return "".join(_t(c) for c in node.named_children if c.type in ("string_content", "escape_sequence"))
    return None


def _axum_methods(node: Any) -> list[tuple[str, Any]]:
    """``get(show).post(create)`` -> [("GET", show), ("POST", create)] (handler nodes)."""
    out: list[tuple[str, Any]] = []
    while node is not None and node.type == "call_expression":
        fn = node.child_by_field_name("function")
        args = [a for a in node.child_by_field_name("arguments").named_children if a.type not in (
            "line_comment", "block_comment")]
        if fn.type in ("identifier", "scoped_identifier"):
            name = _t(fn).rsplit("::", 1)[-1]
            if name in _RUST_METHODS and args:
                out.append((_RUST_METHODS[name], args[0]))
            break
        if fn.type == "field_expression":
            name = _t(fn.child_by_field_name("field"))
            if name in _RUST_METHODS and args:
                out.append((_RUST_METHODS[name], args[0]))
            node = fn.child_by_field_name("value")
            continue
        break
    return list(reversed(out))


def rust_facts(root: Any, matches) -> dict:
    """actix-web ``#[get("/x")]`` handlers (+ ``web::scope("/p").service(h)``) and axum ``.route()`` chains
    (+ ``.nest("/p", f())`` of a router built by a function of the same file)."""
    routes: list[dict] = []
    # actix: scope prefixes of services registered by name
    scope_of: dict[str, str] = {}
    for m in matches("rust", "(call_expression function: (field_expression value: (_) @recv "
                             "field: (field_identifier) @f) arguments: (arguments) @args) @call", root):
        field = _t(m["f"][0])
        args = m["args"][0].named_children
        if field == "service" and args and args[0].type == "identifier":
            recv = m["recv"][0]
            while recv is not None and recv.type == "call_expression":
                fn = recv.child_by_field_name("function")
                if _t(fn).rsplit("::", 1)[-1] == "scope":
                    a = recv.child_by_field_name("arguments").named_children
                    prefix = _rust_string(a[0]) if a else None
                    if prefix is not None:
                        scope_of.setdefault(_t(args[0]), prefix)
                    break
                recv = fn.child_by_field_name("value") if fn.type == "field_expression" else None
    for m in matches("rust", "(attribute_item (attribute (identifier) @name arguments: (token_tree) @args)) @attr",
                     root):
        name = _t(m["name"][0])
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
        fname = _t(item.child_by_field_name("name"))
        prefix = scope_of.get(fname, "")
        full = "/" + "/".join(p.strip("/") for p in (prefix, path) if p.strip("/"))
        routes.append({"obj": None, "methods": methods, "path": full, "function": fname,
                       "start_line": m["attr"][0].start_point[0] + 1, "end_line": item.end_point[0] + 1,
                       "operation_id": None, "name": None, "hint": "actix"})
    # axum: nest prefixes for routers built by a function of this file
    nest_of: dict[str, str] = {}
    for m in matches("rust", "(call_expression function: (field_expression field: (field_identifier) @f) "
                             "arguments: (arguments . (string_literal) @p . (call_expression function: "
                             "(identifier) @fn)))", root):
        if _t(m["f"][0]) == "nest":
            nest_of.setdefault(_t(m["fn"][0]), _rust_string(m["p"][0]) or "")
    for m in matches("rust", "(call_expression function: (field_expression field: (field_identifier) @f) "
                             "arguments: (arguments . (string_literal) @p . (_) @mr)) @call", root):
        if _t(m["f"][0]) != "route":
            continue
        path = _rust_string(m["p"][0])
        if path is None:
            continue
        enclosing = m["call"][0].parent
        while enclosing is not None and enclosing.type != "function_item":
            enclosing = enclosing.parent
        prefix = nest_of.get(_t(enclosing.child_by_field_name("name")), "") if enclosing is not None else ""
        full = "/" + "/".join(p.strip("/") for p in (prefix, path) if p.strip("/"))
        for method, handler in _axum_methods(m["mr"][0]):
            if handler.type in ("identifier", "scoped_identifier"):
                function, start, end = _t(handler).replace("::", "."), 0, 0
            else:  # a closure: point at it
                function = f"route({_t(m['p'][0])}).{method.lower()}"
                start, end = handler.start_point[0] + 1, handler.end_point[0] + 1
            routes.append({"obj": None, "methods": [method], "path": full, "function": function,
                           "start_line": start, "end_line": end, "operation_id": None, "name": None,
                           "hint": "axum"})
    return {"objects": {}, "routes": routes, "includes": []}
