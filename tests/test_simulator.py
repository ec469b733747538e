"""The simulator's parts without a browser: WeChat-side pushes, the messages it builds, pushes it shows."""
import pytest

from bot.simulator import messages
from bot.simulator.phone import Phone
from bot.simulator.pushes import delivered
from tests import wechat


@pytest.fixture
def settings_overrides(settings_overrides):
    return {**settings_overrides, "WECOM_CORP_ID": "wwsimulator", "WECOM_TOKEN": "simtoken",
            "WECOM_AES_KEY": "SimulatorSimulatorSimulatorSimulatorSimul12"}


@pytest.fixture
def phone(client, monkeypatch):
    """A Phone whose HTTP posts reach the test app's /wechat."""
    def post(url, params, data, timeout, headers):
        response = client.post("/wechat", query_string=params, data=data, headers=headers)
        response.status_code, response.text = response.status_code, response.get_data(as_text=True)
        return response

    monkeypatch.setattr("bot.simulator.phone.requests.post", post)
    return Phone("http://test/wechat", wechat.TOKEN, wechat.AES_KEY, wechat.APP_ID)


def test_a_signed_encrypted_push_is_accepted_and_the_reply_decrypted(phone):
    """The gateway verifies the simulator's push as WeChat's own and answers in safe mode."""
    reply = phone.send("o_villager_test", "text", {"Content": "帮助"})
    assert reply and "绑定" in reply


@pytest.mark.parametrize("following, event, key", [(False, "subscribe", "qrscene_village_3"), (True, "SCAN", "village_3")])
def test_scanning_a_village_code(following, event, key):
    """A new user's scan subscribes with ``qrscene_``; a follower's scan is SCAN with the bare scene."""
    kind, fields = messages.build({"kind": "scan", "scene": "village_3", "following": following}, None)
    assert (kind, fields["Event"], fields["EventKey"]) == ("event", event, key)


def test_voice_carries_the_recognition_and_a_bad_request_is_refused():
    kind, fields = messages.build({"kind": "voice", "text": "路灯坏了"}, None)
    assert kind == "voice" and fields["Recognition"] == "路灯坏了"
    recorded = []
    kind, fields = messages.build({"kind": "voice", "text": "路灯坏了"}, None, lambda amr: recorded.append(amr) or "M1")
    assert fields["MediaId"] == "M1" and recorded[0].startswith(b"#!AMR\n")  # stored, so the worker can copy it
    with pytest.raises(messages.BadMessage):
        messages.build({"kind": "location", "latitude": "north"}, None)


def test_delivered_shows_what_wechat_accepted_for_each_phone():
    """Accepted sends only; template fields in the template's order; WeCom ids become personas."""
    templates = {"default": {"id": "T1", "fields": {"thing1": "title", "character_string2": "number"}}}
    records = [
        {"seq": 1, "at": 0, "path": "/cgi-bin/token", "status": 200, "errcode": 0, "body": None},
        {"seq": 2, "at": 0, "path": "/cgi-bin/message/custom/send", "status": 200, "errcode": 45015,
         "body": {"touser": "o_a", "msgtype": "text", "text": {"content": "refused"}}},
        {"seq": 3, "at": 0, "path": "/cgi-bin/message/template/send", "status": 200, "errcode": 0,
         "body": {"touser": "o_a", "template_id": "T1",
                  "data": {"character_string2": {"value": "QS-1"}, "thing1": {"value": "新案件"}}}},
        {"seq": 4, "at": 0, "path": "/cgi-bin/message/send", "status": 200, "errcode": 0,
         "body": {"touser": "zhou.gb", "msgtype": "text", "text": {"content": "【新案件】"}}},
    ]
    shown = delivered(records, templates, lambda ids: {"zhou.gb": "o_zhou"} if ids == {"zhou.gb"} else {})
    assert [(p["seq"], p["to"], p["type"]) for p in shown] == [(3, "o_a", "template"), (4, "o_zhou", "text")]
    assert [f["label"] for f in shown[0]["fields"]] == ["事项", "案件编号"]
    assert shown[1]["channel"] == "企业微信"


def test_a_cadre_with_a_wecom_id_answers_through_wecom(client, runtime, monkeypatch, settings_overrides):
    """The simulator's WeCom phone is accepted by /wecom as WeCom's own callback, and the reply read back."""
    from bot.simulator.phone import WeComPhone
    from tests.pushes import roster

    app_settings = runtime.settings
    with runtime.Session.begin() as session:
        roster(session)["member"].wecom_userid = "wang.gb"

    def post(url, params, data, timeout, headers):
        assert url.endswith("/wecom")
        response = client.post("/wecom", query_string=params, data=data, headers=headers)
        response.status_code, response.text = response.status_code, response.get_data(as_text=True)
        return response

    monkeypatch.setattr("bot.simulator.phone.requests.post", post)
    phone = WeComPhone("http://test/wecom", app_settings.wecom_token, app_settings.wecom_aes_key,
                       app_settings.wecom_corp_id, "1000002")
    assert "龙湾村" in phone.send("wang.gb", "我的村")
    assert "没有登记" in phone.send("nobody", "我的村")
