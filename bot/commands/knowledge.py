"""``python -m bot knowledge import|export FILE``: the knowledge base in YAML (see README)."""
import sys
from pathlib import Path

import click

from bot.commands.base import sessions


@click.group()
def knowledge() -> None:
    """Questions residents ask, and their answers, per county, township or village."""


@knowledge.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_(file: Path) -> None:
    """Replace the knowledge base with FILE's entries: all of them, or nothing when any is bad."""
    from bot.reading.knowledge import KnowledgeError, import_knowledge

    try:
        with sessions().begin() as session:
            count = import_knowledge(session, file)
    except KnowledgeError as error:
        for line in error.errors:
            click.echo(line, err=True)
        click.echo(f"{len(error.errors)} error(s): nothing was imported", err=True)
        sys.exit(1)
    click.echo(f"imported {count} entries")


@knowledge.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export(file: Path) -> None:
    """Write the knowledge base to FILE, with how often each entry answered (hits)."""
    from bot.reading.knowledge import export_knowledge

    with sessions()() as session:
        count = export_knowledge(session, file)
    click.echo(f"wrote {count} entries to {file}")
