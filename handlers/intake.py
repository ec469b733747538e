"""Residents' complaints: text, voice, photos and locations become cases (or join one)."""
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from bot.cases.classifier import UNSORTED
from bot.cases.co_report_offer import answer, waiting
from bot.cases.filing import Filed, alert_emergency, ask_phone_once, file_text, recent, standing, supplement
from bot.reading.kinds import read
from handlers.message import Message, Sender
from handlers.registry import Context, Registry
from models import Case, Resident, Village

ATTACHMENTS = {"image": "photo", "location": "location", "video": "video", "shortvideo": "video"}


def register(registry: Registry) -> None:
    """Take every resident message that no command claimed."""
    registry.command("我要反映", click=("MENU_REPORT",))(how_to_report)
    registry.kind("text", "voice", "image", "location", "video", "shortvideo")(intake)


def how_to_report(message: Message, sender: Sender, context: Context) -> str:
    """The menu's 我要反映: tell the resident how to report."""
    return context.text("how_to_report")


def intake(message: Message, sender: Sender, context: Context) -> str | None:
    """File the message as a case, a supplement or a co-report, and answer with the receipt."""
    if sender.role != "resident":
        return context.text("help")
    resident = sender_resident(context, sender.resident_id)
    text = message.text.strip()
    if resident.village_id is None:
        if message.kind in ATTACHMENTS or message.kind == "voice":
            resident.pending_media = [*resident.pending_media, media_item(message)]
        if text:  # kept, and filed as soon as they bind (bot/reading keeps only complaint-like text); bounded
            limit = context.config["cases"]["pending_max_chars"]
            resident.pending_text, dropped = keep_pending(resident.pending_text, text, limit)
            if dropped:
                return context.text("ask_bind_trimmed", limit=limit)
        if message.kind in ATTACHMENTS or message.kind == "voice":
            return context.text("ask_bind_media")
        return context.text("ask_bind")
    latest = standing(context.session, resident.id)
    offered = ""
    if latest.offer is not None:
        offered = settle_offer(resident, context)
        latest = standing(context.session, resident.id)  # the held report is a case now
    if message.kind in ATTACHMENTS:
        return _with(offered, attach(message, resident, context))
    if message.kind == "voice" and not text:
        media = [{"kind": "voice", "media_id": message.media_id}]
        filed = file_text(context.session, resident, "[语音]", context.config, classifier(context), context.now, media)
        return _with(offered, context.text("case_voice", number=filed.case.number))
    media = [{"kind": "voice", "media_id": message.media_id}] if message.kind == "voice" else None
    window = timedelta(minutes=context.config["cases"]["intake_window_minutes"])
    if len(text) <= context.config["cases"]["chitchat_max_chars"] and classifier(context).classify(text).category == UNSORTED \
            and not recent(latest, window, context.now):  # else: a fragment
        return _with(offered, context.text("help"))
    return _with(offered, receipt(file_text(context.session, resident, text, context.config, classifier(context),
                                            context.now, media, latest=latest), context))


HELD = "intake_resident"  # key in Session.info: the writing resident, held for the message's handlers


def sender_resident(context: Context, resident_id: int) -> Resident:
    """The writing resident with their village, loaded once per message (the reading step, then intake).

    The session's identity map holds objects weakly; this keeps the one loaded so the next handler
    finds it without a statement. Routing reads the cached roster facts, not the village's relations.
    """
    held = context.session.info.get(HELD)
    if held is None or held.id != resident_id:
        held = context.session.get(Resident, resident_id, options=[joinedload(Resident.village)])
        context.session.info[HELD] = held
    return held


def settle_offer(resident: Resident, context: Context) -> str:
    """A resident who writes on instead of answering 是/否: file the waiting report as its own case."""
    row = waiting(context.session, resident.id)
    if row is None:
        return ""
    return receipt(answer(context.session, resident, row, False, context.config, classifier(context), context.now),
                   context)


def _with(first: str, reply: str | None) -> str | None:
    """``reply`` after the receipt of a report filed on the way (if any)."""
    return f"{first}\n\n{reply}" if first and reply else (reply or first or None)


def keep_pending(kept: str, text: str, limit: int) -> tuple[str, bool]:
    """The pre-binding text with ``text`` added, cut to its last ``limit`` characters; and whether it was cut."""
    joined = f"{kept}\n{text}".strip()
    return joined[-limit:], len(joined) > limit


def file_pending(session, resident: Resident, message: Message, context: Context) -> str | None:
    """File what a resident wrote and sent before binding (text, photos, voice, locations); its receipt."""
    text, media = resident.pending_text.strip(), list(resident.pending_media or [])
    if not (text or media) or resident.village is None:
        return None
    resident.pending_text, resident.pending_media = "", []
    text = text or {"photo": "[图片]", "voice": "[语音]", "location": "[位置]", "video": "[视频]"}[media[0]["kind"]]
    urgent = read(text).kind == "emergency"  # told 110/119/120 before binding; the team hears at once now
    filed = file_text(session, resident, text, context.config, classifier(context), context.now, media, urgent=urgent)
    if urgent:
        alert_emergency(session, filed.case, context.config)
    return receipt(filed, context)


def media_item(message: Message) -> dict:
    """The case's record of a photo, video, voice or location message."""
    if message.kind == "location":
        return {"kind": "location", "latitude": message.latitude, "longitude": message.longitude,
                "label": message.label}
    return {"kind": ATTACHMENTS.get(message.kind, message.kind), "media_id": message.media_id}


def attach(message: Message, resident: Resident, context: Context) -> str:
    """Attach a photo or location to the resident's recent open case, or start a case with it."""
    item = media_item(message)
    window = timedelta(minutes=context.config["cases"]["attach_window_minutes"])
    case = context.session.scalar(select(Case).where(Case.resident_id == resident.id).order_by(Case.id.desc()).limit(1))
    if case is not None and case.open and case.updated_at >= context.now - window:
        supplement(context.session, case, resident, "", [item], context.now)
        return context.text("case_attached", number=case.number)
    placeholder = {"photo": "[图片]", "location": f"[位置] {message.label}", "video": "[视频]"}[item["kind"]]
    return receipt(file_text(context.session, resident, placeholder, context.config, classifier(context),
                             context.now, [item]), context)


def receipt(filed: Filed, context: Context) -> str:
    """The reply for a filed message: case number, handler from the card, next station day."""
    case = filed.case
    if filed.how == "supplement":
        return context.text("case_supplement", number=case.number)
    if filed.how == "offer":
        return context.text("co_report_offer", number=case.number, category=case.category,
                            summary=filed.summary or case.category,
                            minutes=context.config["cases"]["co_report"]["offer_minutes"])
    handler = case.owner or case.assignee
    if handler is None:
        return context.text("case_new_unrouted", number=case.number, category=case.category)
    card = dict(number=case.number, category=case.category, name=handler.name, position=handler.position,
                phone=handler.phone)
    if filed.how == "co_report":
        return context.text("case_co_report", count=case.reporters, **card)
    session = context.session
    station = context.next_station_day(session.get(Village, case.village_id))
    reply = context.text("case_new", station_day=station.text, why=case.why or "驻点团队", **card)
    if ask_phone_once(session, session.get(Resident, case.resident_id)):  # a phone is left by choice only
        reply += "\n" + context.text("phone_ask")
    return reply


def classifier(context: Context):
    """The process's classifier (loaded once at start)."""
    return context.runtime.classifier
