"""The offline rules reviewer: tree-sitter checks with concrete, verified fixes.

Used when no LLM is configured; every output says so ("offline rules
reviewer (no LLM)"). The checks look only at the endpoint's handler and the
functions it calls (the scope comes from ``CodeIndex.context_for``), and their
findings are ranked by the endpoint's scenario evidence.

Fixes are found and applied one at a time: after each fix the file is parsed
again and the checks re-run on the new text, so overlapping fixes (a commit
wrapped in try/rollback, then the whole DB block moved off the event loop)
compose, each diff based on the result of the previous one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .edits import Edit, Workspace

_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream")
HTTP_CALLS = frozenset({f"{m}.{v}" for m in ("requests", "httpx") for v in _HTTP_VERBS}
                       | {"urllib.request.urlopen", "request.urlopen", "urlopen"})
CLIENT_CTORS = frozenset({"httpx.Client", "httpx.AsyncClient"})
_SESSION_CTOR = re.compile(r"(^|\.)(SessionLocal|Session|sessionmaker\(\)|scoped_session|connect|get_session)$",
                           re.IGNORECASE)
_DB_METHODS = frozenset({"commit", "query", "execute", "add", "refresh", "flush", "scalar", "scalars",
                         "get", "delete", "merge", "close", "rollback", "add_all", "fetchall", "fetchone"})
_LOGGING = re.compile(r"\b(log|logger|logging|exception|warn|warning|error|print|sentry_sdk|capture_exception)\b")


@dataclass
class Finding:
    kind: str
    category: str
    title: str
    rationale: str
    file: str
    function: str
    line: int
    edits: list[Edit] = field(default_factory=list)
    weight: float = 1.0

    @property
    def key(self) -> tuple:
        # the anchor text tells two findings of one kind apart; a fix that failed keeps it, so it is not retried
        return (self.kind, self.file, self.function, self.title, self.edits[0].find if self.edits else "")


# ---------------------------------------------------------------- tree helpers

class _Src:
    """One file's text with tree-sitter tree and byte->str offset mapping."""

    def __init__(self, rel: str, text: str, grammar: str = "python"):
        from ..code.parsing import parse

        self.rel = rel
        self.text = text
        self.bytes = text.encode("utf-8")
        self.ascii = len(self.bytes) == len(text)
        self.tree = parse(grammar, self.bytes)

    def c(self, b: int) -> int:
        return b if self.ascii else len(self.bytes[:b].decode("utf-8", "ignore"))

    def t(self, node: Any) -> str:
        return self.bytes[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def span(self, node: Any) -> tuple[int, int]:
        return self.c(node.start_byte), self.c(node.end_byte)

    def line_start(self, node: Any) -> int:
        start = self.c(node.start_byte)
        return self.text.rfind("\n", 0, start) + 1

    def indent(self, node: Any) -> str:
        ls = self.line_start(node)
        return re.match(r"[ \t]*", self.text[ls:]).group(0)


def _walk(node: Any, *, into_defs: bool = False):
    """Descendants of ``node``, not entering nested function/class/lambda bodies."""
    for child in node.children:
        yield child
        if not into_defs and child.type in ("function_definition", "class_definition", "lambda",
                                            "decorated_definition"):
            continue
        yield from _walk(child, into_defs=into_defs)


def _is_async(fn: Any) -> bool:
    return any(ch.type == "async" for ch in fn.children)


def _functions(src: _Src) -> list[Any]:
    out = []
    stack = [src.tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            out.append(node)
        stack.extend(node.children)
    return out


def _fn_name(src: _Src, fn: Any) -> str:
    name = fn.child_by_field_name("name")
    return src.t(name) if name is not None else ""


def _call_name(src: _Src, call: Any) -> str:
    fn = call.child_by_field_name("function")
    return re.sub(r"\s+", "", src.t(fn)) if fn is not None else ""


def _kwargs(src: _Src, call: Any) -> tuple[dict[str, Any], bool]:
    """Keyword arguments of a call, and whether it has ``**kwargs`` (unknown keywords)."""
    args = call.child_by_field_name("arguments")
    out: dict[str, Any] = {}
    splat = False
    if args is None:
        return out, splat
    for a in args.named_children:
        if a.type == "keyword_argument":
            out[src.t(a.child_by_field_name("name"))] = a
        elif a.type == "dictionary_splat":
            splat = True
    return out, splat


def _statement_of(node: Any) -> Any:
    """The statement (child of a ``block`` or the module) that contains ``node``."""
    while node.parent is not None and node.parent.type not in ("block", "module"):
        node = node.parent
    return node


def _anchor(text: str, start: int, end: int, new_mid: str) -> tuple[str, str]:
    """find/replace texts for replacing text[start:end], widened until ``find`` is unique."""
    find = text[start:end]
    if find and text.count(find) == 1:
        return find, new_mid
    ls = text.rfind("\n", 0, start) + 1
    le = text.find("\n", end)
    le = len(text) if le < 0 else le + 1
    while True:
        find = text[ls:le]
        if text.count(find) == 1:
            return find, text[ls:start] + new_mid + text[end:le]
        if ls > 0:
            ls = text.rfind("\n", 0, ls - 1) + 1
        elif le < len(text):
            nxt = text.find("\n", le)
            le = len(text) if nxt < 0 else nxt + 1
        else:
            raise ValueError("no unique anchor")


def _edit(src: _Src, start: int, end: int, new_mid: str) -> Edit:
    find, replace = _anchor(src.text, start, end, new_mid)
    return Edit(src.rel, find, replace)


def _import_edit(src: _Src, module: str) -> Edit | None:
    """An edit adding ``import module`` after the last top-level import, unless present."""
    if re.search(rf"^import {re.escape(module)}\s*$", src.text, re.M):
        return None
    last = None
    for node in src.tree.root_node.children:
        if node.type in ("import_statement", "import_from_statement", "future_import_statement"):
            last = node
    if last is None:
        return Edit(src.rel, src.text.split("\n", 1)[0] + "\n",
                    f"import {module}\n" + src.text.split("\n", 1)[0] + "\n") if src.text.count(
            src.text.split("\n", 1)[0] + "\n") == 1 else None
    _, end = src.span(last)
    le = src.text.find("\n", end)
    le = len(src.text) if le < 0 else le
    return _edit(src, end, le, f"\nimport {module}")


def _reindent(block: str, extra: str) -> str:
    return "".join((extra + ln) if ln.strip() else ln for ln in block.splitlines(keepends=True))


def _with_imports(src: _Src, main: Edit, modules: list[str]) -> list[Edit]:
    edits = [main]
    for m in modules:
        e = _import_edit(src, m)
        if e is not None:
            edits.append(e)
    return edits


# ---------------------------------------------------------------- checks

class Checker:
    """Runs every check on one file restricted to ``functions`` (names)."""

    def __init__(self, src: _Src, functions: set[str], timeout_s: float):
        self.src = src
        self.functions = functions
        self.timeout_s = timeout_s

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
            for check in (self.client_timeout, self.http_timeout, self.commit_rollback, self.sync_handler,
                          self.blocking_db, self.blocking_calls, self.broad_except, self.retry_backoff):
                try:
                    out.extend(check(fn))
                except ValueError:  # no unique anchor: skip this finding rather than guess
                    continue
        out.extend(self.pools())
        return out

    def _calls(self, fn: Any):
        body = fn.child_by_field_name("body")
        return [n for n in _walk(body) if n.type == "call"]

    def _finding(self, fn, node, kind, category, title, rationale, edits, weight) -> Finding:
        return Finding(kind, category, title, rationale, self.src.rel, _fn_name(self.src, fn),
                       node.start_point[0] + 1, edits, weight)

    # -- timeouts
    def http_timeout(self, fn: Any) -> list[Finding]:
        out = []
        for call in self._calls(fn):
            name = _call_name(self.src, call)
            if name not in HTTP_CALLS:
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
        for call in self._calls(fn):
            name = _call_name(self.src, call)
            head, _, meth = name.rpartition(".")
            if name == "time.sleep" or (name in HTTP_CALLS and name.startswith(("requests.", "urllib", "urlopen"))) \
                    or (head in sessions and meth in _DB_METHODS):
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
            assigned = set()
            for b in block:
                assigned |= _assigned_names(self.src, b)
            later = " ".join(self.src.t(s) for s in stmts[last + 1:])
            needed = sorted(n for n in assigned - {recv} if re.search(rf"\b{re.escape(n)}\b", later))
            ind = self.src.indent(block[0])
            start = self.src.line_start(block[0])
            _, end = self.src.span(block[-1])
            helper = f"_{_fn_name(self.src, fn)}_db_work"
            moved = self.src.text[start:end]
            ret = ", ".join(needed)
            new = f"{ind}def {helper}():\n{_reindent(moved, '    ')}"
            if needed:
                new += f"\n{ind}    return {ret}"
                new += f"\n\n{ind}{ret} = await asyncio.to_thread({helper})"
            else:
                new += f"\n\n{ind}await asyncio.to_thread({helper})"
            edits = _with_imports(self.src, _edit(self.src, start, end, new), ["asyncio"])
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
            if "sleep" in txt or not _has(body, ("try_statement",)):
                continue
            handler = next((n for n in _walk(body) if n.type == "except_clause"), None)
            if handler is None or _has(handler, ("raise_statement",)) and "continue" not in self.src.t(handler):
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

    # -- pools (module level of the scoped file)
    def pools(self) -> list[Finding]:
        out = []
        for node in _walk(self.src.tree.root_node, into_defs=True):
            if node.type != "call":
                continue
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
            if fix is None:
                continue
            s, e = self.src.span(fix)
            out.append(Finding("unbounded-pool", "pooling", f"Bound the connection pool of `{name}`",
                               "An unbounded pool lets a slow dependency pile up connections until the database or "
                               "the process runs out; a bound makes callers wait (or fail) instead.",
                               self.src.rel, "<module>", node.start_point[0] + 1, [_edit(self.src, s, e, new)], 1.5))
        return out


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


def _add_kwarg(args_text: str, kwarg: str) -> str:
    inner = args_text[1:-1]
    if not inner.strip():
        return f"({kwarg})"
    if "\n" in inner:
        body = inner.rstrip()
        tail = inner[len(body):]
        last_line = body.rsplit("\n", 1)[-1]
        ind = re.match(r"[ \t]*", last_line).group(0)
        sep = "" if body.endswith(",") else ","
        return f"({body}{sep}\n{ind}{kwarg},{tail})"
    body = inner.rstrip()
    return f"({body}{' ' if body.endswith(',') else ', '}{kwarg})"


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
    return src.t(left) if _SESSION_CTOR.search(_call_name(src, right)) else None


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


# ---------------------------------------------------------------- driver

_ORDER = ("client-timeout-none", "http-timeout", "fetch-timeout", "commit-no-rollback", "sync-work-in-async-handler",
          "blocking-db-in-async",
          "blocking-call-in-async", "broad-except", "retry-no-backoff", "unbounded-pool")


@dataclass
class RuleResult:
    finding: Finding
    sid: str
    ok: bool
    diff: str
    error: str
    dependencies: list[str]


def run_rules(source_dir: str | Path, scope: dict[str, set[str]], *, timeout_s: float = 5.0,
              workspace: Workspace | None = None, max_fixes: int = 50) -> list[RuleResult]:
    """Run the checks on ``scope`` ({relative file: function names}) and fix findings one by one.

    >>> [r.finding.kind for r in run_rules("apps/orders", {"app.py": {"stock"}})]  # doctest: +SKIP
    ['http-timeout']
    """
    ws = workspace or Workspace(source_dir)
    done: set[tuple] = set()
    out: list[RuleResult] = []
    for rel, names in sorted(scope.items()):
        grammar = "python" if rel.endswith((".py", ".pyi")) else _JS_EXT.get(Path(rel).suffix.lower())
        if grammar is None:
            continue
        for _ in range(max_fixes):
            if grammar == "python":
                src = _Src(rel, ws.text(rel))
                found = Checker(src, names, timeout_s).run()
            else:
                found = js_findings(_Src(rel, ws.text(rel), grammar), names, timeout_s)
            findings = [f for f in found if f.key not in done]
            if not findings:
                break
            findings.sort(key=lambda f: (_ORDER.index(f.kind), f.line))
            f = findings[0]
            done.add(f.key)
            sid = f"s{len(out) + 1}"
            res = ws.propose(sid, f.edits)
            out.append(RuleResult(f, sid, res.ok, res.diff, res.error, res.dependencies))
    return out


def evidence_weight(kind_category: str, evidence: dict) -> tuple[float, list[str]]:
    """How strongly the scenario evidence supports a category, and the evidence ids that do."""
    rows = evidence.get("rows") or []
    slo = evidence.get("slo") or []
    base = next((r for r in rows if r["fault"] == "none"), None)
    base_p95 = (base or {}).get("p95_ms") or 0.0
    ids: list[str] = []
    score = 0.0
    for r in rows:
        slow = (r.get("p95_ms") or 0) > max(2 * base_p95, base_p95 + 200)
        bad = r["error_rate"] + r["timeout_rate"] + r["http_5xx_rate"]
        if kind_category in ("timeout", "other") and (slow or r["timeout_rate"] > 0 or "latency" in r["fault"]
                                                     or "blackhole" in r["fault"]):
            ids.append(r["id"])
            score += 1 + r["timeout_rate"] + (1 if slow else 0)
        elif kind_category in ("transaction", "retry", "observability", "circuit-breaker") and bad > 0:
            ids.append(r["id"])
            score += 1 + bad
        elif kind_category == "pooling" and (slow or bad > 0):
            ids.append(r["id"])
            score += 0.5
    for s in slo:
        if not s["pass"] and (kind_category in ("timeout", "other") and s.get("unit") == "ms"
                              or kind_category != "timeout" and s.get("unit") == "%"):
            ids.append(s["id"])
            score += 2
    return score, ids


def findings_scope(index: Any, operation_id: str, budget_tokens: int = 6000) -> tuple[dict[str, set[str]], dict]:
    """``({file: function names}, handler info)`` for an endpoint, from the code index."""
    match = index.handler_for(operation_id)
    handler = {k: getattr(match, k, None) for k in ("file", "function", "start_line", "end_line", "how",
                                                    "framework", "reason", "score")}
    scope: dict[str, set[str]] = {}
    if not match.file or match.how == "unmapped":
        return scope, handler
    root = Path(index.source_dir).resolve()

    def rel(path: str) -> str:
        p = Path(path)
        return (p.resolve().relative_to(root) if p.is_absolute() else p).as_posix()

    if match.function:
        names = scope.setdefault(rel(match.file), set())
        names.add(str(match.function).split(".")[-1])
        if match.start_line and match.end_line:
            names.add(f"L{match.start_line}-{match.end_line}")
    try:
        ctx = index.context_for(operation_id, budget_tokens=budget_tokens)
        chunks = ctx.chunks
    except Exception:  # the handler alone still gives a useful review
        chunks = []
    for ch in chunks:
        reason = (ch.reason or "").lower()
        # only what the handler reaches; "related" chunks from search are context, not scope
        if reason.startswith("related") or (ch.kind or "") not in ("function", "method"):
            continue
        if reason.startswith(("handler", "called", "calls", "uses")):
            names = scope.setdefault(rel(ch.file), set())
            names.add(str(ch.symbol).split(".")[-1])
            names.add(f"L{ch.start_line}-{ch.end_line}")  # anonymous handlers (Express) are found by lines
    handler["file"] = rel(match.file)
    return scope, handler


def rank_results(results: list[RuleResult], evidence: dict) -> list[tuple[RuleResult, float, list[str]]]:
    """Order by evidence-weighted score, keeping every dependency before its dependents."""
    scored = {}
    for r in results:
        w, ids = evidence_weight(r.finding.category, evidence)
        scored[r.sid] = (r, r.finding.weight * (1 + w), ids)
    remaining = dict(scored)
    out = []
    while remaining:
        ready = [v for k, v in remaining.items() if all(d not in remaining for d in v[0].dependencies)]
        if not ready:  # a cycle cannot happen (deps point backwards) but never loop forever
            ready = list(remaining.values())
        best = max(ready, key=lambda v: v[1])
        out.append(best)
        del remaining[best[0].sid]
    return out

