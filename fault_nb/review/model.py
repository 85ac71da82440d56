"""`Review` and `Suggestion`: what a code review produces, and how it is applied.

A Review renders itself (Markdown for GitHub/nbviewer, HTML for Jupyter),
round-trips through ``to_dict``/``from_dict``, and applies its verified diffs
to a source folder with a backup and an ``undo()``.

The parts of a Review are typed, frozen records: :class:`Evidence` (with
:class:`EvidenceRow` and :class:`SloRow`), :class:`Provenance` (who reviewed,
``.label``), the code index's ``HandlerMatch``, and a :class:`ReviewProgress`
event for progress callbacks. The records can also be read by key
(``evidence["rows"]``, ``row["p95_ms"]``) so renderers written against the
saved JSON shape read them unchanged; keys a record does not model are kept in
``extra`` and written back by ``to_dict``.

What you tick is what you get: :meth:`Review.rebased` recomputes the diffs of
exactly the chosen suggestions (the rules reviewer re-runs its fixes on only
those findings; model edits are replayed onto the subset), and
:meth:`Review.combined_diff`, :meth:`Review.subset` (exports) and
:meth:`Review.apply` all use it.
"""
from __future__ import annotations

import dataclasses
import hashlib
import shutil
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping

from .._io import atomic_write, safe_join
from ..errors import FaultNbError, InputFileError

if TYPE_CHECKING:  # pragma: no cover
    from ..code.context import HandlerMatch

CATEGORIES = ("timeout", "retry", "circuit-breaker", "pooling", "transaction",
              "observability", "validation", "other")
RULES_LABEL = "offline rules reviewer (no LLM)"  # the one wording; capitalise with sentence_case()

Status = Literal["verified", "rejected"]
STATUSES: tuple[str, ...] = ("verified", "rejected")
ReviewerKind = Literal["rules", "llm"]


class ApplyError(FaultNbError, RuntimeError):
    """Diffs could not be applied to the source folder (nothing was written)."""


def sentence_case(text: str) -> str:
    """``text`` with its first letter upper-cased (and nothing else changed).

    >>> sentence_case(RULES_LABEL)
    'Offline rules reviewer (no LLM)'
    """
    return text[:1].upper() + text[1:]


def llm_label(model: Any, provider: Any, host: Any) -> str:
    """How an LLM reviewer is named in every output.

    >>> llm_label("qwen2.5-coder", "ollama", "127.0.0.1")
    'LLM qwen2.5-coder via ollama (127.0.0.1)'
    """
    return f"LLM {model or '?'} via {provider or '?'} ({host or '?'})"


# ---------------------------------------------------------------- typed records

class _Record:
    """Read-by-key access and dict round trips for the frozen records below."""

    _ALIASES: dict[str, str] = {}  # dict key -> attribute (``pass`` is a keyword)
    _DERIVED: tuple[str, ...] = ()  # keys to_dict writes for readers, never read back

    __iter__ = None  # read by key, not iterated like a sequence

    def __getitem__(self, key: str) -> Any:
        if not isinstance(key, str):
            raise KeyError(key)
        attr = self._ALIASES.get(key, key)
        if attr in self._DERIVED or any(f.name == attr for f in fields(self) if f.name != "extra"):  # type: ignore[arg-type]
            return getattr(self, attr)
        extra = getattr(self, "extra", None) or {}
        if key in extra:
            return extra[key]
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key, _MISSING) is not _MISSING

    def to_dict(self) -> dict:
        back = {v: k for k, v in self._ALIASES.items()}
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            if f.name == "extra":
                continue
            out[back.get(f.name, f.name)] = _plain(getattr(self, f.name))
        out.update({k: _plain(v) for k, v in (getattr(self, "extra", None) or {}).items() if k not in out})
        return out

    _WHERE = ""  # the JSON path named in errors

    @classmethod
    def from_dict(cls, data: Any):
        """The record from its saved dict (a record passes through)."""
        if isinstance(data, cls):
            return data
        return cls(**cls._coerce(cls._split(_need_mapping(data or {}, cls._WHERE))))

    @classmethod
    def _coerce(cls, known: dict) -> dict:
        """Constructor arguments of nested or older shapes made right (a hook)."""
        return known

    @classmethod
    def _split(cls, data: Mapping[str, Any]) -> dict:
        """Constructor arguments from a dict: known keys by name, the others into ``extra``."""
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        known: dict[str, Any] = {}
        extra: dict[str, Any] = dict(data.get("extra") or {})
        for key, value in data.items():
            attr = cls._ALIASES.get(key, key)
            if key == "extra" or key in cls._DERIVED:
                continue
            if attr in names:
                known[attr] = value
            else:
                extra[key] = value
        if "extra" in names:
            known["extra"] = extra
        return known


