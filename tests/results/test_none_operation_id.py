"""fault writes ``none`` for every operation without an operationId (spec E.2): fault_nb gives
each such endpoint the id its default generator would write, so endpoints no longer collapse."""
from __future__ import annotations

import copy
import json

from fault_nb.results import Results, dumps_results
from fault_nb.scenarios import generate_scenarios
from fault_nb.ui.picker import endpoint_options

NAMED = {"index__get": "get_root", "read_user_users__user_id__get": "get_users_user_id"}


def none_labelled(seed_data: dict) -> dict:
    """The seed results with GET / and GET /users/{user_id} both labelled ``none``, as fault writes them."""
    data = copy.deepcopy(seed_data)
    for sr in data["results"]:
        for item in sr["scenario"]["items"]:
            if item["call"]["meta"]["operation_id"] in NAMED:
                item["call"]["meta"]["operation_id"] = "none"
    return data


def test_none_endpoints_get_distinct_derived_ids_in_every_frame(seed_data):
    base = Results.from_dict(seed_data)
    results = Results.from_dict(none_labelled(seed_data))
    assert results.operation_ids == ["get_root", "create_user_users__post", "get_users_user_id"]
    rename = {**NAMED, "create_user_users__post": "create_user_users__post"}
    # same rows as the named file, only the ids differ
    assert results.runs["operation_id"].tolist() == [rename[o] for o in base.runs["operation_id"]]
    assert results.items["operation_id"].tolist() == [rename[o] for o in base.items["operation_id"]]
    assert results.slo["operation_id"].tolist() == [rename[o] for o in base.slo["operation_id"]]
    ep = results.endpoints
    assert list(ep.columns) == ["operation_id", "method", "url", "has_operation_id", "label", "raw_operation_id",
                                "endpoint_key"]
    assert ep["operation_id"].tolist() == results.operation_ids
    assert ep["has_operation_id"].tolist() == [False, True, False]
    assert ep["raw_operation_id"].tolist() == ["none", "create_user_users__post", "none"]
    assert ep["label"].tolist() == [
        "get_root [GET http://localhost:9090/] (no operationId)",
        "create_user_users__post [POST http://localhost:9090/users/]",
        "get_users_user_id [GET http://localhost:9090/users/{user_id}] (no operationId)"]
    assert endpoint_options(results) == list(zip(ep["label"], ep["operation_id"]))
    # each endpoint keeps its own rows
    for opid, named in NAMED.items():
        mine = results.runs[results.runs["operation_id"] == named]
        assert len(mine) == (base.runs["operation_id"] == opid).sum()
        assert set(mine["url"]) == set(base.runs[base.runs["operation_id"] == opid]["url"])


def test_fault_numbers_and_files_keep_none(seed_data):
    data = none_labelled(seed_data)
    results = Results.from_dict(data)
    assert results.raw == data
    assert results.dumps() == dumps_results(data)
    report = results.report(end_time=None)
    metas = [it["meta"]["operation_id"] for s in report["scenario_summaries"] for it in s["item_summaries"]]
    assert metas.count("none") == 10 and "get_root" not in json.dumps(report)
    # fault's report is the named one with `none` in place of the ids
    named = Results.from_dict(seed_data)
    text = json.dumps(named.report(end_time=None))
    for opid in NAMED:
        text = text.replace(opid, "none")
    assert json.loads(text) == report
    md = named.to_markdown(end_time=None)
    for opid in NAMED:
        md = md.replace(opid, "none")
    assert results.to_markdown(end_time=None) == md
    assert "get_root" not in md and "get_users_user_id" not in md


def _results_of(scenarios: list[dict]) -> Results:
    """A run of the scenarios in which no request was sent (enough for the endpoint views)."""
    def item_result(item):
        return {"target": {"address": item["call"]["url"]}, "results": [], "requests_count": 0,
                "failure_counts": 0, "total_time": {"secs": 0, "nanos": 0}}

    return Results.from_dict({"start": 0, "end": 0, "results": [
        {"scenario": s, "results": [item_result(i) for i in s["items"]]} for s in scenarios]})


def test_compat_generated_ids_match_the_default_mode_ids():
    doc = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
           "servers": [{"url": "http://127.0.0.1:9/api/v1"}],
           "paths": {"/users/{user_id}": {"get": {"responses": {"200": {"description": "ok"}}},
                                          "delete": {"responses": {"200": {"description": "ok"}}}},
                     "/users": {"post": {"operationId": "create", "responses": {"200": {"description": "ok"}}}},
                     "/": {"get": {"responses": {"200": {"description": "ok"}}}}}}
    compat = generate_scenarios(doc, kinds=["latency"], fault_compat=True)
    assert sorted(s["items"][0]["call"]["meta"]["operation_id"] for s in compat) == ["create", "none", "none", "none"]
    default = generate_scenarios(doc, kinds=["latency"])
    results = _results_of(compat)
    assert sorted(results.operation_ids) == sorted(s["items"][0]["call"]["meta"]["operation_id"] for s in default)
    assert sorted(results.operation_ids) == ["create", "delete_users_user_id", "get_root", "get_users_user_id"]


def test_derived_ids_that_clash_are_made_unique():
    def item(method, url, opid):
        return {"call": {"method": method, "url": url, "meta": {"operation_id": opid}},
                "context": {"upstreams": [url.split("/users")[0]], "faults": []}}

    scen = {"title": "t", "description": None, "items": [
        item("GET", "http://a:1/users", "none"), item("GET", "http://b:2/users", "none"),
        item("GET", "http://a:1/users", "none"), item("POST", "http://a:1/users", "none"),
        item("PUT", "http://a:1/users", "post_users")]}
    results = _results_of([scen])
    assert results.operation_ids == ["get_users", "get_users_2", "post_users_2", "post_users"]
    assert results.items["operation_id"].tolist() == ["get_users", "get_users_2", "get_users", "post_users_2",
                                                      "post_users"]


def test_one_real_operation_id_at_two_urls_stays_one_endpoint(seed_data):
    data = copy.deepcopy(seed_data)
    item = data["results"][0]["scenario"]["items"][2]  # GET /users/{user_id}
    item["call"]["url"] = "http://localhost:9090/users/2"
    results = Results.from_dict(data)
    assert results.operation_ids == ["index__get", "create_user_users__post", "read_user_users__user_id__get"]
    ep = results.endpoints
    assert ep["has_operation_id"].all() and ep["raw_operation_id"].tolist() == ep["operation_id"].tolist()
    assert (ep["operation_id"] == "read_user_users__user_id__get").sum() == 2
    options = endpoint_options(results)
    assert [v for _, v in options] == results.operation_ids
    assert options[2][0] == "read_user_users__user_id__get [GET http://localhost:9090/users/2] (+1 more URL(s))"
