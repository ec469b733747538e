"""``python -m bot dialogue evaluate --data FILE``: how well the bot reads each kind of chat message."""
from pathlib import Path

import click


@click.group()
def dialogue() -> None:
    """The reading step: complaints, questions, small talk, mistyped commands."""


@dialogue.command("evaluate")
@click.option("--data", "data", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="kind,text,expect CSV (default: dialogue.csv of the shared data).")
@click.option("--show-wrong", is_flag=True, help="Print every row handled wrongly, with the bot's reply.")
@click.option("--rules-only", is_flag=True, help="Classify by the keyword rules alone (no trained model).")
def evaluate(data: Path | None, show_wrong: bool, rules_only: bool) -> None:
    """Play every row through a scratch bot; per-kind accuracy, then ``dialogue accuracy <value>``."""
    import os

    from bot.cases import training
    from bot.reading.evaluate import evaluate as run
    from bot.reading.evaluate import read_rows
    from bot.settings import instance_path, read_config

    data = data or Path(__file__).resolve().parents[3] / "shared" / "data" / "dialogue.csv"  # ../shared from the root
    if not data.is_file():
        raise click.ClickException(f"没有找到 {data}：请用 --data 指定")
    model = None if rules_only else training.ensure_model(instance_path() / "classifier.joblib",
                                                      read_config().get("categories") or {})
    right, total, accuracy, wrong, counts = run(read_rows(data), model, os.environ.get("REDIS_URL"))
    for kind in total:
        click.echo(f"{kind:<18} {right[kind]:>4}/{total[kind]:<4} {right[kind] / total[kind]:.3f}")
    click.echo(f"complaints filed (any category) {counts['complaints filed']}/{total['complaint']}; "
               f"small talk filed or pushed {counts['small talk filed or pushed']}/{total['smalltalk']}")
    if show_wrong:
        for row, reply in wrong:
            click.echo(f"✗ {row.kind} {row.text!r} → {reply[:80]!r}")
    click.echo(f"dialogue accuracy {accuracy:.4f}")
