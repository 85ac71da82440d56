"""An upstream that never accepts a connection gives the proxy's client an answer, not a hang."""
import asyncio
import socket

import pytest

from fault_nb.scenarios import proxy


@pytest.fixture
def full_backlog():
    """A listener whose accept queue is full: the kernel drops further SYNs, so connect() waits."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    fillers = []
    try:
        for _ in range(8):  # fill the queue (its size is backlog + 1 on Linux)
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(srv.getsockname())
            fillers.append(c)
        yield srv.getsockname()[1]
    finally:
        for c in fillers:
            c.close()
        srv.close()


def test_upstream_connect_is_bounded(full_backlog, monkeypatch):
    monkeypatch.setattr(proxy, "CONNECT_TIMEOUT_S", 0.5)
    with pytest.raises(OSError, match=r"no connection after 0.5 s"):
        asyncio.run(asyncio.wait_for(proxy._open("127.0.0.1", full_backlog), 20))
