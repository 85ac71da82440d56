"""A tiny app that serves N bytes, echoes requests and headers (bytes_app.py), started once per session."""
from __future__ import annotations

from pathlib import Path

import pytest

from fault_nb.apps import serve_app

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def bytes_app(tmp_path_factory):
    app = serve_app(HERE, app="bytes_app:app", workdir=tmp_path_factory.mktemp("bytes-app"))
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture(scope="session")
def echo_app(bytes_app):
    """The same app: it echoes paths and headers too."""
    return bytes_app
