"""Scenario model: loading, validation errors, normalisation, serde_yaml round trip."""
from __future__ import annotations

import copy
import json
import warnings

import pytest
import yaml

from fault_nb.errors import ScenarioFormatError
from fault_nb.scenarios import dumps_scenarios_yaml, load_scenarios, write_scenarios
from fault_nb.scenarios.model import ScenarioWarning
from fault_nb.scenarios._yamlread import load_documents
from fault_nb.scenarios.yamlout import fault_shape, dumps_yaml

GOOD = {
    "title": "ok",
    "items": [{
        "call": {"method": "GET", "url": "http://localhost:9090/"},
        "context": {"upstreams": ["http://localhost:9090"],
                    "faults": [{"type": "latency", "mean": 100}]},
    }],
}


def _two_docs(bad: dict) -> str:
    """A good document followed by the bad one, so errors must name document 1."""
    return yaml.safe_dump(GOOD, sort_keys=False) + "---\n" + yaml.safe_dump(bad, sort_keys=False)


def _item(**context):
    ctx = {"upstreams": ["http://localhost:9090"], "faults": []}
    ctx.update(context)
    return {"call": {"method": "GET", "url": "http://localhost:9090/"}, "context": ctx}


def _with(path: str, value, base=None) -> dict:
    """Copy of GOOD with one dotted path set (``items.0.call.method``); value ... deletes it."""
    doc = copy.deepcopy(base or GOOD)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = doc
    for p in parents:
        node = node[p]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return doc


F0 = "items.0.context.faults.0"

