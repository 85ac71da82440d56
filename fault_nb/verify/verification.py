"""What the verification loop returns: both runs, the comparison, a verdict per suggestion.

The verdict of a suggestion summarises the comparison rows of its endpoint:
``improved`` (some metric better, none worse), ``regressed`` (some worse, none
better, or the patched app did not start / answered 5xx to everything),
``mixed`` (a trade-off: some better, some worse, e.g. p99 down and 5xx up
because a timeout now fails fast) or ``no-change`` (no row claims a change;
that also covers "not enough data", which the rows' notes say).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._io import atomic_write

VERDICTS = ("improved", "regressed", "mixed", "no-change")
LOG_EXCERPT_CHARS = 1500
CONTROL = "baseline (control)"  # the A/A run: the unchanged app once more, after the patched ones


@dataclass
class SuggestionVerdict:
    """The measured verdict of one suggestion (``key`` is ``"<operation_id>:<suggestion id>"``)."""

    key: str
    operation_id: str
    suggestion_id: str
    title: str
    verdict: str
    variant: str
    improved: list[str] = field(default_factory=list)
    regressed: list[str] = field(default_factory=list)
    note: str = ""
    log_excerpt: str = ""

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Variant:
    """One app build that ran: the baseline, one suggestion alone, or several together."""

    name: str
    suggestions: list[str]
    diff: str = ""
    results: Any = None
    comparison: Any = None
    app_log: Path | None = None
    app_pid: int | None = None
    started: bool = False
    error: str = ""
    log_excerpt: str = ""
    wall_s: float = 0.0
    all_failed: bool = False
    all_500: bool = False
    no_answer: bool = False


def _num(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def fmt_value(value: Any, unit: str, signed: bool = False) -> str:
    """A comparison value in its unit: ``812 ms``, ``+12.5%`` (compare's rates are in %)."""
    v = _num(value)
    if v is None:
        return "?"
    if unit == "ms":
        return f"{v:+.0f} ms" if signed else f"{v:.0f} ms"
    if unit == "%":
        return f"{v:+.1f}%" if signed else f"{v:.1f}%"
    return f"{v:+.3g}{unit}" if signed else f"{v:.3g}{unit}"


def _unit(row: dict) -> str:
    unit = row.get("unit")
    if unit:
        return str(unit)
    return "ms" if str(row.get("metric", "")).endswith("_ms") else "%"


def describe_row(row: dict) -> str:
    """One comparison row as a sentence: ``p99_ms, latency: 1612 ms → 845 ms (-767 ms, CI -790 ms to -741 ms; n 16/16)``."""
    unit = _unit(row)
    lo, hi = _num(row.get("ci_low")), _num(row.get("ci_high"))
    ci = f", CI {fmt_value(lo, unit, True)} to {fmt_value(hi, unit, True)}" if lo is not None and hi is not None else ""
    n = f"; n {row.get('n_before', '?')}/{row.get('n_after', '?')}"
    fault = row.get("fault") or "no fault"
    return (f"{row.get('metric', '?')}, {fault}: {fmt_value(row.get('before'), unit)} → "
            f"{fmt_value(row.get('after'), unit)} ({fmt_value(row.get('delta'), unit, True)}{ci}{n})")


def verdict_of(rows: list[dict]) -> tuple[str, list[str], list[str]]:
    """(verdict, improved descriptions, regressed descriptions) from comparison rows."""
    up = [describe_row(r) for r in rows if r.get("verdict") == "improved"]
    down = [describe_row(r) for r in rows if r.get("verdict") == "regressed"]
    if up and down:
        return "mixed", up, down
    if up:
        return "improved", up, down
    if down:
        return "regressed", up, down
    return "no-change", up, down


def _records(comparison: Any) -> list[dict]:
    if comparison is None:
        return []
    table = getattr(comparison, "table", None)
    if table is None:
        return list(comparison.get("rows", [])) if isinstance(comparison, dict) else []
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in table.to_dict("records")]


def _latency_edge(row: dict) -> float | None:
    """For a latency row (p50/p95/p99) whose interval excludes 0: the distance from 0 of its nearest
    edge, in ms; else None."""
    from .compare import LATENCY_METRICS

    lo, hi = _num(row.get("ci_low")), _num(row.get("ci_high"))
    if row.get("metric") not in LATENCY_METRICS or lo is None or hi is None or not (lo > 0 or hi < 0):
        return None
    return min(abs(lo), abs(hi))


