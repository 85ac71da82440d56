"""verify_fix on the real orders app: real uvicorn apps, the real fault proxy in front of inventory,
the offline reviewer's real suggestions applied to scratch copies, real comparisons."""
from __future__ import annotations

import dataclasses
import json
import os
import socket
import threading

import pytest
from _orders import CREATE, STOCK, orders_app_spec, orders_scenarios, tree_digest

from fault_nb.errors import AppStartError, Cancelled, FaultNbError, VerifyError
from fault_nb.review import Review, Suggestion
from fault_nb.verify import AppSpec, verify_fix

pytestmark = pytest.mark.slow


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped) is not running either
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _review(reviews, opid) -> Review:
    return next(r for r in reviews if r.operation_id == opid)


def test_each_mode_measures_each_suggestion_alone_and_together(orders_reviews, user_tree, inventory, tmp_path):
    reviews = orders_reviews[0]
    stock = _review(reviews, STOCK)
    assert [s.id for s in stock.verified][:2] == ["s1", "s2"]  # timeout, then 504/502 mapping (needs s1)
    before = tree_digest(user_tree)
    seen = []
    v = verify_fix(stock, orders_scenarios(inventory.url, endpoints=(STOCK,), duration="2s", rps=8),
                   user_tree, orders_app_spec(), only=["s1", "s2"], mode="each", seed=4,
                   dependencies={"INVENTORY_URL": inventory.url}, out_dir=tmp_path / "out",
                   progress=False, on_progress=seen.append)
    assert tree_digest(user_tree) == before  # the user's tree is only read
    assert [x.name for x in v.variants] == ["baseline", f"{STOCK}:s1", f"{STOCK}:s2", "together"]
    # each alone is exactly itself (diffs recomputed for the subset): s1 the timeout, s2 the 504/502 mapping
    s1_diff, s2_diff = v.variant(f"{STOCK}:s1").diff, v.variant(f"{STOCK}:s2").diff
    assert "timeout=" in s1_diff and "HTTPException(status_code=504" not in s1_diff
    assert "HTTPException(status_code=504" in s2_diff and "timeout=" not in s2_diff
    assert "timeout=" in v.variant("together").diff and "status_code=504" in v.variant("together").diff
    for var in v.variants:
        assert var.started and var.app_pid and not _alive(var.app_pid)  # stopped by PID
        assert var.app_log.is_file()
    by_key = {x.key: x for x in v.verdicts}
    # the timeout alone turns a slow inventory into unhandled ReadTimeouts: 500 to everything, a
    # regression whatever the latency says, with the app's own log as the reason
    alone = by_key[f"{STOCK}:s1"]
    assert alone.variant == f"{STOCK}:s1" and alone.verdict == "regressed"
    assert "500 to every request" in alone.note and "ReadTimeout" in alone.log_excerpt
    # the mapping alone changes no status (nothing times out without s1)
    s2_rows = v.rows(STOCK, variant=f"{STOCK}:s2")
    assert next(r for r in s2_rows if r["metric"] == "http_5xx_rate")["verdict"] == "no-change"
    assert not by_key[f"{STOCK}:s2"].log_excerpt
    # together: a 2 s inventory against a 0.5 s timeout is faster, and answers 504 instead of 200
    # (the honest trade-off)
    rows = v.rows(STOCK)
    p50 = next(r for r in rows if r["metric"] == "p50_ms")
    assert p50["verdict"] == "improved" and p50["after"] < p50["before"] - 1000
    assert next(r for r in rows if r["metric"] == "http_5xx_rate")["verdict"] == "regressed"
    assert v.variant("together").results.runs.status.eq(504).all()
    # files, progress and the views
    assert (tmp_path / "out" / "verification.json").is_file() and (tmp_path / "out" / "together" / "results.json").is_file()
    saved = json.loads((tmp_path / "out" / "verification.json").read_text())
    assert {x["key"] for x in saved["verdicts"]} == set(by_key)
    assert seen and seen[-1].done == seen[-1].total and seen[-1].message == "done"
    md = v.to_markdown()
    assert "REGRESSED" in md and "p50_ms" in md and "ReadTimeout" in md
    assert "<script" not in v._repr_html_()
    # the verdicts travel with the review into its export and its diff viewer
    (attached,) = v.attach([stock])
    assert "Measured effect" in attached.to_markdown() and attached.measured["verdicts"]
    assert Review.from_dict(json.loads(json.dumps(attached.to_dict(), default=str))).measured == attached.measured


