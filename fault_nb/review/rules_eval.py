"""Score the offline rules reviewer on a corpus of apps with planted defects and a truth file.

The truth file (JSON) lists per app its language and endpoints, the planted defects
(``kind``, ``file``, ``function``) and the good-code traps (the same shapes done right).
Each app is indexed, each endpoint is reviewed the way ``review_endpoint`` does it
(``findings_scope`` from the index, then ``run_rules``), and every finding is matched
to the truth: a finding that matches no planted defect is a false positive.
Every fix shown (a verified diff) is checked again on a pristine copy: the diffs of
the endpoint apply, the files parse, and the project compiles where a toolchain
can build it offline (``toolchains.project_check``).
"""
from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .edits import Workspace, apply_diff, check_parses, read_source
from .toolchains import CompileCheck, project_check

__all__ = ["evaluate_corpus", "Scorecard"]


@dataclass
class Scorecard:
    defects: list[dict]                       # the truth, each with "found": bool
    traps: list[dict]
    findings: list[dict]                      # every distinct finding, each with "match": defect index or None
    fixes_shown: int = 0
    fixes_verified: int = 0                   # applied on a pristine copy, parse, no failed compile check
    fixes_rejected: int = 0                   # the rule found something but its fix did not verify (not shown)
    questions: int = 0
    compile_checks: Counter = field(default_factory=Counter)   # (tool, status) -> count
    failures: list[str] = field(default_factory=list)

    def false_positives(self) -> list[dict]:
        return [f for f in self.findings if f["match"] is None]

    def table(self, by: str) -> dict[str, dict]:
        """``{rule or language: {planted, found, recall, fp}}``."""
        rows: dict[str, dict] = defaultdict(lambda: {"planted": 0, "found": 0, "fp": 0})
        for d in self.defects:
            rows[d[by]]["planted"] += 1
            rows[d[by]]["found"] += int(d["found"])
        for f in self.false_positives():
            rows[f[by]]["fp"] += 1
        for r in rows.values():
            r["recall"] = r["found"] / r["planted"] if r["planted"] else None
        return dict(sorted(rows.items()))

    @property
    def verified_share(self) -> float | None:
        return self.fixes_verified / self.fixes_shown if self.fixes_shown else None


def evaluate_corpus(corpus_dir: str | Path, truth: str | Path | None = None, *, compile_projects: bool = True,
                    progress: bool = False) -> Scorecard:
    """Run the rules reviewer over every app of the corpus and score it against the truth file.

    >>> card = evaluate_corpus("tests/corpus")  # doctest: +SKIP
    >>> card.table("language")["go"]["recall"]  # doctest: +SKIP
    1.0
    """
    from ..code import index_source
    from .rules import findings_scope, run_rules

    corpus = Path(corpus_dir)
    spec = json.loads(Path(truth or corpus / "truth.json").read_text(encoding="utf-8"))
    defects = [dict(d, language=spec["apps"][d["app"]]["language"], found=False) for d in spec["defects"]]
    card = Scorecard(defects, list(spec.get("traps", [])), [])
    seen: dict[tuple, dict] = {}
    apps = sorted(spec["apps"].items())
    bar = None
    if progress:
        from .._progress import tqdm  # tqdm.auto; notebook bars end as text

        bar = tqdm(total=sum(len(a["endpoints"]) for _, a in apps), desc="rules corpus", unit="endpoint")
    with tempfile.TemporaryDirectory(prefix="fault_nb_corpus_") as tmp:
        for name, app in apps:
            src_dir = corpus / name
            index = index_source(src_dir, endpoints=[tuple(e) for e in app["endpoints"]], progress=False,
                                 cache_dir=Path(tmp) / f"idx-{name}")
            try:
                for opid, _method, _url in app["endpoints"]:
                    scope, handler = findings_scope(index, opid)
                    if not scope:
                        card.failures.append(f"{name}: {opid} not mapped ({handler.get('reason')})")
                    ws = Workspace(src_dir)
                    results = run_rules(src_dir, scope, workspace=ws)
                    _score_results(card, seen, name, app["language"], results)
                    _verify_fixes(card, name, opid, src_dir, ws, results, Path(tmp), compile_projects)
                    if bar is not None:
                        bar.update(1)
            finally:
                index.close()
    if bar is not None:
        bar.close()
    return card


def _score_results(card: Scorecard, seen: dict, app: str, language: str, results: list) -> None:
    for r in results:
        f = r.finding
        if f.question:
            card.questions += 1
            continue
        key = (app, f.kind, f.file, f.function, f.line)
        if key in seen:
            continue
        match = next((i for i, d in enumerate(card.defects)
                      if d["app"] == app and d["kind"] == f.kind and d["file"] == f.file
                      and d["function"] == f.function and not d["found"]), None)
        if match is None:  # a second finding of a defect already found (another endpoint saw it first)
            match = next((i for i, d in enumerate(card.defects)
                          if d["app"] == app and d["kind"] == f.kind and d["file"] == f.file
                          and d["function"] == f.function), None)
        if match is not None:
            card.defects[match]["found"] = True
        seen[key] = {"app": app, "language": language, "kind": f.kind, "file": f.file, "function": f.function,
                     "line": f.line, "title": f.title, "match": match}
        card.findings.append(seen[key])


def _verify_fixes(card: Scorecard, app: str, opid: str, src_dir: Path, ws: Workspace, results: list, tmp: Path,
                  compile_projects: bool) -> None:
    shown = [r for r in results if r.ok and r.diff]
    card.fixes_shown += len(shown)
    card.fixes_rejected += sum(1 for r in results if not r.ok and not r.question)
    for r in results:
        if not r.ok and not r.question:
            card.failures.append(f"{app}/{opid}: rejected {r.finding.kind} in {r.finding.file}: {r.error}")
    if not shown:
        return
    pristine = {rel: read_source(src_dir / rel) for rel in ws.pristine}
    ok_ids = set()
    for r in shown:
        # a fix applies on its own when it has no dependencies, else on top of them (in order)
        chain = [x for x in shown if x.sid in set(r.dependencies)] + [r]
        try:
            texts = dict(pristine)
            for x in chain:
                texts = apply_diff(x.diff, texts)
        except ValueError as exc:
            card.failures.append(f"{app}/{opid}: {r.sid} does not apply: {exc}")
            continue
        errors = [e for rel in texts if texts[rel] != pristine[rel] for e in [check_parses(rel, texts[rel])] if e]
        failed = [c for c in r.compiled if c.status == "failed"]
        for c in r.compiled:
            card.compile_checks[(c.tool, c.status)] += 1
        if errors or failed:
            card.failures.append(f"{app}/{opid}: {r.sid}: {errors or failed}")
            continue
        ok_ids.add(r.sid)
    project_ok = True
    if compile_projects:
        copy = tmp / f"proj-{app}"
        if copy.exists():
            shutil.rmtree(copy)
        shutil.copytree(src_dir, copy)
        texts = apply_diff("".join(r.diff for r in shown), {rel: read_source(src_dir / rel) for rel in ws.pristine})
        for rel, text in texts.items():
            (copy / rel).write_text(text, encoding="utf-8")
        checks: list[CompileCheck] = project_check(copy)
        for c in checks:
            card.compile_checks[(c.tool.split(" ")[0] + " (project)", c.status)] += 1
            if c.status == "failed":
                project_ok = False
                card.failures.append(f"{app}/{opid}: {c.tool} failed after the fixes: {c.detail}")
        shutil.rmtree(copy)
    card.fixes_verified += len(ok_ids) if project_ok else 0
