"""Reviews of a results file where fault labelled two endpoints ``none`` (spec E.2): each endpoint
gets its own handler and only its own evidence."""
from __future__ import annotations

import copy
import json

from fault_nb.results import Results
from fault_nb.review import review_all, review_endpoint
from fault_nb.review.evidence import collect_evidence

from .conftest import make_index

NAMED = {"index__get": "get_root", "read_user_users__user_id__get": "get_users_user_id"}


def _none_labelled(fixtures_dir) -> Results:
    data = json.loads((fixtures_dir / "results" / "seed_app.results.json").read_text("utf-8"))
    data = copy.deepcopy(data)
    for sr in data["results"]:
        for item in sr["scenario"]["items"]:
            if item["call"]["meta"]["operation_id"] in NAMED:
                item["call"]["meta"]["operation_id"] = "none"
    return Results.from_dict(data)


def test_each_none_endpoint_has_its_own_evidence(fixtures_dir, seed_results):
    results = _none_labelled(fixtures_dir)
    for opid, derived in NAMED.items():
        ev, named = collect_evidence(results, derived), collect_evidence(seed_results, opid)
        # exactly the rows (and SLO rows) of that endpoint: the same as in the file with real ids
        assert (ev["method"], ev["url"]) == (named["method"], named["url"])
        assert ev["rows"] == named["rows"] and ev["slo"] == named["slo"]
        assert sum(r["requests"] for r in ev["rows"]) == (results.runs["operation_id"] == derived).sum()
    root, user = (collect_evidence(results, d) for d in NAMED.values())
    assert sum(r["requests"] for r in root["rows"]) != sum(r["requests"] for r in user["rows"])


def test_review_of_none_endpoints_maps_distinct_handlers(fixtures_dir, webapp_src, seed_results, tmp_path):
    results = _none_labelled(fixtures_dir)
    index = make_index(webapp_src, results, tmp_path)
    try:
        user = review_endpoint(results, index, "get_users_user_id")
        assert (user.method, user.url) == ("GET", "http://localhost:9090/users/{user_id}")
        assert user.handler.function == "read_user" and user.handler.how == "route"
        assert [s.title for s in user.verified] == [
            "Declare `read_user` with plain `def` so its blocking calls leave the event loop"]
        root = review_endpoint(results, index, "get_root")
        assert root.handler.function == "index" and root.suggestions == []
        assert root.evidence["rows"] != user.evidence["rows"]
        reviews = review_all(results, index, progress=False)
        assert [r.operation_id for r in reviews] == ["get_root", "create_user_users__post", "get_users_user_id"]
        assert [r.handler.function for r in reviews] == ["index", "create_user", "read_user"]
    finally:
        index.close()
