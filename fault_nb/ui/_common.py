"""Helpers shared by the widgets: optional imports, asset paths, HTML boxes, fallbacks."""
from __future__ import annotations

import html
from pathlib import Path

from ..errors import require

_PKG = Path(__file__).resolve().parent.parent


def widgets_module():
    """ipywidgets, or a MissingExtraError naming the ``notebook`` extra."""
    return require("ipywidgets", "notebook")


def asset(name: str) -> Path:
    """Path of a front-end file: the repo's ``widgets/`` in a checkout, else the wheel's copy.

    >>> asset("diffviewer.js").name
    'diffviewer.js'
    """
    repo = _PKG.parent / "widgets" / name
    if repo.is_file():
        return repo
    return _PKG / "_static" / name


def error_box(message: str, title: str = "Error") -> str:
    """An escaped HTML error box (the panel shows this instead of a traceback)."""
    return (
        '<div class="fnb-error" role="alert" style="border:1px solid var(--jp-error-color1,#d32f2f);'
        "background:var(--jp-error-color3,#ffebee);color:var(--jp-ui-font-color1,#000);"
        'padding:6px 10px;border-radius:4px;margin:4px 0">'
        f"<strong>{html.escape(title)}:</strong> {html.escape(message)}</div>"
    )


def note(message: str) -> str:
    return f'<div class="fnb-note" style="color:var(--jp-ui-font-color2,#555)">{html.escape(message)}</div>'


def with_fallback(bundle: dict | tuple | None, text: str, html_text: str | None = None):
    """Add ``text/plain`` (and ``text/html``) to a widget's mime bundle.

    JupyterLab ranks the widget view above these, so they only show where no
    kernel or widget manager is around (GitHub, nbviewer, a saved notebook).
    """
    metadata = None
    if isinstance(bundle, tuple):
        bundle, metadata = bundle
    data = dict(bundle or {})
    data["text/plain"] = text
    if html_text is not None:
        data["text/html"] = html_text
    return (data, metadata) if metadata is not None else data


def in_voila() -> bool:
    """Whether this kernel serves a Voilà page (Voilà sets these in the kernel's environment)."""
    import os

    return "VOILA_KERNEL_ID" in os.environ or os.environ.get("SERVER_SOFTWARE", "").startswith("voila")


DOWNLOAD_MAX_BYTES = 20 * 1024 * 1024  # a bigger file is only named, not inlined into the page


def download_link(path: str | Path) -> str:
    """An escaped ``<a download>`` link carrying the file itself (a data: URL): Voilà serves no files.

    >>> download_link(asset("diffviewer.css"))[:40]
    '<a class="fnb-download" download="diffvi'
    """
    import base64
    import mimetypes

    p = Path(path)
    data = p.read_bytes()
    if len(data) > DOWNLOAD_MAX_BYTES:
        return f"<span>{html.escape(str(p))} is too big to download from the page</span>"
    mime = {".md": "text/markdown"}.get(p.suffix.lower()) or mimetypes.guess_type(p.name)[0] or \
        "application/octet-stream"
    href = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return (f'<a class="fnb-download" download="{html.escape(p.name)}" href="{href}">'
            f"Download {html.escape(p.name)}</a>")


def file_link(path: str | Path):
    """An IPython ``FileLink`` to ``path`` (relative to the kernel's folder, which is what Lab opens),
    or None when the file lies outside that folder."""
    import os

    from IPython.display import FileLink

    rel = os.path.relpath(Path(path).resolve(), Path.cwd().resolve())
    if rel.startswith(".."):
        return None
    return FileLink(rel, result_html_prefix="Open: ")
