"""From an operationId to its handler and a token-budgeted code context.

Mapping is exact where the framework says so (``how="route"``: method and
path match a declared route; ``"operation_id"``: the declared or FastAPI-
generated operationId matches), ``"fuzzy"`` only above a threshold and with
its score, and ``"unmapped"`` with the reason otherwise: never a silent guess.
"""
from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._endpoint_ids import derived_operation_id
from .._tokens import estimate_tokens
from ..errors import CodeIndexError, OpenAPIError, UnknownEndpointError
from .routes import HTTP_METHODS, Route, match_score, segments, url_path

if TYPE_CHECKING:  # pragma: no cover
    from .index import CodeIndex

FUZZY_THRESHOLD = 0.85  # 0.77 paired getUser with _getter in sqlalchemy: too loose
_FENCE = {"python": "python", "javascript": "javascript", "typescript": "typescript", "go": "go",
          "rust": "rust", "java": "java"}


@dataclass(frozen=True)
class HandlerMatch:
    """Where an endpoint is handled; ``how`` says how sure we are."""

    operation_id: str
    method: str | None
    path: str | None
    file: str | None
    function: str | None
    start_line: int
    end_line: int
    how: str  # route | operation_id | fuzzy | unmapped
    score: float
    framework: str | None
    reason: str

    @property
    def mapped(self) -> bool:
        return self.how != "unmapped"


@dataclass
class ContextChunk:
    """One piece of code in an endpoint's context and why it is there."""

    file: str
    start_line: int
    end_line: int
    symbol: str
    kind: str
    text: str
    reason: str
    score: float
    enclosing: str = ""  # signature of the enclosing class/impl, when the chunk is a member

    @classmethod
    def of(cls, c: Any, reason: str, score: float) -> "ContextChunk":
        return cls(c.file, c.start_line, c.end_line, c.symbol, c.kind, c.text, reason, score,
                   c.parent_signature if c.parent else "")


@dataclass
class EndpointContext:
    """The handler plus the code it depends on, within ``budget_tokens`` (estimated)."""

    handler: HandlerMatch
    chunks: list[ContextChunk]
    estimated_tokens: int
    budget_tokens: int
    dropped: list[ContextChunk] = field(default_factory=list)

    def to_prompt(self) -> str:
        """Markdown for an LLM: the endpoint, then each chunk with its path and line span."""
        h = self.handler
        lines = ["## Endpoint", f"operationId: {h.operation_id}"]
        if h.method or h.path:
            lines.append(f"request: {h.method or '?'} {h.path or '?'}")
        if h.mapped:
            lines.append(f"handler: {h.file}:{h.start_line}-{h.end_line} `{h.function}` "
                         f"({h.framework or 'unknown framework'}, mapped by {h.how}"
                         + (f", score {h.score:.2f}" if h.how == "fuzzy" else "") + ")")
        else:
            lines.append(f"handler: not found ({h.reason})")
        lines += ["", f"## Code context (estimated {self.estimated_tokens} tokens, budget {self.budget_tokens})"]
        for c in self.chunks:
            lines += ["", _render(c)]
        if self.dropped:
            lines += ["", f"({len(self.dropped)} more related chunk(s) left out to fit the budget: "
                      + ", ".join(f"{c.file}:{c.start_line} {c.symbol}" for c in self.dropped[:8]) + ")"]
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_prompt()

    def _repr_html_(self) -> str:
        # source text is untrusted: shown escaped, never as live markdown/HTML
        import html

        return f"<pre style='white-space:pre-wrap'>{html.escape(self.to_prompt())}</pre>"


def _render(c: ContextChunk) -> str:
    from .parsing import canonical_language, language_for_path

    grammar = language_for_path(c.file)
    fence = _FENCE.get(canonical_language(grammar) if grammar else "", "")
    span = f"line {c.start_line}" if c.start_line == c.end_line else f"lines {c.start_line}-{c.end_line}"
    longest = max((len(m) for m in re.findall(r"`+", c.text)), default=0)
    ticks = "`" * max(3, longest + 1)  # a fence the code itself cannot close
    inside = f"; in `{c.enclosing.rstrip('{:').strip()}`" if c.enclosing else ""
    return (f"### {c.file} {span}: {c.symbol} ({c.kind}{inside}; {c.reason})\n"
            f"{ticks}{fence}\n{c.text.rstrip()}\n{ticks}")


