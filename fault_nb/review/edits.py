"""Structured edits -> verified unified diffs.

A model (or the rules reviewer) proposes edits as ``find`` / ``replace`` text
in a file; it never hands us a diff to trust. Here each edit is applied to an
in-memory copy, the unified diff is built with :mod:`difflib` (``a/`` ``b/``
headers, real hunk ranges), then verified: the diff is re-applied to the base
text with an independent strict applier and must reproduce the edited text,
and the edited file must still parse (``compile()`` for Python, tree-sitter
for the other languages).

Edits on the same file are composed in order: an edit whose hunk would touch
or sit within the diff context of an earlier accepted edit is re-based on the
result of that edit and lists it in ``dependencies``, so the diffs always
apply together, in order.
"""
from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .._io import safe_join
from ..errors import FaultNbError, UnsafePathError

CONTEXT = 3
_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split on ``\\n`` only (as git and patch do; ``str.splitlines`` also
    splits on form feeds and other separators, which would shift line numbers)."""
    return _LINE.findall(text)


def read_source(path: str | os.PathLike) -> str:
    """A source file as text with its line endings kept (CRLF files stay CRLF)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


class EditError(FaultNbError, ValueError):
    """An edit cannot be applied or its result does not verify."""


class PatchError(FaultNbError, ValueError):
    """A unified diff does not apply to the text it is meant for."""


@dataclass
class Edit:
    """Replace the single occurrence of ``find`` in ``file`` with ``replace``."""

    file: str
    find: str
    replace: str

    @classmethod
    def from_dict(cls, data: dict) -> "Edit":
        missing = [k for k in ("file", "find", "replace") if not isinstance(data.get(k), str)]
        if missing:
            raise EditError(f"edit is missing string field(s): {', '.join(missing)}")
        return cls(data["file"], data["find"], data["replace"])


@dataclass
class Outcome:
    """The verified result of one group of edits (one suggestion)."""

    ok: bool
    diff: str = ""
    error: str = ""
    files: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)


def normalize_relpath(source_dir: str | os.PathLike, file: str) -> str:
    """The model's file name as a clean path relative to ``source_dir`` (refusing escapes)."""
    name = (file or "").strip()
    if not name:
        raise UnsafePathError("edit has an empty file name")
    for prefix in ("a/", "b/", "./"):
        if name.startswith(prefix) and not (Path(source_dir) / name).exists():
            name = name[len(prefix):]
    target = safe_join(source_dir, name)
    return target.relative_to(Path(source_dir).resolve()).as_posix()


def unified_diff(rel: str, before: str, after: str, context: int = CONTEXT) -> str:
    """A git-style unified diff of one file (``a/rel`` -> ``b/rel``).

    >>> print(unified_diff("x.py", "a = 1\\n", "a = 2\\n"), end="")
    --- a/x.py
    +++ b/x.py
    @@ -1 +1 @@
    -a = 1
    +a = 2
    """
    a = split_lines(before)
    b = split_lines(after)
    out: list[str] = []
    for line in difflib.unified_diff(a, b, f"a/{rel}", f"b/{rel}", n=context):
        if line.startswith(("---", "+++")):
            out.append(line.rstrip("\n").rstrip() + "\n")
        elif not line.endswith("\n"):
            out.append(line + "\n\\ No newline at end of file\n")
        else:
            out.append(line)
    return "".join(out)


# ---------------------------------------------------------------- strict applier

