"""Learning from cadres' corrections: retrain on the labelled data plus every 改类, keep the better model.

The candidate is trained on the fixed split's training rows and every correction in the ledger,
then scored beside the live model on the held-out test views and on the latest corrections. It
goes live only when it is not worse: its title+body macro-F1 is no more than
`classifier.retrain.tolerance` below the live model's, and it agrees with the latest corrections at
least as often. Either way it is stored with its figures, so `python -m bot classifier status`
can say what happened.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bot.cases.classifier import Classifier, LinearModel
from bot.cases.model_store import live_row, store
from bot.cases.training import evaluate, load_split, train, training_files
from models import ClassifierModel
from models.case import corrections as ledger_corrections

log = logging.getLogger(__name__)

# The latest corrections each model is scored on (the cadres' most recent judgement).
LATEST_CORRECTIONS = 200
DEFAULT_TOLERANCE = 0.005


@dataclass
class Outcome:
    """What one retraining did."""

    row: ClassifierModel
    candidate: dict
    live: dict | None

    @property
    def accepted(self) -> bool:
        """Whether the candidate became live."""
        return self.row.accepted


def not_worse(candidate: dict, live: dict | None, tolerance: float) -> bool:
    """The rule for replacing the live model (no live model: any candidate will do)."""
    if not live:
        return True
    if candidate.get("title+body", 0.0) < live.get("title+body", 0.0) - tolerance:
        return False
    return candidate.get("corrections", 1.0) >= live.get("corrections", 1.0)


def _agreement(judge: Classifier, fixes: list[tuple[str, str]]) -> float | None:
    """Share of corrections whose text the judge puts in the corrected category."""
    if not fixes:
        return None
    return round(sum(judge.classify(text).category == label for text, label in fixes) / len(fixes), 4)


def score(judge: Classifier, views: dict, fixes: list[tuple[str, str]]) -> dict:
    """A model's figures: the held-out views, coverage and accuracy, and the latest corrections."""
    figures = evaluate(judge, views)
    agreement = _agreement(judge, fixes)
    if agreement is not None:
        figures["corrections"] = agreement
    return figures


def retrain(session, config: dict, fallback: Path | None = None) -> Outcome:
    """Train a candidate on the labelled data and the ledger's corrections; make it live if not worse.

    ``fallback`` is the start-up model file, compared against while no model is stored yet.
    """
    categories = config.get("categories") or {}
    rules = config.get("classifier") or {}
    threshold = rules.get("min_confidence", 0.4)
    files = training_files()
    if not files:
        raise FileNotFoundError("no labelled complaint CSVs found (bot/cases/data/ or $BOT_TRAINING_DATA)")
    data = load_split(files)
    fixes = ledger_corrections(session)
    latest = fixes[-LATEST_CORRECTIONS:]
    model = train(data.train, corrections=fixes, categories=categories, chat=data.chat)
    candidate = score(Classifier(categories, model, threshold), data.test, latest)
    current = live_row(session)
    live_model = LinearModel.loads(current.blob) if current is not None else (
        LinearModel.load(fallback) if fallback is not None and fallback.is_file() else None)
    live = score(Classifier(categories, live_model, threshold), data.test, latest) if live_model else None
    accepted = not_worse(candidate, live, (rules.get("retrain") or {}).get("tolerance", DEFAULT_TOLERANCE))
    row = store(session, model, samples=len(data.train), corrections=len(fixes),
                figures={**candidate, "replaced": live}, accepted=accepted)
    log.info("classifier: retrained on %d samples and %d corrections: %s (candidate %s, live %s)",
             len(data.train), len(fixes), "live now" if accepted else "kept the live model", candidate, live)
    return Outcome(row, candidate, live)
