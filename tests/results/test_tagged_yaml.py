"""fault's results.yaml (serde_yaml 0.9, spec A.4b): ScenarioError entries are YAML tags,
scalars follow YAML 1.2. They read as the JSON one-key objects, write back as tags, and
a file fault wrote comes back byte for byte."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from fault_nb.errors import ResultsFormatError
from fault_nb.results import dumps_results, dumps_results_yaml, load_results

DATA = Path(__file__).parent / "data"
TAGGED = DATA / "tagged_errors.results.yaml"  # written the way fault --result results.yaml writes

# the same record as fault writes it to results.json (spec A.3: one-key objects)
TWIN = {
    "start": 1750068164, "end": 1750068170,
    "results": [{
        "scenario": {
            "title": "Rows fault could not send", "description": "tagged errors and YAML 1.2 scalars",
            "items": [{"call": {"method": "GET", "url": "http://127.0.0.1:8080/health",
                                "headers": {"x-debug": "off", "x-trace": "on", "x-cache": "yes", "x-legacy": "no"},
                                "meta": {"operation_id": "health_get"}},
                       "context": {"upstreams": ["127.0.0.1:8080"]}, "expect": {"status": 200}}]},
        "results": [{
            "target": {"address": "http://127.0.0.1:8080/health"},
            "results": [{"start": 1750068164079659, "expect": None, "metrics": None, "faults": [],
                         "errors": [{"HTTPError": "builder error for url (http://127.0.0.1:8080/health)"},
                                    {"ReadError": ["/tmp/scenario.yaml", "permission denied"]},
                                    {"MissingOpenAPIVersion": []},
                                    {"HTTPMethodError": "DELETE ALL"},
                                    {"IoError": "true"}]}],
            "requests_count": 1, "failure_counts": 0, "total_time": {"secs": 0, "nanos": 281170}}],
    }],
}


def test_tagged_errors_read_as_the_json_objects(tmp_path):
    results = load_results(TAGGED)
    json_twin = tmp_path / "twin.results.json"
    json_twin.write_text(dumps_results(TWIN))
    assert load_results(json_twin).raw == results.raw
    assert results.raw["results"][0]["results"] == TWIN["results"][0]["results"]
    # YAML 1.2 as serde_yaml: off/on/yes/no are strings, not booleans
    assert results.raw["results"][0]["scenario"]["items"][0]["call"]["headers"]["x-debug"] == "off"
    assert results.runs.loc[0, "error_kinds"] == (
        "HTTPError", "ReadError", "MissingOpenAPIVersion", "HTTPMethodError", "IoError")


def test_fault_yaml_writes_back_byte_for_byte(tmp_path):
    text = TAGGED.read_text()
    assert dumps_results_yaml(load_results(TAGGED).raw) == text
    out = load_results(TAGGED).to_yaml(tmp_path / "copy.results.yaml")
    assert out.read_text() == text
    # and the JSON twin writes the tag form too
    assert dumps_results_yaml(TWIN) == text


def test_json_fixture_round_trips_through_tagged_yaml(tmp_path, fixtures_dir):
    source = load_results(fixtures_dir / "results" / "edge_cases.results.json")
    yaml_path = source.to_yaml(tmp_path / "edge.results.yaml")
    text = yaml_path.read_text()
    assert "      errors:\n      - !HTTPMethodError GE T\n" in text and "HTTPMethodError:" not in text
    again = load_results(yaml_path)
    assert again.raw == source.raw
    assert dumps_results_yaml(again.raw) == text
    assert dumps_results(again.raw) == (fixtures_dir / "results" / "edge_cases.results.json").read_text()


def test_any_tag_in_an_errors_list_is_a_variant(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text(TAGGED.read_text().replace("!IoError 'true'", "!SomeFutureError new in fault 0.13"))
    assert load_results(f).raw["results"][0]["results"][0]["results"][0]["errors"][-1] == \
        {"SomeFutureError": "new in fault 0.13"}


@pytest.mark.parametrize("old, new, path, tag", [
    ("x-debug: off", "x-debug: !Custom off", "$.results[0].scenario.items[0].call.headers.x-debug", "!Custom"),
    ("x-debug: off", "x-debug: !!python/object/apply:os.system ['echo pwned']",
     "$.results[0].scenario.items[0].call.headers.x-debug", "!!python/object/apply:os.system"),
    ("- !HTTPMethodError DELETE ALL", "- !!python/name:os.system ''",
     "$.results[0].results[0].results[0].errors[3]", "!!python/name:os.system"),
    ("        - permission denied", "        - !Nested permission denied",
     "$.results[0].results[0].results[0].errors[1][1]", "!Nested"),
    ("title: Rows fault could not send", "title: !!binary aGVsbG8=", "$.results[0].scenario.title", "!!binary"),
])
def test_foreign_tags_are_refused_with_the_field(tmp_path, old, new, path, tag):
    f = tmp_path / "r.yaml"
    text = TAGGED.read_text()
    assert old in text
    f.write_text(text.replace(old, new))
    with pytest.raises(ResultsFormatError) as err:
        load_results(f)
    message = str(err.value)
    assert message.startswith(f"{f}: ") and path in message and f"YAML tag {tag}" in message, message
    assert "is not one fault writes" in message


def test_tags_without_any_in_the_file_keep_the_fast_path(fixtures_dir, tmp_path):
    # no '!' in the text: the plain loader, same result as before
    data = json.loads((fixtures_dir / "results" / "seed_app.results.json").read_text())
    path = tmp_path / "seed.results.yaml"
    path.write_text(dumps_results_yaml(data))
    assert "!" not in path.read_text()
    assert load_results(path).raw == load_results(fixtures_dir / "results" / "seed_app.results.json").raw
