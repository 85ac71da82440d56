"""Python checks of the rules reviewer (tree-sitter), each with a concrete fix."""
from __future__ import annotations

import re
from typing import Any

from ._syntax import (Finding, Project, _Src, _add_kwarg, _edit, _enclosing_name, _fn_name, _call_name, _functions,
                      _is_async, _kwargs, _reindent, _statement_of, _walk, _with_imports)
from .rules_python_net import blocking_io, offload_statements, retried_functions, upstream_retry

_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream")
HTTP_CALLS = frozenset({f"{m}.{v}" for m in ("requests", "httpx") for v in _HTTP_VERBS}
                       | {"urllib.request.urlopen", "request.urlopen", "urlopen"})
CLIENT_CTORS = frozenset({"httpx.Client", "httpx.AsyncClient"})
_SESSION_CTOR = re.compile(r"(^|\.)(SessionLocal|Session|sessionmaker\(\)|scoped_session|connect|get_session)$",
                           re.IGNORECASE)
_DB_METHODS = frozenset({"commit", "query", "execute", "add", "refresh", "flush", "scalar", "scalars",
                         "get", "delete", "merge", "close", "rollback", "add_all", "fetchall", "fetchone"})
_REQUESTS_SESSION = frozenset({"requests.Session", "requests.session"})
# a call that reports the error: log.error(...), logger.exception(...), print(...), sentry_sdk.capture_exception(...)
# (not the bare word: `return {"error": str(exc)}` reports nothing)
_LOGGING = re.compile(r"(\b(log|logger|logging|sentry_sdk|structlog|traceback)\b\s*\.\s*\w+|"
                      r"\.\s*(exception|error|warning|warn|critical|fatal|info|debug)|"
                      r"\b(print|warn|capture_exception|capture_message|log_exception)|\b\w*log\w*)\s*\(",
                      re.IGNORECASE)


