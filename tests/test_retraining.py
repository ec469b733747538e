"""Learning from cadres' 改类: the weekly job retrains, the new model goes live in the running app
when it is not worse, and an unsure case goes to the leader as 待分类 with two suggestions."""
import csv
from datetime import datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cases import classifier as clf
from bot.cases import training
from bot.cases.model_store import live_version, store
from bot.cases.retraining import not_worse
from bot.commands.classifier import classifier as classifier_cli
from bot.delivery import schedules
from bot.timefmt import CHINA
from models import Case, ClassifierModel, Notification
from tests.dialog import Chat
from tests.roster_fixture import NOW
from tests.test_classifier import SMALL

TEXT = "村头养鸡场的鸡蛋价格天天乱涨，没人管"
SIMILAR = "养鸡场的鸡蛋价格乱涨"
ROADS = [("村道坑坑洼洼，公交车开不进来", "交通运输"), ("公交站牌倒了，班车也不按时来", "交通运输"),
         ("客运班车超载，司机开得太快", "交通运输"), ("路口红绿灯坏了，车辆乱开", "交通运输")] * 3
SUNDAY_3AM = datetime(2026, 11, 29, 3, 0, tzinfo=CHINA)


class Clock:
    """A monotonic clock the test moves, for the live model's reload check."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def small_data(tmp_path, monkeypatch):
    """A small labelled data folder in place of the shipped one (training stays fast)."""
    folder = tmp_path / "data"
    folder.mkdir()
    with open(folder / "complaints.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["title", "body", "label"])
        writer.writerows([("", text, label) for text, label in SMALL + ROADS])
    monkeypatch.setenv("BOT_TRAINING_DATA", str(folder))
    return folder


def fire(app, job, moment: datetime):
    """Run a scheduled job as the worker would, at ``moment``."""
    with app.app_context():
        return job(now=moment)


def case_number(reply: str) -> str:
    """The case number in a filing receipt."""
    return reply.split("案件编号 ")[1][:13]


def test_corrections_in_chat_reach_the_running_app_through_the_weekly_job(app, runtime, roster, small_data,
                                                                        database_url, monkeypatch):
    live = runtime.classifier
    live.clock = clock = Clock()
    talk = Chat(runtime, NOW)
    number = case_number(talk.say("o_ah", TEXT))
    assert "扶贫救助" not in talk.say("o_far", SIMILAR)  # rules only: nobody taught it yet
    assert "扶贫救助" in talk.say("o_chen", f"改类 {number} 扶贫救助")

    assert fire(app, schedules.retrain_job, datetime(2026, 11, 28, 3, 0, tzinfo=CHINA)) is False  # Saturday
    assert fire(app, schedules.retrain_job, datetime(2026, 11, 29, 2, 59, tzinfo=CHINA)) is False  # too early
    assert fire(app, schedules.retrain_job, SUNDAY_3AM) is True
    assert fire(app, schedules.retrain_job, SUNDAY_3AM.replace(hour=4)) is False  # once a week
    with runtime.Session() as session:
        row = session.scalar(select(ClassifierModel))
        assert row.accepted and row.corrections == 1 and live_version(session) == row.id
        assert row.figures["corrections"] == 1.0 and "title+body" in row.figures

    talk.tick(minutes=5)
    assert "扶贫救助" not in talk.say("o_bo", "养鸡场的鸡蛋价格又涨了")  # not checked yet: the old model
    clock.now += live.check_seconds
    reply = talk.say("o_far", "养鸡场鸡蛋价格乱涨")
    assert "（扶贫救助）" in reply, reply
    assert live.version == row.id

    monkeypatch.setenv("DATABASE_URL", database_url)
    status = CliRunner().invoke(classifier_cli, ["status"])
    assert status.exit_code == 0, status.output
    assert f"现用模型：版本 {row.id}" in status.output and "改类 1 条" in status.output
    assert "账本中的改类记录：1 条" in status.output and "标题+正文" in status.output


def test_a_worse_candidate_is_kept_apart_and_the_live_model_stays():
    live = {"title+body": 0.90, "corrections": 0.5}
    assert not_worse({"title+body": 0.897, "corrections": 0.5}, live, 0.005)
    assert not not_worse({"title+body": 0.89, "corrections": 1.0}, live, 0.005)
    assert not not_worse({"title+body": 0.95, "corrections": 0.4}, live, 0.005)
    assert not_worse({"title+body": 0.10}, None, 0.005)  # nothing live yet


def test_cli_retrain_refuses_a_candidate_worse_than_the_live_model(app, runtime, small_data, database_url,
                                                                   monkeypatch):
    better = training.train(training.load_split().train + [(TEXT, "商贸旅游")] * 3)
    with runtime.Session.begin() as session:
        store(session, better, samples=0, corrections=0, figures={}, accepted=True)
    rotate = {"教育文体": "环境保护", "环境保护": "交通运输", "交通运输": "教育文体"}
    with open(small_data / "complaints.csv", "w", newline="", encoding="utf-8") as f:  # training labels went wrong
        writer = csv.writer(f)
        writer.writerow(["title", "body", "label"])
        writer.writerows([("", text, label if training.is_test(training.Row("", text, label)) else rotate[label])
                          for text, label in SMALL + ROADS])
    monkeypatch.setenv("DATABASE_URL", database_url)
    result = CliRunner().invoke(classifier_cli, ["retrain"])
    assert result.exit_code == 0, result.output
    with runtime.Session() as session:
        rows = session.scalars(select(ClassifierModel).order_by(ClassifierModel.id)).all()
        assert [r.accepted for r in rows] == [True, False] and live_version(session) == rows[0].id
    assert "不优于现用模型，未替换" in result.output
    status = CliRunner().invoke(classifier_cli, ["status"])
    assert "现用模型：版本 1" in status.output and "最近一次重新训练：版本 2" in status.output


def test_status_without_any_stored_model(app, database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BOT_INSTANCE", str(app.extensions["bot"].settings.instance_path))
    result = CliRunner().invoke(classifier_cli, ["status"])
    assert result.exit_code == 0, result.output
    assert "账本中的改类记录：0 条" in result.output


def test_an_unsure_case_goes_to_the_leader_as_unsorted_with_two_suggestions(app, runtime, roster):
    model = training.train(SMALL + ROADS)
    model.temperature = 1.0  # a humbler model, unsure of a message that mixes two topics
    with runtime.Session.begin() as session:
        store(session, model, samples=len(SMALL + ROADS), corrections=0, figures={}, accepted=True)
    judge = clf.Classifier(runtime.config["categories"], model, min_confidence=0.0)
    text = "学校门口的公交站有污水 没人管"  # a problem told, three categories' keywords, none ahead
    guess = judge.classify(text)
    assert guess.confidence < runtime.config["classifier"]["min_confidence"], guess
    talk = Chat(runtime, NOW)
    reply = talk.say("o_ah", text)
    assert f"（{clf.UNSORTED}）" in reply
    number = case_number(reply)
    with runtime.Session() as session:
        case = session.scalar(select(Case))
        push = session.scalar(select(Notification).where(Notification.kind == "new_case"))
        assert case.assignee_id == roster["leader"] and case.suggested == list(guess.suggestions)
        assert push.recipient_id == roster["leader"] and "、".join(guess.suggestions) in push.content
    offered = talk.say("o_chen", f"改类 {number}")
    assert "、".join(guess.suggestions) in offered and f"改类 {number} {guess.suggestions[0]}" in offered
    assert "已改为" in talk.say("o_chen", f"改类 {number} {guess.suggestions[0]}")
    assert "没有“农药”这个类别" in talk.say("o_chen", f"改类 {number} 农药")


def test_a_bare_reclassify_of_a_sure_case_lists_every_category(chat, runtime, roster):
    number = case_number(chat.say("o_ah", "村口的路灯坏了好几天"))
    reply = chat.say("o_chen", f"改类 {number}")
    assert "用法：改类" in reply and "交通运输" in reply and "卫生计生" in reply
    assert "没有找到案件" in chat.say("o_ma", f"改类 {number}")  # another township's leader learns nothing of it


def test_the_live_classifier_keeps_its_model_while_the_database_cannot_say(tmp_path):
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    from bot.cases.model_store import LiveClassifier

    engine = create_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")  # not migrated: no model table
    base = clf.Classifier({}, training.train(SMALL), 0.0)
    live = LiveClassifier(base, sessionmaker(engine), check_seconds=0)
    assert live.classify("化工厂排污").category == "环境保护"
    assert live.refresh() is False and live.version is None and live.model is base.model
    engine.dispose()