_MISSING = object()


def _plain(value: Any) -> Any:
    if isinstance(value, _Record):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _need_mapping(data: Any, where: str) -> Mapping:
    if not isinstance(data, Mapping):
        raise FaultNbError(f"review data: $.{where}: got {type(data).__name__} (expected an object)")
    return data


class _Row(_Record):
    """A row cited by id; rows of older files without one read as id ``""``."""

    @classmethod
    def _coerce(cls, known: dict) -> dict:
        known.setdefault("id", "")
        return known


@dataclass(frozen=True)
class EvidenceRow(_Row):
    """Measurements of one endpoint under one fault (``E1`` ...): what suggestions cite."""

    id: str
    fault: str = "none"
    requests: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    failure_rate: float | None = None  # None: an older saved review without the measure (shown "?")
    failed: int | None = None
    error_rate: float | None = None
    timeout_rate: float | None = None
    http_5xx_rate: float | None = None
    failed_expectations: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    _WHERE = "evidence.rows[]"


@dataclass(frozen=True)
class SloRow(_Row):
    """One SLO row of fault's report for the endpoint (``S1`` ...); ``passed`` reads as ``row["pass"]``."""

    _ALIASES = {"pass": "passed"}

    id: str
    scenario: str = ""
    fault: str = "none"
    slo: str = ""
    objective: Any = None
    threshold: float | None = None
    unit: str = ""
    passed: bool = True
    margin: str = ""
    calls_over: Any = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    _WHERE = "evidence.slo[]"


