"""JavaScript/TypeScript checks of the rules reviewer (cheap ones: unbounded fetch and axios calls)."""
from __future__ import annotations

import re

from ._syntax import Finding, _Src, _edit

_JS_EXT = {".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
           ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx"}
_AXIOS = re.compile(r"^axios(\.(get|delete|head|options|post|put|patch|request))?$")


def js_findings(src: _Src, names: set[str], timeout_s: float) -> list[Finding]:
    """JavaScript/TypeScript: ``fetch`` without an abort signal and ``axios`` without a timeout, in scope lines."""
    ranges = [tuple(int(x) for x in n[1:].split("-")) for n in names if re.fullmatch(r"L\d+-\d+", n)]
    ms = int(timeout_s * 1000)
    out = []
    stack = [src.tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type != "call_expression":
            continue
        line = node.start_point[0] + 1
        if not any(a <= line <= b for a, b in ranges):
            continue
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if fn is None or args is None or args.type != "arguments":
            continue
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
    out.sort(key=lambda f: f.line)
    return out
