"""Complaint classifier: editable keyword rules plus a learned linear model over jieba words.

Rules come from the `categories:` block of config.yaml and decide when they fire strongly; a
linear model over jieba unigrams and bigrams (trained from labelled CSVs and `改类` corrections)
decides otherwise. The model is NB-SVM style: per category, a linear SVM over TF-IDF features scaled
by their naive-Bayes log-count ratio, folded back into one weight per feature and category, so
inference is a plain sparse dot product. Unigrams include the dictionary sub-words of long words
(what jieba's search mode adds: 养老保险 also gives 养老, 保险), which helps short messages most.
"""
from __future__ import annotations

import csv
import logging
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import jieba
import joblib
import numpy as np

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
# Words too common to explain anything.
STOP_WORDS = frozenset("的 了 是 在 我 我们 你 您 他 她 它 有 和 就 不 也 都 这 那 啊 吗 呢 吧 着 被 把 给 对 让 "
                       "与 及 或 请 好 要 会 能 说 为 个 一个 没有 什么 问题 反映".split())
# Held-out docs used to calibrate confidence; more adds training time, not accuracy of one scalar.
CALIBRATION_DOCS = 4000
# Very long texts cost jieba time without adding signal; the opening carries the complaint.
MAX_CHARS = 2000
# The learned model only ever sees this much of a message at once in short-message training copies.
SHORT_PREFIX = 60
# A cadre's correction counts as this many ordinary samples, so a few corrections take effect.
CORRECTION_WEIGHT = 8
# Smoothing of the naive-Bayes log-count ratios that scale each category's features.
NB_ALPHA = 1.0
MODEL_VERSION = 2
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
    """Unigrams (with the sub-words of long words) and adjacent bigrams; stop words, numbers and
    masked place names folded away."""
    words = ["<num>" if w.isdigit() else w for w in words if w not in STOP_WORDS and not _MASKED_PLACE.match(w)]
    feats = words + [f"{a} {b}" for a, b in zip(words, words[1:])]
    for w in words:
        if len(w) > 2:
            feats += _subwords(w)
    return feats


