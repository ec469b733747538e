"""What a cadre needs to act, as dialogues: pushes that carry the case, 回复, 电话, 关闭, 代录, 在办,
我的 pages, 周报 人员, routing reasons, per-category time limits, and a leaving cadre's hand-over."""
from datetime import timedelta

import pytest
import yaml
from sqlalchemy import select

from bot.roster.importer import import_roster
from models import Cadre, Case, CaseEvent, Notification, Resident
from tests import roster_fixture
from tests.dialog import Chat
from tests.roster_fixture import NOW
from tests.test_cases import ROAD, ledger, only_case, pushes

N1 = "JH-2026-00001"


@pytest.fixture
def roster(runtime):
    """The test roster, committed; returns ids by short name."""
    with runtime.Session.begin() as session:
        rows = roster_fixture.build(session)
        residents = {name: roster_fixture.resident(session, f"o_{name}", rows["village"]) for name in ("ah", "bo")}
        return {k: v.id for k, v in {**rows, **residents}.items()}


@pytest.fixture
def chat(runtime, roster):
    return Chat(runtime, NOW)


def accepted_road_case(chat) -> None:
    """Resident ah reports the road; 黄主任 accepts it."""
    chat.say("o_ah", ROAD)
    chat.say("o_huang", f"接单 {N1}")


# Pushes that carry the case

def test_new_case_push_says_village_category_text_due_time_and_the_command(chat, runtime, roster):
    chat.say("o_ah", ROAD)
    [push] = pushes(runtime, "new_case")
    assert push.content.startswith(f"【新案件】{N1} 新高园村·交通运输")
    assert ROAD in push.content and "11月25日 10:00 前联系群众" in push.content  # 24 h after 10:00
    assert f"接单 {N1}" in push.content and "进度" not in push.content  # never a command cadres are refused
    assert push.title == "新案件 新高园村·交通运输"


def test_a_long_text_is_cut_to_80_characters_in_the_push(chat, runtime):
    chat.say("o_ah", ROAD + "，" + "路面塌陷" * 30)
    [push] = pushes(runtime, "new_case")
    excerpt = push.content.splitlines()[1]
    assert len(excerpt) == 80 and excerpt.endswith("…")


def test_transfer_escalation_and_reopening_say_what_happened(chat, runtime, roster):
    chat.say("o_ah", ROAD)
    chat.say("o_huang", f"转办 {N1} 周干事")
    transferred = [p for p in pushes(runtime, "new_case") if p.recipient_id == roster["farm"]][0]
    assert transferred.content.startswith(f"【转办给您】{N1} 新高园村·交通运输（黄主任转来）")
    assert "新案件" not in transferred.content and transferred.title.startswith("转办给您")
    chat.say("o_zhou", f"接单 {N1}")
    chat.say("o_zhou", f"上报 {N1} 需要县交通局立项")
    [up] = pushes(runtime, "escalated")
    assert "理由：需要县交通局立项" in up.content and ROAD in up.content and up.title == "上报：需要县交通局立项"
    chat.say("o_zhou", f"办结 {N1} 已修好")
    chat.say("o_ah", f"不满意 {N1} 还是有坑")
    [again] = pushes(runtime, "reopened")
    assert again.content.startswith(f"【群众不满意】{N1} 新高园村·交通运输") and "原因：还是有坑" in again.content
    assert f"办结 {N1} 答复" in again.content


# Routing as the card says, and time limits per category

def test_receipt_and_detail_say_who_and_why(chat, runtime):
    reply = chat.say("o_ah", ROAD)
    assert "黄主任（镇农办主任，驻点团队中负责交通运输）" in reply
    assert "分派原因：驻点团队中负责交通运输" in chat.say("o_huang", f"详情 {N1}")


