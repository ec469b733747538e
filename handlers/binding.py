"""Residents bind to their village: by scanning its QR code, by ``绑定 <村名>``, or by a numbered choice.

A resident may rebind at any time (``解绑``, or binding again). Whatever they wrote before binding
(kept by intake in ``Resident.pending_text``) is filed the moment they bind, and its receipt is
added to the confirmation.
"""
import re

from sqlalchemy import select

from bot.reading.normalise import simplified
from bot.roster.names import find_villages
from bot.villages.qr import village_for_scene
from handlers.message import Message, Sender
from handlers.registry import PASS, Context, Registry
from models import Resident, Village

CHOICE = re.compile(r"\s*(\d{1,2})\s*")
MAX_CHOICES = 9
MAX_NAME_CHARS = 32  # township + village names; a longer "name" is not looked up at all


def register(registry: Registry) -> None:
    """Register subscribe/scan events, 绑定, 解绑 and the numbered choice."""
    registry.event("subscribe", "subscribe_scan", "scan")(scanned)
    registry.command("绑定", click=("MENU_BIND",))(bind_by_name)
    registry.command("解绑")(unbind)

    registry.add(lambda m: m.text.strip() if m.kind == "text" and CHOICE.fullmatch(m.text) else None,
                 choose_or_pass, name="选择")


def choose_or_pass(message: Message, sender: Sender, context: Context):
    """A number answers the village list we offered; any other number goes to the later routes."""
    reply = choose(message, sender, context)
    return PASS if reply is None else reply


def resident_of(session, openid: str) -> Resident:
    """The sender's resident row, created on first contact."""
    resident = session.scalar(select(Resident).where(Resident.openid == openid))
    if resident is None:
        resident = Resident(openid=openid, pending_text="", pending_choices=[])
        session.add(resident)
    return resident


def bind(resident: Resident, village: Village, message: Message, context: Context) -> str:
    """Bind the resident, confirm with the next station day, and file what they wrote before."""
    resident.village = village
    resident.bound_at = context.now
    resident.pending_choices = []
    resident.dialogue = {}
    context.session.flush()
    station = context.next_station_day(village)
    reply = context.text("bind_done", village=f"{village.township.name}{village.name}", station=station.text)
    if resident.pending_text.strip() or resident.pending_media:
        from handlers.intake import file_pending  # the cases engineer's module; imported late to keep the cycle out

        receipt = file_pending(context.session, resident, message, context)
        resident.pending_text = ""
        if receipt:
            reply += "\n\n" + receipt
    return reply


def scanned(message: Message, sender: Sender, context: Context) -> str:
    """Subscribe or scan: bind to the scanned village, or welcome and ask where they live."""
    resident = resident_of(context.session, sender.openid)
    if message.event == "subscribe" and not message.event_key:
        if resident.village is not None:
            return context.text("welcome_back", village=f"{resident.village.township.name}{resident.village.name}")
        return context.text("welcome")
    village = village_for_scene(context.session, message.event_key)
    if village is None or village.team_id is None:
        return context.text("bind_bad_scene")
    return bind(resident, village, message, context)


def bind_by_name(message: Message, sender: Sender, context: Context) -> str:
    """``绑定 <村名>``: bind when one village matches, list them numbered when several do."""
    if not context.args:
        return context.text("bind_usage")
    if len(context.args) > MAX_NAME_CHARS:
        return context.text("bind_name_too_long", limit=MAX_NAME_CHARS)
    resident = resident_of(context.session, sender.openid)
    villages = find_villages(context.session, simplified(context.args))  # 東坑村 is 东坑村
    if not villages:
        return context.text("bind_not_found", name=context.args)
    return offer(resident, villages, context.args, message, context)


def offer(resident: Resident, villages: list[Village], name: str, message: Message, context: Context) -> str:
    """Bind when one village matches, else list them numbered for the resident to choose."""
    if len(villages) == 1:
        return bind(resident, villages[0], message, context)
    villages = villages[:MAX_CHOICES]
    resident.pending_choices = [v.id for v in villages]
    lines = [context.text("bind_choice_line", number=n, township=v.township.name, village=v.name)
             for n, v in enumerate(villages, start=1)]
    return context.text("bind_choose", count=len(villages), name=name, choices="\n".join(lines))


def choose(message: Message, sender: Sender, context: Context) -> str | None:
    """A number answering the list ``bind_by_name`` offered; None when no list is open."""
    resident = context.session.scalar(select(Resident).where(Resident.openid == sender.openid))
    if resident is None or not resident.pending_choices:
        return None
    number = int(context.args)
    if not 1 <= number <= len(resident.pending_choices):
        return context.text("bind_choice_bad", count=len(resident.pending_choices))
    village = context.session.get(Village, resident.pending_choices[number - 1])
    if village is None:
        return context.text("bind_usage")
    return bind(resident, village, message, context)


def unbind(message: Message, sender: Sender, context: Context) -> str:
    """``解绑``: forget the resident's village (their cases keep theirs)."""
    resident = resident_of(context.session, sender.openid)
    if resident.village is None:
        return context.text("not_bound")
    name = f"{resident.village.township.name}{resident.village.name}"
    resident.village = None
    resident.bound_at = None
    resident.pending_choices = []
    return context.text("unbind_done", village=name)
