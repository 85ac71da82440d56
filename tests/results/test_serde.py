"""fault's exact encodings: serde_json pretty + ryu floats, serde_yaml."""
from __future__ import annotations

import json
import math

import pytest

from fault_nb.results import dumps_results, load_results
from fault_nb.results._serde import dumps_json, ryu_f64
from fault_nb.results._yaml import dumps_yaml

FIXTURES = ["seed_app", "edge_cases", "edge_empty"]


@pytest.mark.parametrize(
    "value, text",
    [
        (800.0, "800.0"), (0.05, "0.05"), (1e16, "1e16"), (1.2345678901234568e17, "1.2345678901234568e17"),
        (0.00001, "0.00001"), (1e-7, "1e-7"), (1.5e-5, "0.000015"), (0.0001, "0.0001"),
        (9999999999999998.0, "9999999999999998.0"), (-0.0, "-0.0"), (-2.5e-9, "-2.5e-9"),
        (123456.789, "123456.789"), (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e308"),
        (0.1 + 0.2, "0.30000000000000004"), (-1e22, "-1e22"),
    ],
)
def test_ryu_spelling(value, text):
    assert ryu_f64(value) == text
    assert float(text) == value  # still round-trips


def test_dumps_json_rules():
    data = {"z": 1, "a": [], "o": {}, "nan": math.nan, "inf": -math.inf, "s": 'é/"\\\x01\n\t\x7f',
            "b": True, "n": None, "nested": [[1, 2.0], {"k": "v"}]}
    out = dumps_json(data)
    assert not out.endswith("\n")
    assert list(json.loads(out)) == list(data)  # member order kept
    assert '"nan": null' in out and '"inf": null' in out
    assert '"s": "é/\\"\\\\\\u0001\\n\\t\x7f"' in out
    assert '"a": [],\n  "o": {},' in out
    assert "\n    [\n      1,\n      2.0\n    ],\n" in out
    assert "+" not in dumps_json([1e300, 1e-300])


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_round_trip_bytes(fixtures_dir, tmp_path, name):
    src = fixtures_dir / "results" / f"{name}.results.json"
    results = load_results(src)
    assert results.dumps() == src.read_text(encoding="utf-8")
    out = results.to_json(tmp_path / "out.json")
    assert out.read_bytes() == src.read_bytes()


@pytest.mark.parametrize("name", FIXTURES)
def test_dumps_validates_against_schema(fixtures_dir, name):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((fixtures_dir / "spec" / "results.schema.json").read_text())
    results = load_results(fixtures_dir / "results" / f"{name}.results.json")
    jsonschema.validate(json.loads(dumps_results(results.raw)), schema)


def test_omitted_lists_read_as_empty_and_omitted_on_write(fixtures_dir):
    results = load_results(fixtures_dir / "results" / "edge_cases.results.json")
    ctx = results.raw["results"][0]["scenario"]["items"][0]["context"]
    assert ctx["upstreams"] == [] and ctx["faults"] == []
    text = dumps_results(results.raw)
    assert '"upstreams": []' not in text and '"faults": []' in text  # row-level faults stay


@pytest.mark.parametrize("name", FIXTURES)
def test_yaml_round_trip(fixtures_dir, tmp_path, name):
    src = fixtures_dir / "results" / f"{name}.results.json"
    results = load_results(src)
    out = results.to_yaml(tmp_path / "results.yaml")
    again = load_results(out)
    assert again.raw == results.raw
    assert again.dumps() == src.read_text(encoding="utf-8")


def test_yaml_style():
    text = dumps_yaml({"items": [{"call": {"method": "GET", "body": '{"a":1}'}, "n": "123", "e": ""}],
                       "f": 1e16, "t": "yes", "x": {}, "l": [[1, 2], []], "m": "a\nb\n"})
    assert text == (
        "items:\n- call:\n    method: GET\n    body: '{\"a\":1}'\n  n: '123'\n  e: ''\n"
        "f: 1e16\nt: yes\nx: {}\nl:\n- - 1\n  - 2\n- []\nm: |\n  a\n  b\n"
    )


FORMS = [
    ("yes", "yes"), ("n", "n"), ("017", "'017'"), ("1_000", "1_000"), ("1:20", "1:20"),
    ("2025-06-16", "2025-06-16"), ("inf", "inf"), ("1e400", "1e400"), ("-", "'-'"), ("-x", "-x"),
    ("a#b", "a#b"), ("it's", "it's"), ("nbsp\u00a0", "nbsp\u00a0"),
    ("http://x:8080/a?b=1&c=2#f", "http://x:8080/a?b=1&c=2#f"),
    ("1e3", "'1e3'"), ("0x1F", "'0x1F'"), ("-0o17", "'-0o17'"), ("+5", "'+5'"), ("1.", "'1.'"),
    (".5", "'.5'"), (".inf", "'.inf'"), ("-.Inf", "'-.Inf'"), (".NaN", "'.NaN'"), ("null", "'null'"),
    ("~", "'~'"), ("True", "'True'"), ("", "''"), ("a: b", "'a: b'"), ("x:", "'x:'"), ("- x", "'- x'"),
    ("a #b", "'a #b'"), ("--- x", "'--- x'"), ("'q'", "'''q'''"), ("*a", "'*a'"), (" lead", "' lead'"),
    ("trail ", "'trail '"),
    ("tab\there", '"tab\\there"'), ("\U0001f3af emoji", '"\\U0001F3AF emoji"'), ("cr\r", '"cr\\r"'),
    ("del\x7f", '"del\\x7F"'), ("nel\x85", '"nel\\N"'), ("\ufeffbom", '"\\uFEFFbom"'),
    ('q"\x01', '"q\\"\\x01"'), ("a \nb", '"a \\nb"'),
]


@pytest.mark.parametrize("text, form", FORMS)
def test_yaml_string_forms_follow_serde_yaml(text, form):
    assert dumps_yaml({"k": text}) == f"k: {form}\n"


@pytest.mark.parametrize("text, block", [
    ("a\nb", "|-\n  a\n  b"), ("a\n", "|\n  a"), ("a\n\n", "|+\n  a\n"), ("\n", "|2+\n"),
    (" a\nb", "|2-\n   a\n  b"), ("a\n\nb", "|-\n  a\n\n  b"),
])
def test_yaml_literal_blocks(text, block):
    assert dumps_yaml({"k": text, "z": 1}) == f"k: {block}\nz: 1\n"
    assert dumps_yaml([text]) == f"- {block}\n"


WEIRD = ["", " ", "a b", " lead", "trail ", "a: b", "a #b", "a#b", "#c", "- x", "-x", "-", "?", "? x", ":",
         ":x", "x:", "*a", "&a", "!t", "%p", "@x", "`x", "|", ">", "'q'", '"dq"', "yes", "No", "on", "OFF",
         "y", "n", "null", "Null", "~", "true", "False", "1", "-1", "+1", "0x1F", "0o17", "017", "1.5", ".5",
         "1e3", "1E+3", ".inf", "-.Inf", ".nan", "1:20", "1_000", "2025-06-16", "2025-06-16T10:02:47Z", "é",
         "\U0001f3af emoji", "tab\there", "new\nline", "cr\r", "ctl\x01", "del\x7f", "nel\x85", "a,b", "[x]",
         "{x}", "x]", "key: ", "<<", "=", "---", "...", "--- x", "a\\b", "http://x:8080/a?b=1&c=2#f",
         '{"name":""}', "\u2028ls", "\ufeffbom", "nbsp\u00a0", "a\"b", "it's"]


@pytest.mark.parametrize("text", WEIRD + [t for t, _ in FORMS])
def test_yaml_strings_read_back_identically(text):
    from fault_nb.results.reader import parse_yaml

    doc = {text: text, "l": [text, {"k": text}], "n": {"deep": [[text]]}}
    assert parse_yaml(dumps_yaml(doc), "x.yaml") == doc


def test_yaml_numbers_read_back():
    from fault_nb.results.reader import parse_yaml

    doc = {"i": [0, -1, 2**70, 17], "f": [0.5, 1e16, 1e-7, -0.0, 1.5e300], "b": [True, False], "z": None}
    assert parse_yaml(dumps_yaml(doc), "x.yaml") == doc
    assert parse_yaml("a: 0x1F\nb: -0o17\nc: 017\nd: 1e400\ne: .inf\nf: 00\ng: yes\n", "x.yaml") == {
        "a": 31, "b": -15, "c": "017", "d": "1e400", "e": float("inf"), "f": "00", "g": "yes"}


@pytest.mark.parametrize("name", ["seed_app_generated", "seed_app"])
def test_yaml_writer_reproduces_faults_own_yaml(fixtures_dir, name):
    """fault's `scenario generate` output (serde_yaml) re-emitted byte for byte."""
    import yaml

    from fault_nb.results.reader import _yaml_loader

    text = (fixtures_dir / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8")
    docs = list(yaml.load_all(text, Loader=_yaml_loader(False)))
    assert len(docs) > 1
    assert "---\n".join(dumps_yaml(d) for d in docs) == text
