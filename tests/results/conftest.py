from __future__ import annotations

import json

import pytest


@pytest.fixture
def seed_data(fixtures_dir):
    """A fresh parsed copy of the seed results fixture, to mutate."""
    return json.loads((fixtures_dir / "results" / "seed_app.results.json").read_text(encoding="utf-8"))


@pytest.fixture
def write_json(tmp_path):
    def _write(data, name="results.json"):
        path = tmp_path / name
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
        return path

    return _write
