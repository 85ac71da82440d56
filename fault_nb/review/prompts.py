"""Our prompts: the code-review request, its repair round, and the seven scenario-review phases."""
from __future__ import annotations

import json
import re

from .._tokens import estimate_tokens
from .model import CATEGORIES

CODE_SYSTEM = """You are a senior site-reliability engineer reviewing the source code of one HTTP endpoint.
The endpoint was exercised under injected network faults (latency, packet loss, bandwidth limits, errors);
the measurements are given. Propose the smallest code changes that make this endpoint resilient to exactly
the faults that hurt it: timeouts, retries with backoff (only for idempotent work), circuit breakers,
connection pooling, transaction scope, observability, input validation.

Answer with ONE JSON object and nothing else:
{"suggestions": [{
  "id": "short-id",
  "title": "imperative one-line summary",
  "category": one of %(categories)s,
  "rationale": "why, citing the measurements",
  "evidence": ["E1", "S2"],
  "dependencies": ["id of a suggestion that must be applied first"],
  "edits": [{"file": "path relative to the source root, as shown in the context",
             "find": "exact text copied from the file, including indentation; it must occur exactly once",
             "replace": "the new text"}]
}]}
Rules: copy "find" text verbatim from the code shown (whole lines are safest); keep edits small; every edit must
leave the file syntactically valid; never invent files that are not shown; use only evidence ids that exist.
Return {"suggestions": []} if nothing should change.""" % {"categories": ", ".join(CATEGORIES)}


# max_tokens per call, sized to the answer: an edits JSON of a few suggestions, one review phase
CODE_MAX_TOKENS = 1536
PHASE_MAX_TOKENS = 700


def edit_schema(files: list[str] | None = None) -> dict:
    """JSON schema of the code-review answer (structured output); ``file`` limited to the files shown."""
    file_schema: dict = {"type": "string"}
    if files:
        file_schema = {"type": "string", "enum": sorted(set(files))}
    # lengths bound the answer (a small model fills free strings until max_tokens): a few lines per edit
    edit = {"type": "object", "properties": {"file": file_schema, "find": {"type": "string", "maxLength": 600},
                                             "replace": {"type": "string", "maxLength": 900}},
            "required": ["file", "find", "replace"]}
    suggestion = {"type": "object", "properties": {
        "id": {"type": "string", "maxLength": 32}, "title": {"type": "string", "maxLength": 120},
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "rationale": {"type": "string", "maxLength": 400},
        "evidence": {"type": "array", "items": {"type": "string", "maxLength": 8}, "maxItems": 6},
        "dependencies": {"type": "array", "items": {"type": "string", "maxLength": 32}, "maxItems": 4},
        "edits": {"type": "array", "items": edit, "minItems": 1, "maxItems": 4}},
        "required": ["id", "title", "category", "rationale", "edits"]}
    return {"type": "object", "properties": {"suggestions": {"type": "array", "items": suggestion, "maxItems": 4}},
            "required": ["suggestions"]}


def code_review_messages(*, evidence_text: str, context_text: str, method: str, url: str, operation_id: str,
                         idempotent: bool, advices: str | None = None, advices_budget: int = 1500,
                         hints: list[str] | None = None) -> list[dict]:
    """The chat messages asking for structured edits for one endpoint."""
    parts = [f"Endpoint under review: {method} {url} (operationId: {operation_id}).",
             "It is idempotent: retries are safe if bounded." if idempotent else
             "It is NOT idempotent: do not add blind retries of the write; prefer timeouts, idempotency keys "
             "or transaction safety.",
             "", "## Scenario evidence", evidence_text]
    if advices:
        parts += ["", "## Scenario review (context from an earlier analysis)", _clip(advices, advices_budget)]
    if hints:
        parts += ["", "## Static checks (leads from an offline analyser; confirm against the code)"]
        parts += [f"- {h}" for h in hints[:12]]
    parts += ["", "## Code (the handler first, then what it calls)", context_text, "",
              "Return the JSON object now."]
    return [{"role": "system", "content": CODE_SYSTEM}, {"role": "user", "content": "\n".join(parts)}]


def repair_message(failures: list[tuple[str, str]]) -> dict:
    """The single repair round: the exact errors, and a request for corrected edits for those ids only."""
    lines = ["Some edits could not be applied or broke the file. Errors, by suggestion id:"]
    lines += [f"- {sid}: {err}" for sid, err in failures]
    lines += ["", "Return the same JSON shape with corrected versions of ONLY these suggestions (same ids). "
              "Copy each 'find' text exactly from the code shown earlier, with indentation, so that it occurs "
              "once. Drop a suggestion instead of guessing."]
    return {"role": "user", "content": "\n".join(lines)}


