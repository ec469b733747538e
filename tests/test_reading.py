"""The reading step, per kind of message, as villagers and cadres would write (bot/reading, handlers/reading.py)."""
from datetime import timedelta

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import cli
from bot.reading.evaluate import build_roster
from models import Case, CaseEvent, CaseReporter, KnowledgeEntry, Notification, Resident
from tests.dialog import Chat
from tests.roster_fixture import NOW
from tests.wechat import say

LEADER, MEMBER = "13911110002", "13911110003"


@pytest.fixture
def roster(runtime):
    """白石镇东坑村 (leader 梁志强, member 何秀兰, secretary 陈书记) and a bound resident o_a."""
    with runtime.Session.begin() as session:
        ids = build_roster(session)
        session.add(Resident(openid="o_a", village_id=ids["village"], bound_at=NOW - timedelta(days=30)))
    return ids


@pytest.fixture
def chat(runtime, roster):
    return Chat(runtime, NOW)


def cases(runtime) -> list[Case]:
    with runtime.Session() as session:
        return session.scalars(select(Case).order_by(Case.id)).all()


def pushes(runtime) -> list[Notification]:
    with runtime.Session() as session:
        return session.scalars(select(Notification).order_by(Notification.id)).all()


def resolved_case(runtime, roster, number: str, openid: str = "o_a") -> None:
    """A complaint of ``openid`` resolved by the leader, waiting for the resident's verdict."""
    with runtime.Session.begin() as session:
        resident = session.scalar(select(Resident).where(Resident.openid == openid))
        case = Case(number=number, village_id=roster["village"], resident_id=resident.id, text="村口路灯坏了",
                    category="城乡建设", state="resolved", owner_id=roster["leader"], answer="已换新灯",
                    received_at=NOW - timedelta(days=5), updated_at=NOW - timedelta(days=1),
                    contact_due_at=NOW, resolve_due_at=NOW, resolved_at=NOW - timedelta(days=1))
        session.add_all([case, CaseReporter(case=case, resident=resident, text=case.text, joined_at=case.received_at)])


# --- small talk: one short warm reply, never a case, never a push -----------------------------

@pytest.mark.parametrize("said", ["你好", "在吗", "谢谢你们", "辛苦了", "好的收到", "👍🏻", "[抱拳][抱拳]", "唔该你", "hello"])
def test_small_talk_gets_a_short_reply_and_files_nothing(chat, runtime, said):
    reply = chat.say("o_a", said)
    assert reply and len(reply) <= 40 and "常用指令" not in reply
    assert cases(runtime) == [] and pushes(runtime) == []
    assert "还没有反映过问题" in chat.say("o_a", "进度")


@pytest.mark.parametrize("said", ["好的 那就酱", "谢谢 大热天的"])
def test_small_talk_with_a_few_unknown_words_files_nothing(chat, runtime, said):
    assert chat.say("o_a", said)
    assert cases(runtime) == [] and pushes(runtime) == []


@pytest.mark.parametrize("said", ["村長講嘢好惡 仲話我哋係刁民", "去村委办事 干部在玩手机 爱理不理的"])
def test_a_complaint_holding_a_pleasantry_or_a_phone_is_filed(chat, runtime, said):
    """好 inside 好恶 is no acknowledgement, a phone being played with is not asked for."""
    assert "案件编号" in chat.say("o_a", said)
    assert len(cases(runtime)) == 1


@pytest.mark.parametrize("said", ["今天好热啊", "有空来我们村喝茶啊"])
def test_a_text_with_no_sign_of_a_problem_is_asked_about_not_filed(chat, runtime, said):
    reply = chat.say("o_a", said)
    assert "如果要反映问题" in reply and "案件编号" not in reply
    assert cases(runtime) == [] and pushes(runtime) == []


@pytest.mark.parametrize("said", ["我孙子教我用这个的 试试看", "吃饭了没", "刚才发错了 不好意思", "今日天气几好喔"])
def test_trying_the_bot_out_and_meal_greetings_are_small_talk(chat, runtime, said):
    assert "案件编号" not in chat.say("o_a", said)
    assert cases(runtime) == [] and pushes(runtime) == []


