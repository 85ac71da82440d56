"""Python checks on outbound calls and file I/O: idempotent calls without retry, file I/O in ``async def``.

Both need more than the function they sit in: the client an outbound call goes
through is often created at module level in another file (``from .clients import
inventory``), and a caller may already retry. :class:`Project` resolves those names.
"""
from __future__ import annotations

import re
from typing import Any

from ._syntax import (Finding, Project, _call_name, _edit, _fn_name, _imports_edit, _is_async, _kwargs,
                      _reindent, _walk)
from .edits import Edit

_IDEMPOTENT = ("get", "head", "put", "delete", "options")
# any decorator that mentions retrying (tenacity, backoff, stamina, Celery's autoretry_for ...): trust it
_RETRY_DECORATOR = re.compile(r"@[^\n]*(retry|retries|backoff|on_exception|on_predicate)", re.I)
_PATH_IO = ("read_text", "write_text", "read_bytes", "write_bytes")
_RETRYING_NAME = "_retrying_http"
# httpx.Client options that belong to its default transport
_TRANSPORT_OPTIONS = ("verify", "cert", "http1", "http2", "limits", "trust_env", "proxy")


def module_binding(src: Any, name: str) -> Any | None:
    """The module-level ``name = <call>(...)`` assignment of ``src``, or None."""
    for st in src.tree.root_node.children:
        a = st.named_children[0] if st.type == "expression_statement" and st.named_children else None
        if a is None or a.type != "assignment":
            continue
        left, right = a.child_by_field_name("left"), a.child_by_field_name("right")
        if left is not None and left.type == "identifier" and src.t(left) == name and right is not None \
                and right.type == "call":
            return a
    return None


def imported_from(src: Any, name: str) -> tuple[str, int] | None:
    """``(dotted module, relative level)`` that ``name`` is imported from (``from .clients import name``)."""
    for st in src.tree.root_node.children:
        if st.type != "import_from_statement":
            continue
        mod = st.child_by_field_name("module_name")
        if mod is None:
            continue
        names = [src.t(n.child_by_field_name("alias") or n.child_by_field_name("name") or n)
                 if n.type == "aliased_import" else src.t(n)
                 for n in st.children_by_field_name("name")]
        if name in names:
            text = src.t(mod)
            level = len(text) - len(text.lstrip("."))
            return text.lstrip("."), level
    return None


def _binding_anywhere(chk: Any, name: str) -> tuple[Any, Any] | None:
    """``(src, assignment)`` for a module-level client ``name`` in this file or the file it is imported from."""
    a = module_binding(chk.src, name)
    if a is not None:
        return chk.src, a
    project: Project | None = chk.project
    origin = imported_from(chk.src, name)
    if project is None or origin is None:
        return None
    rel = project.python_module(chk.src.rel, *origin)
    if rel is None:
        return None
    other = project.src(rel)
    if other is None:
        return None
    a = module_binding(other, name)
    return (other, a) if a is not None else None


def _http_method(chk: Any, call: Any, verb: str) -> str | None:
    if verb != "request":
        return verb
    args = call.child_by_field_name("arguments")
    first = next((a for a in args.named_children if a.type != "comment"), None) if args is not None else None
    if first is not None and first.type == "string":
        return chk.src.t(first).strip("'\"").lower()
    return None


def _in_retry_loop(chk: Any, node: Any, fn: Any) -> bool:
    p = node.parent
    while p is not None and p is not fn:
        if p.type in ("for_statement", "while_statement") and any(n.type == "try_statement" for n in _walk(p)):
            return True
        p = p.parent
    return False


def _decorated_with_retry(chk: Any, fn: Any) -> bool:
    dec = fn.parent if fn.parent is not None and fn.parent.type == "decorated_definition" else None
    return dec is not None and bool(_RETRY_DECORATOR.search(chk.src.t(dec)[: chk.src.c(fn.start_byte)
                                                                            - chk.src.c(dec.start_byte)]))


def retried_functions(chk: Any) -> set[str]:
    """Names of functions that a scoped caller calls inside a retry loop or from a retrying function."""
    out = set()
    for fn in chk.scope():
        whole = _decorated_with_retry(chk, fn)
        for call in chk._calls(fn):
            if whole or _in_retry_loop(chk, call, fn):
                out.add(_call_name(chk.src, call).rpartition(".")[2])
    return out


def _session_retries(src: Any, var: str) -> bool:
    return re.search(rf"\b{re.escape(var)}\s*\.\s*mount\s*\(", src.text) is not None


