"""Go checks of the rules reviewer: HTTP clients without a timeout, outbound requests that ignore the
request's context, response bodies never closed."""
from __future__ import annotations

import re
from typing import Any

from ._syntax import Finding, Project, _edit, _enclosing_name, _in_ranges, _line_ranges, _nodes_of, _Src
from .edits import Edit

_PKG_GETS = re.compile(r"^http\.(Get|Post|Head|PostForm)$")
_DOERS = re.compile(r"\.(Do|Get|Post|Head|PostForm)$")


def go_duration(timeout_s: float) -> str:
    ms = int(round(timeout_s * 1000))
    return f"{ms // 1000} * time.Second" if ms % 1000 == 0 else f"{ms} * time.Millisecond"


def _time_import(src: _Src) -> Edit | None:
    """``"time"`` added to the last import block, else ``import "time"`` after the imports or the package."""
    if re.search(r'^\s*(import\s+)?(\w+\s+)?"time"\s*$', src.text, re.M):
        return None
    decls = [n for n in src.tree.root_node.children if n.type == "import_declaration"]
    block = next((c for c in decls[-1].named_children if c.type == "import_spec_list"), None) if decls else None
    if block is not None and block.named_children:
        last = [c for c in block.named_children if c.type == "import_spec"][-1]
        _, e = src.span(last)
        return _edit(src, e, e, f'\n{src.indent(last)}"time"')
    anchor = decls[-1] if decls else next((n for n in src.tree.root_node.children if n.type == "package_clause"), None)
    if anchor is None:
        return None
    _, e = src.span(anchor)
    return _edit(src, e, e, '\nimport "time"')


def go_findings(src: _Src, names: set[str], timeout_s: float, project: Project | None = None) -> list[Finding]:
    """Go: ``http.Get``/``http.DefaultClient``/``http.Client{}`` without a timeout, ``http.NewRequest`` in a
    handler (its context ignored), a response body never closed; in scope lines."""
    ranges = _line_ranges(names)
    dur = go_duration(timeout_s)
    out: list[Finding] = []
    scoped = "\n".join(ln for i, ln in enumerate(src.text.splitlines(), 1) if any(a <= i <= b for a, b in ranges))
    for call in _nodes_of(src, "call_expression"):
        if not _in_ranges(call, ranges):
            continue
        fn = call.child_by_field_name("function")
        name = re.sub(r"\s+", "", src.t(fn))
        where = _enclosing_name(src, call)
        if _PKG_GETS.match(name) or name.startswith("http.DefaultClient."):
            verb = name.rsplit(".", 1)[1]
            s, e = src.span(fn)
            edits = [_edit(src, s, e, f"(&http.Client{{Timeout: {dur}}}).{verb}")]
            imp = _time_import(src)
            out.append(Finding("go-http-timeout", "timeout", f"Bound `{name}` in `{where}` with a timeout",
                               f"`{name}` uses `http.DefaultClient`, which has no timeout: a slow or silent dependency "
                               "holds the request (and its goroutine and connection) for as long as the network does. "
                               f"Use a client with `Timeout: {dur}` (it shares the default transport and its pool).",
                               src.rel, where, call.start_point[0] + 1, edits + ([imp] if imp else []), 3.0))
        elif name == "http.NewRequest":
            ctx = _request_context(src, call)
            if ctx is None:
                continue
            s, e = src.span(fn)
            args = call.child_by_field_name("arguments")
            a0 = src.c(args.start_byte) + 1
            edits = [_edit(src, s, a0, f"http.NewRequestWithContext({ctx}, ")]
            out.append(_ctx_finding(src, call, where, ctx, edits))
        elif name == "http.NewRequestWithContext":
            args = [a for a in call.child_by_field_name("arguments").named_children if a.type != "comment"]
            if not args or re.sub(r"\s+", "", src.t(args[0])) not in ("context.Background()", "context.TODO()"):
                continue
            ctx = _request_context(src, call)
            if ctx is None:
                continue
            s, e = src.span(args[0])
            edits = [_edit(src, s, e, ctx)]
            if len(re.findall(r"\bcontext\.", src.text)) == 1:  # the last use: Go rejects an unused import
                m = re.search(r'^[ \t]*(import[ \t]+)?"context"[ \t]*\n', src.text, re.M)
                if m is None:
                    continue
                edits.append(_edit(src, m.start(), m.end(), ""))
            out.append(_ctx_finding(src, call, where, ctx, edits))
    out.extend(_client_literals(src, ranges, scoped, dur, project))
    out.extend(_unclosed_bodies(src, ranges))
    return out


def _ctx_finding(src: _Src, call: Any, where: str, ctx: str, edits: list[Edit]) -> Finding:
    return Finding("go-request-context", "timeout", f"Pass the request's context to the outbound request in `{where}`",
                   f"The outbound request in `{where}` ignores the incoming request's context: when the client gives "
                   "up (or the server times the request out) the dependency call keeps running and holds a "
                   f"connection. Build it with `{ctx}` so it is cancelled with the request.",
                   src.rel, where, call.start_point[0] + 1, edits, 2.0)


def _request_context(src: _Src, node: Any) -> str | None:
    """The context expression of the handler around ``node``: ``r.Context()`` (net/http),
    ``c.Request.Context()`` (gin), ``c.Request().Context()`` (echo), or a ``ctx context.Context`` parameter."""
    p = node.parent
    while p is not None and p.type not in ("function_declaration", "method_declaration", "func_literal"):
        p = p.parent
    if p is None:
        return None
    params = p.child_by_field_name("parameters")
    for prm in (params.named_children if params is not None else []):
        typ = prm.child_by_field_name("type")
        pname = prm.child_by_field_name("name")
        if typ is None or pname is None:
            continue
        t, n = re.sub(r"\s+", "", src.t(typ)), src.t(pname)
        if t == "*http.Request":
            return f"{n}.Context()"
        if t == "*gin.Context":
            return f"{n}.Request.Context()"
        if t == "echo.Context":
            return f"{n}.Request().Context()"
        if t == "context.Context":
            return n
    return None


