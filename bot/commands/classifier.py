"""``classifier`` commands: train, evaluate (a test CSV, the fixed split, or cross-validation), retrain, status."""
from pathlib import Path

import click
import numpy as np

from bot.cases import classifier as clf
from bot.cases import training
from bot.settings import database_url, instance_path, read_config

DEFAULT_OUT = instance_path() / "classifier.joblib"


def _categories() -> dict:
    """The configured categories (config.yaml's ``categories:`` block)."""
    return read_config().get("categories") or {}


def _session():
    """A session on the configured database."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    return Session(create_engine(database_url()))


def _corrections() -> list[tuple[str, str]]:
    """The cadres' 改类 corrections recorded in the ledger of the configured database."""
    from sqlalchemy.exc import SQLAlchemyError

    from models.case import corrections

    session = _session()
    try:
        return corrections(session)
    except SQLAlchemyError as error:  # no database yet: train on the CSVs alone
        click.echo(f"未读取改类记录（{error.__class__.__name__}），仅用 CSV 训练", err=True)
        return []
    finally:
        session.close()
        session.bind.dispose()


def _samples(files) -> list[tuple[str, str]]:
    """(text, label) pairs of the given CSVs, or the training rows of the fixed split of the shipped data."""
    if files:
        return [s for f in files for s in training.read_csv_samples(f)]
    if not training.training_files():
        raise click.ClickException(f"没有找到训练数据：请用 --data 指定 CSV（默认目录 {training.data_dir()}）")
    return training.load_split().train


def report(truth: list[str], predicted: list[str]) -> str:
    """Macro-F1 on its own line, per-class F1 and a confusion matrix, as text."""
    from sklearn.metrics import confusion_matrix, f1_score

    labels = sorted(set(truth) | set(predicted))
    per_class = f1_score(truth, predicted, labels=labels, average=None, zero_division=0)
    macro = f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0)
    lines = [f"macro-F1 {macro:.4f}", f"样本数 {len(truth)}", "", "各类 F1:"]
    lines += [f"  {label}\t{score:.4f}" for label, score in zip(labels, per_class)]
    lines += ["", "混淆矩阵（行：真实，列：预测）:", "\t" + "\t".join(l[:4] for l in labels)]
    matrix = confusion_matrix(truth, predicted, labels=labels)
    lines += [label[:4] + "\t" + "\t".join(str(n) for n in row) for label, row in zip(labels, matrix)]
    return "\n".join(lines)


@click.group()
def classifier() -> None:
    """The complaint classifier: train it, evaluate it."""


@classifier.command()
@click.option("--data", "data", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Labelled CSV (title/body/label); repeatable. Default: the training rows of the shipped data "
                   "and its chat complaints.")
@click.option("--out", type=click.Path(dir_okay=False), default=str(DEFAULT_OUT), show_default=True)
@click.option("--corrections/--no-corrections", default=True, show_default=True,
              help="Also learn from the cadres' 改类 corrections in the database's ledger.")
def train(data, out, corrections) -> None:
    """Train the model (CSVs plus the ledger's corrections) and write it to --out."""
    samples = _samples(data)
    chat = [] if data else training.chat_samples()
    fixes = _corrections() if corrections else []
    model = training.train(samples, corrections=fixes, categories=_categories(), chat=chat)
    path = model.save(out)
    click.echo(f"已训练：{len(samples)} 条样本、{len(chat)} 条聊天投诉、{len(fixes)} 条改类记录，{len(model.labels)} 个类别，模型写入 {path}"
               f"（{path.stat().st_size / 1e6:.1f} MB）")