@dataclass(frozen=True)
class Classification:
    """The category, how sure we are, and the words that weighed most."""

    category: str
    confidence: float
    explanation: tuple[str, ...]


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

    def save(self, path: str | Path) -> Path:
        """Write the model with joblib (compressed)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fields = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        # one joined string instead of a dict: unpickling 200k small objects takes seconds
        joblib.dump({**fields, "vocabulary": "\n".join(self.feature_names())}, path, compress=3)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "LinearModel":
        """Read a model written by ``save``."""
        data = joblib.load(path)
        words = data["vocabulary"].split("\n") if data["vocabulary"] else []
        data["vocabulary"] = {w: i for i, w in enumerate(words)}
        return cls(**data)


def _softmax(x: np.ndarray) -> np.ndarray:
    """Numerically stable softmax."""
    e = np.exp(x - x.max())
    return e / e.sum()


def short_copy(text: str) -> str | None:
    """The opening of a long text, trained on as its own sample so short chat messages are learned too."""
    return text[:SHORT_PREFIX] if len(text) > SHORT_PREFIX * 1.5 else None


def _expand(samples: Iterable[tuple], weight: float) -> tuple[list, list, list]:
    """Tokenise samples, adding a short-prefix copy of long ones so short chat messages are learned too."""
    docs, labels, weights = [], [], []
    for sample in samples:
        text, label = sample[0], sample[1]
        if not text or not label:
            continue
        words = tokens(text)
        docs.append(_features(words)); labels.append(label); weights.append(weight)
        if short_copy(text):
            short = tokens(short_copy(text))
            docs.append(_features(short)); labels.append(label); weights.append(weight)
    return docs, labels, weights


def _fit(docs, labels, weights, min_df: int):
    """NB-SVM on feature lists: return the vectorizer, the classes, weights (n_features, n_classes), intercepts.

    For each category, TF-IDF columns are scaled by the naive-Bayes log-count ratio r (how much more
    often a feature occurs in that category's documents than in the others', sample weights counted)
    and a one-vs-rest LinearSVC is fitted; r·w is then an ordinary linear weight on the TF-IDF input.
    """
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    vec = TfidfVectorizer(analyzer=lambda feats: feats, sublinear_tf=True, min_df=min_df)
    x = vec.fit_transform(docs)
    present = x.copy()
    present.data[:] = 1.0
    y = np.asarray(labels)
    w = np.asarray(weights, dtype=np.float64)
    classes = np.array(sorted(set(labels)))
    coef = np.zeros((x.shape[1], len(classes)), dtype=np.float32)
    intercept = np.zeros(len(classes), dtype=np.float32)
    for j, label in enumerate(classes):
        pos = y == label
        p = NB_ALPHA + present.T @ (w * pos)
        q = NB_ALPHA + present.T @ (w * ~pos)
        r = np.log(p / p.sum()) - np.log(q / q.sum())
        svm = LinearSVC(C=1.0).fit(x @ sp.diags(r), pos, sample_weight=w)
        coef[:, j] = r * svm.coef_.ravel()
        intercept[j] = svm.intercept_[0]
    return vec, classes, coef, intercept


def _temperature(docs, labels, weights, min_df: int) -> float:
    """Pick the softmax temperature that best turns SVM scores into probabilities on held-out data."""
    from sklearn.model_selection import train_test_split

    if len(set(labels)) < 2 or min(Counter(labels).values()) < 2 or len(docs) < 50:
        return 5.0
    idx = np.arange(len(docs))
    size = min(0.5, CALIBRATION_DOCS / len(docs))
    tr, te = train_test_split(idx, train_size=size, test_size=size, random_state=0, stratify=labels)
    vec, classes, coef, intercept = _fit([docs[i] for i in tr], [labels[i] for i in tr], [weights[i] for i in tr],
                                         min_df)
    scores = np.asarray(vec.transform([docs[i] for i in te]) @ coef) + intercept
    truth = np.searchsorted(classes, [labels[i] for i in te])
    best, best_t = math.inf, 5.0
    for t in (1, 2, 3, 4, 5, 6, 8, 10, 12, 15):
        z = scores * t
        z = z - z.max(axis=1, keepdims=True)
        nll = -(z[np.arange(len(te)), truth] - np.log(np.exp(z).sum(axis=1))).mean()
        if nll < best:
            best, best_t = nll, float(t)
    return best_t


def train(samples: Iterable[tuple[str, str]], corrections: Iterable[tuple[str, str]] = (),
          categories: dict | None = None, min_df: int = 2) -> LinearModel:
    """Train the linear model from (text, label) pairs; ``corrections`` (改类) weigh more."""
    if categories:
        add_words(_keyword_table(categories))
    docs, labels, weights = _expand(samples, 1.0)
    c_docs, c_labels, c_weights = _expand(corrections, CORRECTION_WEIGHT)
    # Rare words must still count when they come from corrections, so prune only on large data.
    min_df = min_df if len(docs) >= 1000 and not c_docs else 1
    return train_features(docs + c_docs, labels + c_labels, weights + c_weights, min_df)


def train_features(docs: list[list[str]], labels: list[str], weights: list[float], min_df: int = 2) -> LinearModel:
    """Train from already-extracted feature lists (the benchmark reuses one segmentation)."""
    if len(set(labels)) < 2:
        raise ValueError("training needs samples of at least two categories")
    temperature = _temperature(docs, labels, weights, min_df)
    vec, classes, coef, intercept = _fit(docs, labels, weights, min_df)
    return LinearModel(labels=tuple(str(c) for c in classes), vocabulary={k: int(v) for k, v in vec.vocabulary_.items()},
                       idf=vec.idf_.astype(np.float32), coef=coef, intercept=intercept, temperature=temperature)


def read_csv_samples(path: str | Path) -> list[tuple[str, str]]:
    """Read (text, label) pairs from a CSV with a label column and title and/or body columns."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [(_join(row.get("title"), row.get("body")), (row.get("label") or "").strip())
                for row in csv.DictReader(f)]