def test_a_category_nobody_on_the_team_handles_goes_to_the_leader_who_is_told_why(chat, runtime, roster):
    reply = chat.say("o_ah", "孩子上学的学校食堂饭菜太差，老师还乱收补课费")
    case = only_case(runtime)
    assert case.category == "教育文体" and case.assignee_id == roster["leader"]
    assert "团队无人负责教育文体，由组长办理" in reply


def test_public_order_has_its_own_shorter_time_limits(chat, runtime):
    chat.say("o_ah", "晚上有人打架斗殴，还有小偷偷东西，派出所也不管")
    case = only_case(runtime)
    assert case.category == "治安"
    limits = runtime.config["time_limits"]["categories"]["治安"]
    assert case.contact_due_at - case.received_at == timedelta(hours=limits["contact_hours"])
    assert case.resolve_due_at - case.received_at == timedelta(days=limits["resolve_days"])


# 回复 N 内容

def test_the_owner_replies_to_every_reporter_and_it_is_in_the_ledger(chat, runtime, roster):
    accepted_road_case(chat)
    chat.tick(hours=1)
    chat.say("o_bo", "村口水泥路坏了很多坑，车子都过不去了")
    chat.say("o_bo", "是")  # joins the case when offered
    assert "2 位群众" in chat.say("o_huang", f"回复 {N1} 明天上午到现场看，请在家等")
    replies = pushes(runtime, "reply")
    assert {p.recipient_id for p in replies} == {roster["ah"], roster["bo"]}
    assert all("明天上午到现场看" in p.content and "黄主任" in p.content for p in replies)
    assert ledger(runtime, only_case(runtime).id)[-1] == "reply"


@pytest.mark.parametrize("who, said, expected", [
    ("o_zhou", f"回复 {N1} 你好", "无权"),  # not their case
    ("o_huang", f"回复 {N1}", "用法"),  # nothing to say
    ("o_huang", "回复 JH-2026-09999 你好", "没有找到"),
    ("o_ah", f"回复 {N1} 你好", "没有使用"),  # a resident
])
def test_reply_refusals_change_nothing(chat, runtime, who, said, expected):
    accepted_road_case(chat)
    assert expected in chat.say(who, said)
    assert pushes(runtime, "reply") == [] and "reply" not in ledger(runtime, only_case(runtime).id)


def test_an_assignee_must_accept_before_replying(chat, runtime):
    chat.say("o_ah", ROAD)
    assert "无权" in chat.say("o_huang", f"回复 {N1} 你好")
    assert pushes(runtime, "reply") == []


# 电话 N: the phone a resident chose to leave

def test_phone_is_asked_once_and_shown_to_the_owner_alone(chat, runtime, roster):
    assert "留电话" in chat.say("o_ah", ROAD)
    chat.tick(minutes=5)
    assert "留电话" not in chat.say("o_ah", "另外村里的路灯也坏了好几盏，晚上很黑")  # asked once only
    chat.say("o_huang", f"接单 {N1}")
    assert "没有留电话" in chat.say("o_huang", f"电话 {N1}")
    assert "留电话 13800138000" in chat.say("o_ah", "留电话 12345")
    assert "13800138000" in chat.say("o_ah", "留电话 138-0013-8000")
    assert "13800138000" in chat.say("o_huang", f"电话 {N1}")
    assert "仅案件负责人" in chat.say("o_chen", f"电话 {N1}")  # not even the leader
    assert "13800138000" not in chat.say("o_chen", f"详情 {N1}")
    assert "无权" in chat.say("o_zhou", f"电话 {N1}")


def test_the_assignee_sees_no_phone_before_accepting(chat, runtime):
    chat.say("o_ah", ROAD)
    chat.say("o_ah", "留电话 13800138000")
    assert "接单" in chat.say("o_huang", f"电话 {N1}") and "13800138000" not in chat.say("o_huang", f"电话 {N1}")


# 关闭 N 理由

