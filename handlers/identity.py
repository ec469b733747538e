"""Who is writing: an active cadre from the roster, or a resident (bound or not)."""
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from handlers.message import Sender
from models import Resident

# Senders that wrote through WeCom's callback (/wecom) are ``wecom:<userid>``, never an openid.
WECOM_PREFIX = "wecom:"

RESIDENTS = Resident.__table__
# A known resident is one UPDATE (its last message opens WeChat's 48-hour window for customer-service
# replies). Core on the table, built once: no ORM statement building per message.
SEEN = (update(RESIDENTS).where(RESIDENTS.c.openid == bindparam("sender"))
        .values(last_message_at=bindparam("now")).returning(RESIDENTS.c.id))
SEEN_BY_ID = (update(RESIDENTS).where(RESIDENTS.c.id == bindparam("resident"))
              .values(last_message_at=bindparam("now")))
# Key in Session.info: {"resident": id, "now": time} of a resident whose last message time the caller
# sets when it stores the message (bot/inbox/receive.py), in the same round trip.
SEEN_LATER = "resident_seen_later"


def wecom_cadre(session, sender: str, facts):
    """The active cadre the roster binds to a ``wecom:<userid>`` sender (a roster fact), or None."""
    return facts.cadre(session, WECOM_PREFIX + sender.removeprefix(WECOM_PREFIX))


def identify(session, openid: str, now: datetime, facts) -> Sender:
    """Look the openid up among active cadres, else record the resident (and when they last wrote).

    ``facts``: the runtime's roster facts (bot/roster/facts.py), so a cadre costs no query, nor a
    resident this process has seen before: whoever stores the message then sets their last message
    time (``SEEN_LATER``).
    """
    if openid.startswith(WECOM_PREFIX):  # only cadres write through WeCom; the webhook checked it
        cadre = wecom_cadre(session, openid, facts)
        return Sender(openid=openid, role=cadre.role if cadre else "unknown", cadre_id=cadre.id if cadre else None)
    cadre = facts.cadre(session, openid)
    if cadre:
        return Sender(openid=openid, role=cadre.role, cadre_id=cadre.id)
    if (known := facts.resident_ids.get(openid)) is not None:
        session.info[SEEN_LATER] = {"resident": known, "now": now}  # a resident's id never changes
        return Sender(openid=openid, role="resident", resident_id=known)
    resident_id = session.connection().scalar(SEEN, {"sender": openid, "now": now})
    if resident_id is None:
        # A first message: the upsert lets a villager's first two messages arrive at once.
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        statement = insert(Resident).values(openid=openid, pending_text="", pending_choices=[], last_message_at=now)
        resident_id = session.scalar(statement.on_conflict_do_update(
            index_elements=[Resident.openid], set_={"last_message_at": statement.excluded.last_message_at},
        ).returning(Resident.id))
    facts.remember_resident(openid, resident_id)
    return Sender(openid=openid, role="resident", resident_id=resident_id)
