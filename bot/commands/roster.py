"""``python -m bot roster import|export|generate``: the roster in YAML or Excel (see docs/roster.md)."""
import sys
from pathlib import Path

import click

from bot.commands.base import sessions, settings
from bot.roster import RosterError, write_roster

FILE = click.Path(dir_okay=False, path_type=Path)


@click.group()
def roster() -> None:
    """Townships, villages, station teams and cadres."""


@roster.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and count the changes, write nothing.")
def import_(file: Path, dry_run: bool) -> None:
    """Import FILE (.yaml or .xlsx): all of it, or nothing when any row is bad."""
    from bot.roster.importer import import_roster

    try:
        counts = import_roster(sessions(), file, settings().config.get("categories") or {}, dry_run=dry_run)
    except RosterError as error:
        for line in error.errors:
            click.echo(line, err=True)
        click.echo(f"{len(error.errors)} error(s): nothing was imported", err=True)
        sys.exit(1)
    for what, number in sorted((+counts).items()):
        click.echo(f"{what}: {number}")
    if not dry_run:
        _show_codes()
    click.echo(("dry run: " if dry_run else "") + ("no changes" if not +counts else "imported"))


def _show_codes() -> None:
    """Each township's case-number prefix, so the county sees what residents' case numbers start with."""
    from sqlalchemy import select

    from models import Township

    with sessions()() as session:
        towns = session.execute(select(Township.name, Township.code).order_by(Township.id)).all()
    click.echo("case numbers: " + ", ".join(f"{name} {code}-…" for name, code in towns))


@roster.command("export")
@click.argument("file", type=FILE)
def export(file: Path) -> None:
    """Write the active roster to FILE (.yaml or .xlsx), in the format import reads."""
    from bot.roster.export import export_roster

    with sessions()() as session:
        rows = export_roster(session)
    write_roster(rows, file)
    click.echo(f"wrote {len(rows.townships)} townships, {len(rows.villages)} villages to {file}")


@roster.command("generate")
@click.option("--townships", default=1585, show_default=True)
@click.option("--villages", default=26117, show_default=True)
@click.argument("file", type=FILE)
def generate(townships: int, villages: int, file: Path) -> None:
    """Write a synthetic roster of the given size to FILE (benchmarks and load tests)."""
    from bot.roster.generate import generate as make

    rows = make(townships, villages)
    write_roster(rows, file)
    click.echo(f"wrote {len(rows.townships)} townships, {len(rows.villages)} villages, "
               f"{len({p.phone for p in rows.people})} cadres to {file}")