@classifier.command()
@click.option("--data", "data", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Cross-validate (stratified 5-fold) on these labelled CSVs.")
@click.option("--test", "test", type=click.Path(exists=True, dir_okay=False),
              help="Score the trained model as it is on this labelled CSV.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False), default=str(DEFAULT_OUT), show_default=True)
@click.option("--folds", default=5, show_default=True)
def evaluate(data, test, model_path, folds) -> None:
    """Print macro-F1, per-class F1 and a confusion matrix; with neither option, the fixed test split."""
    categories = _categories()
    if test or not data:
        if not Path(model_path).is_file():
            raise click.ClickException(f"模型文件不存在：{model_path}（先运行 classifier train）")
        judge = clf.Classifier.from_config(categories, model_path, min_confidence=_threshold())
        if test:
            samples = training.read_csv_samples(test)
            click.echo(report([y for _, y in samples], [judge.classify(x).category for x, _ in samples]))
            return
        views = training.load_split().test
        view = views["title+body"]
        click.echo(report([y for _, y in view], [judge.classify(x).category for x, _ in view]))
        click.echo("")
        click.echo(_figures_line(training.evaluate(judge, views)))
        return
    from sklearn.model_selection import StratifiedKFold

    samples = _samples(data)
    labels = np.array([y for _, y in samples])
    truth, predicted = [], []
    for train_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=0).split(samples, labels):
        model = training.train([samples[i] for i in train_idx], categories=categories)
        judge = clf.Classifier(categories, model)
        truth += [samples[i][1] for i in test_idx]
        predicted += [judge.classify(samples[i][0]).category for i in test_idx]
    click.echo(report(truth, predicted))


def _threshold() -> float:
    """The configured confidence below which a case is 待分类."""
    return (read_config().get("classifier") or {}).get("min_confidence", clf.DEFAULT_MIN_CONFIDENCE)


def _figures_line(figures: dict | None) -> str:
    """Figures as one readable line."""
    if not figures:
        return "无"
    names = {"title+body": "标题+正文", "title only": "仅标题", "body[:60]": "正文前60字", "coverage": "覆盖率",
             "accuracy": "覆盖部分准确率", "corrections": "最近改类一致率"}
    return "，".join(f"{names.get(k, k)} {v:.4f}" for k, v in figures.items() if isinstance(v, float | int))


@classifier.command()
def retrain() -> None:
    """Retrain now as the weekly job does (data plus every 改类); the new model goes live if not worse."""
    from bot.cases.retraining import retrain as run

    session = _session()
    try:
        with session.begin():
            outcome = run(session, read_config(), DEFAULT_OUT)
            verdict = f"已上线，版本 {outcome.row.id}" if outcome.accepted else "不优于现用模型，未替换"
    finally:
        session.close()
        session.bind.dispose()
    click.echo(f"重新训练：{verdict}")
    click.echo(f"新模型：{_figures_line(outcome.candidate)}")
    click.echo(f"原模型：{_figures_line(outcome.live)}")


@classifier.command()
def status() -> None:
    """The live model: version, date, figures, corrections; and the last retraining's result."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from bot.cases.model_store import live_row
    from bot.timefmt import CHINA
    from models import ClassifierModel
    from models.case import corrections

    session = _session()
    try:
        live = live_row(session)
        last = session.scalar(select(ClassifierModel).order_by(ClassifierModel.id.desc()).limit(1))
        fixes = len(corrections(session))
    except SQLAlchemyError as error:
        raise click.ClickException(f"无法读取数据库（{error.__class__.__name__}）：请先运行 python -m bot migrate")
    finally:
        session.close()
        session.bind.dispose()
    if live is not None:
        click.echo(f"现用模型：版本 {live.id}，训练于 {live.created_at.astimezone(CHINA):%Y-%m-%d %H:%M}，"
                   f"样本 {live.samples} 条，改类 {live.corrections} 条")
        click.echo(f"测试集成绩：{_figures_line(live.figures)}")
    elif DEFAULT_OUT.is_file():
        click.echo(f"现用模型：启动时的模型文件 {DEFAULT_OUT}（尚未有重新训练的版本）")
    else:
        click.echo("现用模型：无（只用关键词规则）")
    click.echo(f"账本中的改类记录：{fixes} 条")
    if last is not None and (live is None or last.id != live.id):
        click.echo(f"最近一次重新训练：版本 {last.id}（{last.created_at.astimezone(CHINA):%Y-%m-%d %H:%M}）不优于现用模型，未替换："
                   f"{_figures_line(last.figures)}")