def _join(title: str | None, body: str | None) -> str:
    """One message text from a title and a body, either of which may be missing."""
    body = (body or "").replace("_x000D_", " ")
    return " ".join(part.strip() for part in (title, body) if part and part.strip())


def training_data_dir() -> Path:
    """Where the shared labelled CSVs live: $BOT_TRAINING_DATA, else ../shared/data beside the repo."""
    return Path(os.environ.get("BOT_TRAINING_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")


def default_training_files() -> list[Path]:
    """The shared complaint CSVs that exist."""
    data = training_data_dir()
    return [p for p in (data / "complaints.csv", data / "complaint_titles.csv") if p.is_file()]


def ensure_model(path: str | Path, categories: dict) -> Path | None:
    """Train and save the model from the shared data if ``path`` is missing or was written by an older
    version of this module (its features differ); None means rules only."""
    path = Path(path)
    files = default_training_files()
    if path.is_file():
        if not files or _model_version(path) == MODEL_VERSION:
            return path
        log.info("classifier: %s is from an older classifier version; retraining", path)
    if not files:
        log.warning("classifier: no model at %s and no training data in %s; using keyword rules only",
                    path, training_data_dir())
        return None
    samples = [s for f in files for s in read_csv_samples(f)]
    log.info("classifier: training on %d samples from %s", len(samples), ", ".join(map(str, files)))
    return train(samples, categories=categories).save(path)


def _model_version(path: Path) -> int | None:
    """The version a model file was written with (None if unreadable)."""
    try:
        return joblib.load(path).get("version")
    except Exception:  # noqa: BLE001 - any unreadable file is simply stale
        return None


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
        """Classify one message; low confidence or no signal gives UNSORTED."""
        return self.classify_words(tokens(text))

    def classify_words(self, words: list[str]) -> Classification:
        """Classify an already segmented message (see ``tokens``)."""
        scores, hits = self.rule_scores(words)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        top_cat, top = ranked[0] if ranked else (None, 0.0)
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        rule_conf = top / (top + second + 2.0)
        model = self.model if self.use_model else None
        if top_cat and model is None:
            return Classification(top_cat, round(rule_conf, 4), tuple(self._ranked_hits(hits[top_cat])))
        if model is None:
            return Classification(UNSORTED, 0.0, ())
        decision = self._model_decision(model, words)
        if top_cat and self._rules_win(model, top_cat, top, second, decision.confidence):
            category = top_cat if rule_conf >= self.min_confidence else UNSORTED
            return Classification(category, round(rule_conf, 4), tuple(self._ranked_hits(hits[top_cat])))
        return decision

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
        """The linear model's label, its softmax confidence and the words that pushed it."""
        raw, ids, weights = model.scores(words)
        if not len(ids):
            return Classification(UNSORTED, 0.0, ())
        probs = _softmax(raw * model.temperature)
        best = int(probs.argmax())
        confidence = float(probs[best])
        category = str(model.labels[best])
        if category not in self.categories and self.categories:
            log.debug("classifier: model label %s is not configured", category)
        if confidence < self.min_confidence:
            category = UNSORTED
        return Classification(category, round(confidence, 4), self._model_words(model, ids, weights, best))

    @staticmethod
    def _model_words(model: LinearModel, ids: np.ndarray, weights: np.ndarray, label: int) -> tuple[str, ...]:
        """Words whose features (alone or in a bigram, split evenly) pushed hardest towards ``label``."""
        contrib = weights * model.coef[ids, label]
        if len(ids) > EXPLAIN_FEATURES:  # only the strongest features can name the top words
            keep = np.argpartition(-contrib, EXPLAIN_FEATURES)[:EXPLAIN_FEATURES]
            ids, contrib = ids[keep], contrib[keep]
        names = model.feature_names()
        per_word: dict[str, float] = {}
        for fid, value in zip(ids.tolist(), contrib.tolist()):
            parts = names[fid].split(" ")
            for part in parts:
                if part != "<num>" and part not in STOP_WORDS:
                    per_word[part] = per_word.get(part, 0.0) + value / len(parts)
        ranked = sorted((w for w, v in per_word.items() if v > 0), key=lambda w: -per_word[w])
        return tuple(ranked[:5])