BAD_CASES = [
    # (document, expected JSON path, words in the problem)
    (_with("title", ...), "$[1].title", "missing required key"),
    (_with("title", ["a"]), "$[1].title", "a list"),
    (_with("items", ...), "$[1].items", "missing required key"),
    (_with("items", "nope"), "$[1].items", "expected a list"),
    (_with("items.0.call", ...), "$[1].items[0].call", "missing required key"),
    (_with("items.0.context", ...), "$[1].items[0].context", "missing required key"),
    (_with("items.0.call.method", "GE T"), "$[1].items[0].call.method", "not a valid HTTP method"),
    (_with("items.0.call.url", "localhost/x"), "$[1].items[0].call.url", "no scheme or host"),
    (_with("items.0.call.url", "foo://host/x"), "$[1].items[0].call.url", "no default one"),
    (_with("items.0.call.url", "http://host:99999/"), "$[1].items[0].call.url", "not a valid URL"),
    (_with("items.0.call.timeout", 1.5), "$[1].items[0].call.timeout", "expected milliseconds"),
    (_with("items.0.call.timeout", -5), "$[1].items[0].call.timeout", "below 0"),
    (_with("items.0.call.headers", {"x": [1]}), "$[1].items[0].call.headers.x", "a list"),
    (_with("items.0.context.upstreams", ["localhost"]), "$[1].items[0].context.upstreams[0]",
     "neither a URL nor host:port"),
    (_with("items.0.context.upstreams", ["*"]), "$[1].items[0].context.upstreams[0]", "fault panics"),
    (_with("items.0.context.upstreams", ...), "$[1].items[0].context.upstreams", "missing required key"),
    (_with("items.0.context.faults", None), "$[1].items[0].context.faults", "got null"),
    (_with(f"{F0}.type", "http_error"), f"$[1].{F0.replace('.0', '[0]')}.type".replace("items[0]", "items[0]"),
     "did you mean 'httperror'"),
    (_with(f"{F0}.type", ...), "$[1].items[0].context.faults[0].type", "missing required key"),
    (_with(f"{F0}.mean", "abc"), "$[1].items[0].context.faults[0].mean", "the string 'abc'"),
    (_with(f"{F0}.mean", -1), "$[1].items[0].context.faults[0].mean", "below 0"),
    (_with(f"{F0}.side", "Client"), "$[1].items[0].context.faults[0].side", "exact case"),
    (_with(f"{F0}.direction", "inbound"), "$[1].items[0].context.faults[0].direction", "unknown value 'inbound'"),
    (_with(f"{F0}.distribution", "gaussian"), "$[1].items[0].context.faults[0].distribution",
     "unknown value 'gaussian'"),
    (_with(f"{F0}.distribution", "uniform"), "$[1].items[0].context.faults[0].min", "min < max"),
    (_with(f"{F0}.max", 10, _with(f"{F0}.min", 50, _with(f"{F0}.distribution", "Uniform"))),
     "$[1].items[0].context.faults[0].max", "min < max"),
    (_with(f"{F0}.mean", ..., _with("items.0.context.strategy", {"mode": "repeat", "step": 10, "count": 2})),
     "$[1].items[0].context.faults[0].mean", "repeat strategy"),
    (_with("items.0.context.strategy", {"mode": "repeat", "step": 10, "count": 1.5}),
     "$[1].items[0].context.strategy.count", "the number 1.5"),
    (_with("items.0.context.strategy", {"mode": "repeat", "count": 2}),
     "$[1].items[0].context.strategy.step", "missing required key"),
    (_with("items.0.context.strategy", {"mode": "load", "duration": "1s", "clients": 1, "rps": 0}),
     "$[1].items[0].context.strategy.rps", "below 1"),
    (_with("items.0.context.strategy", {"mode": "load", "duration": "soon", "clients": 1, "rps": 1}),
     "$[1].items[0].context.strategy.duration", "soon"),
    (_with("items.0.context.strategy", {"mode": "load", "duration": "1s", "rps": 1}),
     "$[1].items[0].context.strategy.clients", "missing required key"),
    (_with("items.0.context.strategy", {"mode": "burst"}), "$[1].items[0].context.strategy.mode",
     "unknown value 'burst'"),
    (_with("items.0.context.faults", [{"type": "bandwidth", "rate": 10, "unit": "kbps"}]),
     "$[1].items[0].context.faults[0].unit", "did you mean 'KBps'"),
    (_with("items.0.context.faults", [{"type": "bandwidth", "unit": "KBps"}]),
     "$[1].items[0].context.faults[0].rate", "missing required key"),
    (_with("items.0.context.faults", [{"type": "bandwidth", "rate": 2.5, "unit": "KBps"}]),
     "$[1].items[0].context.faults[0].rate", "the number 2.5"),
    (_with("items.0.context.faults", [{"type": "jitter", "frequency": 5}]),
     "$[1].items[0].context.faults[0].amplitude", "missing required key"),
    (_with("items.0.context.faults", [{"type": "dns", "rate": 1.5}]),
     "$[1].items[0].context.faults[0].rate", "above 1"),
    (_with("items.0.context.faults", [{"type": "httperror", "status_code": 42, "probability": 1}]),
     "$[1].items[0].context.faults[0].status_code", "below 100"),
    (_with("items.0.context.faults", [{"type": "httperror", "status_code": 500}]),
     "$[1].items[0].context.faults[0].probability", "missing required key"),
    (_with("items.0.context.slo", [{"type": "latency", "slo_type": "latency", "title": "t",
                                    "objective": 95, "threshold": 1}]),
     "$[1].items[0].context.slo[0].type", "both type and slo_type"),
    (_with("items.0.context.slo", [{"type": "latency", "objective": 95, "threshold": 1}]),
     "$[1].items[0].context.slo[0].title", "missing required key"),
    (_with("items.0.context.slo", [{"type": "latency", "title": "t", "objective": 150, "threshold": 1}]),
     "$[1].items[0].context.slo[0].objective", "above 100"),
    (_with("items.0.context.proxy", {"disable_http_proxies": True}),
     "$[1].items[0].context.proxy.proxies", "missing required key"),
    (_with("items.0.context.runs_on", {"platform": "nomad", "ns": "a", "service": "b"}),
     "$[1].items[0].context.runs_on.platform", "unknown value 'nomad'"),
    (_with("items.0.expect", {"status": "ok"}), "$[1].items[0].expect.status", "the string 'ok'"),
    (_with("items.0.expect", {"all_slo_are_valid": "yes"}), "$[1].items[0].expect.all_slo_are_valid",
     "true or false"),
    (_with("config", {"http": {"paths": {}}}), "$[1].config.http.paths.segments", "missing required key"),
    (["not", "a", "mapping"], "$[1]", "expected a scenario mapping"),
]