# ---------------------------------------------------------------- endpoints

def endpoints_from(source: Any) -> list[tuple[str, str, str]]:
    """Normalise endpoints: ``Results``, OpenAPI dict or file, results file, or a list of triples."""
    if hasattr(source, "endpoints") and not isinstance(source, (dict, list, tuple, str, os.PathLike)):
        frame = source.endpoints
        out = []
        for row in frame.to_dict("records"):
            opid = row.get("operation_id")
            if opid:
                out.append((str(opid), str(row.get("method") or "").upper(), str(row.get("url") or "")))
        return _unique(out)
    if isinstance(source, dict):
        if "paths" in source:
            return _from_openapi(source, "<memory>")
        from ..results import Results

        return endpoints_from(Results.from_dict(source))
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise CodeIndexError(f"endpoints file {path} does not exist")
        text = path.read_text("utf-8", errors="replace")
        try:
            data = json.loads(text)
        except ValueError:
            import yaml

            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise OpenAPIError(path, (), f"neither JSON nor YAML: {exc}") from None
        if isinstance(data, dict) and "paths" in data:
            return _from_openapi(data, str(path))
        from ..results import load_results

        return endpoints_from(load_results(path))
    if isinstance(source, (list, tuple)):
        out = []
        for i, item in enumerate(source):
            if isinstance(item, dict):
                item = (item.get("operation_id") or item.get("operationId"), item.get("method"), item.get("url"))
            if not isinstance(item, (list, tuple)) or len(item) != 3 or not item[0]:
                raise CodeIndexError(f"endpoints[{i}]: expected (operation_id, method, url), got {item!r}")
            out.append((str(item[0]), str(item[1] or "").upper(), str(item[2] or "")))
        return _unique(out)
    raise CodeIndexError(f"endpoints: expected Results, an OpenAPI dict/path or a list of "
                         f"(operation_id, method, url), got {type(source).__name__}")


def _from_openapi(doc: dict, file: str) -> list[tuple[str, str, str]]:
    if "swagger" in doc and "openapi" not in doc:  # same answer as scenario generation gives
        raise OpenAPIError(file, ["swagger"], f"Swagger {doc.get('swagger')} is not supported",
                           expected="an OpenAPI 3.0 or 3.1 document (convert it, e.g. with swagger2openapi)")
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        raise OpenAPIError(file, ["paths"], "not an object", expected="a mapping of path -> operations")
    out = []
    for p, ops in paths.items():
        if str(p).startswith("x-"):  # a specification extension, not a path
            continue
        if isinstance(ops, dict) and isinstance(ops.get("$ref"), str) and ops["$ref"].startswith("#/"):
            node: Any = doc  # a path item by reference (#/components/pathItems/...)
            for part in ops["$ref"][2:].split("/"):
                node = node.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(node, dict) else None
            ops = node if isinstance(node, dict) else {}
        if not isinstance(ops, dict):
            raise OpenAPIError(file, ["paths", p], "not an object", expected="a mapping of method -> operation")
        for method, op in ops.items():
            if method.lower() in HTTP_METHODS and isinstance(op, dict):
                # no operationId: the id scenario generation gives it (get_users_user_id), so the
                # operation_id in results from generated scenarios finds its endpoint here
                opid = op.get("operationId") or derived_operation_id(method, str(p))
                out.append((str(opid), method.upper(), p))
    return _unique(out)


