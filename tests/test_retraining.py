"""Cadres' 改类 corrections reach the model: the ledger feeds `python -m bot classifier train`."""
import csv

import pytest
from click.testing import CliRunner

from bot.cases import classifier as clf
from bot.commands.classifier import classifier as classifier_cli
from tests.dialog import Chat
from tests.roster_fixture import NOW
from tests.test_classifier import SMALL

TEXT = "村头养鸡场的鸡蛋价格天天乱涨，没人管"


@pytest.fixture
def small_csv(tmp_path):
    path = tmp_path / "small.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["title", "body", "label"])
        writer.writerows([("", text, label) for text, label in SMALL])
    return path


def test_a_reclassified_case_changes_the_retrained_model(runtime, roster, small_csv, tmp_path, database_url,
                                                         monkeypatch):
    chat = Chat(runtime, NOW)
    number = chat.say("o_ah", TEXT).split("案件编号 ")[1][:13]
    assert "扶贫救助" in chat.say("o_chen", f"改类 {number} 扶贫救助")
    monkeypatch.setenv("DATABASE_URL", database_url)
    runner = CliRunner()
    without = runner.invoke(classifier_cli, ["train", "--data", str(small_csv), "--out", str(tmp_path / "a.joblib"),
                                             "--no-corrections"])
    with_fix = runner.invoke(classifier_cli, ["train", "--data", str(small_csv), "--out", str(tmp_path / "b.joblib")])
    assert without.exit_code == 0 and with_fix.exit_code == 0, with_fix.output
    assert "1 条改类记录" in with_fix.output
    similar = "养鸡场的鸡蛋价格乱涨"
    before = clf.Classifier.from_config({}, tmp_path / "a.joblib", min_confidence=0.0).classify(similar)
    after = clf.Classifier.from_config({}, tmp_path / "b.joblib", min_confidence=0.0).classify(similar)
    assert before.category != "扶贫救助" and after.category == "扶贫救助"


def test_the_running_bot_uses_the_trained_model(settings_overrides, small_csv, tmp_path):
    from bot import create_app

    instance = tmp_path / "instance"
    result = CliRunner().invoke(classifier_cli, ["train", "--data", str(small_csv), "--no-corrections",
                                                 "--out", str(instance / "classifier.joblib")])
    assert result.exit_code == 0, result.output
    app = create_app({**settings_overrides, "BOT_INSTANCE": str(instance)})
    judge = app.extensions["bot"].classifier
    assert judge.model is not None and set(judge.model.labels) == {"教育文体", "环境保护"}
    app.extensions["bot"].engine.dispose()