def drift_of(comparison: Any) -> float:
    """How far from 0 the unchanged app moved by itself: the largest :func:`_latency_edge` over the
    A/A comparison's rows, in ms (0.0 when no latency interval excludes 0)."""
    return max((e for e in map(_latency_edge, _records(comparison)) if e is not None), default=0.0)


def control_claims(comparison: Any) -> list[dict]:
    """The rows of the A/A comparison that claim a change (the unchanged app "improved" or "regressed")."""
    return [r for r in _records(comparison) if r.get("verdict") in ("improved", "regressed")]


def describe_claim(row: dict, confidence: float) -> str:
    """``stock_get latency p50_ms +3.1 ms (95% CI +1.2 ms to +5.0 ms)``: a claim in a note, in
    :mod:`~fault_nb.verify.compare`'s own number format (one decimal, so sub-ms drift shows)."""
    from .compare import _ci, _signed

    unit = _unit(row)
    lo, hi, delta = (math.nan if _num(row.get(k)) is None else _num(row.get(k)) for k in ("ci_low", "ci_high", "delta"))
    ci = f" ({confidence:.0%} CI {_ci(lo, hi, unit)})" if not (math.isnan(lo) or math.isnan(hi)) else ""
    return f"{row.get('operation_id')} {row.get('fault') or 'no fault'} {row.get('metric')} {_signed(delta, unit)}{ci}"


def control_note(comparison: Any, confidence: float = 0.95, most: int = 4) -> str:
    """What the A/A control says, as one note: the rows it claimed, or that it claimed nothing.

    >>> control_note(None)
    "control: the unchanged app's second run made no claim (largest interval edge from 0: 0.0 ms)"
    """
    claims = control_claims(comparison)
    if not claims:
        return ("control: the unchanged app's second run made no claim "
                f"(largest interval edge from 0: {drift_of(comparison):.1f} ms)")
    named = "; ".join(describe_claim(r, confidence) for r in claims[:most])
    more = f"; and {len(claims) - most} more row(s)" if len(claims) > most else ""
    return (f"the unchanged app's second run differed: {named}{more}: claims of that size may be the machine, "
            "not the change")


def drift_mark(rows: list[dict], control_comparison: Any) -> str:
    """The note a suggestion's verdict gets when the A/A control claimed something ("" when it did not).

    ``rows``: the comparison rows behind the verdict. Its latency claims whose interval edge nearest
    0 lies within the control's drift are named: the machine alone moved that much.
    """
    if not control_claims(control_comparison):
        return ""
    drift = drift_of(control_comparison)
    within = [f"{r.get('metric')} ({r.get('fault') or 'no fault'})" for r in rows
              if r.get("verdict") in ("improved", "regressed") and (e := _latency_edge(r)) is not None and e <= drift]
    if within:
        return (f"drift check: {', '.join(within)} within what the unchanged app moved by itself "
                f"({drift:.1f} ms): may be the machine")
    return (f"drift check: the unchanged app's second run also claimed a change (latency up to {drift:.1f} ms); "
            "weigh these claims against it")


