"""Which chunks a handler reaches: calls and module-level names, resolved through imports.

Resolution order for a name used in a chunk: ``self.x``/``this.x`` in the
enclosing class, a definition in the same file, an imported name (followed to
the file that defines it), ``module.attr`` / ``Class.method`` through an
import, and last a repo-wide name defined exactly once (labelled "by name",
because the receiver type is unknown).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .chunker import Chunk
from .symbols import ModuleTable

_JS = ("javascript", "typescript", "tsx")
# too generic to resolve by name alone
_COMMON = frozenset({"get", "set", "run", "add", "close", "open", "read", "write", "update", "send", "json",
                     "append", "extend", "items", "keys", "values", "format", "join", "split", "len",
                     "str", "int", "dict", "list", "print", "first", "all", "filter", "query", "commit",
                     "execute", "__init__", "init", "new", "main", "log", "error", "find", "then"})


@dataclass
class Edge:
    target: int
    why: str  # "calls x" / "uses x"
    weight: float


class CallGraph:
    """Resolves names to chunk indices and walks from a handler."""

    def __init__(self, chunks: list[Chunk], files: dict[str, dict], table: ModuleTable):
        self.chunks = chunks
        self.files = files
        self.table = table
        self.by_file: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.by_name: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for i, c in enumerate(chunks):
            if c.kind == "imports":
                continue
            names = set(c.defines) | {c.symbol}
            for n in names:
                if n and not n.startswith("<"):
                    self.by_file[(c.file, n)].append(i)
                    short = n.rsplit(".", 1)[-1]
                    self.by_name[short].add((c.file, n))
        self._edges: dict[int, list[Edge]] = {}
        # self.x / this.x field types, shared by every method of the class
        self.fields: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        for c in chunks:
            owner = c.parent or (c.symbol if c.kind == "class" else None)
            for k, v in c.var_types.items():
                if owner and k.startswith(("self.", "this.")):
                    self.fields[(c.file, owner)].setdefault(k, v)

    def lookup(self, file: str, name: str) -> list[int]:
        return self.by_file.get((file, name), [])

    def _imported(self, file: str, local: str) -> tuple[str | None, str | None]:
        f = self.files.get(file) or {}
        imp = (f.get("imports") or {}).get(local)
        if imp is None:
            return None, None
        lang = f.get("lang")
        target, name = self.table.resolve_import(imp, lang)
        if target is not None and name is not None and lang in _JS:
            exports = (self.files.get(target) or {}).get("exports") or {}
            name = exports.get(name, name)
        return target, name

    def resolve(self, chunk: Chunk, name: str, *, allow_by_name: bool = True) -> tuple[list[int], str]:
        """Chunk indices ``name`` refers to from ``chunk`` and how it was resolved."""
        parts = [p for p in name.split(".") if p]
        if not parts:
            return [], ""
        head = parts[0]
        f = chunk.file
        if head in ("self", "this", "cls", "super") and len(parts) >= 2 and chunk.parent:
            hits = self.lookup(f, f"{chunk.parent}.{parts[1]}")
            if hits:
                return hits, "method of the same class"
            cls = self.fields.get((f, chunk.parent), {}).get(f"{head}.{parts[1]}")
            if cls is not None and len(parts) >= 3:  # this.users.findOne() with users: UsersService
                hits = self._method_of(chunk, cls, parts[2])
                if hits:
                    return hits, f"method of {cls}, the type of {head}.{parts[1]}"
        elif len(parts) == 1:
            hits = [i for i in self.lookup(f, head)]
            if hits:
                return hits, "same file"
            target, tname = self._imported(f, head)
            if target is not None and tname is not None:
                hits = self.lookup(target, tname)
                if hits:
                    return hits, f"imported from {target}"
        else:
            cls = chunk.var_types.get(head)
            if cls is not None:  # repo = UserRepo(db); repo.get(...) -> UserRepo.get
                hits = self._method_of(chunk, cls, parts[1])
                if hits:
                    return hits, f"method of {cls}"
            # Class.method in this file, or module.attr / Class.method via an import
            hits = self.lookup(f, f"{head}.{parts[1]}")
            if hits:
                return hits, "same file"
            target, tname = self._imported(f, head)
            if target is not None:
                key = parts[1] if tname is None else f"{tname}.{parts[1]}"
                hits = self.lookup(target, key)
                if not hits and tname == "default":
                    # CommonJS: `const svc = require('./svc')` with `module.exports = { find }`
                    exports = (self.files.get(target) or {}).get("exports") or {}
                    hits = self.lookup(target, exports.get(parts[1], parts[1])) if parts[1] in exports else []
                if hits:
                    return hits, f"imported from {target}"
        if allow_by_name:
            last = parts[-1]
            defs = self.by_name.get(last, set())
            if len(defs) == 1 and last not in _COMMON and len(last) > 3:
                file, full = next(iter(defs))
                return self.lookup(file, full), "by name (receiver not resolved)"
        return [], ""

    def _method_of(self, chunk: Chunk, cls: str, method: str) -> list[int]:
        owner, _ = self.resolve(chunk, cls, allow_by_name=True)
        for i in owner:
            c = self.chunks[i]
            if c.kind in ("class", "interface"):
                hits = self.lookup(c.file, f"{c.symbol}.{method}")
                if hits:
                    return hits
        return []

    def edges(self, idx: int) -> list[Edge]:
        if idx in self._edges:
            return self._edges[idx]
        c = self.chunks[idx]
        out: dict[int, Edge] = {}
        for call in c.calls:
            hits, how = self.resolve(c, call)
            for h in hits:
                if h != idx and h not in out:
                    out[h] = Edge(h, f"called as {call}() ({how})", 1.0 if "by name" not in how else 0.6)
        for ref in c.references:
            hits, how = self.resolve(c, ref, allow_by_name=False)
            for h in hits:
                if h != idx and h not in out:
                    out[h] = Edge(h, f"uses {ref} ({how})", 0.8)
        self._edges[idx] = list(out.values())
        return self._edges[idx]

    def reach(self, start: list[int], depth: int = 3) -> dict[int, tuple[float, str, int]]:
        """``{chunk index: (score, reason, depth)}`` reachable from ``start`` (not included)."""
        best: dict[int, tuple[float, str, int]] = {}
        frontier = [(i, 1.0) for i in start]
        seen = set(start)
        for d in range(1, depth + 1):
            nxt = []
            for i, s in frontier:
                for e in self.edges(i):
                    score = s * e.weight * (0.6 ** (d - 1))
                    if e.target in seen and e.target not in best:
                        continue
                    if e.target not in best or best[e.target][0] < score:
                        best[e.target] = (score, e.why if d == 1 else f"{e.why}, via {self.chunks[i].symbol}", d)
                    if e.target not in seen:
                        seen.add(e.target)
                        nxt.append((e.target, s * e.weight))
            frontier = nxt
        return best
