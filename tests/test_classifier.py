"""Classifier: explanations, corrections, editable keywords, odd input, normalised reading, the shipped
data and its fixed split, and the train/evaluate commands."""
import csv
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cases import classifier as clf
from bot.cases import training
from bot.commands.classifier import classifier as classifier_cli

CATEGORIES = {
    "教育文体": {"keywords": {"学校": 2, "补课": 3}},
    "环境保护": {"keywords": {"污染": 3, "排污": 3}},
    "土地纠纷": {"keywords": {"宅基地": 3}},
    "治安": {"keywords": {"打架": 3}, "urgent": True},
}

SMALL = [
    ("学校老师周末组织学生有偿补课，家长负担很重", "教育文体"),
    ("中学食堂饭菜质量差，学生吃不饱", "教育文体"),
    ("小学招生划片不合理，孩子入学难", "教育文体"),
    ("幼儿园收费太高，教育局管不管", "教育文体"),
    ("化工厂夜里偷偷排污，河水发黑发臭", "环境保护"),
    ("养猪场粪水直接排进水渠，气味刺鼻", "环境保护"),
    ("砖厂粉尘污染严重，村民咳嗽", "环境保护"),
    ("工地噪音扰民到半夜，环保部门不管", "环境保护"),
] * 3


@pytest.fixture(scope="module")
def small_model():
    """A model trained on a handful of messages: enough to exercise the learned path quickly."""
    return training.train(SMALL, categories=CATEGORIES)


def test_explanation_names_words_in_the_text(small_model):
    judge = clf.Classifier(CATEGORIES, small_model, min_confidence=0.0)
    text = "村里小学的老师让学生周末去家里补课"
    result = judge.classify(text)
    assert result.category == "教育文体"
    assert result.explanation, "an explanation is expected"
    assert all(word in text for word in result.explanation)
    assert 0.0 <= result.confidence <= 1.0


def test_rules_alone_explain_with_their_keywords():
    judge = clf.Classifier(CATEGORIES, None)
    result = judge.classify("邻居在我家宅基地上建房")
    assert result.category == "土地纠纷"
    assert result.explanation[0] == "宅基地"


@pytest.mark.parametrize("text, category", [
    ("邻居家把界桩往我家这边挪了", "土地纠纷"),
    ("最近村里有人聚赌，晚上吵得很", "治安"),
    ("水稻得了稻瘟病，也没人来指导", "农业生产"),
    ("村里的账目和分红从来不公开", "村务公开"),
    ("去村委会办事，干部上班时间玩手机", "干部作风"),
])
def test_the_shipped_keywords_name_the_village_categories_no_model_learns(text, category):
    """Without a model (rules only) the shipped keywords find the village categories."""
    from bot.settings import read_config

    assert clf.Classifier(read_config()["categories"], None).classify(text).category == category


def test_on_a_chat_length_message_the_keywords_vote_with_the_model(small_model):
    """The model leans to 环境保护 on 河边 alone; 宅基地 (a keyword of a category it never learnt) outvotes it."""
    text = "河边宅基地被人占了"
    assert sum(map(len, clf.tokens(text))) <= clf.CHAT_CHARS
    assert clf.Classifier({}, small_model, min_confidence=0.0).classify(text).category == "环境保护"
    voted = clf.Classifier(CATEGORIES, small_model, min_confidence=0.0).classify(text)
    assert voted.category == "土地纠纷" and voted.explanation == ("宅基地",)
    assert voted.suggestions == ("土地纠纷", "环境保护")


def test_a_model_sure_of_a_chat_length_message_decides_alone(small_model):
    """宅基地 names where the river is, not what is wrong: the model is sure, so the keyword does not vote."""
    result = clf.Classifier(CATEGORIES, small_model, min_confidence=0.0).classify("宅基地边上的河水发黑")
    assert result.category == "环境保护" and result.confidence >= clf.VOTE_UNLESS_SURE


