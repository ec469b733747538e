"""Who is writing: an active cadre from the roster, or a resident (bound or not)."""
from sqlalchemy import select

from handlers.message import Sender
from models import Cadre, Resident


def identify(session, openid: str) -> Sender:
    """Look the openid up among active cadres, then residents."""
    cadre = session.execute(
        select(Cadre.id, Cadre.role).where(Cadre.openid == openid, Cadre.active.is_(True))
    ).first()
    if cadre:
        return Sender(openid=openid, role=cadre.role, cadre_id=cadre.id)
    resident_id = session.scalar(select(Resident.id).where(Resident.openid == openid))
    return Sender(openid=openid, role="resident", resident_id=resident_id)
