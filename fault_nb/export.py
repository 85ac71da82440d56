"""Export Markdown reports to files and PDF (pandoc + weasyprint), never overwriting without a choice.

PDF goes through pandoc (system package) with ``--pdf-engine=weasyprint``
(Python package, extra ``pdf``); when either is missing an
:class:`~fault_nb.errors.ExportError` says what to install.

Names: a whole report keeps its own name (``code-review-report.md``), the
review of one endpoint is named after it (``code-review-<operationId>.md``,
:func:`report_name`). :func:`save_report` keeps an existing file and writes
``name-2.md``, ``name-3.md`` ... unless ``overwrite=True``; :func:`run_folder`
gives a notebook run its own folder so it never replaces another run's files.
"""
from __future__ import annotations

import os
import shutil  # noqa: F401 - tests hide pandoc through export.shutil.which
import subprocess
import tempfile
from pathlib import Path

from ._io import atomic_write
from ._tools import find_tool, run_tool
from .errors import ExportError

_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; line-height: 1.4; }
pre, code { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; }
pre { white-space: pre-wrap; word-wrap: break-word; background: #f6f8fa; padding: 6px; border: 1px solid #ddd; }
table { border-collapse: collapse; } td, th { border: 1px solid #bbb; padding: 2px 5px; }
@page { size: A4; margin: 16mm; }
"""


def write_markdown(text: str, path: str | os.PathLike) -> Path:
    """Write a Markdown report atomically.

    >>> write_markdown("# Report\\n", "out/report.md")  # doctest: +SKIP
    """
    return atomic_write(path, text)


def _weasyprint_cmd() -> str | None:
    return find_tool("weasyprint")


def markdown_to_pdf(markdown: str, path: str | os.PathLike, *, title: str = "fault-nb report",
                    timeout: float = 120.0) -> Path:
    """Render Markdown to PDF with pandoc and weasyprint; raise ExportError naming what is missing.

    >>> markdown_to_pdf(review.to_markdown(), "review.pdf")  # doctest: +SKIP
    """
    pandoc = find_tool("pandoc")
    if pandoc is None:
        raise ExportError("PDF export needs pandoc: install it (apt-get install pandoc / brew install pandoc) "
                          "or export Markdown instead")
    engine = _weasyprint_cmd()
    try:
        import weasyprint  # noqa: F401
    except ImportError:
        engine = None
    if engine is None:
        raise ExportError("PDF export needs weasyprint: pip install 'fault-nb[pdf]'")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fault-nb-pdf-") as tmp:
        src = Path(tmp) / "report.md"
        css = Path(tmp) / "report.css"
        out = Path(tmp) / "report.pdf"
        src.write_text(markdown, encoding="utf-8")
        css.write_text(_CSS, encoding="utf-8")
        env = dict(os.environ)
        env["PATH"] = str(Path(engine).parent) + os.pathsep + env.get("PATH", "")
        cmd = [pandoc, str(src), "-f", "gfm", "-o", str(out), "--standalone", f"--pdf-engine={engine}",
               "--css", str(css), "--metadata", f"title={title}"]
        try:
            # its own process group: pandoc's weasyprint goes too when the time is up
            proc = run_tool(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired as exc:
            raise ExportError(f"{target}: pandoc took longer than {timeout:.0f}s") from exc
        if proc.returncode != 0 or not out.exists():
            raise ExportError(f"{target}: pandoc failed: {(proc.stderr or proc.stdout).strip()[:500]}")
        atomic_write(target, out.read_bytes())
    return target


REPORT_NAME = "code-review-report"  # fault's name for the whole code-review report


def report_name(operation_id: str | None = None, suffix: str = ".md") -> str:
    """The file name of a code-review export: the whole report's, or one endpoint's.

    >>> report_name(), report_name("create_user_users__post", ".pdf")
    ('code-review-report.md', 'code-review-create_user_users__post.pdf')
    """
    import re

    if not operation_id:
        return REPORT_NAME + suffix
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", operation_id).strip("._") or "endpoint"
    return f"code-review-{safe[:120]}{suffix}"


def claim_path(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """``path``, or when a file is already there (and ``overwrite`` is False) the first free
    ``stem-2.ext``, ``stem-3.ext`` ...; the free name is claimed (an empty file) so that two
    exports at once never pick the same one.

    >>> claim_path("out/report.md")  # doctest: +SKIP
    PosixPath('out/report-2.md')
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if overwrite:
        return target
    for n in range(1, 10_000):
        candidate = target if n == 1 else target.with_name(f"{target.stem}-{n}{target.suffix}")
        try:
            fd = os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            continue
        os.close(fd)
        return candidate
    raise ExportError(f"{target}: no free numbered name next to it; pass overwrite=True or clean the folder")


def save_report(markdown: str, path: str | os.PathLike, *, overwrite: bool = False,
                title: str = "fault-nb report") -> Path:
    """Write ``markdown`` as .md (or PDF for a .pdf name) and return the path really written:
    an existing file is kept and a numbered name used, unless ``overwrite=True``.

    >>> save_report(review.to_markdown(), "out/code-review-report.md")  # doctest: +SKIP
    PosixPath('out/code-review-report-2.md')
    """
    target = claim_path(path, overwrite=overwrite)
    claimed = not overwrite
    try:
        if target.suffix.lower() == ".pdf":
            return markdown_to_pdf(markdown, target, title=title)
        return write_markdown(markdown, target)
    except BaseException:
        if claimed and target.is_file() and target.stat().st_size == 0:
            target.unlink()  # give the claimed name back
        raise


def run_folder(base: str | os.PathLike = "out", *, prefix: str = "run") -> Path:
    """A new folder ``base/<prefix>-YYYYMMDD-HHMMSS[-n]`` for one notebook run's outputs.

    >>> OUT = run_folder("out")  # doctest: +SKIP
    """
    import time

    root = Path(base)
    root.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 10_000):
        folder = root / (f"{prefix}-{stamp}" if n == 1 else f"{prefix}-{stamp}-{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise ExportError(f"{root}: no free run folder name")


def export_report(markdown: str, path: str | os.PathLike) -> Path:
    """Write ``markdown`` to ``path`` as .md, or as PDF when the name ends in .pdf."""
    return markdown_to_pdf(markdown, path) if str(path).lower().endswith(".pdf") else write_markdown(markdown, path)
