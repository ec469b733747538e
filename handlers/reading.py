"""The reading step: a resident's free text read for what it is, between the commands and intake.

Small talk gets a short reply, questions an answer (station day, contact card, knowledge base) or
an inquiry for a cadre, an emergency advice and an urgent case, a bare verdict its case; a
complaint passes on to intake. Before binding, a village name binds and only complaints are kept.
The decision itself is ``bot.reading.kinds.read``; here it is phrased.
"""
import re
from datetime import timedelta

from sqlalchemy import select

from bot.cases.filing import alert_emergency, file_text, open_inquiry, recent, standing
from bot.reading import dialogue, knowledge
from bot.reading.kinds import Reading, leftover, read
from bot.reading.normalise import normalise
from bot.reading.places import villages_named
from handlers import binding, card
from handlers import resident as resident_cases
from handlers.intake import classifier, keep_pending, sender_resident
from handlers.message import Message, Sender
from handlers.registry import PASS, Context, Registry
from models import Case, Resident

EMERGENCY_CALLS = {"fire": "119", "violence": "110", "medical": "120", "flood": "110"}


def register(registry: Registry) -> None:
    """Read residents' free text before intake files it."""
    registry.kind("text", "voice", roles=None)(read_text)  # voice: WeChat's speech recognition text


def _settings(context: Context) -> dict:
    return context.config.get("reading") or {}


def read_text(message: Message, sender: Sender, context: Context):
    """Answer what the text is, or PASS a complaint on to intake."""
    text = message.text.strip()
    if sender.role != "resident" or sender.resident_id is None or not text:
        return PASS
    resident = sender_resident(context, sender.resident_id)
    state = dialogue.asked(resident, context.now, _settings(context).get("dialogue_minutes", 10))
    if resident.village_id is None:
        return before_binding(message, resident, state, context)
    if state and state["asked"] == "verdict":
        reply = which_case(message, sender, state, context)
        if reply is not None:
            return reply
    if state and state["asked"] == "reason" and read(text).kind != "smalltalk":  # the reason asked for
        dialogue.clear(resident)
        context.args = f"{state['case']} {text}"
        return resident_cases.unsatisfied(message, sender, context)
    dialogue.clear(resident)
    waiting = resident_cases.awaiting_verdict(context.session, resident.id) if "满" in normalise(text) else []
    reading = unless_a_problem(read(text, awaiting_verdict=bool(waiting)), text, context)
    reading = unless_unclear(reading, text, resident, context)
    if reading.kind == "smalltalk":
        return small_talk(reading.detail, resident, context)
    if reading.kind == "intent":
        return context.text("report_intent")
    if reading.kind == "emergency":
        return emergency(reading.detail, text, resident, context)
    if reading.kind == "verdict":
        verdict, _, reason = reading.detail.partition(":")
        context.args = reason
        handler = resident_cases.satisfied if verdict == "satisfied" else resident_cases.unsatisfied
        return handler(message, sender, context)
    if reading.kind == "station":
        return card.station_day(message, sender, context)
    if reading.kind == "contact":
        return card.contact_card(message, sender, context)
    if reading.kind == "progress":
        context.args = ""
        return resident_cases.progress(message, sender, context)
    if reading.kind == "question":
        return question(text, resident, context)
    return PASS


def unless_a_problem(reading: Reading, text: str, context: Context) -> Reading:
    """Small talk with a few words the rules do not know ("好的 那就酱") is small talk unless the
    classifier finds a problem's subject in those words (你好 停电): no case for a pleasantry."""
    if reading.kind == "complaint" and reading.detail.startswith("chat:") and \
            classifier(context).classify(leftover(reading.text)).confidence < _unmarked_bar(context):
        return Reading("smalltalk", reading.detail.removeprefix("chat:"), reading.text)
    return reading


def _unmarked_bar(context: Context) -> float:
    """How sure the classifier must be of a text that shows no mark of a problem to file it."""
    return _settings(context).get("unmarked_min_confidence", 0.5)


def unless_unclear(reading: Reading, text: str, resident: Resident, context: Context) -> Reading:
    """A bound resident's text with no mark of a problem is a complaint only when the classifier is
    sure of its subject (`reading.unmarked_min_confidence`), or when it follows their open case within
    the fragment window (就在村口 adds to it) or answers a co-report offer; else the bot asks what it is
    about (今天好热啊, 有空来喝茶: small talk the rules do not know never reaches a cadre)."""
    if reading.kind != "complaint" or reading.detail:
        return reading
    if classifier(context).classify(text).confidence >= _unmarked_bar(context):
        return reading
    latest = standing(context.session, resident.id)
    window = timedelta(minutes=context.config["cases"]["intake_window_minutes"])
    if latest.offer or recent(latest, window, context.now):
        return reading
    return Reading("smalltalk", "unclear", reading.text)


def small_talk(sort: str, resident: Resident, context: Context) -> str:
    """One short, warm reply fitting the moment: never a case, never a push."""
    if sort == "thanks":
        waiting = resident_cases.awaiting_verdict(context.session, resident.id)
        hint = context.text("smalltalk_verdict_hint", number=waiting[0].number) if len(waiting) == 1 else ""
        return context.text("smalltalk_thanks") + hint
    if sort == "ack":
        latest = context.session.scalar(select(Case).where(Case.resident_id == resident.id)
                                        .order_by(Case.id.desc()).limit(1))
        if latest is not None and latest.open:
            return context.text("smalltalk_ack_case", number=latest.number)
    return context.text(f"smalltalk_{sort}")


