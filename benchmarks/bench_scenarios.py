"""Benchmark the scenario model and the generator against same-run baselines.

- load: ``load_scenarios`` on a big multi-document file (fault's generated
  scenarios repeated) vs. the least any reader has to do, PyYAML's
  ``load_all`` of the same text with the same (libyaml C, if present) parser.
- write: ``dumps_scenarios_yaml`` vs. ``yaml.safe_dump_all`` of the same dicts.
- generate: ``generate_scenarios`` on a synthetic OpenAPI 3.1 document with many
  operations vs. loading that document with ``json.loads``.

Targets: load <= 3x the baseline (we validate every field and keep lines),
write <= 2x, generate >= 1,000 scenarios/s.

    .venv/bin/python benchmarks/bench_scenarios.py [--copies 50] [--operations 300]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "scenarios" / "seed_app_generated.yaml"


def _timed(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _openapi(n: int) -> dict:
    paths = {}
    for i in range(n // 2):
        paths[f"/things{i}/{{thing_id}}"] = {
            "get": {"operationId": f"get_thing_{i}",
                    "parameters": [{"name": "thing_id", "in": "path", "required": True,
                                    "schema": {"type": "integer", "minimum": 1}}],
                    "responses": {"200": {"description": "ok"}}},
            "post": {"operationId": f"post_thing_{i}",
                     "requestBody": {"content": {"application/json": {
                         "schema": {"$ref": "#/components/schemas/Thing"}}}},
                     "responses": {"201": {"description": "created"}}},
        }
    return {"openapi": "3.1.0", "servers": [{"url": "http://localhost:9090"}], "paths": paths,
            "components": {"schemas": {"Thing": {
                "type": "object", "required": ["name", "size", "tags"],
                "properties": {"name": {"type": "string", "minLength": 3},
                               "size": {"type": "number", "minimum": 0.5},
                               "tags": {"type": "array", "minItems": 1, "items": {"type": "string"}}}}}}}


def main() -> int:
    import yaml

    from fault_nb.scenarios import dumps_scenarios_yaml, generate_scenarios, load_scenarios

    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=50)
    ap.add_argument("--operations", type=int, default=300)
    args = ap.parse_args()

    one = FIXTURE.read_text()
    text = "---\n".join([one] * args.copies)
    docs = text.count("\ntitle: ") + 1
    print(f"scenario file: {docs} documents, {len(text) / 1e6:.2f} MB")

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    base_load, _ = _timed(lambda: list(yaml.load_all(text, Loader=loader)))
    ours_load, scenarios = _timed(lambda: load_scenarios(text))
    print(f"load   baseline load_all({loader.__name__}) {base_load:.3f} s | load_scenarios {ours_load:.3f} s | "
          f"ratio {ours_load / base_load:.2f} (target <= 3) | {docs / ours_load:,.0f} docs/s")

    plain = [json.loads(json.dumps(s)) for s in scenarios]
    base_dump, _ = _timed(lambda: yaml.safe_dump_all(plain, sort_keys=False))
    ours_dump, out = _timed(lambda: dumps_scenarios_yaml(scenarios))
    assert out == text + ("" if text.endswith("\n") else "\n"), "round trip changed the bytes"
    print(f"write  baseline safe_dump_all {base_dump:.3f} s | dumps_scenarios_yaml {ours_dump:.3f} s | "
          f"ratio {ours_dump / base_dump:.2f} (target <= 2)")

    spec = _openapi(args.operations)
    raw = json.dumps(spec)
    base_gen, _ = _timed(lambda: json.loads(raw))
    ours_gen, generated = _timed(lambda: generate_scenarios(json.loads(raw)))
    rate = len(generated) / ours_gen
    print(f"generate {args.operations} operations -> {len(generated)} scenarios in {ours_gen:.3f} s "
          f"({rate:,.0f} scenarios/s, target >= 1,000) | json.loads baseline {base_gen * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
