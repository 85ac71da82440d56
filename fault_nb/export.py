"""Export Markdown reports to files and PDF (pandoc + weasyprint).

PDF goes through pandoc (system package) with ``--pdf-engine=weasyprint``
(Python package, extra ``pdf``); when either is missing an
:class:`~fault_nb.errors.ExportError` says what to install.
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


def export_report(markdown: str, path: str | os.PathLike) -> Path:
    """Write ``markdown`` to ``path`` as .md, or as PDF when the name ends in .pdf."""
    return markdown_to_pdf(markdown, path) if str(path).lower().endswith(".pdf") else write_markdown(markdown, path)
