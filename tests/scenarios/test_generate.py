"""OpenAPI → scenarios: fault-compatible output, the improved mode, sources, errors, CLI."""
from __future__ import annotations

import copy
import http.server
import json
import threading

import httpx
import pytest
import yaml

from fault_nb.cli import main
from fault_nb.errors import FaultNbError, OpenAPIError, UnknownEndpointError
from fault_nb.scenarios import dumps_scenarios_yaml, generate_scenarios, load_scenarios
from fault_nb.scenarios.generate import KINDS, endpoint_filename
from fault_nb.scenarios.samples import valid_sample
from fault_nb.scenarios.openapi import OpenAPI, load_openapi
from fault_nb.scenarios.yamlout import fault_shape


@pytest.fixture(scope="module")
def seed_spec(fixtures_dir):
    return fixtures_dir / "openapi" / "seed_app.openapi.json"


@pytest.fixture(scope="module")
def seed_doc(seed_spec):
    return json.loads(seed_spec.read_text())


@pytest.fixture(scope="module")
def schema_validator(fixtures_dir):
    jsonschema = pytest.importorskip("jsonschema")
    return jsonschema.Draft202012Validator(json.loads((fixtures_dir / "spec" / "scenario.schema.json").read_text()))


def _by(scenarios, op_id):
    return [s for s in scenarios if s["items"][0]["call"]["meta"]["operation_id"] == op_id]


def test_fault_compat_is_byte_identical_to_fault(seed_spec, fixtures_dir):
    expected = (fixtures_dir / "scenarios" / "seed_app_generated.yaml").read_text()
    scenarios = generate_scenarios(seed_spec, fault_compat=True)
    assert len(scenarios) == 24
    assert dumps_scenarios_yaml(scenarios) == expected


def test_eight_kinds_in_fault_order(seed_doc):
    scenarios = generate_scenarios(seed_doc)
    titles = [s["title"] for s in scenarios[:8]]
    assert titles[0] == "Single high-latency spike (client ingress)"
    assert titles[-1] == "Full black-hole for 1s"
    assert len(set(titles)) == 8 and len(scenarios) == 24
    only = generate_scenarios(seed_doc, kinds=["jitter", "http-error"])
    assert [s["title"] for s in only] == ["High jitter (±80ms @ 8Hz)", "Random 500 errors (5% of calls)"] * 3
    with pytest.raises(FaultNbError, match="unknown scenario kind 'latncy'. Expected one of: latency"):
        generate_scenarios(seed_doc, kinds=["latncy"])
    assert len(KINDS) == 8


def test_improved_mode_fills_placeholders_and_bodies(seed_doc):
    jsonschema = pytest.importorskip("jsonschema")
    scenarios = generate_scenarios(seed_doc)
    read = _by(scenarios, "read_user_users__user_id__get")
    assert len(read) == 8
    for s in read:
        assert s["config"] == {"http": {"paths": {"segments": {"user_id": "1"}}}}
        assert "headers" not in s["items"][0]["call"] and "body" not in s["items"][0]["call"]
    create = _by(scenarios, "create_user_users__post")[0]["items"][0]["call"]
    assert create["headers"] == {"content-type": "application/json"}
    body = json.loads(create["body"])
    schema = {**seed_doc["components"]["schemas"]["Body_create_user_users__post"],
              "components": seed_doc["components"]}
    jsonschema.validate(body, schema)
    assert body == {"name": "example", "password": "example"}
    # fault-compat keeps fault's behaviour: no segments, empty strings, content-type on POST
    compat = generate_scenarios(seed_doc, fault_compat=True)
    assert _by(compat, "read_user_users__user_id__get")[0]["config"] == {}
    assert json.loads(_by(compat, "create_user_users__post")[0]["items"][0]["call"]["body"]) == \
        {"name": "", "password": ""}


