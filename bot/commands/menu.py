"""``python -m bot menu``: install the official account's custom menu from config.yaml."""
import sys

import click

from bot.commands.base import runtime
from bot.wechat.client import WeChatApiError


@click.command()
def menu() -> None:
    """Install the menu under ``menu:`` in config.yaml; its CLICK keys reach the typed commands' handlers."""

    current = runtime()
    try:
        current.wechat_api.create_menu(current.config["menu"])
    except WeChatApiError as error:
        click.echo(f"menu not installed: {error}", err=True)
        sys.exit(1)
    click.echo(f"menu installed: {len(current.config['menu']['button'])} buttons")