@dataclass
class _Hunk:
    old_start: int
    lines: list[str]  # with their ' ', '-', '+' prefix and no newline marker handling


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def parse_patch(diff: str) -> list[tuple[str, list[_Hunk], list[bool]]]:
    """Split a unified diff into ``(path, hunks, eof_flags)`` per file (``b/`` path)."""
    files: list[tuple[str, list[_Hunk], list[bool]]] = []
    lines = split_lines(diff)
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            path = lines[i + 1][4:].strip().split("\t")[0]
            if path.startswith("b/"):
                path = path[2:]
            files.append((path, [], []))
            i += 2
            continue
        m = _HUNK.match(line)
        if m:
            if not files:
                raise PatchError("hunk before any file header")
            hunk = _Hunk(int(m.group(1)), [])
            i += 1
            while i < len(lines) and not lines[i].startswith(("@@", "--- ", "diff ")):
                body = lines[i]
                if body.startswith("\\"):
                    # "\ No newline at end of file" belongs to the previous line
                    if hunk.lines:
                        hunk.lines[-1] = hunk.lines[-1].rstrip("\n")
                elif body[:1] in (" ", "-", "+"):
                    hunk.lines.append(body if body.endswith("\n") else body + "\n")
                elif body.strip() == "":
                    hunk.lines.append(" \n")
                else:
                    break
                i += 1
            files[-1][1].append(hunk)
            continue
        i += 1
    return files


def apply_patch_text(text: str, hunks: list[_Hunk], *, max_offset: int = 200) -> str:
    """Apply hunks to ``text`` exactly (context must match; small line offsets allowed)."""
    src = split_lines(text)
    out: list[str] = []
    pos = 0  # next unread line of src
    delta = 0
    for n, hunk in enumerate(hunks, 1):
        old = [ln[1:] for ln in hunk.lines if ln[0] in " -"]
        new = [ln[1:] for ln in hunk.lines if ln[0] in " +"]
        want = max(hunk.old_start - 1 + delta, pos) if old else hunk.old_start + delta
        found = -1
        for off in range(0, max_offset + 1):
            for cand in ((want + off,) if off == 0 else (want + off, want - off)):
                if cand < pos or cand + len(old) > len(src):
                    continue
                if src[cand:cand + len(old)] == old:
                    found = cand
                    break
            if found >= 0:
                break
        if found < 0:
            raise PatchError(f"hunk #{n} (at line {hunk.old_start}) does not match the file")
        out.extend(src[pos:found])
        out.extend(new)
        pos = found + len(old)
        delta = found - (hunk.old_start - 1)
    out.extend(src[pos:])
    return "".join(out)


def apply_diff(diff: str, files: dict[str, str]) -> dict[str, str]:
    """Apply a multi-file unified diff to ``{path: text}``; returns the changed texts."""
    result = dict(files)
    for path, hunks, _ in parse_patch(diff):
        if path not in result:
            raise PatchError(f"{path}: file to patch not found")
        result[path] = apply_patch_text(result[path], hunks)
    return result


# ---------------------------------------------------------------- parse checks

def check_parses(rel: str, text: str) -> str | None:
    """``None`` when ``text`` parses as the language of ``rel``, else the error."""
    if rel.endswith((".py", ".pyi")):
        try:
            compile(text, rel, "exec", dont_inherit=True)
        except SyntaxError as exc:
            return f"{rel}:{exc.lineno}: the edited file does not parse: {exc.msg}"
        except ValueError as exc:  # null bytes
            return f"{rel}: the edited file does not parse: {exc}"
        return None
    from ..code.parsing import language_for_path, parse

    grammar = language_for_path(rel)
    if grammar is None:
        return None
    tree = parse(grammar, text.encode("utf-8"))
    if tree.root_node.has_error:
        node = _first_error(tree.root_node)
        line = node.start_point[0] + 1 if node is not None else "?"
        return f"{rel}:{line}: the edited file does not parse ({grammar})"
    return None


def _first_error(node):
    if node.type == "ERROR" or node.is_missing:
        return node
    for child in node.children:
        if child.has_error:
            return _first_error(child) or child
    return None


# ---------------------------------------------------------------- composition

def _ops(before: str, after: str) -> list[tuple[str, int, int, int, int]]:
    a = split_lines(before)
    b = split_lines(after)
    return difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


def _map_line(ops: list, x: int, end: bool = False) -> int:
    """Where line ``x`` of the old text lands in the new text."""
    for tag, i1, i2, j1, j2 in ops:
        if i1 <= x < i2 or (end and x == i2):
            if tag == "equal":
                return j1 + (x - i1)
            return j2 if end else j1
    return ops[-1][4] if ops else x