def test_improved_calls_reach_the_real_app_where_fault_compat_does_not(seed_doc, webapp):
    """Send each generated call (no fault) to the running seed app: improved calls succeed."""
    def send(scenarios):
        statuses = {}
        for s in scenarios:
            call = s["items"][0]["call"]
            url = call["url"]
            for name, value in ((s.get("config") or {}).get("http", {}).get("paths", {})
                                .get("segments", {}).items()):
                url = url.replace("{" + name + "}", value)
            r = httpx.request(call["method"], url, headers=call.get("headers"), content=call.get("body"),
                              timeout=10)
            statuses[call["meta"]["operation_id"]] = (r.status_code, s["items"][0]["expect"]["status"])
        return statuses

    order = ["create_user_users__post", "index__get", "read_user_users__user_id__get"]
    improved = generate_scenarios(seed_doc, base_url=webapp.url, kinds=["latency"])
    improved = sorted(improved, key=lambda s: order.index(s["items"][0]["call"]["meta"]["operation_id"]))
    got = send(improved)
    assert all(status == expected for status, expected in got.values()), got
    compat = generate_scenarios(seed_doc, base_url=webapp.url, kinds=["latency"], fault_compat=True)
    assert send(compat)["read_user_users__user_id__get"][0] == 422  # literal {user_id}


def test_generated_scenarios_validate_against_the_schema(seed_doc, schema_validator):
    for mode in (True, False):
        scenarios = generate_scenarios(seed_doc, fault_compat=mode)
        for s in scenarios:
            schema_validator.validate(fault_shape(s))
        # and they load back through our own validator unchanged
        assert list(load_scenarios(dumps_scenarios_yaml(scenarios))) == list(scenarios)


