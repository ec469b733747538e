"""Hypothesis strategies for hostile input: WeChat pushes, query strings, and chat commands.

Shared by tests/test_fuzz.py (a small budget in CI) and bench/fuzz.py (10^5 inputs and more).
"""
from hypothesis import strategies as st

from tests import wechat

TAGS = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "MediaId", "Recognition",
        "Format", "PicUrl", "Location_X", "Location_Y", "Scale", "Label", "Title", "Url", "Event", "EventKey",
        "Ticket", "Latitude", "Longitude", "Encrypt", "xml", "ThumbMediaId", "Description"]
KINDS = ["text", "image", "voice", "video", "shortvideo", "location", "link", "event", "file", "", "TEXT"]
EVENTS = ["subscribe", "unsubscribe", "SCAN", "CLICK", "VIEW", "LOCATION", "templatesendjobfinish", ""]
# Every chat command's first word (tests/test_fuzz.py checks this covers the registry).
COMMANDS = ["绑定", "解绑", "认证", "我的村", "联系卡", "名片", "驻点", "驻点日", "驻点时间", "接单", "详情", "备注",
            "转办", "上报", "改类", "办结", "我的", "进度", "查询", "满意", "不满意", "周报", "超时", "日志", "公告",
            "议题", "月报", "排名", "督查", "帮助", "help", "?", "？", "1", "2", "我要反映", "选择", "答复",
            "是/否", "是", "否", "不是"]
ODD_TEXT = st.sampled_from(["]]>", "<![CDATA[", "&amp;", "&#0;", "\x00", "\u3000", "JH-2026-00001", "JH-2026-",
                            "-1", "99999999999999999999", "1e309", "nan", "%s", "{number}", "{}", "🙂" * 50,
                            "\u202e", "' OR 1=1 --", "../../etc/passwd", "新高园村", "周干事", "农业生产", "到岗"])
TEXT = st.one_of(st.text(max_size=80), ODD_TEXT, st.lists(ODD_TEXT, max_size=4).map(" ".join))
NUMBERS = st.one_of(st.integers(-2**70, 2**70).map(str), st.floats(allow_nan=True).map(str), TEXT)


def _element(tag: str, value: str, cdata: bool) -> str:
    return f"<{tag}><![CDATA[{value}]]></{tag}>" if cdata else f"<{tag}>{value}</{tag}>"


@st.composite
def push(draw) -> bytes:
    """A push body: mostly WeChat-shaped XML with hostile fields, sometimes raw garbage."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=600))
    fields = {"ToUserName": wechat.ACCOUNT, "FromUserName": draw(st.one_of(st.just("o_fuzz"), TEXT)),
              "CreateTime": draw(st.one_of(st.just("1700000000"), NUMBERS)),
              "MsgType": draw(st.one_of(st.sampled_from(KINDS), TEXT)), "MsgId": draw(NUMBERS)}
    for tag in draw(st.lists(st.sampled_from(TAGS), max_size=6)):
        fields[tag] = draw(st.one_of(TEXT, NUMBERS, st.sampled_from(EVENTS)))
    parts = [_element(tag, value, draw(st.booleans())) for tag, value in fields.items()]
    if draw(st.booleans()):
        parts = draw(st.permutations(parts))
    if draw(st.integers(0, 5)) == 0:
        parts.insert(draw(st.integers(0, len(parts))), draw(st.sampled_from(
            ["<Content><a>nested</a></Content>", "<MsgId>1</MsgId><MsgId>2</MsgId>", "<!-- x -->", "<x", "&bogus;"])))
    return ("<xml>" + "".join(parts) + "</xml>").encode("utf-8", "surrogatepass")


@st.composite
def query(draw) -> dict:
    """A query string: usually a valid signature, plus random or missing fields."""
    args = wechat.signed_query() if draw(st.integers(0, 3)) else {}
    for key in draw(st.lists(st.sampled_from(["signature", "timestamp", "nonce", "encrypt_type", "msg_signature",
                                              "openid", "echostr", "x"]), max_size=3)):
        args[key] = draw(st.one_of(TEXT, st.sampled_from(["aes", "raw", ""])))
    return args


@st.composite
def command(draw) -> str:
    """A chat line: a command word (or none) and hostile arguments."""
    word = draw(st.one_of(st.sampled_from(COMMANDS), TEXT))
    separator = draw(st.sampled_from([" ", "\u3000", "", "  ", "\n"]))
    return word + separator + draw(TEXT)


ROLES = {"resident": "o_ah", "unbound": "o_stranger", "member": "o_huang", "leader": "o_chen", "secretary": "o_lin",
         "supervisor": "o_zhao", "admin": "o_admin"}


def prepare(runtime) -> None:
    """A roster with one bound resident and one cadre per role; no rate limit (the fuzzer is one busy user)."""
    from tests import roster_fixture

    runtime.config["abuse"] = {"rate_limit_per_minute": 0}
    with runtime.Session.begin() as session:
        rows = roster_fixture.build(session)
        roster_fixture.cadre(session, "管理员", "admin", "admin")
        roster_fixture.resident(session, "o_ah", rows["village"])


def failed_messages(runtime) -> list[tuple[str, str]]:
    """The (openid, content) of every message whose handler raised."""
    from sqlalchemy import select

    from models import InboundMessage

    with runtime.Session() as session:
        return session.execute(select(InboundMessage.openid, InboundMessage.content)
                               .where(InboundMessage.failed.is_(True))).all()


def post_raw(client, body: bytes, args: dict):
    """POST ``body`` to /wechat with the query ``args``, as anyone on the internet could."""
    from urllib.parse import urlencode

    return client.post("/wechat?" + urlencode(args), data=body, content_type="text/xml")