def test_control_runs_the_unchanged_app_again_and_says_how_far_it_moved(orders_reviews, user_tree, inventory,
                                                                        tmp_path):
    from fault_nb.verify.verification import CONTROL

    stock = _review(orders_reviews[0], STOCK)
    seen = []
    v = verify_fix(stock, orders_scenarios(inventory.url, endpoints=(STOCK,), duration="1s", rps=10,
                                           latency_ms=50.0),
                   user_tree, orders_app_spec(), only=["s1"], seed=5, control=True,
                   dependencies={"INVENTORY_URL": inventory.url}, out_dir=tmp_path / "out",
                   progress=False, on_progress=seen.append)
    ctrl = v.control
    assert ctrl is not None and ctrl.name == CONTROL and not ctrl.suggestions and not ctrl.diff
    assert ctrl.started and ctrl.app_pid and not _alive(ctrl.app_pid)  # its own app, stopped by PID
    assert ctrl.app_pid not in {x.app_pid for x in v.variants} and ctrl.app_log.is_file()
    base = v.variant("baseline")
    assert len(ctrl.results.runs) > 0 and len(base.results.runs) > 0
    assert ctrl.results.extras["seed"] == base.results.extras["seed"] == 5
    assert ctrl.comparison is not None and ctrl.comparison.paired  # same seed: paired, like a variant
    # not a suggestion's variant: not in variants, no verdict, not the patched side
    assert [x.name for x in v.variants] == ["baseline", f"{STOCK}:s1"]
    assert [x.variant for x in v.verdicts] == [f"{STOCK}:s1"] and v.patched is v.variants[-1].results
    # the note is one of the two forms, and the drift is what it reports
    forms = [n for n in v.notes if n.startswith(("control: the unchanged app's second run made no claim",
                                                 "the unchanged app's second run differed: "))]
    assert len(forms) == 1 and v.drift_ms is not None and v.drift_ms >= 0
    if forms[0].startswith("control:"):
        assert forms[0].endswith(f"(largest interval edge from 0: {v.drift_ms:.1f} ms)")
        assert not len(ctrl.comparison.claims)
    else:
        assert STOCK in forms[0] and len(ctrl.comparison.claims)
    saved = json.loads((tmp_path / "out" / "verification.json").read_text())
    assert saved["control"]["name"] == CONTROL and saved["control"]["rows"]
    assert CONTROL not in [x["name"] for x in saved["variants"]]
    md = (tmp_path / "out" / "verification.md").read_text()
    assert "## Drift check (A/A)" in md and STOCK in md.split("## Drift check (A/A)", 1)[1]
    assert "Drift check (A/A)" in v._repr_html_()
    # the bar: baseline, variant and control each start and run once, plus copying and comparing
    assert seen[-1].done == seen[-1].total == 1 + 3 * 2 + 1 and seen[-1].message == "done"
    assert any(e.message.startswith(f"{CONTROL}: run 1/1") for e in seen)


def test_cancel_during_the_control_run_stops_its_app(orders_reviews, user_tree, inventory, tmp_path):
    from fault_nb.verify.verification import CONTROL

    cancel = threading.Event()
    ports: list[int] = []

    def on_progress(event):
        if "app ready on" in event.message:
            ports.append(int(event.message.rsplit(":", 1)[1]))
        if event.message.startswith(f"{CONTROL}: run 1/"):
            threading.Timer(0.3, cancel.set).start()

    with pytest.raises(Cancelled):
        verify_fix(_review(orders_reviews[0], STOCK),
                   orders_scenarios(inventory.url, duration="1s", rps=4, latency_ms=50.0),  # checked between items
                   user_tree, orders_app_spec(), only=["s1"], seed=1, control=True,
                   dependencies={"INVENTORY_URL": inventory.url}, out_dir=tmp_path / "out",
                   progress=False, on_progress=on_progress, cancel=cancel)
    assert len(ports) == 3 and not any(_listening(p) for p in ports)  # baseline, s1, then the control


