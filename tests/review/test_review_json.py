"""Review.to_json / from_json and save_reviews / load_reviews: atomic, round trip, clear errors."""
from __future__ import annotations

import json

import pytest

from fault_nb.errors import InputFileError
from fault_nb.review import Review, Suggestion, load_reviews, save_reviews


def _review(opid="create_order_orders_post") -> Review:
    return Review(opid, "POST", "/orders",
                  evidence={"rows": [{"id": "E1", "fault": "latency", "requests": 12, "p50_ms": 900.0,
                                      "p95_ms": 1200.0, "p99_ms": 1300.0, "error_rate": 0.0, "timeout_rate": 0.0,
                                      "http_5xx_rate": 0.0, "failed_expectations": 2}]},
                  suggestions=[Suggestion("s1", "Bound the call", rationale="it <b>waits</b>", category="timeout",
                                          evidence=["E1"], file="app.py",
                                          diff="--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-a\n+b\n"),
                               Suggestion("s2", "Rejected one", status="rejected", error="did not parse")],
                  notes=["a note"], source_dir="/src",
                  measured={"verdicts": [{"suggestion_id": "s1", "verdict": "improved"}]})


def test_round_trip(tmp_path):
    review = _review()
    path = review.to_json(tmp_path / "review.json")
    back = Review.from_json(path)
    assert back == review
    assert back.to_dict() == review.to_dict()
    assert json.loads(path.read_text())["format"] == "fault-nb-reviews"
    # several reviews, and the --json output of `fault-nb agent code-review`
    save_reviews([review, _review("stock_stock__sku__get")], tmp_path / "all.json")
    assert [r.operation_id for r in load_reviews(tmp_path / "all.json")] == ["create_order_orders_post",
                                                                            "stock_stock__sku__get"]
    (tmp_path / "cli.json").write_text(json.dumps({"report": "x.md", "reviews": [review.to_dict()]}))
    assert load_reviews(tmp_path / "cli.json")[0] == review
    with pytest.raises(InputFileError, match=r"holds 2 reviews"):
        Review.from_json(tmp_path / "all.json")


def test_written_atomically_and_the_old_file_survives_a_failure(tmp_path, monkeypatch):
    path = tmp_path / "review.json"
    _review().to_json(path)
    old = path.read_bytes()

    class Boom(Exception):
        pass

    def boom(*a, **k):
        raise Boom()

    monkeypatch.setattr(json, "dumps", boom)
    with pytest.raises(Boom):
        _review("other").to_json(path)
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["review.json"]


@pytest.mark.parametrize("text, where", [
    ("not json", r"\$: not JSON"),
    ('{"format": "something-else", "reviews": []}', r"\$\.format: got 'something-else'"),
    ('{"reviews": {"a": 1}}', r"\$\.reviews: got dict"),
    ('{"reviews": [{"method": "GET"}]}', r"\$\.reviews\[0\]\.operation_id: missing"),
    ('{"reviews": [{"operation_id": "x", "suggestions": [{"title": "no id"}]}]}', r"\$\.reviews\[0\]\.suggestions"),
    ('[1]', r"\$\[0\]\.operation_id"),
])
def test_bad_files_name_the_file_and_field(tmp_path, text, where):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputFileError, match=f"bad.json: {where}"):
        load_reviews(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        Review.from_json(tmp_path / "nope.json")
