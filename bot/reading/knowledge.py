"""The knowledge base: answers to residents' common questions, matched by jieba words, with a YAML file.

An entry applies to a county, a township or a village (empty names: wider); the entry covering
most of the question's words wins if it covers at least ``reading.knowledge_threshold`` of them,
the narrower scope first on a tie. Every answer given is counted on its entry (``hits``).
"""
from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import or_, select, update

from bot.cases.classifier import tokens
from bot.reading.normalise import normalise
from models import KnowledgeEntry, Village, utcnow

# Question words, fillers and times: every question has them, so they say nothing about which question.
STOPWORDS = frozenset(
    "怎么 怎样 如何 哪里 哪儿 在哪 去哪 多少 什么 啥 吗 呢 吧 请问 问下 问一下 想问 一下 可以 能不能 能 要 需要 是 "
    "的 了 我 我们 你们 有 有没有 没有 几 几点 时候 什么时候 还 么 哪个 哪些 是否 知道 想 去 在 办 给 个 这个 "
    "今年 明年 每年 现在 今天 每个月 每月 一年 一般 平时".split()  # noqa: SIM905 (a list this long reads better as words)
)
SCOPES = ("county", "township", "village")


class KnowledgeError(ValueError):
    """A knowledge file that cannot be imported; ``errors`` lists every bad entry."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def content_words(text: str) -> set[str]:
    """The words of a question that say what it is about (normal form, jieba, stopwords out)."""
    return {w for w in tokens(normalise(text)) if w.strip() and w not in STOPWORDS and (len(w) > 1 or w.isdigit())}


def _in_scope(village: Village):
    """Entries that apply to the village: its own, its township's, its county's, or everywhere's."""
    township = village.township
    return (or_(KnowledgeEntry.county == "", KnowledgeEntry.county == township.county),
            or_(KnowledgeEntry.township == "", KnowledgeEntry.township == township.name),
            or_(KnowledgeEntry.village == "", KnowledgeEntry.village == village.name))


def best_entry(session, village: Village, text: str, threshold: float) -> KnowledgeEntry | None:
    """The entry answering ``text`` for this village, or None when none covers enough of its words."""
    mine = content_words(text)
    if not mine:
        return None
    best, best_key = None, None
    for entry in session.scalars(select(KnowledgeEntry).where(*_in_scope(village))):
        covered = len(mine & set(entry.words)) / len(mine)
        key = (covered, bool(entry.village), bool(entry.township), -entry.id)
        if covered >= threshold and (best_key is None or key > best_key):
            best, best_key = entry, key
    return best


def answer(session, village: Village, text: str, threshold: float) -> str | None:
    """The knowledge base's answer to ``text``, counted on its entry; None when it has none."""
    entry = best_entry(session, village, text, threshold)
    if entry is None:
        return None
    session.execute(update(KnowledgeEntry).where(KnowledgeEntry.id == entry.id)
                    .values(hits=KnowledgeEntry.hits + 1).execution_options(synchronize_session=False))
    return entry.answer


def _entries(data) -> list[dict]:
    """The entries of a parsed file: a list, or a mapping with ``knowledge:``."""
    if isinstance(data, dict):
        data = data.get("knowledge")
    if not isinstance(data, list):
        raise KnowledgeError(["文件应为条目列表（或 knowledge: 下的列表）"])
    return data


def import_knowledge(session, path: Path) -> int:
    """Replace the knowledge base with the entries of a YAML file (all or nothing); keep hits of kept entries."""
    rows, errors = [], []
    for n, item in enumerate(_entries(yaml.safe_load(Path(path).read_text(encoding="utf-8"))), start=1):
        if not isinstance(item, dict):
            errors.append(f"第 {n} 条：应为 question/answer 条目")
            continue
        questions = item.get("questions") or ([item["question"]] if item.get("question") else [])
        answer_text = str(item.get("answer") or "").strip()
        if not questions or not answer_text:
            errors.append(f"第 {n} 条：缺少 question 或 answer")
            continue
        words = set().union(*(content_words(str(q)) for q in questions)) | {str(k) for k in item.get("keywords") or []}
        rows.append(dict({s: str(item.get(s) or "").strip() for s in SCOPES}, question="\n".join(map(str, questions)),
                         answer=answer_text, words=sorted(words)))
    if errors:
        raise KnowledgeError(errors)
    old = {(e.county, e.township, e.village, e.question): e.hits for e in session.scalars(select(KnowledgeEntry))}
    session.query(KnowledgeEntry).delete()
    now = utcnow()
    for row in rows:
        hits = old.get((row["county"], row["township"], row["village"], row["question"]), 0)
        session.add(KnowledgeEntry(**row, hits=hits, updated_at=now))
    return len(rows)


def export_knowledge(session, path: Path) -> int:
    """Write the knowledge base to a YAML file in the form import reads, with each entry's hits."""
    entries = []
    for e in session.scalars(select(KnowledgeEntry).order_by(KnowledgeEntry.id)):
        item = {s: getattr(e, s) for s in SCOPES if getattr(e, s)}
        questions = e.question.split("\n")
        item.update({"questions": questions} if len(questions) > 1 else {"question": questions[0]})
        item.update(answer=e.answer, hits=e.hits)
        entries.append(item)
    Path(path).write_text(yaml.safe_dump({"knowledge": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return len(entries)
