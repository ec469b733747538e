"""``联系卡`` shows the village team's contact card; ``驻点`` the next station day (typed or from the menu)."""
from sqlalchemy import select

from bot.villages.card import card_for, card_text
from handlers.leader import change_station_day
from handlers.message import Message, Sender
from handlers.registry import Context, Registry
from models import Cadre, Resident, Village
from models.roster import served_villages


def register(registry: Registry) -> None:
    """Register 联系卡 and 驻点, and the menu keys that ask for them."""
    registry.command("联系卡", "名片", click=("MENU_CARD",))(contact_card)
    registry.command("驻点", "驻点日", "驻点时间", click=("MENU_STATION",))(station_day)


def village_of(session, sender: Sender) -> Village | None:
    """The sender's village: where a resident is bound, or the first a cadre serves."""
    resident = session.scalar(select(Resident).where(Resident.openid == sender.openid))
    if resident is not None and resident.village is not None:
        return resident.village
    if sender.cadre_id is not None:
        villages = served_villages(session, session.get(Cadre, sender.cadre_id))
        return villages[0] if villages else None
    return None


def contact_card(message: Message, sender: Sender, context: Context) -> str:
    """The card: leader and members with position, phone and WeChat ID, and the next station day."""
    village = village_of(context.session, sender)
    if village is None:
        return context.text("not_bound")
    if village.team is None:
        return context.text("no_team", village=village.name)
    card = card_for(village, context.now, context.config.get("station_days") or {})
    return card_text(card, context.config["texts"])


def station_day(message: Message, sender: Sender, context: Context) -> str:
    """The next station day: date, weekday, half-day and place, fortnightly for remote villages."""
    if context.args.split()[:1] in (["取消"], ["改期"]):
        return change_station_day(message, sender, context)  # the leader's changes share the word
    village = village_of(context.session, sender)
    if village is None:
        return context.text("not_bound")
    station = context.next_station_day(village)
    note = context.text("station_remote_note") if village.remote else ""
    return context.text("station_next", village=f"{village.township.name}{village.name}", station=station.text, note=note)
