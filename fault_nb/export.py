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

from ._io import atomic_write, numbered_name, write_new
from ._tools import find_tool, run_tool
from .errors import ExportError

_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm; @bottom-right { content: counter(page) " / " counter(pages);
        font: 8pt "DejaVu Sans", sans-serif; color: #777; } }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 9.5pt; line-height: 1.45; color: #1f2328; }
h1 { font-size: 15pt; margin: 0 0 8pt; padding-bottom: 4pt; border-bottom: 2px solid #1f2328; }
h1 ~ h1 { break-before: page; }  /* one endpoint per page in a many-endpoint report */
h2 { font-size: 12pt; margin: 16pt 0 6pt; color: #24292f; border-bottom: 1px solid #d0d7de; padding-bottom: 2pt; }
h3 { font-size: 10.5pt; margin: 14pt 0 4pt; }
h1, h2, h3, h4 { break-after: avoid; }
p, ul, ol { margin: 0 0 6pt; }
blockquote { margin: 6pt 0; padding: 4pt 8pt; border-left: 3px solid #d0d7de; color: #57606a; background: #f6f8fa; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; background: #eff1f3; padding: 0 2px;
       border-radius: 2px; }
pre { font-family: "DejaVu Sans Mono", monospace; font-size: 8pt; line-height: 1.35; white-space: pre-wrap;
      word-wrap: break-word; background: #f6f8fa; padding: 6px 8px; border: 1px solid #d0d7de; border-radius: 3px; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; margin: 6pt 0 14pt; font-size: 8pt; break-inside: auto; }
tr { break-inside: avoid; }
td, th { border: 1px solid #d0d7de; padding: 2pt 5pt; vertical-align: top; }
th { background: #f0f3f6; text-align: left; }
table + table { margin-top: 16pt; }
/* diffs (the Lua filter below marks every line): red removed, green added, kept on one page if it fits */
div.diff { break-inside: avoid; margin: 4pt 0 10pt; }
pre.diff { padding: 4px 0; white-space: pre-wrap; }
pre.diff span { display: block; padding: 0 8px; min-height: 1.35em; }
pre.diff span.add { background: #dafbe1; color: #116329; }
pre.diff span.del { background: #ffebe9; color: #82071e; }
pre.diff span.hunk { background: #ddf4ff; color: #0550ae; }
pre.diff span.file { color: #57606a; font-weight: bold; }
"""

# diff code blocks become one <span class="add|del|hunk|file|ctx"> per line (escaped text), so the
# CSS can colour them; pandoc's own highlighter paints them blue and navy
_DIFF_FILTER = r"""
local function esc(s)
  s = s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")
  return s
end
function CodeBlock(el)
  if el.classes[1] ~= "diff" then return nil end
  local out = {}
  for line in (el.text .. "\n"):gmatch("(.-)\n") do
    local cls = "ctx"
    if line:sub(1, 3) == "+++" or line:sub(1, 3) == "---" then cls = "file"
    elseif line:sub(1, 2) == "@@" then cls = "hunk"
    elseif line:sub(1, 1) == "+" then cls = "add"
    elseif line:sub(1, 1) == "-" then cls = "del" end
    table.insert(out, '<span class="' .. cls .. '">' .. esc(line) .. '</span>')
  end
  return pandoc.RawBlock("html", '<div class="diff"><pre class="diff">' .. table.concat(out, "") .. '</pre></div>')
end
"""

#: fault's emoji markers as words in the PDF only (Linux without an emoji font draws empty boxes);
#: the Markdown files keep fault's bytes
PDF_WORDS = {
    "\u2705": "pass", "\u274c": "FAIL", "\U0001f3af ": "", "\U0001f3af": "",
    "\U0001f5a5\ufe0f": "client ", "\U0001f5a7": " server", "\ufe0f": "",
}


def pdf_text(markdown: str) -> str:
    """The Markdown the PDF is made from: fault's emoji markers become words.

    >>> pdf_text("| P95 < 300ms | \u2705 |")
    '| P95 < 300ms | pass |'
    """
    for glyph, word in PDF_WORDS.items():
        markdown = markdown.replace(glyph, word)
    return markdown


def _weasyprint_cmd() -> str | None:
    return find_tool("weasyprint")


def markdown_to_pdf(markdown: str, path: str | os.PathLike, *, title: str = "fault-nb report",
                    timeout: float = 120.0) -> Path:
    """Render Markdown to PDF with pandoc and weasyprint; raise ExportError naming what is missing.

    >>> markdown_to_pdf(review.to_markdown(), "review.pdf")  # doctest: +SKIP
    """
    target = Path(path)
    return atomic_write(target, render_pdf(markdown, title=title, timeout=timeout, name=target))


def render_pdf(markdown: str, *, title: str = "fault-nb report", timeout: float = 120.0,
               name: str | os.PathLike = "report.pdf") -> bytes:
    """The PDF bytes of ``markdown`` (pandoc + weasyprint); ``name`` only labels the errors."""
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
    with tempfile.TemporaryDirectory(prefix="fault-nb-pdf-") as tmp:
        src = Path(tmp) / "report.md"
        css = Path(tmp) / "report.css"
        lua = Path(tmp) / "diff.lua"
        out = Path(tmp) / "report.pdf"
        src.write_text(pdf_text(markdown), encoding="utf-8")
        css.write_text(_CSS, encoding="utf-8")
        lua.write_text(_DIFF_FILTER, encoding="utf-8")
        env = dict(os.environ)
        env["PATH"] = str(Path(engine).parent) + os.pathsep + env.get("PATH", "")
        cmd = [pandoc, str(src), "-f", "gfm", "-o", str(out), "--standalone", f"--pdf-engine={engine}",
               "--css", str(css), "--lua-filter", str(lua),
               # pagetitle names the document without a second visible heading over the report's own
               "--metadata", f"pagetitle={title}"]
        try:
            # its own process group: pandoc's weasyprint goes too when the time is up
            proc = run_tool(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired as exc:
            raise ExportError(f"{name}: pandoc took longer than {timeout:.0f}s") from exc
        if proc.returncode != 0 or not out.exists():
            raise ExportError(f"{name}: pandoc failed: {(proc.stderr or proc.stdout).strip()[:500]}")
        return out.read_bytes()


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


def save_report(markdown: str, path: str | os.PathLike, *, overwrite: bool = False,
                title: str = "fault-nb report") -> Path:
    """Write ``markdown`` as .md (or PDF for a .pdf name) and return the path really written:
    an existing file is kept and a numbered name used, unless ``overwrite=True``.

    The file appears under its name complete or not at all (:func:`fault_nb._io.write_new`), so a
    watcher never reads it empty, and a failed PDF leaves no file behind.

    >>> save_report(review.to_markdown(), "out/code-review-report.md")  # doctest: +SKIP
    PosixPath('out/code-review-report-2.md')
    """
    target = Path(path)
    data: str | bytes = (render_pdf(markdown, title=title, name=target) if target.suffix.lower() == ".pdf"
                         else markdown)
    if overwrite:
        return atomic_write(target, data)
    try:
        return write_new(target, data)
    except FileExistsError as exc:
        raise ExportError(f"{target}: no free numbered name next to it; pass overwrite=True or clean the folder") from exc


def run_folder(base: str | os.PathLike = "out", *, prefix: str = "run") -> Path:
    """A new folder ``base/<prefix>-YYYYMMDD-HHMMSS[-n]`` for one notebook run's outputs.

    >>> OUT = run_folder("out")  # doctest: +SKIP
    """
    import time

    root = Path(base)
    root.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 10_000):
        folder = numbered_name(root / f"{prefix}-{stamp}", n)
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise ExportError(f"{root}: no free run folder name")


def export_report(markdown: str, path: str | os.PathLike) -> Path:
    """Write ``markdown`` to ``path`` as .md, or as PDF when the name ends in .pdf (replacing a file
    there: the user named it)."""
    return save_report(markdown, path, overwrite=True)
