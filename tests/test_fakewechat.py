"""The fake WeChat API behaves like WeChat where the project depends on it, and obeys its scripts."""
import json
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bot.wechat.fake import FakeWeChatServer

HOUR = 3600


@pytest.fixture
def fake():
    with FakeWeChatServer() as server:
        yield server


def token(fake, appid="wxapp", secret="s3cret"):
    answer = requests.get(fake.url + "cgi-bin/token",
                          params={"grant_type": "client_credential", "appid": appid, "secret": secret}).json()
    return answer["access_token"]


def wecom_token(fake):
    return requests.get(fake.url + "cgi-bin/gettoken", params={"corpid": "corp", "corpsecret": "cs"}).json()["access_token"]


def post(fake, path, access_token, body=None, **params):
    return requests.post(fake.url + path, params={"access_token": access_token, **params},
                         data=json.dumps(body or {}, ensure_ascii=False).encode())


def custom_text(fake, access_token, openid="o1", text="hi"):
    return post(fake, "cgi-bin/message/custom/send", access_token,
                {"touser": openid, "msgtype": "text", "text": {"content": text}}).json()


# -- tokens -------------------------------------------------------------------------------------

def test_token_is_issued_with_expiry_and_a_new_one_invalidates_the_old(fake):
    answer = requests.get(fake.url + "cgi-bin/token",
                          params={"grant_type": "client_credential", "appid": "wxapp", "secret": "s"}).json()
    assert answer["expires_in"] == 7200 and answer["access_token"]
    old = answer["access_token"]
    assert custom_text(fake, old)["errcode"] == 0
    new = token(fake)
    assert new != old
    assert custom_text(fake, old) == {"errcode": 40001,
                                      "errmsg": "invalid credential, access_token is invalid or not latest"}
    assert custom_text(fake, new)["errcode"] == 0


def test_tokens_of_different_apps_do_not_invalidate_each_other(fake):
    first, second = token(fake, appid="a1"), token(fake, appid="a2")
    assert custom_text(fake, first)["errcode"] == 0
    assert custom_text(fake, second)["errcode"] == 0


def test_token_errors(fake):
    assert custom_text(fake, "")["errcode"] == 41001
    assert custom_text(fake, "made-up")["errcode"] == 40001
    bad_grant = requests.get(fake.url + "cgi-bin/token", params={"grant_type": "x", "appid": "a", "secret": "s"})
    assert bad_grant.json()["errcode"] == 40002


def test_expired_token_gives_42001(fake):
    fake.configure(now=1_000_000)
    access_token = token(fake)
    fake.configure(now=1_000_000 + 7199)
    assert custom_text(fake, access_token)["errcode"] == 0
    fake.configure(now=1_000_000 + 7200)
    assert custom_text(fake, access_token)["errcode"] == 42001


def test_configured_credentials_are_checked():
    with FakeWeChatServer(apps={"wxapp": "right"}) as fake:
        wrong = requests.get(fake.url + "cgi-bin/token",
                             params={"grant_type": "client_credential", "appid": "wxapp", "secret": "wrong"})
        assert wrong.json()["errcode"] == 40125
        unknown = requests.get(fake.url + "cgi-bin/token",
                               params={"grant_type": "client_credential", "appid": "other", "secret": "right"})
        assert unknown.json()["errcode"] == 40013
        assert token(fake, secret="right")


def test_wecom_token_only_works_on_wecom_endpoints(fake):
    corp = wecom_token(fake)
    assert custom_text(fake, corp)["errcode"] == 40001
    answer = post(fake, "cgi-bin/message/send", corp,
                  {"touser": "zhangsan", "agentid": 1, "msgtype": "text", "text": {"content": "x"}}).json()
    assert answer["errcode"] == 0 and answer["invaliduser"] == ""
    assert post(fake, "cgi-bin/message/send", token(fake), {"touser": "a", "agentid": 1,
                                                            "msgtype": "text"}).json()["errcode"] == 40001


# -- records ------------------------------------------------------------------------------------

def test_records_everything_in_order_with_filters(fake):
    access_token = token(fake)
    custom_text(fake, access_token, "o1", "one")
    custom_text(fake, access_token, "o2", "two")
    custom_text(fake, access_token, "o1", "three")
    records = requests.get(fake.url + "_fake/messages").json()
    assert [r["path"] for r in records] == ["/cgi-bin/token"] + ["/cgi-bin/message/custom/send"] * 3
    seqs = [r["seq"] for r in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4
    assert records[0]["query"]["secret"] == "***"  # secrets are not written into records
    assert records[0]["query"]["appid"] == "wxapp"
    to_o1 = requests.get(fake.url + "_fake/messages", params={"to": "o1"}).json()
    assert [r["body"]["text"]["content"] for r in to_o1] == ["one", "three"]
    after = requests.get(fake.url + "_fake/messages", params={"since": seqs[1]}).json()
    assert [r["seq"] for r in after] == seqs[2:]
    assert [r["errcode"] for r in after] == [0, 0]
    assert fake.messages(path="message/custom/send", to="o2")[0]["body"]["text"]["content"] == "two"


def test_reset_forgets_records_tokens_and_scripts(fake):
    access_token = token(fake)
    fake.fail(45009, times=5)
    assert requests.post(fake.url + "_fake/reset").json() == {"ok": True}
    assert fake.messages() == []
    assert custom_text(fake, access_token)["errcode"] == 40001  # the old token is gone, not a scripted failure
    assert custom_text(fake, token(fake))["errcode"] == 0


def test_concurrent_requests_are_all_recorded_with_unique_sequence_numbers(fake):
    access_token = token(fake)
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda i: custom_text(fake, access_token, f"o{i}"), range(60)))
    assert all(a["errcode"] == 0 for a in answers)
    sends = fake.messages(path="message/custom/send")
    assert len(sends) == 60 and len({r["seq"] for r in sends}) == 60
    assert {r["to"] for r in sends} == {f"o{i}" for i in range(60)}


