"""The live classifier model, shared by every process through the database.

Each retraining stores its candidate as a `ClassifierModel` row; the accepted row with the highest
id is live. A process keeps the model it loaded and asks the database for the live id at most every
`classifier.reload_check_seconds`, so a new model reaches web processes and workers without a
restart, at the cost of one indexed MAX() query every few seconds.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.cases.classifier import Classification, Classifier, LinearModel
from models import ClassifierModel

log = logging.getLogger(__name__)


def live_version(session) -> int | None:
    """The id of the live model (None: no model stored yet)."""
    return session.scalar(select(func.max(ClassifierModel.id)).where(ClassifierModel.accepted.is_(True)))


def live_row(session) -> ClassifierModel | None:
    """The live model's row."""
    version = live_version(session)
    return session.get(ClassifierModel, version) if version is not None else None


def store(session, model: LinearModel, *, samples: int, corrections: int, figures: dict,
          accepted: bool) -> ClassifierModel:
    """Keep a trained model and its figures; an accepted one becomes live for every process."""
    row = ClassifierModel(samples=samples, corrections=corrections, figures=figures, accepted=accepted,
                          blob=model.dumps())
    session.add(row)
    session.flush()
    return row


@dataclass
class LiveClassifier:
    """A classifier that swaps in the live model from the database when its version changes."""

    base: Classifier  # the keyword rules and the start-up model (a file, or none)
    Session: Callable
    check_seconds: float = 10.0
    clock: Callable[[], float] = time.monotonic
    version: int | None = None  # the stored model in use (None: the start-up one)
    _checked: float = field(default=-1e18, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def current(self) -> Classifier:
        """The classifier in use now, refreshed if the check interval has passed."""
        if self.clock() - self._checked >= self.check_seconds:
            self.refresh()
        return self.base

    @property
    def model(self) -> LinearModel | None:
        """The model in use."""
        return self.current.model

    @property
    def categories(self) -> dict:
        """The configured categories."""
        return self.base.categories

    def classify(self, text: str) -> Classification:
        """Classify with the live model."""
        return self.current.classify(text)

    def classify_words(self, words: list[str]) -> Classification:
        """Classify segmented words with the live model."""
        return self.current.classify_words(words)

    def refresh(self) -> bool:
        """Load the live model if its version differs from ours; True when it changed."""
        with self._lock:
            self._checked = self.clock()
            try:
                with self.Session() as session:
                    version = live_version(session)
                    if version is None or version == self.version:
                        return False
                    model = LinearModel.loads(session.get(ClassifierModel, version).blob)
            except SQLAlchemyError as error:  # e.g. not migrated yet: keep what we have
                log.warning("classifier: cannot read the live model version (%s)", error.__class__.__name__)
                return False
            self.base = Classifier(self.base.categories, model, self.base.min_confidence)
            self.version = version
            log.info("classifier: model version %d is live", version)
            return True
