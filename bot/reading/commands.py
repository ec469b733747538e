"""Commands as people type them: full-width, glued to their argument, or with pinyin-input slips."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import lazy_pinyin

from bot.reading.normalise import simplified

SEPARATORS = " :,、;-#"  # after NFKC: full-width colon, comma, space and ＃ are these
# Trailing punctuation, and the particles said after a command (联系卡呢, 驻点啊, 帮助一下).
_TRAILING = re.compile(r"(?:[\s!?.。,~、…]|[呢啊吧嘛哦呀啦哈]|一下)+$")
# Read-only commands a resident may use with one character wrong (handwriting input: 帮肋 → 帮助).
LOOSE = frozenset({"帮助", "联系卡", "驻点", "进度"})
# Look-ups of a case by its number that may be typed with one character wrong (详细 12 → 详情 12).
LOOSE_NUMBERED = frozenset({"详情", "进度"})
_NOUN_AFTER = re.compile(r"(片|期|表|信息|情况|安排)$")
_NUMBERED = re.compile(r"(\w\w)[" + re.escape(SEPARATORS) + r"]*([A-Za-z0-9][A-Za-z0-9-]*)")
# Commands whose argument is free text, so it may follow the word without a space (绑定东坑).
FREE_ARGS = frozenset({"绑定"})
# Initials and finals the pinyin input method (and Guangdong accents) mix up.
_FOLDS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_FINAL_FOLDS = (("ing", "in"), ("eng", "en"), ("ang", "an"))
# Words people put before a command ("查进度", "帮我看看联系卡", "我要绑定东坑").
_LEAD = re.compile(r"^(请|我要|我想|帮我|麻烦|给我)?(查一下|查一查|查查|查下|查询|查看|看一下|看一看|看看|看下|发一下|发下|查|看|发)?")


@dataclass(frozen=True)
class Command:
    """A recognised command word and its argument text."""

    word: str
    args: str


@lru_cache(maxsize=8192)
def sound(char: str) -> str:
    """A character's toneless pinyin with confusable initials and finals folded; other marks as they are."""
    syllable = lazy_pinyin(char)[0]
    if not (syllable.isascii() and syllable.isalpha()) or syllable == char:
        return char
    for initial, folded in _FOLDS:
        if syllable.startswith(initial):
            syllable = folded + syllable[len(initial):]
            break
    for final, folded in _FINAL_FOLDS:
        if syllable.endswith(final):
            return syllable[: -len(final)] + folded
    return syllable


@lru_cache(maxsize=256)
def _spelled(word: str) -> str:
    """The word in plain pinyin, as typed with the input method off (lianxika)."""
    return "".join(lazy_pinyin(word))


def _after_spelled(text: str, spelled: str) -> str | None:
    """What follows ``spelled`` typed at the start of ``text`` (spaces allowed between its letters), or None."""
    at = 0
    for letter in spelled:
        while at < len(text) and text[at] == " ":
            at += 1
        if at >= len(text) or text[at].lower() != letter:
            return None
        at += 1
    return text[at:]


def _sounds_like(head: str, word: str) -> bool:
    """Whether ``head`` is ``word`` or a homophone of it, character by character."""
    return head == word or (len(head) == len(word) and all(sound(a) == sound(b) for a, b in zip(head, word)))


def _args(word: str, rest: str) -> str | None:
    """The argument after a command word, or None when the rest shows this is not the command."""
    if not rest:
        return ""
    if rest[0] in SEPARATORS:
        return rest.lstrip(SEPARATORS).strip()
    if (rest[0].isascii() and rest[0].isalnum()) or word in FREE_ARGS:
        return rest.strip()
    return None


def match_command(text: str, words) -> Command | None:
    """The command among ``words`` that ``text`` was meant as, with its argument; None for free text."""
    written = text.strip()
    light = simplified(written)
    found = _match(light, words)
    lead = _LEAD.match(light).end()
    if found is None and 0 < lead < len(light):
        found = _match(light[lead:], words)
    if found is None and _SPACED.search(light):  # 详 情 12: the word typed with a space inside
        written = _SPACED.sub("", written)
        light = _SPACED.sub("", light)
        found = _match(light, words)
    return _as_written(found, light, written)


# A space between two Chinese characters.
_SPACED = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


# Full-width digits and letters read as ASCII (case numbers like １２); punctuation stays as written.
_FULL_WIDTH_ALNUM = {ord(c) + 0xFEE0: c for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}


def _as_written(found: Command | None, light: str, written: str) -> Command | None:
    """The command with its argument as the sender wrote it (an answer keeps its ，and 繁體 characters).

    NFKC and OpenCC keep Chinese text's length, so the argument's place in the read text is its
    place in the written one; when they did not, the read argument is the best there is. Full-width
    digits and letters still read as ASCII, so `详情 １２` finds case 12.
    """
    if found is None or not found.args or len(light) != len(written):
        return found
    start = light.rfind(found.args)
    if start < 0:
        return found
    return Command(found.word, written[start:start + len(found.args)].translate(_FULL_WIDTH_ALNUM))


def _match(light: str, words) -> Command | None:
    """``match_command`` on the text without lead-in words."""
    whole = _TRAILING.sub("", light)
    if not whole:
        return None
    if whole.isascii() and whole.replace(" ", "").isalpha():
        typed = whole.replace(" ", "").lower()
        return next((Command(w, "") for w in words if _spelled(w) == typed), None)
    if len(whole) <= 8 and not whole.isascii() and any(c.isascii() and c.isalpha() for c in whole):  # 联系ka
        typed = "".join(lazy_pinyin(whole)).replace(" ", "").lower()
        found = next((Command(w, "") for w in words if _spelled(w) == typed), None)
        if found:
            return found
    if whole[0].isascii() and whole[0].isalpha():  # pinyin with an argument: xiangqing 12, bangding 东坑村
        for word in sorted(words, key=lambda w: -len(_spelled(w))):
            rest = _after_spelled(whole, _spelled(word))
            if rest and (rest[0] in SEPARATORS or rest[0].isdigit() or not rest[0].isascii()):
                return Command(word, rest.lstrip(SEPARATORS).strip())
    for word in sorted(words, key=len, reverse=True):
        head = whole[: len(word)]
        if not _sounds_like(head, word):
            continue
        args = _args(word, whole[len(word):])
        if args is None:
            continue
        # The argument as written (only NFKC and simplified), with its own trailing punctuation.
        written = light[len(word):].lstrip(SEPARATORS).strip()
        return Command(word, written if args and written.startswith(args) else args)
    for word in words:  # one character wrong, the others the same or sounding alike (聯絡咔)
        if word in LOOSE and len(whole) == len(word) and sound(whole[0]) == sound(word[0]) and \
                sum(sound(a) != sound(b) for a, b in zip(whole, word)) == 1:
            return Command(word, "")
    # A look-up named with a noun after it: 联系卡片, 驻点日期, 进度情况, 帮助信息.
    stem = _NOUN_AFTER.sub("", whole)
    if stem != whole and stem in words and any(stem.startswith(word) for word in LOOSE):
        return Command(stem, "")
    # A case look-up with one character wrong and a case number after it (详细 12).
    numbered = _NUMBERED.fullmatch(whole)
    if numbered:
        head, number = numbered.groups()
        for word in words:
            if word in LOOSE_NUMBERED and sound(head[0]) == sound(word[0]) and \
                    sum(sound(a) != sound(b) for a, b in zip(head, word)) == 1:
                return Command(word, number)
    return None