# -- scripted failures and delays --------------------------------------------------------------

@pytest.mark.parametrize("errcode", [40001, 42001, 45015, 45047, 45009, 43004, -1])
def test_fail_returns_the_errcode_the_given_number_of_times(fake, errcode):
    access_token = token(fake)
    answer = requests.post(fake.url + "_fake/fail", json={"errcode": errcode, "times": 2})
    assert answer.status_code == 200
    assert custom_text(fake, access_token)["errcode"] == errcode
    assert custom_text(fake, access_token)["errcode"] == errcode
    assert custom_text(fake, access_token)["errcode"] == 0


def test_fail_with_http_status_and_path_filter(fake):
    access_token = token(fake)
    fake.fail(500, times=1, path="/cgi-bin/message/template/send")
    assert custom_text(fake, access_token)["errcode"] == 0  # other endpoints are untouched
    template = {"touser": "o1", "template_id": "T", "data": {"k": {"value": "v"}}}
    failed = post(fake, "cgi-bin/message/template/send", access_token, template)
    assert failed.status_code == 500
    assert fake.messages(path="message/template/send")[-1]["status"] == 500
    assert post(fake, "cgi-bin/message/template/send", access_token, template).json()["errcode"] == 0


def test_fail_control_rejects_a_missing_errcode(fake):
    assert requests.post(fake.url + "_fake/fail", json={"times": 1}).status_code == 400


def test_slow_delays_only_the_given_number_of_calls(fake):
    access_token = token(fake)
    assert requests.post(fake.url + "_fake/slow", json={"seconds": 0.5, "times": 1}).status_code == 200
    started = time.monotonic()
    custom_text(fake, access_token)
    assert time.monotonic() - started >= 0.5
    started = time.monotonic()
    custom_text(fake, access_token)
    assert time.monotonic() - started < 0.4


# -- customer-service rules ----------------------------------------------------------------------

def test_customer_service_rules_off_by_default(fake):
    access_token = token(fake)
    assert all(custom_text(fake, access_token, "stranger")["errcode"] == 0 for _ in range(7))


def test_48_hour_window(fake):
    fake.configure(enforce_customer_service=True, now=10 * 24 * HOUR)
    access_token = token(fake)
    assert custom_text(fake, access_token, "o1")["errcode"] == 45015  # never wrote to us
    answer = requests.post(fake.url + "_fake/user_activity", json={"openid": "o1", "at": 10 * 24 * HOUR - 47 * HOUR})
    assert answer.status_code == 200
    assert custom_text(fake, access_token, "o1")["errcode"] == 0
    fake.configure(now=10 * 24 * HOUR + 2 * HOUR)  # now 49 h after the user's message
    assert custom_text(fake, token(fake), "o1")["errcode"] == 45015


def test_five_messages_per_window_then_45047_until_the_user_writes_again(fake):
    fake.configure(enforce_customer_service=True)
    access_token = token(fake)
    fake.user_activity("o1")
    assert [custom_text(fake, access_token, "o1")["errcode"] for _ in range(6)] == [0, 0, 0, 0, 0, 45047]
    assert custom_text(fake, access_token, "o2")["errcode"] == 45015  # windows are per user
    fake.user_activity("o1")
    assert custom_text(fake, access_token, "o1")["errcode"] == 0


def test_older_activity_does_not_reopen_or_reset_a_window(fake):
    fake.configure(enforce_customer_service=True, now=1_000_000)
    access_token = token(fake)
    fake.user_activity("o1", at=1_000_000)
    assert [custom_text(fake, access_token, "o1")["errcode"] for _ in range(5)] == [0] * 5
    fake.user_activity("o1", at=999_000)  # a late-delivered older event
    assert custom_text(fake, access_token, "o1")["errcode"] == 45047


