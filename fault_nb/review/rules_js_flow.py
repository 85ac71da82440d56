"""JavaScript/TypeScript control-flow checks: swallowed catches, retry loops without delay, sync I/O."""
from __future__ import annotations

import re
from typing import Any

from ._syntax import Finding, _ancestor, _edit, _enclosing_name, _in_ranges, _nodes_of, _Src
from .edits import Edit

_FUNCS = ("function_declaration", "function_expression", "function", "arrow_function", "method_definition",
          "generator_function_declaration")
_LOOPS = ("for_statement", "while_statement", "do_statement", "for_in_statement")
_ROUTE_CALL = re.compile(r"^\w+\.(get|post|put|patch|delete|all|use|head|options)$")
_SLEEPY = re.compile(r"setTimeout|\bsleep\w*\s*\(|\bdelay\w*\s*\(|\bbackoff\w*\s*\(|\bwait\w*\s*\(", re.I)
_FS_ASYNC = {"readFileSync": "readFile", "writeFileSync": "writeFile", "appendFileSync": "appendFile",
             "readdirSync": "readdir", "statSync": "stat", "lstatSync": "lstat", "mkdirSync": "mkdir",
             "unlinkSync": "unlink", "rmSync": "rm", "renameSync": "rename", "copyFileSync": "copyFile",
             "accessSync": "access", "realpathSync": "realpath", "rmdirSync": "rmdir"}
_PROMISIFY = {"crypto": ("pbkdf2Sync", "scryptSync"),
              "zlib": ("gzipSync", "gunzipSync", "deflateSync", "inflateSync", "unzipSync", "brotliCompressSync",
                       "brotliDecompressSync"),
              "child_process": ("execSync", "execFileSync")}


def _fn_of(node: Any) -> Any | None:
    return _ancestor(node, _FUNCS)


def _is_async_fn(src: _Src, fn: Any) -> bool:
    return fn is not None and any(c.type == "async" for c in fn.children)


def _unit(src: _Src, block: Any, ind: str) -> str:
    """The file's indentation step, from the first statement of ``block`` (else two spaces)."""
    first = next((c for c in block.named_children if c.type != "comment"), None)
    if first is not None and first.start_point[0] != block.start_point[0]:
        inner = src.indent(first)
        if inner.startswith(ind) and len(inner) > len(ind):
            return inner[len(ind):]
    return "  "


def _logger(src: _Src) -> str:
    m = re.search(r"^(?:const|let|var)\s+(logger|log)\s*=|^import\s+(logger|log)\b", src.text, re.M)
    return (m.group(1) or m.group(2)) if m else "console"


def swallowed_catches(src: _Src, ranges: list) -> list[Finding]:
    """A ``catch`` that is empty, a comment only or a bare ``return``: log, then answer 502 or rethrow."""
    out = []
    for node in _nodes_of(src, "catch_clause"):
        if not _in_ranges(node, ranges):
            continue
        body = node.child_by_field_name("body")
        stmts = [c for c in body.named_children if c.type != "comment"]
        if stmts and not (len(stmts) == 1 and stmts[0].type == "return_statement" and
                          not stmts[0].named_children):
            continue
        tr = _ancestor(node, ("try_statement",))
        tbody = tr.child_by_field_name("body") if tr is not None else None
        if tbody is None or not (any(n.type == "await_expression" for n in _nodes_of_under(tbody))
                                 or _outbound(src, tbody) is not None):
            continue  # no I/O in the try (a JSON.parse, an optional require): not a resilience concern
        fn = _fn_of(node)
        loop = _ancestor(node, _LOOPS)
        if loop is not None and (fn is None or loop.start_byte > fn.start_byte):
            continue  # a catch inside a loop is a retry loop's; see retry_loops
        param = node.child_by_field_name("parameter")
        if param is not None and param.type != "identifier":
            continue
        err = src.t(param) if param is not None else "err"
        ind = src.indent(node)
        step = _unit(src, _ancestor(node, ("try_statement",)).child_by_field_name("body"), ind)
        inner = ind + step
        name = _enclosing_name(src, node)
        action, how = f"throw {err};", "rethrow it"
        params = fn.child_by_field_name("parameters") if fn is not None else None
        plist = [c for c in params.named_children] if params is not None else []
        if len(plist) >= 2:
            res = re.sub(r"[:?].*", "", src.t(plist[1])).strip()
            ftxt = src.t(fn)
            if re.fullmatch(r"[A-Za-z_$][\w$]*", res) and re.search(rf"\b{re.escape(res)}\s*\.\s*(status|json|send)\s*\(",
                                                                     ftxt):
                sender = "json({ error: \"upstream unavailable\" })" if ".json(" in ftxt else \
                    "send(\"upstream unavailable\")"
                action, how = f"return {res}.status(502).{sender};", "answer 502"
        new_body = (f"{{\n{inner}{_logger(src)}.error(\"{name} failed\", {err});\n{inner}{action}\n{ind}}}")
        s, e = src.span(body)
        edits = [_edit(src, s, e, new_body)]
        if param is None:
            cs = src.c(node.start_byte)
            edits = [_edit(src, cs, e, f"catch ({err}) " + new_body)]
        out.append(Finding("swallowed-catch", "observability", f"Stop the catch in `{name}` from swallowing the error",
                           f"The catch block in `{name}` drops the error"
                           + (" and returns nothing" if stmts else "") + ": the caller gets a success (or `undefined`) "
                           f"while the dependency is failing, and nobody sees why. Log the error, then {how}.",
                           src.rel, name, node.start_point[0] + 1, edits, 1.5))
    return out


