"""The rules reviewer on its corpus (tests/corpus): recall, false positives, verified fixes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from fault_nb.review.rules_eval import evaluate_corpus

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def test_the_corpus_has_enough_defects_and_traps():
    truth = json.loads((CORPUS / "truth.json").read_text())
    langs = {truth["apps"][d["app"]]["language"] for d in truth["defects"]}
    assert {"python", "javascript", "typescript", "go", "java"} <= langs
    assert len(truth["defects"]) >= 40 and len(truth["traps"]) >= len(truth["defects"])
    for d in truth["defects"]:
        assert (CORPUS / d["app"] / d["file"]).is_file(), d


@pytest.mark.slow
def test_rules_meet_their_targets_on_the_corpus():
    card = evaluate_corpus(CORPUS)
    assert card.false_positives() == []
    for lang, row in card.table("language").items():
        assert row["recall"] >= 0.9, (lang, row, [d for d in card.defects if not d["found"]])
    assert card.fixes_shown >= 40 and card.fixes_verified == card.fixes_shown, card.failures
    assert card.fixes_rejected == 0, card.failures
    assert card.questions >= 1  # the POST retried without an idempotency key is asked about, not fixed
    assert not [k for k, n in card.compile_checks.items() if k[1] == "failed"]
