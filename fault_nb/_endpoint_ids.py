"""The id of an operation without an operationId, shared by scenario generation and results.

fault writes the literal ``none`` as ``call.meta.operation_id`` of such an operation
(spec E.2); fault_nb's default generator writes ``<method>_<path>`` instead. Results
read ``none`` as missing and give the endpoint that same derived id, so endpoints
stay distinct everywhere they are keyed by operation id.

>>> derived_operation_id("GET", "/users/{user_id}")
'get_users_user_id'
>>> derived_operation_id("post", "/")
'post_root'
"""
from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import urlsplit

#: what fault writes for an operation without an operationId (spec E.2)
MISSING_OPERATION_ID = "none"


def derived_operation_id(method: str, path: str) -> str:
    """``<method>_<path>`` with every run of non-alphanumerics as ``_`` (``get_users_user_id``)."""
    slug = re.sub(r"[^0-9A-Za-z]+", "_", str(path)).strip("_")
    return f"{str(method).lower()}_{slug}" if slug else f"{str(method).lower()}_root"


def url_api_path(url: str, upstreams: Iterable[str] = ()) -> str:
    """The OpenAPI path of a call URL: the URL minus the base it was built on.

    fault builds ``servers[0].url + path`` and lists that base in ``upstreams``, so a
    matching upstream is cut off first (a base path such as ``/api/v1`` goes with it);
    otherwise the URL's path. Query and fragment are dropped.

    >>> url_api_path("http://h:1/api/users/{id}?x=1", ["http://h:1/api"])
    '/users/{id}'
    >>> url_api_path("http://h:1/users/")
    '/users/'
    """
    url = str(url)
    for up in upstreams or ():
        up = str(up)
        if up and url.startswith(up):
            rest = url[len(up):]
            if up.endswith("/") or not rest or rest[0] in "/?#":
                return "/" + re.split(r"[?#]", rest, maxsplit=1)[0].lstrip("/")
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return re.split(r"[?#]", url, maxsplit=1)[0]
