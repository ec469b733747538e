"""Residents answer a co-report offer: "是" joins the offered case, "否" files the report apart."""
from sqlalchemy.orm import joinedload

from bot.cases.co_report_offer import answer, waiting
from handlers.message import Message, Sender
from handlers.registry import PASS, Context, Registry
from models import Resident

YES = frozenset({"是", "是的", "对", "对的", "好", "好的", "并入", "同意", "嗯", "y", "yes"})
NO = frozenset({"否", "不是", "不", "不对", "不是的", "单独立案", "n", "no"})


def register(registry: Registry) -> None:
    """Take 是/否 before intake (other texts pass on; intake settles a waiting offer first)."""
    registry.add(lambda m: _word(m) if m.kind == "text" and _word(m) in YES | NO else None, reply, name="是/否")


def _word(message: Message) -> str:
    return message.text.strip().strip("。！!.").lower()


def reply(message: Message, sender: Sender, context: Context):
    """Answer the resident's waiting offer; with none waiting, the word goes on to later routes."""
    if sender.role != "resident" or sender.resident_id is None:
        return PASS
    row = waiting(context.session, sender.resident_id)
    if row is None:
        return PASS
    from handlers.intake import classifier, receipt  # intake phrases receipts for every filing

    resident = context.session.get(Resident, sender.resident_id, options=[joinedload(Resident.village)])
    filed = answer(context.session, resident, row, context.args in YES, context.config, classifier(context),
                   context.now)
    return receipt(filed, context)
