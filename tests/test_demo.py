"""``python -m bot demo``: starts everything, stops everything on Ctrl-C or SIGTERM, keeps or resets data."""
import signal

import requests

from tests.demo_process import processes_of, start_demo, stop_demo

VILLAGER = "o_villager_demo_test"


def _personas(url: str) -> dict:
    return requests.get(url + "api/personas", timeout=10).json()


def test_starts_and_stops_cleanly_on_ctrl_c(tmp_path):
    """Every part answers while it runs; Ctrl-C ends the demo with nothing of it left running."""
    instance = tmp_path / "instance"
    demo, url = start_demo(instance)
    try:
        assert "微信模拟器" in requests.get(url, timeout=10).text
        running = processes_of(instance)
        for part in ("bot.fakewechat", "bot worker", "bot.simulator", "redis-server"):
            assert any(part in line for line in running), (part, running)
        personas = _personas(url)
        assert {v["name"] for v in personas["villages"]} >= {"上坪村", "东山村", "河口社区", "云岭村"}
        assert {"leader", "member", "secretary", "supervisor"} <= {c["role"] for c in personas["cadres"]}
        assert all(c["openid"].startswith("o_") for c in personas["cadres"])
    finally:
        code = stop_demo(demo, signal.SIGINT)
    assert code == 0
    assert processes_of(instance) == []


def test_second_run_reuses_data_and_reset_starts_afresh(tmp_path):
    """A villager bound in one run is still there in the next; ``--reset`` forgets them."""
    instance = tmp_path / "instance"
    demo, url = start_demo(instance)
    try:
        village = _personas(url)["villages"][0]
        answer = requests.post(url + "api/send", json={"openid": VILLAGER, "kind": "scan", "scene": village["scene"]},
                               timeout=20)
        assert answer.status_code == 200 and village["name"] in answer.json()["reply"]
    finally:
        assert stop_demo(demo, signal.SIGTERM) == 0
    assert processes_of(instance) == []

    demo, url = start_demo(instance)
    try:
        assert VILLAGER in {r["openid"] for r in _personas(url)["residents"]}
    finally:
        stop_demo(demo)

    demo, url = start_demo(instance, "--reset")
    try:
        personas = _personas(url)
        assert VILLAGER not in {r["openid"] for r in personas["residents"]}
        assert personas["cadres"], "the roster is loaded again after a reset"
    finally:
        stop_demo(demo)
    assert processes_of(instance) == []
