"""The Open311 API as a county system sees it: plain HTTP against a running server, webhooks received.

A hotline case is filed by POST, followed through cadres' chat commands on /wechat, and every
event arrives at a local receiver, signed; refused requests change nothing.
"""
import json
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from models import ApiClient, ApiRequest, Case, CaseEvent, Notification, Resident, utcnow
from tests.open311 import last_line, people, receiver, run_cli, served  # noqa: F401
from tests.pushes import rows, send_due, sends

pytestmark = pytest.mark.pushes  # the fake WeChat API and a Redis of the test's own

COUNTY = "揭西县"
ROAD = "新高园村村口的路灯坏了三天，晚上路很黑，老人走路不安全"
PHONE = "13912345678"


def add_key(settings: dict, name: str, county: str = COUNTY, write: bool = True) -> str:
    """A new API key from the CLI."""
    return last_line(run_cli(settings, "api", "key", "add", name, "--scope", f"county:{county}",
                             *(["--write"] if write else [])))


def subscribe(settings: dict, key: str, url: str) -> str:
    """A webhook subscriber from the CLI; its secret."""
    return last_line(run_cli(settings, "api", "webhook", "add", key, url))


def file_road_case(served, key: str, **extra) -> requests.Response:
    return requests.post(f"{served.api}/requests.json", data={
        "api_key": key, "service_code": "交通运输", "description": ROAD, "address_string": "新高园",
        "last_name": "张", "first_name": "三", "phone": PHONE, **extra}, timeout=10)


def deliver_all(runtime, rounds: int = 3) -> None:
    """Run the relay and the notifier in this process until nothing is due."""
    for i in range(rounds):
        send_due(runtime, utcnow() + timedelta(seconds=5 * i))


def by_case(events: list[dict]) -> dict[str, list[dict]]:
    cases: dict[str, list[dict]] = {}
    for item in events:
        cases.setdefault(item["service_request"]["service_request_id"], []).append(item)
    return cases