def _broken_review(tree) -> Review:
    """Hand-made suggestions: s1 makes the stock handler raise NameError, s2 breaks the import."""
    text = (tree / "app.py").read_text()
    line = text.splitlines().index('    response = requests.get(f"{INVENTORY_URL}/items/{sku}")') + 1
    s1 = ("--- a/app.py\n+++ b/app.py\n"
          f"@@ -{line},1 +{line},1 @@\n"
          '-    response = requests.get(f"{INVENTORY_URL}/items/{sku}")\n'
          '+    response = requests.get(f"{INVENTORY_URL}/items/{sku}", timeout=undefined_name)\n')
    at = text.splitlines().index("import os") + 1
    s2 = f"--- a/app.py\n+++ b/app.py\n@@ -{at},1 +{at},2 @@\n import os\n+import module_that_does_not_exist\n"
    return Review(STOCK, "GET", "/stock/{sku}", suggestions=[
        Suggestion("s1", "Use a timeout that is not defined", category="timeout", file="app.py", diff=s1),
        Suggestion("s2", "Import a module that is not installed", category="other", file="app.py", diff=s2)])


def test_a_broken_patch_is_a_regression_with_the_app_log(user_tree, inventory, tmp_path):
    review = _broken_review(user_tree)
    before = tree_digest(user_tree)
    v = verify_fix(review, orders_scenarios(inventory.url, endpoints=(STOCK,), duration="1s", rps=10,
                                            latency_ms=50.0),
                   user_tree, orders_app_spec(ready_timeout=20), mode="each", seed=2,
                   dependencies={"INVENTORY_URL": inventory.url}, out_dir=tmp_path / "out", progress=False)
    assert tree_digest(user_tree) == before
    by_key = {x.key: x for x in v.verdicts}
    answers_500 = by_key[f"{STOCK}:s1"]  # starts, answers 500 to everything
    assert answers_500.verdict == "regressed" and "500 to every request" in answers_500.note
    assert "NameError" in answers_500.log_excerpt and "undefined_name" in answers_500.log_excerpt
    no_start = by_key[f"{STOCK}:s2"]  # never starts
    assert no_start.verdict == "regressed" and "did not start" in no_start.note
    assert "module_that_does_not_exist" in no_start.log_excerpt
    assert "Traceback" not in no_start.note  # the app's traceback is in its log excerpt, not in our message
    assert not v.variant("together").started
    md = v.to_markdown()
    assert "module_that_does_not_exist" in md and "REGRESSED" in md


def test_cancel_stops_every_process(orders_reviews, user_tree, inventory, tmp_path):
    reviews = orders_reviews[0]
    cancel = threading.Event()
    ports: list[int] = []

    def on_progress(event):
        if "app ready on" in event.message:
            ports.append(int(event.message.rsplit(":", 1)[1]))
        if event.message.startswith("baseline: run 1/"):
            threading.Timer(0.5, cancel.set).start()

    before = tree_digest(user_tree)
    with pytest.raises(Cancelled):
        verify_fix(reviews, orders_scenarios(inventory.url, duration="2s", rps=4), user_tree, orders_app_spec(),
                   seed=1, dependencies={"INVENTORY_URL": inventory.url}, out_dir=tmp_path / "out",
                   progress=False, on_progress=on_progress, cancel=cancel)
    assert ports and not any(_listening(p) for p in ports)  # the baseline app is gone
    assert tree_digest(user_tree) == before


def test_a_diff_that_no_longer_applies_names_file_and_hunk(orders_reviews, user_tree, inventory):
    reviews = orders_reviews[0]
    app_py = user_tree / "app.py"
    app_py.write_text(app_py.read_text().replace('requests.get(f"{INVENTORY_URL}/items/{sku}")',
                                                 'requests.get(INVENTORY_URL + "/items/" + sku)', 1))
    before = tree_digest(user_tree)
    with pytest.raises(VerifyError) as err:
        verify_fix(reviews, orders_scenarios(inventory.url), user_tree, orders_app_spec(), progress=False,
                   dependencies={"INVENTORY_URL": inventory.url})
    msg = str(err.value)
    assert f"{STOCK}:s1" in msg and "app.py" in msg and "hunk #1" in msg and "no longer applies" in msg
    assert tree_digest(user_tree) == before


