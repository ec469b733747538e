"""Classifier benchmark: ours vs TF-IDF (jieba 1-2-grams) + LinearSVC vs our keyword rules alone.

One run, the same stratified 5 folds of complaints.csv for every method; macro-F1 over the data
set's 7 labels on title+body, title only (rows that have one) and the first 60 characters of the
body; then single-message latency, jieba included. Titles from complaint_titles.csv join the
training folds, except those that belong to a test-fold message (most of them are titles of
complaints.csv rows whose title is blank: a title counts as belonging when half its character
bigrams occur in the message). Latency is wall-clock on a shared machine: compare it with the
"jieba.cut alone" figure printed beside it. Run: python bench/classify.py [--folds 5]
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bot.cases import classifier as clf  # noqa: E402
from bot.settings import read_config  # noqa: E402


def load(data: Path):
    """Complaint rows and the extra titles, as plain lists."""
    import csv

    with open(data / "complaints.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(data / "complaint_titles.csv", encoding="utf-8") as f:
        titles = list(csv.DictReader(f))
    return rows, titles


def title_owners(rows, titles) -> list[set[int]]:
    """For each extra title, the complaint rows it probably belongs to (char-bigram containment ≥ 0.5)."""
    from sklearn.feature_extraction.text import CountVectorizer

    docs = [clf._join(r["title"], r["body"]) for r in rows]
    texts = [t["title"] for t in titles]
    vec = CountVectorizer(analyzer="char", ngram_range=(2, 2), binary=True).fit(docs + texts)
    tm, dm = vec.transform(texts), vec.transform(docs)
    overlap = (tm @ dm.T).tocsr()
    sizes = np.maximum(np.asarray(tm.sum(1)).ravel(), 1)
    owners = []
    for j in range(len(texts)):
        lo, hi = overlap.indptr[j], overlap.indptr[j + 1]
        owners.append(set(overlap.indices[lo:hi][overlap.data[lo:hi] >= 0.5 * sizes[j]]))
    return owners


def macro(truth, predicted, labels) -> float:
    """Macro-F1 over the data set's labels (abstaining or a village category counts as wrong)."""
    from sklearn.metrics import f1_score

    return f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC

    started = time.perf_counter()
    categories = read_config()["categories"]
    clf.add_words(clf._keyword_table(categories))
    rows, titles = load(clf.training_data_dir())
    y = np.array([r["label"] for r in rows])
    labels = sorted(set(y))
    full_text = [clf._join(r["title"], r["body"]) for r in rows]
    # One segmentation for everything, reused by every fold and method.
    seg = {
        "full": [clf.tokens(t) for t in full_text],
        "title": [clf.tokens(r["title"]) for r in rows],
        "body60": [clf.tokens(clf._join(None, r["body"])[:60]) for r in rows],
    }
    short = [clf.tokens(clf.short_copy(t)) if clf.short_copy(t) else None for t in full_text]
    extra = [clf.tokens(t["title"]) for t in titles]
    extra_y = [t["label"] for t in titles]
    owners = title_owners(rows, titles)
    print(f"segmented {len(rows)} messages + {len(titles)} titles in {time.perf_counter() - started:.0f}s")

    views = {"title+body": np.arange(len(rows)), "title only": np.array([i for i, r in enumerate(rows) if r["title"]]),
             "body[:60]": np.arange(len(rows))}
    view_seg = {"title+body": "full", "title only": "title", "body[:60]": "body60"}
    preds = {m: {v: {} for v in views} for m in ("ours", "tfidf+svc", "rules")}
    rules = clf.Classifier(categories, None)
    for i in range(len(rows)):
        for v, key in view_seg.items():
            preds["rules"][v][i] = rules.classify_words(seg[key][i]).category
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=0).split(full_text, y)
    for k, (train_idx, test_idx) in enumerate(folds, 1):
        test_set = set(test_idx.tolist())
        keep = [j for j, own in enumerate(owners) if not own & test_set]
        # baseline: the same training messages and titles, plain jieba words
        base_docs = [seg["full"][i] for i in train_idx] + [extra[j] for j in keep]
        base_y = list(y[train_idx]) + [extra_y[j] for j in keep]
        base = TfidfVectorizer(analyzer=lambda words: words + [f"{a} {b}" for a, b in zip(words, words[1:])])
        svc = LinearSVC().fit(base.fit_transform(base_docs), base_y)
        # ours: train_features is exactly what clf.train runs after segmenting
        docs, ys = [], []
        for i in train_idx:
            docs.append(clf._features(seg["full"][i])); ys.append(y[i])
            if short[i] is not None:
                docs.append(clf._features(short[i])); ys.append(y[i])
        docs += [clf._features(extra[j]) for j in keep]; ys += [extra_y[j] for j in keep]
        ours = clf.Classifier(categories, clf.train_features(docs, ys, [1.0] * len(docs)), min_confidence=0.0)
        for v, key in view_seg.items():
            idx = [i for i in test_idx if i in set(views[v].tolist())] if v == "title only" else list(test_idx)
            got = svc.predict(base.transform([seg[key][i] for i in idx]))
            for i, g in zip(idx, got):
                preds["tfidf+svc"][v][i] = g
                preds["ours"][v][i] = ours.classify_words(seg[key][i]).category
        print(f"fold {k} done at {time.perf_counter() - started:.0f}s", flush=True)

    print(f"\nmacro-F1 over the 7 labels, {args.folds}-fold, same folds for all")
    print(f"{'method':<12}" + "".join(f"{v:>14}" for v in views))
    for m in preds:
        cells = []
        for v, idx in views.items():
            cells.append(macro([y[i] for i in idx], [preds[m][v][i] for i in idx], labels))
        print(f"{m:<12}" + "".join(f"{c:>14.4f}" for c in cells))
    rules_hit = np.mean([preds["rules"]["title+body"][i] != clf.UNSORTED for i in range(len(rows))])
    print(f"rules: some keyword found in {rules_hit:.1%} of title+body messages")

    # Latency: the shipped path, one message at a time, jieba included, on a model trained on everything.
    docs = [clf._features(w) for w in seg["full"] + [s for s in short if s is not None] + extra]
    ys = list(y) + [y[i] for i, s in enumerate(short) if s is not None] + extra_y
    model = clf.train_features(docs, ys, [1.0] * len(docs))
    judge = clf.Classifier(categories, model)
    rng = np.random.default_rng(0)
    sample = rng.choice(len(rows), 500, replace=False)
    judge.classify("预热")
    for name, texts in (("title+body", [full_text[i] for i in sample]),
                        ("body[:60]", [clf._join(None, rows[i]["body"])[:60] for i in sample])):
        times = []
        for text in texts:
            t0 = time.perf_counter()
            judge.classify(text)
            times.append((time.perf_counter() - t0) * 1000)
        jieba_times = []  # for scale: jieba's own cut of the same texts, nothing else
        for text in texts:
            t0 = time.perf_counter()
            list(clf._JIEBA.cut(text[:clf.MAX_CHARS], HMM=False))
            jieba_times.append((time.perf_counter() - t0) * 1000)
        mean_chars = statistics.mean(len(t) for t in texts)
        print(f"latency {name:<11} mean {statistics.mean(times):.3f} ms, median {statistics.median(times):.3f} ms, "
              f"p95 {np.percentile(times, 95):.3f} ms (mean {mean_chars:.0f} chars; "
              f"jieba.cut alone mean {statistics.mean(jieba_times):.3f} ms)")
    print(f"total {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
