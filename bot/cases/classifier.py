"""Complaint classifier, inference side: what a web process or worker loads to classify a message.

Editable keyword rules (the `categories:` block of the config) decide when they fire strongly; a
learned linear model decides otherwise. The model is NB-SVM style, one weight per feature and
category, so inference is a plain sparse dot product over the features of the normalised text:
jieba words (with the dictionary sub-words of long words, as jieba's search mode adds them),
adjacent word pairs, and character uni- and bigrams, which carry short chat messages whose words
jieba splits oddly. Confidence is a softmax whose temperature was fitted on held-out folds
(bot/cases/training.py, which also trains and evaluates). The explanation a cadre sees names the
jieba words of the message that pushed hardest towards the category (a character n-gram counts
for the words that contain it).
"""
from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jieba
import joblib
import numpy as np

from bot.reading.normalise import normalise

log = logging.getLogger(__name__)

UNSORTED = "待分类"
DEFAULT_MIN_CONFIDENCE = 0.4
ROOT = Path(__file__).resolve().parents[2]
# Rules overrule the model only when the best category's keyword weight is this high and clearly
# ahead of the runner-up; below that the learned weights are more accurate (see bench/classify.py).
STRONG_SCORE = 15
STRONG_MARGIN = 10
# Categories the model was never taught (the village ones) can only come from rules, so a single
# "nearly certain" keyword (weight 3) is enough for them unless the model is itself this sure.
RULES_ONLY_SCORE = 3
MODEL_SURE = 0.7
# A chat-length message (at most this many characters of words) gives the model few features, so
# there rules and model vote together: each category's log-probability plus RULE_VOTE per keyword
# weight; a category the model was never taught starts UNTAUGHT_OFFSET below the model's best.
# Tuned across the two halves of the chat training rows (one trains, the other scores); the long
# views of bench/classify.py hardly move.
CHAT_CHARS = 30
RULE_VOTE = 1.0
UNTAUGHT_OFFSET = 2.0
# ... unless the model is this sure: a cadre's correction (改类) it learnt then outweighs the keywords.
VOTE_UNLESS_SURE = 0.9
# Words too common to explain anything.
STOP_WORDS = frozenset("的 了 是 在 我 我们 你 您 他 她 它 有 和 就 不 也 都 这 那 啊 吗 呢 吧 着 被 把 给 对 让 "
                       "与 及 或 请 好 要 会 能 说 为 个 一个 没有 什么 问题 反映".split())
# Very long texts cost jieba time without adding signal; the opening carries the complaint.
MAX_CHARS = 2000
MODEL_VERSION = 4  # 4: trained with the chat complaints, so it knows all 13 categories
# Character n-gram features are marked so they never collide with a one-character jieba word.
CHAR_MARK = "#"
CHAR_NGRAMS = (1, 2)
# Character n-grams serve short messages (jieba splits chat oddly); over a long message the words
# suffice, so only its opening is read by character, which keeps long messages fast.
CHAR_SPAN = 120
# Explanations are built from this many of the features that pushed hardest towards the category.
EXPLAIN_FEATURES = 40

_JIEBA = jieba.Tokenizer()
_PUNCT = re.compile(r"^[\W_]+$")
_MASKED_PLACE = re.compile(r"^[a-z]\d*(市|区|县)?$")  # the data set masks places as A市, A3区
_added_words: set[str] = set()


def use_cache_dir(directory: str | Path) -> None:
    """Keep jieba's dictionary cache in ``directory`` so later starts load it in well under a second."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if not _JIEBA.initialized:
        _JIEBA.tmp_dir = str(directory)
        _JIEBA.cache_file = "jieba.cache"


def _initialize() -> None:
    """Load jieba's dictionary once, from the instance cache unless told otherwise."""
    if not _JIEBA.initialized:
        if _JIEBA.tmp_dir is None:
            use_cache_dir(os.environ.get("BOT_INSTANCE") or ROOT / "instance")
        jieba.setLogLevel(logging.WARNING)
        _JIEBA.initialize()


def add_words(words: Iterable[str]) -> None:
    """Teach jieba the category keywords so each segments as one word."""
    _initialize()
    for word in words:
        if word and word not in _added_words:
            _JIEBA.add_word(word)
            _added_words.add(word)


