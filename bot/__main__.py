"""Entry point of ``python -m bot``."""
from bot.cli import cli

cli(prog_name="python -m bot")
