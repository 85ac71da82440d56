"""Shared pieces of the rules reviewer: findings, a parsed source file, unique find/replace anchors."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from .edits import Edit


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
    # a question for the reader, with no diff: the rule saw the shape but cannot be sure of the fix
    question: bool = False

    @property
    def key(self) -> tuple:
        # the anchor text tells two findings of one kind apart; a fix that failed keeps it, so it is not retried
        return (self.kind, self.file, self.function, self.title, self.edits[0].find if self.edits else "")


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


def _nodes_of(src: _Src, node_type: str) -> list[Any]:
    """Every node of ``node_type`` in the file (explicit stack: deep trees do not hit the recursion limit)."""
    out = []
    stack = [src.tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == node_type:
            out.append(node)
        stack.extend(node.children)
    return out


def _functions(src: _Src) -> list[Any]:
    return _nodes_of(src, "function_definition")


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
    return _imports_edit(src, [f"import {module}"])


def _imports_edit(src: _Src, lines: list[str], extra: str = "") -> Edit | None:
    """One edit adding the missing Python import ``lines`` after the last top-level import (after a
    docstring, leading comments or the shebang when there is none), then ``extra`` (module-level code).
    ``None`` when nothing is missing and there is no ``extra``, or when no unique anchor exists."""
    missing = [ln for ln in lines if not _has_import(src.text, ln)]
    if not missing and not extra:
        return None
    add = "".join(f"\n{ln}" for ln in missing) + extra
    last = None
    for node in src.tree.root_node.children:
        if node.type in ("import_statement", "import_from_statement", "future_import_statement"):
            last = node
    if last is None:
        # no import yet: after a shebang/encoding line, leading comments and the module docstring, which
        # must stay first to remain the docstring (and the shebang, line 1)
        for node in src.tree.root_node.children:
            if node.type == "comment":
                last = node
                continue
            if node.type == "expression_statement" and len(node.named_children) == 1 and \
                    node.named_children[0].type in ("string", "concatenated_string"):
                last = node
            break
    if last is None:
        first = src.text.split("\n", 1)[0] + "\n"
        if src.text.count(first) != 1:
            return None
        return Edit(src.rel, first, add.lstrip("\n") + "\n" + first)
    _, end = src.span(last)
    le = src.text.find("\n", end)
    le = len(src.text) if le < 0 else le
    try:
        return _edit(src, end, le, src.text[end:le] + add)
    except ValueError:
        return None


def _has_import(text: str, line: str) -> bool:
    """Whether ``import a`` / ``from m import n`` (each name of it) is already imported at top level."""
    m = re.fullmatch(r"from ([\w.]+) import (.+)", line)
    if m is None:
        return re.search(rf"^{re.escape(line)}\s*$", text, re.M) is not None
    names = [n.strip() for n in m.group(2).split(",")]
    have = set()
    for got in re.finditer(rf"^from {re.escape(m.group(1))} import \(?([^)\n]+(?:\n[^)]*)?)\)?", text, re.M):
        have |= {n.strip().split(" as ")[0] for n in got.group(1).replace("\n", ",").split(",") if n.strip()}
    return all(n in have for n in names)


def _reindent(block: str, extra: str) -> str:
    return "".join((extra + ln) if ln.strip() else ln for ln in block.splitlines(keepends=True))


def _with_imports(src: _Src, main: Edit, modules: list[str]) -> list[Edit]:
    edits = [main]
    for m in modules:
        e = _import_edit(src, m)
        if e is not None:
            edits.append(e)
    return edits


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


class Project:
    """The files of the source tree the rules may look at beyond the scope: where an imported client is
    created, the project's declared dependencies. Reads through the review's workspace, so it sees the
    text as earlier fixes left it."""

    def __init__(self, workspace: Any):
        self.ws = workspace
        self._parsed: dict[str, tuple[str, _Src]] = {}
        self._reqs: str | None = None

    def exists(self, rel: str) -> bool:
        return (self.ws.source_dir / rel).is_file()

    def src(self, rel: str, grammar: str | None = None) -> _Src | None:
        from ..code.parsing import language_for_path

        try:
            text = self.ws.text(rel)
        except (OSError, ValueError):
            return None
        hit = self._parsed.get(rel)
        if hit is None or hit[0] != text:
            hit = (text, _Src(rel, text, grammar or language_for_path(rel) or "python"))
            self._parsed[rel] = hit
        return hit[1]

    def python_module(self, from_rel: str, dotted: str, level: int) -> str | None:
        """The file of ``from <level dots><dotted> import ...`` written in ``from_rel``."""
        parts = [p for p in dotted.split(".") if p]
        if level:
            base = PurePosixPath(from_rel).parent
            for _ in range(level - 1):
                base = base.parent
            bases = [base]
        else:  # absolute: from the source root, or from any folder above the importing file
            here = PurePosixPath(from_rel).parent
            bases = [PurePosixPath(".")] + [p for p in [here, *here.parents] if str(p) != "."]
        for b in bases:
            stem = b.joinpath(*parts) if parts else b
            for cand in (f"{stem}.py", f"{stem}/__init__.py"):
                cand = cand[2:] if cand.startswith("./") else cand
                if self.exists(cand):
                    return cand
        return None

    def requirements(self) -> str:
        """The project's declared dependencies (requirements*.txt, pyproject.toml, setup.cfg, Pipfile,
        package.json, go.mod, pom.xml, build.gradle, Cargo.toml), lower-cased; '' when none."""
        if self._reqs is None:
            root = self.ws.source_dir
            texts = []
            for pattern in ("requirements*.txt", "pyproject.toml", "setup.cfg", "Pipfile", "package.json",
                            "go.mod", "pom.xml", "build.gradle", "Cargo.toml"):
                for p in sorted(root.glob(pattern)):
                    try:
                        texts.append(p.read_text(encoding="utf-8", errors="replace")[:200_000])
                    except OSError:
                        continue
            self._reqs = "\n".join(texts).lower()
        return self._reqs


def _line_ranges(names: set[str]) -> list[tuple[int, int]]:
    """The ``L<start>-<end>`` entries of a scope (anonymous handlers are found by lines)."""
    return [tuple(int(x) for x in n[1:].split("-")) for n in names if re.fullmatch(r"L\d+-\d+", n)]


def _in_ranges(node: Any, ranges: list[tuple[int, int]]) -> bool:
    line = node.start_point[0] + 1
    return any(a <= line <= b for a, b in ranges)


def _ancestor(node: Any, types: tuple[str, ...]) -> Any | None:
    p = node.parent
    while p is not None and p.type not in types:
        p = p.parent
    return p


def _enclosing_name(src: _Src, node: Any) -> str:
    """The name of the function/method around ``node`` in any language (``<module>`` outside one):
    a declaration's name, the variable an arrow function is assigned to, else ``<anonymous>``."""
    p = node.parent
    while p is not None:
        if p.type in ("function_declaration", "method_definition", "method_declaration", "function_item",
                      "constructor_declaration", "function_definition", "generator_function_declaration"):
            name = p.child_by_field_name("name")
            return src.t(name) if name is not None else "<anonymous>"
        if p.type in ("arrow_function", "function_expression", "function", "func_literal", "closure_expression",
                      "lambda_expression"):
            own = p.child_by_field_name("name") if p.type in ("function_expression", "function") else None
            if own is not None:
                return src.t(own)
            holder = p.parent
            if holder is not None and holder.type in ("variable_declarator", "assignment_expression", "pair"):
                key = holder.child_by_field_name("name") or holder.child_by_field_name("left") or \
                    holder.child_by_field_name("key")
                if key is not None:
                    return src.t(key).rsplit(".", 1)[-1]
            if _ancestor(p, ("static_item", "const_item", "field_declaration")) is not None:
                return "<module>"  # a closure initialising a static or a field runs once, like module code
            return "<anonymous>"
        p = p.parent
    return "<module>"
