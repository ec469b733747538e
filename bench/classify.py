"""Classifier benchmark: ours vs TF-IDF (jieba 1-2-grams) + LinearSVC vs our keyword rules alone.

One run, the fixed held-out split of the shipped data (bot/cases/training.py: one row in five by a
seeded hash, never trained or tuned on): macro-F1 over the data set's 7 labels on title+body, title
only and the first 60 characters of the body, and on the hand-written Cantonese set
(bot/cases/data/cantonese.csv); the share right on the hand-written chat check set in all 13
categories (bot/cases/data/chat_complaints.csv); coverage and accuracy of ours at confidence thresholds (below the
threshold a case is 待分类); then single-message latency at 60 and 420 characters, normalisation and
jieba included, beside the baseline's in the same run.
Run: python bench/classify.py [--model FILE] [--profile]  (FILE: a model trained by training.train on
the split's training rows, e.g. by `python -m bot classifier train`, to skip the training here;
--profile adds cProfile's summary of classifying the 420-character messages)
"""
import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bot.cases import classifier as clf  # noqa: E402
from bot.cases import training  # noqa: E402
from bot.reading.normalise import normalise  # noqa: E402
from bot.settings import read_config  # noqa: E402

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
CHAT_CHECK = training.DATA_DIR / "chat_complaints.csv"


def chat_check() -> list[tuple[str, str]]:
    """(text, expect) rows of the chat check set; expect may name two categories as A|B."""
    import csv

    with open(CHAT_CHECK, encoding="utf-8", newline="") as f:
        return [(r["text"], r["expect"]) for r in csv.DictReader(f)]


def words(text: str) -> list[str]:
    """The normalised message's jieba words (what both learned methods read)."""
    return clf.tokens(normalise(text))


def baseline_features(ws: list[str]) -> list[str]:
    """Jieba unigrams and adjacent bigrams: the plain TF-IDF baseline."""
    return ws + [f"{a} {b}" for a, b in zip(ws, ws[1:])]


def latency(fn, texts) -> tuple[float, float]:
    """Mean and p95 milliseconds of ``fn`` over ``texts``, one message at a time."""
    times = []
    for text in texts:
        t0 = time.perf_counter()
        fn(text)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.mean(times), float(np.percentile(times, 95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a trained model file (default: train one here)")
    parser.add_argument("--profile", action="store_true", help="print cProfile's summary at 420 characters")
    args = parser.parse_args()
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    started = time.perf_counter()
    categories = read_config()["categories"]
    clf.add_words(clf._keyword_table(categories))
    data = training.load_split()
    views = dict(data.test)
    views["cantonese"] = training.read_csv_samples(training.DATA_DIR / "cantonese.csv")
    chat = chat_check()
    print(f"train {len(data.train)} rows and {len(data.chat)} chat complaints; test "
          + ", ".join(f"{k} {len(v)}" for k, v in views.items()) + f"; chat check set {len(chat)}")

    base_vec = TfidfVectorizer(analyzer=baseline_features, sublinear_tf=True)
    base_rows = data.train + data.chat
    base_svc = LinearSVC().fit(base_vec.fit_transform([words(t) for t, _ in base_rows]), [y for _, y in base_rows])
    print(f"baseline trained at {time.perf_counter() - started:.0f}s", flush=True)
    if args.model:
        model = clf.LinearModel.load(args.model)
    else:
        model = training.train(data.train, categories=categories, chat=data.chat)
    print(f"ours trained at {time.perf_counter() - started:.0f}s (softmax temperature {model.temperature})",
          flush=True)
    ours = clf.Classifier(categories, model, min_confidence=0.0)
    rules = clf.Classifier(categories, None)

    methods = {
        "ours": lambda texts: [training._choice(ours.classify(t)) for t in texts],
        "tfidf+svc": lambda texts: list(base_svc.predict(base_vec.transform([words(t) for t in texts]))),
        "rules": lambda texts: [rules.classify(t).category for t in texts],
    }
    print("\nmacro-F1 over the 7 labels on the fixed held-out split (and the Cantonese set)")
    print(f"{'method':<12}" + "".join(f"{v:>13}" for v in views))
    for name, predict in methods.items():
        cells = [training.macro_f1([y for _, y in s], predict([t for t, _ in s])) for s in views.values()]
        print(f"{name:<12}" + "".join(f"{c:>13.4f}" for c in cells), flush=True)

    configured = (read_config().get("classifier") or {}).get("min_confidence")
    print(f"\nchat check set ({CHAT_CHECK.name}: 13 categories, written apart from the training rows): "
          "share right (a row may allow two categories)")
    at_threshold = clf.Classifier(categories, model, min_confidence=configured)
    for name, predict in {**methods, f"ours at {configured}": lambda texts: [
            at_threshold.classify(t).category for t in texts]}.items():
        found = predict([t for t, _ in chat])
        print(f"{name:<12} {sum(c in y.split('|') for c, (_, y) in zip(found, chat)) / len(chat):.4f}")

    print("\nours, abstaining below a confidence threshold (待分类 goes to the team leader):")
    print(f"{'threshold':<10}" + "".join(f"{v:>24}" for v in ("title+body", "body[:60]", "cantonese")))
    results = {v: [(ours.classify(t), y) for t, y in views[v]] for v in ("title+body", "body[:60]", "cantonese")}
    for threshold in THRESHOLDS:
        cells = []
        for found in results.values():
            sure = [(r.category, y) for r, y in found if r.confidence >= threshold]
            accuracy = sum(c == y for c, y in sure) / len(sure) if sure else 0.0
            cells.append(f"cov {len(sure) / len(found):.3f} acc {accuracy:.3f}")
        print(f"{threshold:<10}" + "".join(f"{c:>24}" for c in cells))
    print(f"(configured threshold: {configured})")

    long_texts = [t[:420] for t, _ in data.test["title+body"] if len(t) >= 420][:300]
    short_texts = [t for t, _ in data.test["body[:60]"] if len(t) == 60][:300]
    ours.classify("预热")
    base_svc.predict(base_vec.transform([words("预热")]))
    print("\nlatency per message, one at a time (normalisation and jieba included)")
    for name, texts in (("60 chars", short_texts), ("420 chars", long_texts)):
        mean, p95 = latency(ours.classify, texts)
        b_mean, b_p95 = latency(lambda t: base_svc.predict(base_vec.transform([words(t)])), texts)
        j_mean, _ = latency(lambda t: clf._JIEBA.lcut(t, HMM=False), texts)
        n_mean, _ = latency(normalise, texts)
        print(f"{name:<10} ours mean {mean:.3f} ms p95 {p95:.3f} ms | tfidf+svc mean {b_mean:.3f} ms "
              f"p95 {b_p95:.3f} ms | jieba alone {j_mean:.3f} ms | normalise alone {n_mean:.3f} ms "
              f"({len(texts)} messages)")
        print(f"{'':<10} ours/baseline {mean / b_mean:.2f} | ours/jieba {mean / j_mean:.2f} | "
              f"normalise/jieba {n_mean / j_mean:.2f}")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(lambda: [ours.classify(t) for t in long_texts])
        pstats.Stats(profile).sort_stats("tottime").print_stats(12)
    print(f"total {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
