"""A case's ledger as people read it: who, what, from which state to which, and every field in Chinese."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from models import Cadre, CaseEvent

ACTORS = {"resident": "群众", "system": "系统"}
FIELDS = {"to": "交给", "from": "原类别", "category": "新类别", "media": "附件", "kind": "附件类型",
          "attempts": "尝试次数", "media_file": "附件编号"}


@dataclass(frozen=True)
class Entry:
    """One ledger line, ready to print."""

    at: datetime
    actor: str
    action: str
    change: str
    note: str
    details: str


def entries(db, case_id: int, labels: dict, role_names: dict) -> list[Entry]:
    """Every ledger entry of the case, oldest first, in Chinese."""
    events = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()
    ids = {e.actor_id for e in events if e.actor_kind == "cadre"} | {
        e.data.get("to") for e in events if isinstance(e.data.get("to"), int)}
    names = {c.id: c for c in db.scalars(select(Cadre).where(Cadre.id.in_(ids - {None}))).all()} if ids else {}
    states, actions = labels["states"], labels["actions"]
    kinds = labels.get("attachments", {})

    def actor(event: CaseEvent) -> str:
        cadre = names.get(event.actor_id) if event.actor_kind == "cadre" else None
        if cadre is not None:
            return f"{cadre.name}（{role_names.get(cadre.role, cadre.role)}）"
        return ACTORS.get(event.actor_kind, event.actor_kind)

    def value(key: str, raw) -> str:
        if key == "to":
            return names[raw].name if raw in names else "—"
        if key == "media":
            return "、".join(kinds.get(item.get("kind"), item.get("kind", "")) for item in raw or [])
        if key == "kind":
            return kinds.get(raw, raw)
        return str(raw)

    def details(event: CaseEvent) -> str:
        return "；".join(f"{FIELDS.get(k, k)}：{value(k, v)}" for k, v in (event.data or {}).items())

    def change(event: CaseEvent) -> str:
        before, after = states.get(event.from_state, event.from_state), states.get(event.to_state, event.to_state)
        if not before:
            return after
        return before if before == after else f"{before} → {after}"

    return [Entry(e.at, actor(e), actions.get(e.action, e.action), change(e), e.note, details(e)) for e in events]