def upstream_retry(chk: Any, fn: Any) -> list[Finding]:
    """An idempotent requests/httpx call with no retry anywhere on its path: a bounded retry with backoff."""
    if _decorated_with_retry(chk, fn) or _fn_name(chk.src, fn) in chk.retried:
        return []
    for call in chk._calls(fn):
        name = _call_name(chk.src, call)
        head, _, verb = name.rpartition(".")
        if not head or verb not in (*_IDEMPOTENT, "request") or _in_retry_loop(chk, call, fn):
            continue
        kw, splat = _kwargs(chk.src, call)
        if splat:
            continue
        method = _http_method(chk, call, verb)
        if method not in _IDEMPOTENT:
            continue  # POST/PATCH (or unknown): retrying could do the work twice
        # a timed call: the retry then shares the call's deadline (see _retry_expr)
        timed = "timeout" in kw and chk.src.t(kw["timeout"]).strip() != "None"
        if head in ("requests", "httpx"):
            fix = _direct_fix(chk, fn, call, head, verb, name, timed)
        else:
            bound = _binding_anywhere(chk, head)
            if bound is None:
                continue
            fix = _client_fix(chk, bound, head, timed)
        if fix is None:
            continue
        edits, how = fix
        fname = _fn_name(chk.src, fn)
        return [chk._finding(
            fn, call, "upstream-no-retry", "retry",
            f"Retry the idempotent `{name}` in `{fname}` with backoff",
            f"`{name}(...)` ({method.upper()}, idempotent) fails the request on the first transient error: a "
            f"dropped connection or a 502/503/504 during a deploy becomes an error for the caller. {how} "
            "POST and PATCH are never retried this way.", edits, 2.0)]
    return []


def _retry_expr(chk: Any, timed: bool = False) -> str:
    pins = chk.project.requirements() if chk.project is not None else ""
    # backoff_jitter came with urllib3 2.0; a project pinned below keeps plain exponential backoff
    jitter = "" if re.search(r"urllib3\s*(<\s*2|==\s*1\.|~=\s*1\.)", pins) else " backoff_jitter=0.1,"
    # a call with a timeout shares one deadline with its retry: read=False re-raises the read timeout as
    # requests.ReadTimeout at once (read=N would wait N more timeouts, then raise a ConnectionError)
    read = "read=False" if timed else "read=2"
    # raise_on_status=False: once the tries are spent the caller gets the last 5xx response, as before
    return (f"Retry(\n    total=3, connect=3, {read}, status=3, backoff_factor=0.2," + jitter + "\n"
            "    status_forcelist=(502, 503, 504), raise_on_status=False,\n"
            "    allowed_methods=frozenset({\"GET\", \"HEAD\", \"PUT\", \"DELETE\", \"OPTIONS\"}),\n)")


def _mount_lines(chk: Any, var: str, timed: bool = False) -> str:
    adapter = f"_{var.lstrip('_')}_retries"
    return (f"{adapter} = HTTPAdapter(max_retries={_retry_expr(chk, timed)})\n"
            f"{var}.mount(\"http://\", {adapter})\n{var}.mount(\"https://\", {adapter})")


#: said of a retry added to a call that has a timeout: why a read timeout is not retried
_DEADLINE_NOTE = ("A read timeout is not retried: the call's timeout already says how long the caller waits, "
                  "and each retry of a slow dependency would add that wait again (and its load).")


_ADAPTER_IMPORTS = ["from requests.adapters import HTTPAdapter", "from urllib3.util.retry import Retry"]


