"""Complaint classifier, training side: the labelled data, the fixed test split, fitting and evaluating.

Web processes never import this module (it pulls in scikit-learn); the CLI, the demo's first start
and the weekly retraining job do. The labelled messages ship with the project, compressed, in
bot/cases/data/ ($BOT_TRAINING_DATA may point elsewhere). One row in five is held out for good by a
seeded hash of its text, so every model is scored on messages it never saw and no choice is tuned
on them; a title-only row that repeats a held-out message's title is held out with it.
"""
from __future__ import annotations

import csv
import hashlib
import io
import logging
import lzma
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.cases.classifier import (
    MODEL_VERSION,
    UNSORTED,
    Classifier,
    LinearModel,
    _features,
    _keyword_table,
    add_words,
    tokens,
)
from bot.reading.normalise import normalise

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
COMPLAINT_FILES = ("complaints", "complaint_titles")
# Hand-written chat complaints in all the categories (the city data has 7): training only, never split.
CHAT_FILES = "chat_training*.csv"
# The held-out split: a row is a test row when the hash of its text with this seed falls in 1 of 5.
SPLIT_SEED = "zhudian-2026-split"
TEST_SHARE = 5
# A title-only row belongs to a message when this share of its character bigrams occur in it.
TITLE_OWNER_SHARE = 0.5
# Long messages are also trained on as their openings of these lengths, so short chat messages are
# learned too (chat messages are 10-60 characters; 60 is also the evaluation's short view).
SHORT_PREFIXES = (30, 60)
SHORT_PREFIX = 60
# A chat complaint's weight beside a city-board sample: 1 did better than 3 when one half of the
# chat rows trained and the other scored (bench/classify.py shows the views).
CHAT_WEIGHT = 1.0
# A cadre's correction counts as this many ordinary samples, so a few corrections take effect.
CORRECTION_WEIGHT = 8
# Smoothing of the naive-Bayes log-count ratios that scale each category's features.
NB_ALPHA = 1.0
# The SVMs' regularisation (C = 2 did no better on a validation part of the training rows).
SVM_C = 1.0
# Softmax temperatures tried when calibrating on held-out folds.
TEMPERATURES = (1, 1.5, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20)


@dataclass(frozen=True)
class Row:
    """One labelled message: a title and/or a body, and its category."""

    title: str
    body: str
    label: str

    @property
    def text(self) -> str:
        """The whole message, as the classifier reads it."""
        return " ".join(part for part in (self.title, self.body) if part)


@dataclass
class Split:
    """The training rows and the three held-out views of the test rows, as (text, label) pairs, and
    the hand-written chat complaints (trained on, never held out: the check sets are separate files)."""

    train: list[tuple[str, str]]
    test: dict[str, list[tuple[str, str]]]  # "title+body", "title only", "body[:60]"
    chat: list[tuple[str, str]] = field(default_factory=list)


def data_dir() -> Path:
    """Where the labelled CSVs are: $BOT_TRAINING_DATA, else the copy shipped in bot/cases/data/."""
    return Path(os.environ.get("BOT_TRAINING_DATA") or DATA_DIR)


def training_files(directory: Path | None = None) -> list[Path]:
    """The complaint CSVs in ``directory`` (plain or .xz), complaints before titles."""
    directory = directory or data_dir()
    found = []
    for name in COMPLAINT_FILES:
        for suffix in (".csv", ".csv.xz"):
            if (directory / f"{name}{suffix}").is_file():
                found.append(directory / f"{name}{suffix}")
                break
    return found