@pytest.mark.parametrize("said", ["你是真人吗", "你系咪机器人嚟㗎", "这个号是干什么用的", "你是真人还是自动回复"])
def test_asking_whether_the_bot_is_a_person_is_answered_and_files_nothing(chat, runtime, said):
    reply = chat.say("o_a", said)
    assert "自动助手" in reply and "联系卡" in reply
    assert cases(runtime) == [] and pushes(runtime) == []


def test_binding_by_a_name_in_traditional_characters(chat, runtime):
    assert "已绑定" in chat.say("o_new", "綁定：東坑村")


@pytest.mark.parametrize("said", ["你好 停水", "你好 狗咬人"])
def test_a_greeting_before_a_few_words_files_them(chat, runtime, said):
    assert "案件编号" in chat.say("o_a", said)
    assert len(cases(runtime)) == 1


def test_thanks_after_a_resolved_case_says_how_to_give_the_verdict(chat, runtime, roster):
    resolved_case(runtime, roster, "T1-2026-00003")
    reply = chat.say("o_a", "谢谢")
    assert "不客气" in reply and "T1-2026-00003" in reply and "满意" in reply
    assert len(cases(runtime)) == 1 and pushes(runtime) == []


def test_ok_after_filing_is_not_a_supplement(chat, runtime):
    receipt = chat.say("o_a", "村口的水泥路坏了 车子过不去")
    number = cases(runtime)[0].number
    assert number in receipt
    chat.tick(seconds=30)
    assert number in chat.say("o_a", "好的")
    assert cases(runtime)[0].text == "村口的水泥路坏了 车子过不去"  # not joined to the case


# --- questions the bot can answer: station day and contact card --------------------------------

@pytest.mark.parametrize("said", ["你们哪天来村里", "驻点在哪里", "下次什么时候驻点", "你哋下次几时嚟"])
def test_station_day_questions_get_the_station_day(chat, runtime, said):
    reply = chat.say("o_a", said)
    assert "星期三" in reply and "东坑村委会办公楼" in reply
    assert cases(runtime) == []


@pytest.mark.parametrize("said", ["书记电话多少", "找谁反映", "我们村的负责人是谁", "搵边个反映", "負責人電話"])
def test_contact_questions_get_the_card(chat, runtime, said):
    reply = chat.say("o_a", said)
    assert LEADER in reply and MEMBER in reply
    assert cases(runtime) == []


# --- questions it cannot answer: inquiries, answered by a cadre's command ----------------------

def test_open_question_becomes_an_inquiry_the_cadre_answers(chat, runtime, roster):
    reply = chat.say("o_a", "低保怎么申请")
    [case] = cases(runtime)
    assert (case.kind, case.category, case.assignee_id) == ("inquiry", "咨询", roster["leader"])
    assert case.number in reply and "梁志强" in reply and LEADER in reply
    assert case.resolve_due_at - case.received_at == timedelta(hours=48)  # its own, shorter limit
    [push] = pushes(runtime)
    assert push.recipient_id == roster["leader"] and "低保怎么申请" in push.content and f"答复 {case.number}" in push.content

    assert "用法" in chat.say("o_leader", f"答复 {case.number}")  # no answer text: nothing changes
    assert cases(runtime)[0].state == "assigned"
    assert "已答复" in chat.say("o_leader", f"答复 {case.number} 带户口本和身份证到镇社会事务办申请")
    case = cases(runtime)[0]
    assert case.state == "resolved" and case.owner_id == roster["leader"] and "户口本" in case.answer
    with runtime.Session() as session:
        actions = session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
    assert actions == ["receive", "assign", "accept", "resolve"]
    answer = pushes(runtime)[-1]
    assert answer.recipient_kind == "resident" and "户口本" in answer.content
    # A bare 满意 afterwards is not about the inquiry: inquiries wait for no verdict.
    assert "没有等待评价" in chat.say("o_a", "满意")


def test_answer_is_only_for_inquiries(chat, runtime):
    chat.say("o_a", "村口的水泥路坏了 车子过不去")
    number = cases(runtime)[0].number
    assert "不是咨询" in chat.say("o_leader", f"答复 {number} 好的")
    assert cases(runtime)[0].state == "assigned"