@pytest.mark.parametrize("doc, path, words", BAD_CASES, ids=[c[1] + ":" + c[2] for c in BAD_CASES])
def test_validation_errors_name_file_document_and_field(tmp_path, doc, path, words):
    f = tmp_path / "bad.yaml"
    f.write_text(_two_docs(doc) if isinstance(doc, dict) else
                 yaml.safe_dump(GOOD) + "---\n" + yaml.safe_dump(doc))
    with pytest.raises(ScenarioFormatError) as info:
        load_scenarios(f)
    msg = str(info.value)
    assert msg.startswith(f"{f}: {path}: "), msg
    assert words in msg
    assert info.value.path == path and info.value.file == str(f)
    assert "(line " in msg or "missing" in msg  # YAML sources point at the line


def test_the_error_points_at_the_yaml_line(tmp_path):
    text = "title: t\nitems:\n- call: {method: GET, url: 'http://h:1/'}\n  context:\n" \
           "    upstreams: [h:1]\n    faults:\n    - type: latency\n      mean: slow\n"
    with pytest.raises(ScenarioFormatError, match=r"\$\[0\]\.items\[0\]\.context\.faults\[0\]\.mean: "
                                                  r"got the string 'slow' \(line 8\)"):
        load_scenarios(text)


def test_invalid_yaml_names_document_and_line(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(GOOD) + "---\ntitle: x\nitems: [\n  - a: b\n")
    with pytest.raises(ScenarioFormatError, match=r"\$\[1\]: invalid YAML at line \d+"):
        load_scenarios(f)


def test_duplicate_keys_are_errors():
    with pytest.raises(ScenarioFormatError, match=r"\$\[0\]: duplicate key 'title' \(line 2\)"):
        load_scenarios("title: a\ntitle: b\nitems: []\n")


def test_quoted_number_is_not_a_number():
    # serde_yaml refuses a quoted "800" for an f64 field; silently converting would hide typos
    doc = _with(f"{F0}.mean", "800")
    with pytest.raises(ScenarioFormatError, match="mean: got the string '800'"):
        load_scenarios(yaml.safe_dump(doc))


def test_round_trip_is_byte_identical(fixtures_dir):
    for name in ("seed_app.yaml", "seed_app_generated.yaml"):
        path = fixtures_dir / "scenarios" / name
        canonical = path.read_text()
        scenarios = load_scenarios(path)
        assert dumps_scenarios_yaml(scenarios) == canonical
        # and again from the dicts (no dependency on the YAML wrappers)
        assert dumps_scenarios_yaml(load_scenarios(json.loads(json.dumps(scenarios)))) == canonical


def test_model_matches_the_json_fault_embeds_in_results(fixtures_dir):
    """A.4: our dicts, with fault's omission rules, serialise like fault's embedded scenarios."""
    for name in ("seed_app", "edge_cases"):
        data = json.loads((fixtures_dir / "results" / f"{name}.results.json").read_text())
        embedded = [r["scenario"] for r in data["results"]]
        ours = load_scenarios(embedded, lenient=True)
        assert [json.dumps(fault_shape(s)) for s in ours] == [json.dumps(s) for s in embedded]
    seed = load_scenarios(fixtures_dir / "scenarios" / "seed_app.yaml")
    embedded = json.loads((fixtures_dir / "results" / "seed_app.results.json").read_text())["results"]
    assert list(seed) == [r["scenario"] for r in embedded]


def test_lenient_is_needed_for_what_fault_omits(fixtures_dir):
    data = json.loads((fixtures_dir / "results" / "edge_cases.results.json").read_text())
    with pytest.raises(ScenarioFormatError, match=r"<memory>: \$\[0\]\.items\[0\]\.context\.upstreams"):
        load_scenarios([r["scenario"] for r in data["results"]])