def _outbound(src: _Src, block: Any) -> tuple[str, bool] | None:
    """(HTTP method, has an idempotency key) of the outbound call in ``block``, or None when there is none."""
    text = src.t(block)
    keyed = re.search(r"idempotency[-_]?key", text, re.I) is not None
    for call in [block] + [n for n in _nodes_of_under(block) if n.type == "call_expression"]:
        if call.type != "call_expression":
            continue
        fn = call.child_by_field_name("function")
        if fn is None:
            continue
        if fn.type == "await_expression" and fn.named_children:
            fn = fn.named_children[-1]
        name = re.sub(r"\s+", "", src.t(fn))
        if name == "fetch":
            m = re.search(r"method\s*:\s*['\"`](\w+)", src.t(call))
            return (m.group(1).upper() if m else "GET"), keyed
        m = re.fullmatch(r"([\w$]+)(?:\.[\w$]+)*\.(get|post|put|patch|delete|head|options)", name)
        if m and (re.match(r"^(axios|got|superagent|request|ky|http|api|client|[\w$]*(client|api|http)[\w$]*)\.",
                           name, re.I) or m.group(1) in _http_bindings(src)):
            return m.group(2).upper(), keyed
    return None


def _http_bindings(src: _Src) -> set[str]:
    """Names bound to ``axios.create(...)`` here or imported from another module of the project (clients)."""
    names = set(re.findall(r"(?:const|let|var)\s+([\w$]+)\s*=\s*axios\.create\(", src.text))
    for m in re.finditer(r"(?:const|let|var)\s*\{([^}]*)\}\s*=\s*require\(\s*['\"]\.|import\s*\{([^}]*)\}\s*from\s*['\"]\.",
                         src.text):
        names |= {re.split(r"\s*(?::|\bas\b)\s*", x.strip())[-1] for x in (m.group(1) or m.group(2)).split(",")
                  if x.strip()}
    return names


def _nodes_of_under(node: Any):
    stack = list(node.children)
    while stack:
        n = stack.pop()
        yield n
        if n.type not in _FUNCS:
            stack.extend(n.children)


def retry_loops(src: _Src, ranges: list) -> list[Finding]:
    """A loop that retries an outbound call immediately: capped exponential backoff with jitter, for
    idempotent calls; a POST/PATCH without an idempotency key is a question, not a fix."""
    out = []
    for loop in [n for t in _LOOPS for n in _nodes_of(src, t)]:
        if not _in_ranges(loop, ranges):
            continue
        body = loop.child_by_field_name("body")
        if body is None:
            continue
        tries = [n for n in _nodes_of_under(body) if n.type == "try_statement"]
        if not tries:
            continue
        tr = tries[0]
        catch = next((c for c in tr.named_children if c.type == "catch_clause"), None)
        if catch is None:
            continue
        cbody = catch.child_by_field_name("body")
        if any(c.type == "throw_statement" for c in cbody.named_children):
            continue  # it gives up on the first error: not a retry
        if loop.type == "for_in_statement" or not any(
                n.type in ("return_statement", "break_statement") for n in _nodes_of_under(tr.child_by_field_name("body"))):
            continue  # a retry loop leaves on success; this one walks a collection
        if _SLEEPY.search(src.t(body)):
            continue
        call = _outbound(src, tr.child_by_field_name("body"))
        fn = _fn_of(loop)
        if call is None or not _is_async_fn(src, fn):
            continue
        method, keyed = call
        name = _enclosing_name(src, loop)
        var = _counter(src, loop)
        if method in ("POST", "PATCH") and not keyed:
            out.append(Finding("retry-no-backoff", "retry",
                               f"Should `{name}` retry a {method} at all?",
                               f"This loop re-sends a {method} with no idempotency key: if the first attempt reached "
                               "the server but the answer was lost, the retry does the work twice (a second order, a "
                               "second charge). Add an `Idempotency-Key` header the server honours, then back off "
                               "between attempts; or do not retry. No change is proposed.",
                               src.rel, name, loop.start_point[0] + 1, [], 1.0, question=True))
            continue
        if var is None:
            continue
        ind = src.indent(catch)
        inner = ind + _unit(src, tr.child_by_field_name("body"), ind)
        sleep = (f"await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** {var}, 2000) + "
                 f"Math.random() * 100));")
        s = src.c(cbody.start_byte) + 1
        edits = [_edit(src, s, s, f"\n{inner}{sleep}")]
        out.append(Finding("retry-no-backoff", "retry", f"Back off between retries in `{name}`",
                           "This loop retries at once: against an overloaded or restarting dependency every attempt "
                           "lands while it is still down, and all callers retry in lockstep. Wait exponentially "
                           "longer (capped at 2 s) with jitter.", src.rel, name, loop.start_point[0] + 1, edits, 2.0))
    return out