# --- the knowledge base --------------------------------------------------------------------------

@pytest.fixture
def cli_env(monkeypatch, settings_overrides):
    for name, value in settings_overrides.items():
        monkeypatch.setenv(name, value)
    return CliRunner()


def test_knowledge_base_answers_and_counts_after_import(chat, runtime, cli_env, tmp_path):
    source = tmp_path / "kb.yaml"
    source.write_text(yaml.safe_dump({"knowledge": [
        {"township": "白石镇", "questions": ["低保怎么申请", "低保去哪里办"], "keywords": ["低保"],
         "answer": "低保：带户口本到镇社会事务办申请。"},
        {"county": "示范县", "question": "医保每年交多少钱", "answer": "2026 年城乡居民医保个人缴费 400 元。"},
        {"township": "别的镇", "question": "村委会几点上班", "answer": "别处的答案"},
    ]}, allow_unicode=True), encoding="utf-8")
    result = cli_env.invoke(cli, ["knowledge", "import", str(source)])
    assert result.exit_code == 0 and "imported 3" in result.output

    assert "镇社会事务办" in chat.say("o_a", "请问低保要怎么申请")
    assert "400 元" in chat.say("o_a", "今年医保交多少钱")
    assert cases(runtime) == [] and pushes(runtime) == []
    chat.say("o_a", "村委会几点上班")  # only another township's entry: an inquiry
    assert [c.kind for c in cases(runtime)] == ["inquiry"]

    out = tmp_path / "out.yaml"
    assert cli_env.invoke(cli, ["knowledge", "export", str(out)]).exit_code == 0
    exported = yaml.safe_load(out.read_text(encoding="utf-8"))["knowledge"]
    assert [e["hits"] for e in exported] == [1, 1, 0]
    assert exported[0]["questions"] == ["低保怎么申请", "低保去哪里办"]


def test_bad_knowledge_file_imports_nothing(runtime, roster, cli_env, tmp_path):
    source = tmp_path / "bad.yaml"
    source.write_text("knowledge:\n  - question: 低保怎么申请\n    answer: 去镇里\n  - question: 没有答案\n",
                      encoding="utf-8")
    result = cli_env.invoke(cli, ["knowledge", "import", str(source)])
    assert result.exit_code == 1 and "第 2 条" in result.output
    with runtime.Session() as session:
        assert session.scalars(select(KnowledgeEntry)).all() == []


# --- emergencies -------------------------------------------------------------------------------------

def test_emergency_gets_advice_an_urgent_case_and_immediate_pushes(chat, runtime, roster):
    chat.now = NOW.replace(hour=15)  # 23:00 China time: quiet hours
    reply = chat.say("o_a", "隔壁屋着火了 快来人")
    assert "119" in reply
    [case] = cases(runtime)
    assert case.urgent and case.number in reply
    told = {(p.recipient_id, p.kind) for p in pushes(runtime) if p.urgent}
    assert (roster["leader"], "emergency") in told and (roster["secretary"], "emergency") in told
    assert all(p.urgent for p in pushes(runtime))  # urgent pushes pass the quiet hours


# --- commands, also mistyped ------------------------------------------------------------------------

def test_mistyped_resident_commands(chat, runtime, roster):
    resolved_case(runtime, roster, "T1-2026-00012")
    for said, expected in [("进渡", "T1-2026-00012"), ("近度", "T1-2026-00012"), ("进度：12", "已换新灯"),
                           ("进度 １２", "已换新灯"), ("联系咔", LEADER), ("lianxika", LEADER), ("驻店", "星期三"),
                           ("驻點時間", "星期三"), ("帮组", "常用指令"), ("帮肋", "常用指令")]:
        assert expected in chat.say("o_a", said), said
    assert len(cases(runtime)) == 1


