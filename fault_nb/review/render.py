"""Markdown and HTML views of reviews.

Everything that came from a model or from source code is untrusted: in HTML
it is escaped; in Markdown code goes into fences long enough that it cannot
close them early.
"""
from __future__ import annotations

import html
import re
from typing import Any

from .evidence import evidence_markdown, rate_text
from .model import sentence_case


def _fence(text: str, lang: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    ticks = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") else text + "\n"
    return f"{ticks}{lang}\n{body}{ticks}"


_FENCED = re.compile(r"(^(`{3,}|~{3,})[^\n]*\n.*?^\2[ \t]*$)", re.S | re.M)
_CODE_SPAN = re.compile(r"(`[^`\n]+`)")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
# a Markdown link (inline or reference) whose target runs script when clicked
_SCRIPT_LINK = re.compile(r"(?i)(\]\(\s*<?|^[ \t]*\[[^\]\n]+\]:[ \t]*<?)[ \t]*(javascript|vbscript|data)[ \t]*:", re.M)


def _disarm_links(text: str) -> str:
    """``[x](javascript:...)`` -> ``[x](#javascript-blocked:...)``: shown as a dead link, never run."""
    return _SCRIPT_LINK.sub(lambda m: f"{m.group(1)}#{m.group(2).lower()}-blocked:", text)


def neutralize_html(markdown: str) -> str:
    """Model-written Markdown with raw HTML disarmed (``<`` escaped outside code), so a report
    rendered by GitHub, pandoc or a browser shows tags as text instead of running them.

    >>> neutralize_html("a <script>x</script> `a<b`")
    'a &lt;script>x&lt;/script> `a<b`'
    """
    out = []
    for k, part in enumerate(_FENCED.split(markdown)):
        if k % 3 == 1:  # a fenced block, kept verbatim
            out.append(part)
        elif k % 3 == 2:  # the fence marker captured by the inner group
            continue
        else:
            out.append("".join(p if i % 2 else _disarm_links(_TAG_START.sub("&lt;", p))
                               for i, p in enumerate(_CODE_SPAN.split(part))))
    return "".join(out)


def _inline(text: Any) -> str:
    """One line of untrusted text, safe inside Markdown (no raw HTML, no line breaks)."""
    return _disarm_links(html.escape(str(text or "").replace("\n", " ").strip(), quote=False))


def provenance_line(p: Any) -> str:
    """"Reviewed by <label>; <created>; <token estimates> ..." for a Provenance (or its saved dict)."""
    from .model import Provenance

    p = Provenance.from_dict(p)
    tokens = ""
    if p.prompt_tokens is not None:  # LLM reviews: the server's usage, or labelled estimates
        label = "estimated tokens" if p.tokens_are_estimates else "tokens (server usage)"
        tokens = f"; {label}: {p.prompt_tokens} prompt + {p.completion_tokens or 0} completion"
    elif p.estimated_prompt_tokens is not None:
        tokens = (f"; estimated tokens: {p.estimated_prompt_tokens} prompt + "
                  f"{p.estimated_completion_tokens or 0} completion")
    if tokens and p.cache_hits:
        tokens += f" ({p.cache_hits} call(s) from cache)"
    if p.masked:
        kinds = sorted({m.get("kind", "?") for m in p.masked})
        tokens += f"; {len(p.masked)} secret(s) masked before sending ({', '.join(kinds)})"
    return f"Reviewed by {p.label}; {p.created}{tokens}."


def reviews_markdown(reviews: list, title: str | None = None) -> str:
    """Markdown for one or several endpoint reviews (fault's code-review-report.md, improved)."""
    out: list[str] = []
    if title or len(reviews) != 1:
        out += [f"# {title or 'Code review'}", ""]
    for r in reviews:
        out += _one_review_md(r, level=2 if (title or len(reviews) != 1) else 1)
    return "\n".join(out).rstrip() + "\n"


def _one_review_md(r, level: int) -> list[str]:
    h = "#" * level
    out = [f"{h} {_inline(r.operation_id)}: `{_inline(r.method)} {_inline(r.url)}`", ""]
    p = r.provenance
    if p.reviewer == "rules":
        out += [f"> **{_inline(sentence_case(p.label))}**: findings come from "
                "static checks of the handler and what it calls, ranked by the scenario evidence.", ""]
    if r.handler is not None:
        hd = r.handler
        if hd.file:
            out += [f"Handler: `{_inline(hd.function or '?')}` in `{_inline(hd.file)}` "
                    f"lines {hd.start_line}-{hd.end_line} (matched by {hd.how}).", ""]
        else:
            out += [f"Handler: not found ({_inline(hd.reason or 'unmapped')}).", ""]
    if r.evidence.rows or r.evidence.slo:
        out += [f"{h}# Scenario evidence", "", evidence_markdown(r.evidence), ""]
    verified, rejected = r.verified, r.rejected
    out += [f"{h}# Suggestions ({len(verified)} verified)", ""]
    if not verified:
        out += ["No verified change to suggest.", ""]
    for s in verified:
        out += [f"{h}## {s.id}. {_inline(s.title)}", "",
                f"*Category:* {_inline(s.category)}  ",
                f"*File:* `{_inline(s.file)}`" + (f" (line {s.line})" if s.line else "") + "  ",
                f"*Evidence:* {_inline(', '.join(s.evidence) or 'none cited')}"
                + (f"  \n*Needs:* {_inline(', '.join(s.dependencies))} (its edit builds on them)"
                   if s.dependencies else ""), ""]
        if s.rationale:
            out += [_inline(s.rationale), ""]
        out += [_fence(s.diff, "diff"), ""]
    if rejected:
        out += [f"{h}# Rejected suggestions ({len(rejected)})", "",
                "These edits did not apply cleanly or broke the file, even after one repair round; "
                "they are listed without a diff.", ""]
        for s in rejected:
            out += [f"- **{_inline(s.title)}** (`{_inline(s.file)}`): {_inline(s.error)}"]
        out.append("")
    measured = getattr(r, "measured", None)
    if measured:  # attached by Verification.attach(): what the change did when measured
        from ..verify.report import measured_markdown

        out += measured_markdown(measured, level)
    for note in r.notes:
        out += [f"> {_inline(note)}", ""]
    out += [f"*{_inline(provenance_line(p))}*", ""]
    return out


_CSS = """
<style>
.fnb-review{font-family:var(--jp-ui-font-family,system-ui,sans-serif);color:inherit}
.fnb-review .fnb-label{display:inline-block;padding:1px 6px;border-radius:4px;border:1px solid currentColor;opacity:.8;font-size:85%}
.fnb-review table{border-collapse:collapse;margin:.4em 0;color:inherit;font-size:inherit}
.fnb-review code{background:rgba(127,127,127,.15);padding:0 3px;border-radius:3px;color:inherit}
.fnb-review td,.fnb-review th{border:1px solid rgba(127,127,127,.4);padding:2px 6px;text-align:left}
.fnb-review pre.fnb-diff{padding:6px;border:1px solid rgba(127,127,127,.4);border-radius:4px;overflow:auto;line-height:1.35;background:rgba(127,127,127,.06)}
.fnb-review .fnb-add{background:rgba(46,160,67,.18);color:inherit;display:block}
.fnb-review .fnb-del{background:rgba(248,81,73,.18);color:inherit;display:block}
.fnb-review .fnb-hunk{color:rgba(110,140,255,1);display:block}
.fnb-review .fnb-meta{opacity:.7;display:block}
.fnb-review .fnb-ctx{display:block}
.fnb-review .fnb-miss{color:rgb(220,60,60);font-weight:bold}
</style>
"""


def diff_html(diff: str) -> str:
    """A diff as escaped HTML lines with classes that read in light and dark themes."""
    spans = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            cls = "fnb-meta"
        elif line.startswith("@@"):
            cls = "fnb-hunk"
        elif line.startswith("+"):
            cls = "fnb-add"
        elif line.startswith("-"):
            cls = "fnb-del"
        else:
            cls = "fnb-ctx"
        spans.append(f'<span class="{cls}">{html.escape(line) or "&nbsp;"}</span>')
    return '<pre class="fnb-diff">' + "".join(spans) + "</pre>"


_TICKS = re.compile(r"`([^`\n]+)`")


def rich_text(text: Any) -> str:
    """Escaped text with Markdown `code` spans shown as <code> (escaping first keeps it safe).

    >>> rich_text("Make `create_user` plain <def>")
    'Make <code>create_user</code> plain &lt;def&gt;'
    """
    return _TICKS.sub(r"<code>\1</code>", html.escape(str(text or "")))


def review_html(r) -> str:
    e = html.escape
    p = r.provenance
    parts = [_CSS, '<div class="fnb-review">',
             f"<h3>{e(r.operation_id)}: <code>{e(r.method)} {e(r.url)}</code></h3>"]
    if p.reviewer == "rules":
        parts.append(f'<p><span class="fnb-label">{e(sentence_case(p.label))}</span></p>')
    hd = r.handler
    if hd is not None and hd.file:
        parts.append(f"<p>Handler <code>{e(str(hd.function or '?'))}</code> in <code>{e(str(hd.file))}</code> "
                     f"lines {hd.start_line}-{hd.end_line}</p>")
    rows = r.evidence.rows
    if rows:
        parts.append("<table><tr><th>id</th><th>fault</th><th>req</th><th>p50 ms</th><th>p95 ms</th>"
                     "<th>p99 ms</th><th>failed</th><th>transport errors</th><th>timeouts</th><th>5xx</th></tr>")
        for row in rows:
            parts.append(f"<tr><td>{e(str(row['id']))}</td><td>{e(str(row['fault']))}</td><td>{row['requests']}</td>"
                         f"<td>{e(str(row['p50_ms']))}</td><td>{e(str(row['p95_ms']))}</td><td>{e(str(row['p99_ms']))}</td>"
                         f"<td>{rate_text(row, 'failure_rate')}</td><td>{rate_text(row, 'error_rate')}</td>"
                         f"<td>{rate_text(row, 'timeout_rate')}</td><td>{rate_text(row, 'http_5xx_rate')}</td></tr>")
        parts.append("</table>")
    for slo in r.evidence.slo:
        if not slo["pass"]:
            parts.append(f'<p class="fnb-miss">{e(slo["id"])}: SLO {e(str(slo["slo"]))} missed under '
                         f'{e(str(slo["fault"]))} ({e(str(slo["margin"]))})</p>')
    for s in r.verified:
        parts.append(f"<h4>{e(s.id)}. {rich_text(s.title)} <small>[{e(s.category)}]</small></h4>")
        meta = f"<code>{e(s.file)}</code>; evidence: {e(', '.join(s.evidence) or 'none cited')}"
        if s.dependencies:
            meta += f"; needs {e(', '.join(s.dependencies))}"
        parts.append(f"<p>{meta}</p><p>{rich_text(s.rationale)}</p>")
        parts.append(diff_html(s.diff))
    if r.rejected:
        parts.append("<h4>Rejected (no diff shown)</h4><ul>")
        for s in r.rejected:
            parts.append(f"<li><b>{rich_text(s.title)}</b> (<code>{e(s.file)}</code>): {e(s.error)}</li>")
        parts.append("</ul>")
    if not r.verified and not r.rejected:
        parts.append("<p>No verified change to suggest.</p>")
    if getattr(r, "measured", None):
        from ..verify.report import measured_html

        parts.append(measured_html(r.measured))
    for note in r.notes:
        parts.append(f"<p><i>{rich_text(note)}</i></p>")
    parts.append(f"<p><small>{e(provenance_line(p))}</small></p></div>")
    return "".join(parts)