@dataclass
class Verification:
    """The result of :func:`fault_nb.verify_fix`.

    ``baseline`` / ``patched`` are the Results of the original app and of the app
    with every chosen suggestion; ``comparison`` compares them; ``verdicts`` has one
    :class:`SuggestionVerdict` per chosen suggestion; ``variants`` every app build
    that ran (with ``mode="each"``, one per suggestion plus all together); ``logs``
    maps a variant to its app log. ``control`` (with ``verify_fix(control=True)``) is the A/A
    run: the unchanged app once more after the patched ones, its ``comparison`` baseline vs
    itself; ``drift_ms`` says how far it moved (not a suggestion, not in ``variants``).

    >>> v = fault_nb.verify_fix(reviews, "scenario.yaml", "app/", AppSpec.uvicorn())  # doctest: +SKIP
    >>> v.table  # doctest: +SKIP
    """

    baseline: Any
    patched: Any
    comparison: Any
    verdicts: list[SuggestionVerdict]
    variants: list[Variant]
    logs: dict[str, Path]
    mode: str = "together"
    runs: int = 1
    seed: int = 0
    confidence: float = 0.95
    out_dir: Path | None = None
    wall_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    reviews: list = field(default_factory=list, repr=False)
    control: Variant | None = None

    @property
    def drift_ms(self) -> float | None:
        """The A/A control's drift (:func:`drift_of`), or None without a compared control run."""
        if self.control is None or self.control.comparison is None:
            return None
        return drift_of(self.control.comparison)

    # ------------------------------------------------------------ views
    @property
    def table(self):
        """One row per suggestion: key, operation_id, suggestion_id, title, verdict, variant, improved, regressed, note."""
        import pandas as pd

        cols = ["key", "operation_id", "suggestion_id", "title", "verdict", "variant", "improved", "regressed", "note"]
        return pd.DataFrame([{c: ("; ".join(v) if isinstance(v := getattr(x, c), list) else v) for c in cols}
                             for x in self.verdicts], columns=cols)

    def verdict_for(self, operation_id: str, suggestion_id: str) -> SuggestionVerdict | None:
        key = f"{operation_id}:{suggestion_id}"
        return next((v for v in self.verdicts if v.key == key), None)

    def variant(self, name: str) -> Variant:
        every = self.variants + ([self.control] if self.control is not None else [])
        for v in every:
            if v.name == name:
                return v
        raise KeyError(f"no variant {name!r}; expected one of: {', '.join(v.name for v in every)}")

    def rows(self, operation_id: str | None = None, variant: str | None = None) -> list[dict]:
        """Comparison rows (plain dicts) of ``variant`` (default: the patched one), optionally of one endpoint."""
        comp = self.comparison if variant is None else self.variant(variant).comparison
        rows = _records(comp)
        return [r for r in rows if operation_id is None or r.get("operation_id") == operation_id]

    def measured(self, operation_id: str) -> dict:
        """What a Review of ``operation_id`` carries as ``measured`` (plain data; exports render it)."""
        return {
            "operation_id": operation_id,
            "mode": self.mode, "runs": self.runs, "seed": self.seed, "confidence": self.confidence,
            "verdicts": [v.to_dict() for v in self.verdicts if v.operation_id == operation_id],
            "rows": [r for r in self.rows(operation_id) if r.get("verdict") in ("improved", "regressed")],
            "notes": list(self.notes),
        }

    def attach(self, reviews: Any) -> list:
        """Give each review its ``measured`` effect (for the DiffViewer marks and the exports); returns them.

        A frozen Review is replaced by a copy rather than changed.
        """
        import dataclasses

        out = []
        for r in (reviews if isinstance(reviews, (list, tuple)) else [reviews]):
            data = self.measured(r.operation_id)
            try:
                r.measured = data
            except (AttributeError, dataclasses.FrozenInstanceError):
                r = dataclasses.replace(r, measured=data)
            out.append(r)
        return out

    # ------------------------------------------------------------ output
    def to_dict(self) -> dict:
        def variant(v: Variant) -> dict:
            return {"name": v.name, "suggestions": v.suggestions, "started": v.started, "error": v.error,
                    "log_excerpt": v.log_excerpt, "wall_s": round(v.wall_s, 3),
                    "app_log": str(v.app_log) if v.app_log else None, "rows": _records(v.comparison)}

        out = {
            "mode": self.mode, "runs": self.runs, "seed": self.seed, "confidence": self.confidence,
            "wall_s": round(self.wall_s, 3), "notes": list(self.notes),
            "verdicts": [v.to_dict() for v in self.verdicts],
            "variants": [variant(v) for v in self.variants],
        }
        if self.control is not None:
            out["control"] = {**variant(self.control), "drift_ms": self.drift_ms,
                              "claims": len(control_claims(self.control.comparison))}
        return out

    def to_json(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` as JSON (atomically)."""
        return atomic_write(path, json.dumps(self.to_dict(), indent=2, default=str) + "\n")

    def summary(self) -> str:
        """One line per suggestion: ``create_order_orders_post:s1 mixed (p99 ... ; 5xx ...)``."""
        lines = [f"{self.mode}, {self.runs} run(s) a side, seed {self.seed}, {self.wall_s:.0f} s"]
        for v in self.verdicts:
            lines.append(f"{v.key} {v.verdict}: {v.title}")
            lines += [f"    better: {d}" for d in v.improved[:4]]
            lines += [f"    worse:  {d}" for d in v.regressed[:4]]
            if v.note:
                lines.append(f"    note: {v.note}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_markdown(self, path: str | Path | None = None) -> str:
        """The verdicts and the changed rows as Markdown (written when ``path`` is given)."""
        from .report import verification_markdown

        text = verification_markdown(self)
        if path is not None:
            atomic_write(path, text)
        return text

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        from .report import verification_html

        return verification_html(self)

    def __repr__(self) -> str:
        counts = {k: sum(1 for v in self.verdicts if v.verdict == k) for k in VERDICTS}
        said = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        return f"Verification({len(self.verdicts)} suggestion(s): {said or 'none'}; {self.mode}, {self.runs} run(s))"