@dataclass
class _Applied:
    sid: str
    ranges: list[tuple[int, int]]  # 0-based [start, end) line spans in the *current* text


class Workspace:
    """Pristine and current texts of the files a review touches, plus edit history.

    ``propose(sid, edits)`` applies one suggestion's edits, builds and verifies
    its diff against the right base, and records it; a failed proposal leaves
    the workspace unchanged.

    >>> ws = Workspace("/src")  # doctest: +SKIP
    >>> ws.propose("s1", [Edit("app.py", "timeout=None", "timeout=5")]).ok  # doctest: +SKIP
    True
    """

    def __init__(self, source_dir: str | os.PathLike):
        self.source_dir = Path(source_dir)
        self.pristine: dict[str, str] = {}
        self.current: dict[str, str] = {}
        self.history: dict[str, list[_Applied]] = {}
        self.order: list[str] = []  # suggestion ids in the order they were accepted

    def text(self, rel: str) -> str:
        if rel not in self.current:
            path = safe_join(self.source_dir, rel)
            if not path.is_file():
                raise EditError(f"{rel}: no such file in {self.source_dir}")
            try:
                data = read_source(path)
            except UnicodeDecodeError as exc:
                raise EditError(f"{rel}: not a UTF-8 text file") from exc
            self.pristine[rel] = data
            self.current[rel] = data
        return self.current[rel]

    def propose(self, sid: str, edits: list[Edit]) -> Outcome:
        try:
            return self._propose(sid, edits)
        except (EditError, PatchError, UnsafePathError) as exc:
            return Outcome(False, error=str(exc))

    def _propose(self, sid: str, edits: list[Edit]) -> Outcome:
        if not edits:
            raise EditError("no edits given")
        staged: dict[str, str] = {}
        for k, edit in enumerate(edits, 1):
            rel = normalize_relpath(self.source_dir, edit.file)
            text = staged.get(rel, self.text(rel))
            where = f"edit {k} on {rel}" if len(edits) > 1 else rel
            if not edit.find:
                raise EditError(f"{where}: 'find' is empty; it must be the exact text to replace")
            if "\r\n" in text and "\r" not in edit.find:  # models write \n; keep the file's CRLF endings
                edit = Edit(edit.file, edit.find.replace("\n", "\r\n"), edit.replace.replace("\n", "\r\n"))
            count = text.count(edit.find)
            if count == 0:
                loose = _match_ignoring_indent(text, edit)
                if loose is not None:
                    edit, count = loose, 1
            if count == 0:
                hint = _near_miss(text, edit.find)
                raise EditError(f"{where}: the 'find' text does not occur in the file{hint}")
            if count > 1:
                raise EditError(f"{where}: the 'find' text occurs {count} times; it must occur exactly once "
                                "(include more surrounding lines)")
            if edit.find == edit.replace:
                raise EditError(f"{where}: 'replace' is identical to 'find' (no change)")
            staged[rel] = text.replace(edit.find, edit.replace, 1)
        diffs: list[str] = []
        deps: list[str] = []
        for rel, after in staged.items():
            err = check_parses(rel, after)
            if err:
                raise EditError(err)
            before = self.current[rel]
            ops = _ops(before, after)
            changed = [(i1, i2) for tag, i1, i2, _, _ in ops if tag != "equal"]
            history = self.history.get(rel, [])
            near = 2 * CONTEXT + 1
            clash = [h for h in history
                     if any(s0 < he + near and hs < e0 + near for s0, e0 in changed for hs, he in h.ranges)]
            if history and not clash and self._standalone_ok(rel, after):
                base = self.pristine[rel]
                target = self._replay_on_pristine(rel, after)
                err = check_parses(rel, target)
                if err:
                    raise EditError(err)
                deps_here: list[str] = []
            else:
                base, target = before, after
                # re-based on the current text: it needs what it overlaps (or everything)
                deps_here = [h.sid for h in (clash or history)]
            diff = unified_diff(rel, base, target)
            if not diff:
                raise EditError(f"{rel}: the edit makes no change")
            got = apply_diff(diff, {rel: base})[rel]
            if got != target:
                raise EditError(f"{rel}: internal check failed: the diff does not reproduce the edit")
            diffs.append(diff)
            deps.extend(d for d in deps_here if d not in deps)
        for rel, after in staged.items():
            ops = _ops(self.current[rel], after)
            moved = [_Applied(h.sid, [(_map_line(ops, a), _map_line(ops, b, end=True)) for a, b in h.ranges])
                     for h in self.history.get(rel, [])]
            moved.append(_Applied(sid, [(j1, max(j2, j1 + 1)) for tag, _, _, j1, j2 in ops if tag != "equal"]))
            self.history[rel] = moved
            self.current[rel] = after
        self.order.append(sid)
        return Outcome(True, diff="".join(diffs), files=list(staged), dependencies=deps)

    def _standalone_ok(self, rel: str, after: str) -> bool:
        try:
            self._replay_on_pristine(rel, after)
            return True
        except EditError:
            return False

    def _replay_on_pristine(self, rel: str, after: str) -> str:
        """The edit (current -> after) re-applied to the pristine text."""
        diff = unified_diff(rel, self.current[rel], after)
        try:
            return apply_diff(diff, {rel: self.pristine[rel]})[rel]
        except PatchError as exc:
            raise EditError(str(exc)) from exc

    def combined_diff(self) -> str:
        """One diff of every accepted edit, against the pristine files."""
        return "".join(unified_diff(rel, self.pristine[rel], self.current[rel])
                       for rel in sorted(self.current) if self.current[rel] != self.pristine[rel])


