"""Does an edited file still compile? Checks with the toolchains found on this machine.

``compile_check(rel, text)`` runs the strictest check that needs nothing but the
file itself, because a fix is verified on one file, without its project's
dependencies:

* Python: ``compile()`` (the full byte-code compiler).
* JavaScript: ``node --check`` (V8's parser; CommonJS and ES modules).
* TypeScript: ``tsc`` when it is on PATH, counting only its syntax errors
  (TS1xxx; a lone file cannot resolve its imports); otherwise skipped, and the
  file is only parsed by tree-sitter.
* Go: ``gofmt -e`` (the Go compiler's own parser); type checking needs the
  package, see :func:`project_check`.
* Java: ``javac`` stopped after parsing (Spring and other libraries are not on
  a class path here); JDK-only projects are compiled fully by :func:`project_check`.
* Rust: ``rustfmt`` (rustc's parser); ``cargo check`` needs the crate's
  dependencies, see :func:`project_check`.

Every tool is looked up first and bounded in time; a missing tool or a check
that runs out of time is ``skipped`` with the reason, never a pass.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["CompileCheck", "compile_check", "project_check"]

_JAVA_PARSE_ONLY = ["-XDshould-stop.ifError=PARSE", "-XDshould-stop.ifNoError=PARSE"]


@dataclass(frozen=True)
class CompileCheck:
    """``status`` is ``ok``, ``failed`` or ``skipped``; ``tool`` says what ran, ``detail`` why/what failed."""

    status: str
    tool: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@lru_cache(maxsize=None)
def _which(tool: str) -> str | None:
    return shutil.which(tool)


def _run(cmd: list[str], *, cwd: str | None = None, stdin: str | None = None, timeout_s: float,
         env: dict | None = None) -> tuple[int | None, str]:
    """(return code, output); ``None`` when it ran out of time (the process is killed)."""
    try:
        proc = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=timeout_s,
                              env=env)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout_s:g}s"
    except OSError as exc:
        return None, str(exc)
    return proc.returncode, (proc.stderr or proc.stdout or "").strip()


def _first_lines(text: str, n: int = 4) -> str:
    return "\n".join(text.splitlines()[:n])


def compile_check(rel: str, text: str, *, timeout_s: float = 60.0) -> CompileCheck:
    """Check one edited file with the language's own compiler front end.

    >>> compile_check("a.py", "x = (1,\\n").status
    'failed'
    """
    ext = Path(rel).suffix.lower()
    if ext in (".py", ".pyi"):
        try:
            compile(text, rel, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            return CompileCheck("failed", "python compile()", str(exc))
        return CompileCheck("ok", "python compile()")
    if ext in (".js", ".mjs", ".cjs"):
        return _with_file("node", rel, text, lambda p: ["node", "--check", p], timeout_s)
    if ext in (".ts", ".mts", ".cts", ".tsx"):
        return _typescript(rel, text, timeout_s)
    if ext == ".go":
        return _stdin_tool("gofmt", ["gofmt", "-e"], text, timeout_s, "gofmt -e (Go parser)")
    if ext == ".rs":
        return _stdin_tool("rustfmt", ["rustfmt", "--edition", "2021", "--emit", "stdout"], text, timeout_s,
                           "rustfmt (rustc parser)")
    if ext == ".java":
        return _with_file("javac", rel, text,
                          lambda p: ["javac", *_JAVA_PARSE_ONLY, "-d", str(Path(p).parent / "out"), p], timeout_s,
                          label="javac (parse)")
    return CompileCheck("skipped", "-", f"no compile check for {ext or 'this file'}")


def _stdin_tool(tool: str, cmd: list[str], text: str, timeout_s: float, label: str) -> CompileCheck:
    if _which(tool) is None:
        return CompileCheck("skipped", label, f"{tool} is not installed")
    rc, out = _run(cmd, stdin=text, timeout_s=timeout_s)
    if rc is None:
        return CompileCheck("skipped", label, out)
    return CompileCheck("ok", label) if rc == 0 else CompileCheck("failed", label, _first_lines(out))


def _with_file(tool: str, rel: str, text: str, cmd, timeout_s: float, label: str | None = None) -> CompileCheck:
    label = label or f"{tool} --check"
    if _which(tool) is None:
        return CompileCheck("skipped", label, f"{tool} is not installed")
    with tempfile.TemporaryDirectory(prefix="fault_nb_check_") as tmp:
        path = Path(tmp) / Path(rel).name
        path.write_text(text, encoding="utf-8")
        rc, out = _run(cmd(str(path)), cwd=tmp, timeout_s=timeout_s)
    if rc is None:
        return CompileCheck("skipped", label, out)
    return CompileCheck("ok", label) if rc == 0 else CompileCheck("failed", label, _first_lines(out))


def _typescript(rel: str, text: str, timeout_s: float) -> CompileCheck:
    if _which("tsc") is None:
        return CompileCheck("skipped", "tsc", "no TypeScript compiler (tsc) on PATH: parsed with tree-sitter only")
    with tempfile.TemporaryDirectory(prefix="fault_nb_check_") as tmp:
        path = Path(tmp) / Path(rel).name
        path.write_text(text, encoding="utf-8")
        rc, out = _run(["tsc", "--noEmit", "--isolatedModules", "--skipLibCheck", "--target", "es2022",
                        "--module", "nodenext", "--moduleResolution", "nodenext", str(path)], cwd=tmp,
                       timeout_s=timeout_s)
    if rc is None:
        return CompileCheck("skipped", "tsc (syntax)", out)
    syntax = [ln for ln in out.splitlines() if re.search(r"error TS1\d{3}:", ln)]
    return CompileCheck("failed", "tsc (syntax)", _first_lines("\n".join(syntax))) if syntax \
        else CompileCheck("ok", "tsc (syntax)")


def project_check(project_dir: str | os.PathLike, *, timeout_s: float = 300.0) -> list[CompileCheck]:
    """Whole-project checks where the project needs nothing from the network.

    Go modules (``go.mod``) get ``go vet ./...`` (which type-checks every package) with the
    module proxy off; Java files that import only ``java.*``/``javax.*`` are compiled together
    by ``javac``; JavaScript files get ``node --check`` each; Rust crates get
    ``cargo check --offline`` (skipped when the dependencies are not in the local registry).
    """
    root = Path(project_dir)
    out: list[CompileCheck] = []
    if (root / "go.mod").is_file():
        if _which("go") is None:
            out.append(CompileCheck("skipped", "go vet", "go is not installed (apt-get install golang-go)"))
        else:
            with tempfile.TemporaryDirectory(prefix="fault_nb_go_") as cache:
                env = {**os.environ, "GOPROXY": "off", "GOFLAGS": "-mod=mod", "GOCACHE": cache,
                       "GOTOOLCHAIN": "local"}
                rc, msg = _run(["go", "vet", "./..."], cwd=str(root), timeout_s=timeout_s, env=env)
            out.append(CompileCheck("skipped" if rc is None else "ok" if rc == 0 else "failed", "go vet ./...",
                                    "" if rc == 0 else _first_lines(msg, 8)))
    java = [p for p in sorted(root.rglob("*.java"))
            if all(i.startswith(("java.", "javax.")) for i in
                   re.findall(r"^import\s+(?:static\s+)?([\w.]+)", p.read_text(encoding="utf-8"), re.M))]
    if java:
        if _which("javac") is None:
            out.append(CompileCheck("skipped", "javac", "javac is not installed"))
        else:
            with tempfile.TemporaryDirectory(prefix="fault_nb_javac_") as tmp:
                rc, msg = _run(["javac", "-d", tmp, *map(str, java)], timeout_s=timeout_s)
            out.append(CompileCheck("skipped" if rc is None else "ok" if rc == 0 else "failed",
                                    f"javac ({len(java)} JDK-only files)", "" if rc == 0 else _first_lines(msg, 8)))
    if (root / "Cargo.toml").is_file():
        if _which("cargo") is None:
            out.append(CompileCheck("skipped", "cargo check", "cargo is not installed"))
        else:
            with tempfile.TemporaryDirectory(prefix="fault_nb_cargo_") as target:
                rc, msg = _run(["cargo", "check", "--offline", "--quiet", "--target-dir", target], cwd=str(root),
                               timeout_s=timeout_s)
            if rc not in (0, None) and re.search(r"offline|no matching package|failed to (get|load|select)",
                                                 msg, re.I):
                out.append(CompileCheck("skipped", "cargo check --offline",
                                        "the crate's dependencies are not in the local cargo registry (offline)"))
            else:
                out.append(CompileCheck("skipped" if rc is None else "ok" if rc == 0 else "failed",
                                        "cargo check --offline", "" if rc == 0 else _first_lines(msg, 8)))
    for p in sorted(root.rglob("*")):
        if p.suffix in (".js", ".mjs", ".cjs") and "node_modules" not in p.parts:
            c = compile_check(p.name, p.read_text(encoding="utf-8"), timeout_s=timeout_s)
            out.append(CompileCheck(c.status, f"{c.tool} {p.relative_to(root).as_posix()}", c.detail))
    return out
