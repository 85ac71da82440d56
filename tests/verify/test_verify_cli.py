"""`fault-nb agent verify` end to end on the orders app, and `code-review --save-reviews`."""
from __future__ import annotations

import json
import sys

import pytest
from _orders import CREATE, STOCK, orders_scenarios, tree_digest

from fault_nb.cli import main
from fault_nb.review import load_reviews, save_reviews
from fault_nb.scenarios import write_scenarios

APP_CMD = f"{sys.executable} -m uvicorn app:app --host 127.0.0.1 --port {{port}}"


def _args(scenario, tree, inventory, out, *more):
    return ["agent", "verify", "--scenario", str(scenario), "--source-dir", str(tree), "--app-cmd", APP_CMD,
            "--app-env", "ORDERS_DB=sqlite:///./orders.db", "--app-env", "NO_PROXY=127.0.0.1,localhost",
            "--ready-path", "/openapi.json", "--dependency", f"INVENTORY_URL={inventory.url}",
            "--out", str(out), *more]


@pytest.mark.slow
def test_verify_shows_improved_p99_where_the_outbound_call_gets_a_timeout(orders_reviews, user_tree, inventory,
                                                                         tmp_path, capsys):
    """The issue's done-when: under a slow inventory, the endpoints whose inventory call gets a
    timeout show `improved` latency (and, honestly, more 5xx: the timeout now fails fast).

    p99: compare claims it only from 300 requests a side, so stock runs 3 x 120 requests. New
    orders cost ~0.1 s of CPU each (an httpx client per request) on this shared 2-core box, so
    they run at 4 rps (3 x 24 requests): enough for a p50 claim; their tail on a loaded box is the
    box's CPU queue more than the dependency (benchmarks/bench_verify.py shows their p99).
    """
    reviews = orders_reviews[0]
    saved = save_reviews(reviews, tmp_path / "reviews.json")
    scenario = write_scenarios(orders_scenarios(inventory.url, duration="6s", rps=10, create_load=(1, 4)),
                               tmp_path / "slow.yaml")
    # the timeouts and the error handling, as the issue asks, and stock's retry: built on the timeout it
    # shares its deadline (a read timeout is not retried), so it does not spend the time the timeout saves
    only = [f"{r.operation_id}:{s.id}" for r in reviews for s in r.verified
            if s.category in ("timeout", "retry") or s.rule == "dependency-error"]
    assert {o.split(":")[0] for o in only} == {STOCK, CREATE}
    assert any(s.category == "retry" for r in reviews for s in r.verified if f"{r.operation_id}:{s.id}" in only)
    before = tree_digest(user_tree)
    code = main(_args(scenario, user_tree, inventory, tmp_path / "out", "--reviews", str(saved),
                      "--only", ",".join(only), "--runs", "3", "--seed", "1", "--format", "json"))
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    together = next(v for v in doc["variants"] if v["name"] == "together")
    rows = {(r["operation_id"], r["metric"]): r for r in together["rows"]}
    p99 = rows[(STOCK, "p99_ms")]
    assert p99["verdict"] == "improved", p99
    assert p99["n_before"] == p99["n_after"] == 360 and p99["ci_high"] < 0 and p99["method"].startswith("paired")
    assert rows[(CREATE, "p50_ms")]["verdict"] == "improved", rows[(CREATE, "p50_ms")]
    for opid in (STOCK, CREATE):
        assert rows[(opid, "http_5xx_rate")]["verdict"] == "regressed"
    timeouts = [v for v in doc["verdicts"] if "timeout" in v["title"].lower()]
    assert timeouts and all(v["verdict"] == "mixed" for v in timeouts)
    assert tree_digest(user_tree) == before
    assert (tmp_path / "out" / "verification.md").is_file()
    assert "p99_ms" in (tmp_path / "out" / "verification.md").read_text()


@pytest.mark.slow
def test_verify_all_reviews_on_the_baseline_run(user_tree, inventory, tmp_path, capsys):
    scenario = write_scenarios(orders_scenarios(inventory.url, endpoints=(STOCK,), duration="1s", rps=10,
                                                latency_ms=1500.0), tmp_path / "slow.yaml")
    code = main(_args(scenario, user_tree, inventory, tmp_path / "out", "--all", "--offline", "--seed", "3",
                      "--control"))
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("# Measured effect of the suggested changes")
    assert f"`{STOCK}:s1`" in out and "p50_ms" in out
    # --control: the unchanged app ran again after the patched one, and the drift check says what it found
    assert "## Drift check (A/A)" in out and "The unchanged app ran once more after the patched ones" in out
    saved = json.loads((tmp_path / "out" / "verification.json").read_text())
    assert saved["control"]["name"] == "baseline (control)" and saved["control"]["started"]
    assert (tmp_path / "out" / "baseline__control_" / "results.json").is_file()


def test_verify_help_says_what_control_costs(capsys):
    with pytest.raises(SystemExit):
        main(["agent", "verify", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--control" in text and "one more baseline block" in text


def test_verify_bad_input_is_one_line(user_tree, inventory, tmp_path, capsys):
    scenario = write_scenarios(orders_scenarios(inventory.url), tmp_path / "s.yaml")
    assert main(_args(scenario, user_tree, inventory, tmp_path / "out", "--reviews", str(tmp_path / "nope.json"))) == 2
    err = capsys.readouterr().err
    assert err.startswith("fault-nb: error: ") and "nope.json" in err and "Traceback" not in err
    (tmp_path / "r.json").write_text('{"reviews": []}')
    args = _args(scenario, user_tree, inventory, tmp_path / "out", "--reviews", str(tmp_path / "r.json"))
    args[args.index("--app-cmd") + 1] = "no-such-server-xyz --port {port}"
    assert main(args) == 2
    assert "app command not found: 'no-such-server-xyz'" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # --reviews or --all is required
        main(_args(scenario, user_tree, inventory, tmp_path / "out"))


def test_code_review_saves_reviews_to_verify_later(tmp_path, shared, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["agent", "code-review", "--results", str(shared / "fixtures" / "results" / "seed_app.results.json"),
                 "--source-dir", str(shared / "apps" / "webapp"), "--endpoint", "read_user_users__user_id__get",
                 "--offline", "--report", str(tmp_path / "r.md"), "--save-reviews", str(tmp_path / "reviews.json")])
    assert code == 0
    (review,) = load_reviews(tmp_path / "reviews.json")
    assert review.operation_id == "read_user_users__user_id__get" and review.verified
    assert "reviews saved to" in capsys.readouterr().err