def test_a_hotline_case_is_filed_followed_by_chat_and_every_event_arrives_signed(
        settings_overrides, runtime, people, served, receiver, fake):
    key = add_key(settings_overrides, "12345热线")
    secret = subscribe(settings_overrides, key, receiver.url)

    services = requests.get(f"{served.api}/services.json", timeout=10).json()
    road = next(s for s in services if s["service_code"] == "交通运输")
    assert road["time_limits"] == {"contact_hours": 24, "resolve_hours": 168, "working_days": False}
    assert requests.get(f"{served.api}/services/交通运输.json", timeout=10).json()["time_limits"]["resolve_hours"] == 168

    created = file_road_case(served, key)
    assert created.status_code == 201, created.text
    [answer] = created.json()
    number = answer["service_request_id"]
    assert number.startswith("JH-") and answer["service_notice"].endswith("已转交驻点干部办理。")
    assert requests.get(f"{served.api}/tokens/{answer['token']}.json", timeout=10).json() == [
        {"service_request_id": number, "token": answer["token"]}]

    # Routed as chat intake routes it: to the card's cadre for roads, who got a push.
    deliver_all(runtime)
    assert any(number in json.dumps(s["body"], ensure_ascii=False) for s in sends(fake, to="o_huang"))

    public = requests.get(f"{served.api}/requests/{number}.json", timeout=10)
    [item] = public.json()
    assert item["address"] == "新高园村" and item["agency_responsible"] == "金和镇" and item["status"] == "open"
    assert "description" not in item and "张三" not in public.text and PHONE not in public.text
    keyed = requests.get(f"{served.api}/requests/{number}.json", params={"api_key": key}, timeout=10)
    [full] = keyed.json()
    assert full["description"] == ROAD and full["extended_attributes"]["reported_by"] == {
        "client": "12345热线", "caller_name": "张三"}
    assert PHONE not in keyed.text and "api:" not in keyed.text

    # The handler sees whom to call back; a cadre of no concern to the case does not.
    detail = served.say("o_huang", f"详情 {number}")
    assert "12345热线来电 张三 13912345678" in detail
    assert "13912345678" not in (served.say("o_he", f"详情 {number}") or "")
    # A cadre passes it on, the other accepts and notes, the leader escalates, the owner resolves.
    for openid, said in [("o_huang", f"转办 {number} 周干事"), ("o_zhou", f"接单 {number}"),
                         ("o_zhou", f"备注 {number} 已联系施工队"), ("o_chen", f"上报 {number} 需镇里协调线路"),
                         ("o_zhou", f"办结 {number} 路灯已更换，今晚起正常照明")]:
        reply = served.say(openid, said)
        assert number in reply, (said, reply)

    # A villager's own case in chat: reopened once, then confirmed.
    served.say("o_resident", "新高园村的灌溉水渠堵了，农田没水，稻谷要旱死了，请帮忙疏通")
    with runtime.Session() as session:
        chat_number = session.scalar(select(Case.number).where(Case.number != number))
    handler = "o_zhou"
    for openid, said in [(handler, f"接单 {chat_number}"), (handler, f"办结 {chat_number} 已疏通"),
                         ("o_resident", f"不满意 {chat_number} 下游还是堵"), (handler, f"办结 {chat_number} 下游也已疏通"),
                         ("o_resident", f"满意 {chat_number}")]:
        assert served.say(openid, said), said

    deliver_all(runtime)
    events = receiver.events(secret)  # every signature checked
    cases = by_case(events)
    assert [e["type"] for e in cases[number]] == [
        "new", "assigned", "transferred", "accepted", "in_progress", "escalated", "resolved"]
    assert [e["type"] for e in cases[chat_number]] == [
        "new", "assigned", "accepted", "resolved", "reopened", "resolved", "confirmed"]
    for sequence in cases.values():  # in ledger order per case
        ids = [e["event_id"] for e in sequence]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert cases[number][0]["actor"] == {"kind": "api", "name": "12345热线"}
    assert cases[number][-1]["service_request"]["status_notes"] == "路灯已更换，今晚起正常照明"
    assert cases[number][-1]["service_request"]["status"] == "closed"
    assert cases[number][2]["actor"]["name"] == "黄主任"
    assert all("o_resident" not in body.decode() and PHONE not in body.decode() for _, body in receiver.received)

    # Exactly once: another relay run sends nothing more.
    count = len(receiver.received)
    deliver_all(runtime)
    assert len(receiver.received) == count
    with runtime.Session() as session:
        # The answer goes to the hotline by webhook, never as a push to its stand-in resident.
        stand_in = session.scalar(select(Resident.id).where(Resident.openid.startswith("api:")))
        assert session.scalar(select(func.count()).select_from(Notification).where(
            Notification.recipient_kind == "resident", Notification.recipient_id == stand_in)) == 0
        first = session.scalar(select(CaseEvent).join(Case).where(Case.number == number).order_by(CaseEvent.id))
        client_id = session.scalar(select(ApiClient.id).where(ApiClient.name == "12345热线"))
        assert (first.actor_kind, first.actor_id, first.data["client"]) == ("api", client_id, "12345热线")


def test_listing_filters_and_the_public_view(settings_overrides, runtime, people, served):
    key = add_key(settings_overrides, "12345热线")
    road = file_road_case(served, key).json()[0]["service_request_id"]
    water = requests.post(f"{served.api}/requests.json", json={
        "api_key": key, "description": "东风村自来水停了两天，全村没水喝", "address_id": str(people["village2"]),
        "lat": "23.4", "long": "115.8"}, timeout=10).json()[0]["service_request_id"]

    def numbers(**params):
        response = requests.get(f"{served.api}/requests.json", params=params, timeout=10)
        assert response.status_code == 200, response.text
        return [item["service_request_id"] for item in response.json()]

    assert numbers() == [water, road]  # newest first
    assert numbers(service_code="交通运输") == [road]
    assert numbers(village="东风村") == [water] and numbers(village=str(people["village"])) == [road]
    assert numbers(jurisdiction_id=COUNTY, status="open") == [water, road]
    assert numbers(status="closed") == []
    assert numbers(service_request_id=f"{road},NOPE") == [road]
    assert numbers(start_date=(utcnow() + timedelta(hours=1)).isoformat()) == []
    assert numbers(end_date=(utcnow() - timedelta(hours=1)).isoformat()) == []
    assert numbers(page_size="1", page="2") == [road]
    public = requests.get(f"{served.api}/requests.json", timeout=10).json()
    assert all("description" not in item and "lat" not in item for item in public)
    keyed = {i["service_request_id"]: i for i in requests.get(f"{served.api}/requests.json",
                                                               params={"api_key": key}, timeout=10).json()}
    assert (keyed[water]["lat"], keyed[water]["long"]) == (23.4, 115.8)
    # No service_code: the classifier decided, as for a chat message.
    verdict = runtime.classifier.classify("东风村自来水停了两天，全村没水喝")
    assert keyed[water]["service_code"] == verdict.category != ""
    # A key of another county reads this county's cases in the public view only.
    far = add_key(settings_overrides, "远县热线", county="远县")
    other = requests.get(f"{served.api}/requests.json", params={"api_key": far}, timeout=10).json()
    assert other and all("description" not in item for item in other)