def test_the_owner_closes_without_solving_and_the_reporter_is_told(chat, runtime, roster):
    accepted_road_case(chat)
    assert "已关闭" in chat.say("o_huang", f"关闭 {N1} 属于省道，不归镇里管")
    case = only_case(runtime)
    assert case.state == "closed_unresolved" and ledger(runtime, case.id)[-1] == "close_unresolved"
    [told] = pushes(runtime, "closed")
    assert told.recipient_id == roster["ah"] and "属于省道" in told.content
    assert "不能再关闭" in chat.say("o_huang", f"关闭 {N1} 再关一次")
    assert "用法" in chat.say("o_huang", f"关闭 {N1}")


def test_closing_needs_the_leaders_approval_when_configured(chat, runtime, roster):
    runtime.config["cases"]["close_needs_approval"] = True
    accepted_road_case(chat)
    assert "申请关闭" in chat.say("o_huang", f"关闭 {N1} 重复反映")
    assert only_case(runtime).state == "accepted"
    [ask] = pushes(runtime, "close_request")
    assert ask.recipient_id == roster["leader"] and "重复反映" in ask.content and f"关闭 {N1} 理由" in ask.content
    assert "已关闭" in chat.say("o_chen", f"关闭 {N1} 同意，与上月案件重复")
    assert only_case(runtime).state == "closed_unresolved"


# 代录 村名 姓名 [手机号] 内容

def test_a_cadre_records_a_case_for_a_villager_met_in_person(chat, runtime, roster):
    reply = chat.say("o_zhou", f"代录 新高园村 张阿婆 13900139000 {ROAD}")
    assert "已代录案件 JH-2026-00001" in reply and "张阿婆" in reply and "黄主任" in reply
    case = only_case(runtime)
    assert case.assignee_id == roster["road"] and case.state == "assigned"
    with runtime.Session() as session:
        resident = session.get(Resident, case.resident_id)
        assert (resident.name, resident.phone, resident.village_id) == ("张阿婆", "13900139000", roster["village"])
        receive = session.scalar(select(CaseEvent).where(CaseEvent.action == "receive"))
        assert (receive.actor_kind, receive.actor_id) == ("cadre", roster["farm"])
    assert "反映人：张阿婆（代录）" in chat.say("o_huang", f"详情 {N1}")
    chat.say("o_huang", f"接单 {N1}")
    assert "张阿婆 13900139000" in chat.say("o_huang", f"电话 {N1}")
    assert "已办结" in chat.say("o_huang", f"办结 {N1} 已修好")
    assert {p.recipient_kind for p in pushes(runtime)} == {"cadre"}  # nobody pushes to a villager without WeChat
    assert "已绑定群众 2 人" in chat.say("o_chen", "公告 新高园村 周二下午驻点")  # ah and bo, not 张阿婆


@pytest.mark.parametrize("said, expected", [
    ("代录 新高园村 张阿婆", "用法"),
    ("代录", "用法"),
    ("代录 河东社区 张阿婆 路坏了", "没有找到"),  # another township's village
    ("代录 不存在村 张阿婆 路坏了", "没有找到"),
])
def test_recording_refusals_file_nothing(chat, runtime, said, expected):
    assert expected in chat.say("o_zhou", said)
    with runtime.Session() as session:
        assert session.scalars(select(Case)).all() == []


def test_a_recorded_case_without_phone_is_filed_and_replies_stay_in_the_ledger(chat, runtime):
    assert "李伯" in chat.say("o_chen", f"代录 新高园 李伯 {ROAD}")  # an alias of the village
    case = only_case(runtime)
    with runtime.Session() as session:
        assert session.get(Resident, case.resident_id).phone == ""
    chat.say("o_huang", f"接单 {N1}")
    assert "没有留电话" in chat.say("o_huang", f"电话 {N1}")
    assert "没有微信" in chat.say("o_huang", f"回复 {N1} 下周修")
    assert ledger(runtime, case.id)[-1] == "reply" and pushes(runtime, "reply") == []


# 在办 and 我的 pages