def _client_fix(chk: Any, bound: tuple[Any, Any], var: str, timed: bool = False) -> tuple[list[Edit], str] | None:
    src, assign = bound
    ctor = _call_name(src, assign.child_by_field_name("right"))
    call = assign.child_by_field_name("right")
    if ctor in ("requests.Session", "requests.session"):
        if _session_retries(src, var):
            return None
        stmt = assign.parent
        _, end = src.span(stmt)
        main = _edit(src, end, end, "\n" + _mount_lines(chk, var, timed))
        edits = [main] + ([e] if (e := _imports_edit(src, _ADAPTER_IMPORTS)) is not None else [])
        where = "" if src is chk.src else f" (in {src.rel}, where `{var}` is created)"
        return edits, (f"Mount an adapter with urllib3 `Retry` on `{var}`{where}: 3 tries, exponential backoff with "
                       f"jitter, on connect errors, {_retried_reads(timed)}502/503/504, for idempotent methods only."
                       + (" " + _DEADLINE_NOTE if timed else ""))
    if ctor in ("httpx.Client", "httpx.AsyncClient"):
        kw, splat = _kwargs(src, call)
        if splat or "transport" in kw or "mounts" in kw or "app" in kw:
            return None
        transport = "httpx.AsyncHTTPTransport" if ctor.endswith("AsyncClient") else "httpx.HTTPTransport"
        from ._syntax import _add_kwarg

        args = call.child_by_field_name("arguments")
        s, e = src.span(args)
        moved = [k for k in _TRANSPORT_OPTIONS if k in kw]
        if moved:
            # with a transport given, httpx ignores these on the client: they must go to the transport
            items = [a for a in args.named_children if a.type != "comment"]
            keep = [src.t(a) for a in items if not (a.type == "keyword_argument" and
                                                     src.t(a.child_by_field_name("name")) in moved)]
            opts = ", ".join(src.t(kw[k]) for k in moved)
            new_args = "(" + ", ".join(keep + [f"transport={transport}({opts}, retries=3)"]) + ")"
        else:
            new_args = _add_kwarg(src.t(args), f"transport={transport}(retries=3)")
        edit = _edit(src, s, e, new_args)
        return [edit], (f"Give `{var}` httpx transport retries: connection failures are retried 3 times with "
                        "exponential backoff (httpx retries connect errors only, never a request that was sent).")
    return None


def _retried_reads(timed: bool) -> str:
    return "" if timed else "read errors and "


def _direct_fix(chk: Any, fn: Any, call: Any, lib: str, verb: str, name: str, timed: bool = False) \
        -> tuple[list[Edit], str] | None:
    src = chk.src
    pins = chk.project.requirements() if chk.project is not None else ""
    others = [c for c in chk._calls(fn) if c is not call and re.fullmatch(
        r"(requests|httpx)\.(post|patch)", _call_name(src, c))]
    if lib == "requests" and re.search(r"(^|[\s\"'\[])tenacity\b", pins) and not others:
        dec = fn.parent if fn.parent is not None and fn.parent.type == "decorated_definition" else fn
        s = src.line_start(dec)
        ind = src.indent(dec)
        # with a timeout on the call only connection errors are retried (ConnectTimeout is one); a read
        # timeout is raised at once
        errors = "requests.ConnectionError" if timed else "(requests.ConnectionError, requests.Timeout)"
        line = (f"{ind}@retry(stop=stop_after_attempt(3), wait=wait_exponential_jitter(initial=0.1, max=2.0),\n"
                f"{ind}       retry=retry_if_exception_type({errors}), reraise=True)\n")
        main = _edit(src, s, s, line)
        imp = _imports_edit(src, ["from tenacity import retry, retry_if_exception_type, stop_after_attempt, "
                                  "wait_exponential_jitter"])
        return [main] + ([imp] if imp else []), (
            "Decorate it with tenacity (already a dependency): 3 tries, exponential backoff with jitter, on "
            + ("connection errors. " + _DEADLINE_NOTE if timed else "connection errors and timeouts."))
    if lib != "requests":
        return None
    fn_node = call.child_by_field_name("function")
    s, e = src.span(fn_node)
    edits = [_edit(src, s, e, f"{_RETRYING_NAME}.{verb}")]
    if module_binding(src, _RETRYING_NAME) is None:
        block = f"\n\n{_RETRYING_NAME} = requests.Session()\n{_mount_lines(chk, _RETRYING_NAME, timed)}"
        imp = _imports_edit(src, _ADAPTER_IMPORTS, extra=block)
        if imp is None:
            return None
        edits.append(imp)
    return edits, ("Send it through a module-level `requests.Session` with urllib3 `Retry`: 3 tries, exponential "
                   f"backoff with jitter, on connect errors, {_retried_reads(timed)}502/503/504, idempotent methods "
                   "only." + (" " + _DEADLINE_NOTE if timed else ""))


