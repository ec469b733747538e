"""The reading step's cost per message, on top of classification, in one process.

    python bench/dialogue.py [--repeat 20]

For every text of ``dialogue.csv`` and 1,000 complaint titles of the shared data, times (process
CPU) what the reading step adds before intake: the mistyped-command reading against the
resident's command words (``Registry.canonical``), the kind decision (``bot.reading.kinds.read``,
which normalises: NFKC, OpenCC, Cantonese), and the classifier's look at the few words beside small
talk that the rules do not know (``handlers.reading.unless_a_problem``), when there are any. The
baseline in the same run is the classifier on the same texts (the trained model in instance/ if
there is one, else the keyword rules). The goal is under 1 ms per message.
"""
import argparse
import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def per_message_ms(function, texts: list[str], repeat: int) -> float:
    """Process CPU milliseconds per call of ``function`` over ``texts``, ``repeat`` times."""
    started = time.process_time()
    for _ in range(repeat):
        for text in texts:
            function(text)
    return (time.process_time() - started) / (repeat * len(texts)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    from bot.cases import classifier as clf
    from bot.reading.kinds import leftover, read
    from bot.reading.normalise import normalise
    from bot.settings import instance_path, read_config
    from handlers import build_registry
    from handlers.message import Message, Sender

    data = ROOT.parent / "shared" / "data"
    with open(data / "dialogue.csv", encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    with open(data / "complaint_titles.csv", encoding="utf-8") as f:
        texts += [row["title"] for _, row in zip(range(1000), csv.DictReader(f)) if row["title"].strip()]
    categories = read_config().get("categories") or {}
    model = instance_path() / "classifier.joblib"
    classifier = clf.Classifier.from_config(categories, model if model.is_file() else None)
    registry, sender = build_registry(), Sender(openid="o_bench", resident_id=1)

    def canonical(text: str):
        return registry.canonical(Message(sender="o_bench", kind="text", time=None, text=text), sender)

    def reading(text: str):
        canonical(text)
        found = read(text)
        if found.kind == "complaint" and found.detail.startswith("chat:"):  # handlers/reading.unless_a_problem
            classifier.classify(leftover(found.text))
        return found

    for function in (reading, lambda t: classifier.classify(normalise(t))):  # warm-up: caches, jieba
        per_message_ms(function, texts, 1)
    figures = {
        "normalise": per_message_ms(normalise, texts, args.repeat),
        "command reading": per_message_ms(canonical, texts, args.repeat),
        "kind (read)": per_message_ms(read, texts, args.repeat),
        "reading step": per_message_ms(reading, texts, args.repeat),
        "classification": per_message_ms(classifier.classify, texts, args.repeat),
    }
    print(f"\nCPU per message, {len(texts)} texts x {args.repeat} "
          f"(classifier: {'model + rules' if model.is_file() else 'rules only'})")
    for name, ms in figures.items():
        print(f"{name:<16} {ms:7.4f} ms  {ms / figures['classification']:5.2f}x classification")
    verdict = "under" if figures["reading step"] < 1 else "OVER"
    print(f"reading step on top of classification: {figures['reading step']:.4f} ms ({verdict} the 1 ms goal)")


if __name__ == "__main__":
    main()