def test_cadre_gives_case_numbers_by_their_last_digits(chat, runtime, roster):
    chat.say("o_a", "村口的水泥路坏了 车子过不去")
    number = cases(runtime)[0].number
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)  # ＱＳ－２０２６－０００１２ as a phone may type it
    for said in ("详情 1", "详情1", "详情：00001", f"详情{number.lower()}", "详情 １", f"详情{full_width}",
                 f"详情 {full_width}", "详情 1。", "详情-1", "详 情 1", "详细 1"):
        assert number in chat.say("o_leader", said), said
    assert "已接单" in chat.say("o_leader", "接单1")
    assert cases(runtime)[0].state == "accepted"
    assert "没有找到案件 99" in chat.say("o_leader", "详情 99")


def test_several_cases_ending_alike_are_asked_about(chat, runtime, roster):
    resolved_case(runtime, roster, "T1-2025-00007")
    resolved_case(runtime, roster, "T1-2026-00007")
    reply = chat.say("o_leader", "详情 7")
    assert "T1-2025-00007" in reply and "T1-2026-00007" in reply and "完整编号" in reply


# --- a verdict without a number ----------------------------------------------------------------------

def test_bare_verdict_applies_to_the_one_case_waiting(chat, runtime, roster):
    resolved_case(runtime, roster, "T1-2026-00004")
    assert "感谢" in chat.say("o_a", "很满意👍")
    assert cases(runtime)[0].state == "confirmed"


def test_bare_unsatisfied_reopens_with_its_reason(chat, runtime, roster):
    resolved_case(runtime, roster, "T1-2026-00004")
    assert "重新办理" in chat.say("o_a", "唔满意 搞咗咁耐都冇用")
    [case] = cases(runtime)
    assert case.state == "reopened"
    [push] = pushes(runtime)
    assert push.recipient_id == roster["leader"] and "搞咗咁耐都冇用" in push.content


def test_a_bare_unsatisfied_asks_why_and_the_next_message_is_the_reason(chat, runtime, roster):
    resolved_case(runtime, roster, "T1-2026-00004")
    asked = chat.say("o_a", "不满意")
    assert "T1-2026-00004" in asked and "哪里还不满意" in asked
    assert cases(runtime)[0].state == "resolved"  # nothing changes until the reason comes
    assert "重新办理" in chat.say("o_a", "路还是坑坑洼洼的")
    [case] = cases(runtime)  # the reason reopened the case; it was not filed as a new one
    assert case.state == "reopened"
    [push] = pushes(runtime)
    assert "路还是坑坑洼洼的" in push.content


def test_small_talk_after_the_reason_was_asked_reopens_nothing(chat, runtime, roster):
    resolved_case(runtime, roster, "T1-2026-00004")
    chat.say("o_a", "不满意")
    assert "重新办理" not in chat.say("o_a", "算了 没事")
    assert cases(runtime)[0].state == "resolved" and pushes(runtime) == []


def test_several_cases_waiting_ask_which_then_the_answer_applies(chat, runtime, roster):
    resolved_case(runtime, roster, "T1-2026-00004")
    resolved_case(runtime, roster, "T1-2026-00005")
    reply = chat.say("o_a", "不满意 还是没修好")
    assert "T1-2026-00004" in reply and "T1-2026-00005" in reply
    assert {c.state for c in cases(runtime)} == {"resolved"}
    assert "请回复 1 到 2" in chat.say("o_a", "7")
    assert "重新办理" in chat.say("o_a", "2")
    states = {c.number: c.state for c in cases(runtime)}
    assert states == {"T1-2026-00004": "reopened", "T1-2026-00005": "resolved"}  # listed newest first


def test_bare_verdict_with_nothing_waiting_changes_nothing(chat, runtime):
    assert "没有等待评价" in chat.say("o_a", "满意")
    assert cases(runtime) == []


def test_saying_one_wants_to_report_asks_for_it_and_the_next_message_files(chat, runtime):
    reply = chat.say("o_a", "你好 我想反映个情况")
    assert "您请说" in reply and cases(runtime) == [] and pushes(runtime) == []
    chat.tick(seconds=20)
    assert "案件编号" in chat.say("o_a", "村口的水泥路坏了 车子过不去")
    assert [c.text for c in cases(runtime)] == ["村口的水泥路坏了 车子过不去"]


# --- before binding ----------------------------------------------------------------------------------

