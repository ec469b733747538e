"""The printable contact card: one A6 HTML page with the team, the station day and the village's QR code."""
import base64
from html import escape

from bot.villages.card import Card

PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>
@page {{ size: A6 portrait; margin: 6mm; }}
body {{ width: 93mm; margin: 0 auto; font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; font-size: 10pt; }}
h1 {{ font-size: 14pt; text-align: center; margin: 0 0 1mm; }}
h2 {{ font-size: 11pt; text-align: center; margin: 0 0 3mm; font-weight: normal; }}
table {{ width: 100%; border-collapse: collapse; }}
td {{ border-bottom: 0.2mm solid #999; padding: 1mm 0.5mm; }}
.station {{ margin: 3mm 0; font-weight: bold; }}
.qr {{ text-align: center; }} .qr img {{ width: 30mm; height: 30mm; }}
</style></head><body>
<h1>{heading}</h1><h2>{title}</h2>
<table>{rows}</table>
<p class="station">{station_label}：{station}</p>
<div class="qr"><img alt="QR" src="data:image/png;base64,{qr}"><br>{scan}</div>
</body></html>
"""


def _row(label: str, cadre) -> str:
    cells = [label, cadre.name, cadre.position, cadre.phone, cadre.wechat and f"微信 {cadre.wechat}"]
    return "<tr>" + "".join(f"<td>{escape(cell or '')}</td>" for cell in cells) + "</tr>"


def card_html(card: Card, qr_png: bytes, texts: dict) -> str:
    """The card as a self-contained HTML page (the QR image inlined), sized for A6 paper."""
    rows = [_row(texts["card_print_leader"], card.leader)] if card.leader else []
    rows += [_row(texts["card_print_member"], cadre) for cadre in card.members]
    return PAGE.format(
        title=escape(card.title), heading=escape(texts["card_print_title"]), rows="".join(rows),
        station_label=escape(texts["card_print_station"]), station=escape(card.station.text),
        qr=base64.b64encode(qr_png).decode("ascii"), scan=escape(texts["card_print_scan"]),
    )