def test_leader_lists_open_cases_oldest_first_with_owner_and_due_time(chat, runtime):
    accepted_road_case(chat)
    chat.tick(minutes=5)
    chat.say("o_bo", "我家的水稻得了病虫害，农药也不管用")
    reply = chat.say("o_chen", "在办")
    lines = reply.splitlines()
    assert lines[0].startswith("【在办案件】您的驻点村 共 2 件")
    assert lines[1].startswith(f"{N1} 新高园村·交通运输 黄主任") and "前（剩" in lines[1]
    assert lines[2].startswith("JH-2026-00002") and "周干事" in lines[2]
    assert "共 2 件" in chat.say("o_chen", "在办 新高园村")
    assert "目前没有在办案件" in chat.say("o_zheng", "在办")  # another team's leader
    assert "没有找到" in chat.say("o_chen", "在办 河东社区")
    assert "没有使用" in chat.say("o_huang", "在办")


def test_long_lists_are_paged(chat, runtime, roster):
    with runtime.Session.begin() as session:
        village, huang = session.get(roster_fixture.Village, roster["village"]), session.get(Cadre, roster["road"])
        resident = session.get(Resident, roster["ah"])
        for number in range(1, 26):
            received = NOW - timedelta(hours=30 - number)
            session.add(Case(number=f"JH-2026-{number:05d}", village=village, resident=resident, text="路坏了",
                             category="交通运输", state="accepted", owner=huang, received_at=received,
                             accepted_at=received, contact_due_at=received + timedelta(hours=24),
                             resolve_due_at=received + timedelta(days=7)))
    first = chat.say("o_huang", "我的").splitlines()
    assert len(first) == 21 and first[0].startswith("JH-2026-00001") and "我的 2" in first[-1]
    second = chat.say("o_huang", "我的 2").splitlines()
    assert second[0].startswith("JH-2026-00021") and len(second) == 6 and "第 2/2 页" in second[-1]
    page3 = chat.say("o_chen", "在办 3").splitlines()
    assert page3[1].startswith("JH-2026-00021") and "第 3/3 页" in page3[-1] and "在办 1" in page3[-1]
    assert all(len(chat.say("o_chen", f"在办 {p}").encode()) <= 2048 for p in (1, 2, 3))


# 周报 人员

def test_weekly_per_cadre_gives_each_cadre_the_three_rates(chat, runtime):
    accepted_road_case(chat)
    chat.say("o_huang", f"办结 {N1} 已修好")
    chat.say("o_ah", f"满意 {N1}")
    chat.say("o_bo", "我家的水稻得了病虫害，农药也不管用")
    chat.tick(hours=30)  # 周干事 missed the contact limit
    lines = chat.say("o_chen", "周报 人员").splitlines()
    assert lines[0].startswith("【周报·人员】")
    huang = next(line for line in lines if line.startswith("黄主任"))
    zhou = next(line for line in lines if line.startswith("周干事"))
    assert "响应率 100%" in huang and "解决率 100%" in huang and "满意率 100%" in huang
    assert "响应率 0%" in zhou and "满意率 —" in zhou
    assert "没有使用" in chat.say("o_huang", "周报 人员")


# 日志 村名 内容 for a leader of several villages

def test_a_leader_of_two_villages_chooses_the_diary_village(chat, runtime, roster):
    with runtime.Session.begin() as session:
        session.get(roster_fixture.Village, roster["village2"]).team_id = \
            session.get(roster_fixture.Village, roster["village"]).team_id
    assert "东风村" in chat.say("o_chen", "日志 东风村 走访了三户低保户")
    assert "新高园村" in chat.say("o_chen", "日志 走访了五保户")


# A leaving cadre's open cases go to the team leader

