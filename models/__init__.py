"""SQLAlchemy models of the 驻点联系 bot and the queries on them.

Importing this package registers every table on ``Base.metadata``; Alembic and the tests rely
on that.
"""
from models.base import Base, utcnow
from models.inbound import InboundMessage
from models.roster import ROLES, Cadre, InviteCode, Membership, Resident, Team, Township, Village

__all__ = [
    "Base", "utcnow", "InboundMessage", "ROLES", "Cadre", "InviteCode", "Membership", "Resident", "Team",
    "Township", "Village",
]