OPENAPI_30 = {
    "openapi": "3.0.3",
    "info": {"title": "shop", "version": "1"},
    "servers": [{"url": "https://{env}.example.com:{port}/v1",
                 "variables": {"env": {"default": "api"}, "port": {"default": "8443"}}}],
    "paths": {
        "/orders/{order_id}/items": {
            "parameters": [{"$ref": "#/components/parameters/OrderId"}],
            "get": {"operationId": "list_items",
                    "parameters": [{"name": "limit", "in": "query", "required": True,
                                    "schema": {"type": "integer", "minimum": 10, "maximum": 50}},
                                   {"name": "debug", "in": "query", "schema": {"type": "boolean"}},
                                   {"name": "X-Tenant", "in": "header", "required": True,
                                    "schema": {"type": "string", "enum": ["acme", "other"]}}],
                    "responses": {"200": {"description": "ok"}}},
            "post": {"requestBody": {"$ref": "#/components/requestBodies/NewItem"},
                     "responses": {"201": {"description": "created"}, "422": {"description": "bad"}}},
        },
        "/health": {"head": {"operationId": "health", "responses": {"204": {"description": "up"}}}},
    },
    "components": {
        "parameters": {"OrderId": {"name": "order_id", "in": "path", "required": True,
                                   "schema": {"type": "string", "format": "uuid"}}},
        "requestBodies": {"NewItem": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Item"}}}}},
        "schemas": {
            "Item": {"allOf": [{"$ref": "#/components/schemas/Base"},
                               {"type": "object", "required": ["sku", "qty", "price", "tags"],
                                "properties": {"sku": {"type": "string", "minLength": 12},
                                               "qty": {"type": "integer", "exclusiveMinimum": True,
                                                       "minimum": 0, "multipleOf": 5},
                                               "price": {"type": "number", "minimum": 2.5},
                                               "tags": {"type": "array", "minItems": 2,
                                                        "items": {"type": "string", "format": "email"}},
                                               "note": {"type": "string", "nullable": True}}}]},
            "Base": {"type": "object", "required": ["kind"],
                     "properties": {"kind": {"type": "string", "enum": ["book", "cd"]}}},
        },
    },
}


def test_openapi_30_yields_scenarios_with_everything_filled():
    jsonschema = pytest.importorskip("jsonschema")
    scenarios = generate_scenarios(OPENAPI_30, kinds=["latency"])
    assert [s["items"][0]["call"]["method"] for s in scenarios] == ["HEAD", "GET", "POST"]  # byte-sorted paths
    head, get, post = (s["items"][0] for s in scenarios)
    assert head["call"]["url"] == "https://api.example.com:8443/v1/health"
    assert head["context"]["upstreams"] == ["https://api.example.com:8443"]
    assert head["expect"] == {"status": 204}
    assert get["call"]["url"] == "https://api.example.com:8443/v1/orders/{order_id}/items?limit=10"
    assert get["call"]["headers"] == {"X-Tenant": "acme"}
    assert scenarios[1]["config"]["http"]["paths"]["segments"] == {
        "order_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}
    assert post["call"]["meta"] == {"operation_id": "post_orders_order_id_items"}  # derived, said so
    assert post["expect"] == {"status": 201}
    body = json.loads(post["call"]["body"])
    assert body == {"kind": "book", "sku": "examplexxxxx", "qty": 5, "price": 2.5,
                    "tags": ["user@example.com", "user@example.com"]}
    schema = {"$ref": "#/components/schemas/Item", "components": OPENAPI_30["components"]}
    jsonschema.validate(body, schema)
    # fault-compat: verbatim server, 'none' for the missing operationId, all properties empty
    with pytest.raises(OpenAPIError, match=r"\$\.servers\[0\]\.url: 'https://\{env\}.*not expand"):
        generate_scenarios(OPENAPI_30, kinds=["latency"], fault_compat=True)
    compat = generate_scenarios(OPENAPI_30, kinds=["latency"], fault_compat=True, base_url="http://h:1/v1")
    c_post = compat[2]["items"][0]["call"]
    assert c_post["url"] == "http://h:1/v1/orders/{order_id}/items"
    assert c_post["meta"] == {"operation_id": "none"}
    assert json.loads(c_post["body"]) == {"kind": ""}  # first allOf part, as fault does


def test_ref_cycles_terminate():
    doc = {"openapi": "3.1.0", "paths": {"/tree": {"post": {
        "operationId": "plant",
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}},
        "responses": {"200": {"description": "ok"}}}}},
        "components": {"schemas": {
            "Node": {"type": "object", "required": ["name", "child"],
                     "properties": {"name": {"type": "string"}, "child": {"$ref": "#/components/schemas/Node"},
                                    "loop": {"$ref": "#/components/schemas/A"}}},
            "A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}}}
    for compat in (False, True):
        (s,) = generate_scenarios(doc, kinds=["latency"], fault_compat=compat)
        assert json.loads(s["items"][0]["call"]["body"])["name"] == ("" if compat else "example")
    api = OpenAPI(doc)
    assert api.deref({"$ref": "#/components/schemas/A"}) == {}
    assert valid_sample(api, {"$ref": "#/components/schemas/A"}) is None


@pytest.mark.parametrize("doc, path, words", [
    ({"swagger": "2.0", "paths": {}}, "$.swagger", "Swagger 2.0 is not supported"),
    ({"info": {"title": "x"}}, "$.openapi", "missing: this is not an OpenAPI document"),
    ({"openapi": "4.0.0"}, "$.openapi", "unsupported OpenAPI version '4.0.0'"),
    ({"openapi": "3.1.0", "paths": ["/a"]}, "$.paths", "got a list"),
])
def test_non_openapi_documents_are_refused(doc, path, words):
    with pytest.raises(OpenAPIError) as info:
        generate_scenarios(doc)
    assert f"<memory>: {path}: {words}" in str(info.value)


def test_bad_files(tmp_path):
    f = tmp_path / "api.json"
    f.write_text('{"openapi": "3.1.0", "paths": {')
    with pytest.raises(OpenAPIError, match=r"api.json: \$: invalid JSON"):
        generate_scenarios(f)
    f.write_text("- just\n- a list\n")
    with pytest.raises(OpenAPIError, match="the document is a list"):
        generate_scenarios(f)
    with pytest.raises(OpenAPIError, match="no such file"):
        generate_scenarios(tmp_path / "missing.yaml")


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):  # noqa: N802 - http.server API
        if self.path not in self.routes:
            self.send_error(404)
            return
        ctype, body = self.routes[self.path]
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def spec_server(seed_doc):
    doc = copy.deepcopy(seed_doc)
    doc["servers"] = [{"url": "/api"}]  # relative: resolved against the spec URL
    _Handler.routes = {
        "/openapi.json": ("application/json", json.dumps(seed_doc)),
        "/relative.json": ("application/json; charset=utf-8", json.dumps(doc)),
        "/openapi.yaml": ("text/yaml", yaml.safe_dump(seed_doc)),
    }
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_url_sources_over_real_http(spec_server, fixtures_dir):
    expected = (fixtures_dir / "scenarios" / "seed_app_generated.yaml").read_text()
    for path in ("/openapi.json", "/openapi.yaml"):
        assert dumps_scenarios_yaml(generate_scenarios(spec_server + path, fault_compat=True)) == expected
    rel = generate_scenarios(spec_server + "/relative.json", kinds=["latency"])
    assert rel[0]["items"][0]["call"]["url"] == f"{spec_server}/api/"
    assert rel[0]["items"][0]["context"]["upstreams"] == [spec_server]
    assert rel.warnings == []
    elsewhere = generate_scenarios(spec_server + "/openapi.json", kinds=["latency"])
    assert elsewhere.warnings == [
        f"{spec_server}/openapi.json: $.servers[0].url: the calls go to http://localhost:9090, but the document "
        f"was served by {spec_server}; pass base_url= (--base-url) if the app runs there"]
    assert generate_scenarios(spec_server + "/openapi.json", kinds=["latency"], base_url=spec_server).warnings == []
    with pytest.raises(OpenAPIError, match="cannot fetch the document: .*404") as err:
        load_openapi(spec_server + "/missing.json")
    assert "\n" not in str(err.value) and "mozilla" not in str(err.value)  # one line, no httpx MDN link


def test_operation_selection_and_missing_ids(seed_doc):
    by_id = generate_scenarios(seed_doc, operations=["index__get"])
    by_route = generate_scenarios(seed_doc, operations="GET /")
    assert list(by_id) == list(by_route) and len(by_id) == 8
    two = generate_scenarios(seed_doc, operations=["read_user_users__user_id__get", "POST /users/"],
                             kinds=["latency"])
    assert [s["items"][0]["call"]["method"] for s in two] == ["POST", "GET"]  # document order kept
    with pytest.raises(UnknownEndpointError, match="Expected one of: index__get"):
        generate_scenarios(seed_doc, operations=["nope"])


def test_operation_selection_by_the_derived_id_of_an_operation_without_one():
    # the default mode writes `get_status` for GET /status without an operationId; --operation get_status
    # answered "unknown endpoint"
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "servers": [{"url": "http://h:1"}],
           "paths": {"/status": {"get": {"responses": {"200": {"description": "ok"}}}},
                     "/items": {"get": {"operationId": "listItems", "responses": {"200": {"description": "ok"}}}}}}
    got = generate_scenarios(doc, operations=["get_status"], kinds=["latency"])
    assert [s["items"][0]["call"]["meta"]["operation_id"] for s in got] == ["get_status"]
    with pytest.raises(UnknownEndpointError):
        generate_scenarios(doc, operations=["get_items"], kinds=["latency"])  # it has its own id


def test_trace_appears_twice_only_in_fault_compat():
    doc = {"openapi": "3.1.0", "paths": {"/t": {"trace": {"operationId": "t"}}}}
    assert len(generate_scenarios(doc, kinds=["latency"])) == 1
    assert len(generate_scenarios(doc, kinds=["latency"], fault_compat=True)) == 2


def test_load_scale(seed_doc):
    quick = generate_scenarios(seed_doc, operations=["index__get"], load_scale=0.2)
    durations = [s["items"][0]["context"]["strategy"]["duration"] for s in quick
                 if s["items"][0]["context"].get("strategy", {}).get("mode") == "load"]
    assert durations == ["2s", "3s", "1600ms", "2s"]
    with pytest.raises(FaultNbError, match="load_scale must be a positive number"):
        generate_scenarios(seed_doc, load_scale=0)


@pytest.mark.parametrize("schema, value", [
    ({"type": "integer", "minimum": 7, "maximum": 9}, 7),
    ({"type": "integer", "exclusiveMinimum": 7}, 8),            # 3.1 numeric form
    ({"type": "integer", "maximum": -3}, -3),
    ({"type": "number", "multipleOf": 0.25, "minimum": 1.1}, 1.25),
    ({"type": "string", "maxLength": 3}, "exa"),
    ({"type": "string", "format": "date-time"}, "2024-01-01T00:00:00Z"),
    ({"type": ["null", "boolean"]}, True),
    ({"oneOf": [{"type": "null"}, {"type": "integer"}]}, 1),
    ({"enum": [None, "b", "c"]}, "b"),
    ({"const": 3}, 3),
    ({"type": "string", "default": "d"}, "d"),
    ({"type": "string", "examples": ["e1"]}, "e1"),
    ({"type": "object", "properties": {"a": {"type": "string"}}}, {}),
    # a pattern the default text does not match gets a string built from the pattern (Pydantic
    # `Field(pattern=...)` answered 422 to "example")
    ({"type": "string", "pattern": r"^[A-Z]{3}-\d+$", "minLength": 3, "maxLength": 12}, "AAA-0"),
    ({"type": "string", "pattern": r"^v\d+(\.\d+){2}$"}, "v0.0.0"),
    ({"type": "string", "pattern": r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"}, "a@a.aa"),
    ({"type": "string", "pattern": r"^[a-z0-9-]{8,}$", "minLength": 10}, "examplexxx"),
    ({"type": "string", "pattern": r"^[a-z]+$"}, "example"),  # already matching: unchanged
    # an open interval narrower than the 0.5 step (FastAPI Query(gt=0.5, lt=0.7)) gave 0.2: 422
    ({"type": "number", "exclusiveMinimum": 0.5, "exclusiveMaximum": 0.7}, 0.6),
    ({"type": "number", "exclusiveMinimum": 2.25, "exclusiveMaximum": 2.5}, 2.375),
    # uniqueItems: [1, 1] was invalid; additionalProperties types a required name without a property
    ({"type": "array", "items": {"type": "integer"}, "minItems": 3, "uniqueItems": True}, [1, 2, 3]),
    ({"type": "array", "items": {"type": "string"}, "minItems": 2, "uniqueItems": True}, ["example", "example1"]),
    ({"type": "array", "items": {"enum": ["x", "y", "z"]}, "minItems": 2, "uniqueItems": True}, ["x", "y"]),
    ({"type": "object", "required": ["a"], "additionalProperties": {"type": "integer"}}, {"a": 1}),
])
def test_minimal_valid_values(schema, value):
    jsonschema = pytest.importorskip("jsonschema")
    got = valid_sample(OpenAPI({"openapi": "3.1.0"}), schema)
    assert got == value and type(got) is type(value)
    jsonschema.validate(got, schema)


def test_endpoint_filenames_stay_inside_the_directory():
    assert endpoint_filename("http://h:1/") == "root.yaml"
    assert endpoint_filename("http://h:1/users/") == "users_.yaml"
    assert endpoint_filename("http://h:1/a/%2F..%2F..%2Fetc") == "a__.._.._etc.yaml"


def test_cli_generate(tmp_path, seed_spec, fixtures_dir, capsys, monkeypatch):
    out = tmp_path / "scenario.yaml"
    assert main(["scenario", "generate", "--spec-file", str(seed_spec), "--scenario", str(out),
                 "--fault-compat"]) == 0
    assert capsys.readouterr().out == "Generated 24 reliability scenarios across 3 endpoints!\n"
    assert out.read_text() == (fixtures_dir / "scenarios" / "seed_app_generated.yaml").read_text()

    split = tmp_path / "split"
    split.mkdir()
    assert main(["scenario", "generate", "--spec-file", str(seed_spec), "--scenario", str(split),
                 "--operation", "index__get", "--operation", "POST /users/", "--kind", "latency"]) == 0
    assert capsys.readouterr().out == "Generated 2 reliability scenarios across 2 endpoints!\n"
    assert sorted(p.name for p in split.iterdir()) == ["root.yaml", "users_.yaml"]
    assert load_scenarios(split / "users_.yaml")[0]["items"][0]["call"]["method"] == "POST"

    monkeypatch.setenv("FAULT_SCENARIO_OPENAPI_V3_SPEC_FILE", str(seed_spec))
    monkeypatch.setenv("FAULT_SCENARIO_PATH", str(tmp_path / "env.yaml"))
    assert main(["scenario", "generate", "--kind", "jitter"]) == 0
    assert len(load_scenarios(tmp_path / "env.yaml")) == 3
    capsys.readouterr()

    assert main(["scenario", "generate", "--spec-file", str(tmp_path / "nope.json"),
                 "--scenario", str(out)]) == 2
    assert "nope.json: $: no such file" in capsys.readouterr().err


def test_path_values_come_from_examples_and_stay_one_segment():
    doc = {"openapi": "3.1.0", "paths": {"/files/{name}/{kind}": {"get": {
        "operationId": "f",
        "parameters": [
            {"name": "name", "in": "path", "required": True, "example": "my dir/a b.txt",
             "schema": {"type": "string"}},
            {"name": "kind", "in": "path", "required": True,
             "schema": {"type": "string", "enum": ["pdf", "txt"]}}]}}}}
    (s,) = generate_scenarios(doc, kinds=["latency"])
    assert s["config"]["http"]["paths"]["segments"] == {"name": "my%20dir%2Fa%20b.txt", "kind": "pdf"}


def _send(scenario) -> int:
    call = scenario["items"][0]["call"]
    url = call["url"]
    for name, value in ((scenario.get("config") or {}).get("http", {}).get("paths", {})
                        .get("segments", {}).items()):
        url = url.replace("{" + name + "}", value)
    return httpx.request(call["method"], url, headers=call.get("headers"), content=call.get("body"),
                         timeout=10).status_code


@pytest.mark.parametrize("app_name", ["webapp", "inventory_app", "orders_app"])
def test_improved_calls_pass_request_validation_of_the_sample_apps(request, app_name):
    """The spec comes from the running app over HTTP; every improved call passes FastAPI's
    request validation (no 422) and breaks nothing (no 5xx), without any fault."""
    app = request.getfixturevalue(app_name)
    scenarios = generate_scenarios(app.url + "/openapi.json", base_url=app.url, kinds=["latency"])
    assert scenarios, app_name
    statuses = {s["items"][0]["call"]["meta"]["operation_id"]: _send(s) for s in scenarios}
    assert all(code != 422 and code < 500 for code in statuses.values()), statuses
    compat = generate_scenarios(app.url + "/openapi.json", base_url=app.url, kinds=["latency"],
                                fault_compat=True)
    with_placeholders = [s for s in compat if "{" in s["items"][0]["call"]["url"]]
    assert with_placeholders and any(_send(s) == 422 for s in with_placeholders) == (app_name != "inventory_app")


def test_yaml_documents_with_int_keys_and_dates(tmp_path):
    f = tmp_path / "api.yaml"
    f.write_text("""openapi: 3.1.0
paths:
  /events:
    post:
      operationId: add_event
      requestBody:
        content:
          application/json:
            example: {day: 2024-05-01, n: 2}
      responses:
        201: {description: created}
""")
    (s,) = generate_scenarios(f, kinds=["latency"])
    assert s["items"][0]["call"]["body"] == '{"day":"2024-05-01","n":2}'
    assert s["items"][0]["expect"] == {"status": 201}


_ODD = (None, "", "x", -1, 0, 1.5, True, [], {}, [1, [2]], {"$ref": "#/nowhere"}, {"$ref": "#/components"},
        {"type": "object"}, {"type": ["string", "null"]}, "{id}", "#/components/schemas/Item")


def test_fuzzed_openapi_documents_generate_or_raise_a_clear_error(seed_doc):
    """Any value anywhere in the document: scenarios, or a FaultNbError — never a traceback."""
    import random

    from test_model import _leaves  # noqa: PLC0415 - shared helper

    rng = random.Random(42)
    bases = [seed_doc, OPENAPI_30]
    ok = 0
    for _ in range(400):
        doc = copy.deepcopy(rng.choice(bases))
        for _ in range(rng.randint(1, 3)):
            paths = [p for p in _leaves(doc) if p and p[0] != "openapi"]
            *parents, last = rng.choice(paths)
            node = doc
            for p in parents:
                node = node[p]
            node[last] = copy.deepcopy(rng.choice(_ODD))
        for compat in (False, True):
            try:
                scenarios = generate_scenarios(doc, kinds=["latency", "pulses"], fault_compat=compat,
                                               base_url=None if rng.random() < 0.5 else "http://h:1")
                dumps_scenarios_yaml(scenarios)
                ok += 1
            except FaultNbError:
                pass
    assert ok > 200


@pytest.mark.slow
def test_generated_scenarios_run_end_to_end(webapp):
    """Generate from the running app, run through fault_nb's proxy: improved calls pass, fault's 422."""
    runner = pytest.importorskip("fault_nb.scenarios.runner")
    decisions = {}
    for compat in (False, True):
        scenarios = generate_scenarios(webapp.url + "/openapi.json", base_url=webapp.url, kinds=["latency"],
                                       fault_compat=compat)
        runs = runner.run_scenarios(scenarios, progress=False, seed=1).runs
        row = runs[runs["operation_id"] == "read_user_users__user_id__get"].iloc[0]
        decisions[compat] = (int(row["status"]), row["decision"])
    assert decisions == {False: (200, "success"), True: (422, "failure")}


def test_required_array_query_parameters_are_sent_with_one_item():
    # an empty array would leave a required parameter out of the URL (-> 422)
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
           "servers": [{"url": "http://localhost:9"}],
           "components": {"schemas": {"Tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}}},
           "paths": {"/pets": {"get": {"parameters": [
               {"name": "tags", "in": "query", "required": True, "schema": {"$ref": "#/components/schemas/Tags"}},
               {"name": "ids", "in": "query", "required": True, "schema": {"type": "array", "items": {"type": "integer"}}},
               {"name": "none", "in": "query", "required": True, "schema": {"type": "array", "maxItems": 0}}],
               "responses": {"200": {"description": "ok"}}}}}}
    url = generate_scenarios(doc, kinds=["latency"])[0]["items"][0]["call"]["url"]
    assert url == "http://localhost:9/pets?tags=a&ids=1"


def test_required_cookies_are_sent_and_unexploded_arrays_are_comma_joined():
    # a required cookie parameter (FastAPI `Cookie()`) was left out (-> 422); `explode: false` arrays
    # were sent exploded
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
           "servers": [{"url": "http://localhost:9"}],
           "paths": {"/search": {"get": {"parameters": [
               {"name": "q", "in": "query", "required": True, "explode": False,
                "schema": {"type": "array", "minItems": 2, "items": {"type": "string", "enum": ["x", "y"]}}},
               {"name": "sid", "in": "cookie", "required": True, "schema": {"type": "string"}},
               {"name": "theme", "in": "cookie", "required": True, "schema": {"type": "string", "enum": ["dark mode"]}},
               {"name": "opt", "in": "cookie", "schema": {"type": "string"}}],
               "responses": {"200": {"description": "ok"}}}}}}
    call = generate_scenarios(doc, kinds=["latency"])[0]["items"][0]["call"]
    assert call["url"] == "http://localhost:9/search?q=x%2Cx"
    assert call["headers"] == {"cookie": "sid=example; theme=dark%20mode"}
    compat = generate_scenarios(doc, kinds=["latency"], fault_compat=True)[0]["items"][0]["call"]
    assert "headers" not in compat  # fault sends no cookie
