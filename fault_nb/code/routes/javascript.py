"""Route facts of JavaScript and TypeScript files: Express and NestJS.

Express: ``app.get``, ``router.post``, ``router.route('/x').get(a).post(b)``,
``app.use('/prefix', router)`` across ``require``/``import``. NestJS:
``@Controller('users')`` + ``@Get(':id')`` and ``app.setGlobalPrefix('api')``.
"""
from __future__ import annotations

from typing import Any

from ..symbols import js_string
from ._base import HTTP_METHODS, join_path, matches, text

_JS_DECL = "(variable_declarator name: (identifier) @var value: (call_expression function: (_) @fn arguments: (arguments) @args))"
# any other object made by a call or ``new`` (``axios.create()``, ``new Client()``): not an Express app/router
_JS_MADE = ("(variable_declarator name: (identifier) @var value: [(call_expression function: (_) @fn) "
            "(new_expression constructor: (_) @fn) (await_expression (call_expression function: (_) @fn))])")
_JS_HANDLER_TYPES = ("arrow_function", "function_expression", "function", "identifier", "member_expression")
_JS_CALL = ("(call_expression function: (member_expression object: (_) @obj property: (property_identifier) @meth) "
            "arguments: (arguments) @args) @call")


def javascript_facts(root: Any, grammar: str) -> dict:
    facts = _express_facts(root, grammar)
    nest = _nest_facts(root, grammar)
    facts["routes"] += nest["routes"]
    facts["global_prefix"] = nest["global_prefix"]
    return facts


def _express_facts(root: Any, grammar: str) -> dict:
    objects: dict[str, dict] = {}
    routes: list[dict] = []
    includes: list[dict] = []
    for m in matches(grammar, _JS_DECL, root):
        fn = text(m["fn"][0])
        if fn == "express":
            objects[text(m["var"][0])] = {"kind": "express_app", "prefix": ""}
        elif fn.endswith("Router") and ("express" in fn or fn == "Router"):
            objects[text(m["var"][0])] = {"kind": "express_router", "prefix": ""}
    others = {text(m["var"][0]): text(m["fn"][0]) for m in matches(grammar, _JS_MADE, root)
              if text(m["var"][0]) not in objects and text(m["fn"][0]) != "require"}
    for m in matches(grammar, _JS_CALL, root):
        meth = text(m["meth"][0])
        args = [a for a in m["args"][0].named_children if a.type != "comment"]
        if meth == "use" and args:
            prefix = js_string(args[0])
            rest = args[1:] if prefix is not None else args
            for a in rest:
                child = text(a) if a.type in ("identifier", "member_expression") else _require_target(a)
                if child:
                    includes.append({"parent": text(m["obj"][0]), "child": child, "prefix": prefix or ""})
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
            obj_text, path, path_node = text(obj_node), js_string(args[0]), args[0]
            handlers = args[1:]
        if path is None or not path.startswith(("/", "*")):
            continue
        if obj_text in others:  # `pricing.post('/orders', order)` on `pricing = axios.create()`: a client call
            continue
        handler = handlers[-1]
        call = m["call"][0]
        stmt = call
        while stmt.parent is not None and stmt.parent.type in ("expression_statement", "member_expression",
                                                               "call_expression"):
            stmt = stmt.parent
        # Express declares a route as a statement whose arguments are handlers (functions or their names);
        # a client call passes data/config (`{...}`, strings, calls) or uses the returned promise
        declared = stmt.type == "expression_statement" and all(h.type in _JS_HANDLER_TYPES for h in handlers)
        if handler.type in ("arrow_function", "function_expression", "function"):
            if route_obj is None:
                function = f"{obj_text}.{meth}({text(path_node)})"
                start, end = stmt.start_point[0] + 1, stmt.end_point[0] + 1
            else:  # several inline handlers in one chain: point at this one
                function = f"{obj_text}.route({text(path_node)}).{meth}"
                start, end = handler.start_point[0] + 1, handler.end_point[0] + 1
        else:
            function, start, end = text(handler), 0, 0
        routes.append({
            "obj": obj_text, "methods": ["ALL" if meth == "all" else meth.upper()], "path": path,
            "function": function, "start_line": start, "end_line": end, "operation_id": None,
            "name": None, "hint": "express", "declared": declared,
        })
    return {"objects": objects, "routes": routes, "includes": includes, "others": sorted(others)}


def _route_chain(obj: Any) -> tuple[str, str | None, Any] | None:
    """For ``X.route('/p').get(a).post`` return (``X``, ``/p``, path node); else None."""
    node = obj
    while node is not None and node.type == "call_expression":
        fn = node.child_by_field_name("function")
        if fn is None or fn.type != "member_expression":
            return None
        prop = fn.child_by_field_name("property")
        if prop is not None and text(prop) == "route":
            args = [a for a in node.child_by_field_name("arguments").named_children if a.type != "comment"]
            if not args:
                return None
            return text(fn.child_by_field_name("object")), js_string(args[0]), args[0]
        node = fn.child_by_field_name("object")
    return None


def _require_target(node: Any) -> str | None:
    """``require('./routes/users')`` as an include child: ``require:./routes/users``."""
    if node.type != "call_expression":
        return None
    fn = node.child_by_field_name("function")
    args = node.child_by_field_name("arguments")
    if fn is None or text(fn) != "require" or args is None or not args.named_children:
        return None
    spec = js_string(args.named_children[0])
    return f"require:{spec}" if spec else None


_NEST = {"Get": "GET", "Post": "POST", "Put": "PUT", "Delete": "DELETE", "Patch": "PATCH",
         "Options": "OPTIONS", "Head": "HEAD", "All": "ALL"}


def _nest_decorator(node: Any) -> tuple[str, str | None] | None:
    """(decorator name, path argument) of ``@Get(':id')`` / ``@Controller({path: 'x'})``."""
    call = node.named_children[0] if node.named_children else None
    if call is None:
        return None
    if call.type == "identifier":
        return text(call), ""
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
                if pair.type == "pair" and text(pair.child_by_field_name("key")).strip("'\"") == "path":
                    path = js_string(pair.child_by_field_name("value"))
    return text(fn), path


def _nest_facts(root: Any, grammar: str) -> dict:
    """NestJS controllers: ``@Controller('users')`` + ``@Get(':id')``; ``app.setGlobalPrefix('api')``."""
    routes: list[dict] = []
    global_prefix = None
    for m in matches(grammar, "(call_expression function: (member_expression property: (property_identifier) @p) "
                              "arguments: (arguments . (string) @s))", root):
        if text(m["p"][0]) == "setGlobalPrefix":
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
                        path = join_path(prefix, info[1])
                        routes.append({
                            "obj": None, "methods": [_NEST[info[0]]], "path": path,
                            "function": f"{text(m['name'][0])}.{text(member.child_by_field_name('name'))}",
                            "start_line": pending[0].start_point[0] + 1, "end_line": member.end_point[0] + 1,
                            "operation_id": None, "name": None, "hint": "nest",
                        })
            pending = []
    return {"objects": {}, "routes": routes, "includes": [], "global_prefix": global_prefix}