def test_template_messages_ignore_the_customer_service_window(fake):
    fake.configure(enforce_customer_service=True)
    access_token = token(fake)
    first = post(fake, "cgi-bin/message/template/send", access_token,
                 {"touser": "o1", "template_id": "T", "data": {}}).json()
    second = post(fake, "cgi-bin/message/template/send", access_token,
                  {"touser": "o1", "template_id": "T", "data": {}}).json()
    assert first["errcode"] == 0 and second["msgid"] != first["msgid"]
    assert post(fake, "cgi-bin/message/template/send", access_token,
                {"touser": "o1", "data": {}}).json()["errcode"] == 40037


# -- WeCom, QR codes, media, menu --------------------------------------------------------------

def test_wecom_unknown_users_are_listed_as_invalid(fake):
    corp = wecom_token(fake)
    body = {"touser": "lisi|invalid_wang", "agentid": 1000002, "msgtype": "text", "text": {"content": "x"}}
    answer = post(fake, "cgi-bin/message/send", corp, body).json()
    assert answer["errcode"] == 0 and answer["invaliduser"] == "invalid_wang"
    fake.configure(wecom_users=["zhangsan"])
    answer = post(fake, "cgi-bin/message/send", corp, body).json()
    assert answer["invaliduser"] == "lisi|invalid_wang"


def test_permanent_and_temporary_qrcodes(fake):
    access_token = token(fake)
    permanent = post(fake, "cgi-bin/qrcode/create", access_token, {
        "action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "village:42"}}}).json()
    assert permanent["ticket"] and permanent["url"].startswith("http") and "expire_seconds" not in permanent
    temporary = post(fake, "cgi-bin/qrcode/create", access_token, {
        "action_name": "QR_SCENE", "expire_seconds": 600, "action_info": {"scene": {"scene_id": 7}}}).json()
    assert temporary["expire_seconds"] == 600 and temporary["ticket"] != permanent["ticket"]
    bad = post(fake, "cgi-bin/qrcode/create", access_token, {
        "action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "x" * 65}}}).json()
    assert bad["errcode"] == 47001


def test_media_upload_and_get_round_trip(fake):
    access_token = token(fake)
    png = b"\x89PNG\r\n\x1a\nfake"
    answer = requests.post(fake.url + "cgi-bin/media/upload", params={"access_token": access_token, "type": "image"},
                           files={"media": ("chart.png", png, "image/png")}).json()
    assert answer["type"] == "image" and answer["media_id"]
    got = requests.get(fake.url + "cgi-bin/media/get", params={"access_token": access_token,
                                                               "media_id": answer["media_id"]})
    assert got.content == png and got.headers["content-type"] == "image/png"
    assert fake.messages(path="media/upload")[0]["body"]["files"]["media"]["filename"] == "chart.png"
    bad_type = requests.post(fake.url + "cgi-bin/media/upload", params={"access_token": access_token, "type": "doc"},
                             files={"media": ("a", b"x")}).json()
    assert bad_type["errcode"] == 40004
    missing = requests.post(fake.url + "cgi-bin/media/upload", params={"access_token": access_token, "type": "image"},
                            files={"other": ("a", b"x")}).json()
    assert missing["errcode"] == 41005


def test_a_user_sent_file_is_served_by_media_get(fake):
    amr = b"#!AMR\n" + bytes(64)
    added = requests.post(fake.url + "_fake/media", params={"type": "voice"}, data=amr,
                          headers={"Content-Type": "audio/amr"}).json()
    got = requests.get(fake.url + "cgi-bin/media/get", params={"access_token": token(fake),
                                                               "media_id": added["media_id"]})
    assert got.content == amr and got.headers["Content-Type"] == "audio/amr"
    assert requests.post(fake.url + "_fake/media", data=b"").status_code == 400
    unknown = requests.get(fake.url + "cgi-bin/media/get", params={"access_token": token(fake), "media_id": "nope"})
    assert unknown.json()["errcode"] == 40007


def test_menu_create(fake):
    access_token = token(fake)
    menu = {"button": [{"type": "click", "name": "联系卡", "key": "CARD"}]}
    assert post(fake, "cgi-bin/menu/create", access_token, menu).json() == {"errcode": 0, "errmsg": "ok"}
    assert fake.messages(path="menu/create")[0]["body"] == menu
    four = {"button": [{"type": "click", "name": str(i), "key": str(i)} for i in range(4)]}
    assert post(fake, "cgi-bin/menu/create", access_token, four).json()["errcode"] == 40016


def test_malformed_json_gives_47001(fake):
    answer = requests.post(fake.url + "cgi-bin/message/custom/send", params={"access_token": token(fake)},
                           data=b"{not json")
    assert answer.json()["errcode"] == 47001


# -- the runner ----------------------------------------------------------------------------------

def test_server_stops_and_frees_its_port():
    server = FakeWeChatServer()
    url = server.url
    server.stop()
    server.stop()  # idempotent
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "_fake/messages", timeout=1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_module_entry_point_serves_the_fake():
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "bot.wechat.fake", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/cgi-bin/token", timeout=1, params={
                    "grant_type": "client_credential", "appid": "a", "secret": "s"})
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "fake did not start"
                time.sleep(0.1)
        assert answer.json()["expires_in"] == 7200
    finally:
        process.terminate()
        process.wait(timeout=10)