def test_the_chat_complaints_teach_every_configured_category(monkeypatch):
    """The hand-written chat rows are trained on (all 13 categories); the chat check set is not among them."""
    from bot.settings import read_config

    monkeypatch.delenv("BOT_TRAINING_DATA", raising=False)
    chat = training.load_split().chat
    assert {label for _, label in chat} == set(read_config()["categories"])
    with open(training.DATA_DIR / "chat_complaints.csv", encoding="utf-8") as f:
        checks = {row["text"] for row in csv.DictReader(f)}
    assert checks and not checks & {text for text, _ in chat}
    assert training.load_split(training.training_files()).chat == []  # explicit files: those alone
    model = training.train(SMALL, chat=[("邻居把界桩往我家挪了两米", "土地纠纷")] * 3, categories=CATEGORIES)
    assert "土地纠纷" in model.labels
    assert clf.Classifier({}, model, min_confidence=0.0).classify("界桩被邻居挪了").category == "土地纠纷"


def test_a_correction_and_retraining_change_the_prediction(small_model):
    text = "村里新开的养鸡场天天有人来买鸡蛋，价格乱涨"
    before = clf.Classifier({}, small_model, min_confidence=0.0).classify(text).category
    target = "环境保护" if before != "环境保护" else "教育文体"
    corrected = "村里养鸡场的鸡蛋价格乱涨"
    retrained = training.train(SMALL, corrections=[(corrected, target)])
    after = clf.Classifier({}, retrained, min_confidence=0.0).classify(text).category
    assert after == target != before


def test_a_correction_can_teach_a_new_category(small_model):
    retrained = training.train(SMALL, corrections=[("村头的水井被人投了东西", "治安")])
    assert "治安" in retrained.labels
    assert clf.Classifier({}, retrained, min_confidence=0.0).classify("水井被人投了东西").category == "治安"


def test_a_keyword_added_to_the_categories_takes_effect():
    text = "隔壁深夜烧烤摊太吵了"
    assert clf.Classifier(CATEGORIES, None).classify(text).category == clf.UNSORTED
    edited = {**CATEGORIES, "环境保护": {"keywords": {**CATEGORIES["环境保护"]["keywords"], "烧烤摊": 3}}}
    result = clf.Classifier(edited, None).classify(text)
    assert result.category == "环境保护"
    assert "烧烤摊" in result.explanation


@pytest.mark.parametrize("text", ["", "   ", "😀🙏👍", "hello, my road is broken", "1234567890", "？？？！！！"])
def test_empty_and_garbage_are_unsorted(small_model, text):
    for model in (small_model, None):
        result = clf.Classifier(CATEGORIES, model).classify(text)
        assert result.category == clf.UNSORTED
        assert isinstance(result.explanation, tuple)


def test_five_thousand_characters(small_model):
    text = ("学校补课" + "啊" * 96) * 50
    assert len(text) == 5000
    result = clf.Classifier(CATEGORIES, small_model).classify(text)
    assert result.category == "教育文体"


def test_model_round_trips_through_a_file(small_model, tmp_path):
    path = small_model.save(tmp_path / "m.joblib")
    loaded = clf.Classifier.from_config(CATEGORIES, path, cache_dir=tmp_path)
    text = "河边化工厂排污"
    assert loaded.classify(text) == clf.Classifier(CATEGORIES, small_model).classify(text)


def test_tokens_drop_punctuation():
    words = clf.tokens("村口的路，坏了！")
    assert words and not any(w in "，！" for w in words)


def _subset(tmp_path: Path, n: int, seed: int) -> Path:
    """A random subset of the shipped data, written to a plain CSV."""
    rows = training.read_rows(training.DATA_DIR / "complaints.csv.xz")
    random.Random(seed).shuffle(rows)
    path = tmp_path / f"subset{seed}.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["title", "body", "label"])
        writer.writerows((r.title, r.body, r.label) for r in rows[:n])
    return path


