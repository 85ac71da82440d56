"""Structured edits -> unified diffs, verification, composition of overlapping edits."""
from __future__ import annotations

import pytest

from fault_nb.review.edits import Edit, PatchError, Workspace, apply_diff, check_parses, unified_diff

from .conftest import git_apply_check

SRC = "import os\n\n\ndef a():\n    return 1\n\n\ndef b():\n    x = 2\n    return x\n"


@pytest.fixture
def src(tmp_path):
    d = tmp_path / "src"
    d.mkdir()
    (d / "m.py").write_text(SRC)
    (d / "web.js").write_text("function f() {\n  return fetch(url);\n}\n")
    return d


def test_unified_diff_has_git_headers_and_real_ranges():
    diff = unified_diff("m.py", SRC, SRC.replace("return 1", "return 11"))
    lines = diff.splitlines()
    assert lines[0] == "--- a/m.py" and lines[1] == "+++ b/m.py"
    assert lines[2] == "@@ -2,7 +2,7 @@"
    assert apply_diff(diff, {"m.py": SRC})["m.py"] == SRC.replace("return 1", "return 11")


def test_propose_verified_diff_applies_with_git(src, tmp_path):
    ws = Workspace(src)
    out = ws.propose("s1", [Edit("m.py", "    return 1\n", "    return 42\n")])
    assert out.ok and out.dependencies == []
    assert git_apply_check(out.diff, src).returncode == 0


@pytest.mark.parametrize("edit,message", [
    (Edit("m.py", "return 3", "return 4"), "does not occur"),
    (Edit("m.py", "return", "yield"), "occurs 2 times"),
    (Edit("m.py", "    return 1\n", "    return (1\n"), "does not parse"),
    (Edit("../etc/passwd", "root", "x"), "outside"),
    (Edit("/etc/passwd", "root", "x"), "absolute"),
    (Edit("missing.py", "a", "b"), "no such file"),
    (Edit("m.py", "", "x"), "empty"),
])
def test_bad_edits_are_rejected_with_the_reason(src, edit, message):
    ws = Workspace(src)
    out = ws.propose("s1", [edit])
    assert not out.ok and message in out.error and out.diff == ""
    assert ws.current == ws.pristine  # nothing half-applied


def test_near_miss_hint_names_the_closest_line(src):
    out = Workspace(src).propose("s1", [Edit("m.py", "def a( ):", "def a(y):")])
    assert "closest line" in out.error and "def a():" in out.error


def test_javascript_edits_reparsed_with_tree_sitter(src):
    ws = Workspace(src)
    bad = ws.propose("s1", [Edit("web.js", "return fetch(url);", "return fetch(url;")])
    assert not bad.ok and "does not parse (javascript)" in bad.error
    good = ws.propose("s2", [Edit("web.js", "fetch(url)", "fetch(url, { signal: AbortSignal.timeout(5000) })")])
    assert good.ok


def test_overlapping_edits_compose_with_dependencies(src, tmp_path):
    ws = Workspace(src)
    first = ws.propose("s1", [Edit("m.py", "    x = 2\n", "    x = 3\n")])
    far = ws.propose("s2", [Edit("m.py", "import os\n", "import os\nimport sys\n")])
    # edits the line the first one produced: must be based on it
    second = ws.propose("s3", [Edit("m.py", "    x = 3\n    return x\n", "    x = 3\n    return x * 2\n")])
    assert first.ok and far.ok and second.ok
    assert far.dependencies == [] and second.dependencies == ["s1"]
    assert git_apply_check(first.diff + far.diff + second.diff, src).returncode == 0
    assert git_apply_check(far.diff, src).returncode == 0  # independent: applies alone
    assert git_apply_check(second.diff, src).returncode != 0  # needs s1 first
    final = apply_diff(first.diff + far.diff + second.diff, {"m.py": SRC})["m.py"]
    assert final == ws.current["m.py"] and "import sys" in final and "return x * 2" in final


def test_strict_applier_refuses_mismatched_context():
    diff = unified_diff("m.py", SRC, SRC.replace("return 1", "return 11"))
    with pytest.raises(PatchError):
        apply_diff(diff, {"m.py": SRC.replace("def a():", "def z():")})


def test_check_parses():
    assert check_parses("x.py", "def f(:\n") is not None
    assert check_parses("x.py", "def f():\n    pass\n") is None
    assert check_parses("README.md", "anything") is None


def test_file_without_final_newline_and_crlf(tmp_path):
    (tmp_path / "n.py").write_bytes(b"a = 1\nb = 2")
    (tmp_path / "w.py").write_bytes(b"a = 1\r\nb = 2\r\n")
    ws = Workspace(tmp_path)
    one = ws.propose("s1", [Edit("n.py", "b = 2", "b = 3")])
    two = ws.propose("s2", [Edit("w.py", "a = 1\nb = 2\n", "a = 5\nb = 2\n")])
    assert one.ok and two.ok
    assert "\\ No newline at end of file" in one.diff
    assert git_apply_check(one.diff + two.diff, tmp_path).returncode == 0
    assert apply_diff(one.diff, {"n.py": "a = 1\nb = 2"})["n.py"] == "a = 1\nb = 3"
    assert b"a = 5\r\nb = 2\r\n" in apply_diff(two.diff, {"w.py": (tmp_path / "w.py").read_bytes().decode()})["w.py"].encode()


def test_form_feed_does_not_split_lines(tmp_path):
    (tmp_path / "f.py").write_text("x = 1\n\x0c\ny = 2\n")
    out = Workspace(tmp_path).propose("s1", [Edit("f.py", "y = 2", "y = 3")])
    assert out.ok and git_apply_check(out.diff, tmp_path).returncode == 0


def test_find_with_lost_indentation_is_reanchored(src):
    ws = Workspace(src)
    out = ws.propose("s1", [Edit("m.py", "x = 2\nreturn x\n", "x = 3\nreturn x + 1\n")])
    assert out.ok, out.error
    assert "+    x = 3\n+    return x + 1\n" in out.diff
    # ambiguous once indentation is ignored: still refused
    (src / "d.py").write_text("def a():\n    y = 1\n\n\ndef b():\n        y = 1\n")
    bad = ws.propose("s2", [Edit("d.py", "y = 1", "y = 2")])
    assert not bad.ok and "occurs 2 times" in bad.error
