"""``python -m bot invite <phone>``: a one-time code a cadre sends as ``认证 <code>``."""
import sys
from datetime import datetime, timezone

import click

from bot.commands.base import sessions, settings


@click.command()
@click.argument("phone")
def invite(phone: str) -> None:
    """Print a one-time code for the cadre with PHONE (valid 7 days); the code is the last line."""
    from bot.roster.invites import create_invite

    days = settings().config.get("roster", {}).get("invite_valid_days", 7)
    with sessions()() as session:
        try:
            code = create_invite(session, phone.strip(), datetime.now(timezone.utc), days)
        except LookupError as error:
            click.echo(str(error), err=True)
            sys.exit(1)
        session.commit()
        click.echo(f"{code.cadre.name} ({code.cadre.position}), valid until {code.expires_at:%Y-%m-%d %H:%M} UTC; "
                   f"they send: 认证 {code.code}")
        click.echo(code.code)
