"""AppSpec / start_app: any command, {port} or PORT, readiness, every way of not starting, stop by PID."""
from __future__ import annotations

import os
import socket
import sys
import time

import pytest

from fault_nb.errors import AppStartError
from fault_nb.verify import AppSpec, start_app
from fault_nb.verify.scratch import copy_tree, retarget

PY = sys.executable
SERVER = ("import os, http.server, socketserver\n"
          "port = int(os.environ['PORT'])\n"
          "class H(http.server.BaseHTTPRequestHandler):\n"
          "    def do_GET(self):\n"
          "        self.send_response(200); self.end_headers(); self.wfile.write(b'ok')\n"
          "    def log_message(self, *a): pass\n"
          "socketserver.TCPServer(('127.0.0.1', port), H).serve_forever()\n")


def _dead(pid: int, wait: float = 5.0) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_port_from_the_environment_and_stop_by_pid(tmp_path):
    (tmp_path / "server.py").write_text(SERVER)
    app = start_app(AppSpec([PY, "server.py"], ready_path="/health"), tmp_path, log_path=tmp_path / "app.log")
    try:
        import urllib.request

        with urllib.request.urlopen(app.url + "/x", timeout=5) as r:
            assert r.read() == b"ok"
    finally:
        app.stop()
    assert _dead(app.pid)


def test_port_placeholder_in_the_command(tmp_path):
    (tmp_path / "server.py").write_text(SERVER.replace("int(os.environ['PORT'])", "int(__import__('sys').argv[1])"))
    spec = AppSpec(f"{PY} server.py {{port}}")
    assert spec.argv(4321)[-1] == "4321"
    with start_app(spec, tmp_path, log_path=tmp_path / "app.log") as app:
        assert app.running
    assert _dead(app.pid)


def test_command_not_found(tmp_path):
    with pytest.raises(AppStartError, match="app command not found: 'no-such-server-xyz'"):
        start_app(AppSpec("no-such-server-xyz --port {port}"), tmp_path, log_path=tmp_path / "a.log")
    with pytest.raises(AppStartError, match="not an executable file"):
        start_app(AppSpec("./bin/run.sh"), tmp_path, log_path=tmp_path / "a.log")


def test_port_in_use(tmp_path):
    (tmp_path / "server.py").write_text(SERVER)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(AppStartError, match=f"port {port} on 127.0.0.1 is already in use"):
            start_app(AppSpec([PY, "server.py"], port=port), tmp_path, log_path=tmp_path / "a.log")
        # an app that ignores the port it is given and binds a busy one: said so, with its log
        fixed = SERVER.replace("int(os.environ['PORT'])", str(port))
        (tmp_path / "fixed.py").write_text(fixed)
        with pytest.raises(AppStartError, match="already in use") as err:
            start_app(AppSpec([PY, "fixed.py"], ready_timeout=10), tmp_path, log_path=tmp_path / "b.log")
        assert "Address already in use" in err.value.log_tail


def test_never_ready_times_out_with_the_log_tail_and_is_killed(tmp_path):
    code = ("import os, time\nopen('pid', 'w').write(str(os.getpid()))\n"
            "print('loading the model, please wait', flush=True)\ntime.sleep(120)\n")
    (tmp_path / "slow.py").write_text(code)
    t = time.monotonic()
    with pytest.raises(AppStartError, match=r"was not ready: GET http://127\.0\.0\.1:\d+/ gave no answer") as err:
        start_app(AppSpec([PY, "slow.py"], ready_timeout=2), tmp_path, log_path=tmp_path / "a.log")
    assert time.monotonic() - t < 30
    assert "loading the model" in err.value.log_tail and "loading the model" in str(err.value)
    assert _dead(int((tmp_path / "pid").read_text()))


def test_exit_during_start_up(tmp_path):
    (tmp_path / "bad.py").write_text("import sys\nprint('missing DATABASE_URL', flush=True)\nsys.exit(3)\n")
    with pytest.raises(AppStartError, match="exited during start-up \\(exit code 3\\)") as err:
        start_app(AppSpec([PY, "bad.py"]), tmp_path, log_path=tmp_path / "a.log")
    assert "missing DATABASE_URL" in err.value.log_tail


def test_cwd_must_stay_in_the_tree(tmp_path):
    with pytest.raises(AppStartError, match="outside"):
        start_app(AppSpec([PY, "-V"], cwd="../.."), tmp_path, log_path=tmp_path / "a.log")


def test_copy_tree_skips_caches_and_links_dependencies(tmp_path):
    src = tmp_path / "src"
    (src / "pkg" / "__pycache__").mkdir(parents=True)
    (src / "pkg" / "__pycache__" / "x.pyc").write_bytes(b"0")
    (src / "pkg" / "mod.py").write_text("x = 1\n")
    (src / ".git").mkdir()
    (src / "node_modules" / "lib").mkdir(parents=True)
    (src / "node_modules" / "lib" / "index.js").write_text("module.exports = 1\n")
    (src / "out").mkdir()
    (src / "out" / "big.json").write_text("{}")
    dst = copy_tree(src, tmp_path / "copy", exclude=[src / "out"])
    assert (dst / "pkg" / "mod.py").read_text() == "x = 1\n"
    assert not (dst / "pkg" / "__pycache__").exists() and not (dst / ".git").exists() and not (dst / "out").exists()
    assert (dst / "node_modules").is_symlink() and (dst / "node_modules" / "lib" / "index.js").is_file()


def test_retarget_moves_calls_and_names_dependencies():
    sc = [{"title": "t", "items": [
        {"call": {"method": "GET", "url": "http://localhost:9090/stock/sku-1?x=1"},
         "context": {"upstreams": ["http://localhost:9090"], "faults": [{"type": "latency", "mean": 5.0}]}},
        {"call": {"method": "POST", "url": "http://localhost:9090/orders"},
         "context": {"upstreams": ["http://127.0.0.1:9191"], "faults": []}}]}]
    out = retarget(sc, "http://127.0.0.1:5555", {"INVENTORY_URL": "127.0.0.1:9191"})
    assert out[0]["items"][0]["call"]["url"] == "http://127.0.0.1:5555/stock/sku-1?x=1"
    assert out[0]["items"][0]["context"]["upstreams"] == ["127.0.0.1:5555"]
    assert out[0]["items"][1]["context"]["upstreams"] == ["127.0.0.1:9191"]
    assert sc[0]["items"][0]["call"]["url"].startswith("http://localhost:9090")  # the input is not changed


def test_two_reviews_of_one_file_apply_in_turn_with_fuzz():
    """A second review's hunk whose context another review changed still lands; its own lines never move."""
    from fault_nb.review.edits import PatchError, parse_patch
    from fault_nb.verify.loop import _apply_fuzzy

    after_first = "a\nb\nx\nc\nd\ne\n"  # the first review inserted x
    (_, hunks, _), = parse_patch("--- a/f\n+++ b/f\n@@ -1,4 +1,5 @@\n a\n b\n c\n+y\n d\n")
    assert _apply_fuzzy(after_first, hunks) == "a\nb\nx\nc\ny\nd\ne\n"
    (_, clash, _), = parse_patch("--- a/f\n+++ b/f\n@@ -3,1 +3,1 @@\n-c\n+z\n")
    with pytest.raises(PatchError):
        _apply_fuzzy("a\nb\nC\nd\n", clash)  # the line it changes is gone: no fuzz hides that