def tokens(text: str) -> list[str]:
    """Segment ``text`` with jieba (no HMM: faster and stable); drop punctuation, lower-case Latin."""
    _initialize()
    text = (text or "")[:MAX_CHARS]
    # a token starting with a letter, digit or Chinese character is not punctuation: skip the regex
    return [w.lower() for w in _JIEBA.lcut(text, HMM=False) if w[0].isalnum() or not _PUNCT.match(w)]


@lru_cache(maxsize=100_000)
def _subwords(word: str) -> tuple[str, ...]:
    """The 2- and 3-character dictionary words inside a longer word, as jieba's search mode adds them."""
    freq = _JIEBA.FREQ
    return tuple(word[s:s + k] for k in (2, 3) if k < len(word)
                 for s in range(len(word) - k + 1) if freq.get(word[s:s + k]))


def _features(words: list[str]) -> list[str]:
    """Word unigrams (with the sub-words of long words) and adjacent pairs, stop words, numbers and
    masked place names folded away; then the character n-grams of the message's words."""
    kept = ["<num>" if w.isdigit() else w for w in words if w not in STOP_WORDS and not _MASKED_PLACE.match(w)]
    feats = kept + [f"{a} {b}" for a, b in zip(kept, kept[1:])]
    for w in kept:
        if len(w) > 2:
            feats += _subwords(w)
    chars = "".join(words)[:CHAR_SPAN]
    for n in CHAR_NGRAMS:
        feats += [CHAR_MARK + chars[i:i + n] for i in range(len(chars) - n + 1)]
    return feats


def _within_span(words: list[str]) -> list[str]:
    """The words of the message's opening that its character n-grams come from."""
    kept, length = [], 0
    for word in words:
        if length >= CHAR_SPAN:
            break
        kept.append(word)
        length += len(word)
    return kept


@dataclass(frozen=True)
class Classification:
    """The category, how sure we are, and the words that weighed most."""

    category: str
    confidence: float
    explanation: tuple[str, ...]
    suggestions: tuple[str, ...] = ()  # the likeliest categories, best first (offered when unsorted)


@dataclass
class LinearModel:
    """A trained linear model over TF-IDF features, stored as plain arrays for fast inference."""

    labels: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray  # (n_features, n_labels)
    intercept: np.ndarray
    temperature: float
    version: int = MODEL_VERSION

    def scores(self, words: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Decision scores per label, plus the feature ids and their weights in this text."""
        found = [i for i in map(self.vocabulary.get, _features(words)) if i is not None]
        num = self.vocabulary.get("<num>")
        if not found or all(i == num for i in found):  # numbers alone say nothing about the topic
            return self.intercept.copy(), np.empty(0, int), np.empty(0)
        ids, counts = np.unique(np.array(found), return_counts=True)
        weights = (1.0 + np.log(counts)) * self.idf[ids]  # sublinear tf
        weights /= np.linalg.norm(weights)
        return weights @ self.coef[ids] + self.intercept, ids, weights

    def feature_names(self) -> list[str]:
        """Feature id → feature string, built on first use."""
        names = self.__dict__.get("_names")
        if names is None:
            names = [""] * len(self.vocabulary)
            for name, i in self.vocabulary.items():
                names[i] = name
            self.__dict__["_names"] = names
        return names

    def dumps(self) -> bytes:
        """The model as compressed bytes (what the model store keeps)."""
        fields = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        buffer = io.BytesIO()
        # one joined string instead of a dict: unpickling 200k small objects takes seconds
        joblib.dump({**fields, "vocabulary": "\n".join(self.feature_names())}, buffer, compress=3)
        return buffer.getvalue()

    @classmethod
    def loads(cls, blob: bytes) -> "LinearModel":
        """Read a model written by ``dumps``."""
        data = joblib.load(io.BytesIO(blob))
        words = data["vocabulary"].split("\n") if data["vocabulary"] else []
        data["vocabulary"] = {w: i for i, w in enumerate(words)}
        return cls(**data)

    def save(self, path: str | Path) -> Path:
        """Write the model to a file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.dumps())
        return path

    @classmethod
    def load(cls, path: str | Path) -> "LinearModel":
        """Read a model file written by ``save``."""
        return cls.loads(Path(path).read_bytes())


