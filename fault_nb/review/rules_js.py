"""JavaScript/TypeScript checks of the rules reviewer (cheap ones: unbounded fetch and axios calls)."""
from __future__ import annotations

import re

from ._syntax import Finding, _edit, _nodes_of, _Src

_JS_EXT = {".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
           ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx"}
_AXIOS = re.compile(r"^axios(\.(get|delete|head|options|post|put|patch|request))?$")


def js_findings(src: _Src, names: set[str], timeout_s: float) -> list[Finding]:
    """JavaScript/TypeScript: ``fetch`` without an abort signal and ``axios`` without a timeout, in scope lines."""
    ranges = [tuple(int(x) for x in n[1:].split("-")) for n in names if re.fullmatch(r"L\d+-\d+", n)]
    ms = int(timeout_s * 1000)
    out = []
    for node in _nodes_of(src, "call_expression"):
        line = node.start_point[0] + 1
        if not any(a <= line <= b for a, b in ranges):
            continue
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if fn is None or args is None or args.type != "arguments":
            continue
        if fn.type == "await_expression" and fn.named_children:
            # TypeScript parses `await axios.get<T>(url)` as a call of `await axios.get`
            fn = fn.named_children[-1]
        name = re.sub(r"\s+", "", src.t(fn))
        items = [a for a in args.named_children if a.type != "comment"]
        if name == "fetch":
            key, value = "signal", f"AbortSignal.timeout({ms})"
            min_args = 1
        elif _AXIOS.match(name):
            key, value = "timeout", str(ms)
            min_args = 2 if name.endswith((".post", ".put", ".patch")) else 1
        else:
            continue
        if not items or any(a.type == "spread_element" for a in items):
            continue
        if len(items) > min_args:
            opts = items[min_args]
            if opts.type != "object":
                continue
            keys = [src.t(p.child_by_field_name("key")) for p in opts.named_children if p.type == "pair"]
            if key in keys or any(p.type in ("spread_element", "shorthand_property_identifier") and
                                  src.t(p).lstrip(".") == key for p in opts.named_children):
                continue
            s0, e0 = src.span(opts)
            inner = src.t(opts)[1:-1]
            new = "{ " + key + ": " + value + (", " + inner.strip() if inner.strip() else "") + " }"
            edit = _edit(src, s0, e0, new)
        elif len(items) == min_args:
            _, e0 = src.span(items[-1])
            edit = _edit(src, e0, e0, ", { " + key + ": " + value + " }")
        else:
            continue
        out.append(Finding("fetch-timeout", "timeout", f"Bound `{name}(...)` with a {ms} ms timeout",
                           f"`{name}` waits as long as the network does (no {key}): a slow dependency holds the "
                           "request open. Abort it after a bound derived from the SLO.",
                           src.rel, "<js>", line, [edit], 3.0))
    out.extend(_axios_instances(src, ranges, ms))
    out.sort(key=lambda f: f.line)
    return out


def _axios_instances(src: _Src, ranges: list[tuple[int, ...]], ms: int) -> list[Finding]:
    """``const api = axios.create({...})`` without a timeout, used as ``api.get(...)`` on a scope line."""
    scoped = "\n".join(line for i, line in enumerate(src.text.splitlines(), 1) if any(a <= i <= b for a, b in ranges))
    out = []
    for node in _nodes_of(src, "variable_declarator"):
        var, call = node.child_by_field_name("name"), node.child_by_field_name("value")
        if var is None or call is None or call.type != "call_expression" or \
                re.sub(r"\s+", "", src.t(call.child_by_field_name("function"))) != "axios.create":
            continue
        name = src.t(var)
        if not re.search(rf"(?<![\w$.]){re.escape(name)}\s*\.\s*(get|delete|head|options|post|put|patch|request)\s*\(",
                         scoped):
            continue
        args = call.child_by_field_name("arguments")
        items = [a for a in args.named_children if a.type != "comment"]
        if not items:
            s0, e0 = src.span(args)
            edit = _edit(src, s0, e0, "({ timeout: " + str(ms) + " })")
        elif items[0].type == "object":
            opts = items[0]
            if any(p.type == "spread_element" or p.type == "shorthand_property_identifier" and src.t(p) == "timeout"
                   or p.type == "pair" and src.t(p.child_by_field_name("key")).strip("'\"") == "timeout"
                   for p in opts.named_children):
                continue
            s0, e0 = src.span(opts)
            inner = src.t(opts)[1:-1].strip()
            edit = _edit(src, s0, e0, "{ timeout: " + str(ms) + (", " + inner if inner else "") + " }")
        else:
            continue
        out.append(Finding("fetch-timeout", "timeout", f"Give the axios instance `{name}` a {ms} ms timeout",
                           f"`{name} = axios.create(...)` sets no timeout (axios's default is none): every call "
                           f"through `{name}` waits as long as the network does. Bound it where it is created.",
                           src.rel, "<js>", node.start_point[0] + 1, [edit], 3.0))
    return out