@dataclass(frozen=True)
class Evidence(_Record):
    """The scenario evidence of one endpoint: one row per fault, and its SLO rows.

    >>> ev = Evidence.from_dict({"rows": [{"id": "E1", "fault": "latency", "p95_ms": 812.0}]})
    >>> ev.rows[0].p95_ms, ev["rows"][0]["fault"]
    (812.0, 'latency')
    """

    operation_id: str = ""
    method: str = ""
    url: str = ""
    idempotent: bool = False
    rows: tuple[EvidenceRow, ...] = ()
    slo: tuple[SloRow, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        """Every evidence id (``E1`` ..., ``S1`` ...) a suggestion may cite."""
        return [r.id for r in self.rows] + [r.id for r in self.slo]

    _WHERE = "evidence"

    @classmethod
    def _coerce(cls, known: dict) -> dict:
        known["rows"] = tuple(EvidenceRow.from_dict(r) for r in known.get("rows") or ())
        known["slo"] = tuple(SloRow.from_dict(r) for r in known.get("slo") or ())
        return known


@dataclass(frozen=True)
class Provenance(_Record):
    """Who reviewed, with what, and at what (estimated) cost; ``label`` names the reviewer.

    >>> Provenance("rules").label
    'offline rules reviewer (no LLM)'
    """

    _DERIVED = ("label",)

    reviewer: ReviewerKind = "rules"
    provider: str | None = None
    model: str | None = None
    base_url_host: str | None = None
    created: str = ""
    estimated_prompt_tokens: int | None = None  # older files: estimates only
    estimated_completion_tokens: int | None = None
    prompt_tokens: int | None = None  # the server's usage, or estimates when tokens_are_estimates
    completion_tokens: int | None = None
    tokens_are_estimates: bool = False
    calls: int = 0
    cache_hits: int = 0
    masked: tuple[Mapping[str, Any], ...] = ()
    context_tokens: int | None = None
    response_format: str | None = None  # the structured-output step the server accepted
    unreadable: int = 0  # answers that were not usable JSON
    error: str | None = None  # a failed review: why (paths relative to the source dir)
    error_kind: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {**super().to_dict(), "label": self.label}

    @property
    def label(self) -> str:
        if self.reviewer == "rules":
            return RULES_LABEL
        return llm_label(self.model, self.provider, self.base_url_host)

    _WHERE = "provenance"

    @classmethod
    def _coerce(cls, known: dict) -> dict:
        reviewer = known.get("reviewer")
        if reviewer not in ("rules", "llm"):
            # older files: an LLM review always named its model
            known["reviewer"] = "llm" if (known.get("model") or known.get("provider")) else "rules"
        known["masked"] = tuple(dict(m) for m in known.get("masked") or () if isinstance(m, Mapping))
        return known


def handler_from_dict(data: Any, operation_id: str = "") -> "HandlerMatch | None":
    """A ``HandlerMatch`` from its saved dict (older files lack ``operation_id``, ``method``, ``path``)."""
    from ..code.context import HandlerMatch

    if data is None or isinstance(data, HandlerMatch):
        return data
    data = _need_mapping(data, "handler")
    if not data:
        return None
    defaults = {"operation_id": operation_id, "method": None, "path": None, "file": None, "function": None,
                "start_line": 0, "end_line": 0, "how": "unmapped", "score": 0.0, "framework": None, "reason": ""}
    return HandlerMatch(**{k: (data.get(k) if data.get(k) is not None else v) for k, v in defaults.items()})


@dataclass(frozen=True)
class ReviewProgress:
    """One progress event of ``review_endpoint`` (``unit="step"``) or ``review_all`` (``unit="endpoint"``).

    >>> ReviewProgress("create_user", "running the rules", 3, 4).fraction
    0.75
    """

    operation_id: str
    message: str
    done: int
    total: int
    unit: Literal["step", "endpoint"] = "step"

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0


ProgressCallback = Callable[[ReviewProgress], None]


@dataclass(frozen=True)
class Basis:
    """What a review saw, so that a chosen subset can be recomputed: the sha256 of each file its
    suggestions change, and for the rules reviewer the functions it checked (``scope``)."""

    files: Mapping[str, str] = field(default_factory=dict)
    scope: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    timeout_s: float | None = None

    def to_dict(self) -> dict:
        return {"files": dict(self.files), "scope": {k: list(v) for k, v in self.scope.items()},
                "timeout_s": self.timeout_s}

    @classmethod
    def from_dict(cls, data: Any) -> "Basis | None":
        if data is None or isinstance(data, Basis):
            return data
        data = _need_mapping(data, "basis")
        return cls({str(k): str(v) for k, v in (data.get("files") or {}).items()},
                   {str(k): tuple(v) for k, v in (data.get("scope") or {}).items()}, data.get("timeout_s"))


def file_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# ---------------------------------------------------------------- suggestions and reviews

@dataclass
class Suggestion:
    """One proposed change; ``diff`` is set only when ``status == "verified"``.

    ``dependencies`` are the suggestions this one truly needs (its edit does not apply
    without them); ``rule`` and ``function`` name the rules reviewer's finding.
    """

    id: str
    title: str
    rationale: str = ""
    category: str = "other"
    evidence: list[str] = field(default_factory=list)
    file: str = ""
    diff: str = ""
    status: Status = "verified"
    error: str = ""
    dependencies: list[str] = field(default_factory=list)
    include: bool = True
    line: int | None = None
    edits: list[dict] = field(default_factory=list)
    repaired: bool = False
    rule: str = ""
    function: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise FaultNbError(f"review data: suggestion {self.id}: $.status: got {self.status!r} "
                               f"(expected one of: {', '.join(STATUSES)})")

    @property
    def finding_key(self) -> tuple:
        """The rules reviewer's identity of the finding behind this suggestion (``Finding.key``)."""
        find = self.edits[0].get("find", "") if self.edits and isinstance(self.edits[0], dict) else ""
        return (self.rule, self.file, self.function, self.title, find)

    @classmethod
    def from_dict(cls, data: dict) -> "Suggestion":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in _need_mapping(data, "suggestions[]").items() if k in names})


