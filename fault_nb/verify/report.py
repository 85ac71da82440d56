"""Markdown and HTML views of a verification, and the "Measured effect" section of a review export.

Text that came from a model (suggestion titles) or from an app (log excerpts) is
untrusted: escaped in HTML, inline-escaped or fenced in Markdown.
"""
from __future__ import annotations

import html
from typing import Any

_MARK = {"improved": "improved", "regressed": "REGRESSED", "mixed": "mixed (trade-off)", "no-change": "no change"}
_COLOURS = {"improved": "#2e7d32", "regressed": "#c62828", "mixed": "#ef6c00", "no-change": "#616161"}


def _inline(text: Any) -> str:
    from ..review.render import _inline as inline

    return inline(text)


def _fence(text: str) -> str:
    from ..review.render import _fence as fence

    return fence(text)


def measured_markdown(measured: dict, level: int = 2) -> list[str]:
    """The "Measured effect" section of one endpoint's review (``Review.measured``), as lines."""
    if not measured or not (measured.get("verdicts") or measured.get("rows")):
        return []
    h = "#" * (level + 1)
    conf = measured.get("confidence", 0.95)
    out = [f"{h} Measured effect", "",
           f"Baseline and patched app ran the same scenarios with the same fault seed ({measured.get('seed')}), "
           f"{measured.get('runs', 1)} run(s) a side, suggestions applied {measured.get('mode', 'together')}; "
           f"intervals are {conf:.0%} confidence intervals of the difference.", ""]
    verdicts = measured.get("verdicts") or []
    if verdicts:
        out += ["| suggestion | verdict | better | worse |", "|---|---|---|---|"]
        for v in verdicts:
            out.append(f"| {_inline(v.get('suggestion_id'))}. {_inline(v.get('title'))} "
                       f"| **{_MARK.get(v.get('verdict'), _inline(v.get('verdict')))}** "
                       f"| {_inline('; '.join(v.get('improved') or []) or '-')} "
                       f"| {_inline('; '.join(v.get('regressed') or []) or '-')} |")
        out.append("")
        for v in verdicts:
            if v.get("note"):
                out += [f"> {_inline(v.get('suggestion_id'))}: {_inline(v['note'])}", ""]
            if v.get("log_excerpt"):
                out += [f"Log of the patched app ({_inline(v.get('suggestion_id'))}):", "", _fence(v["log_excerpt"]), ""]
    for note in measured.get("notes") or []:
        out += [f"> {_inline(note)}", ""]
    return out


def verification_markdown(v: Any) -> str:
    out = ["# Measured effect of the suggested changes", "",
           f"Mode **{_inline(v.mode)}**, {v.runs} run(s) a side, seed {v.seed}, "
           f"{v.confidence:.0%} confidence intervals; the loop took {v.wall_s:.0f} s.", ""]
    for note in v.notes:
        out += [f"> {_inline(note)}", ""]
    out += ["| suggestion | verdict | better | worse | note |", "|---|---|---|---|---|"]
    for s in v.verdicts:
        out.append(f"| `{_inline(s.key)}` {_inline(s.title)} | **{_MARK.get(s.verdict, _inline(s.verdict))}** "
                   f"| {_inline('; '.join(s.improved) or '-')} | {_inline('; '.join(s.regressed) or '-')} "
                   f"| {_inline(s.note) or '-'} |")
    out.append("")
    for s in v.verdicts:
        if s.log_excerpt:
            out += [f"Log of the patched app for `{_inline(s.key)}`:", "", _fence(s.log_excerpt), ""]
    for var in v.variants:
        rows = [r for r in _rows(var) if r.get("verdict") in ("improved", "regressed")]
        if var.name == "baseline" or not rows:
            continue
        out += [f"## {_inline(var.name)}: rows with a claim", ""] + _claim_rows_markdown(rows)
    if v.control is not None:
        out += _drift_markdown(v)
    return "\n".join(out).rstrip() + "\n"


def _claim_rows_markdown(rows: list[dict]) -> list[str]:
    from .verification import _unit, fmt_value

    out = ["| endpoint | fault | metric | before | after | delta | CI | n | verdict |",
           "|---|---|---|---:|---:|---:|---|---|---|"]
    for r in rows:
        u = _unit(r)
        out.append(f"| {_inline(r.get('operation_id'))} | {_inline(r.get('fault'))} | {_inline(r.get('metric'))} "
                   f"| {fmt_value(r.get('before'), u)} | {fmt_value(r.get('after'), u)} "
                   f"| {fmt_value(r.get('delta'), u, True)} "
                   f"| {fmt_value(r.get('ci_low'), u, True)} to {fmt_value(r.get('ci_high'), u, True)} "
                   f"| {r.get('n_before')}/{r.get('n_after')} | {_inline(r.get('verdict'))} |")
    return out + [""]


