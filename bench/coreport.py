"""Co-report rule: precision and recall on labelled pairs built from the shared complaints.

Pairs (../shared/data/complaints.csv, place names of county level and above stripped, since all
reports of one village share them):
- same problem: a complaint's title against the first sentences of its body (two people telling
  one problem in different words), plus titles in the data that are near-identical
  (character-bigram Jaccard >= 0.7, e.g. a message posted twice);
- different problem: two different complaints of the same category that share at least two
  words (what the old rule merged), title of one against the body lead of the other.
Prints precision, recall and F1 of the rule (bot/cases/same_problem.py) and of the old rule (two
shared words and 60 % overlap) on the same pairs. Run: python bench/coreport.py [--pairs 2000]
"""
import argparse
import csv
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bot.cases.filing import words as _words  # noqa: E402
from bot.cases.same_problem import report, same_problem  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
COARSE = re.compile(r"西地省|[A-Z]\d*(?:市|县|区)|_x000D_")
SALUTATION = re.compile(r"^(尊敬的|您好|你好|各位|领导|书记|局长|市长|县长)[^，。！：:]{0,12}[，。！：:]")


_CACHE: dict[str, frozenset[str]] = {}


def words(text: str) -> frozenset[str]:
    """filing.words, cached for the whole run (its own cache holds only the last few texts)."""
    if text not in _CACHE:
        _CACHE[text] = _words(text)
    return _CACHE[text]


def clean(text: str) -> str:
    """The text without masked county/city names and stray markers."""
    return " ".join(COARSE.sub("", text).split())


def lead(body: str, limit: int = 80) -> str:
    """The first sentences of a body, after any salutation, as a chat message would be."""
    text = clean(body)
    while (match := SALUTATION.match(text)) is not None:
        text = text[match.end():].lstrip()
    return text[:limit]


def bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def build_pairs(rows, count: int, seed: int = 7) -> list[tuple[str, str, bool]]:
    """Labelled (text, text, same) pairs: ``count`` of each kind at most."""
    rng = random.Random(seed)
    rows = [r for r in rows if r["title"].strip() and len(r["body"]) > 40]
    same = [(clean(r["title"]), lead(r["body"]), True) for r in rng.sample(rows, min(count, len(rows)))]
    titles = [(clean(r["title"]), r["label"]) for r in rows]
    grams = [bigrams(t) for t, _ in titles]
    for i in range(len(titles)):  # near-identical titles: the same problem posted twice
        for j in range(i + 1, len(titles)):
            union = grams[i] | grams[j]
            if titles[i][0] != titles[j][0] and union and len(grams[i] & grams[j]) / len(union) >= 0.7:
                same.append((titles[i][0], titles[j][0], True))
    by_label: dict[str, list] = {}
    for r in rows:
        by_label.setdefault(r["label"], []).append(r)
    different, tries = [], 0
    while len(different) < count and tries < count * 200:
        tries += 1
        label = rng.choice(list(by_label))
        a, b = rng.sample(by_label[label], 2)
        first, second = clean(a["title"]), lead(b["body"])
        if len(bigrams(clean(a["title"])) & bigrams(clean(b["title"]))) / max(1, len(bigrams(clean(a["title"])) | bigrams(clean(b["title"])))) >= 0.7:
            continue  # possibly the same problem: not a clean negative
        if len(words(first) & words(second)) >= 2:
            different.append((first, second, False))
    # Same object, other place: titles sharing a phrase of four or more characters (a school's
    # fees, a plant's pollution) that are not near-identical; and the canal attack itself: one
    # report told of two different groups.
    hard = []
    index: dict[str, set[int]] = {}
    for i, (title, _) in enumerate(titles):
        for k in range(len(title) - 3):
            index.setdefault(title[k:k + 4], set()).add(i)
    for members in index.values():
        if 1 < len(members) <= 5:
            ordered = sorted(members)
            for x in ordered:
                for y in ordered:
                    union = grams[x] | grams[y]
                    if x < y and len(grams[x] & grams[y]) / len(union) < 0.5:
                        hard.append((titles[x][0], titles[y][0], False))
    hard = rng.sample(sorted(set(hard)), min(count // 2, len(set(hard))))
    groups = "一二三四五六七八九"
    canal = []
    for r in rng.sample(rows, min(count // 4, len(rows))):
        g1, g2 = rng.sample(groups, 2)
        canal.append((f"{g1}组" + lead(r["body"], 40), f"{g2}组" + lead(r["body"], 40), False))
    return same + different + hard + canal


def old_rule(a: str, b: str) -> bool:
    """The rule before this change: two shared words, 60 % of the smaller set."""
    wa, wb = set(words(a)), set(words(b))
    return bool(wa and wb) and len(wa & wb) >= 2 and len(wa & wb) / min(len(wa), len(wb)) >= 0.6


def new_rule(a: str, b: str) -> bool:
    """bot/cases/same_problem.py, as filing calls it."""
    return same_problem(report(a, words(a)), report(b, words(b)))


def score(pairs, rule) -> tuple[float, float, float]:
    tp = sum(1 for a, b, y in pairs if y and rule(a, b))
    fp = sum(1 for a, b, y in pairs if not y and rule(a, b))
    fn = sum(1 for a, b, y in pairs if y and not rule(a, b))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2000, help="pairs of each kind (at most)")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    with open(args.data / "complaints.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    pairs = build_pairs(rows, args.pairs)
    positives = sum(1 for *_, y in pairs if y)
    print(f"pairs: {len(pairs)} ({positives} same problem, {len(pairs) - positives} different, sharing >= 2 words)")
    for name, rule in (("new rule (place, time, object)", new_rule), ("old rule (2 words, 60 %)", old_rule)):
        precision, recall, f1 = score(pairs, rule)
        print(f"{name:32s} precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}")


if __name__ == "__main__":
    main()