def _match_ignoring_indent(text: str, edit: Edit) -> Edit | None:
    """The edit re-anchored when ``find`` matches exactly one place once indentation is ignored.

    Models often drop or change the leading whitespace of the lines they copy; the
    lines themselves must still match exactly, and ``replace`` is re-indented by the
    same amount (the parse check still guards the result).
    """
    want = edit.find.split("\n")
    if want and want[-1] == "":
        want = want[:-1]
    want_s = [w.strip() for w in want]
    if not any(want_s):
        return None
    lines = text.split("\n")
    hits = [i for i in range(len(lines) - len(want) + 1)
            if all(lines[i + k].strip() == want_s[k] for k in range(len(want)))]
    if len(hits) != 1:
        return None
    i = hits[0]
    k0 = next(k for k, w in enumerate(want_s) if w)
    have_ind = re.match(r"[ \t]*", lines[i + k0]).group(0)
    want_ind = re.match(r"[ \t]*", want[k0]).group(0)

    def shift(line: str) -> str:
        if not line.strip():
            return line
        if have_ind.startswith(want_ind):
            return have_ind[len(want_ind):] + line
        if want_ind.startswith(have_ind) and line.startswith(want_ind[len(have_ind):]):
            return line[len(want_ind) - len(have_ind):]
        return line

    found = "\n".join(lines[i:i + len(want)]) + ("\n" if edit.find.endswith("\n") else "")
    if text.count(found) != 1:
        return None
    replace = "\n".join(shift(ln) for ln in edit.replace.split("\n"))
    return Edit(edit.file, found, replace)


def _near_miss(text: str, find: str) -> str:
    """A hint naming the closest line when ``find`` is almost there (whitespace, quotes)."""
    first = next((ln.strip() for ln in find.splitlines() if ln.strip()), "")
    if not first:
        return ""
    candidates = [ln.strip() for ln in text.splitlines() if ln.strip()]
    close = difflib.get_close_matches(first, candidates, n=1, cutoff=0.75)
    if close:
        return f"; the closest line in the file is {close[0]!r} (copy the text exactly, with its indentation)"
    return ""