def _drift_lead(v: Any) -> str:
    """One sentence on the A/A control run: what ran, and what it found (or why it found nothing)."""
    from .verification import control_claims

    ctrl = v.control
    ran = (f"The unchanged app ran once more after the patched ones (same scenarios, seed {v.seed}, "
           f"{v.runs} run(s)) and was compared with the baseline")
    if ctrl.comparison is None:
        why = ctrl.error or ("it answered no request" if ctrl.no_answer else "it produced no results")
        return f"{ran}: no drift check ({why})."
    n = len(control_claims(ctrl.comparison))
    return (f"{ran}: {n} row(s) claimed a change; largest interval edge from 0 among its latency rows: "
            f"{v.drift_ms:.1f} ms.")


def _drift_markdown(v: Any) -> list[str]:
    out = ["## Drift check (A/A)", "", _inline(_drift_lead(v)), ""]
    comp = v.control.comparison
    if comp is None:
        return out
    out += ["| endpoint | improved | regressed | no change | headline |", "|---|---|---|---|---|"]
    for r in comp.summary().itertuples():
        out.append(f"| {_inline(r.operation_id)} | {r.improved} | {r.regressed} | {r.no_change} "
                   f"| {_inline(r.headline)} |")
    out.append("")
    rows = [r for r in _rows(v.control) if r.get("verdict") in ("improved", "regressed")]
    return out + (["Rows the unchanged app claimed:", ""] + _claim_rows_markdown(rows) if rows else [])


def _rows(variant: Any) -> list[dict]:
    from .verification import _records

    return _records(variant.comparison)


def verdict_badge(verdict: str) -> str:
    colour = _COLOURS.get(verdict, "#616161")
    return (f'<span class="fnb-verdict fnb-verdict-{html.escape(verdict)}" style="border:1px solid {colour};'
            f'color:{colour};border-radius:4px;padding:0 5px;font-weight:bold">'
            f"{html.escape(_MARK.get(verdict, verdict))}</span>")


def verification_html(v: Any) -> str:
    e = html.escape
    parts = ['<div class="fnb-verification">',
             f"<p>Mode <b>{e(v.mode)}</b>, {v.runs} run(s) a side, seed {v.seed}, {v.confidence:.0%} CIs, "
             f"{v.wall_s:.0f} s.</p>"]
    for note in v.notes:
        parts.append(f"<p><i>{e(note)}</i></p>")
    parts.append("<table><tr><th>suggestion</th><th>verdict</th><th>better</th><th>worse</th><th>note</th></tr>")
    for s in v.verdicts:
        better = "<br>".join(e(d) for d in s.improved) or "-"
        worse = "<br>".join(e(d) for d in s.regressed) or "-"
        note = e(s.note)
        if s.log_excerpt:
            note += f"<details><summary>app log</summary><pre>{e(s.log_excerpt)}</pre></details>"
        parts.append(f"<tr><td><code>{e(s.key)}</code> {e(s.title)}</td><td>{verdict_badge(s.verdict)}</td>"
                     f"<td>{better}</td><td>{worse}</td><td>{note or '-'}</td></tr>")
    parts.append("</table>")
    if v.control is not None:
        parts.append(f"<h4>Drift check (A/A)</h4><p>{e(_drift_lead(v))}</p>")
        if v.control.comparison is not None:
            parts.append("<table><tr><th>endpoint</th><th>improved</th><th>regressed</th><th>no change</th>"
                         "<th>headline</th></tr>")
            for r in v.control.comparison.summary().itertuples():
                parts.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in (
                    r.operation_id, r.improved, r.regressed, r.no_change, r.headline)) + "</tr>")
            parts.append("</table>")
    parts.append("</div>")
    return "".join(parts)


def measured_html(measured: dict) -> str:
    """The "Measured effect" of one endpoint's review as escaped HTML (the review's ``_repr_html_``)."""
    if not measured or not measured.get("verdicts"):
        return ""
    e = html.escape
    parts = [f"<h4>Measured effect</h4><p><small>same scenarios and fault seed ({e(str(measured.get('seed')))}), "
             f"{e(str(measured.get('runs', 1)))} run(s) a side, applied {e(str(measured.get('mode', '')))}</small></p>",
             "<table><tr><th>suggestion</th><th>verdict</th><th>better</th><th>worse</th></tr>"]
    for v in measured["verdicts"]:
        better = "<br>".join(e(d) for d in v.get("improved") or []) or "-"
        worse = "<br>".join(e(d) for d in v.get("regressed") or []) or "-"
        note = f"<br><i>{e(v['note'])}</i>" if v.get("note") else ""
        parts.append(f"<tr><td>{e(str(v.get('suggestion_id')))}. {e(str(v.get('title')))}{note}</td>"
                     f"<td>{verdict_badge(str(v.get('verdict')))}</td><td>{better}</td><td>{worse}</td></tr>")
    parts.append("</table>")
    return "".join(parts)
