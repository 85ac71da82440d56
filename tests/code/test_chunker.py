"""Parsing and chunking: spans, symbols, splits, module code, every grammar, broken input."""
from __future__ import annotations

import textwrap

import pytest

from fault_nb.code.chunker import MAX_LINES, chunk_source
from fault_nb.code.parsing import (UnsupportedLanguageError, has_errors, language_for_path,
                                   normalize_language, parse)


def _src(s: str) -> bytes:
    return textwrap.dedent(s).lstrip("\n").encode()


def test_parse_and_language_for_path():
    tree = parse("python", b"def f():\n    return 1\n")
    assert tree.root_node.children[0].type == "function_definition"
    assert not has_errors(tree)
    assert has_errors(parse("python", "def f(:\n"))
    assert language_for_path("a/b.PY") == "python"
    assert language_for_path("x.tsx") == "tsx"
    assert language_for_path("x.ts") == "typescript"
    assert language_for_path("README.md") is None
    assert parse("tsx", b"const a = <div>{x}</div>;\n").root_node.has_error is False
    assert normalize_language("JS") == "javascript"
    with pytest.raises(UnsupportedLanguageError, match="Expected one of: python"):
        normalize_language("cobol")


def test_python_chunks_spans_kinds_and_names():
    src = _src('''
        import os
        from db import SessionLocal

        TIMEOUT = float(os.environ.get("T", "5"))
        client = make_client(timeout=TIMEOUT)


        class Repo(Base):
            table = "users"

            def get(self, uid):
                return self.fetch(uid)

            @staticmethod
            def fetch(uid):
                return SessionLocal().query(uid)


        @app.get("/x")
        async def handler(uid: int):
            return Repo().get(uid)
        ''')
    fc = chunk_source("svc.py", "python", src)
    got = [(c.symbol, c.kind, c.start_line, c.end_line) for c in fc.chunks]
    assert got == [
        ("<imports>", "imports", 1, 2),
        ("TIMEOUT, client", "module", 4, 5),
        ("Repo", "class", 8, 9),
        ("Repo.get", "method", 11, 12),
        ("Repo.fetch", "method", 14, 16),
        ("handler", "function", 19, 21),
    ]
    by = {c.symbol: c for c in fc.chunks}
    assert by["TIMEOUT, client"].defines == ["TIMEOUT", "client"]
    assert "make_client" in by["TIMEOUT, client"].calls
    assert by["Repo.get"].parent == "Repo" and by["Repo.get"].parent_signature.startswith("class Repo(Base)")
    assert by["Repo.get"].calls == ["self.fetch"]
    assert "SessionLocal" in by["Repo.fetch"].references
    assert by["handler"].text.startswith('@app.get("/x")')
    assert set(by["handler"].calls) == {"app.get", "Repo", "get"} or "Repo" in by["handler"].calls
    # keyword-argument names and attribute names are not references
    assert "timeout" not in by["TIMEOUT, client"].references
    assert "fetch" not in by["Repo.get"].references
    assert "import os" in fc.imports_text


def test_long_function_is_split_on_statement_boundaries():
    body = "".join(f"    x{i} = compute({i})\n" for i in range(3 * MAX_LINES))
    src = f"def big():\n{body}    return x0\n".encode()
    fc = chunk_source("big.py", "python", src)
    parts = [c for c in fc.chunks if c.symbol == "big"]
    assert len(parts) >= 3
    assert [p.part for p in parts] == list(range(1, len(parts) + 1))
    assert parts[0].start_line == 1 and parts[-1].end_line == 3 * MAX_LINES + 2
    for a, b in zip(parts, parts[1:]):
        assert b.start_line == a.end_line + 1  # no gap, no overlap
    assert all(p.end_line - p.start_line + 1 <= MAX_LINES for p in parts)
    lines = src.decode().splitlines()
    for p in parts:  # every part is whole statements
        assert p.text.rstrip("\n").splitlines() == lines[p.start_line - 1:p.end_line]


def test_syntax_errors_are_still_chunked():
    src = b"def ok():\n    return 1\n\ndef broken(:\n    pass\n\ndef later():\n    return ok()\n"
    fc = chunk_source("bad.py", "python", src)
    assert fc.has_errors
    symbols = {c.symbol for c in fc.chunks}
    assert "ok" in symbols and "later" in symbols
    text = "".join(c.text for c in fc.chunks)
    assert "broken" in text  # the broken part is not dropped