def _client_literals(src: _Src, ranges: list, scoped: str, dur: str, project: Project | None) -> list[Finding]:
    """``http.Client{...}`` without ``Timeout``: in scope, or a package-level variable (any file of the
    package) that scoped code uses."""
    out: list[Finding] = []
    files = [src]
    if project is not None:
        folder = src.rel.rsplit("/", 1)[0] if "/" in src.rel else ""
        try:
            siblings = sorted(p.relative_to(project.ws.source_dir).as_posix()
                              for p in (project.ws.source_dir / folder).glob("*.go"))
        except OSError:
            siblings = []
        for rel in siblings:
            if rel != src.rel and not rel.endswith("_test.go"):
                other = project.src(rel, "go")
                if other is not None:
                    files.append(other)
    for f in files:
        for lit in _nodes_of(f, "composite_literal"):
            typ = lit.child_by_field_name("type")
            if typ is None or re.sub(r"\s+", "", f.t(typ)) != "http.Client":
                continue
            body = lit.child_by_field_name("body")
            keys = [f.t(k.named_children[0]) for k in body.named_children if k.type == "keyed_element"
                    and k.named_children]
            if "Timeout" in keys or any(k.type != "keyed_element" for k in body.named_children if k.type != "comment"):
                continue
            where = _enclosing_name(f, lit)
            var = _var_name(f, lit)
            if where == "<module>":
                if var is None or not re.search(rf"\b{re.escape(var)}\b", scoped):
                    continue
            elif f is not src or not _in_ranges(lit, ranges):
                continue
            what = f"package-level `{var}`" if where == "<module>" else f"`http.Client` in `{where}`"
            inner = f.t(body)[1:-1]
            s, e = f.span(body)
            if not inner.strip():
                new = f"{{Timeout: {dur}}}"
            elif "\n" in inner:
                first = next(k for k in body.named_children if k.type != "comment")
                new = "{\n" + f.indent(first) + f"Timeout: {dur},\n" + inner.lstrip("\n") + "}"
            else:
                new = f"{{Timeout: {dur}, {inner.strip()}}}"
            edits = [_edit(f, s, e, new)]
            imp = _time_import(f)
            out.append(Finding("go-http-timeout", "timeout", f"Give the {what} a timeout",
                               "An `http.Client` without `Timeout` waits as long as the network does: a slow "
                               "dependency holds the request, its goroutine and a connection. Set an overall "
                               f"timeout ({dur}).", f.rel, where, lit.start_point[0] + 1,
                               edits + ([imp] if imp else []), 3.0))
    return out


def _var_name(src: _Src, lit: Any) -> str | None:
    p = lit.parent
    while p is not None and p.type not in ("var_spec", "short_var_declaration", "assignment_statement",
                                           "source_file"):
        p = p.parent
    if p is None or p.type == "source_file":
        return None
    left = p.child_by_field_name("name") or p.child_by_field_name("left")
    return src.t(left).split(",")[0].strip() if left is not None else None


def _unclosed_bodies(src: _Src, ranges: list) -> list[Finding]:
    """``resp, err := client.Do(req)`` with no ``resp.Body.Close()``: ``defer`` it after the error check."""
    out = []
    for decl in _nodes_of(src, "short_var_declaration"):
        if not _in_ranges(decl, ranges):
            continue
        left = [src.t(n) for n in decl.child_by_field_name("left").named_children]
        right = decl.child_by_field_name("right").named_children
        if len(left) != 2 or left[0] == "_" or len(right) != 1 or right[0].type != "call_expression":
            continue
        callee = re.sub(r"\s+", "", src.t(right[0].child_by_field_name("function")))
        if not _DOERS.search(callee) or not (callee.startswith("http.") or re.search(r"(?i)client|http", callee)):
            continue
        resp, err = left
        fn = decl.parent
        while fn is not None and fn.type not in ("function_declaration", "method_declaration", "func_literal"):
            fn = fn.parent
        if fn is None:
            continue
        body = src.t(fn)
        if not re.search(rf"\b{re.escape(resp)}\.(Body|StatusCode|Header|Status)\b", body):
            continue  # not visibly an *http.Response
        if re.search(rf"\b{re.escape(resp)}\.Body\.Close\(\)", body) or \
                re.search(rf"(return\s+|[(,=]\s*){re.escape(resp)}\s*([,)\n}}]|$)", body, re.M):
            continue  # closed, or handed on (returned, passed, stored): someone else closes it
        nxt = decl.next_named_sibling
        if nxt is None or nxt.type != "if_statement" or not re.match(
                rf"if\s+{re.escape(err)}\s*!=\s*nil\s*\{{", src.t(nxt)):
            continue
        _, e = src.span(nxt)
        where = _enclosing_name(src, decl)
        out.append(Finding("go-body-not-closed", "pooling", f"Close the response body in `{where}`",
                           f"`{resp}.Body` is never closed: the connection cannot go back to the pool, so under load "
                           "the client opens new connections until file descriptors or the dependency run out. "
                           f"`defer {resp}.Body.Close()` once the error is checked.",
                           src.rel, where, decl.start_point[0] + 1,
                           [_edit(src, e, e, f"\n{src.indent(nxt)}defer {resp}.Body.Close()")], 2.0))
    return out
