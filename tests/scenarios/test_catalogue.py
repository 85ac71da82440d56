"""One fault catalogue: the generator, the CLI, the validator, the proxy, fault's report and the
scenario review all take fault types and scenario kinds from fault_nb.scenarios.catalogue."""
from __future__ import annotations

import argparse

from fault_nb.results import Results
from fault_nb.scenarios import catalogue, generate, model
from fault_nb.scenarios.catalogue import FAULT_CATALOGUE, FAULT_TYPES, KIND_OF_TYPE, KINDS, SCENARIO_KINDS
from fault_nb.scenarios.faults import build_faults


def _kind_choices() -> list[str]:
    from fault_nb.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    scen = sub.choices["scenario"]
    gen = next(a for a in scen._actions if isinstance(a, argparse._SubParsersAction)).choices["generate"]
    return list(next(a for a in gen._actions if a.dest == "kind").choices)


def test_generator_cli_and_validator_use_the_catalogue():
    assert generate.KINDS is catalogue.KINDS
    assert _kind_choices() == list(KINDS)
    assert model.FAULT_TYPES is FAULT_TYPES
    assert set(model._FAULTS) == set(FAULT_TYPES)  # the validator checks exactly fault's types


def test_every_kind_is_valid_and_runs_on_the_proxy():
    assert len(SCENARIO_KINDS) == 8 and len(set(KINDS)) == 8
    for kind in SCENARIO_KINDS:
        assert kind.fault_type in FAULT_TYPES
        item = {"call": {"method": "GET", "url": "http://127.0.0.1:9/"},
                "context": {"upstreams": ["http://127.0.0.1:9"], "faults": [dict(f) for f in kind.faults],
                            **({"strategy": dict(kind.strategy)} if kind.strategy else {}),
                            **({"slo": [dict(s) for s in kind.slo]} if kind.slo else {})}}
        if kind.expect is not None:
            item["expect"] = dict(kind.expect)
        model.validate_scenario({"title": kind.title, "items": [item]}, file="<catalogue>", index=0)
        assert len(build_faults([dict(f) for f in kind.faults], 10.0)) == len(kind.faults)


def test_generated_scenarios_are_the_catalogues():
    spec = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "servers": [{"url": "http://127.0.0.1:9"}],
            "paths": {"/": {"get": {"operationId": "index", "responses": {"200": {"description": "ok"}}}}}}
    scenarios = generate.generate_scenarios(spec, kinds=["pulses", "http-error"])
    wanted = [k for k in SCENARIO_KINDS if k.kind in ("pulses", "http-error")]
    assert [s["title"] for s in scenarios] == [k.title for k in wanted]
    assert [[f["type"] for f in s["items"][0]["context"]["faults"]] for s in scenarios] == \
        [[f["type"] for f in k.faults] for k in wanted]


def test_report_and_review_names_cover_every_type():
    for t, f in FAULT_CATALOGUE.items():
        assert f.kind and f.mitigation and f.category, t
        assert KIND_OF_TYPE[t] is None or KIND_OF_TYPE[t] in KINDS
    assert KIND_OF_TYPE["dns"] is None and KIND_OF_TYPE["packetloss"] == "packet-loss"
    # fault's report names a load item's faults with the catalogue's kind names
    faults = [{"type": "packetloss", "direction": "egress", "period": "start:10%,duration:20%"},
              {"type": "httperror", "status_code": 500, "probability": 0.5}]
    item = {"call": {"method": "GET", "url": "http://127.0.0.1:9/"},
            "context": {"upstreams": ["http://127.0.0.1:9"], "faults": faults,
                        "strategy": {"mode": "load", "duration": "1s", "clients": 1, "rps": 1}}}
    data = {"start": 1, "end": 2, "results": [{"scenario": {"title": "t", "description": None, "items": [item]},
                                                "results": [{"target": {"address": "x"}, "results": [],
                                                             "requests_count": 0, "failure_counts": 0,
                                                             "total_time": {"secs": 1, "nanos": 0}}]}]}
    md = Results.from_dict(data).to_markdown(end_time=None)
    assert "| packet-loss |" in md and "| http-error |" in md
