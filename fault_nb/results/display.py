"""Rich display of a Results: a compact, escaped summary that survives in a saved notebook.

Titles, URLs and operationIds come from the results file, so everything is
HTML-escaped (and ``|`` escaped in Markdown) before it is shown.
"""
from __future__ import annotations

import html
import math
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .model import Results

MAX_ROWS = 40


def _when(secs: int) -> str:
    return datetime.fromtimestamp(secs, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _ms(x: float) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}"


def _rows(results: "Results") -> list[tuple[str, ...]]:
    out = []
    items = results.items  # fault_label and the failed/5xx counts, the same numbers every view shows
    labels, failed, five = items["fault_label"].tolist(), items["failed_count"].tolist(), \
        items["http_5xx_count"].tolist()
    k = 0
    for si, scen in enumerate(results._report_numbers["scenario_summaries"]):
        for ii, item in enumerate(scen["item_summaries"]):
            ov = item["run_overview"][0]
            pcts = {p["percentile"]: p["latency"] for p in ov["latency_percentiles"]}
            opid = (item.get("meta") or {}).get("operation_id") or ""
            out.append((
                f"{si}.{ii}", scen["title"], item["call"]["method"], item["url"], opid,
                (item.get("strategy_mode") or {}).get("mode", "single"), str(labels[k]),
                str(ov["requests_count"]), str(failed[k]), str(five[k]), str(ov["error_count"]),
                str(ov["failure_count"]), _ms(pcts.get(50.0)), _ms(pcts.get(95.0)), item["final_status"],
            ))
            k += 1
    return out


# "failed": no answer, transport error, timeout, 5xx or missed expectation (runs.failed);
# "transport errors" and "exp. failures" and "fault status" are fault's own numbers
_HEAD = ("#", "scenario", "method", "url", "operationId", "strategy", "faults", "requests", "failed", "5xx",
         "transport errors", "exp. failures", "p50 ms", "p95 ms", "fault status")


def _headline(results: "Results") -> str:
    raw = results.raw
    n_scen = len(raw["results"])
    n_items = sum(len(sr["results"]) for sr in raw["results"])
    n_rows = sum(len(ir["results"]) for sr in raw["results"] for ir in sr["results"])
    failed = sum(1 for sr in raw["results"] for ir in sr["results"] if ir["failure_counts"])
    runs = results.runs
    bad = int(runs["failed"].sum()) if len(runs) else 0
    share = f" ({bad / len(runs):.0%})" if len(runs) else ""
    return (f"{n_scen} scenarios, {n_items} items, {n_rows} requests, {bad} failed{share}, "
            f"{failed} failing items by fault's verdict; {_when(raw['start'])} to {_when(raw['end'])}")


def summary_html(results: "Results") -> str:
    """An HTML table of the items (escaped), for ``_repr_html_``."""
    esc = html.escape
    rows = _rows(results)
    parts = [
        '<div class="fault-nb-results">',
        f"<p><strong>fault results</strong> <code>{esc(results.source)}</code>: {esc(_headline(results))}</p>",
        "<table><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in _HEAD) + "</tr></thead><tbody>",
    ]
    for row in rows[:MAX_ROWS]:
        cells = list(row)
        color = "#c0392b" if cells[-1] == "Fail" else "#27ae60"
        body = "".join(f"<td>{esc(c)}</td>" for c in cells[:-1])
        parts.append(f'<tr>{body}<td style="color:{color}">{esc(cells[-1])}</td></tr>')
    parts.append("</tbody></table>")
    if len(rows) > MAX_ROWS:
        parts.append(f"<p>... and {len(rows) - MAX_ROWS} more items (see <code>.items</code>)</p>")
    parts.append("</div>")
    return "\n".join(parts)


def _md_cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")


def summary_markdown(results: "Results") -> str:
    """A Markdown table of the items, for ``_repr_markdown_``."""
    rows = _rows(results)
    lines = [f"**fault results** `{_md_cell(results.source)}`: {_md_cell(_headline(results))}", "",
             "| " + " | ".join(_HEAD) + " |", "|" + "---|" * len(_HEAD)]
    for row in rows[:MAX_ROWS]:
        lines.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
    if len(rows) > MAX_ROWS:
        lines += ["", f"... and {len(rows) - MAX_ROWS} more items (see `.items`)"]
    return "\n".join(lines) + "\n"