def test_a_hidden_complaint_never_shows_its_complainant(settings_overrides, runtime, people, served):
    key = add_key(settings_overrides, "12345热线")
    created = requests.post(f"{served.api}/requests.json", data={
        "api_key": key, "service_code": "干部作风", "description": "村主任优亲厚友，低保名额给了亲戚",
        "address_string": "新高园村", "last_name": "李", "first_name": "四", "phone": PHONE}, timeout=10)
    assert created.status_code == 201, created.text
    number = created.json()[0]["service_request_id"]
    keyed = requests.get(f"{served.api}/requests/{number}.json", params={"api_key": key}, timeout=10)
    [item] = keyed.json()
    assert item["description"].startswith("村主任") and "reported_by" not in item["extended_attributes"]
    assert "李四" not in keyed.text and PHONE not in keyed.text
    with runtime.Session() as session:  # routed to the township, as chat intake routes it
        assert session.scalar(select(Case.assignee_id).where(Case.number == number)) == people["secretary"]
    assert "李四" in served.say("o_lin", f"详情 {number}")  # the handler may call back
    leader_view = served.say("o_chen", f"详情 {number}")
    assert "村主任优亲厚友" in leader_view and "李四" not in leader_view and PHONE not in leader_view


def _counts(runtime) -> dict:
    with runtime.Session() as session:
        return {model.__name__: session.scalar(select(func.count()).select_from(model))
                for model in (Case, CaseEvent, ApiRequest, Notification, Resident)}


