"""JavaScript/TypeScript checks of the rules reviewer: unbounded fetch/axios calls (here), swallowed
catches, retry loops without delay and synchronous I/O on the request path (:mod:`.rules_js_flow`)."""
from __future__ import annotations

import re

from ._syntax import Finding, Project, _edit, _enclosing_name, _line_ranges, _nodes_of, _Src

_JS_EXT = {".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
           ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx"}
_AXIOS = re.compile(r"^axios(\.(get|delete|head|options|post|put|patch|request))?$")


def js_findings(src: _Src, names: set[str], timeout_s: float, project: Project | None = None) -> list[Finding]:
    """JavaScript/TypeScript: ``fetch`` without an abort signal and ``axios`` without a timeout, in scope lines;
    swallowed catches, retry loops without delay and synchronous I/O (:mod:`.rules_js_flow`)."""
    from .rules_js_flow import retry_loops, swallowed_catches, sync_io

    ranges = _line_ranges(names)
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
                           src.rel, _enclosing_name(src, node), line, [edit], 3.0))
    module_names = {n.split(":", 1)[1] for n in names if n.startswith("<module>:")}
    out.extend(_axios_instances(src, ranges, ms, module_names))
    for check in (swallowed_catches, retry_loops, sync_io):
        out.extend(check(src, ranges))
    out.sort(key=lambda f: f.line)
    return out


def js_imported_names(src: _Src, names: set[str], project: Project) -> dict[str, set[str]]:
    """``{file: {"<module>:name"}}`` for names scoped lines import from other project files
    (``const { api } = require("./clients")``, ``import { api } from "./clients"``)."""
    ranges = _line_ranges(names)
    scoped = "\n".join(line for i, line in enumerate(src.text.splitlines(), 1) if any(a <= i <= b for a, b in ranges))
    out: dict[str, set[str]] = {}
    pats = (r"(?:const|let|var)\s*\{([^}]*)\}\s*=\s*require\(\s*['\"](\.[^'\"]+)['\"]\s*\)",
            r"import\s*\{([^}]*)\}\s*from\s*['\"](\.[^'\"]+)['\"]")
    base = src.rel.rsplit("/", 1)[0] + "/" if "/" in src.rel else ""
    for pat in pats:
        for m in re.finditer(pat, src.text):
            target = _resolve_js(project, base, m.group(2))
            if target is None:
                continue
            for item in m.group(1).split(","):
                parts = re.split(r"\s*(?::|\bas\b)\s*", item.strip())
                if not parts[0]:
                    continue
                exported, local = parts[0], parts[-1]
                if re.search(rf"(?<![\w$.]){re.escape(local)}\b", scoped):
                    out.setdefault(target, set()).add(f"<module>:{exported}")
    return out


def _resolve_js(project: Project, base: str, spec: str) -> str | None:
    import posixpath

    stem = posixpath.normpath(base + spec)
    for cand in (stem, *(stem + e for e in (".js", ".ts", ".mjs", ".cjs", ".tsx", ".jsx")),
                 *(stem + "/index" + e for e in (".js", ".ts"))):
        if not cand.startswith("..") and project.exists(cand):
            return cand
    return None


def _axios_instances(src: _Src, ranges: list[tuple[int, ...]], ms: int, module_names: set[str]) -> list[Finding]:
    """``const api = axios.create({...})`` without a timeout, used as ``api.get(...)`` on a scope line."""
    scoped = "\n".join(line for i, line in enumerate(src.text.splitlines(), 1) if any(a <= i <= b for a, b in ranges))
    out = []
    for node in _nodes_of(src, "variable_declarator"):
        var, call = node.child_by_field_name("name"), node.child_by_field_name("value")
        if var is None or call is None or call.type != "call_expression" or \
                re.sub(r"\s+", "", src.t(call.child_by_field_name("function"))) != "axios.create":
            continue
        name = src.t(var)
        if name not in module_names and not re.search(
                rf"(?<![\w$.]){re.escape(name)}\s*\.\s*(get|delete|head|options|post|put|patch|request)\s*\(", scoped):
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
                           src.rel, _enclosing_name(src, node), node.start_point[0] + 1, [edit], 3.0))
    return out
