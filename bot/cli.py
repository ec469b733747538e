"""``python -m bot``: serve the webhook, run the worker, migrate the database, and more."""
import click

from bot.commands import (api, ban, card, classifier, dashboard, demo, dialogue, invite, jobs, knowledge, menu, qrcode,
                          roster, station)
from bot.commands.base import settings


@click.group()
def cli() -> None:
    """驻点联系 bot: WeChat official account for villagers and their station teams."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the webhook (development server; use gunicorn 'bot:create_app()' in production)."""
    from bot import create_app
    from bot.migrate import upgrade

    upgrade(settings().database_url)  # before serving: never migrate from request workers
    create_app().run(host=host, port=port, threaded=True)


@cli.command()
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
def worker(burst: bool) -> None:
    """Run the background worker (RQ) that delivers pushes and runs scheduled jobs."""
    from bot import create_app
    from bot.delivery.jobs import run_worker

    settings()
    run_worker(create_app(), burst=burst)


@cli.command()
def relay() -> None:
    """Queue the due notifications once (the scheduler also does this every minute)."""
    from bot import create_app
    from bot.delivery.relay import relay_once

    settings()
    app = create_app()
    with app.app_context():
        click.echo(f"queued {relay_once(app.extensions['bot'])} notifications")


@cli.command()
def scheduler() -> None:
    """Run RQ's cron scheduler: the periodic relay, reminders, station-day eves, follow-ups."""
    from bot import create_app
    from bot.delivery.schedules import run_scheduler

    settings()
    run_scheduler(create_app())


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply Alembic migrations up to REVISION (default: head)."""
    from bot.migrate import upgrade

    upgrade(settings().database_url, revision)
    click.echo(f"database at {revision}")


# The other command groups live in bot/commands/, one module each.
for command in (roster.roster, qrcode.qrcode, card.card, invite.invite, menu.menu, dashboard.dashboard, ban.ban,
                demo.demo, classifier.classifier, dialogue.dialogue, knowledge.knowledge, api.api, jobs.jobs,
                station.station):
    cli.add_command(command)
