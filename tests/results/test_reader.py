"""Bad input files: every case names the file and the JSON path of the bad field."""
from __future__ import annotations

import json

import pytest

from fault_nb.errors import ResultsFormatError, ScenarioFormatError
from fault_nb.results import Results, load_results
from fault_nb.results import reader
from fault_nb.scenarios import load_scenarios

ROW = ["results", 0, "results", 0, "results", 0]  # first request of the first item


def _path(parts):
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _assert_error(path, json_path, *words):
    with pytest.raises(ResultsFormatError) as info:
        load_results(path)
    msg = str(info.value)
    assert str(path) in msg
    assert f": {json_path}:" in msg, msg
    for w in words:
        assert w in msg, msg
    assert info.value.path == json_path
    return msg


def test_truncated_json_gives_line_and_column(tmp_path, fixtures_dir):
    text = (fixtures_dir / "results" / "seed_app.results.json").read_text(encoding="utf-8")
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    line = text[: len(text) // 2].count("\n") + 1
    msg = _assert_error(path, "$", "invalid JSON", f"line {line}", "truncated")
    assert "column" in msg


def test_syntax_error_in_the_middle(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "start": 1,\n  "end": 2,,\n  "results": []\n}', encoding="utf-8")
    _assert_error(path, "$", "line 3", "column 12")


def test_wrong_top_level_type(write_json):
    _assert_error(write_json([1, 2]), "$", "top level is an array", "ScenariosResults")


def test_float_where_integer_timestamp(write_json, seed_data):
    seed_data["start"] = 1750066212.5
    _assert_error(write_json(seed_data), "$.start", "1750066212.5", "integer")


def test_float_row_timestamp(write_json, seed_data):
    seed_data["results"][0]["results"][0]["results"][0]["start"] = 1.0
    _assert_error(write_json(seed_data), _path(ROW + ["start"]), "integer", "Unix microseconds")


def test_missing_required_field(write_json, seed_data):
    del seed_data["results"][2]["results"][1]["requests_count"]
    _assert_error(write_json(seed_data), "$.results[2].results[1].requests_count", "missing required field")


def test_missing_metrics_member(write_json, seed_data):
    del seed_data["results"][0]["results"][0]["results"][0]["metrics"]["errored"]
    _assert_error(write_json(seed_data), _path(ROW + ["metrics", "errored"]), "missing required field")


def test_wrong_type_deep(write_json, seed_data):
    seed_data["results"][0]["results"][0]["results"][0]["metrics"]["total_time"] = "839"
    _assert_error(write_json(seed_data), _path(ROW + ["metrics", "total_time"]), "the string '839'", "number")


def test_missing_top_level_results(write_json):
    _assert_error(write_json({"start": 1, "end": 2}), "$.results", "missing required field")


def test_item_results_count_mismatch(write_json, seed_data):
    seed_data["results"][0]["results"].pop()
    _assert_error(write_json(seed_data), "$.results[0].results", "2 item results for 3 scenario items")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.json"
    path.write_bytes(b"")
    _assert_error(path, "$", "file is empty")
    path.write_bytes(b"  \n\n")
    _assert_error(path, "$", "file is empty")


def test_binary_file(tmp_path):
    path = tmp_path / "results.json"
    path.write_bytes(bytes(range(256)) * 4)
    _assert_error(path, "$", "binary file")


def test_invalid_utf8(tmp_path):
    path = tmp_path / "results.json"
    path.write_bytes(b'{"start": 1, "end": 2, "results": [], "x": "\xff\xfe\xfd"}')
    _assert_error(path, "$", "not UTF-8", "0xff at offset 44")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_file(tmp_path, fixtures_dir, encoding):
    text = (fixtures_dir / "results" / "edge_empty.results.json").read_text(encoding="utf-8")
    path = tmp_path / "results.json"
    path.write_bytes(text.encode(encoding))
    _assert_error(path, "$", "UTF-16", "re-save as UTF-8")


def test_utf8_bom_is_accepted(tmp_path, fixtures_dir):
    src = fixtures_dir / "results" / "seed_app.results.json"
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + src.read_bytes())
    assert load_results(path).dumps() == src.read_text(encoding="utf-8")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_literals_rejected_with_path(tmp_path, fixtures_dir, literal):
    text = (fixtures_dir / "results" / "seed_app.results.json").read_text(encoding="utf-8")
    text = text.replace('"total_time": 839.068613', f'"total_time": {literal}', 1)
    path = tmp_path / "nan.json"
    path.write_text(text, encoding="utf-8")
    _assert_error(path, _path(ROW + ["metrics", "total_time"]), literal, "not valid JSON")


