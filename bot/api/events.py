"""Case events for webhook subscribers: every ledger entry becomes one outbox row per subscriber.

The one hook: each flush notes the ``CaseEvent`` rows it inserted, and just before the
transaction commits their webhook rows are written — so whoever writes the ledger (the case life,
filing, any later code) emits events without knowing of webhooks, and a rolled-back change emits
nothing. The rows' unique (source, recipient) key makes it exactly once per event and subscriber;
ids follow the ledger's order, which delivery keeps per case (bot/delivery/webhooks.py).
"""
import json

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bot.api.fields import filed_by, iso, service_request
from bot.api.keys import Caller
from bot.cases.ledger import PENDING  # ids of ledger entries written, not yet committed (flush or Core)
from bot.cases.outbox import add
from bot.roster.facts import ANY_SUBSCRIBER, INFO_KEY
from models import ApiClient, Cadre, CaseEvent, WebhookSubscriber

KIND = "webhook"

# Open311 clients hear these names; the ledger's actions stay ours.
TYPES = {
    "receive": "new", "assign": "assigned", "accept": "accepted", "start": "in_progress",
    "transfer": "transferred", "escalate_township": "escalated", "escalate_county": "escalated",
    "resolve": "resolved", "confirm": "confirmed", "reopen": "reopened", "close_unresolved": "closed",
    "note": "noted", "supplement": "supplemented", "co_report": "co_reported", "reclassify": "reclassified",
}


@event.listens_for(Session, "after_flush")
def _note_entries(session, _context) -> None:
    """Remember the ledger entries this flush inserted."""
    ids = [item.id for item in session.new if isinstance(item, CaseEvent)]
    if ids:
        session.info.setdefault(PENDING, []).extend(ids)


@event.listens_for(Session, "after_soft_rollback")
def _forget_entries(session, _previous) -> None:
    """A rolled-back change emits nothing."""
    session.info.pop(PENDING, None)


@event.listens_for(Session, "before_commit")
def _emit(session) -> None:
    """Write the webhook rows of every ledger entry of this transaction, in ledger order."""
    if not session.info.get(PENDING):
        return
    session.flush()  # entries added since the last flush get their ids (and are noted)
    ids = sorted(set(session.info.pop(PENDING, [])))
    facts = session.info.get(INFO_KEY)
    if not (facts.listening(session) if hasattr(facts, "listening") else session.scalar(ANY_SUBSCRIBER) is not None):
        return  # nobody listens (the usual case): known from the roster facts, else one indexed look-up
    subscribers_of: dict[str, list[tuple[int, Caller]]] = {}
    for entry in session.scalars(select(CaseEvent).where(CaseEvent.id.in_(ids)).order_by(CaseEvent.id)):
        case = entry.case
        county = case.village.township.county
        if county not in subscribers_of:
            subscribers_of[county] = subscribers(session, county)
        bodies: dict[Caller, str] = {}  # subscribers of one client share a body
        for subscriber_id, caller in subscribers_of[county]:
            if caller not in bodies:
                bodies[caller] = json.dumps(payload(session, entry, caller), ensure_ascii=False,
                                            separators=(",", ":"))
            add(session, f"case_event:{entry.id}", KIND, subscriber_id, KIND, bodies[caller], case_id=case.id,
                title=TYPES.get(entry.action, entry.action))


def subscribers(session, county: str) -> list[tuple[int, Caller]]:
    """Active subscribers of active clients of ``county``, with the view their client has."""
    rows = session.execute(select(WebhookSubscriber.id, ApiClient).join(ApiClient).where(
        WebhookSubscriber.active.is_(True), ApiClient.active.is_(True), ApiClient.county == county)
        .order_by(WebhookSubscriber.id))
    return [(subscriber_id, Caller(client.id, client.name, client.county, client.can_write))
            for subscriber_id, client in rows]


def actor(session, entry: CaseEvent) -> dict:
    """Who acted: a cadre by name and position (as on the contact card), a client by name, else the kind."""
    if entry.actor_kind == "cadre" and entry.actor_id:
        cadre = session.get(Cadre, entry.actor_id)
        return {"kind": "cadre", "name": cadre.name, "position": cadre.position}
    if entry.actor_kind == "api":
        return {"kind": "api", "name": (entry.data or {}).get("client", "")}
    return {"kind": entry.actor_kind}  # resident or system: never who


def payload(session, entry: CaseEvent, caller: Caller) -> dict:
    """The JSON a subscriber receives for one ledger entry."""
    case = entry.case
    request = filed_by(session, [case.id]).get(case.id)
    return {
        "event_id": entry.id,
        "type": TYPES.get(entry.action, entry.action),
        "action": entry.action,
        "from_state": entry.from_state,
        "to_state": entry.to_state,
        "at": iso(entry.at),
        "actor": actor(session, entry),
        "note": entry.note if caller.sees_text(case.village.township.county) else None,
        "service_request": service_request(case, caller, entry.at, request),
    }
