"""Passive replies within WeChat's 2,048 bytes: a longer answer goes on as customer-service messages.

The passive reply keeps the first part and says how many follow; the rest are outbox rows
(``Notification``) written in the message's transaction, so they exist exactly when it committed.
"""
from hashlib import sha1

from bot.cases.outbox import notify
from models import Cadre, Resident

KIND = "reply_more"


def utf8_len(text: str) -> int:
    """Length in UTF-8 bytes, as WeChat counts."""
    return len(text.encode("utf-8"))


def chunks(text: str, limit: int) -> list[str]:
    """``text`` in parts of at most ``limit`` bytes, cut at line breaks where a line fits."""
    parts, current = [], ""
    for line in text.split("\n"):
        while utf8_len(line) > limit:  # one line longer than a part: cut it by characters
            cut = len(line.encode("utf-8")[:limit].decode("utf-8", "ignore"))
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:]
        joined = f"{current}\n{line}" if current else line
        if utf8_len(joined) > limit:
            parts.append(current)
            joined = line
        current = joined
    if current:
        parts.append(current)
    return parts


def fit(session, config: dict, sender, key: str, reply: str | None) -> str | None:
    """The passive reply for ``reply``: itself when short, else its first part and what follows."""
    limit = config["wechat"]["passive_reply_bytes"]
    if not reply or utf8_len(reply) <= limit:
        return reply
    note = config["texts"]["reply_continued"]
    room = limit - utf8_len(note.format(count=99)) - 1
    first, *rest = chunks(reply, room)
    rest = chunks("\n".join(rest), limit) if rest else []
    recipient = (session.get(Cadre, sender.cadre_id) if sender.cadre_id
                 else session.get(Resident, sender.resident_id) if sender.resident_id else None)
    if recipient is None:
        return first
    source = "reply:" + sha1(key.encode()).hexdigest()[:20]
    for index, part in enumerate(rest, start=1):
        notify(session, f"{source}:{index}", recipient, KIND, part, title="回复（续）")
    return f"{first}\n{note.format(count=len(rest))}"
