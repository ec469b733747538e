"""What the CLI commands share: settings, a database session factory, the runtime, a village by name."""
import sys

import click

from bot.db import make_engine, make_sessionmaker
from bot.settings import SettingsError, load_settings


def settings():
    """The settings, or stop with one line naming the bad setting."""
    try:
        return load_settings()
    except SettingsError as error:
        click.echo(f"configuration error: {error}", err=True)
        sys.exit(2)


def sessions():
    """A session factory on the configured database; roster changes it commits reach the servers' caches."""
    current = settings()
    factory = make_sessionmaker(make_engine(current.database_url))
    if current.redis_url:  # else the servers see the change within the mirror's TTL (bot/roster/facts.py)
        from bot.roster.facts import Mirror, attach
        from bot.runtime import redis_client

        attach(factory, Mirror(redis_client(current.redis_url)))
    return factory


def runtime():
    """The full runtime (Redis included), for commands that call WeChat's API."""
    from bot.runtime import build_runtime

    return build_runtime(settings())


def village_arg(session, text: str):
    """The village a command argument names (an id, or a name as in ``绑定``); exit if none or several."""
    from bot.roster.names import find_villages
    from models import Village

    villages = [session.get(Village, int(text))] if text.isdigit() else find_villages(session, text)
    villages = [v for v in villages if v is not None]
    if len(villages) != 1:
        found = "; ".join(f"{v.id} {v.township.name}{v.name}" for v in villages) or "none"
        click.echo(f"village {text!r}: expected exactly one match, found {found}", err=True)
        sys.exit(1)
    return villages[0]
