"""Trained classifier models: every retraining's candidate, its figures, and which one is live."""
from datetime import datetime

from sqlalchemy import JSON, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class ClassifierModel(Base):
    """One trained model; the accepted one with the highest id is live in every process."""

    __tablename__ = "classifier_model"

    id: Mapped[int] = mapped_column(primary_key=True)  # the version processes compare
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    samples: Mapped[int] = mapped_column(default=0)  # labelled messages trained on
    corrections: Mapped[int] = mapped_column(default=0)  # 改类 corrections trained on
    figures: Mapped[dict] = mapped_column(JSON, default=dict)  # its evaluation, beside the live model's
    accepted: Mapped[bool] = mapped_column(default=False)  # not worse than the model it replaced
    blob: Mapped[bytes] = mapped_column(LargeBinary)  # the model (LinearModel.dumps)
