"""The text the classifier reads: the reading step's normalised form of a message.

The reading step (bot/reading/normalise.py, issue 14) owns normalisation: NFKC, traditional to
simplified characters, Cantonese words mapped to Mandarin. Until that module is part of the
build, the classifier reads NFKC and OpenCC's traditional-to-simplified conversion, which is the
part of it the categories depend on most.
"""
import unicodedata
from functools import lru_cache

try:
    from bot.reading.normalise import normalise as _normalise
except ImportError:  # the reading step is not merged yet
    _normalise = None


@lru_cache(maxsize=1)
def _t2s():
    """OpenCC's traditional-to-simplified converter, built once."""
    import opencc

    return opencc.OpenCC("t2s")


def readable(text: str) -> str:
    """``text`` as the classifier reads it (normalised by the reading step)."""
    if _normalise is not None:
        return _normalise(text or "")
    return _t2s().convert(unicodedata.normalize("NFKC", text or ""))