def _counter(src: _Src, loop: Any) -> str | None:
    if loop.type == "for_statement":
        init = loop.child_by_field_name("initializer")
        m = re.match(r"(?:let|var)\s+([A-Za-z_$][\w$]*)\s*=", src.t(init)) if init is not None else None
        if m:
            return m.group(1)
    m = re.search(r"([A-Za-z_$][\w$]*)\s*(\+\+|\+=\s*1\b)", src.t(loop))
    return m.group(1) if m else None


def _module_of(src: _Src, var: str) -> str | None:
    pat_req = rf"(?:const|let|var)\s+{re.escape(var)}\s*=\s*require\(\s*['\"](?:node:)?([\w_]+)['\"]\s*\)"
    pat_imp = rf"import\s+(?:\*\s+as\s+)?{re.escape(var)}\s+from\s+['\"](?:node:)?([\w_]+)['\"]"
    m = re.search(pat_req, src.text) or re.search(pat_imp, src.text)
    return m.group(1) if m else None


def _util_name(src: _Src) -> tuple[str, list] | tuple[None, None]:
    """How to call promisify in this file, and the import edit it needs (if any)."""
    for m in re.finditer(r"(?:const|let|var)\s+(\w+)\s*=\s*require\(\s*['\"](?:node:)?util['\"]\s*\)|"
                         r"import\s+(?:\*\s+as\s+)?(\w+)\s+from\s+['\"](?:node:)?util['\"]", src.text):
        return f"{m.group(1) or m.group(2)}.promisify", []
    if re.search(r"\{[^}]*\bpromisify\b[^}]*\}\s*(=\s*require\(\s*|from\s*)['\"](node:)?util['\"]", src.text):
        return "promisify", []
    edit = _module_import(src, "util", "node:util", star_in_js=False)
    return ("util.promisify", [edit]) if edit is not None else (None, None)


def _module_import(src: _Src, name: str, module: str, *, star_in_js: bool) -> Edit | None:
    """``const name = require(module)`` (CommonJS) or ``import name from module`` / ``import * as name``
    (ES modules, TypeScript) after the file's last import; None when ``name`` is taken or there is no anchor."""
    if re.search(rf"(?<![\w$.]){re.escape(name)}\b", src.text):
        return None
    cjs = re.search(r"\brequire\(", src.text) and not re.search(r"^import\s", src.text, re.M)
    ts = src.rel.endswith((".ts", ".tsx", ".mts", ".cts"))
    line = f"const {name} = require(\"{module}\");" if cjs else (
        f"import * as {name} from \"{module}\";" if ts or star_in_js else f"import {name} from \"{module}\";")
    tops = [n for n in src.tree.root_node.children
            if n.type == "import_statement" or (cjs and n.type in ("lexical_declaration", "variable_declaration")
                                                and "require(" in src.t(n))]
    if not tops:
        return None  # no import to anchor on: say nothing rather than guess where it goes
    _, e = src.span(tops[-1])
    return _edit(src, e, e, "\n" + line)


