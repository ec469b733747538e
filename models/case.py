"""Cases, their reporters, and the append-only ledger of everything that happened to them."""
from datetime import datetime

from sqlalchemy import DDL, JSON, ForeignKey, Index, String, Text, UniqueConstraint, and_, event, or_, text
from sqlalchemy import case as when
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.roster import Cadre, Resident, Village

# The case's states, defined here once (bot/cases/case_life.py moves between them; models cannot
# import it). DONE counts as resolved in the rates; ENDED is every state no one works on any more:
# closed_unresolved (out of scope, duplicate) is ended but never done.
DONE = ("resolved", "confirmed")
ENDED = (*DONE, "closed_unresolved")
OPEN = ("received", "assigned", "accepted", "in_progress", "transferred", "escalated_township", "escalated_county",
        "reopened")
STATES = (*OPEN, *ENDED)
OPEN_SQL = f"state NOT IN ({', '.join(repr(state) for state in ENDED)})"  # the partial index's predicate


class Case(Base):
    """A resident's concern or complaint; ``number`` is what the resident sees and reads aloud."""

    __tablename__ = "case"
    __table_args__ = (
        Index("ix_case_village_state", "village_id", "state"),
        # The three rates and summaries (bot/reports/rates.py) scan a village's cases of a period; on
        # PostgreSQL the included columns let them read the index alone (no heap visit per case).
        Index("ix_case_village_received", "village_id", "received_at",
              postgresql_include=["state", "accepted_at", "contact_due_at", "resolve_due_at", "reopened", "category",
                                  "kind"]),
        # Oldest-open and overdue lists read only open cases; this stays small as cases close.
        Index("ix_case_open_village_received", "village_id", "received_at",
              sqlite_where=text(OPEN_SQL), postgresql_where=text(OPEN_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    village: Mapped[Village] = relationship()
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)  # the first reporter
    resident: Mapped[Resident] = relationship()
    text: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[list[dict]] = mapped_column(JSON, default=list)  # photos, voice, locations
    # The first report's words, kept so co-report matching never re-segments old cases.
    words: Mapped[list[str]] = mapped_column(JSON, default=list)
    category: Mapped[str] = mapped_column(String(32))
    # complaint, or inquiry (咨询: a question the knowledge base could not answer, for a cadre).
    kind: Mapped[str] = mapped_column(String(16), default="complaint")
    confidence: Mapped[float] = mapped_column(default=0.0)
    explanation: Mapped[list[str]] = mapped_column(JSON, default=list)  # words that decided the category
    suggested: Mapped[list[str]] = mapped_column(JSON, default=list)  # likeliest categories, offered when 待分类
    state: Mapped[str] = mapped_column(String(24), default="received")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("cadre.id"), index=True)  # routed to, not yet accepted
    assignee: Mapped[Cadre | None] = relationship(foreign_keys=[assignee_id])
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("cadre.id"), index=True)  # first handler (首办)
    owner: Mapped[Cadre | None] = relationship(foreign_keys=[owner_id])
    hidden_complainant: Mapped[bool] = mapped_column(default=False)  # about the village's own cadres
    # Cadres a complaint names or implies (bot/cases/accused.py): never assigned it, never shown it.
    exclusions: Mapped[list["CaseExclusion"]] = relationship(back_populates="case", cascade="all, delete-orphan")
    urgent: Mapped[bool] = mapped_column(default=False)
    escalation: Mapped[str] = mapped_column(String(16), default="")  # "", township, county
    reporters: Mapped[int] = mapped_column(default=1)
    reopened: Mapped[int] = mapped_column(default=0)
    answer: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # last message joined (the intake window)
    contact_due_at: Mapped[datetime]
    resolve_due_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]

    @hybrid_property
    def open(self) -> bool:
        """Still waiting for a resolution (in SQL too: ``select(Case).where(Case.open)``)."""
        return self.state not in ENDED

    @open.inplace.expression
    @classmethod
    def _open_sql(cls):
        return cls.state.not_in(ENDED)

    @hybrid_property
    def due_at(self) -> datetime:
        """The time limit the case is measured against: contact until accepted, then resolution."""
        return self.contact_due_at if self.accepted_at is None else self.resolve_due_at

    @due_at.inplace.expression
    @classmethod
    def _due_at_sql(cls):
        return when((cls.accepted_at.is_(None), cls.contact_due_at), else_=cls.resolve_due_at)

    @hybrid_method
    def overdue(self, now: datetime) -> bool:
        """Open and past a time limit: not contacted by the contact limit, or not resolved by the resolve limit."""
        return self.open and (self.resolve_due_at < now or (self.accepted_at is None and self.contact_due_at < now))

    @overdue.inplace.expression
    @classmethod
    def _overdue_sql(cls, now: datetime):
        return and_(cls.state.not_in(ENDED), or_(cls.resolve_due_at < now,
                                                 and_(cls.accepted_at.is_(None), cls.contact_due_at < now)))


