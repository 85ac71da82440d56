"""Matching a route template against a request URL or another template."""
from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

_PARAM = re.compile(r"^(\{[^}]+\}|<[^>]+>|:\w+\??(\(.*\))?|\*\w*)$")


def url_path(url: str) -> str:
    """The decoded path of a URL or path template (``http://h/users/%7Bid%7D`` -> ``/users/{id}``)."""
    parts = urlsplit(url)
    path = parts.path if (parts.scheme or parts.netloc) else url.split("?", 1)[0]
    return unquote(path) or "/"


def segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s != ""]


def is_param(seg: str) -> bool:
    return bool(_PARAM.match(seg))


def match_score(route_path: str, url: str) -> int | None:
    """How well a route template matches a request path or template (None = no match).

    Literal segment matches count 2, parameter matches 1; an exact trailing
    slash match adds 1, so ``/users/`` prefers the route declared with the slash.

    >>> match_score("/users/{user_id}", "http://h/users/1"), match_score("/users/<int:id>", "/users/{id}")
    (4, 4)
    """
    path = url_path(url)
    rs, us = segments(route_path), segments(path)
    if len(rs) != len(us):
        return None
    score = 0
    for r, u in zip(rs, us):
        if is_param(r):
            score += 1
        elif r == u:
            score += 2
        else:
            return None
    if route_path.endswith("/") == path.endswith("/"):
        score += 1
    return score
