"""SQLAlchemy models of the 驻点联系 bot and the queries on them.

Importing this package registers every table on ``Base.metadata``; Alembic and the tests rely
on that.
"""
from models.abuse import BannedUser
from models.api import ApiClient, ApiRequest, WebhookSubscriber
from models.base import Base, utcnow
from models.classifier import ClassifierModel
from models.case import Case, CaseCounter, CaseEvent, CaseExclusion, CaseReporter, CoReportOffer, Escalation
from models.inbound import InboundMessage
from models.knowledge import KnowledgeEntry
from models.media import MediaFile
from models.notification import Notification
from models.records import Announcement, DashboardLogin, DiaryEntry, Inspection
from models.roster import ROLES, Cadre, InviteCode, Membership, Resident, StationDayChange, Team, Township, Village
from models.version import RosterVersion

__all__ = [
    "ApiClient", "ApiRequest", "WebhookSubscriber", "BannedUser", "Base", "utcnow", "ClassifierModel", "Case",
    "CaseCounter", "CaseEvent", "CaseExclusion", "CaseReporter", "CoReportOffer", "Escalation", "InboundMessage",
    "KnowledgeEntry", "MediaFile",
    "Notification", "ROLES", "Cadre", "InviteCode", "Membership", "Resident", "Team",
    "StationDayChange", "Township", "Village", "RosterVersion", "Announcement", "DashboardLogin", "DiaryEntry", "Inspection",
]
