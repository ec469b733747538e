"""``python -m bot dashboard set-password <phone>``: let a leader, secretary or supervisor log in."""
import sys

import click

from bot.commands.base import sessions

MIN_LENGTH = 10


@click.group()
def dashboard() -> None:
    """The web dashboard for leaders, secretaries and supervisors."""


@dashboard.command("set-password")
@click.argument("phone")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The new password (prompted, hidden, when not given).")
def set_password(phone: str, password: str) -> None:
    """Set (or replace) the dashboard password of the cadre with PHONE."""
    from bot.dashboard.auth import ROLES, store_password
    from models import Cadre

    if len(password) < MIN_LENGTH:
        click.echo(f"password too short: at least {MIN_LENGTH} characters", err=True)
        sys.exit(1)
    with sessions()() as session:
        cadre = session.query(Cadre).filter_by(phone=phone.strip(), active=True).one_or_none()
        if cadre is None or cadre.role not in ROLES:
            click.echo(f"no active leader, secretary or supervisor with phone {phone}", err=True)
            sys.exit(1)
        store_password(session, cadre, password)
        session.commit()
        click.echo(f"dashboard password set for {cadre.name} ({cadre.role})")