def test_normalisation():
    text = """
title: 123
description: yes
items:
- expect: {status: 200, response_time_under: 5}
  context:
    faults:
    - {period: "start:29%,duration:1.5s", direction: Egress, mean: 800, type: latency}
    strategy:
    slo:
    - {type: latency, title: p95, objective: 95, threshold: 300}
    upstreams: ["localhost:9090"]
  call:
    timeout: 500
    url: http://localhost:9090/x
    headers: {x-retry: 3, x-flag: true, x-num: 1.50}
    method: get
"""
    (s,) = load_scenarios(text)
    assert s == {
        "title": "123", "description": "yes",
        "items": [{
            "call": {"method": "get", "url": "http://localhost:9090/x",
                     "headers": {"x-retry": "3", "x-flag": "true", "x-num": "1.50"}, "timeout": 500},
            "context": {"upstreams": ["localhost:9090"],
                        "faults": [{"type": "latency", "mean": 800.0, "direction": "Egress",
                                    "period": "start:28%,duration:1s"}],
                        "slo": [{"slo_type": "latency", "title": "p95", "objective": 95.0, "threshold": 300.0}]},
            "expect": {"status": 200, "response_time_under": 5.0},
        }],
    }
    # member order follows A.4, whatever the input order
    assert list(s["items"][0]) == ["call", "context", "expect"]
    assert list(s["items"][0]["call"]) == ["method", "url", "headers", "timeout"]
    assert isinstance(s["items"][0]["context"]["faults"][0]["mean"], float)
    assert isinstance(s["items"][0]["call"]["timeout"], int)
    assert "strategy" not in s["items"][0]["context"]  # absent/null strategy stays absent


def test_empty_lists_are_kept_in_the_model_and_omitted_on_write():
    (s,) = load_scenarios("title: t\nitems:\n- call: {method: GET, url: 'http://h:1/'}\n"
                          "  context:\n    upstreams: []\n    faults:\n")
    assert s["items"][0]["context"] == {"upstreams": [], "faults": []}
    assert dumps_scenarios_yaml([s]) == (
        "title: t\nitems:\n- call:\n    method: GET\n    url: http://h:1/\n  context: {}\n")
    with pytest.raises(ScenarioFormatError, match=r"faults: got null \(line 6\) \(expected a list\)"):
        load_scenarios("title: t\nitems:\n- call: {method: GET, url: 'http://h:1/'}\n"
                       "  context:\n    upstreams: []\n    faults: ~\n")


def test_unknown_keys_are_ignored_but_reported():
    doc = _with("items.0.call.methd", "POST")
    doc["items"][0]["context"]["faults"][0]["means"] = 5
    with pytest.warns(ScenarioWarning, match=r"call\.methd: unknown key ignored"):
        scenarios = load_scenarios(doc)
    assert scenarios[0]["items"][0]["call"] == GOOD["items"][0]["call"]
    assert scenarios.warnings == [
        "<memory>: $[0].items[0].call.methd: unknown key ignored (fault ignores it too); did you mean 'method'?",
        "<memory>: $[0].items[0].context.faults[0].means: unknown key ignored (fault ignores it too); "
        "did you mean 'mean'?",
    ]


def test_invalid_period_is_dropped_with_a_warning():
    doc = _with(f"{F0}.period", "begin:10%")
    with pytest.warns(ScenarioWarning, match="unknown period key 'begin'"):
        (s,) = load_scenarios(doc)
    assert "period" not in s["items"][0]["context"]["faults"][0]


def test_clean_files_raise_no_warning(fixtures_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = load_scenarios(fixtures_dir / "scenarios" / "seed_app.yaml")
    # the placeholder without a segment value is noted quietly
    assert len(s.warnings) == 1 and "{user_id}" in s.warnings[0]


def test_directory_is_recursive_sorted_and_case_insensitive(tmp_path, fixtures_dir):
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / "b" / "deep" / "z.YML").write_text(yaml.safe_dump(_with("title", "deep")))
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(_with("title", "a1")) + "---\n"
                                     + yaml.safe_dump(_with("title", "a2")))
    (tmp_path / "c.Yaml").write_text(yaml.safe_dump(_with("title", "c")))
    (tmp_path / "notes.txt").write_text("title: ignored")
    got = load_scenarios(tmp_path)
    assert [s["title"] for s in got] == ["a1", "a2", "deep", "c"]
    assert got.sources[1] == (str(tmp_path / "a.yaml"), 1)
    assert [s["title"] for s in load_scenarios(str(tmp_path / "c.Yaml"))] == ["c"]


def test_bad_sources(tmp_path):
    with pytest.raises(ScenarioFormatError, match="no such file"):
        load_scenarios(tmp_path / "missing.yaml")
    with pytest.raises(ScenarioFormatError, match="no scenario files found"):
        load_scenarios(tmp_path)
    with pytest.raises(ScenarioFormatError, match="cannot load scenarios from int"):
        load_scenarios(42)


