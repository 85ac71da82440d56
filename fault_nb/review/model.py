"""`Review` and `Suggestion`: what a code review produces, and how it is applied.

A Review renders itself (Markdown for GitHub/nbviewer, HTML for Jupyter),
round-trips through ``to_dict``/``from_dict``, and applies its verified diffs
to a source folder with a backup and an ``undo()``.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .._io import atomic_write, safe_join
from ..errors import FaultNbError, InputFileError

CATEGORIES = ("timeout", "retry", "circuit-breaker", "pooling", "transaction",
              "observability", "validation", "other")
RULES_LABEL = "offline rules reviewer (no LLM)"


class ApplyError(FaultNbError, RuntimeError):
    """Diffs could not be applied to the source folder (nothing was written)."""


@dataclass
class Suggestion:
    """One proposed change; ``diff`` is set only when ``status == "verified"``."""

    id: str
    title: str
    rationale: str = ""
    category: str = "other"
    evidence: list[str] = field(default_factory=list)
    file: str = ""
    diff: str = ""
    status: str = "verified"
    error: str = ""
    dependencies: list[str] = field(default_factory=list)
    include: bool = True
    line: int | None = None
    edits: list[dict] = field(default_factory=list)
    repaired: bool = False

    @classmethod
    def from_dict(cls, data: dict) -> "Suggestion":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


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

    >>> review = fault_nb.review_endpoint(results, index, "create_order_orders_post")  # doctest: +SKIP
    >>> review.to_markdown("code-review-report.md")  # doctest: +SKIP
    >>> applied = review.apply("app/"); applied.undo()  # doctest: +SKIP
    """

    operation_id: str
    method: str = ""
    url: str = ""
    evidence: dict = field(default_factory=dict)
    suggestions: list[Suggestion] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)
    handler: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    source_dir: str = ""
    measured: dict = field(default_factory=dict)  # set by Verification.attach(): the measured effect

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
        data = asdict(self)
        return data

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
        who = self.provenance.get("label") or self.provenance.get("reviewer", "?")
        return (f"Review({self.operation_id!r}: {len(self.verified)} verified, "
                f"{len(self.rejected)} rejected; {who})")

    # ------------------------------------------------------------ applying
    def selected(self, only: list[str] | None = None) -> list[Suggestion]:
        """Verified suggestions to apply (``only`` ids, else every included one), with their dependencies."""
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

    def combined_diff(self, only: list[str] | None = None) -> str:
        """The selected diffs, in order (they apply together, in this order)."""
        return "".join(s.diff for s in self.selected(only))

    def apply(self, source_dir: str | Path, only: list[str] | None = None) -> Applied:
        """Write the selected verified diffs into ``source_dir``; keep a backup; return ``Applied`` (with ``undo()``).

        Every diff is checked before anything is written; paths that leave
        ``source_dir`` are refused.

        >>> applied = review.apply("app/", only=["s1"])  # doctest: +SKIP
        >>> applied.undo()  # doctest: +SKIP
        """
        from .edits import PatchError, apply_patch_text, parse_patch, read_source

        root = Path(source_dir)
        chosen = self.selected(only)
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
