"""The outbound client against the fake WeChat API and a real Redis: tokens, retries, errors, calls."""
import threading
import time
from types import SimpleNamespace

import pytest
import redis as redis_lib
import requests
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.wechat.client import WeChatApi, WeChatApiError
from bot.wechat.fake import FakeWeChatServer

SEND = "/cgi-bin/message/custom/send"
TOKEN = "/cgi-bin/token"


@pytest.fixture
def redis(redis_client):
    """The machine's Redis, in this test run's own flushed database (tests/conftest.py)."""
    return redis_client


@pytest.fixture
def fake():
    with FakeWeChatServer() as server:
        yield server


def make_api(fake, redis, **overrides):
    options = dict(base_url=fake.url, app_id="wxapp", app_secret="s3cret", redis=redis, timeout=2.0,
                   wecom_corp_id="corp", wecom_secret="corpsecret", wecom_agent_id="1000002")
    return WeChatApi(**(options | overrides))


@pytest.fixture
def api(fake, redis):
    return make_api(fake, redis)


def paths(fake):
    return [r["path"] for r in fake.messages()]


# -- tokens ---------------------------------------------------------------------------------------

def test_token_is_fetched_from_the_configured_base(fake, api):
    api.send_text("o1", "你好")
    records = fake.messages()
    assert [r["path"] for r in records] == [TOKEN, SEND]
    assert records[0]["query"]["appid"] == "wxapp"
    assert records[1]["body"] == {"touser": "o1", "msgtype": "text", "text": {"content": "你好"}}
    assert records[1]["query"]["access_token"] == records[0]["response"]["access_token"]


def test_base_url_may_be_given_with_cgi_bin_and_without_slash(fake, redis):
    make_api(fake, redis, base_url=fake.url + "cgi-bin").send_text("o1", "x")
    assert paths(fake) == [TOKEN, SEND]


def test_token_is_shared_through_redis_between_instances(fake, redis):
    first, second = make_api(fake, redis), make_api(fake, redis)
    first.send_text("o1", "a")
    second.send_text("o2", "b")
    first.send_text("o3", "c")
    assert paths(fake).count(TOKEN) == 1
    tokens = {r["query"]["access_token"] for r in fake.messages(path=SEND)}
    assert len(tokens) == 1
    # Stored for less than WeChat's 7200 s, so no process uses a token about to expire.
    (key,) = redis.keys("bot:wechat:*access_token")
    assert 0 < redis.ttl(key) <= 7200 - 300


@pytest.mark.parametrize("errcode", [40001, 42001, 40014])
def test_token_error_once_refreshes_and_retries(fake, api, errcode):
    fake.fail(errcode, times=1, path=SEND)
    api.send_text("o1", "x")
    records = fake.messages()
    assert [r["path"] for r in records] == [TOKEN, SEND, TOKEN, SEND]
    assert [r["errcode"] for r in records] == [0, errcode, 0, 0]
    assert records[3]["query"]["access_token"] == records[2]["response"]["access_token"]


@pytest.mark.parametrize("errcode", [40001, 42001])
def test_token_error_twice_raises_without_looping(fake, api, errcode):
    fake.fail(errcode, times=2, path=SEND)
    with pytest.raises(WeChatApiError) as caught:
        api.send_text("o1", "x")
    assert caught.value.errcode == errcode
    assert paths(fake) == [TOKEN, SEND, TOKEN, SEND]


def test_token_invalidated_elsewhere_is_replaced(fake, api):
    api.send_text("o1", "a")
    # Someone fetches a token with the same credentials outside our Redis: ours stops working.
    requests.get(fake.url + "cgi-bin/token", params={"grant_type": "client_credential", "appid": "wxapp",
                                                     "secret": "s3cret"})
    api.send_text("o1", "b")
    sends = fake.messages(path=SEND)
    assert [r["errcode"] for r in sends] == [0, 40001, 0]