def emergency(sort: str, text: str, resident: Resident, context: Context) -> str:
    """Advice at once, an urgent case, and the leader and township duty contact told immediately."""
    filed = file_text(context.session, resident, text, context.config, classifier(context), context.now, urgent=True)
    told = alert_emergency(context.session, filed.case, context.config)
    return context.text("emergency_advice", call=context.text(f"emergency_call_{sort}"), number=filed.case.number,
                        told="、".join(c.name for c in told) or "镇值班人员")


def question(text: str, resident: Resident, context: Context) -> str:
    """The knowledge base's answer, else an inquiry (咨询) for the village's responsible cadre."""
    settings = _settings(context)
    found = knowledge.answer(context.session, resident.village, text, settings.get("knowledge_threshold", 0.6))
    if found is not None:
        return context.text("knowledge_answer", answer=found)
    case = open_inquiry(context.session, resident, text, context.config, context.now)
    who = case.assignee
    if who is None:
        return context.text("inquiry_unrouted", number=case.number)
    hours = round((case.resolve_due_at - case.received_at).total_seconds() / 3600)  # its configured limit
    return context.text("inquiry_filed", number=case.number, name=who.name, position=who.position, phone=who.phone,
                        hours=hours)


def which_case(message: Message, sender: Sender, state: dict, context: Context) -> str | None:
    """The answer to "哪一件？": a list index or a case's last digits; None when it is something else."""
    answer = normalise(message.text).strip(" .。")
    if not answer.isdigit():
        return None
    numbers = state.get("cases") or []
    index = int(answer)
    picked = numbers[index - 1] if 1 <= index <= len(numbers) else \
        next((n for n in numbers if n.endswith(f"-{index:05d}")), None)
    if picked is None:
        return context.text("verdict_choice_bad", count=len(numbers))
    dialogue.clear(context.session.get(Resident, sender.resident_id))
    context.args = f"{picked} {state.get('reason', '')}".strip()
    handler = resident_cases.satisfied if state.get("verdict") == "satisfied" else resident_cases.unsatisfied
    return handler(message, sender, context)


def without_village(text: str, key: str, townships: list[str]) -> str:
    """The text with the village's name (and its 村/社区 after it) and its township's taken out, to
    read what else it says ("我系白石镇东坑村嘅村民" → "我是 的村民")."""
    names = [re.escape(key) + "(?:村委会|村委|村|社区|居委会)?"] + \
        [re.escape(t.rstrip("镇乡街道")) + "(?:镇|乡|街道)?" for t in townships if t.rstrip("镇乡街道")]
    return re.sub("|".join(names), " ", normalise(text))


def before_binding(message: Message, resident: Resident, state: dict | None, context: Context):
    """Unbound: a village name binds; a complaint is kept for after binding; anything else asks where."""
    text = message.text.strip()
    reading = read(text)
    plain_length = len(normalise(text).replace(" ", ""))
    # a greeting may say who one is ("我系白石镇东坑村嘅村民"): its village binds
    named = reading.kind != "smalltalk" or reading.detail == "greeting"
    villages, key = villages_named(context.session, text) if named else ([], "")
    if not villages:  # "你好 我是东坑村的" is the village's name, not small talk
        reading = unless_a_problem(reading, text, context)
    # "东坑村的村民", "白石镇东坑", and "我是东坑村村民 想反映点事": the village and nothing to keep
    rest = read(without_village(text, key, [v.township.name for v in villages])) if villages else reading
    names_only = bool(villages) and (rest.kind in ("smalltalk", "intent") or re.sub(r"(村|社区)$", "", text).isascii() or  # dongkeng(村)
                                     len(re.sub(r"\W", "", rest.text)) <= 6 and rest.detail != "marked")
    # The answer to "哪个村？" that names no village we know: not a complaint to keep.
    unknown_name = state is not None and not villages and reading.kind == "complaint" and plain_length <= 8
    # A few words that say nothing wrong ("白石镇的", "家里人") are no complaint to keep.
    complaint_like = reading.kind == "complaint" and (plain_length > 6 or
                                                      reading.detail == "marked" and plain_length >= 3)
    if reading.kind == "emergency" or (complaint_like and not names_only and not unknown_name):
        limit = context.config["cases"]["pending_max_chars"]  # filed once they bind; bounded, the oldest dropped
        resident.pending_text, dropped = keep_pending(resident.pending_text, text, limit)
        if dropped and reading.kind != "emergency":
            dialogue.ask(resident, "village", context.now)
            return context.text("ask_bind_trimmed", limit=limit)
    if reading.kind == "emergency":
        advice = context.text("emergency_unbound", call=context.text(f"emergency_call_{reading.detail}"))
        if villages:
            return advice + "\n\n" + binding.offer(resident, villages, key, message, context)
        dialogue.ask(resident, "village", context.now)
        return advice
    if villages and (names_only or state is not None):
        return binding.offer(resident, villages, key, message, context)
    dialogue.ask(resident, "village", context.now)
    if unknown_name:
        return context.text("bind_not_found", name=text)
    if reading.kind in ("smalltalk", "intent") or (reading.kind == "complaint" and not complaint_like):
        return context.text("ask_village")
    if reading.kind != "complaint":  # a question: answered once we know the village, not kept
        return context.text("ask_village_first")
    return context.text("ask_bind")
