"""On-disk LLM response cache and the call ledger.

The cache key is a hash of (model, base URL, messages, params), so a re-run
costs nothing and a notebook shared with its cache folder replays without a
key. The ledger (JSONL) records every call: model, estimated tokens, latency,
cache hit, and what was masked (kind + location, never the value).
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

from .._io import atomic_write
from .._paths import cache_dir

_LOCK = threading.Lock()


def cache_key(model: str, base_url: str, messages: list[dict], params: dict) -> str:
    """Stable hash of one request.

    >>> len(cache_key("m", "http://x", [{"role": "user", "content": "hi"}], {}))
    64
    """
    blob = json.dumps({"model": model, "base_url": base_url, "messages": messages, "params": params},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """A folder of ``<key>.json`` answers plus ``ledger.jsonl``.

    >>> cache = ResponseCache()  # under cache_dir("llm")  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike | None = None, *, enabled: bool = True):
        self.path = Path(path) if path is not None else cache_dir("llm")
        self.path.mkdir(parents=True, exist_ok=True)
        self.enabled = enabled

    @property
    def ledger_path(self) -> Path:
        return self.path / "ledger.jsonl"

    def _file(self, key: str) -> Path:
        return self.path / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        if not self.enabled:
            return None
        f = self._file(key)
        try:
            return json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # missing or half-written by a crashed run: a miss
            return None

    def put(self, key: str, value: dict) -> None:
        if self.enabled:
            atomic_write(self._file(key), json.dumps(value, ensure_ascii=False))

    def record(self, entry: dict) -> None:
        """Append one call to the ledger (JSONL; appends under a lock, one line each)."""
        entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **entry}
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with _LOCK, open(self.ledger_path, "a", encoding="utf-8") as fh:
            fh.write(line)

    def ledger(self) -> list[dict]:
        """Every ledger entry so far."""
        try:
            lines = self.ledger_path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        return [json.loads(ln) for ln in lines if ln.strip()]
