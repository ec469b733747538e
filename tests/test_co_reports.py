"""Co-reports by consent, attacked through chat: nobody joins or reads another villager's case
by echoing a few of its words; a near-identical report is offered, and joining shows only the
case's public summary."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.delivery import schedules
from models import Case, CaseEvent, CaseReporter, CoReportOffer, Notification
from tests import roster_fixture
from tests.dialog import Chat
from tests.roster_fixture import NOW

VICTIM = "村口的水泥路坏了，到处是坑，车子过不去。我叫王秀英，电话13912345678，丈夫家暴，请别告诉他"
SAME = "村口水泥路坏了很多坑，车子都过不去了"
GROUPS = "一二三四五六七八九十"


@pytest.fixture
def chat(runtime):
    with runtime.Session.begin() as session:
        rows = roster_fixture.build(session)
        for name in ("ah", "bo", "cy", *(f"g{i}" for i in range(10))):
            roster_fixture.resident(session, f"o_{name}", rows["village"])
    return Chat(runtime, NOW)


def counts(runtime) -> tuple[int, int, int]:
    with runtime.Session() as session:
        return (session.scalar(select(func.count()).select_from(Case)),
                session.scalar(select(func.count()).select_from(CaseReporter)),
                session.scalar(select(func.count()).select_from(CaseEvent)))


def test_two_words_of_an_open_complaint_do_not_join_or_reveal_it(chat, runtime):
    chat.say("o_ah", VICTIM)
    chat.tick(minutes=10)
    reply = chat.say("o_bo", "村口修路")
    assert "JH-2026-00001" not in reply
    with runtime.Session() as session:
        assert session.scalar(select(func.count()).select_from(CoReportOffer)) == 0
        first = session.scalar(select(Case).where(Case.number == "JH-2026-00001"))
        assert first.reporters == 1
    assert "JH-2026-00001" not in chat.say("o_bo", "进度")
    for attack in ("进度 JH-2026-00001", "满意 JH-2026-00001", "不满意 JH-2026-00001 没修好"):
        before = counts(runtime)
        assert chat.say("o_bo", attack) == "没有找到案件 JH-2026-00001，请核对编号。"
        assert counts(runtime) == before


def test_a_near_identical_report_is_offered_and_the_offer_reveals_nothing(chat, runtime):
    chat.say("o_ah", VICTIM)
    chat.tick(minutes=10)
    before = counts(runtime)
    offer = chat.say("o_bo", SAME)
    assert "JH-2026-00001" in offer and "回复“是”并入" in offer and "回复“否”单独立案" in offer
    for secret in ("王秀英", "13912345678", "家暴", "丈夫"):
        assert secret not in offer
    assert counts(runtime) == before  # nothing joined or filed until they answer
    joined = chat.say("o_bo", "是")
    assert "JH-2026-00001" in joined and "2 位" in joined
    detail = chat.say("o_bo", "进度 JH-2026-00001")
    assert "车子都过不去了" in detail  # their own words
    for secret in ("王秀英", "13912345678", "家暴", "丈夫", "到处是坑"):
        assert secret not in detail
    # Only the first reporter gives the verdict; the co-reporter's attempt changes nothing.
    chat.say("o_huang", "接单 JH-2026-00001")
    chat.say("o_huang", "办结 JH-2026-00001 已修好")
    before = counts(runtime)
    assert "首位反映人" in chat.say("o_bo", "满意 JH-2026-00001")
    assert "首位反映人" in chat.say("o_bo", "不满意 JH-2026-00001 没修好")
    assert counts(runtime) == before
    assert "感谢" in chat.say("o_ah", "满意 JH-2026-00001")


def test_no_files_the_report_as_its_own_case(chat, runtime):
    chat.say("o_ah", VICTIM)
    chat.tick(minutes=10)
    chat.say("o_bo", SAME)
    reply = chat.say("o_bo", "否")
    assert "JH-2026-00002" in reply
    with runtime.Session() as session:
        first = session.scalar(select(Case).where(Case.number == "JH-2026-00001"))
        assert first.reporters == 1
        assert session.scalar(select(Case.text).where(Case.number == "JH-2026-00002")) == SAME


def test_an_unanswered_offer_is_filed_apart_never_lost(chat, runtime, app):
    chat.say("o_ah", VICTIM)
    chat.tick(minutes=10)
    chat.say("o_bo", SAME)
    chat.say("o_cy", SAME)
    # o_cy writes on instead of answering: their waiting report is filed first.
    chat.tick(minutes=1)
    assert "JH-2026-00002" in chat.say("o_cy", "另外村里的路灯也坏了好几盏，晚上很黑")
    # o_bo never answers: the scheduler files the report once the offer expires.
    with app.app_context():
        assert schedules.co_report_job(chat.now + timedelta(minutes=5)) == 0
        assert schedules.co_report_job(chat.now + timedelta(minutes=31)) == 1
    with runtime.Session() as session:
        bo = session.scalar(select(Case).where(Case.resident_id == 2))
        assert bo is not None and bo.text == SAME
        assert session.scalar(select(func.count()).select_from(CoReportOffer)) == 0


def test_reports_about_canals_of_different_groups_stay_separate_cases(chat, runtime):
    for i, group in enumerate(GROUPS):
        reply = chat.say(f"o_g{i}", f"{group}组的水渠堵了，水流不下去，田里都淹了，请派人疏通")
        assert "并入" not in reply, reply
        chat.tick(minutes=3)
    with runtime.Session() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == len(GROUPS)


def test_only_the_first_reporter_is_asked_for_the_verdict(chat, runtime, app):
    chat.say("o_ah", VICTIM)
    chat.tick(minutes=10)
    chat.say("o_bo", SAME)
    chat.say("o_bo", "是")
    chat.say("o_huang", "接单 JH-2026-00001")
    chat.say("o_huang", "办结 JH-2026-00001 已修好")
    with runtime.Session() as session:
        answers = {p.recipient_id: p.content for p in session.scalars(select(Notification).where(
            Notification.kind == "answer"))}
    assert set(answers) == {1, 2} and "满意" in answers[1] and "满意" not in answers[2]
    with app.app_context():
        assert schedules.followup_job(datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)) == 1
    with runtime.Session() as session:
        [asked] = session.scalars(select(Notification).where(Notification.kind == "followup")).all()
    assert asked.recipient_id == 1