def test_sources_of_every_kind_agree(tmp_path):
    text = yaml.safe_dump(GOOD)
    f = tmp_path / "s.yaml"
    f.write_text(text)
    expected = load_scenarios(GOOD)
    for source in (f, str(f), text, text.encode(), [GOOD]):
        assert list(load_scenarios(source)) == list(expected)


def test_yaml_12_scalars_like_serde():
    (s,) = load_scenarios("title: on\ndescription: 0123\nitems: []\n")
    assert s["title"] == "on" and s["description"] == "0123"
    (s,) = load_scenarios("title: t\nitems:\n- call: {method: GET, url: 'http://h:1/', timeout: 0x10}\n"
                          "  context: {upstreams: [], faults: [{type: dns, rate: 1e-1}]}\n")
    assert s["items"][0]["call"]["timeout"] == 16
    assert s["items"][0]["context"]["faults"][0]["rate"] == 0.1


@pytest.mark.parametrize("value, written", [
    ("", "''"), ("plain text", "plain text"), ("123", "'123'"), ("1.5", "'1.5'"), ("0123", "'0123'"),
    ("true", "'true'"), ("null", "'null'"), ("~", "'~'"), ("yes", "yes"), ("a: b", "'a: b'"),
    ("a:b", "a:b"), ("- x", "'- x'"), ("x #y", "'x #y'"), ("x#y", "x#y"), ("#x", "'#x'"),
    ('{"a":1}', "'{\"a\":1}'"), ("it's", "it's"), ("'q'", "'''q'''"), (" lead", "' lead'"),
    ("tab\there", '"tab\\there"'), ("±80ms @ 8Hz", "±80ms @ 8Hz"), ("a, b", "a, b"),
    ("one\ntwo", "|-\n  one\n  two"), ("one\n", "|\n  one"), ("---", "'---'"), ("[x]", "'[x]'"),
])
def test_string_quoting_follows_serde_yaml(value, written):
    assert dumps_yaml({"k": value}) == f"k: {written}\n"
    # read back with serde_yaml's rules (PyYAML would read `yes` as a bool, serde_yaml does not)
    (_, doc), = load_documents(dumps_yaml({"k": value}))
    assert doc["k"].value == value


def test_nested_layout_and_numbers():
    text = dumps_yaml({"a": [{"b": [1, 2], "c": {"d": 0.05, "e": 1e16}}, [3, [4]], {}], "f": -0.0})
    assert text == ("a:\n- b:\n  - 1\n  - 2\n  c:\n    d: 0.05\n    e: 1e16\n- - 3\n  - - 4\n- {}\n"
                    "f: -0.0\n")


def test_model_validates_against_the_schema(fixtures_dir):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((fixtures_dir / "spec" / "scenario.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for name in ("seed_app.yaml", "seed_app_generated.yaml"):
        for s in load_scenarios(fixtures_dir / "scenarios" / name):
            validator.validate(fault_shape(s))
    assert not validator.is_valid({"title": "t"})  # the schema does reject things


def test_write_scenarios_is_validated_and_atomic(tmp_path, fixtures_dir):
    scenarios = load_scenarios(fixtures_dir / "scenarios" / "seed_app.yaml")
    out = tmp_path / "sub" / "out.yaml"
    write_scenarios(scenarios, out)
    assert out.read_text() == (fixtures_dir / "scenarios" / "seed_app.yaml").read_text()
    bad = _with("items.0.context.upstreams", ["*"])
    with pytest.raises(ScenarioFormatError):
        write_scenarios([bad], tmp_path / "bad.yaml")
    assert not (tmp_path / "bad.yaml").exists()
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["out.yaml"]  # no temp left


def test_alias_bombs_and_recursive_aliases_stay_cheap():
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):  # 9**9 leaves if expanded naively
        prev, cur = chr(96 + i), chr(97 + i)
        levels.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    with pytest.warns(ScenarioWarning):
        got = load_scenarios("\n".join(levels) + "\ntitle: t\nitems: []\n")
    assert got[0] == {"title": "t", "items": []}
    with pytest.raises(ScenarioFormatError, match=r"\$\[0\]\.items\[0\]: got a list \(line 2\)"):
        load_scenarios("title: t\nitems: &x [*x]\n")


def test_aliases_are_followed_like_serde(fixtures_dir):
    text = """title: t
items:
- &one
  call: {method: GET, url: 'http://h:1/'}
  context: {upstreams: ['h:1'], faults: [{type: dns, rate: 0.5}]}
- *one
"""
    (s,) = load_scenarios(text)
    assert s["items"][0] == s["items"][1] and s["items"][0] is not s["items"][1]


def test_a_single_word_is_taken_as_a_missing_path():
    with pytest.raises(ScenarioFormatError, match=r"^scenarios_dir: \$: no such file or directory"):
        load_scenarios("scenarios_dir")


def test_dumps_normalises_plain_dicts_like_fault():
    doc = {"items": [{"expect": {"status": 200}, "context": {
        "faults": [{"mean": 800, "type": "latency"}], "upstreams": ["h:1"],
        "slo": [{"threshold": 300, "objective": 95, "title": "p95", "type": "latency"}]},
        "call": {"url": "http://h:1/", "method": "GET"}}], "title": "t"}
    assert dumps_scenarios_yaml(doc) == """title: t
items:
- call:
    method: GET
    url: http://h:1/
  context:
    upstreams:
    - h:1
    faults:
    - type: latency
      mean: 800.0
    slo:
    - slo_type: latency
      title: p95
      objective: 95.0
      threshold: 300.0
  expect:
    status: 200
"""
    with pytest.raises(ScenarioFormatError, match=r"<memory>: \$\[0\]\.items\[0\]\.context\.faults\[0\]\.type"):
        dumps_scenarios_yaml([_with(f"{F0}.type", "nope")])


_ODD_VALUES = (None, "", "x", "GE T", -1, 0, 1.5, 2**70, float("nan"), True, [], {}, [1, [2]],
               {"type": "latency"}, "start:10%", "http://h", "*", "Bps")


def _leaves(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))


