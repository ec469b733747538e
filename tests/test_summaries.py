"""Leaders', secretaries' and supervisors' chat commands: summaries, agenda, ranking, records."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.delivery.schedules import weekly_summary_job
from bot.reports.summary_image import too_long
from models import Announcement, DiaryEntry, Notification, Village
from tests.case_factory import china, known_world
from tests.dialog import Chat
from tests.roster_fixture import NOW

REFUSED = "没有使用"


@pytest.fixture
def world(runtime):
    """The roster, residents and the known week (16-22 Nov); now is Tuesday 24 Nov, 10:00."""
    with runtime.Session.begin() as session:
        r, residents, cases = known_world(session)
        return {k: getattr(v, "number", None) or v.id for k, v in {**r, **cases}.items()}


@pytest.fixture
def chat(runtime, world):
    return Chat(runtime, NOW)


def rows(runtime, model, **where):
    with runtime.Session() as session:
        return session.scalars(select(model).filter_by(**where).order_by(model.id)).all()


def test_leader_weekly_summary_compares_this_week_with_last(chat, world):
    reply = chat.say("o_chen", "周报")
    assert "【周报】新高园村 11月23日–29日" in reply and "东风村" not in reply
    assert "收到 1（7）件，按时联系 0（5），办结 0（3），超时 1（2）" in reply
    assert "响应率 0%（71%），解决率 —（75%），满意率 —（67%）" in reply
    assert "分类：交通运输 1" in reply and "民情日记 0 篇" in reply
    oldest = reply.split("最久未办结：")[1].strip().splitlines()
    assert [line.split()[0] for line in oldest] == [world[k] for k in ("before", "C", "E", "F", "G")]
    assert "负责人周干事" in oldest[1] and "负责人黄主任" in oldest[3]  # F is only assigned


def test_weekly_summary_of_a_named_village_respects_scope(chat, world):
    assert "【周报】东风村" in chat.say("o_zheng", "周报 东风")
    assert "不在您的范围内" in chat.say("o_chen", "周报 东风村")
    assert "不在您的范围内" in chat.say("o_he", "周报 新高园村")  # another township's secretary
    both = chat.say("o_lin", "周报")
    assert "【周报】新高园村" in both and "【周报】东风村" in both and "河东社区" not in both


@pytest.mark.parametrize("openid, command", [("o_huang", "周报"), ("o_huang", "超时"), ("o_zhou", "公告 新高园村 开会"),
                                             ("o_chen", "议题"), ("o_chen", "排名"), ("o_lin", "排名"),
                                             ("o_chen", "督查 新高园村 到岗"), ("o_ah", "周报"), ("o_zhao", "日志 走访")])
def test_commands_refuse_other_roles(chat, openid, command):
    assert REFUSED in chat.say(openid, command)


def test_overdue_lists_only_the_cadres_villages(chat, world):
    reply = chat.say("o_chen", "超时")
    assert reply.startswith("【超时案件】共 4 件")  # before, C, F and the unaccepted case of this week
    assert world["C"] in reply and world["F"] in reply and world["E"] not in reply
    assert chat.say("o_ma", "超时") == "目前没有超时案件。"


def test_secretary_agenda_groups_escalated_cases(chat, world):
    reply = chat.say("o_lin", "议题")
    assert "【镇专题会议题】金和镇 上报待议 1 件" in reply and "■ 交通运输（1 件）" in reply
    assert f"{world['E']} 新高园村 上报4天 负责人陈镇长：需镇里协调资金" in reply
    assert chat.say("o_he", "议题") == "目前没有上报到镇待议的案件。"


def test_monthly_summary_per_village_and_per_township(chat):
    secretary = chat.say("o_lin", "月报")
    assert "【月报】金和镇 2026年11月" in secretary
    assert "新高园村：收到 9（0） 响应率 56%" in secretary and "合计：收到 10（0）" in secretary
    supervisor = chat.say("o_zhao", "月报")
    assert "金和镇：收到 10" in supervisor and "河婆街道：收到 1" in supervisor


def test_ranking_puts_the_worst_township_first_with_absences(chat):
    assert "已记录督查：新高园村 11月24日 缺岗" in chat.say("o_zhao", "督查 新高园 缺岗 组长未到")
    assert "不在您的范围内" in chat.say("o_qian", "督查 新高园 到岗")
    assert "用法" in chat.say("o_zhao", "督查 新高园 迟到")
    lines = chat.say("o_zhao", "排名").splitlines()
    assert lines[0] == "【排名】揭西县 2026年11月，三率由低到高"
    assert lines[1].startswith("1. 金和镇") and "缺岗 1 次" in lines[1]
    assert lines[2].startswith("2. 河婆街道 响应率 100% 解决率 100% 满意率 100% 缺岗 0 次")
    assert "远县镇" not in "\n".join(lines)


def test_diary_entries_are_recorded_and_counted(chat, runtime, world):
    assert "已记入新高园村 11月24日 民情日记，本周第 1 篇" in chat.say("o_huang", "日志 走访五保户三户")
    reply = chat.say("o_huang", f"日志 {world['F']} 已电话联系群众")
    assert f"（关联案件 {world['F']}）" in reply and "本周第 2 篇" in reply
    [plain, linked] = rows(runtime, DiaryEntry)
    assert plain.case_id is None and linked.case_id is not None and linked.text == "已电话联系群众"
    assert "民情日记 2 篇" in chat.say("o_chen", "周报")
    assert chat.say("o_huang", "日志") == "用法：日志 内容，或 日志 案件编号 内容"


def test_announcement_reaches_bound_residents_with_a_daily_limit(chat, runtime, world):
    reply = chat.say("o_chen", "公告 新高园村 本周四下午在村委会召开村民大会")
    assert "已绑定群众 3 人" in reply
    pushes = rows(runtime, Notification, kind="announcement")
    assert len(pushes) == 3 and all("村民大会" in p.content and p.recipient_kind == "resident" for p in pushes)
    assert "不在您的范围内" in chat.say("o_chen", "公告 东风村 停水通知")
    for _ in range(2):
        chat.say("o_chen", "公告 新高园村 再次提醒")
    assert "今天已发 3 条公告" in chat.say("o_chen", "公告 新高园村 第四条")
    assert len(rows(runtime, Announcement)) == 3
    assert "送达 0/3，失败 0，待发 3" in chat.say("o_chen", "公告")
    chat.tick(days=1)
    assert "已绑定群众" in chat.say("o_chen", "公告 新高园村 新的一天")


def test_text_limit_is_counted_in_utf8_bytes(runtime):
    assert not too_long(runtime.config, "村" * 682 + "ab")  # 2,048 bytes
    assert too_long(runtime.config, "村" * 683)  # 2,049 bytes


def test_a_long_summary_becomes_a_chart_notification(chat, runtime, world):
    with runtime.Session.begin() as session:  # ten more villages make the township's 周报 long
        jh = session.get(Village, world["village"]).township
        session.add_all([Village(name=f"第{i}村", township=jh) for i in range(10)])
    reply = chat.say("o_lin", "周报")
    assert len(reply.encode()) < 300 and "图表" in reply and "/dashboard/" in reply
    [push] = rows(runtime, Notification, kind="image_summary")
    assert push.recipient_id == world["secretary"] and '"labels": ["新高园村", "东风村", "第0村"' in push.content


def test_monday_push_sends_last_week_to_every_leader_once(app, runtime, world):
    with app.app_context():
        assert weekly_summary_job(china(11, 30, 7, 59)) is False
        assert weekly_summary_job(china(11, 30, 8, 5)) is True
        assert weekly_summary_job(china(11, 30, 8, 10)) is False  # once per Monday
    pushes = rows(runtime, Notification, kind="weekly_summary")
    assert {p.recipient_id for p in pushes} == {world["leader"], world["leader2"], world["other_leader"]}
    mine = next(p for p in pushes if p.recipient_id == world["leader"])
    assert "【周报】新高园村 11月23日–29日" in mine.content and "收到 1（7）件" in mine.content
    assert mine.title == "周报 11月23日–29日"


def test_weekly_summary_shows_pushes_that_were_given_up(chat, runtime, world):
    assert "推送失败" not in chat.say("o_chen", "周报")
    from models import Case

    with runtime.Session.begin() as session:
        case_id = session.scalar(select(Case.id).where(Case.village_id == world["village"]).order_by(Case.id.desc()))
        session.add(Notification(source="test:given_up", recipient_kind="resident", recipient_id=1,
                                 kind="answer", case_id=case_id, content="x", state="given_up",
                                 last_error="43004 user unfollowed", created_at=NOW - timedelta(hours=1)))
    assert "推送失败 1 条" in chat.say("o_chen", "周报")


def test_weekly_summary_says_when_a_channel_is_paused_by_the_daily_quota(chat, runtime):
    from bot.delivery.channels import TEMPLATE
    from bot.delivery.pauses import pause

    assert "额度已用完" not in chat.say("o_chen", "周报")
    pause(runtime.redis, TEMPLATE, NOW)
    assert "模板消息今日额度已用完，暂停至 11月25日 00:00" in chat.say("o_chen", "周报")
