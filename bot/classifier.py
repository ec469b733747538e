"""TEMPORARY placeholder written by the lead so the tree imports; the classifier engineer replaces
this whole file (overwrite freely). API as agreed: UNSORTED, Classification, Classifier, tokens."""
from dataclasses import dataclass

import jieba

UNSORTED = "待分类"


@dataclass(frozen=True)
class Classification:
    category: str
    confidence: float
    explanation: tuple[str, ...]


def tokens(text: str) -> list[str]:
    return [t for t in jieba.lcut(text or "") if t.strip()]


class Classifier:
    def __init__(self, categories: dict) -> None:
        self.categories = categories

    @classmethod
    def from_config(cls, categories, model_path=None, min_confidence=0.0):
        return cls(categories)

    def classify(self, text: str) -> Classification:
        words = tokens(text)
        best, hits = UNSORTED, ()
        for name, spec in (self.categories or {}).items():
            found = tuple(w for w in words if w in (spec or {}).get("keywords", {}))
            if len(found) > len(hits):
                best, hits = name, found
        return Classification(best, 1.0 if hits else 0.0, hits)