def test_fuzzed_documents_load_or_raise_a_clear_error(fixtures_dir):
    """Any value anywhere: either a valid scenario or a ScenarioFormatError, never a traceback."""
    import random

    rng = random.Random(20261126)
    base = json.loads(json.dumps(load_scenarios(fixtures_dir / "scenarios" / "seed_app.yaml")))
    outcomes = {"ok": 0, "error": 0}
    for _ in range(600):
        doc = copy.deepcopy(rng.choice(base))
        for _ in range(rng.randint(1, 3)):
            paths = [p for p in _leaves(doc) if p]
            *parents, last = rng.choice(paths)
            node = doc
            for p in parents:
                node = node[p]
            if rng.random() < 0.2 and isinstance(node, dict):
                del node[last]
            else:
                node[last] = copy.deepcopy(rng.choice(_ODD_VALUES))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ScenarioWarning)
                (s,) = load_scenarios([doc])
            dumps_scenarios_yaml([s])
            outcomes["ok"] += 1
        except ScenarioFormatError as exc:
            assert str(exc).startswith("<memory>: $[0]")
            outcomes["error"] += 1
    assert outcomes["ok"] > 30 and outcomes["error"] > 300, outcomes


def test_fuzzed_yaml_text_loads_or_raises_a_clear_error(fixtures_dir):
    import random

    rng = random.Random(7)
    text = (fixtures_dir / "scenarios" / "seed_app.yaml").read_text()
    for _ in range(300):
        chars = list(text)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(chars))
            op = rng.random()
            if op < 0.4:
                del chars[i]
            elif op < 0.8:
                chars.insert(i, rng.choice(":-{}[]'\"#&*!|>%@` \n\t\x00é"))
            else:
                chars[i] = rng.choice("aZ09 \n")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ScenarioWarning)
                load_scenarios("".join(chars))
        except ScenarioFormatError as exc:
            assert str(exc).startswith("<text>: $[")


def test_any_string_reads_back_unchanged():
    """Property: whatever dumps_yaml writes for a key or a value, serde's rules read back."""
    import random

    rng = random.Random(3)
    pool = list("ab09 :-{}[]'\"#&*!|>%@`?,.\n\t\\/~+=_é±") + [
        "\x00", "\ufeff", "\u2028", "\x85", "\r", "yes", "null", "true", "0x1", "1e3", "---", "..."]
    for _ in range(3000):
        s = "".join(rng.choice(pool) for _ in range(rng.randint(0, 8)))
        (_, doc), = load_documents(dumps_yaml({"k": s, s: "v"} if s != "k" else {"k": s}))
        assert doc["k"].value == s
        assert s in doc
