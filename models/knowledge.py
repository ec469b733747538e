"""The knowledge base: questions residents ask and their answers, per county, township or village."""
from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class KnowledgeEntry(Base):
    """A question and its answer; empty scope names mean "everywhere above"; ``hits`` counts answers given."""

    __tablename__ = "knowledge_entry"
    __table_args__ = (Index("ix_knowledge_entry_scope", "county", "township", "village"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    county: Mapped[str] = mapped_column(String(64), default="")
    township: Mapped[str] = mapped_column(String(64), default="")
    village: Mapped[str] = mapped_column(String(64), default="")
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    # The question's words (and any keywords given), cut once at import so matching never re-segments.
    words: Mapped[list[str]] = mapped_column(JSON, default=list)
    hits: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
