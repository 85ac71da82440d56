"""fault_nb's own run data lives beside results.json, never inside it."""
from __future__ import annotations

import json

import pytest

from fault_nb.results import Results, load_results
from fault_nb.results.model import extras_path

EMPTY = {"start": 1, "end": 2, "results": []}
LOAD = {"load": [{"scenario_idx": 0, "item_idx": 0, "requested_rps": 6.0, "achieved_rps": 5.9}]}


def test_extras_round_trip_through_the_sidecar(tmp_path):
    out = tmp_path / "results.json"
    Results.from_dict(EMPTY, extras=LOAD).to_json(out)
    assert json.loads(out.read_text()) == EMPTY  # results.json stays fault's exact shape
    assert extras_path(out) == tmp_path / "results.fault-nb.json"
    again = load_results(out)
    assert again.extras == LOAD
    assert again.load_stats.loc[0, "achieved_rps"] == 5.9


def test_no_extras_no_sidecar(tmp_path):
    out = tmp_path / "results.yaml"
    Results.from_dict(EMPTY).to_yaml(out)
    assert not extras_path(out).exists()
    assert load_results(out).load_stats.empty


def test_broken_sidecar_is_ignored_with_a_warning(tmp_path):
    out = tmp_path / "results.json"
    Results.from_dict(EMPTY).to_json(out)
    extras_path(out).write_text("{not json")
    with pytest.warns(UserWarning, match="results.fault-nb.json"):
        again = load_results(out)
    assert again.extras == {} and again.raw["results"] == []