def _fs_named(src: _Src, name: str) -> bool:
    """``name`` is destructured from fs: ``const { readFileSync } = require("fs")`` / ``import { readFileSync } from "fs"``."""
    for m in re.finditer(r"(?:const|let|var)\s*\{([^}]*)\}\s*=\s*require\(\s*['\"](?:node:)?fs['\"]\s*\)|"
                         r"import\s*\{([^}]*)\}\s*from\s*['\"](?:node:)?fs['\"]", src.text):
        names = [re.split(r"\s*(?::|\bas\b)\s*", x.strip()) for x in (m.group(1) or m.group(2)).split(",")]
        if any(n[0] == name and n[-1] == name for n in names if n and n[0]):
            return True
    return False


def sync_io(src: _Src, ranges: list) -> list[Finding]:
    """``fs.*Sync``, ``child_process.*Sync``, ``crypto.pbkdf2Sync``, ``zlib.*Sync`` on the request path:
    the promise versions, awaited."""
    out = []
    for call in _nodes_of(src, "call_expression"):
        if not _in_ranges(call, ranges):
            continue
        fnode = call.child_by_field_name("function")
        callee = re.sub(r"\s+", "", src.t(fnode)) if fnode else ""
        m = re.fullmatch(r"([A-Za-z_$][\w$]*)\.(\w+Sync)", callee)
        bare = m is None and callee in _FS_ASYNC and _fs_named(src, callee)
        if m is None and not bare:
            continue
        var, meth = m.groups() if m else ("fsp", callee)
        mod = "fs-named" if bare else _module_of(src, var)
        args = call.child_by_field_name("arguments")
        inner = src.t(args)[1:-1]
        extra: list = []
        if mod == "fs" and meth in _FS_ASYNC:
            expr = f"await {var}.promises.{_FS_ASYNC[meth]}({inner})"
        elif mod == "fs-named":
            if not re.search(r"^(?:const|let|var)\s+fsp\s*=\s*require\(\s*['\"](node:)?fs/promises['\"]|"
                             r"^import\s+(\*\s+as\s+)?fsp\s+from\s+['\"](node:)?fs/promises['\"]", src.text, re.M):
                imp = _module_import(src, "fsp", "node:fs/promises", star_in_js=True)
                if imp is None:
                    continue
                extra = [imp]
            expr = f"await fsp.{_FS_ASYNC[meth]}({inner})"
        elif mod in _PROMISIFY and meth in _PROMISIFY[mod]:
            promisify, extra = _util_name(src)
            if promisify is None:
                continue
            base = meth[:-4]
            if mod == "child_process":
                items = [a for a in args.named_children if a.type != "comment"]
                if len(items) > (2 if base == "exec" else 3):
                    continue
                opts_i = 1 if base == "exec" else 2
                if len(items) > opts_i:
                    if items[opts_i].type != "object":
                        continue
                    head = ", ".join(src.t(a) for a in items[:opts_i])
                    opts = f"{{ encoding: \"buffer\", ...{src.t(items[opts_i])} }}"
                else:
                    head, opts = inner.strip().rstrip(","), "{ encoding: \"buffer\" }"
                    if base == "execFile" and len(items) == 1:
                        head += ", []"
                expr = f"(await {promisify}({var}.{base})({head}, {opts})).stdout"
            else:
                expr = f"await {promisify}({var}.{base})({inner})"
        else:
            continue
        fn = _fn_of(call)
        if fn is None:
            continue
        edits = []
        if not _is_async_fn(src, fn):
            holder = fn.parent
            route = holder is not None and holder.type == "arguments" and holder.parent is not None and \
                _ROUTE_CALL.match(re.sub(r"\s+", "", src.t(holder.parent.child_by_field_name("function")) or ""))
            if not route:
                continue  # making a helper async would change what its callers get back
            fs0 = src.c(fn.start_byte)
            edits.append(("async", fs0))
        if call.parent is not None and call.parent.type in ("member_expression", "call_expression",
                                                            "subscript_expression"):
            expr = f"({expr})"
        s, e = src.span(call)
        if edits:
            # one edit spanning the function start and the call keeps both changes atomic
            fs0 = edits[0][1]
            text = src.text[fs0:s] + expr
            main = [_edit(src, fs0, e, "async " + text)]
        else:
            main = [_edit(src, s, e, expr)]
        name = _enclosing_name(src, call)
        shown = meth if bare else f"{var}.{meth}"
        out.append(Finding("sync-io-in-handler", "other", f"Use the promise version of `{shown}` in `{name}`",
                           f"`{shown}` blocks Node's only thread: while it runs (a slow disk, a big file, a "
                           "CPU-heavy hash) no other request is served. Await the asynchronous version instead.",
                           src.rel, name, call.start_point[0] + 1, main + extra, 2.0))
    return out