@dataclass(frozen=True)
class Choice:
    """What :meth:`Review.choose` returns: the ids to tick, and a note for the user (may be empty)."""

    ids: tuple[str, ...]
    note: str = ""


@dataclass
class Applied:
    """What :meth:`Review.apply` changed; ``undo()`` restores the backup."""

    source_dir: Path
    backup_dir: Path
    files: list[str]
    suggestions: list[str]
    created: list[str] = field(default_factory=list)

    def undo(self) -> list[str]:
        """Put every changed file back as it was before ``apply``."""
        for rel in self.files:
            saved = self.backup_dir / rel
            target = safe_join(self.source_dir, rel)
            if saved.is_file():
                atomic_write(target, saved.read_bytes())
        return list(self.files)

    def __repr__(self) -> str:
        return (f"Applied({len(self.suggestions)} suggestion(s) to {len(self.files)} file(s); "
                f"backup in {self.backup_dir})")


@dataclass
class Review:
    """The code review of one endpoint.

    ``evidence``, ``provenance`` and ``handler`` are typed records (dicts given to the
    constructor are converted). A chosen subset of suggestions is THE unit of export
    and apply: :meth:`selected`, :meth:`combined_diff`, :meth:`subset`, :meth:`apply`.

    >>> review = fault_nb.review_endpoint(results, index, "create_order_orders_post")  # doctest: +SKIP
    >>> review.to_markdown("code-review-report.md")  # doctest: +SKIP
    >>> applied = review.apply("app/", only=["s2"]); applied.undo()  # doctest: +SKIP
    """

    operation_id: str
    method: str = ""
    url: str = ""
    evidence: Evidence = field(default_factory=Evidence)
    suggestions: list[Suggestion] = field(default_factory=list)
    provenance: Provenance = field(default_factory=Provenance)
    handler: "HandlerMatch | None" = None
    notes: list[str] = field(default_factory=list)
    source_dir: str = ""
    basis: Basis | None = None
    measured: dict = field(default_factory=dict)  # set by Verification.attach(): the measured effect

    def __post_init__(self) -> None:
        self.evidence = Evidence.from_dict(self.evidence)
        self.provenance = Provenance.from_dict(self.provenance)
        self.handler = handler_from_dict(self.handler, self.operation_id) if self.handler else None
        self.basis = Basis.from_dict(self.basis)
        self.suggestions = [s if isinstance(s, Suggestion) else Suggestion.from_dict(s) for s in self.suggestions]

    # ------------------------------------------------------------ views
    @property
    def verified(self) -> list[Suggestion]:
        return [s for s in self.suggestions if s.status == "verified"]

    @property
    def rejected(self) -> list[Suggestion]:
        return [s for s in self.suggestions if s.status == "rejected"]

    def suggestion(self, sid: str) -> Suggestion:
        for s in self.suggestions:
            if s.id == sid:
                return s
        raise KeyError(f"no suggestion {sid!r}; expected one of: {', '.join(s.id for s in self.suggestions)}")

    def to_dict(self) -> dict:
        return {
            "operation_id": self.operation_id, "method": self.method, "url": self.url,
            "evidence": self.evidence.to_dict(),
            "suggestions": [dataclasses.asdict(s) for s in self.suggestions],
            "provenance": self.provenance.to_dict(),
            "handler": dataclasses.asdict(self.handler) if self.handler is not None else {},
            "notes": list(self.notes), "source_dir": self.source_dir,
            "basis": self.basis.to_dict() if self.basis is not None else None,
            "measured": dict(self.measured),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Review":
        """Rebuild a Review from :meth:`to_dict` output (e.g. JSON saved by the CLI)."""
        if not isinstance(data, dict) or "operation_id" not in data:
            raise FaultNbError("review data: $.operation_id: missing (expected a dict from Review.to_dict())")
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["suggestions"] = [Suggestion.from_dict(s) for s in data.get("suggestions") or []]
        return cls(**kwargs)

    def to_json(self, path: str | Path) -> Path:
        """Save the review as JSON (atomically), to verify it later: ``Review.from_json(path)``.

        >>> review.to_json("review.json"); Review.from_json("review.json") == review  # doctest: +SKIP
        True
        """
        return save_reviews([self], path)

    @classmethod
    def from_json(cls, path: str | Path) -> "Review":
        """Read a review saved by :meth:`to_json` (or a one-review file of ``save_reviews``)."""
        reviews = load_reviews(path)
        if len(reviews) != 1:
            raise ReviewFileError(path, "$.reviews", f"holds {len(reviews)} reviews",
                                  expected="one review (read several with fault_nb.review.load_reviews)")
        return reviews[0]

    # ------------------------------------------------------------ rendering
    def to_markdown(self, path: str | Path | None = None) -> str:
        """The review as Markdown (diff blocks, rejected ones without diff); written when ``path`` is given."""
        from .render import reviews_markdown

        text = reviews_markdown([self])
        if path is not None:
            atomic_write(path, text)
        return text

    def to_html(self) -> str:
        from .render import review_html

        return review_html(self)

    def to_pdf(self, path: str | Path) -> Path:
        """Export the Markdown report to PDF (pandoc + weasyprint)."""
        from ..export import markdown_to_pdf

        return markdown_to_pdf(self.to_markdown(), path, title=f"Code review: {self.operation_id}")

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return (f"Review({self.operation_id!r}: {len(self.verified)} verified, "
                f"{len(self.rejected)} rejected; {self.provenance.label})")

    # ------------------------------------------------------------ choosing
    def selected(self, only: list[str] | None = None) -> list[Suggestion]:
        """Verified suggestions to apply (``only`` ids, else every included one), with what they need."""
        by_id = {s.id: s for s in self.verified}
        if only is None:
            wanted = {s.id for s in self.verified if s.include}
        else:
            unknown = [i for i in only if i not in by_id]
            if unknown:
                raise ApplyError(f"not verified suggestion id(s): {', '.join(unknown)}; "
                                 f"verified: {', '.join(by_id) or 'none'}")
            wanted = set(only)
        todo = list(wanted)
        while todo:
            for dep in by_id[todo.pop()].dependencies:
                if dep not in by_id:
                    raise ApplyError(f"suggestion depends on {dep}, which was not verified")
                if dep not in wanted:
                    wanted.add(dep)
                    todo.append(dep)
        return [s for s in self.verified if s.id in wanted]

    def choose(self, ticked: list[str], previous: list[str] | None = None) -> "Choice":
        """The ticked ids made whole: a newly ticked suggestion brings what it needs, a newly unticked
        one takes what needs it along, and ``note`` says so (ids that are not verified pass through).

        >>> review.choose(["s2"], previous=[]).note  # doctest: +SKIP
        's2 needs s1: s1 is ticked too.'
        """
        by_id = {s.id: s for s in self.verified}
        order = [s.id for s in self.suggestions]

        def needs(sid: str) -> set[str]:
            out, todo = set(), [sid]
            while todo:
                for d in by_id[todo.pop()].dependencies:
                    if d in by_id and d not in out:
                        out.add(d)
                        todo.append(d)
            return out

        now = [i for i in dict.fromkeys(ticked)]
        before = set(previous or [])
        wanted = set(now)
        notes: list[str] = []
        for sid in [i for i in order if i in before - wanted and i in by_id]:
            gone = sorted((o for o in by_id if o in wanted and sid in needs(o)), key=order.index)
            if gone:
                wanted -= set(gone)
                notes.append(f"{', '.join(gone)} {'needs' if len(gone) == 1 else 'need'} {sid}: "
                             f"unticked too.")
        for sid in [i for i in order if i in wanted - before and i in by_id]:
            missing = sorted(needs(sid) - wanted, key=order.index)
            if missing:
                wanted |= set(missing)
                notes.append(f"{sid} needs {', '.join(missing)}: {'it is' if len(missing) == 1 else 'they are'} "
                             "ticked too.")
        ids = [i for i in order if i in wanted] + [i for i in now if i not in order]
        return Choice(tuple(ids), " ".join(notes))

    def rebased(self, only: list[str] | None = None, source_dir: str | Path | None = None) -> list[Suggestion]:
        """The selected suggestions with their diffs recomputed for exactly that subset, in the order
        they apply (copies; the review keeps its own diffs). ``source_dir`` defaults to the reviewed one.

        >>> [s.diff for s in review.rebased(["s2"])]  # s2 as it applies without s1  # doctest: +SKIP
        """
        from .subset import rebase

        return rebase(self, self.selected(only), source_dir)

    def combined_diff(self, only: list[str] | None = None) -> str:
        """The diffs of the chosen subset, recomputed for it (they apply together, in this order)."""
        return "".join(s.diff for s in self.rebased(only))

    def subset(self, only: list[str] | None = None) -> "Review":
        """A copy with exactly the chosen verified suggestions (diffs recomputed for the subset) and the
        rejected ones that are ticked: what the exports show and what :meth:`apply` writes."""
        kept = self.rebased(only)  # in the order they apply
        kept += [s for s in self.rejected if s.include]
        return dataclasses.replace(self, suggestions=kept)

    # ------------------------------------------------------------ applying
    def apply(self, source_dir: str | Path, only: list[str] | None = None) -> Applied:
        """Write the chosen verified diffs into ``source_dir``; keep a backup; return ``Applied`` (with ``undo()``).

        The diffs are recomputed for exactly the chosen subset on the files in ``source_dir``
        (what :meth:`combined_diff` and the exports show). Every diff is checked before anything
        is written; paths that leave ``source_dir`` are refused.

        >>> applied = review.apply("app/", only=["s1"])  # doctest: +SKIP
        >>> applied.undo()  # doctest: +SKIP
        """
        from .edits import PatchError, apply_patch_text, parse_patch, read_source

        root = Path(source_dir)
        chosen = self.rebased(only, source_dir=root)
        texts: dict[str, str] = {}
        originals: dict[str, str] = {}
        for s in chosen:
            for rel, hunks, _ in parse_patch(s.diff):
                target = safe_join(root, rel)
                if rel not in texts:
                    if not target.is_file():
                        raise ApplyError(f"{s.id}: {rel}: no such file under {root}")
                    originals[rel] = texts[rel] = read_source(target)
                try:
                    texts[rel] = apply_patch_text(texts[rel], hunks)
                except PatchError as exc:
                    raise ApplyError(f"{s.id} ({s.title}): {rel}: {exc}; the file changed since the review, "
                                     "nothing was written") from exc
        stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{time.time_ns() % 1_000_000:06d}"
        backup = root / ".fault-nb-backup" / stamp
        changed = [rel for rel in texts if texts[rel] != originals[rel]]
        for rel in changed:
            dst = backup / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(safe_join(root, rel), dst)
        for rel in changed:
            atomic_write(safe_join(root, rel), texts[rel])
        return Applied(root, backup, changed, [s.id for s in chosen])


@dataclass
class ScenarioReview:
    """The seven-phase scenario review (``phases`` maps phase key -> Markdown)."""

    role: str
    phases: dict[str, str]
    markdown: str
    provenance: dict = field(default_factory=dict)
    path: str | None = None

    @property
    def advices(self) -> str:
        """The text handed to code review as context (``advices=``)."""
        return self.markdown

    def to_markdown(self, path: str | Path | None = None) -> str:
        if path is not None:
            atomic_write(path, self.markdown)
        return self.markdown

    def to_pdf(self, path: str | Path) -> Path:
        from ..export import markdown_to_pdf

        return markdown_to_pdf(self.markdown, path, title="fault resilience report analysis")

    def _repr_markdown_(self) -> str:
        return self.markdown

    def __repr__(self) -> str:
        return f"ScenarioReview(role={self.role!r}, {len(self.phases)} phases; {self.provenance.get('label', '')})"


def as_dict_list(reviews: list[Review]) -> list[dict[str, Any]]:
    return [r.to_dict() for r in reviews]


REVIEWS_FORMAT = "fault-nb-reviews"


class ReviewFileError(InputFileError):
    """A saved reviews JSON file cannot be read back."""


def save_reviews(reviews: list[Review], path: str | Path) -> Path:
    """Write reviews as JSON (atomically): ``{"format": "fault-nb-reviews", "version": 1, "reviews": [...]}``.

    >>> save_reviews(reviews, "reviews.json")  # doctest: +SKIP
    """
    import json

    doc = {"format": REVIEWS_FORMAT, "version": 1, "reviews": as_dict_list(list(reviews))}
    return atomic_write(path, json.dumps(doc, indent=2, default=str) + "\n")


def load_reviews(path: str | Path) -> list[Review]:
    """Read reviews saved by :func:`save_reviews` / :meth:`Review.to_json` (or ``code-review --json`` output).

    >>> [r.operation_id for r in load_reviews("reviews.json")]  # doctest: +SKIP
    """
    import json

    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReviewFileError(p, "$", "no such file", expected="a reviews JSON file "
                              "(fault-nb agent code-review --save-reviews FILE)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewFileError(p, "$", f"cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ReviewFileError(p, "$", f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if isinstance(doc, dict) and "reviews" in doc:
        fmt = doc.get("format")
        if fmt not in (None, REVIEWS_FORMAT):
            raise ReviewFileError(p, "$.format", f"got {fmt!r}", expected=repr(REVIEWS_FORMAT))
        items, where = doc["reviews"], "$.reviews"
    elif isinstance(doc, dict):
        items, where = [doc], "$"
        if "operation_id" not in doc:
            raise ReviewFileError(p, "$.reviews", "missing", expected="a list of reviews")
    else:
        items, where = doc, "$"
    if not isinstance(items, list):
        raise ReviewFileError(p, where, f"got {type(items).__name__}", expected="a list of reviews")
    out = []
    for i, item in enumerate(items):
        at = f"{where}[{i}]" if where != "$" or isinstance(doc, list) else "$"
        if not isinstance(item, dict) or not isinstance(item.get("operation_id"), str):
            raise ReviewFileError(p, at + ".operation_id", "missing or not a string",
                                  expected="a review as Review.to_dict() writes it")
        sugg = item.get("suggestions", [])
        if not isinstance(sugg, list) or any(not isinstance(s, dict) or "id" not in s or "title" not in s
                                             for s in sugg):
            raise ReviewFileError(p, at + ".suggestions", "not a list of suggestions with id and title")
        try:
            out.append(Review.from_dict(item))
        except (TypeError, FaultNbError) as exc:
            raise ReviewFileError(p, at, str(exc)) from None
    return out
