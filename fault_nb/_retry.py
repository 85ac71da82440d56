"""The one retry policy of fault_nb's HTTP clients (chat model and embeddings).

At most ``max_retries`` more attempts (default one), only for transient
errors: a refused or reset connection, 429 and 5xx (408/409/425 too), after a
jittered exponential backoff or the server's ``Retry-After``. A timeout is
*not* transient: repeating a long generation on a busy one-slot server only
piles work onto it.
"""
from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

T = TypeVar("T")

TRANSIENT_STATUS = frozenset({408, 409, 425, 429})


def is_transient_status(status: int) -> bool:
    return status >= 500 or status in TRANSIENT_STATUS


class Transient(Exception):
    """Raised by one attempt to ask for another; ``retry_after`` is the server's wish in seconds."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def retry_after(headers: Any) -> float | None:
    """Seconds from ``Retry-After-Ms`` / ``Retry-After`` (seconds or an HTTP date), else None."""
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return float(value) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait; ``run`` applies it to one call.

    >>> calls = []
    >>> def flaky():
    ...     calls.append(1)
    ...     if len(calls) == 1:
    ...         raise Transient("503")
    ...     return "ok"
    >>> RetryPolicy(backoff=0).run(flaky, sleep=lambda s: None)
    ('ok', 2)
    """

    max_retries: int = 1
    backoff: float = 0.5
    max_backoff: float = 20.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, server_wish: float | None = None) -> float:
        d = min(self.max_backoff, self.backoff * (2 ** attempt)) * random.uniform(0.5, 1.0)
        if server_wish is not None:
            d = max(d, min(server_wish, self.max_retry_after))
        return d

    def run(self, call: Callable[[], T], *, sleep: Callable[[float], None] = time.sleep,
            deadline: float | None = None, on_retry: Callable[[Transient], None] | None = None) -> tuple[T, int]:
        """``(result, attempts)``; the last :class:`Transient` propagates when attempts run out
        (or when waiting would pass ``deadline``, a ``time.monotonic()`` value)."""
        for attempt in range(self.max_retries + 1):
            try:
                return call(), attempt + 1
            except Transient as exc:
                exc.attempts = attempt + 1  # type: ignore[attr-defined]
                if attempt >= self.max_retries:
                    raise
                wait = self.delay(attempt, exc.retry_after)
                if deadline is not None and time.monotonic() + wait >= deadline:
                    raise
                if on_retry:
                    on_retry(exc)
                sleep(wait)
        raise AssertionError("unreachable")
