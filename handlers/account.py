"""Cadres bind their WeChat to the roster with ``认证 <code>`` and ask ``我的村`` for the villages they serve."""
from bot.delivery.waiting import release
from bot.roster.invites import InviteError, redeem
from handlers.message import Message, Sender
from handlers.registry import CADRE_ROLES, Context, Registry
from models import Cadre
from models.roster import served_villages


def register(registry: Registry) -> None:
    """Register 认证 (anyone: they are not a cadre until it succeeds) and 我的村 (cadres)."""
    registry.command("认证")(authenticate)
    registry.command("我的村", roles=CADRE_ROLES)(my_villages)


def authenticate(message: Message, sender: Sender, context: Context) -> str:
    """Redeem a one-time code: wrong, used or expired codes are refused with the reason."""
    if not context.args:
        return context.text("invite_usage")
    try:
        cadre = redeem(context.session, context.args, sender.openid, context.now)
    except InviteError as refused:
        return context.text(refused.reason)
    release(context.session, cadre.id, context.now, context.config["notifications"])  # pushes that waited for them
    role = context.config["roster"]["role_names"].get(cadre.role, cadre.role)
    return context.text("invite_done", name=cadre.name, position=cadre.position, role=role)


def my_villages(message: Message, sender: Sender, context: Context) -> str:
    """The cadre's villages, each with its next station day."""
    cadre = context.session.get(Cadre, sender.cadre_id)
    villages = served_villages(context.session, cadre)
    if not villages:
        return context.text("my_villages_none")
    lines = [context.text("my_villages_line", township=v.township.name, village=v.name,
                          station=context.next_station_day(v).text) for v in villages]
    return context.text("my_villages", lines="\n".join(lines))