def format_retry_message(error: str) -> dict:
    return {"role": "user", "content": f"Your answer was not valid JSON ({error}). Answer again with only the JSON "
                                       "object described above, no prose, no code fences."}


def _clip(text: str, budget: int) -> str:
    if estimate_tokens(text) <= budget:
        return text
    ratio = budget / max(1, estimate_tokens(text))
    return text[: int(len(text) * ratio)] + "\n[... clipped to fit the prompt budget]"


_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)```", re.S)


def parse_json_answer(text: str) -> dict:
    """The JSON object in a model answer: bare, fenced, or surrounded by prose.

    >>> parse_json_answer('Sure!\\n```json\\n{"suggestions": []}\\n```')
    {'suggestions': []}
    """
    text = (text or "").strip()
    candidates = [text] + _FENCE.findall(text)
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start:end + 1])
    last_err = "empty answer"
    for cand in candidates:
        try:
            data = json.loads(cand)
        except ValueError as exc:
            last_err = str(exc)
            continue
        if isinstance(data, list):
            data = {"suggestions": data}
        if isinstance(data, dict):
            return data
        last_err = f"expected a JSON object, got {type(data).__name__}"
    raise ValueError(last_err)


# ---------------------------------------------------------------- scenario review

PHASES: list[tuple[str, str, bool, str]] = [
    ("summary", "Summary", True,
     "In 2-3 sentences, state the resilience posture of this application under the injected faults. "
     "Name the worst endpoint and fault with their numbers. Start with a '## Summary' heading."),
    ("slo", "SLO deep dive", True,
     "Start with '## SLO deep dive'. Give a Markdown table of every breached SLO (endpoint, fault, objective, "
     "threshold, measured, margin, failure pattern), then a pass/fail dashboard per endpoint."),
    ("causes", "Causes", False,
     "Start with '## Likely causes'. Give 2-3 root-cause hypotheses for the failures above (code, "
     "configuration, platform), each with the evidence that supports it and how to confirm it."),
    ("recommendations", "Recommendations", False,
     "Start with '## Recommendations'. Prioritise changes as Critical / Recommended / Nice-to-have, each with "
     "a short code sketch, then a summary table (change, priority, effort, expected effect)."),
    ("risks", "Risks", False,
     "Start with '## Risks and trade-offs'. For each recommendation, the threats and trade-offs it brings, "
     "what to monitor and how to validate it; end with a risk table."),
    ("next", "Next steps", False,
     "Start with '## Next steps'. Propose further fault scenarios to run (what fault, which endpoint, what it "
     "would prove), as fault-nb or fault command lines."),
    ("executive", "Executive summary", False,
     "Start with '## Executive summary'. Write a short summary for product leadership: risk to users, "
     "the three most important actions, and their cost. No code."),
]

SCENARIO_SYSTEM = ("You are a reliability reviewer for a {role}. You analyse the results of resilience scenarios "
                   "(injected network faults against an HTTP application) and answer in concise CommonMark. "
                   "Use only the numbers you are given; do not invent measurements.")


# the headings of our own phase prompts (a model that echoes them must not fill the report's contents)
PROMPT_SECTIONS = frozenset({"key numbers", "scenario report", "previous analysis"})


def scenario_phase_messages(role: str, key: str, report_md: str, numbers: str, previous: list[tuple[str, str]],
                            *, report_budget: int = 5000, previous_budget: int = 1200) -> list[dict]:
    """Messages of one phase: it sees the report (phases 1-2) or the numbers, plus every previous answer."""
    title, with_report, task = next((t, r, q) for k, t, r, q in PHASES if k == key)
    parts = [f"Audience: {'SRE' if role == 'sre' else 'Developer'}.", "", "## Key numbers", numbers]
    if with_report:
        parts += ["", "## Scenario report", _clip(report_md, report_budget)]
    if previous:
        parts += ["", "## Previous analysis"]
        for ptitle, answer in previous:
            parts += [f"### {ptitle}", _clip(answer, previous_budget)]
    parts += ["", f"## Task: {title}", task]
    return [{"role": "system", "content": SCENARIO_SYSTEM.format(role="SRE" if role == "sre" else "developer")},
            {"role": "user", "content": "\n".join(parts)}]
