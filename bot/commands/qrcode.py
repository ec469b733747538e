"""``python -m bot qrcode <village|--all>``: permanent QR codes that bind whoever scans them."""
import sys
from pathlib import Path

import click
from sqlalchemy import select

from bot.commands.base import runtime, village_arg
from bot.wechat.client import WeChatApiError


def png_path(out: Path, village) -> Path:
    """Where a village's QR image goes: ``<out>/<id>-<township><village>.png``."""
    return out / f"{village.id}-{village.township.name}{village.name}.png"


@click.command()
@click.argument("village", required=False)
@click.option("--all", "every", is_flag=True, help="Every village that has a team.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Default: <instance>/qrcodes")
@click.option("--refresh", is_flag=True, help="Ask WeChat for new tickets even where one is stored.")
def qrcode(village: str | None, every: bool, out: Path | None, refresh: bool) -> None:
    """Create each village's QR ticket through the WeChat API and write its PNG image."""
    from bot.villages.qr import ensure_qrcode, write_png
    from models import Village

    if bool(village) == every:
        raise click.UsageError("give one VILLAGE (id or name) or --all")
    current = runtime()
    out = out or current.settings.instance_path / "qrcodes"
    api = current.wechat_api
    with current.Session() as session:
        villages = (session.scalars(select(Village).where(Village.team_id.is_not(None)).order_by(Village.id)).all()
                    if every else [village_arg(session, village)])
        try:
            for item in villages:
                url = ensure_qrcode(api, item, refresh)
                click.echo(f"{item.township.name}{item.name}: {write_png(url, png_path(out, item))}")
        except WeChatApiError as error:
            click.echo(f"stopped: {error}", err=True)
            sys.exit(1)
        finally:
            session.commit()  # keep the tickets already created, even when a later one failed
