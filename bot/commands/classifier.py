"""``classifier`` commands: train the model, and evaluate it by cross-validation or on a test CSV."""
from pathlib import Path

import click
import numpy as np

from bot.cases import classifier as clf
from bot.settings import database_url, instance_path, read_config

DEFAULT_OUT = instance_path() / "classifier.joblib"


def _categories() -> dict:
    """The configured categories (config.yaml's ``categories:`` block)."""
    return read_config().get("categories") or {}


def _corrections() -> list[tuple[str, str]]:
    """The cadres' 改类 corrections recorded in the ledger of the configured database."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from models.case import corrections

    engine = create_engine(database_url())
    try:
        with Session(engine) as session:
            return corrections(session)
    except SQLAlchemyError as error:  # no database yet: train on the CSVs alone
        click.echo(f"未读取改类记录（{error.__class__.__name__}），仅用 CSV 训练", err=True)
        return []
    finally:
        engine.dispose()


def _samples(files) -> list[tuple[str, str]]:
    """(text, label) pairs from the given CSVs, or from the shared data when none are given."""
    files = [Path(f) for f in files] or clf.default_training_files()
    if not files:
        raise click.ClickException(f"没有找到训练数据：请用 --data 指定 CSV（默认目录 {clf.training_data_dir()}）")
    return [s for f in files for s in clf.read_csv_samples(f) if s[0] and s[1]]


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
              help="Labelled CSV (title/body/label); repeatable. Default: the shared complaint CSVs.")
@click.option("--out", type=click.Path(dir_okay=False), default=str(DEFAULT_OUT), show_default=True)
@click.option("--corrections/--no-corrections", default=True, show_default=True,
              help="Also learn from the cadres' 改类 corrections in the database's ledger.")
def train(data, out, corrections) -> None:
    """Train the model (CSVs plus the ledger's corrections) and write it to --out."""
    samples = _samples(data)
    fixes = _corrections() if corrections else []
    model = clf.train(samples, corrections=fixes, categories=_categories())
    path = model.save(out)
    click.echo(f"已训练：{len(samples)} 条样本、{len(fixes)} 条改类记录，{len(model.labels)} 个类别，模型写入 {path}"
               f"（{path.stat().st_size / 1e6:.1f} MB）")


@classifier.command()
@click.option("--data", "data", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Cross-validate (stratified 5-fold) on these labelled CSVs.")
@click.option("--test", "test", type=click.Path(exists=True, dir_okay=False),
              help="Score the trained model as it is on this labelled CSV.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False), default=str(DEFAULT_OUT), show_default=True)
@click.option("--folds", default=5, show_default=True)
def evaluate(data, test, model_path, folds) -> None:
    """Print macro-F1, per-class F1 and a confusion matrix."""
    categories = _categories()
    if test:
        if not Path(model_path).is_file():
            raise click.ClickException(f"模型文件不存在：{model_path}（先运行 classifier train）")
        model = clf.Classifier.from_config(categories, model_path)
        samples = _samples([test])
        click.echo(report([y for _, y in samples], [model.classify(x).category for x, _ in samples]))
        return
    if not data:
        raise click.UsageError("请指定 --data CSV（交叉验证）或 --test CSV（评估已训练的模型）")
    from sklearn.model_selection import StratifiedKFold

    samples = _samples(data)
    labels = np.array([y for _, y in samples])
    truth, predicted = [], []
    for train_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=0).split(samples, labels):
        model = clf.train([samples[i] for i in train_idx], categories=categories)
        judge = clf.Classifier(categories, model)
        truth += [samples[i][1] for i in test_idx]
        predicted += [judge.classify(samples[i][0]).category for i in test_idx]
    click.echo(report(truth, predicted))