class CaseReporter(Base):
    """A resident who reported the case (the first one, and co-reporters of the same problem)."""

    __tablename__ = "case_reporter"
    __table_args__ = (UniqueConstraint("case_id", "resident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    case: Mapped[Case] = relationship()
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    resident: Mapped[Resident] = relationship()
    text: Mapped[str] = mapped_column(Text, default="")
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    verdict: Mapped[str] = mapped_column(String(16), default="")  # satisfied | unsatisfied


class CaseExclusion(Base):
    """A cadre a complaint is about (named, or implied by position): kept away from the case."""

    __tablename__ = "case_exclusion"
    __table_args__ = (UniqueConstraint("case_id", "cadre_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    case: Mapped[Case] = relationship(back_populates="exclusions")
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id"), index=True)


class CoReportOffer(Base):
    """A resident's report held while they answer 是/否 to joining a near-identical open case."""

    __tablename__ = "co_report_offer"

    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    case: Mapped[Case] = relationship()
    text: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[list[dict]] = mapped_column(JSON, default=list)
    expires_at: Mapped[datetime]


class CaseEvent(Base):
    """One ledger entry: who did what to a case, from which state to which, and when.

    Append-only: the ORM refuses updates and deletes, and database triggers refuse them too.
    """

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    case: Mapped[Case] = relationship()
    actor_kind: Mapped[str] = mapped_column(String(16))  # cadre | resident | system
    actor_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(24), default="")
    to_state: Mapped[str] = mapped_column(String(24), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # e.g. {"category": ...} for 改类
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Escalation(Base):
    """A case sent up: to the township's special meeting, then to a county department."""

    __tablename__ = "escalation"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    case: Mapped[Case] = relationship()
    level: Mapped[str] = mapped_column(String(16))  # township | county
    reason: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int] = mapped_column(ForeignKey("cadre.id"))
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("cadre.id"))  # the secretary, for township
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseCounter(Base):
    """The last case number given out per township and year (incremented atomically)."""

    __tablename__ = "case_counter"

    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


def corrections(session) -> list[tuple[str, str]]:
    """(case text, corrected category) for every 改类 in the ledger: training labels from cadres."""
    from sqlalchemy import select

    rows = session.execute(select(Case.text, CaseEvent.data).join(CaseEvent, CaseEvent.case_id == Case.id)
                           .where(CaseEvent.action == "reclassify").order_by(CaseEvent.id))
    return [(text, data["category"]) for text, data in rows if text and data.get("category")]


# Database-level guard of the ledger, so not even raw SQL can rewrite history.
LEDGER_GUARDS = {
    "sqlite": [
        "CREATE TRIGGER case_event_no_update BEFORE UPDATE ON case_event "
        "BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END",
        "CREATE TRIGGER case_event_no_delete BEFORE DELETE ON case_event "
        "BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION case_event_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'case_event is append-only'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER case_event_append_only BEFORE UPDATE OR DELETE ON case_event "
        "FOR EACH ROW EXECUTE FUNCTION case_event_append_only()",
    ],
}
for _dialect, _statements in LEDGER_GUARDS.items():
    for _statement in _statements:
        event.listen(CaseEvent.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))


@event.listens_for(CaseEvent, "before_update")
@event.listens_for(CaseEvent, "before_delete")
def _refuse_rewrite(mapper, connection, target) -> None:
    raise ValueError("case_event is append-only")
