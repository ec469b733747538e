"""``python -m bot ban add|remove|list``: the ban list (banned users get a short reply, nothing else)."""
import click

from bot.commands.base import sessions


@click.group()
def ban() -> None:
    """Ban list: openids whose messages are not processed."""


@ban.command("add")
@click.argument("openid")
@click.option("--reason", default="", help="Why (kept with the ban).")
def add(openid: str, reason: str) -> None:
    """Ban OPENID."""
    from bot.inbox.bans import ban as ban_openid

    with sessions().begin() as session:
        added = ban_openid(session, openid.strip(), reason)
    click.echo(f"banned {openid}" if added else f"{openid} was already banned")


@ban.command("remove")
@click.argument("openid")
def remove(openid: str) -> None:
    """Lift the ban on OPENID."""
    from bot.inbox.bans import unban

    with sessions().begin() as session:
        removed = unban(session, openid.strip())
    click.echo(f"unbanned {openid}" if removed else f"{openid} was not banned")


@ban.command("list")
def list_bans() -> None:
    """Print every ban: openid, when (UTC), reason."""
    from bot.inbox.bans import banned

    with sessions()() as session:
        for row in banned(session):
            click.echo(f"{row.openid}\t{row.banned_at:%Y-%m-%d %H:%M}\t{row.reason}")
