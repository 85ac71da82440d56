"""Route facts of Go files: net/http (``http.HandleFunc``, Go 1.22 ``"GET /items/{id}"``
patterns), gin, echo and chi, with groups (``v1 := r.Group("/v1")``) stacking prefixes."""
from __future__ import annotations

from typing import Any

from ._base import matches, text

_GO_METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}
_GO_CHI = {m.capitalize(): m for m in _GO_METHODS}  # chi: r.Get, r.Post ...
_GO_APPS = {"gin.Default": "gin", "gin.New": "gin", "echo.New": "echo", "chi.NewRouter": "chi",
            "chi.NewMux": "chi", "http.NewServeMux": "nethttp", "mux.NewRouter": "gorilla"}
_GO_DECL = ("(short_var_declaration left: (expression_list . (identifier) @var) "
            "right: (expression_list . (call_expression function: (_) @fn arguments: (argument_list) @args)))"
            " (var_spec name: (identifier) @var value: (expression_list . (call_expression function: (_) @fn "
            "arguments: (argument_list) @args)))")
_GO_CALL = ("(call_expression function: (selector_expression operand: (_) @obj field: (field_identifier) @meth) "
            "arguments: (argument_list) @args) @call")


def _go_string(node: Any) -> str | None:
    if node is None:
        return None
    if node.type == "interpreted_string_literal":
        return "".join(text(c) for c in node.named_children)
    if node.type == "raw_string_literal":
        return text(node)[1:-1]
    return None


def go_facts(root: Any) -> dict:
    objects: dict[str, dict] = {}
    routes: list[dict] = []
    includes: list[dict] = []
    for m in matches("go", _GO_DECL, root):
        var, fn = text(m["var"][0]), text(m["fn"][0])
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
        meth = text(m["meth"][0])
        args = [a for a in m["args"][0].named_children if a.type != "comment"]
        if len(args) < 2:
            continue
        path = _go_string(args[0])
        if path is None or not (path.startswith("/") or path.split(" ", 1)[0] in _GO_METHODS):
            continue
        obj = text(m["obj"][0])
        if obj == "http" and meth not in ("HandleFunc", "Handle"):
            continue  # http.Get/http.Post/http.Head are net/http's client functions
        if meth in _GO_METHODS or meth == "Any":
            methods = [meth] if meth != "Any" else ["ALL"]
        elif meth in _GO_CHI:
            if len(args) != 2:  # chi's r.Post(pattern, handlerFn); http.Client.Post(url, contentType, body)
                continue
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
            function = f"{obj}.{meth}({text(args[0])})"
            start, end = call.start_point[0] + 1, call.end_point[0] + 1
        else:
            function, start, end = text(handler), 0, 0
        routes.append({"obj": obj if obj != "http" else None, "methods": methods, "path": path,
                       "function": function, "start_line": start, "end_line": end, "operation_id": None,
                       "name": None, "hint": "nethttp" if obj == "http" else "go"})
    return {"objects": objects, "routes": routes, "includes": includes}
