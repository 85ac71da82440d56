"""Seeded fault draws: the runner's request names reach the proxy and never the app; streams are per site."""
from __future__ import annotations

from fault_nb.scenarios.faults import Draws, build_faults
from fault_nb.scenarios.proxy import DRAW_HEADER
from fault_nb.scenarios.runner import run_scenarios


def test_draw_streams_depend_on_seed_name_and_site_only():
    one = [Draws(7, "0:1:5").stream("server", "ingress").random() for _ in range(2)]
    assert one[0] == one[1]
    assert Draws(7, "0:1:5").stream("server", "egress").random() != one[0]
    assert Draws(7, "0:1:6").stream("server", "ingress").random() != one[0]
    assert Draws(8, "0:1:5").stream("server", "ingress").random() != one[0]
    # no seed: fresh entropy every time
    assert Draws(None, "0:1:5").stream("x").random() != Draws(None, "0:1:5").stream("x").random()
    assert [f.slot for f in build_faults([{"type": "dns", "rate": 1.0}, {"type": "jitter", "amplitude": 5.0,
                                                                         "frequency": 1.0}])] == [0, 1]


def test_the_app_never_sees_the_draw_header(echo_app):
    # /header/<name>/<value> answers 200 only when the request carried that header with that value
    def item(url: str, headers: dict | None = None) -> dict:
        call = {"method": "GET", "url": url}
        if headers:
            call["headers"] = headers
        return {"call": call, "context": {"upstreams": [echo_app.url],
                                          "faults": [{"type": "latency", "mean": 1.0, "stddev": 0.5}]}}

    scenario = [{"title": "headers", "items": [
        item(f"{echo_app.url}/header/{DRAW_HEADER}/0:0:0"),     # the name the runner gives this request
        item(f"{echo_app.url}/header/x-other/1", {"x-other": "1"}),  # control: other headers pass
    ]}]
    results = run_scenarios(scenario, progress=False, seed=3)
    assert list(results.runs.status) == [400, 200]
    assert results.extras["seed"] == 3