def test_greeting_and_village_name_bind_without_a_case(chat, runtime):
    assert "哪个村" in chat.say("o_new", "你好")
    assert "已绑定：白石镇东坑村" in chat.say("o_new", "东坑村的")
    assert "已绑定" in chat.say("o_new", "绑定 东坑村")
    assert cases(runtime) == [] and "还没有反映过问题" in chat.say("o_new", "进度")


@pytest.mark.parametrize("said", ["我是东坑村村民 想反映点事", "東坑村嘅 有啲嘢想投訴", "我系白石镇东坑村嘅村民"])
def test_village_name_with_a_wish_to_report_binds_and_keeps_nothing(chat, runtime, said):
    assert "已绑定：白石镇东坑村" in chat.say("o_new", said)
    assert cases(runtime) == [] and "还没有反映过问题" in chat.say("o_new", "进度")


def test_a_few_words_saying_nothing_wrong_before_binding_are_not_kept(chat, runtime):
    assert "哪个村" in chat.say("o_new", "白石镇的")
    assert "已绑定" in chat.say("o_new", "绑定 东坑村")
    assert cases(runtime) == []


def test_a_short_complaint_before_binding_is_kept_and_filed_at_binding(chat, runtime):
    assert "已保存" in chat.say("o_new", "路灯不亮")
    reply = chat.say("o_new", "绑定 东坑村")
    [case] = cases(runtime)
    assert case.number in reply and case.text == "路灯不亮"


@pytest.mark.parametrize("said", ["东坑村路灯坏了好久", "东坑村的 水管爆了"])
def test_a_short_complaint_naming_the_village_is_kept_and_filed_at_binding(chat, runtime, said):
    chat.say("o_new", said)
    reply = chat.say("o_new", "绑定 东坑村")
    [case] = cases(runtime)
    assert case.text == said and case.number in reply


def test_a_wish_to_report_before_binding_asks_the_village_and_is_not_kept(chat, runtime):
    assert "哪个村" in chat.say("o_new", "有个事想反映一下")
    assert "已绑定" in chat.say("o_new", "东坑村")
    assert cases(runtime) == []


def test_complaint_and_photo_before_binding_are_filed_together_after(chat, runtime):
    assert "已保存" in chat.say("o_new", "村口的水泥路坏了 车子过不去")
    assert "已保存" in chat.send("o_new", "image", media_id="MEDIA1")
    reply = chat.say("o_new", "东坑")  # the answer to "哪个村？"
    assert "已绑定" in reply
    [case] = cases(runtime)
    assert case.number in reply and case.text == "村口的水泥路坏了 车子过不去"
    assert case.media == [{"kind": "photo", "media_id": "MEDIA1"}]


@pytest.mark.parametrize("said", ["dongkeng", "Dongkeng cun", "dongkeng村"])
def test_a_village_name_typed_in_pinyin_binds(chat, runtime, said):
    assert "已绑定：白石镇东坑村" in chat.say("o_new", said)
    assert cases(runtime) == []


def test_unknown_village_answer_is_kept_nowhere(chat, runtime):
    chat.say("o_new", "你好")
    assert "绑定" in chat.say("o_new", "火星村")
    chat.say("o_new", "绑定 东坑村")
    assert cases(runtime) == []


# --- fragments, and Cantonese -------------------------------------------------------------------------

def test_a_complete_complaint_of_another_category_in_the_window_is_its_own_case(chat, runtime):
    chat.say("o_a", "村口的水泥路坏了")
    chat.tick(seconds=40)
    assert "已补充" in chat.say("o_a", "到处是坑")
    chat.tick(seconds=40)
    reply = chat.say("o_a", "工地老板拖欠工资两个月不给")
    assert [c.category for c in cases(runtime)] == ["交通运输", "劳动和社会保障"]
    assert cases(runtime)[1].number in reply