def test_bad_input_is_a_clear_error_before_anything_starts(orders_reviews, user_tree, inventory, tmp_path):
    reviews = orders_reviews[0]
    scenarios = orders_scenarios(inventory.url)
    deps = {"INVENTORY_URL": inventory.url}
    before = tree_digest(user_tree)
    cases = [
        (dict(app=AppSpec("no-such-server-xyz --port {port}")), AppStartError, "app command not found"),
        (dict(only=[f"{STOCK}:s9"]), VerifyError, "not verified suggestion id"),
        (dict(only=["s1"]), VerifyError, "name it <operation_id>:<id>"),
        (dict(mode="sideways"), VerifyError, "mode 'sideways'"),
        (dict(runs=0), VerifyError, "runs=0"),
        (dict(confidence=1.5), VerifyError, "confidence=1.5"),
        (dict(dependencies={"INVENTORY_URL": "https://example.org"}), VerifyError, "expected an http://host:port"),
        (dict(reviews=tmp_path / "missing.json"), FaultNbError, "missing.json"),
    ]
    for change, exc, text in cases:
        kwargs = dict(reviews=reviews, scenarios=scenarios, source_dir=user_tree, app=orders_app_spec(),
                      dependencies=deps, progress=False, out_dir=tmp_path / "out")
        kwargs.update(change)
        with pytest.raises(exc, match=text.replace("(", r"\(")):
            verify_fix(kwargs.pop("reviews"), kwargs.pop("scenarios"), kwargs.pop("source_dir"), kwargs.pop("app"),
                       **kwargs)
    # reviews of another app: their endpoints are not in the scenarios
    other = dataclasses.replace(reviews[0], operation_id="read_user_users__user_id__get")
    with pytest.raises(VerifyError, match="same app"):
        verify_fix([other], scenarios, user_tree, orders_app_spec(), dependencies=deps, progress=False)
    # scenarios that call two apps
    two = orders_scenarios(inventory.url)
    two[0]["items"][1]["call"]["url"] = "http://127.0.0.1:9999/orders"
    with pytest.raises(VerifyError, match="2 different apps"):
        verify_fix(reviews, two, user_tree, orders_app_spec(), dependencies=deps, progress=False)
    assert tree_digest(user_tree) == before
    assert not (user_tree / ".fault-nb-backup").exists()


def test_a_baseline_without_any_answer_is_refused(orders_reviews, user_tree, inventory, tmp_path):
    """An all-error side: every call times out (100 ms) before orders can answer (inventory 1.5 s)."""
    reviews = orders_reviews[0]
    scenarios = orders_scenarios(inventory.url, endpoints=(STOCK,), duration="1s", rps=4, latency_ms=1500.0,
                                 call_timeout_ms=100)
    with pytest.raises(VerifyError, match="none of the .* requests got an HTTP answer"):
        verify_fix([_review(reviews, STOCK)], scenarios, user_tree, orders_app_spec(), progress=False,
                   dependencies={"INVENTORY_URL": inventory.url}, out_dir=tmp_path / "out")


def test_ctrl_c_stops_every_process(orders_reviews, user_tree, inventory, tmp_path):
    """SIGINT in the middle of a run (what Ctrl-C sends): the app and the proxies go, then the interrupt."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from fault_nb.review import save_reviews

    reviews = save_reviews(orders_reviews[0], tmp_path / "reviews.json")
    script = tmp_path / "run.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from _orders import orders_app_spec, orders_scenarios\n"
        "from fault_nb.verify import verify_fix\n"
        f"inv = {inventory.url!r}\n"
        f"verify_fix({str(reviews)!r}, orders_scenarios(inv, duration='4s', rps=4), {str(user_tree)!r},\n"
        "           orders_app_spec(), dependencies={'INVENTORY_URL': inv}, progress=False,\n"
        f"           out_dir={str(tmp_path / 'out')!r},\n"
        "           on_progress=lambda e: print(e.message, flush=True))\n")
    before = tree_digest(user_tree)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ports = []
    try:
        deadline = time.monotonic() + 120
        for line in proc.stdout:
            if "app ready on" in line:
                ports.append(int(line.strip().rsplit(":", 1)[1]))
            if line.startswith("baseline: run 1/"):
                time.sleep(1.0)
                proc.send_signal(signal.SIGINT)
                break
            assert time.monotonic() < deadline
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert "KeyboardInterrupt" in proc.stderr.read()
    assert ports and not any(_listening(p) for p in ports)
    assert tree_digest(user_tree) == before
