"""Fixtures of the review tests: orders/webapp sources, their results and indexes, the local LLM server."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .llm_server import LLMServer
from .orders_results import orders_results_dict


@pytest.fixture
def orders_results():
    from fault_nb.results import Results

    return Results.from_dict(orders_results_dict(), source="orders.results.json")


@pytest.fixture
def seed_results(fixtures_dir):
    from fault_nb.results import load_results

    return load_results(fixtures_dir / "results" / "seed_app.results.json")


def _writable_copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    for p in [dst, *dst.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dst


@pytest.fixture
def orders_src(tmp_path, shared):
    return _writable_copy(shared / "apps" / "orders", tmp_path / "orders")


@pytest.fixture
def webapp_src(tmp_path, shared):
    return _writable_copy(shared / "apps" / "webapp", tmp_path / "webapp")


def make_index(src, results, tmp_path):
    from fault_nb.code import index_source

    return index_source(src, endpoints=results, progress=False, cache_dir=tmp_path / "index-cache")


@pytest.fixture
def orders_index(orders_src, orders_results, tmp_path):
    index = make_index(orders_src, orders_results, tmp_path)
    yield index
    index.close()


@pytest.fixture
def webapp_index(webapp_src, seed_results, tmp_path):
    index = make_index(webapp_src, seed_results, tmp_path)
    yield index
    index.close()


@pytest.fixture
def llm_server():
    with LLMServer() as server:
        yield server


def git_apply_check(patch: str, directory: Path) -> subprocess.CompletedProcess:
    """``git apply --check`` of a patch (several diffs of one file are applied in order) in a git-less dir."""
    (directory / ".review.patch").write_text(patch, encoding="utf-8")
    try:
        return subprocess.run(["git", "apply", "--check", "-v", ".review.patch"], cwd=directory,
                              capture_output=True, text=True, timeout=60)
    finally:
        (directory / ".review.patch").unlink()