class Checker:
    """Runs every check on one file restricted to ``functions`` (names)."""

    def __init__(self, src: _Src, functions: set[str], timeout_s: float, blocking_helpers: frozenset = frozenset(),
                 project: Project | None = None, retried: frozenset = frozenset()):
        self.src = src
        self.functions = functions
        self.timeout_s = timeout_s
        # plain-def functions in the review scope (any file) that block: calling one from `async def` blocks too
        self.blocking_helpers = blocking_helpers
        self.project = project
        # functions a scoped caller already calls inside a retry loop (any file)
        self.retried = retried
        # module-level names of this file that scoped code in other files imports (``<module>:name``)
        self.module_names = {n.split(":", 1)[1] for n in functions if n.startswith("<module>:")}

    def blocking_functions(self) -> set[str]:
        """Names of the plain ``def`` functions in scope that make blocking calls themselves."""
        return {_fn_name(self.src, f) for f in self.scope() if not _is_async(f) and self._blocking_names(f)}

    def scope(self) -> list[Any]:
        fns = [f for f in _functions(self.src) if _fn_name(self.src, f) in self.functions]
        # functions nested in a scoped one are part of it (e.g. a helper moved off the event loop)
        nested = []
        for f in fns:
            nested += [n for n in _walk(f.child_by_field_name("body"), into_defs=True)
                       if n.type == "function_definition"]
        seen, out = set(), []
        for f in fns + nested:
            if f.id not in seen:
                seen.add(f.id)
                out.append(f)
        return out

    def run(self) -> list[Finding]:
        out: list[Finding] = []
        for fn in self.scope():
            for check in (self.client_timeout, self.http_timeout, self.dependency_errors, self.commit_rollback,
                          self.sync_handler,
                          self.blocking_db, self.blocking_calls, self.broad_except, self.retry_backoff,
                          self.upstream_retry, self.blocking_io):
                try:
                    out.extend(check(fn))
                except ValueError:  # no unique anchor: skip this finding rather than guess
                    continue
        out.extend(self.pools())
        out.extend(self.module_clients())
        return out

    def upstream_retry(self, fn: Any) -> list[Finding]:
        return upstream_retry(self, fn)

    def blocking_io(self, fn: Any) -> list[Finding]:
        return blocking_io(self, fn)

    def retried_functions(self) -> set[str]:
        return retried_functions(self)

    def _calls(self, fn: Any):
        body = fn.child_by_field_name("body")
        return [n for n in _walk(body) if n.type == "call"]

    def _finding(self, fn, node, kind, category, title, rationale, edits, weight) -> Finding:
        return Finding(kind, category, title, rationale, self.src.rel, _fn_name(self.src, fn),
                       node.start_point[0] + 1, edits, weight)

    def _requests_sessions(self, fn: Any) -> set[str]:
        """Names bound to a ``requests.Session()`` at module level or in ``fn`` (their calls take no default timeout)."""
        names = set()
        for n in [*self.src.tree.root_node.children, *_walk(fn.child_by_field_name("body"))]:
            if n.type == "expression_statement" and n.named_children and n.named_children[0].type == "assignment":
                left, right = n.named_children[0].child_by_field_name("left"), n.named_children[0].child_by_field_name("right")
                if left is not None and left.type == "identifier" and right is not None and right.type == "call" \
                        and _call_name(self.src, right) in _REQUESTS_SESSION:
                    names.add(self.src.t(left))
            elif n.type == "with_statement":
                names |= set(re.findall(r"requests\.[Ss]ession\(\)\s+as\s+(\w+)", self.src.t(n).split(":", 1)[0]))
        return names

    def _is_http_call(self, name: str, sessions: set[str]) -> bool:
        head, _, verb = name.rpartition(".")
        return name in HTTP_CALLS or (head in sessions and verb in _HTTP_VERBS)

    # -- timeouts
    def http_timeout(self, fn: Any) -> list[Finding]:
        out = []
        sessions = self._requests_sessions(fn)
        for call in self._calls(fn):
            name = _call_name(self.src, call)
            if not self._is_http_call(name, sessions):
                continue
            kw, splat = _kwargs(self.src, call)
            args = call.child_by_field_name("arguments")
            positional = [a for a in args.named_children if a.type not in ("keyword_argument", "comment")]
            if splat or any(a.type == "list_splat" for a in positional):
                continue
            if name.endswith("urlopen") and len(positional) >= 3:  # urlopen(url, data, timeout)
                continue
            t = f"{self.timeout_s:g}"
            if "timeout" in kw:
                if self.src.t(kw["timeout"].child_by_field_name("value")).strip() != "None":
                    continue
                s, e = self.src.span(kw["timeout"])
                edit = _edit(self.src, s, e, f"timeout={t}")
            else:
                s, e = self.src.span(args)
                edit = _edit(self.src, s, e, _add_kwarg(self.src.t(args), f"timeout={t}"))
            out.append(self._finding(
                fn, call, "http-timeout", "timeout", f"Bound `{name}` in `{_fn_name(self.src, fn)}` with a timeout",
                f"`{name}(...)` has no timeout, so a slow or silent dependency holds this request (and a worker) "
                f"for as long as the network does. A {t}s bound turns a hang into a fast, handled failure.",
                [edit], 3.0))
        return out

    def client_timeout(self, fn: Any) -> list[Finding]:
        out = []
        for call in self._calls(fn):
            name = _call_name(self.src, call)
            if name == "aiohttp.ClientSession":
                kw, splat = _kwargs(self.src, call)
                if "timeout" in kw or splat:
                    continue
                args = call.child_by_field_name("arguments")
                s, e = self.src.span(args)
                t = f"{self.timeout_s:g}"
                edit = _edit(self.src, s, e, _add_kwarg(self.src.t(args), f"timeout=aiohttp.ClientTimeout(total={t})"))
                out.append(self._finding(
                    fn, call, "client-timeout-none", "timeout", "Give `aiohttp.ClientSession` a total timeout",
                    "aiohttp's default total timeout is 5 minutes: a stalled dependency holds this request that "
                    f"long. Bound every call of the session ({t}s total).", [edit], 3.5))
                continue
            if name not in CLIENT_CTORS:
                continue
            kw, _ = _kwargs(self.src, call)
            if "timeout" not in kw or self.src.t(kw["timeout"].child_by_field_name("value")).strip() != "None":
                continue
            s, e = self.src.span(kw["timeout"])
            t = f"{self.timeout_s:g}"
            edit = _edit(self.src, s, e, f"timeout=httpx.Timeout({t}, connect={min(2.0, self.timeout_s):g})")
            out.append(self._finding(
                fn, call, "client-timeout-none", "timeout", f"Replace `{name}(timeout=None)` with a bounded timeout",
                f"`timeout=None` disables httpx's default 5s timeout: every call through this client can wait forever "
                f"on a slow dependency. Bound it ({t}s total, short connect).", [edit], 3.5))
        return out

    def module_clients(self) -> list[Finding]:
        """``client = httpx.Client(timeout=None)`` at module level, used by a function in scope."""
        out = []
        scoped = " ".join(self.src.t(f) for f in self.scope())
        for st in self.src.tree.root_node.children:
            a = st.named_children[0] if st.type == "expression_statement" and st.named_children else None
            if a is None or a.type != "assignment":
                continue
            left, call = a.child_by_field_name("left"), a.child_by_field_name("right")
            if left is None or left.type != "identifier" or call is None or call.type != "call":
                continue
            name, var = _call_name(self.src, call), self.src.t(left)
            if name not in CLIENT_CTORS or not (var in self.module_names or re.search(rf"\b{re.escape(var)}\b", scoped)):
                continue
            kw, _ = _kwargs(self.src, call)
            if "timeout" not in kw or self.src.t(kw["timeout"].child_by_field_name("value")).strip() != "None":
                continue
            s, e = self.src.span(kw["timeout"])
            t = f"{self.timeout_s:g}"
            edit = _edit(self.src, s, e, f"timeout=httpx.Timeout({t}, connect={min(2.0, self.timeout_s):g})")
            out.append(Finding(
                "client-timeout-none", "timeout", f"Replace `{name}(timeout=None)` of `{var}` with a bounded timeout",
                f"`{var} = {name}(timeout=None)` disables httpx's default 5s timeout: every call through `{var}` "
                f"can wait forever on a slow dependency. Bound it ({t}s total, short connect).",
                self.src.rel, "<module>", call.start_point[0] + 1, [edit], 3.5))
        return out

    # -- dependency failures
    def dependency_errors(self, fn: Any) -> list[Finding]:
        """A FastAPI handler whose outbound HTTP call can raise straight through as a 500."""
        imports = "\n".join(self.src.t(n) for n in self.src.tree.root_node.children
                              if n.type in ("import_statement", "import_from_statement"))
        if re.search(r"from fastapi(\.exceptions)? import [^\n]*\bHTTPException\b", imports):
            exc_name = "HTTPException"
        elif re.search(r"^import fastapi\b", imports, re.M):
            exc_name = "fastapi.HTTPException"
        else:
            return []
        for node in _walk(fn.child_by_field_name("body")):
            lib = None
            if node.type == "call":
                name = _call_name(self.src, node)
                if name in HTTP_CALLS and name.split(".")[0] in ("requests", "httpx"):
                    lib = name.split(".")[0]
            elif node.type == "with_statement":
                clause = next((c for c in node.children if c.type == "with_clause"), None)
                if clause is not None and re.search(r"\bhttpx\.(Async)?Client\(", self.src.t(clause)):
                    lib = "httpx"
            if lib is None:
                continue
            stmt = node if node.type == "with_statement" else _statement_of(node)
            if stmt.type in ("function_definition", "decorated_definition", "class_definition") or \
                    self._caught(stmt):
                continue
            timeout_exc, base_exc = (("requests.Timeout", "requests.RequestException") if lib == "requests"
                                     else ("httpx.TimeoutException", "httpx.HTTPError"))
            ind = self.src.indent(stmt)
            start = self.src.line_start(stmt)
            _, end = self.src.span(stmt)
            moved = self.src.text[start:end]
            new = (f"{ind}try:\n{_reindent(moved, '    ')}\n"
                   f"{ind}except {timeout_exc} as exc:\n"
                   f"{ind}    raise {exc_name}(status_code=504, detail=\"upstream timed out\") from exc\n"
                   f"{ind}except {base_exc} as exc:\n"
                   f"{ind}    raise {exc_name}(status_code=502, detail=\"upstream unavailable\") from exc")
            name = _fn_name(self.src, fn)
            return [self._finding(
                fn, stmt, "dependency-error", "other",
                f"Answer 504/502 when the upstream call in `{name}` times out or fails",
                f"When the dependency times out or refuses the connection, `{name}` lets the {lib} exception escape "
                "and the client gets an opaque 500. Map a timeout to 504 and other transport failures to 502, so "
                "callers (and their retry policies) can tell a slow dependency from a bug.",
                [_edit(self.src, start, end, new)], 2.0)]
        return []

    def _caught(self, stmt: Any) -> bool:
        p = stmt.parent
        while p is not None and p.type != "function_definition":
            if p.type == "try_statement":
                for clause in p.named_children:
                    if clause.type != "except_clause":
                        continue
                    head = self.src.t(clause).split(":", 1)[0]
                    if head.strip() == "except" or re.search(
                            r"\b(Exception|BaseException|RequestException|HTTPError|Timeout|TimeoutException|"
                            r"ConnectionError|TransportError|OSError)\b", head):
                        return True
            p = p.parent
        return False

    # -- transactions
    def commit_rollback(self, fn: Any) -> list[Finding]:
        out = []
        for call in self._calls(fn):
            name = _call_name(self.src, call)
            if not name.endswith(".commit") or name.count(".") != 1:
                continue
            recv = name.split(".")[0]
            if self._protected(call, recv):
                continue
            stmt = _statement_of(call)
            block = stmt.parent
            stmts = list(block.named_children)
            i_commit = stmts.index(stmt)
            i_first = None
            for i in range(i_commit, -1, -1):
                st = stmts[i]
                if st.type == "expression_statement" and st.named_children and st.named_children[0].type == "assignment" \
                        and self.src.t(st.named_children[0].child_by_field_name("left")) == recv:
                    i_first = i + 1
                    break
            if i_first is None:  # a session passed in: wrap from its first use in this block
                i_first = next(i for i in range(i_commit + 1) if _uses(self.src, stmts[i], recv))
            i_last = max(i for i in range(i_first, len(stmts)) if _uses(self.src, stmts[i], recv)) \
                if any(_uses(self.src, stmts[i], recv) for i in range(i_first, len(stmts))) else i_commit
            i_last = max(i_last, i_commit)
            body_stmts = stmts[i_first:i_last + 1]
            if any(_has(st, ("return_statement", "yield", "await")) for st in body_stmts[:-1]):
                continue
            close = None
            if self.src.t(body_stmts[-1]).strip() == f"{recv}.close()":
                close = body_stmts.pop()
            if not body_stmts:
                continue
            ind = self.src.indent(body_stmts[0])
            start = self.src.line_start(body_stmts[0])
            end_node = close or body_stmts[-1]
            _, end = self.src.span(end_node)
            inner_end = self.src.span(body_stmts[-1])[1]
            moved = self.src.text[start:inner_end]
            new = (f"{ind}try:\n{_reindent(moved, '    ')}\n{ind}except Exception:\n"
                   f"{ind}    {recv}.rollback()\n{ind}    raise")
            if close is not None:
                new += f"\n{ind}finally:\n{ind}    {recv}.close()"
            edit = _edit(self.src, start, end, new)
            out.append(self._finding(
                fn, call, "commit-no-rollback", "transaction",
                f"Roll back `{recv}` when the commit in `{_fn_name(self.src, fn)}` fails",
                f"`{recv}.commit()` runs without a transaction scope: if it (or anything before it) raises, the session "
                f"is left mid-transaction" + (" and is never closed" if close is not None else "") +
                ", holding a pooled connection and possibly locks. Roll back and re-raise"
                + (", and close in `finally`." if close is not None else "."), [edit], 2.5))
            break  # one per function per pass; the next pass sees the new text
        return out

    def _protected(self, node: Any, recv: str) -> bool:
        p = node.parent
        while p is not None and p.type != "function_definition":
            if p.type == "try_statement":
                for clause in p.named_children:
                    if clause.type in ("except_clause", "finally_clause") and "rollback" in self.src.t(clause):
                        return True
            if p.type == "with_statement":
                clause = next((c for c in p.children if c.type == "with_clause"), None)
                if clause is not None and recv in self.src.t(clause):
                    return True
            p = p.parent
        return False

    # -- blocking work inside async def
    def _blocking_names(self, fn: Any) -> list[str]:
        """Blocking calls made directly in ``fn``: sync HTTP, time.sleep, sync DB session work."""
        sessions = set()
        params = fn.child_by_field_name("parameters")
        for prm in (params.named_children if params is not None else []):
            txt = self.src.t(prm)
            if re.search(r"Depends\(|Session\b|session", txt):
                name = prm.child_by_field_name("name") or (prm.named_children[0] if prm.named_children else None)
                if name is not None and name.type == "identifier":
                    sessions.add(self.src.t(name))
        for st in _walk(fn.child_by_field_name("body")):
            if st.type == "expression_statement":
                recv = _session_assignment(self.src, st)
                if recv:
                    sessions.add(recv)
        out = []
        http_sessions = self._requests_sessions(fn)
        sessions -= http_sessions
        for call in self._calls(fn):
            name = _call_name(self.src, call)
            head, _, meth = name.rpartition(".")
            if name == "time.sleep" or (name in HTTP_CALLS and name.startswith(("requests.", "urllib", "urlopen"))) \
                    or (head in http_sessions and meth in _HTTP_VERBS) \
                    or (head in sessions and meth in _DB_METHODS) \
                    or (name.rpartition(".")[2] in self.blocking_helpers and not head
                        and (call.parent is None or call.parent.type != "await")):
                out.append(name)
        return out

    def sync_handler(self, fn: Any) -> list[Finding]:
        """An ``async def`` route handler that never awaits but blocks: plain ``def`` runs it in a thread pool."""
        if not _is_async(fn) or fn.parent is None or fn.parent.type != "decorated_definition":
            return []
        decorators = self.src.t(fn.parent)[: self.src.c(fn.start_byte) - self.src.c(fn.parent.start_byte)]
        if not re.search(r"@\w+\.(get|post|put|patch|delete|head|options|api_route|route)\(", decorators):
            return []
        body = fn.child_by_field_name("body")
        if _has(body, ("await",)) or re.search(r"\basync\s+(with|for)\b", self.src.t(body)):
            return []
        blocking = self._blocking_names(fn)
        if not blocking:
            return []
        name = _fn_name(self.src, fn)
        s = self.src.c(fn.start_byte)
        e = self.src.c(fn.child_by_field_name("name").end_byte)
        edit = _edit(self.src, s, e, f"def {name}")
        return [self._finding(
            fn, fn, "sync-work-in-async-handler", "other",
            f"Declare `{name}` with plain `def` so its blocking calls leave the event loop",
            f"`async def {name}` never awaits but calls blocking code ({', '.join(sorted(set(blocking)))}): it runs "
            "on the event loop, so while the database or network is slow every other request on the worker "
            "waits. FastAPI runs plain `def` handlers in its thread pool.", [edit], 3.0)]

    def blocking_db(self, fn: Any) -> list[Finding]:
        if not _is_async(fn):
            return []
        body = fn.child_by_field_name("body")
        stmts = list(body.named_children)
        for i, st in enumerate(stmts):
            recv = _session_assignment(self.src, st)
            if recv is None:
                continue
            last = max(j for j in range(i, len(stmts)) if _uses(self.src, stmts[j], recv))
            block = stmts[i:last + 1]
            if any(_has(b, ("return_statement", "yield", "await", "break_statement", "continue_statement"))
                   for b in block):
                continue
            edits = offload_statements(self.src, fn, block, f"_{_fn_name(self.src, fn)}_db_work",
                                       frozenset({recv}))
            return [self._finding(
                fn, st, "blocking-db-in-async", "other",
                f"Move the blocking database work of `async def {_fn_name(self.src, fn)}` off the event loop",
                f"`async def {_fn_name(self.src, fn)}` runs synchronous session work (`{recv}`) on the event loop: "
                "while the database is slow every other request served by this worker waits too. Run it in a "
                "worker thread with `asyncio.to_thread`.", edits, 3.0)]
        return []

    def blocking_calls(self, fn: Any) -> list[Finding]:
        if not _is_async(fn):
            return []
        out = []
        for call in self._calls(fn):
            name = _call_name(self.src, call)
            args = call.child_by_field_name("arguments")
            if name == "time.sleep":
                s, e = self.src.span(call)
                edits = _with_imports(self.src, _edit(self.src, s, e, f"await asyncio.sleep{self.src.t(args)}"),
                                      ["asyncio"])
                title = f"Use `await asyncio.sleep` in `async def {_fn_name(self.src, fn)}`"
                why = "`time.sleep` blocks the event loop: every request on this worker stalls for the duration."
            elif name in HTTP_CALLS and name.startswith("requests."):
                inner = self.src.t(args)[1:-1].strip()
                expr = f"await asyncio.to_thread({name}{', ' + inner if inner else ''})"
                if call.parent is not None and call.parent.type not in ("assignment", "expression_statement",
                                                                       "return_statement"):
                    expr = f"({expr})"
                s, e = self.src.span(call)
                edits = _with_imports(self.src, _edit(self.src, s, e, expr), ["asyncio"])
                title = f"Run blocking `{name}` in a thread inside `async def {_fn_name(self.src, fn)}`"
                why = (f"`{name}` is synchronous: inside `async def` it blocks the event loop for the whole network "
                       "round trip, so one slow dependency call stalls every concurrent request.")
            else:
                continue
            out.append(self._finding(fn, call, "blocking-call-in-async", "other", title, why, edits, 2.5))
            break
        return out

    # -- error handling
    def broad_except(self, fn: Any) -> list[Finding]:
        out = []
        for node in _walk(fn.child_by_field_name("body")):
            if node.type != "except_clause":
                continue
            head = self.src.t(node).split(":", 1)[0].strip()
            if head not in ("except", "except Exception", "except BaseException") and not re.fullmatch(
                    r"except (Exception|BaseException) as \w+", head):
                continue
            body = node.named_children[-1] if node.named_children else None
            if body is None or body.type != "block":
                continue
            btxt = self.src.t(body)
            if _has(body, ("raise_statement",)) or _LOGGING.search(btxt):
                continue
            first = body.named_children[0]
            ind = self.src.indent(first)
            s_head = self.src.c(node.start_byte)
            s_first = self.src.line_start(first)
            new_head = "except Exception:" if head == "except" else head + ":"
            between = self.src.text[s_head:s_first]
            new_between = new_head + between[len(head) + 1:] if between.startswith(head + ":") else between
            new = (f"{new_between}{ind}logging.getLogger(__name__).exception("
                   f"\"{_fn_name(self.src, fn)} failed\")\n")
            edits = _with_imports(self.src, _edit(self.src, s_head, s_first, new), ["logging"])
            out.append(self._finding(
                fn, node, "broad-except", "observability",
                f"Stop `{head}` in `{_fn_name(self.src, fn)}` from swallowing errors silently",
                "A broad except without a raise or a log hides the faults the scenarios inject: the endpoint "
                "answers as if nothing happened and nobody can see why. Log the exception (with its traceback).",
                edits, 1.5))
            break
        return out

    def retry_backoff(self, fn: Any) -> list[Finding]:
        out = []
        for loop in _walk(fn.child_by_field_name("body")):
            if loop.type != "for_statement":
                continue
            right = loop.child_by_field_name("right")
            left = loop.child_by_field_name("left")
            if right is None or not self.src.t(right).startswith("range(") or left.type != "identifier":
                continue
            body = loop.child_by_field_name("body")
            txt = self.src.t(body)
            if not _has(body, ("try_statement",)):
                continue
            handler = next((n for n in _walk(body) if n.type == "except_clause"), None)
            if handler is None or _has(handler, ("raise_statement",)) and "continue" not in self.src.t(handler):
                continue
            if "sleep" in txt:
                out.extend(self._constant_sleep(fn, loop, body))
                continue
            hbody = handler.named_children[-1]
            first = hbody.named_children[0]
            ind = self.src.indent(first)
            var = self.src.t(left)
            delay = f"min(0.1 * 2 ** {var}, 2.0) + random.uniform(0, 0.1)"
            line = f"await asyncio.sleep({delay})" if _is_async(fn) else f"time.sleep({delay})"
            start = self.src.line_start(first)
            edits = _with_imports(self.src, _edit(self.src, start, start, f"{ind}{line}\n"),
                                  ["random", "asyncio" if _is_async(fn) else "time"])
            out.append(self._finding(
                fn, loop, "retry-no-backoff", "retry", f"Back off between retries in `{_fn_name(self.src, fn)}`",
                "This retry loop tries again immediately: against an overloaded or rate-limited dependency it "
                "multiplies the load exactly when the dependency is struggling. Wait exponentially longer, with jitter.",
                edits, 2.0))
        return out

    def _constant_sleep(self, fn: Any, loop: Any, body: Any) -> list[Finding]:
        """``time.sleep(1)`` between attempts: every caller retries in lockstep, with no growth."""
        var = self.src.t(loop.child_by_field_name("left"))
        for call in _walk(body):
            if call.type != "call" or not _call_name(self.src, call).endswith("sleep"):
                continue
            args = call.child_by_field_name("arguments")
            vals = [a for a in args.named_children if a.type != "comment"] if args is not None else []
            if len(vals) != 1 or vals[0].type not in ("integer", "float"):
                return []  # a computed delay: assume it backs off
            base = self.src.t(vals[0])
            try:
                cap = f"{max(float(base) * 10, 2.0):g}"
            except ValueError:
                return []
            s, e = self.src.span(vals[0])
            edits = _with_imports(self.src, _edit(self.src, s, e,
                                                  f"min({base} * 2 ** {var}, {cap}) + random.uniform(0, 0.1)"),
                                  ["random"])
            return [self._finding(
                fn, loop, "retry-no-backoff", "retry", f"Back off between retries in `{_fn_name(self.src, fn)}`",
                f"This retry loop waits a constant {base}s between attempts: every caller retries in lockstep and "
                "the dependency gets no more room to recover on the third try than on the first. Wait exponentially "
                "longer, with jitter.", edits, 2.0)]
        return []

    # -- pools (module level of the scoped file)
    def pools(self) -> list[Finding]:
        out = []
        only_module = not any(not n.startswith("<module>:") for n in self.functions)
        for node in _walk(self.src.tree.root_node, into_defs=True):
            if node.type != "call":
                continue
            if only_module and _enclosing_name(self.src, node) != "<module>":
                continue  # the file is here for its module-level objects only
            name = _call_name(self.src, node)
            kw, _ = _kwargs(self.src, node)
            fix = None
            if name.endswith("create_engine") and "max_overflow" in kw and \
                    self.src.t(kw["max_overflow"].child_by_field_name("value")).strip() == "-1":
                fix, new = kw["max_overflow"], "max_overflow=10"
            elif name.endswith("create_engine") and "pool_size" in kw and \
                    self.src.t(kw["pool_size"].child_by_field_name("value")).strip() == "0":
                fix, new = kw["pool_size"], "pool_size=5"
            elif name.endswith("Limits") and "max_connections" in kw and \
                    self.src.t(kw["max_connections"].child_by_field_name("value")).strip() == "None":
                fix, new = kw["max_connections"], "max_connections=100"
            elif name.endswith("TCPConnector") and "limit" in kw and \
                    self.src.t(kw["limit"].child_by_field_name("value")).strip() == "0":
                fix, new = kw["limit"], "limit=100"
            if fix is None:
                continue
            s, e = self.src.span(fix)
            out.append(Finding("unbounded-pool", "pooling", f"Bound the connection pool of `{name}`",
                               "An unbounded pool lets a slow dependency pile up connections until the database or "
                               "the process runs out; a bound makes callers wait (or fail) instead.",
                               self.src.rel, _enclosing_name(self.src, node), node.start_point[0] + 1,
                               [_edit(self.src, s, e, new)], 1.5))
        return out


def _uses(src: _Src, node: Any, name: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", src.t(node)) is not None


def _has(node: Any, types: tuple) -> bool:
    if node.type in types:
        return True
    return any(_has(c, types) for c in node.children
               if c.type not in ("function_definition", "lambda", "class_definition"))


def _session_assignment(src: _Src, st: Any) -> str | None:
    if st.type != "expression_statement" or not st.named_children:
        return None
    a = st.named_children[0]
    if a.type != "assignment":
        return None
    left, right = a.child_by_field_name("left"), a.child_by_field_name("right")
    if left is None or right is None or left.type != "identifier" or right.type != "call":
        return None
    name = _call_name(src, right)
    if name.startswith(("requests.", "aiohttp.", "httpx.")):  # HTTP sessions, not database ones
        return None
    return src.t(left) if _SESSION_CTOR.search(name) else None


def _assigned_names(src: _Src, node: Any) -> set[str]:
    out = set()
    for n in [node, *_walk(node)]:
        if n.type == "assignment":
            left = n.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                out.add(src.t(left))
            elif left is not None and left.type in ("pattern_list", "tuple_pattern"):
                out |= {src.t(c) for c in left.named_children if c.type == "identifier"}
    return out