def test_concurrent_token_errors_fetch_one_new_token(fake, redis):
    apis = [make_api(fake, redis) for _ in range(8)]
    apis[0].send_text("o0", "warm up")
    requests.get(fake.url + "cgi-bin/token", params={"grant_type": "client_credential", "appid": "wxapp",
                                                     "secret": "s3cret"})
    since = fake.messages()[-1]["seq"]
    errors = []
    barrier = threading.Barrier(len(apis))

    def send(index, api):
        barrier.wait()
        try:
            api.send_text(f"o{index}", "x")
        except WeChatApiError as error:
            errors.append(error)

    threads = [threading.Thread(target=send, args=(i, a)) for i, a in enumerate(apis)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert errors == []
    # Each fetch invalidates the previous token, so a second fetch would break the others' retries.
    assert [r["path"] for r in fake.messages(since=since)].count(TOKEN) == 1


def test_token_endpoint_failure_is_an_api_error(fake, api):
    fake.fail(-1, path=TOKEN)
    with pytest.raises(WeChatApiError) as caught:
        api.send_text("o1", "x")
    assert caught.value.errcode == -1
    assert paths(fake) == [TOKEN]
    api.send_text("o1", "x")  # nothing bad was cached
    assert paths(fake) == [TOKEN, TOKEN, SEND]


def test_wrong_secret_is_an_api_error(redis):
    with FakeWeChatServer(apps={"wxapp": "right"}) as fake:
        with pytest.raises(WeChatApiError) as caught:
            make_api(fake, redis).send_text("o1", "x")
        assert caught.value.errcode == 40125


def test_default_base_is_wechats_own_and_nothing_else_is_called(redis):
    api = WeChatApi(base_url="https://api.weixin.qq.com/", app_id="a", app_secret="s", redis=redis,
                    wecom_corp_id="c", wecom_secret="s", wecom_agent_id=1)
    assert api._official.API_BASE_URL == "https://api.weixin.qq.com/cgi-bin/"
    assert api._wecom.API_BASE_URL == "https://qyapi.weixin.qq.com/cgi-bin/"


def test_calls_outside_the_base_are_refused(fake, api):
    with pytest.raises(WeChatApiError, match="outside"):
        api._official.get("https://api.weixin.qq.com/cgi-bin/getcallbackip")


# -- error mapping --------------------------------------------------------------------------------

@pytest.mark.parametrize("errcode", [45015, 45047, 45009, 43004, -1])
def test_wechat_errors_surface_with_their_errcode_and_no_retry(fake, api, errcode):
    fake.fail(errcode, path=SEND)
    with pytest.raises(WeChatApiError) as caught:
        api.send_text("o1", "x")
    assert caught.value.errcode == errcode
    assert caught.value.errmsg
    assert paths(fake) == [TOKEN, SEND]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_http_5xx_is_an_error_without_errcode(fake, api, status):
    fake.fail(status, path=SEND)
    with pytest.raises(WeChatApiError) as caught:
        api.send_text("o1", "x")
    assert caught.value.errcode is None and caught.value.http_status == status


def test_timeout_is_an_error_without_errcode(fake, redis):
    api = make_api(fake, redis, timeout=0.3)
    fake.slow(1.5, path=SEND)
    started = time.monotonic()
    with pytest.raises(WeChatApiError) as caught:
        api.send_text("o1", "x")
    assert time.monotonic() - started < 1.2
    assert caught.value.errcode is None and caught.value.errmsg == "timeout"


def test_token_fetch_has_a_timeout_too(fake, redis):
    api = make_api(fake, redis, timeout=0.3)
    fake.slow(1.5, path=TOKEN)
    with pytest.raises(WeChatApiError) as caught:
        api.send_text("o1", "x")
    assert caught.value.errcode is None


def test_connection_refused_is_an_error_without_errcode(redis):
    server = FakeWeChatServer()
    url = server.url
    server.stop()
    with pytest.raises(WeChatApiError) as caught:
        WeChatApi(base_url=url, app_id="a", app_secret="s", redis=redis, timeout=1).send_text("o1", "x")
    assert caught.value.errcode is None


def test_redis_down_is_an_error_without_errcode(fake):
    # No client-side retries: the default backoff only makes the test slow.
    down = redis_lib.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    with pytest.raises(WeChatApiError) as caught:
        WeChatApi(base_url=fake.url, app_id="a", app_secret="s", redis=down).send_text("o1", "x")
    assert caught.value.errcode is None


def test_customer_service_rules_reach_the_caller(fake, api):
    fake.configure(enforce_customer_service=True)
    with pytest.raises(WeChatApiError) as caught:
        api.send_text("o1", "x")
    assert caught.value.errcode == 45015
    fake.user_activity("o1")
    for _ in range(5):
        api.send_text("o1", "x")
    with pytest.raises(WeChatApiError) as caught:
        api.send_text("o1", "x")
    assert caught.value.errcode == 45047


# -- the calls ------------------------------------------------------------------------------------

def test_send_image(fake, api):
    api.send_image("o1", "MEDIA")
    assert fake.messages(path=SEND)[0]["body"] == {"touser": "o1", "msgtype": "image", "image": {"media_id": "MEDIA"}}


def test_send_template_returns_msgid(fake, api):
    data = {"thing1": {"value": "路灯坏了"}, "character_string2": {"value": "42"}}
    msgid = api.send_template("o1", "TPL", data, url="https://example.org/case/42")
    (record,) = fake.messages(path="message/template/send")
    assert msgid == str(record["response"]["msgid"])
    assert record["body"] == {"touser": "o1", "template_id": "TPL", "data": data,
                              "url": "https://example.org/case/42"}
    assert api.send_template("o1", "TPL", data) != msgid


def test_upload_image_returns_a_media_id_the_fake_stored(fake, api):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    media_id = api.upload_image(png, filename="week.png")
    assert fake.state.get_media(media_id) == ("image/png", png)
    (record,) = fake.messages(path="media/upload")
    assert record["query"]["type"] == "image"
    assert record["body"]["files"]["media"]["filename"] == "week.png"


def test_upload_is_retried_with_the_same_bytes_after_a_token_error(fake, api):
    fake.fail(40001, path="media/upload")
    media_id = api.upload_image(b"png-bytes")
    assert fake.state.get_media(media_id) == ("image/png", b"png-bytes")


def test_create_qrcode_is_permanent_with_a_string_scene(fake, api):
    ticket, url = api.create_qrcode("village:42")
    (record,) = fake.messages(path="qrcode/create")
    assert record["body"] == {"action_name": "QR_LIMIT_STR_SCENE",
                              "action_info": {"scene": {"scene_str": "village:42"}}}
    assert (ticket, url) == (record["response"]["ticket"], record["response"]["url"])


def test_create_menu(fake, api):
    menu = {"button": [{"type": "click", "name": "我的问题", "key": "MY_CASES"}]}
    api.create_menu(menu)
    assert fake.messages(path="menu/create")[0]["body"] == menu
    with pytest.raises(WeChatApiError) as caught:
        api.create_menu({"button": []})
    assert caught.value.errcode == 40016


# -- WeCom ----------------------------------------------------------------------------------------

def test_wecom_text_uses_gettoken_and_the_agent(fake, api):
    api.send_wecom_text("zhangsan", "新问题 #42")
    records = fake.messages()
    assert [r["path"] for r in records] == ["/cgi-bin/gettoken", "/cgi-bin/message/send"]
    assert records[0]["query"]["corpid"] == "corp"
    body = records[1]["body"]
    assert (body["touser"], body["agentid"], body["text"]) == ("zhangsan", 1000002, {"content": "新问题 #42"})


def test_wecom_and_official_tokens_are_kept_apart(fake, api):
    api.send_text("o1", "x")
    api.send_wecom_text("zhangsan", "y")
    api.send_text("o1", "x")
    api.send_wecom_text("zhangsan", "y")
    assert [r["errcode"] for r in fake.messages()] == [0] * 6
    assert paths(fake).count(TOKEN) == 1 and paths(fake).count("/cgi-bin/gettoken") == 1


def test_wecom_invaliduser_is_an_error(fake, api):
    with pytest.raises(WeChatApiError) as caught:
        api.send_wecom_text("invalid_lisi", "x")
    assert caught.value.errcode == 81013 and "invalid_lisi" in caught.value.errmsg
    fake.configure(wecom_users=["wangwu"])
    api.send_wecom_text("wangwu", "x")
    with pytest.raises(WeChatApiError):
        api.send_wecom_text("zhangsan", "x")


def test_wecom_token_error_refreshes_once(fake, api):
    fake.fail(42001, path="message/send")
    api.send_wecom_text("zhangsan", "x")
    assert paths(fake).count("/cgi-bin/gettoken") == 2


def test_wecom_not_configured(fake, redis):
    api = make_api(fake, redis, wecom_corp_id=None)
    assert not api.has_wecom
    with pytest.raises(RuntimeError):
        api.send_wecom_text("zhangsan", "x")


def test_from_settings(fake, redis):
    settings = SimpleNamespace(wechat_api_base_url=fake.url, wechat_app_id="wxapp", wechat_app_secret="s",
                               wecom_corp_id="corp", wecom_secret="cs", wecom_agent_id="7")
    api = WeChatApi.from_settings(settings, redis)
    api.send_wecom_text("zhangsan", "x")
    assert fake.messages(path="message/send")[0]["body"]["agentid"] == 7
