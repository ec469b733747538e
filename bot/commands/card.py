"""``python -m bot card <village>``: the printable A6 contact card (HTML) with the village's QR code;
``card --guide``: the one-page 干部使用说明 (HTML) to hand to cadres."""
import sys
import tempfile
from pathlib import Path

import click

from bot.commands.base import runtime, village_arg
from bot.wechat.client import WeChatApiError


@click.command()
@click.argument("village", required=False)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Default: <instance>/cards")
@click.option("--guide", is_flag=True, help="Write the one-page cadres' guide (干部使用说明) instead.")
def card(village: str | None, out: Path | None, guide: bool) -> None:
    """Write VILLAGE's contact card: team names, positions, phones, WeChat IDs, station day, QR code."""
    if guide:
        return _guide(out)
    if not village:
        raise click.UsageError("name a VILLAGE, or give --guide")
    from bot.villages.card import card_for
    from bot.villages.card_print import card_html
    from bot.villages.qr import ensure_qrcode, write_png

    current = runtime()
    out = out or current.settings.instance_path / "cards"
    with current.Session() as session:
        place = village_arg(session, village)
        try:
            url = ensure_qrcode(current.wechat_api, place)
        except WeChatApiError as error:
            click.echo(f"no QR code: {error}", err=True)
            sys.exit(1)
        session.commit()
        with tempfile.TemporaryDirectory() as tmp:
            qr_png = write_png(url, Path(tmp) / "qr.png").read_bytes()
        contact = card_for(place, current.clock(), current.config.get("station_days") or {})
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{place.id}-{contact.title}.html"
        path.write_text(card_html(contact, qr_png, current.config["texts"]), encoding="utf-8")
    click.echo(str(path))


def _guide(out: Path | None) -> None:
    """Write the cadres' guide and print its path."""
    from bot.commands.base import settings
    from bot.villages.guide import guide_html

    current = settings()
    out = out or current.instance_path / "cards"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "干部使用说明.html"
    path.write_text(guide_html(current.config["cadre_guide"]), encoding="utf-8")
    click.echo(str(path))