def _softmax(x: np.ndarray) -> np.ndarray:
    """Numerically stable softmax."""
    e = np.exp(x - x.max())
    return e / e.sum()


def _keyword_table(categories: dict) -> dict[str, list[tuple[str, float]]]:
    """Map each keyword to the (category, weight) pairs it votes for."""
    table: dict[str, list[tuple[str, float]]] = {}
    for name, spec in (categories or {}).items():
        for word, weight in ((spec or {}).get("keywords") or {}).items():
            table.setdefault(str(word).lower(), []).append((name, float(weight)))
    return table


@dataclass
class Classifier:
    """Keyword rules first when they are sure, the learned model otherwise."""

    categories: dict
    model: LinearModel | None = None
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    use_model: bool = True
    _keywords: dict = field(init=False, repr=False)
    _longest: int = field(init=False, repr=False)

    def __post_init__(self):
        self._keywords = _keyword_table(self.categories)
        self._longest = max((len(k) for k in self._keywords), default=1)
        self._keywords_in = lru_cache(maxsize=100_000)(self._keywords_in)  # words recur: look each up once
        # the reading step (handlers/reading.py) and intake may both classify the same message
        self.classify = lru_cache(maxsize=256)(self.classify)
        add_words(k for k in self._keywords if len(k) > 1)

    @classmethod
    def from_config(cls, categories: dict, model_path: str | Path | None,
                    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
                    cache_dir: str | Path | None = None) -> "Classifier":
        """Build from the config's categories and a model file (None or missing: rules only)."""
        if cache_dir:
            use_cache_dir(cache_dir)
        model = None
        if model_path and Path(model_path).is_file():
            model = LinearModel.load(model_path)
            if model.version != MODEL_VERSION:
                log.warning("classifier: %s was trained by an older version; retrain it "
                            "(python -m bot classifier train) for the figures in bench/classify.py", model_path)
        elif model_path:
            log.warning("classifier: model file %s not found; using keyword rules only", model_path)
        return cls(categories=categories or {}, model=model, min_confidence=min_confidence)

    def rule_scores(self, words: list[str]) -> tuple[dict[str, float], dict[str, list[str]]]:
        """Sum keyword weights per category; a keyword counts once, also inside a longer word."""
        scores: dict[str, float] = {}
        hits: dict[str, list[str]] = {}
        seen: set[str] = set()
        for word in words:
            for piece in self._keywords_in(word):
                if piece in seen:
                    continue
                seen.add(piece)
                for category, weight in self._keywords[piece]:
                    scores[category] = scores.get(category, 0.0) + weight
                    hits.setdefault(category, []).append(piece)
        return scores, hits

    def _keywords_in(self, word: str) -> tuple[str, ...]:
        """Every keyword inside ``word``, longest first: 养老保险 also hits 保险 (one character only alone)."""
        n = len(word)
        return tuple(dict.fromkeys(
            word[start:start + size] for size in range(min(n, self._longest), 0, -1) if size > 1 or n == 1
            for start in range(n - size + 1) if word[start:start + size] in self._keywords))

    def classify(self, text: str) -> Classification:
        """Classify one message, read as normalised text; low confidence or no signal gives UNSORTED."""
        return self.classify_words(tokens(normalise(text)))

    def classify_words(self, words: list[str]) -> Classification:
        """Classify an already segmented message (see ``tokens``)."""
        scores, hits = self.rule_scores(words)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        top_cat, top = ranked[0] if ranked else (None, 0.0)
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        rule_conf = top / (top + second + 2.0)
        rule_guess = tuple(c for c, _ in ranked[:2])
        model = self.model if self.use_model else None
        if top_cat and model is None:
            return Classification(top_cat, round(rule_conf, 4), tuple(self._ranked_hits(hits[top_cat])), rule_guess)
        if model is None:
            return Classification(UNSORTED, 0.0, ())
        if top_cat and sum(map(len, words)) <= CHAT_CHARS:
            return self._chat_vote(model, words, scores, hits)
        decision = self._model_decision(model, words)
        if top_cat and self._rules_win(model, top_cat, top, second, decision.confidence):
            category = top_cat if rule_conf >= self.min_confidence else UNSORTED
            return Classification(category, round(rule_conf, 4), tuple(self._ranked_hits(hits[top_cat])), rule_guess)
        return decision

    def _chat_vote(self, model: LinearModel, words: list[str], scores: dict[str, float],
                   hits: dict[str, list[str]]) -> Classification:
        """Rules and model together on a chat-length message (see CHAT_CHARS)."""
        raw, ids, weights = model.scores(words)
        probs = _softmax(raw * model.temperature) if len(ids) else np.full(len(model.labels), 1 / len(model.labels))
        if probs.max() >= VOTE_UNLESS_SURE:
            return self._model_decision(model, words)
        vote = {str(label): float(np.log(max(p, 1e-6))) for label, p in zip(model.labels, probs)}
        untaught = float(np.log(probs.max())) - UNTAUGHT_OFFSET
        for category, score in scores.items():
            vote[category] = vote.get(category, untaught) + RULE_VOTE * score
        names = list(vote)
        blended = _softmax(np.array([vote[n] for n in names]))
        order = np.argsort(-blended)
        category, confidence = names[int(order[0])], float(blended[order[0]])
        if category in hits:
            explanation = tuple(self._ranked_hits(hits[category]))
        else:
            explanation = self._model_words(model, words, ids, weights, list(model.labels).index(category))
        return Classification(category if confidence >= self.min_confidence else UNSORTED, round(confidence, 4),
                              explanation, tuple(names[i] for i in order[:2]))

    @staticmethod
    def _rules_win(model: LinearModel, category: str, top: float, second: float, model_confidence: float) -> bool:
        """Whether the keyword rules are sure enough to overrule the model."""
        if category not in model.labels:
            return top >= RULES_ONLY_SCORE and top > second and model_confidence < MODEL_SURE
        return top >= STRONG_SCORE and top - second >= STRONG_MARGIN

    def _ranked_hits(self, words: list[str]) -> list[str]:
        """Matched keywords, heaviest first."""
        weight = {w: max(wt for _, wt in self._keywords[w]) for w in words}
        return sorted(dict.fromkeys(words), key=lambda w: -weight[w])

    def _model_decision(self, model: LinearModel, words: list[str]) -> Classification:
        """The linear model's label, its calibrated confidence, the words that pushed it, the top two."""
        raw, ids, weights = model.scores(words)
        if not len(ids):
            return Classification(UNSORTED, 0.0, ())
        probs = _softmax(raw * model.temperature)
        order = np.argsort(-probs)
        best = int(order[0])
        confidence = float(probs[best])
        category = str(model.labels[best])
        if category not in self.categories and self.categories:
            log.debug("classifier: model label %s is not configured", category)
        if confidence < self.min_confidence:
            category = UNSORTED
        suggestions = tuple(str(model.labels[i]) for i in order[:2])
        return Classification(category, round(confidence, 4), self._model_words(model, words, ids, weights, best),
                              suggestions)

    @staticmethod
    def _model_words(model: LinearModel, words: list[str], ids: np.ndarray, weights: np.ndarray,
                     label: int) -> tuple[str, ...]:
        """The message's jieba words whose features pushed hardest towards ``label``: a word pair's
        weight is split between its two words, a character n-gram's among the words containing it."""
        contrib = weights * model.coef[ids, label]
        if len(ids) > EXPLAIN_FEATURES:  # only the strongest features can name the top words
            keep = np.argpartition(-contrib, EXPLAIN_FEATURES)[:EXPLAIN_FEATURES]
            ids, contrib = ids[keep], contrib[keep]
        names = model.feature_names()
        candidates = [w for w in dict.fromkeys(_within_span(words)) if w not in STOP_WORDS and not w.isdigit()]
        per_word: dict[str, float] = {}
        for fid, value in zip(ids.tolist(), contrib.tolist()):
            name = names[fid]
            if name.startswith(CHAR_MARK) and len(name) > 1:
                parts = [w for w in candidates if name[1:] in w]
            else:
                parts = [p for p in name.split(" ") if p != "<num>" and p not in STOP_WORDS]
            for part in parts:
                per_word[part] = per_word.get(part, 0.0) + value / len(parts)
        ranked = sorted((w for w, v in per_word.items() if v > 0), key=lambda w: -per_word[w])
        return tuple(ranked[:5])