def _unique(items: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    seen, out = set(), []
    for it in items:
        if it[0] not in seen:
            seen.add(it[0])
            out.append(it)
    return out


# ---------------------------------------------------------------- matching

def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


def _locate(index: "CodeIndex", r: Route) -> tuple[str, str, int, int, str]:
    """Where the handler's code is: (file, symbol, start, end, how the name was resolved)."""
    if r.start_line:
        return r.file, r.function, r.start_line, r.end_line, ""
    graph = index.graph
    probe = next((c for c in index.chunks if c.file == r.file), None)
    names = [r.function]
    view = re.match(r"([\w.]+)\.as_view\(", r.function)
    if view:  # Flask MethodView: add_url_rule("/x", view_func=Cls.as_view("x")) runs Cls.get / Cls.post ...
        names = [f"{view.group(1)}.{r.method.lower()}", view.group(1)]
    for name in names if probe is not None else []:
        hits, how = graph.resolve(probe, name)
        if hits:
            cs = [index.chunks[i] for i in hits]
            return cs[0].file, cs[0].symbol, min(c.start_line for c in cs), max(c.end_line for c in cs), how
    return r.file, r.function, 0, 0, ""


def _from_route(opid: str, method: str, url: str, index: "CodeIndex", r: Route, how: str, score: float,
                reason: str) -> HandlerMatch:
    file, fn, start, end, located = _locate(index, r)
    if located and located != "same file":
        reason += f"; handler {r.function!r} found {located}"
    if r.note:
        reason += f"; note: {r.note}"
    if not start:
        reason += f"; the handler {r.function!r} was not found in the indexed code"
    # the route's template (``/users/{user_id}``), not one concrete URL of the results
    return HandlerMatch(opid, method or r.method, r.path, file, fn, start, end, how, score, r.framework, reason)


def match_handler(index: "CodeIndex", opid: str) -> HandlerMatch:
    eps = index.endpoints
    ep = next((e for e in eps if e[0] == opid), None)
    routes = index.routes
    if ep is None:
        by_id = [r for r in routes if r.operation_id == opid]
        if not by_id:
            raise UnknownEndpointError(opid, [e[0] for e in eps])
        ep = (opid, by_id[0].method, by_id[0].path)
    _, method, url = ep
    method = (method or "").upper()

    if url and method:
        path = url_path(url)
        segs = segments(path)
        # a base path in front of the app's own routes (root_path, reverse proxy) is dropped step by step
        for drop in range(0, max(1, len(segs))):
            candidate = "/" + "/".join(segs[drop:]) + ("/" if path.endswith("/") and segs[drop:] else "")
            scored = []
            for r in routes:
                if r.method not in (method, "ALL"):
                    continue
                s = match_score(r.path, candidate)
                if s is not None:
                    scored.append((s + (0.5 if r.operation_id == opid else 0), r))
            if scored:
                scored.sort(key=lambda x: -x[0])
                best = scored[0][1]
                others = [r for s, r in scored[1:] if s == scored[0][0] and (r.file, r.function) != (best.file, best.function)]
                reason = f"{method} {path} matches route {best.method} {best.path} declared in {best.file}"
                if drop:
                    reason += f" (after dropping the base path /{'/'.join(segs[:drop])})"
                if best.operation_id and best.operation_id != opid:
                    reason += f"; the route's own operationId is {best.operation_id}"
                if others:
                    reason += "; also matched by " + ", ".join(f"{r.file}:{r.function}" for r in others)
                return _from_route(opid, method, url, index, best, "route", 1.0 if not drop else 0.9, reason)
            if drop >= len(segs) - 1:
                break

    by_id = [r for r in routes if r.operation_id == opid]
    if by_id:
        r = by_id[0]
        kind = "declared" if r.explicit_operation_id else "FastAPI-generated"
        return _from_route(opid, method, url, index, r, "operation_id", 1.0,
                           f"{kind} operationId of route {r.method} {r.path} in {r.file}")

    # fuzzy: only above a threshold, and said so
    target = _norm(opid)
    best_score, best = 0.0, None
    sm = difflib.SequenceMatcher(None, "", target)  # target as seq2: its index is built once

    def score(cand: str) -> float:
        sm.set_seq1(_norm(cand))
        # cheap upper bounds first: most of a big repo is far from the operationId
        if sm.real_quick_ratio() <= best_score or sm.quick_ratio() <= best_score:
            return 0.0
        return sm.ratio()

    for r in routes:
        if method and r.method not in (method, "ALL"):
            continue
        for cand in (r.function, f"{r.function}{r.path}", f"{r.method}{r.path}"):
            s = score(cand)
            if s > best_score:
                best_score, best = s, ("route", r)
    if not routes:
        seen: set[str] = set()
        for c in index.chunks:
            name = c.symbol.rsplit(".", 1)[-1]
            if c.kind in ("function", "method") and name not in seen:
                seen.add(name)
                s = score(name)
                if s > best_score:
                    best_score, best = s, ("chunk", c)
    if best is not None and best_score >= FUZZY_THRESHOLD:
        kind, obj = best
        if kind == "route":
            return _from_route(opid, method, url, index, obj, "fuzzy", round(best_score, 3),
                               f"no route matches {method} {url_path(url) if url else '?'}; closest by name")
        return HandlerMatch(opid, method or None, url_path(url) if url else None, obj.file, obj.symbol,
                            obj.start_line, obj.end_line, "fuzzy", round(best_score, 3), None,
                            "no routes found; function name closest to the operationId")
    frameworks = sorted({r.framework for r in routes})
    if routes:
        reason = (f"no route matches {method or '?'} {url_path(url) if url else '?'} among {len(routes)} "
                  f"routes ({', '.join(frameworks)})")
    else:
        reason = "no FastAPI/Flask/Express routes found in the indexed code"
    if best is not None:
        name = best[1].function if best[0] == "route" else best[1].symbol
        reason += f"; closest name {name!r} scored {best_score:.2f} < {FUZZY_THRESHOLD}"
    return HandlerMatch(opid, method or None, url_path(url) if url else None, None, None, 0, 0, "unmapped",
                        0.0, None, reason)


# ---------------------------------------------------------------- context

def build_context(index: "CodeIndex", opid: str, budget: int) -> EndpointContext:
    h = index.handler_for(opid)
    chunks = index.chunks
    picked: list[ContextChunk] = []
    dropped: list[ContextChunk] = []
    used = estimate_tokens(f"## Endpoint\n{h.operation_id} {h.method} {h.path}\n") + 20
    taken: set[int] = set()

    def add(c: ContextChunk, force: bool = False) -> bool:
        nonlocal used
        cost = estimate_tokens(_render(c)) + 2
        if used + cost > budget and not force:
            dropped.append(c)
            return False
        if used + cost > budget:  # the handler always goes in, cut to what fits
            keep = max(1, budget - used - 40)
            lines, acc = [], 0
            for line in c.text.splitlines():
                acc += estimate_tokens(line) + 1
                if acc > keep:
                    break
                lines.append(line)
            c.text = "\n".join(lines) + "\n... (truncated to the token budget)"
            c.end_line = c.start_line + max(0, len(lines) - 1)
            cost = estimate_tokens(_render(c)) + 2
        picked.append(c)
        used += cost
        return True

    handler_idx: list[int] = []
    if h.mapped and h.file:
        handler_idx = [i for i, c in enumerate(chunks)
                       if c.file == h.file and c.start_line <= h.end_line and c.end_line >= h.start_line
                       and c.kind not in ("imports",) and (c.kind != "module" or h.start_line == c.start_line)]
        if not handler_idx:
            text = "\n".join(index.file_text(h.file).splitlines()[h.start_line - 1:h.end_line])
            add(ContextChunk(h.file, h.start_line, h.end_line, h.function or "?", "function", text, "handler", 1.0),
                force=True)
        for i in handler_idx:
            c = chunks[i]
            taken.add(i)
            add(ContextChunk.of(c, "handler", 1.0),
                force=True)
        for i, c in enumerate(chunks):  # the file's imports: what the handler's names are
            if c.file == h.file and c.kind == "imports" and i not in taken:
                taken.add(i)
                add(ContextChunk(c.file, c.start_line, c.end_line, c.symbol, c.kind, c.text,
                                 "imports of the handler's file", 0.95))

    reached = index.graph.reach(handler_idx, depth=3) if handler_idx else {}
    for i, (score, why, depth) in sorted(reached.items(), key=lambda kv: (-kv[1][0], kv[1][2], kv[0])):
        if i in taken:
            continue
        c = chunks[i]
        taken.add(i)
        add(ContextChunk.of(c, why, round(score, 3)))

    query = " ".join(filter(None, [h.operation_id, h.method, h.path, h.function]))
    if handler_idx:
        refs = set()
        for i in handler_idx:
            refs.update(chunks[i].references[:40])
        query += " " + " ".join(sorted(refs))
    if index.chunks:
        for rank, (i, score) in enumerate(index._search(query, 8)):
            c = chunks[i]
            if i in taken:
                continue
            taken.add(i)
            add(ContextChunk.of(c, f"related (hybrid search rank {rank + 1})", round(0.3 / (1 + rank), 3)))
    return EndpointContext(h, picked, used, budget, dropped)
