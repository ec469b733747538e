"""``python -m bot api key add|list|revoke`` and ``api webhook add``: the open API's clients."""
import sys

import click

from bot.commands.base import sessions


@click.group()
def api() -> None:
    """Open311 API: client keys and their webhook subscribers."""


@api.group()
def key() -> None:
    """API keys, one per client system."""


@key.command("add")
@click.argument("name")
@click.option("--scope", required=True, help="county:<county name> — whose cases it sees in full and files in.")
@click.option("--write", is_flag=True, help="May file cases (POST requests.json).")
def key_add(name: str, scope: str, write: bool) -> None:
    """Create a key for client system NAME; the key is printed once and only its hash is kept."""
    from bot.api.keys import add_client

    try:
        with sessions().begin() as session:
            new_key = add_client(session, name.strip(), scope, write)
    except ValueError as error:
        click.echo(str(error), err=True)
        sys.exit(2)
    click.echo(f"api key of {name} (shown once, keep it safe):\n{new_key}")


@key.command("list")
def key_list() -> None:
    """Print every client: name, scope, rights, state."""
    from sqlalchemy import select

    from models import ApiClient

    with sessions()() as session:
        for client in session.scalars(select(ApiClient).order_by(ApiClient.id)):
            rights = "read+write" if client.can_write else "read"
            click.echo(f"{client.name}\tcounty:{client.county}\t{rights}\t{'active' if client.active else 'revoked'}")


@key.command("revoke")
@click.argument("name")
def key_revoke(name: str) -> None:
    """Revoke NAME's key: its requests get 401 and its webhooks stop."""
    from bot.api.keys import find_client

    with sessions().begin() as session:
        client = find_client(session, name)
        if client is not None:
            client.active = False
    if client is None:
        click.echo(f"no client {name}", err=True)
        sys.exit(2)
    click.echo(f"revoked {client.name}")


@api.group()
def webhook() -> None:
    """Webhook subscribers: URLs that receive every case event, signed."""


@webhook.command("add")
@click.argument("key_or_name")
@click.argument("url")
def webhook_add(key_or_name: str, url: str) -> None:
    """Subscribe URL to the events of the cases KEY_OR_NAME's client sees; prints the secret once."""
    from bot.api.keys import add_webhook, find_client

    try:
        with sessions().begin() as session:
            client = find_client(session, key_or_name)
            if client is None or not client.active:
                raise ValueError("no such active API key or client")
            secret = add_webhook(session, client, url)
    except ValueError as error:
        click.echo(str(error), err=True)
        sys.exit(2)
    click.echo(f"webhook of {client.name} → {url}; signing secret (shown once):\n{secret}")


@webhook.command("list")
def webhook_list() -> None:
    """Print every subscriber: id, client, URL, state (never the secret)."""
    from sqlalchemy import select

    from models import WebhookSubscriber

    with sessions()() as session:
        for row in session.scalars(select(WebhookSubscriber).order_by(WebhookSubscriber.id)):
            click.echo(f"{row.id}\t{row.client.name}\t{row.url}\t{'active' if row.active else 'removed'}")


@webhook.command("remove")
@click.argument("subscriber_id", type=int)
def webhook_remove(subscriber_id: int) -> None:
    """Stop sending to subscriber SUBSCRIBER_ID (events on their way are given up)."""
    from models import WebhookSubscriber

    with sessions().begin() as session:
        row = session.get(WebhookSubscriber, subscriber_id)
        if row is not None:
            row.active = False
    if row is None:
        click.echo(f"no subscriber {subscriber_id}", err=True)
        sys.exit(2)
    click.echo(f"removed subscriber {subscriber_id}")