def test_a_cadre_dropped_from_the_roster_hands_open_cases_to_the_leader(runtime, tmp_path):
    demo = yaml.safe_load(open("bot/demo/roster.yaml", encoding="utf-8"))
    import_roster(runtime.Session, "bot/demo/roster.yaml", config=runtime.config)
    with runtime.Session.begin() as session:
        zhou = session.scalar(select(Cadre).where(Cadre.name == "周干部"))
        zhou.openid = "o_zhou_qs"
        resident = roster_fixture.resident(session, "o_villager", None)
        village = session.scalar(select(roster_fixture.Village).where(roster_fixture.Village.name == "上坪村"))
        resident.village, resident.bound_at = village, NOW
    chat = Chat(runtime, NOW)
    chat.say("o_villager", ROAD)
    chat.tick(hours=1)
    chat.say("o_zhou_qs", "接单 QS-2026-00001")
    chat.say("o_villager", "另外村里的路灯也坏了好几盏，晚上很黑，请尽快修好")
    for village in demo["townships"][0]["villages"][:2]:
        village["team"]["members"] = [m for m in village["team"]["members"] if m["name"] != "周干部"]
    changed = tmp_path / "roster.yaml"
    changed.write_text(yaml.safe_dump(demo, allow_unicode=True), encoding="utf-8")
    counts = import_roster(runtime.Session, changed, config=runtime.config)
    assert counts["cadres deactivated"] == 1 and counts["cases handed over"] == 2
    with runtime.Session() as session:
        leader = session.scalar(select(Cadre).where(Cadre.name == "陈组长"))
        cases = session.scalars(select(Case).order_by(Case.id)).all()
        assert [(c.owner_id, c.assignee_id) for c in cases] == [(leader.id, None), (None, leader.id)]
        assert [e.action for e in session.scalars(select(CaseEvent).where(CaseEvent.action == "hand_over"))] == \
            ["hand_over", "hand_over"]
        [push] = session.scalars(select(Notification).where(Notification.kind == "hand_over")).all()
        assert push.recipient_id == leader.id and "周干部" in push.content and "2 件" in push.content
        assert "QS-2026-00001" in push.content and "QS-2026-00002" in push.content
    assert +import_roster(runtime.Session, changed, config=runtime.config) == {}  # nothing twice


# Routing as the card says: the member listed under the village for the category comes first

def test_a_case_goes_to_the_member_listed_under_its_village_for_the_category(runtime, tmp_path):
    demo = yaml.safe_load(open("bot/demo/roster.yaml", encoding="utf-8"))
    shangping, dongshan = demo["townships"][0]["villages"][:2]
    # 周干部 handles 交通运输 for the team but is listed under 上坪村 only; 邓干部 under 东山村 for it.
    dongshan["team"]["members"] = [m for m in dongshan["team"]["members"] if m["name"] != "周干部"] + [
        {"name": "邓干部", "position": "镇城建办", "phone": "13900000099", "wechat": "deng_qs",
         "categories": ["交通运输"]}]
    path = tmp_path / "roster.yaml"
    path.write_text(yaml.safe_dump(demo, allow_unicode=True), encoding="utf-8")
    import_roster(runtime.Session, path, config=runtime.config)
    with runtime.Session.begin() as session:
        villages = {v.name: v for v in session.scalars(select(roster_fixture.Village))
                    if v.township.name == "青山镇"}  # 白水街道 has a 东山村 too
        for openid, name in (("o_a", "上坪村"), ("o_b", "东山村")):
            resident = roster_fixture.resident(session, openid, None)
            resident.village, resident.bound_at = villages[name], NOW
    chat = Chat(runtime, NOW)
    assert "邓干部（镇城建办，联系卡上东山村的交通运输联系人）" in chat.say("o_b", ROAD)
    assert "周干部（镇人大代表，联系卡上上坪村的交通运输联系人）" in chat.say("o_a", ROAD)
    card = chat.say("o_b", "联系卡")
    assert "邓干部" in card and "周干部" not in card and "吴主任" not in card  # each village's own people
    assert "周干部" in chat.say("o_a", "联系卡")
    assert +import_roster(runtime.Session, path, config=runtime.config) == {}  # the listing round-trips