def test_non_utf8_bytes_are_chunked():
    src = "def caf\xe9():\n    return '\xe9t\xe9'\n".encode("latin-1")
    fc = chunk_source("latin.py", "python", src)
    assert len(fc.chunks) == 1
    assert "\ufffd" in fc.chunks[0].text  # replaced, not crashed


@pytest.mark.parametrize("rel,grammar,src,expected", [
    ("svc.go", "go", b'package main\nimport "fmt"\n\ntype Srv struct{ db *DB }\n\n'
                     b'func (s *Srv) Get(id int) int {\n\treturn s.load(id)\n}\n\nfunc main() { fmt.Println(1) }\n',
     [("<imports>", "imports"), ("Srv", "type"), ("Srv.Get", "method"), ("main", "function")]),
    ("A.java", "java", b"package a;\nimport b.C;\n\nclass A {\n  int x;\n  A() {}\n  void m() { foo.bar(); new B(); }\n}\n",
     [("<imports>", "imports"), ("A", "class"), ("A.A", "method"), ("A.m", "method")]),
    ("lib.rs", "rust", b"use std::io;\n\nstruct S { a: i32 }\n\nimpl S {\n    fn new() -> S { S { a: 1 } }\n"
                       b"    fn get(&self) -> i32 { self.a }\n}\n\nfn main() { S::new(); }\n",
     [("<imports>", "imports"), ("S", "type"), ("S", "impl"), ("S.new", "method"), ("S.get", "method"),
      ("main", "function")]),
    ("api.ts", "typescript", b"import { db } from './db';\n\ninterface User { id: number }\n\n"
                             b"export class Repo {\n  get(id: number): User { return db.find(id); }\n}\n\n"
                             b"export const handler = async (id: number) => new Repo().get(id);\n",
     [("<imports>", "imports"), ("User", "interface"), ("Repo", "class"), ("Repo.get", "method"),
      ("handler", "function")]),
    ("app.tsx", "tsx", b"export function App() { return <div>hi</div>; }\n", [("App", "function")]),
    ("r.js", "javascript", b"const express = require('express');\nconst router = express.Router();\n\n"
                           b"router.get('/a/:id', async (req, res) => { res.json(await load(req.params.id)); });\n\n"
                           b"module.exports = router;\n",
     [("express, router", "module"), ("router.get('/a/:id')", "function"), ("<module>", "module")]),
])
def test_other_languages_are_chunked(rel, grammar, src, expected):
    fc = chunk_source(rel, grammar, src)
    assert [(c.symbol, c.kind) for c in fc.chunks] == expected
    assert not fc.has_errors
    for c in fc.chunks:
        assert 1 <= c.start_line <= c.end_line <= src.count(b"\n") + 1


def test_chunks_stay_bounded_without_statement_boundaries():
    params = "".join(f"    p{i}: int = {i},\n" for i in range(3 * MAX_LINES))
    src = f"def wide(\n{params}):\n    return p0\n".encode()
    fc = chunk_source("wide.py", "python", src)
    parts = [c for c in fc.chunks if c.symbol == "wide"]
    assert len(parts) >= 3 and [p.part for p in parts] == list(range(1, len(parts) + 1))
    assert all(p.end_line - p.start_line + 1 <= MAX_LINES for p in parts)
    assert parts[0].defines == ["wide"] and parts[1].defines == []
    assert "".join(p.text if p.text.endswith("\n") else p.text + "\n" for p in parts) == src.decode()


def test_class_members_between_methods_are_separate_runs():
    src = _src('''
        class C:
            a = 1

            def m1(self):
                return 1

            alias = m1
            b = 2

            def m2(self):
                return 2

            c = 3
        ''')
    fc = chunk_source("c.py", "python", src)
    got = [(c.symbol, c.kind, c.start_line, c.end_line) for c in fc.chunks]
    assert got == [("C", "class", 1, 2), ("C.m1", "method", 4, 5), ("C", "class_members", 7, 8),
                   ("C.m2", "method", 10, 11), ("C", "class_members", 13, 13)]