def _open(path: Path):
    """A text stream over a CSV, decompressing .xz on the fly."""
    if path.suffix == ".xz":
        return io.TextIOWrapper(lzma.open(path), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def read_rows(path: str | Path) -> list[Row]:
    """Labelled rows of a CSV with a label column and title and/or body (or text) columns; blank ones skipped."""
    with _open(Path(path)) as f:
        rows = [Row(_clean(r.get("title")), _clean(r.get("body") or r.get("text")), (r.get("label") or "").strip())
                for r in csv.DictReader(f)]
    return [r for r in rows if r.label and (r.title or r.body)]


def _clean(value: str | None) -> str:
    """A cell without the data set's Excel line-break residue and outer spaces."""
    return (value or "").replace("_x000D_", " ").strip()


def read_csv_samples(path: str | Path) -> list[tuple[str, str]]:
    """(text, label) pairs from a labelled CSV."""
    return [(r.text, r.label) for r in read_rows(path)]


def is_test(row: Row) -> bool:
    """Whether ``row`` is held out, by the seeded hash of its text (stable across runs and machines)."""
    digest = hashlib.sha1(f"{SPLIT_SEED}|{row.title}|{row.body}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % TEST_SHARE == 0


def _held_out(rows: list[Row]) -> np.ndarray:
    """The test mask: messages by their hash, title-only rows with the message they repeat (if any)."""
    from sklearn.feature_extraction.text import CountVectorizer

    test = np.array([is_test(r) for r in rows], dtype=bool)
    full = [i for i, r in enumerate(rows) if r.body]
    bare = [i for i, r in enumerate(rows) if not r.body]
    if not full or not bare:
        return test
    vec = CountVectorizer(analyzer="char", ngram_range=(2, 2), binary=True, lowercase=False)
    vec.fit([rows[i].text for i in full + bare])
    titles, messages = vec.transform([rows[i].text for i in bare]), vec.transform([rows[i].text for i in full])
    overlap = (titles @ messages.T).tocsr()
    sizes = np.maximum(np.asarray(titles.sum(1)).ravel(), 1)
    full_test = test[full]
    for j, i in enumerate(bare):
        lo, hi = overlap.indptr[j], overlap.indptr[j + 1]
        owners = overlap.indices[lo:hi][overlap.data[lo:hi] >= TITLE_OWNER_SHARE * sizes[j]]
        if len(owners):
            test[i] = bool(full_test[owners].any())
    return test


def split(rows: list[Row]) -> Split:
    """The fixed train/test split of ``rows`` and the test views: title+body, title only, body[:60]."""
    test = _held_out(rows)
    held = [r for r, t in zip(rows, test) if t]
    return Split(
        train=[(r.text, r.label) for r, t in zip(rows, test) if not t],
        test={"title+body": [(r.text, r.label) for r in held if r.body],
              "title only": [(r.title, r.label) for r in held if r.title],
              "body[:60]": [(r.body[:SHORT_PREFIX], r.label) for r in held if r.body]},
    )


def chat_samples(directory: Path | None = None) -> list[tuple[str, str]]:
    """The hand-written chat complaints of ``directory`` (default ``data_dir()``), as (text, label)."""
    return [s for f in sorted((directory or data_dir()).glob(CHAT_FILES)) for s in read_csv_samples(f)]


def load_split(files: Iterable[Path] | None = None) -> Split:
    """The fixed split of the given labelled CSVs (default: the complaint CSVs of ``data_dir()``,
    with its chat complaints)."""
    chat = chat_samples() if files is None else []
    files = list(files) if files is not None else training_files()
    result = split([r for f in files for r in read_rows(f)])
    result.chat = chat
    return result


def short_copies(text: str) -> list[str]:
    """The openings of a long text, each trained on as its own sample."""
    return [text[:n] for n in SHORT_PREFIXES if len(text) > n * 1.5]


def _expand(samples: Iterable[tuple], weight: float) -> tuple[list, list, list]:
    """Features of each normalised sample, plus its short openings."""
    docs, labels, weights = [], [], []
    for sample in samples:
        text, label = normalise(sample[0] or ""), sample[1]
        if not text.strip() or not label:
            continue
        for copy in [text, *short_copies(text)]:
            docs.append(_features(tokens(copy))); labels.append(label); weights.append(weight)
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
        svm = LinearSVC(C=SVM_C).fit(x @ sp.diags(r), pos, sample_weight=w)
        coef[:, j] = r * svm.coef_.ravel()
        intercept[j] = svm.intercept_[0]
    return vec, classes, coef, intercept


def _temperature(docs, labels, weights, min_df: int) -> float:
    """The softmax temperature that best turns SVM scores into probabilities on held-out folds.

    Two folds: each half is scored by a model fitted on the other, and the temperature minimising
    the log-loss over all held-out scores is kept (multi-class Platt scaling with one parameter).
    """
    from sklearn.model_selection import StratifiedKFold

    counts = Counter(labels)
    if len(counts) < 2 or min(counts.values()) < 2 or len(docs) < 50:
        return 5.0
    scores, truth = [], []
    for train_idx, test_idx in StratifiedKFold(2, shuffle=True, random_state=0).split(docs, labels):
        vec, classes, coef, intercept = _fit([docs[i] for i in train_idx], [labels[i] for i in train_idx],
                                             [weights[i] for i in train_idx], min_df)
        fold = np.asarray(vec.transform([docs[i] for i in test_idx]) @ coef) + intercept
        known = [k for k, i in enumerate(test_idx) if labels[i] in set(classes)]
        scores.append(fold[known])
        truth.append(np.searchsorted(classes, [labels[test_idx[k]] for k in known]))
    scores, truth = np.vstack(scores), np.concatenate(truth)
    best, best_t = np.inf, 5.0
    for t in TEMPERATURES:
        z = scores * t
        z = z - z.max(axis=1, keepdims=True)
        nll = -(z[np.arange(len(truth)), truth] - np.log(np.exp(z).sum(axis=1))).mean()
        if nll < best:
            best, best_t = nll, float(t)
    return best_t


def train(samples: Iterable[tuple[str, str]], corrections: Iterable[tuple[str, str]] = (),
          categories: dict | None = None, min_df: int = 2, chat: Iterable[tuple[str, str]] = (),
          chat_weight: float = CHAT_WEIGHT) -> LinearModel:
    """Train the linear model from (text, label) pairs, hand-written ``chat`` complaints and the
    ``corrections`` (改类), which weigh more."""
    if categories:
        add_words(_keyword_table(categories))
    docs, labels, weights = _expand(samples, 1.0)
    h_docs, h_labels, h_weights = _expand(chat, chat_weight)
    c_docs, c_labels, c_weights = _expand(corrections, CORRECTION_WEIGHT)
    # Rare words must still count when they come from corrections, so prune only on large data.
    min_df = min_df if len(docs) >= 1000 and not c_docs else 1
    return train_features(docs + h_docs + c_docs, labels + h_labels + c_labels, weights + h_weights + c_weights,
                          min_df)


def train_features(docs: list[list[str]], labels: list[str], weights: list[float], min_df: int = 2) -> LinearModel:
    """Train from already-extracted feature lists (the benchmark reuses one segmentation)."""
    if len(set(labels)) < 2:
        raise ValueError("training needs samples of at least two categories")
    temperature = _temperature(docs, labels, weights, min_df)
    vec, classes, coef, intercept = _fit(docs, labels, weights, min_df)
    return LinearModel(labels=tuple(str(c) for c in classes), vocabulary={k: int(v) for k, v in vec.vocabulary_.items()},
                       idf=vec.idf_.astype(np.float32), coef=coef, intercept=intercept, temperature=temperature)


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    """Macro-F1 over the true labels (abstaining counts as wrong)."""
    from sklearn.metrics import f1_score

    return float(f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0))


def evaluate(judge: Classifier, views: dict[str, list[tuple[str, str]]]) -> dict:
    """Macro-F1 of each view, and coverage and accuracy at the judge's threshold on the first view.

    Macro-F1 is the model's own choice (no threshold); coverage is the share it dares to classify
    at ``judge.min_confidence``, accuracy the share of those that are right.
    """
    figures: dict = {}
    for name, samples in views.items():
        if not samples:
            continue
        results = [judge.classify(text) for text, _ in samples]
        truth = [label for _, label in samples]
        figures[name] = round(macro_f1(truth, [_choice(r) for r in results]), 4)
        if "coverage" not in figures:
            sure = [(r.category, y) for r, y in zip(results, truth) if r.category != UNSORTED]
            figures["coverage"] = round(len(sure) / len(results), 4)
            figures["accuracy"] = round(sum(c == y for c, y in sure) / len(sure), 4) if sure else 0.0
    return figures


def _choice(result) -> str:
    """The category the classifier leans to, even when it abstains (its first suggestion)."""
    if result.category == UNSORTED and result.suggestions:
        return result.suggestions[0]
    return result.category


def ensure_model(path: str | Path, categories: dict) -> Path | None:
    """Train and save the model from the labelled data if ``path`` is missing or was written by an
    older version of the classifier (its features differ); None means rules only."""
    path = Path(path)
    files = training_files()
    if path.is_file():
        if not files or _model_version(path) == MODEL_VERSION:
            return path
        log.info("classifier: %s is from an older classifier version; retraining", path)
    if not files:
        log.warning("classifier: no model at %s and no training data in %s; using keyword rules only",
                    path, data_dir())
        return None
    data = load_split()
    log.info("classifier: training on %d samples and %d chat complaints from %s", len(data.train), len(data.chat),
             ", ".join(map(str, files)))
    return train(data.train, categories=categories, chat=data.chat).save(path)


def _model_version(path: Path) -> int | None:
    """The version a model file was written with (None if unreadable)."""
    try:
        return LinearModel.load(path).version
    except Exception:  # noqa: BLE001 - any unreadable file is simply stale
        return None