def test_nan_in_unknown_member_still_rejected(write_json, tmp_path):
    path = tmp_path / "nan.json"
    path.write_text('{"start": 1, "end": 2, "results": [], "extra": {"x": [1, NaN]}}', encoding="utf-8")
    _assert_error(path, "$.extra.x[1]", "NaN is not valid JSON")


def test_unknown_keys_ignored_and_unknown_types_kept(write_json, seed_data):
    seed_data["future"] = {"anything": 1}
    row = seed_data["results"][0]["results"][0]["results"][0]
    row["new_member"] = [1, 2]
    row["faults"].append({"type": "quantum", "weird": True})
    row["metrics"]["faults"][0]["applied"].append({"event": {"type": "teleport", "side": "server"}})
    results = load_results(write_json(seed_data))
    assert results.raw["future"] == {"anything": 1}
    first = results.runs.iloc[0]
    assert first.fault_types == ("latency", "quantum")
    assert first.event_count == 2


def test_omitted_lists_are_read_as_empty(write_json, seed_data):
    ctx = seed_data["results"][0]["scenario"]["items"][0]["context"]
    del ctx["upstreams"], ctx["faults"]
    seed_data["results"][1]["scenario"]["config"] = {"http": {"paths": {}}}
    results = load_results(write_json(seed_data))
    ctx = results.raw["results"][0]["scenario"]["items"][0]["context"]
    assert ctx["upstreams"] == [] and ctx["faults"] == []
    assert results.raw["results"][1]["scenario"]["config"]["http"]["paths"]["segments"] == {}
    again = json.loads(results.dumps())
    assert again["results"][1]["scenario"]["config"] == {"http": {"paths": {}}}
    assert "upstreams" not in again["results"][0]["scenario"]["items"][0]["context"]


def test_unsupported_extension(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("start,end\n1,2\n", encoding="utf-8")
    _assert_error(path, "$", "unsupported file extension '.csv'", ".json, .yaml or .yml")


def test_unknown_extension_sniffs_json(tmp_path, fixtures_dir):
    src = fixtures_dir / "results" / "edge_cases.results.json"
    path = tmp_path / "results.backup"
    path.write_bytes(src.read_bytes())
    assert load_results(path).dumps() == src.read_text(encoding="utf-8")


def test_missing_file_and_directory(tmp_path):
    _assert_error(tmp_path / "nope.json", "$", "file not found")
    _assert_error(tmp_path, "$", "directory")


def test_size_bound(tmp_path, fixtures_dir, monkeypatch):
    monkeypatch.setattr(reader, "MAX_BYTES", 1000)
    path = tmp_path / "big.json"
    path.write_bytes((fixtures_dir / "results" / "seed_app.results.json").read_bytes())
    _assert_error(path, "$", "above the", "limit")


def test_invalid_yaml(tmp_path):
    path = tmp_path / "results.yaml"
    path.write_text("start: 1\nend: [2\nresults: []\n", encoding="utf-8")
    _assert_error(path, "$", "invalid YAML", "line")


def test_yaml_bad_field_has_path(tmp_path):
    path = tmp_path / "results.yml"
    path.write_text("start: 1\nend: 2.5\nresults: []\n", encoding="utf-8")
    _assert_error(path, "$.end", "2.5", "integer")


def test_yaml_alias_bomb_is_bounded(tmp_path):
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 12):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines += ["start: 1", "end: 2", "results: []"]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _assert_error(path, "$", "alias bomb")