def blocking_io(chk: Any, fn: Any) -> list[Finding]:
    """Synchronous file I/O inside ``async def``: moved to a worker thread."""
    if not _is_async(fn):
        return []
    src = chk.src
    fname = _fn_name(src, fn)
    for node in _walk(fn.child_by_field_name("body")):
        if node.type == "with_statement":
            clause = next((c for c in node.children if c.type == "with_clause"), None)
            if clause is None or not re.match(r"\s*open\s*\(", src.t(clause)) or \
                    node.parent is None or node.parent.type != "block":
                continue
            body = node.child_by_field_name("body")
            if any(n.type in ("return_statement", "yield", "await", "break_statement", "continue_statement")
                   for n in [body, *_walk(body)]):
                continue
            edits = offload_statements(src, fn, [node], f"_{fname}_io")
            return [chk._finding(fn, node, "blocking-io-in-async", "other",
                                 f"Read and write files off the event loop in `async def {fname}`",
                                 f"`open(...)` in `async def {fname}` does blocking disk I/O on the event loop: while "
                                 "the disk (or a network file system) is slow, every request on this worker waits. "
                                 "Run it in a worker thread with `asyncio.to_thread`.", edits, 2.0)]
        if node.type == "call":
            f = node.child_by_field_name("function")
            if f is None or f.type != "attribute" or src.t(f.child_by_field_name("attribute")) not in _PATH_IO:
                continue
            if node.parent is not None and node.parent.type == "await":
                continue
            obj = src.t(f.child_by_field_name("object"))
            meth = src.t(f.child_by_field_name("attribute"))
            args = src.t(node.child_by_field_name("arguments"))[1:-1].strip()
            expr = f"await asyncio.to_thread({obj}.{meth}{', ' + args if args else ''})"
            if node.parent is not None and node.parent.type not in ("assignment", "expression_statement",
                                                                   "return_statement"):
                expr = f"({expr})"
            s, e = src.span(node)
            edits = [_edit(src, s, e, expr)]
            imp = _imports_edit(src, ["import asyncio"])
            return [chk._finding(fn, node, "blocking-io-in-async", "other",
                                 f"Run `{meth}` in a worker thread inside `async def {fname}`",
                                 f"`{meth}` reads or writes the disk synchronously: in `async def {fname}` it "
                                 "blocks the event loop and every concurrent request with it. Run it with "
                                 "`asyncio.to_thread`.", edits + ([imp] if imp else []), 2.0)]
    return []


def offload_statements(src: Any, fn: Any, block: list[Any], helper: str, exclude: frozenset = frozenset()) \
        -> list[Edit]:
    """Move consecutive statements of an ``async def`` into a local ``def`` run by ``asyncio.to_thread``;
    the names they assign that later code reads are returned from it."""
    from .rules_python import _assigned_names

    parent = block[0].parent
    stmts = list(parent.named_children)
    last = stmts.index(block[-1])
    assigned = set()
    for b in block:
        assigned |= _assigned_names(src, b)
    assigned -= exclude
    later = " ".join(src.t(s) for s in stmts[last + 1:])
    if parent is not fn.child_by_field_name("body"):
        # a nested block: whatever follows the enclosing statements may read the names too
        later += " " + src.t(fn.child_by_field_name("body"))[src.c(block[-1].end_byte) - src.c(
            fn.child_by_field_name("body").start_byte):]
    needed = sorted(n for n in assigned if re.search(rf"\b{re.escape(n)}\b", later))
    ind = src.indent(block[0])
    start = src.line_start(block[0])
    _, end = src.span(block[-1])
    moved = src.text[start:end]
    new = f"{ind}def {helper}():\n{_reindent(moved, '    ')}"
    if needed:
        ret = ", ".join(needed)
        new += f"\n{ind}    return {ret}\n\n{ind}{ret} = await asyncio.to_thread({helper})"
    else:
        new += f"\n\n{ind}await asyncio.to_thread({helper})"
    edits = [_edit(src, start, end, new)]
    imp = _imports_edit(src, ["import asyncio"])
    return edits + ([imp] if imp else [])


def imported_names(chk: Any) -> dict[str, set[str]]:
    """``{file: {"<module>:name"}}`` for the module-level names scoped code imports from other files of the
    project (``from .clients import inventory``), so their creation is checked too."""
    project: Project | None = chk.project
    if project is None:
        return {}
    scoped = " ".join(chk.src.t(f) for f in chk.scope())
    out: dict[str, set[str]] = {}
    for st in chk.src.tree.root_node.children:
        if st.type != "import_from_statement":
            continue
        for n in st.children_by_field_name("name"):
            local = n.child_by_field_name("alias") if n.type == "aliased_import" else n
            name = chk.src.t(local)
            if not re.search(rf"\b{re.escape(name)}\b", scoped):
                continue
            origin = imported_from(chk.src, name)
            rel = project.python_module(chk.src.rel, *origin) if origin else None
            if rel is not None and rel != chk.src.rel:
                real = chk.src.t(n.child_by_field_name("name")) if n.type == "aliased_import" else name
                out.setdefault(rel, set()).add(f"<module>:{real}")
    return out