def test_cli_train_then_evaluate_on_a_test_csv(tmp_path):
    runner = CliRunner()
    out = tmp_path / "model.joblib"
    result = runner.invoke(classifier_cli, ["train", "--data", str(_subset(tmp_path, 300, 1)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and out.stat().st_size < 20_000_000
    result = runner.invoke(classifier_cli, ["evaluate", "--test", str(_subset(tmp_path, 120, 2)), "--model", str(out)])
    assert result.exit_code == 0, result.output
    macro = [line for line in result.output.splitlines() if line.startswith("macro-F1 ")]
    assert len(macro) == 1
    assert 0.3 < float(macro[0].split()[1]) <= 1.0  # better than chance (1/7) even on 300 rows


def test_cli_cross_validation_prints_per_class_and_confusion(tmp_path):
    result = CliRunner().invoke(classifier_cli, ["evaluate", "--data", str(_subset(tmp_path, 200, 3)), "--folds", "2"])
    assert result.exit_code == 0, result.output
    assert "macro-F1 " in result.output and "混淆矩阵" in result.output and "各类 F1" in result.output


def test_ensure_model_without_data_falls_back_to_rules(tmp_path, monkeypatch):
    monkeypatch.setenv("BOT_TRAINING_DATA", str(tmp_path / "nowhere"))
    assert training.ensure_model(tmp_path / "m.joblib", CATEGORIES) is None
    assert not (tmp_path / "m.joblib").exists()


def test_features_add_the_dictionary_subwords_of_long_words():
    feats = clf._features(clf.tokens("我交了养老保险"))
    assert {"养老保险", "养老", "保险", "交 养老保险"} <= set(feats)
    assert "我" not in feats  # a stop word
    assert all(" " in f or f.lstrip(clf.CHAR_MARK) in "我交了养老保险" for f in feats)
    assert {"#养", "#养老", "#老保"} <= set(feats)  # character n-grams, marked apart from words


def test_ensure_model_retrains_a_model_file_from_an_older_version(small_model, tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    with open(data / "complaints.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "title", "body", "label"])
        writer.writerows((i, "", text, label) for i, (text, label) in enumerate(SMALL))
    monkeypatch.setenv("BOT_TRAINING_DATA", str(data))
    path = tmp_path / "m.joblib"
    fields = {k: v for k, v in small_model.__dict__.items() if not k.startswith("_")}  # not the cached names
    old = clf.LinearModel(**{**fields, "version": clf.MODEL_VERSION - 1})
    old.save(path)
    assert training.ensure_model(path, CATEGORIES) == path
    assert clf.LinearModel.load(path).version == clf.MODEL_VERSION
    written = path.stat().st_mtime_ns
    assert training.ensure_model(path, CATEGORIES) == path  # current: kept as it is
    assert path.stat().st_mtime_ns == written


def test_traditional_and_full_width_text_reads_as_simplified(small_model):
    judge = clf.Classifier(CATEGORIES, small_model, min_confidence=0.0)
    simplified = judge.classify("化工厂夜里偷偷排污，河水发黑")
    assert judge.classify("化工廠夜裡偷偷排污，河水發黑") == simplified
    assert judge.classify("化工厂夜里偷偷排污，河水发黑") == simplified  # full-width comma


def test_the_explanation_names_jieba_words_although_character_ngrams_vote(small_model):
    text = "养猪场粪水排进水渠"
    result = clf.Classifier(CATEGORIES, small_model, min_confidence=0.0).classify(text)
    assert result.category == "环境保护"
    words = set(clf.tokens(text))
    assert result.explanation and set(result.explanation) <= words
    assert not any(w.startswith(clf.CHAR_MARK) for w in result.explanation)


def test_low_confidence_is_unsorted_with_the_two_likeliest_suggested(small_model):
    text = "学校旁边的工厂排污"
    sure = clf.Classifier(CATEGORIES, small_model, min_confidence=0.0).classify(text)
    unsure = clf.Classifier(CATEGORIES, small_model, min_confidence=0.99).classify(text)
    assert unsure.category == clf.UNSORTED and unsure.confidence == sure.confidence
    assert set(unsure.suggestions) == {"教育文体", "环境保护"} and unsure.suggestions[0] == sure.category


def test_the_shipped_data_is_found_without_any_outside_folder(monkeypatch):
    monkeypatch.delenv("BOT_TRAINING_DATA", raising=False)
    files = training.training_files()
    assert [f.name for f in files] == ["complaints.csv.xz", "complaint_titles.csv.xz"]
    assert all(training.DATA_DIR in f.parents for f in files)
    assert sum(f.stat().st_size for f in training.DATA_DIR.iterdir()) < 5_000_000
    rows = training.read_rows(files[0])
    assert len(rows) == 6027 and {r.label for r in rows} >= {"城乡建设", "交通运输", "卫生计生"}


def test_the_test_split_is_fixed_and_holds_out_repeated_titles():
    def chars(start: int) -> str:
        return "".join(chr(start + k) for k in range(5))

    rows = [training.Row(chars(0x4E00 + 5 * i), f"{chars(0x6000 + 5 * i)}，关于村里的事情", "城乡建设")
            for i in range(200)]
    held = [r for r in rows if training.is_test(r)]
    assert 20 < len(held) < 60  # about one in five
    assert [training.is_test(r) for r in rows] == [training.is_test(r) for r in rows]
    kept = next(r for r in rows if not training.is_test(r))
    repeats = [training.Row(held[0].title, "", "城乡建设"), training.Row(kept.title, "", "城乡建设")]
    data = training.split(rows + repeats)
    train_texts = {text for text, _ in data.train}
    assert held[0].title not in train_texts  # its message is held out, so its repeated title is too
    assert kept.title in train_texts
    assert held[0].title in {text for text, _ in data.test["title only"]}
    assert {text for text, _ in data.test["body[:60]"]} == {r.body[:60] for r in held}
    assert not train_texts & {text for text, _ in data.test["title+body"]}


def test_cli_evaluate_without_options_scores_the_fixed_split(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    subset = _subset(tmp_path, 400, 4)
    (data / "complaints.csv").write_bytes(subset.read_bytes())
    monkeypatch.setenv("BOT_TRAINING_DATA", str(data))
    out = tmp_path / "model.joblib"
    runner = CliRunner()
    result = runner.invoke(classifier_cli, ["train", "--no-corrections", "--out", str(out)])
    assert result.exit_code == 0, result.output
    held = len(training.load_split().test["title+body"])
    assert f"已训练：{400 - held} 条样本" in result.output  # the held-out rows are never trained on
    result = runner.invoke(classifier_cli, ["evaluate", "--model", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("macro-F1 ") and f"样本数 {held}" in result.output
    assert "正文前60字" in result.output and "覆盖率" in result.output


def test_cli_evaluate_refuses_a_missing_model(tmp_path):
    result = CliRunner().invoke(classifier_cli, ["evaluate", "--model", str(tmp_path / "none.joblib")])
    assert result.exit_code != 0 and "模型文件不存在" in result.output


def test_a_message_classified_twice_is_segmented_once(small_model, monkeypatch):
    """The reading step and intake classify the same text; the second time costs nothing."""
    judge = clf.Classifier(CATEGORIES, small_model, min_confidence=0.0)
    calls = []
    real = clf.tokens
    monkeypatch.setattr(clf, "tokens", lambda text: calls.append(text) or real(text))
    first = judge.classify("化工厂夜里偷偷排污")
    assert judge.classify("化工厂夜里偷偷排污") == first and len(calls) == 1
    judge.classify("学校周末组织补课")
    assert len(calls) == 2
