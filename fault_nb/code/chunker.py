"""Cut a source file into chunks at function, method and class level.

Each chunk carries what a reviewer needs to read it alone: its span (1-based
lines), symbol, kind, the file's imports, the enclosing class signature, the
names it defines, the identifiers it references and the calls it makes. Long
functions are split on statement boundaries; module-level code (engine or
client set-up, settings) becomes chunks too, because that is usually where the
missing timeout lives.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from .parsing import captures, parse

MAX_LINES = 80
MAX_BYTES = 4000
CHUNKER_VERSION = 12  # bump when chunks or extracted facts change: old manifests are rebuilt

# node type -> kind, per grammar; containers hold methods that become their own chunks
_DEFS: dict[str, dict[str, str]] = {
    "python": {"function_definition": "function", "class_definition": "class"},
    "javascript": {"function_declaration": "function", "generator_function_declaration": "function",
                   "class_declaration": "class", "method_definition": "method"},
    "go": {"function_declaration": "function", "method_declaration": "method",
           "type_declaration": "type"},
    "java": {"class_declaration": "class", "interface_declaration": "interface",
             "enum_declaration": "enum", "record_declaration": "class",
             "method_declaration": "method", "constructor_declaration": "method"},
    "rust": {"function_item": "function", "impl_item": "impl", "struct_item": "type",
             "enum_item": "type", "trait_item": "trait", "mod_item": "module_block",
             "union_item": "type"},
}
_DEFS["typescript"] = {**_DEFS["javascript"], "abstract_class_declaration": "class",
                       "interface_declaration": "interface", "type_alias_declaration": "type",
                       "enum_declaration": "enum", "function_signature": "function"}
_DEFS["tsx"] = _DEFS["typescript"]
_LEADING = {"decorator", "attribute_item"}
_CONTAINERS = {"class", "interface", "enum", "impl", "trait", "module_block"}

# free identifiers only: attribute/field names are covered by the call names
_IDENT_TYPES = {
    "python": ["identifier"],
    "javascript": ["identifier", "shorthand_property_identifier"],
    "typescript": ["identifier", "type_identifier"],
    "tsx": ["identifier", "type_identifier"],
    "go": ["identifier", "type_identifier"],
    "rust": ["identifier", "type_identifier"],
    "java": ["identifier", "type_identifier"],
}
# identifiers that are names of something else (attribute, keyword argument), not references
_NOT_REFS = {
    "python": "(attribute attribute: (identifier) @x) (keyword_argument name: (identifier) @x)",
    "java": "(method_invocation name: (identifier) @x) (field_access field: (identifier) @x)",
}
_CALL_QUERIES = {
    "python": "(call function: (_) @call)",
    "javascript": "(call_expression function: (_) @call) (new_expression constructor: (_) @call)",
    "go": "(call_expression function: (_) @call) (composite_literal type: (_) @call)",
    "rust": "(call_expression function: (_) @call) (struct_expression name: (_) @call)",
    "java": "(method_invocation) @call (object_creation_expression type: (_) @call)",
}
_CALL_QUERIES["typescript"] = _CALL_QUERIES["tsx"] = _CALL_QUERIES["javascript"]
# variables whose class is visible in the code (constructor call or annotation); ``self.x`` /
# ``this.x`` fields are recorded as "self.x" / "this.x" and apply to the whole class
_VAR_TYPES = {
    "python": (
        "(assignment left: (identifier) @var right: (call function: [(identifier) (attribute)] @cls))"
        " (assignment left: (identifier) @var type: (type [(identifier) (attribute)] @cls))"
        " (assignment left: (attribute object: (identifier) @self attribute: (identifier) @var)"
        "  right: (call function: [(identifier) (attribute)] @cls))"
        " (typed_parameter (identifier) @var type: (type [(identifier) (attribute)] @cls))"
        " (typed_default_parameter name: (identifier) @var type: (type [(identifier) (attribute)] @cls))"
    ),
    "javascript": (
        "(variable_declarator name: (identifier) @var value: (new_expression constructor: [(identifier) "
        "(member_expression)] @cls))"
        " (assignment_expression left: (member_expression object: (this) @self property: (property_identifier) @var)"
        "  right: (new_expression constructor: [(identifier) (member_expression)] @cls))"
    ),
}
_VAR_TYPES["typescript"] = _VAR_TYPES["tsx"] = _VAR_TYPES["javascript"] + (
    " (variable_declarator name: (identifier) @var type: (type_annotation (type_identifier) @cls))"
    " (required_parameter (accessibility_modifier) @self pattern: (identifier) @var"
    "  type: (type_annotation (type_identifier) @cls))"
    " (public_field_definition name: (property_identifier) @var type: (type_annotation (type_identifier) @cls)) @self"
)
_IMPORT_TYPES = {
    "python": {"import_statement", "import_from_statement", "future_import_statement"},
    "javascript": {"import_statement"},
    "typescript": {"import_statement"},
    "tsx": {"import_statement"},
    "go": {"import_declaration", "package_clause"},
    "rust": {"use_declaration", "extern_crate_declaration"},
    "java": {"import_declaration", "package_declaration"},
}


@dataclass
class Chunk:
    """One indexed piece of source (lines are 1-based, inclusive)."""

    file: str
    lang: str
    start_line: int
    end_line: int
    symbol: str
    kind: str
    text: str
    parent: str | None = None
    parent_signature: str = ""
    part: int = 0
    defines: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    # local name -> class it holds (``repo = UserRepo(db)``, ``repo: UserRepo``), for ``repo.get()``
    var_types: dict[str, str] = field(default_factory=dict)
    start_byte: int = 0
    end_byte: int = 0

    @property
    def id(self) -> str:
        return f"{self.file}#{self.start_byte}-{self.end_byte}"

    def to_dict(self) -> dict:
        return dict(self.__dict__)  # flat fields: much cheaper than dataclasses.asdict


@dataclass
class FileChunks:
    """The chunks of one file plus its file-level outline (imports)."""

    file: str
    lang: str
    chunks: list[Chunk]
    imports_text: str
    has_errors: bool
    tree: Any = None  # kept only while indexing, for route extraction


def _text(node: Any) -> str:
    return node.text.decode("utf-8", errors="replace")


def _def_info(node: Any, grammar: str) -> tuple[Any, str, str] | None:
    """(definition node, kind, name) when ``node`` (a statement) defines something."""
    defs = _DEFS[grammar]
    t = node.type
    if grammar == "python" and t == "decorated_definition":
        inner = node.child_by_field_name("definition")
        if inner is not None and inner.type in defs:
            return inner, defs[inner.type], _name(inner)
        return None
    if t == "export_statement":
        inner = node.child_by_field_name("declaration")
        if inner is not None:
            return _def_info(inner, grammar)
        return None
    if t in ("lexical_declaration", "variable_declaration") and grammar in ("javascript", "typescript", "tsx"):
        decls = [c for c in node.named_children if c.type == "variable_declarator"]
        if len(decls) == 1:
            value = decls[0].child_by_field_name("value")
            if value is not None and value.type in ("arrow_function", "function_expression", "function", "class"):
                kind = "class" if value.type == "class" else "function"
                return node, kind, _text(decls[0].child_by_field_name("name"))
        return None
    if t == "expression_statement" and grammar in ("javascript", "typescript", "tsx") and node.named_children:
        # `router.get('/x', async (req, res) => {...})`: the inline handler is the unit to review
        call = node.named_children[0]
        if call.type == "call_expression":
            args = call.child_by_field_name("arguments")
            fn = call.child_by_field_name("function")
            if args is not None and fn is not None and any(
                    a.type in ("arrow_function", "function_expression", "function") for a in args.named_children):
                first = args.named_children[0]
                label = f"({_text(first)})" if first.type in ("string", "template_string") else "(...)"
                return node, "function", _text(fn) + label
        return None
    if t in defs:
        return node, defs[t], _name(node)
    return None


def _name(node: Any) -> str:
    n = node.child_by_field_name("name")
    if n is None and node.type == "impl_item":
        ty = node.child_by_field_name("type")
        tr = node.child_by_field_name("trait")
        return (f"{_text(tr)} for " if tr is not None else "") + (_text(ty) if ty is not None else "impl")
    if n is None and node.type == "type_declaration":
        spec = next((c for c in node.named_children if c.type in ("type_spec", "type_alias")), None)
        n = spec.child_by_field_name("name") if spec is not None else None
    return _text(n) if n is not None else "<anonymous>"


def _body(node: Any) -> Any:
    if node.type in ("lexical_declaration", "variable_declaration"):
        decl = node.named_children[0]
        node = decl.child_by_field_name("value")
    body = node.child_by_field_name("body")
    return body


def _module_defines(node: Any, grammar: str) -> list[str]:
    out: list[str] = []
    t = node.type
    if grammar == "python":
        if t == "expression_statement" and node.named_child_count:
            a = node.named_children[0]
            if a.type in ("assignment", "augmented_assignment"):
                left = a.child_by_field_name("left")
                if left is not None:
                    if left.type == "identifier":
                        out.append(_text(left))
                    else:
                        out += [_text(c) for c in left.named_children if c.type == "identifier"]
    elif grammar in ("javascript", "typescript", "tsx"):
        if t == "export_statement":
            inner = node.child_by_field_name("declaration")
            return _module_defines(inner, grammar) if inner is not None else out
        if t in ("lexical_declaration", "variable_declaration"):
            for d in node.named_children:
                if d.type == "variable_declarator":
                    n = d.child_by_field_name("name")
                    if n is not None and n.type == "identifier":
                        out.append(_text(n))
    elif grammar == "go":
        if t in ("var_declaration", "const_declaration"):
            for spec in node.named_children:
                n = spec.child_by_field_name("name")
                if n is not None:
                    out.append(_text(n))
    elif grammar == "rust":
        if t in ("const_item", "static_item"):
            n = node.child_by_field_name("name")
            if n is not None:
                out.append(_text(n))
    return out


class _Builder:
    def __init__(self, rel: str, grammar: str, data: bytes, lang: str):
        self.rel, self.grammar, self.data, self.lang = rel, grammar, data, lang
        self.chunks: list[Chunk] = []

    def emit(self, start: Any, end: Any, symbol: str, kind: str, *, parent=None, parent_sig="",
             part=0, defines=None) -> None:
        # start/end are nodes; the chunk covers whole lines from start's row to end's row
        sb, eb = start.start_byte, end.end_byte
        line_start = self.data.rfind(b"\n", 0, sb) + 1
        first_line, last_line = start.start_point[0] + 1, end.end_point[0] + 1
        defines = list(defines if defines is not None else [symbol])
        if last_line - first_line + 1 > 2 * MAX_LINES or eb - line_start > 2 * MAX_BYTES:
            # no statement boundary to cut at (a 700-line signature, a huge declaration):
            # line windows keep every chunk bounded
            self.windows(line_start, sb, eb, first_line, symbol, kind, parent, parent_sig, part, defines)
            return
        text = self.data[line_start:eb].decode("utf-8", errors="replace")
        self.chunks.append(Chunk(
            file=self.rel, lang=self.lang, start_line=first_line, end_line=last_line, symbol=symbol,
            kind=kind, text=text, parent=parent, parent_signature=parent_sig, part=part,
            defines=defines, start_byte=sb, end_byte=eb,
        ))

    def windows(self, line_start: int, sb: int, eb: int, first_line: int, symbol: str, kind: str, parent,
                parent_sig: str, part: int, defines: list[str]) -> None:
        pos, line, i = line_start, first_line, 0
        while pos < eb:
            end, n = pos, 0
            while end < eb and n < MAX_LINES and (n == 0 or end - pos < MAX_BYTES):
                nl = self.data.find(b"\n", end, eb)
                end = eb if nl == -1 else nl + 1
                n += 1
            text = self.data[pos:end].decode("utf-8", errors="replace")
            self.chunks.append(Chunk(
                file=self.rel, lang=self.lang, start_line=line, end_line=line + n - 1, symbol=symbol,
                kind=kind, text=text.rstrip("\n") if end == eb else text, parent=parent,
                parent_signature=parent_sig, part=max(part, 1), defines=defines if i == 0 else [],
                start_byte=sb if i == 0 else pos, end_byte=min(end, eb),
            ))
            pos, line, i = end, line + n, i + 1

    def too_big(self, node: Any) -> bool:
        return (node.end_point[0] - node.start_point[0] + 1) > MAX_LINES or \
            (node.end_byte - node.start_byte) > MAX_BYTES

    def definition(self, outer: Any, inner: Any, kind: str, name: str, parent=None, parent_sig="",
                   lead: Any = None) -> None:
        # lead: the first decorator of a TS/JS class member (a sibling node, not part of the method)
        if kind in _CONTAINERS:
            self.container(outer, inner, kind, name, parent, parent_sig)
            return
        if parent is not None and kind == "function":
            kind = "method"
        symbol = f"{parent}.{name}" if parent else name
        if kind == "method" and inner.type == "method_declaration" and self.grammar == "go":
            recv = inner.child_by_field_name("receiver")
            rtype = _text(recv).strip("()").split()[-1].lstrip("*") if recv is not None else ""
            symbol, parent = (f"{rtype}.{name}", rtype) if rtype else (name, parent)
        body = _body(inner)
        if not self.too_big(outer) or body is None or body.named_child_count < 2:
            self.emit(lead or outer, outer, symbol, kind, parent=parent, parent_sig=parent_sig)
            return
        self.split(outer, body, symbol, kind, parent, parent_sig, lead)

    def split(self, outer: Any, body: Any, symbol: str, kind: str, parent, parent_sig, lead: Any = None) -> None:
        groups: list[list[Any]] = []
        cur: list[Any] = []
        cur_start = lead or outer
        for stmt in body.named_children:
            # the first part starts at the signature, later ones at their first statement
            if cur and (stmt.end_point[0] - cur_start.start_point[0] + 1 > MAX_LINES
                        or stmt.end_byte - cur_start.start_byte > MAX_BYTES):
                groups.append(cur)
                cur = []
                cur_start = stmt
            cur.append(stmt)
        if cur:
            groups.append(cur)
        for i, g in enumerate(groups):
            start = (lead or outer) if i == 0 else g[0]
            end = outer if i == len(groups) - 1 else g[-1]
            self.emit(start, end, symbol, kind, parent=parent, parent_sig=parent_sig, part=i + 1,
                      defines=[symbol] if i == 0 else [])

    def container(self, outer: Any, inner: Any, kind: str, name: str, parent, parent_sig) -> None:
        body = _body(inner)
        members = list(body.named_children) if body is not None else []
        sig = _text(inner).split("\n", 1)[0].strip()
        qual = f"{parent}.{name}" if parent else name
        if kind == "module_block":  # rust `mod x { ... }`: its items are top-level-like
            self.sequence(members, parent=None, parent_sig=sig)
            return
        method_nodes = [(m, _def_info(m, self.grammar)) for m in members]
        first_def = next((m for m, d in method_nodes if d is not None), None)
        if first_def is None:
            self.emit(outer, outer, qual, kind, parent=parent, parent_sig=parent_sig)
            return
        # class header + attributes (up to the first method), then each member on its own
        head_end = first_def.prev_named_sibling
        while head_end is not None and head_end.type in _LEADING:  # those lead the first method
            head_end = head_end.prev_named_sibling
        head_end = head_end or body.children[0]
        if head_end.start_byte < outer.start_byte:
            head_end = body.children[0] if body.children else outer
        self.emit(outer, head_end, qual, kind, parent=parent, parent_sig=parent_sig)
        pending: list[Any] = []
        decorators: list[Any] = []
        for m, d in method_nodes:
            if m.type in _LEADING:  # TS/JS decorator, Rust attribute: belongs to the member that follows
                decorators.append(m)
                continue
            if m.start_byte < first_def.start_byte and not decorators:
                continue
            if d is None:
                if m.type not in ("comment", "line_comment", "block_comment"):
                    pending.extend(decorators)
                    pending.append(m)
                decorators = []
                continue
            self.members(pending, qual, kind, sig)
            pending = []
            self.definition(m, d[0], d[1], d[2], parent=qual, parent_sig=sig,
                            lead=decorators[0] if decorators else None)
            decorators = []
        self.members(pending, qual, kind, sig)

    def members(self, nodes: list[Any], qual: str, kind: str, sig: str) -> None:
        """Class-level statements between methods (attributes, aliases), contiguous runs only."""
        if nodes:
            self.emit(nodes[0], nodes[-1], qual, f"{kind}_members", parent=qual, parent_sig=sig)

    def sequence(self, nodes: list[Any], parent=None, parent_sig="") -> None:
        pending: list[Any] = []
        attrs: list[Any] = []  # Rust #[...] attributes lead the item that follows
        for node in nodes:
            if node.type in _LEADING:
                attrs.append(node)
                continue
            info = _def_info(node, self.grammar)
            if info is None:
                pending.extend(attrs)
                attrs = []
                pending.append(node)
                continue
            self.module(pending, parent_sig)
            pending = []
            self.definition(node, info[0], info[1], info[2], parent=parent, parent_sig=parent_sig,
                            lead=attrs[0] if attrs else None)
            attrs = []
        self.module(pending + attrs, parent_sig)

    def module(self, nodes: list[Any], parent_sig="") -> None:
        nodes = [n for n in nodes if n.type not in ("comment", "line_comment", "block_comment")]
        group: list[Any] = []
        imports = _IMPORT_TYPES.get(self.grammar, set())
        for n in nodes:
            if group and (n.end_point[0] - group[0].start_point[0] + 1 > MAX_LINES
                          or n.end_byte - group[0].start_byte > MAX_BYTES
                          or (n.type in imports) != (group[-1].type in imports)):
                self.module_group(group, parent_sig)
                group = []
            group.append(n)
        if group:
            self.module_group(group, parent_sig)

    def module_group(self, group: list[Any], parent_sig: str) -> None:
        defines: list[str] = []
        for n in group:
            defines += _module_defines(n, self.grammar)
        imports = _IMPORT_TYPES.get(self.grammar, set())
        if all(n.type in imports for n in group):
            kind, symbol = "imports", "<imports>"
        else:
            kind, symbol = "module", ", ".join(defines[:3]) or "<module>"
        self.emit(group[0], group[-1], symbol, kind, parent_sig=parent_sig, defines=defines)


def chunk_source(rel: str, grammar: str, data: bytes, *, keep_tree: bool = False) -> FileChunks:
    """Chunk one file's bytes.

    >>> fc = chunk_source("app.py", "python", b"import os\\n\\ndef f():\\n    return os.getcwd()\\n")
    >>> [(c.symbol, c.kind, c.start_line, c.end_line, c.calls) for c in fc.chunks]
    [('<imports>', 'imports', 1, 1, []), ('f', 'function', 3, 4, ['os.getcwd'])]
    """
    from .parsing import canonical_language

    tree = parse(grammar, data)
    root = tree.root_node
    b = _Builder(rel, grammar, data, canonical_language(grammar))
    b.sequence(list(root.named_children))
    chunks = sorted(b.chunks, key=lambda c: c.start_byte)
    counters: dict[tuple, int] = {}
    for c in chunks:  # statement splits and line windows of one symbol: parts 1..n in file order
        if c.part:
            key = (c.symbol, c.kind, c.parent)
            counters[key] = counters.get(key, 0) + 1
            c.part = counters[key]
    _attach_names(chunks, grammar, root)
    imports = [n for n in root.named_children if n.type in _IMPORT_TYPES.get(grammar, ())]
    if grammar in ("javascript", "typescript", "tsx"):
        imports += [n for n in root.named_children
                    if n.type in ("lexical_declaration", "variable_declaration") and b"require(" in n.text]
    imports_text = "\n".join(_text(n) for n in sorted(imports, key=lambda n: n.start_byte))
    if len(imports_text) > 1500:
        imports_text = imports_text[:1500] + "\n..."
    return FileChunks(rel, canonical_language(grammar), chunks, imports_text, bool(root.has_error),
                      tree if keep_tree else None)


def _attach_names(chunks: list[Chunk], grammar: str, root: Any) -> None:
    if not chunks:
        return
    starts = [c.start_byte for c in chunks]

    def owner(byte: int) -> Chunk | None:
        i = bisect.bisect_right(starts, byte) - 1
        if i >= 0 and byte < chunks[i].end_byte:
            return chunks[i]
        return None

    refs: dict[int, set[str]] = {}
    ident_q = " ".join(f"({t}) @id" for t in _IDENT_TYPES[grammar])
    skip = set()
    if grammar in _NOT_REFS:
        skip = {n.start_byte for n in captures(grammar, _NOT_REFS[grammar], root).get("x", [])}
    for node in captures(grammar, ident_q, root).get("id", []):
        if node.start_byte in skip:
            continue
        c = owner(node.start_byte)
        if c is not None:
            refs.setdefault(id(c), set()).add(node.text.decode("utf-8", errors="replace"))
    calls: dict[int, list[str]] = {}
    for node in captures(grammar, _CALL_QUERIES[grammar], root).get("call", []):
        c = owner(node.start_byte)
        if c is None:
            continue
        name = _call_name(node, grammar)
        if name:
            lst = calls.setdefault(id(c), [])
            if name not in lst:
                lst.append(name)
    for c in chunks:
        r = refs.get(id(c), set())
        c.references = sorted(r - set(c.defines))
        c.calls = calls.get(id(c), [])
    if grammar in _VAR_TYPES:
        from tree_sitter import QueryCursor

        from .parsing import query

        this = "self" if grammar == "python" else "this"
        for _, m in QueryCursor(query(grammar, _VAR_TYPES[grammar])).matches(root):
            var, cls = m["var"][0], m["cls"][0]
            if "self" in m and grammar == "python" and _text(m["self"][0]) != "self":
                continue
            c = owner(var.start_byte)
            name = _text(cls)
            # a class by convention starts upper-case; `x = make()` tells nothing
            if c is not None and name.rsplit(".", 1)[-1][:1].isupper():
                key = f"{this}.{_text(var)}" if "self" in m else _text(var)
                c.var_types.setdefault(key, name)


def _call_name(node: Any, grammar: str) -> str:
    if grammar == "java" and node.type == "method_invocation":
        obj = node.child_by_field_name("object")
        name = node.child_by_field_name("name")
        base = _text(name) if name is not None else ""
        if obj is not None and obj.type in ("identifier", "this", "field_access"):
            return f"{_text(obj)}.{base}"
        return base
    text = _text(node)
    if "(" in text or "\n" in text or len(text) > 120:
        # chained call like a().b: keep the last attribute, the rest is not a static name
        tail = text.rsplit(".", 1)[-1]
        return tail if tail.isidentifier() else ""
    return text.replace("::", ".").replace("->", ".").replace("?.", ".")