def _error(response: requests.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    [error] = response.json()
    assert error["code"] == status and error["description"]
    return error["description"]


def test_refused_requests_get_open311_errors_and_change_nothing(settings_overrides, runtime, people, served):
    key = add_key(settings_overrides, "12345热线")
    reader = add_key(settings_overrides, "政务平台", write=False)
    far = add_key(settings_overrides, "远县热线", county="远县")
    file_road_case(served, key)
    before = _counts(runtime)
    post = f"{served.api}/requests.json"
    good = {"api_key": key, "service_code": "交通运输", "description": ROAD, "address_string": "新高园"}

    assert "not valid" in _error(requests.post(post, data={**good, "api_key": "o311_wrong"}, timeout=10), 401)
    assert "required" in _error(requests.post(post, data={k: v for k, v in good.items() if k != "api_key"},
                                              timeout=10), 401)
    _error(requests.post(post, data={**good, "api_key": reader}, timeout=10), 403)
    assert "outside" in _error(requests.post(post, data={**good, "api_key": far}, timeout=10), 403)
    _error(requests.post(post, data={**good, "jurisdiction_id": "远县"}, timeout=10), 403)
    _error(requests.post(post, data="{not json", headers={"Content-Type": "application/json"}, timeout=10), 400)
    _error(requests.post(post, json=["a", "list"], timeout=10), 400)
    _error(requests.post(post, data={**good, "description": "  "}, timeout=10), 400)
    _error(requests.post(post, data={**good, "description": "长" * 2001}, timeout=10), 400)
    _error(requests.post(post, data={**good, "lat": "north", "long": "1"}, timeout=10), 400)
    _error(requests.post(post, data={**good, "phone": "call me"}, timeout=10), 400)
    _error(requests.post(post, data={k: v for k, v in good.items() if k != "address_string"}, timeout=10), 400)
    assert "not found" in _error(requests.post(post, data={**good, "address_string": "不存在村"}, timeout=10), 404)
    _error(requests.post(post, data={**good, "address_id": "99999"}, timeout=10), 404)
    _error(requests.post(post, data={**good, "service_code": "不存在"}, timeout=10), 404)
    assert _counts(runtime) == before

    get = lambda path, **params: requests.get(f"{served.api}/{path}", params=params, timeout=10)  # noqa: E731
    _error(get("requests.json", api_key="o311_wrong"), 401)
    _error(get("requests.json", start_date="yesterday"), 400)
    _error(get("requests.json", status="pending"), 400)
    _error(get("requests.json", page="0"), 400)
    _error(get("requests.json", jurisdiction_id="火星县"), 404)
    _error(get("requests.json", village="不存在村"), 404)
    _error(get("requests.json", service_code="不存在"), 404)
    _error(get("requests/JH-1999-00001.json"), 404)
    _error(get("tokens/nope.json"), 404)
    _error(get("services/不存在.json"), 404)
    _error(get("services.json", jurisdiction_id="火星县"), 404)
    assert get("services.json", jurisdiction_id=COUNTY).status_code == 200
    assert _counts(runtime) == before


def test_the_openapi_document_matches_the_live_routes(app, settings_overrides, people, served):
    document = requests.get(f"{served.api}/openapi.json", timeout=10).json()
    assert document["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    live = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/open311/v2/"):
            path = rule.rule.removeprefix("/open311/v2").replace("<", "{").replace(">", "}")
            live |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    # Path parameters are named for readers; compare the shapes.
    shape = lambda path: __import__("re").sub(r"\{[^}]+\}", "{}", path)  # noqa: E731
    assert {(shape(p), m) for p, m in documented} == {(shape(p), m) for p, m in live}

    key = add_key(settings_overrides, "12345热线")
    created = file_road_case(served, key).json()[0]
    values = {"service_code": "交通运输", "service_request_id": created["service_request_id"],
              "token": created["token"]}
    for path, method in sorted(documented):
        url = served.api + path.format(**values)
        if method == "GET":
            assert requests.get(url, timeout=10).status_code == 200, path
        else:
            assert requests.post(url, data={"api_key": key, "description": ROAD, "address_string": "新高园"},
                                 timeout=10).status_code == 201, path


def test_a_failing_receiver_is_retried_with_backoff_and_events_stay_in_order(
        settings_overrides, runtime, people, served, receiver):
    key = add_key(settings_overrides, "12345热线")
    secret = subscribe(settings_overrides, key, receiver.url)
    receiver.statuses = [503]
    number = file_road_case(served, key).json()[0]["service_request_id"]
    assert served.say("o_huang", f"接单 {number}")

    send_due(runtime)
    webhook_rows = [r for r in rows(runtime) if r.recipient_kind == "webhook"]
    # new failed; assigned and accepted wait behind it without spending an attempt
    assert [(r.title, r.state, r.attempts) for r in webhook_rows] == [
        ("new", "failed", 1), ("assigned", "pending", 0), ("accepted", "pending", 0)]
    assert webhook_rows[0].next_attempt_at > utcnow() + timedelta(seconds=10)  # backoff, not at once
    assert receiver.received == []

    send_due(runtime, utcnow() + timedelta(hours=2))
    assert [e["type"] for e in receiver.events(secret)] == ["new", "assigned", "accepted"]
    assert [r.state for r in rows(runtime) if r.recipient_kind == "webhook"] == ["sent"] * 3

    listed = run_cli(settings_overrides, "api", "webhook", "list")
    assert f"1\t12345热线\t{receiver.url}\tactive" in listed and secret not in listed
    receiver.statuses = [410]  # gone for good: given up, like an unfollowed user
    served.say("o_huang", f"备注 {number} 明天去现场")
    send_due(runtime)
    last = [(r.title, r.state) for r in rows(runtime) if r.recipient_kind == "webhook"][-1]
    assert last == ("in_progress", "given_up")

    run_cli(settings_overrides, "api", "webhook", "remove", "1")  # removed: nothing more is written or sent
    served.say("o_huang", f"办结 {number} 已修好")
    send_due(runtime)
    assert len(receiver.received) == 3


def test_rate_limit_per_key(settings_overrides, runtime, people, served, tmp_path):
    import yaml

    path = settings_overrides["BOT_CONFIG"]
    config = yaml.safe_load(open(path, encoding="utf-8"))
    config["api"] = {"rate_limit_per_minute": 3}
    limited = tmp_path / "limited.yaml"
    limited.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    from bot import create_app
    from tests.open311 import Served

    server = Served(create_app({**settings_overrides, "BOT_CONFIG": str(limited)}))
    try:
        key = add_key(settings_overrides, "12345热线")
        other = add_key(settings_overrides, "政务平台", write=False)
        statuses = [requests.get(f"{server.api}/services.json", params={"api_key": key}, timeout=10).status_code
                    for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert requests.get(f"{server.api}/services.json", params={"api_key": other}, timeout=10).status_code == 200
    finally:
        server.close()


def test_keys_are_stored_hashed_and_webhook_secrets_printed_once(settings_overrides, runtime):
    import hashlib

    key = add_key(settings_overrides, "12345热线")
    assert key.startswith("o311_") and len(key) > 30
    with runtime.Session() as session:
        client = session.scalar(select(ApiClient))
        assert client.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert key not in repr([getattr(client, c.key) for c in ApiClient.__table__.columns])
    output = run_cli(settings_overrides, "api", "key", "list")
    assert "12345热线\tcounty:揭西县\tread+write\tactive" in output and key not in output
    from click.testing import CliRunner

    from bot.cli import cli

    bad = CliRunner().invoke(cli, ["api", "key", "add", "x", "--scope", "揭西县"], env=settings_overrides)
    assert bad.exit_code == 2 and "county:" in bad.output
    nobody = CliRunner().invoke(cli, ["api", "webhook", "add", "o311_unknown", "http://x"], env=settings_overrides)
    assert nobody.exit_code == 2
    run_cli(settings_overrides, "api", "key", "revoke", "12345热线")
    served_app_refuses = CliRunner().invoke(cli, ["api", "webhook", "add", key, "http://127.0.0.1/h"],
                                            env=settings_overrides)
    assert served_app_refuses.exit_code == 2


def test_quiet_hours_hold_the_cadres_push_but_not_the_webhooks(settings_overrides, runtime, people, served, receiver):
    from datetime import datetime

    from bot.delivery.relay import claim
    from bot.timefmt import CHINA

    key = add_key(settings_overrides, "12345热线")
    subscribe(settings_overrides, key, receiver.url)
    file_road_case(served, key)
    cfg = {**runtime.config["notifications"], "quiet_hours": {"start": "22:00", "end": "07:00"}}
    night = datetime(2030, 3, 6, 1, 0, tzinfo=CHINA)
    with runtime.Session.begin() as session:
        claimed = {notification_id for notification_id, _ in claim(session, night, cfg)}
    kinds = {r.id: r.recipient_kind for r in rows(runtime)}
    assert {kinds[i] for i in claimed} == {"webhook"} and "cadre" in kinds.values()


def test_a_second_call_about_the_same_problem_joins_the_open_case(settings_overrides, runtime, people, served):
    key = add_key(settings_overrides, "12345热线")
    first = file_road_case(served, key).json()[0]
    again = file_road_case(served, key, last_name="王", first_name="五").json()[0]
    assert again["service_request_id"] == first["service_request_id"] and again["token"] != first["token"]
    assert "已并入" in again["service_notice"]
    [item] = requests.get(f"{served.api}/requests/{first['service_request_id']}.json", params={"api_key": key},
                          timeout=10).json()
    assert item["extended_attributes"]["reporters"] == 1  # the hotline counts once, however many callers
    with runtime.Session() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
        assert session.scalar(select(func.count()).select_from(ApiRequest)) == 2  # each caller kept
        actions = session.scalars(select(CaseEvent.action).order_by(CaseEvent.id)).all()
    assert actions == ["receive", "assign", "co_report"]


def test_the_worker_process_delivers_webhooks_from_the_queue(settings_overrides, runtime, people, served, receiver,
                                                             tmp_path):
    from tests.pushes import start_worker, wait_for

    key = add_key(settings_overrides, "12345热线")
    secret = subscribe(settings_overrides, key, receiver.url)
    number = file_road_case(served, key).json()[0]["service_request_id"]  # the POST kicks the relay
    worker = start_worker(settings_overrides, tmp_path / "worker.log")
    assert worker.wait(60) == 0, (tmp_path / "worker.log").read_text()
    wait_for(lambda: len(receiver.received) == 2, timeout=10)
    assert [(e["type"], e["service_request"]["service_request_id"]) for e in receiver.events(secret)] == [
        ("new", number), ("assigned", number)]


def test_concurrent_calls_from_one_hotline_each_file_their_case(settings_overrides, runtime, people, served):
    from concurrent.futures import ThreadPoolExecutor

    key = add_key(settings_overrides, "12345热线")
    texts = ["新高园村桥头路面塌陷，车辆无法通行", "新高园村小学门口没有红绿灯，孩子过马路危险",
             "新高园村到镇上的公交车停运了一个月", "新高园村村道上有大坑，下雨积水很深"]

    def call(text: str) -> requests.Response:
        return requests.post(f"{served.api}/requests.json", data={
            "api_key": key, "service_code": "交通运输", "description": text, "address_string": "新高园"}, timeout=30)

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(call, texts))
    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
    assert len({r.json()[0]["service_request_id"] for r in responses}) == 4
    with runtime.Session() as session:  # one stand-in for the client and village, however the calls raced
        assert session.scalar(select(func.count()).select_from(Resident).where(Resident.openid.startswith("api:"))) == 1