@pytest.mark.parametrize("addition", ["刚才忘了说，就在卫生院门口的诊所旁边", "地点在幼儿园和学校中间"])
def test_an_addition_naming_a_place_adds_to_the_case_whatever_its_words_suggest(chat, runtime, addition):
    chat.say("o_a", "村口的路灯坏了一个多星期，晚上黑漆漆的很危险")
    chat.tick(seconds=40)
    assert "已补充" in chat.say("o_a", addition)
    (case,) = cases(runtime)
    assert case.category == "城乡建设" and addition in case.text


def test_cantonese_complaint_is_filed_as_written_and_categorised_as_mandarin(chat, runtime):
    chat.say("o_a", "啲路燈壞咗好耐冇人修")
    chat.tick(minutes=5)
    chat.say("o_a", "路灯坏了很久没有人修")
    first, second = cases(runtime)
    assert first.text == "啲路燈壞咗好耐冇人修" and first.category == second.category == "城乡建设"


# --- through /wechat ----------------------------------------------------------------------------------

def test_reading_through_the_webhook(client, runtime, roster):
    assert "您好" in say(client, "o_a", "您好呀")
    assert "星期三" in say(client, "o_a", "驻点!")
    assert "梁志强" in say(client, "o_a", "新农合今年交多少钱")
    assert [c.kind for c in cases(runtime)] == ["inquiry"]


def test_dialogue_evaluate_prints_per_kind_and_the_accuracy(cli_env, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("kind,text,expect\nsmalltalk,谢谢,\nkb_station,驻点在哪里,\ncommand_typo,进渡,进度\n"
                    "complaint,学校乱收费 每个学生要交两百块资料费,教育文体\n", encoding="utf-8")
    result = cli_env.invoke(cli, ["dialogue", "evaluate", "--data", str(data), "--rules-only"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == "dialogue accuracy 1.0000"
    assert any(line.startswith("smalltalk") and "1/1" in line for line in lines)


def test_inquiries_are_counted_apart_from_complaints_in_the_weekly_summary(chat, runtime):
    chat.say("o_a", "低保怎么申请")
    chat.tick(minutes=5)
    chat.say("o_a", "村口的水泥路坏了 车子过不去")
    summary = chat.say("o_leader", "周报")
    assert "收到 1（0）件" in summary  # the complaint alone
    assert "群众咨询 1 件" in summary and "已答复 0" in summary
    assert "咨询 1" not in summary.split("群众咨询")[0]  # not among the complaints' categories


def test_demo_ships_its_knowledge_base_once(runtime):
    from pathlib import Path

    from bot.demo.data import import_demo_knowledge

    source = Path(__file__).resolve().parent.parent / "bot" / "demo" / "knowledge.yaml"
    import_demo_knowledge(runtime.Session, source)
    with runtime.Session.begin() as session:
        entries = session.scalars(select(KnowledgeEntry)).all()
        assert len(entries) >= 5 and all(e.answer and e.words for e in entries)
        session.delete(entries[0])  # an administrator's change
    import_demo_knowledge(runtime.Session, source)  # a second demo start keeps it
    with runtime.Session() as session:
        assert len(session.scalars(select(KnowledgeEntry)).all()) == len(entries) - 1


def test_emergency_before_binding_is_advised_then_filed_urgent_at_binding(chat, runtime, roster):
    reply = chat.say("o_new", "屋企着火喇 快啲嚟")
    assert "119" in reply and "哪个村" in reply and cases(runtime) == []
    assert "已绑定" in chat.say("o_new", "东坑村")
    [case] = cases(runtime)
    assert case.urgent and case.text == "屋企着火喇 快啲嚟"
    assert {(p.recipient_id, p.kind) for p in pushes(runtime) if p.kind == "emergency"} == {
        (roster["leader"], "emergency"), (roster["secretary"], "emergency")}


def test_before_binding_questions_are_not_kept_and_a_complaint_naming_the_village_binds_and_files(chat, runtime):
    assert "哪个村" in chat.say("o_new", "驻点干部哪天来")
    assert "哪个村" in chat.say("o_new", "低保怎么申请")
    reply = chat.say("o_new", "东坑村村口的路灯坏了好几天了")  # after "哪个村？": binds, and the complaint is filed
    assert "已绑定" in reply
    [case] = cases(runtime)
    assert case.text == "东坑村村口的路灯坏了好几天了" and case.number in reply