def test_yaml_small_aliases_are_fine(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("x: &h {a: 1}\ny: *h\nstart: 1\nend: 2\nresults: []\n", encoding="utf-8")
    assert load_results(path).raw["y"] == {"a": 1}


def test_yaml_reads_like_serde_yaml(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("start: 1\nend: 2\nresults: []\nword: yes\nwhen: 2025-06-16T10:02:47Z\nbig: 1e16\n",
                    encoding="utf-8")
    raw = load_results(path).raw
    assert raw["word"] == "yes" and raw["when"] == "2025-06-16T10:02:47Z" and raw["big"] == 1e16


def test_from_dict_validates_and_copies(seed_data):
    results = Results.from_dict(seed_data)
    results.raw["start"] = 0
    assert seed_data["start"] == 1750066212
    seed_data["end"] = "later"
    with pytest.raises(ResultsFormatError, match=r"<memory>: \$\.end: got the string 'later'"):
        Results.from_dict(seed_data)


def test_error_is_a_value_error(write_json):
    with pytest.raises(ValueError):
        load_results(write_json({"start": 1}))


def test_json_parse_error_never_leaks(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(ResultsFormatError):
        load_results(path)


@pytest.mark.parametrize("where, value, expected", [
    (["results", 0, "results", 0, "total_time", "nanos"], 1_000_000_000, "0 to 999999999"),
    (["results", 0, "results", 0, "requests_count"], -1, "non-negative integer"),
    (ROW + ["metrics", "dns", 0, "resolved"], "yes", "true or false"),
    (ROW + ["expect", "got", "decision"], "maybe", '"success", "failure" or null'),
    (ROW + ["metrics", "faults", 0, "url"], None, "a string"),
    (ROW + ["faults", 0, "type"], 3, "a string"),
    (["results", 0, "scenario", "items", 1, "call", "headers", "content-type"], 1, "a string"),
    (["results", 3, "scenario", "items", 0, "context", "strategy", "clients"], 2.0, "integer"),
    (["results", 3, "scenario", "items", 0, "context", "slo", 0, "threshold"], "300", "a number"),
])
def test_field_checks(write_json, seed_data, where, value, expected):
    target = seed_data
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = value
    _assert_error(write_json(seed_data), _path(where), expected)


@pytest.mark.parametrize("where, value", [
    (["start"], 10**13),
    (ROW + ["start"], 2**63),
    (ROW + ["metrics", "protocol", "body_length"], 2**64 - 1),
    (["results", 0, "results", 0, "requests_count"], 2**70),
])
def test_out_of_range_integers(write_json, seed_data, where, value):
    target = seed_data
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = value
    _assert_error(write_json(seed_data), _path(where), "out of range")


def test_lone_surrogate_rejected(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('{"start": 1, "end": 2, "results": [], "note": "a\\ud800b", "ok": "\\ud83c\\udfaf"}',
                    encoding="utf-8")
    _assert_error(path, "$.note", "lone UTF-16 surrogate")
    path.write_text('{"start": 1, "end": 2, "results": [], "ok": "\\ud83c\\udfaf"}', encoding="utf-8")
    assert load_results(path).raw["ok"] == "\U0001f3af"


# The embedded scenarios and each row's faults are checked by the scenario model
# (its results mode): the same rules as a scenario file, worded for results files.
SCEN3 = ["results", 3, "scenario", "items", 0]
SCEN4 = ["results", 4, "scenario", "items", 0]
ROW4 = ["results", 4, "results", 0, "results"]


@pytest.mark.parametrize("where, value, path_tail, expected", [
    (SCEN3 + ["context", "strategy", "mode"], "burst", [], "unknown value 'burst'"),
    (SCEN3 + ["context", "faults", 0, "side"], "Client", [], "client or server"),
    (SCEN4 + ["context", "faults", 0, "rate"], 512.0, [], "the float 512.0"),
    (SCEN4 + ["context", "faults", 0, "unit"], None, [], "must not be null"),
    (SCEN4 + ["context", "proxy"], {"proxies": []}, ["disable_http_proxies"], "missing required key"),
    (SCEN4 + ["call", "timeout"], -1, [], "-1 is below 0"),
    (SCEN4 + ["context", "upstreams"], None, [], "got null"),
    (ROW4 + [0, "faults", 0, "direction"], "sideways", [], "unknown value 'sideways'"),
])
def test_scenario_shape_rules_apply_to_results(write_json, seed_data, where, value, path_tail, expected):
    target = seed_data
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = value
    _assert_error(write_json(seed_data), _path(where + path_tail), expected)


def test_row_faults_same_values_other_types_are_checked(write_json, seed_data):
    rows = seed_data["results"][4]["results"][0]["results"]
    assert rows[0]["faults"] == rows[1]["faults"] and rows[0]["faults"][0]["rate"] == 512
    rows[1]["faults"][0]["rate"] = 512.0  # == 512, but fault reads a u32 here
    _assert_error(write_json(seed_data), _path(ROW4 + [1, "faults", 0, "rate"]), "the float 512.0")


def test_results_accept_what_fault_accepts_silently(write_json, seed_data):
    """Float bounds that only advise users (probability <= 1, objective <= 100) do not refuse a results file."""
    scen = seed_data["results"][4]["scenario"]["items"][0]["context"]
    scen["slo"] = [{"slo_type": "latency", "title": "odd", "objective": 150.0, "threshold": -1.0}]
    seed_data["results"][0]["scenario"]["items"][0]["context"]["faults"][0]["mean"] = -5.0
    results = load_results(write_json(seed_data))
    assert results.raw["results"][4]["scenario"]["items"][0]["context"]["slo"][0]["objective"] == 150.0
    with pytest.raises(ScenarioFormatError, match="above 100"):  # a scenario file users write: told
        load_scenarios(seed_data["results"][4]["scenario"])
