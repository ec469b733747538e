"""Bounds on what a message may carry, checked before any work (every later step is then cheap)."""
from handlers.message import Message


def oversized(message: Message, config: dict) -> str | None:
    """The short reply for a text longer than any real report, or None to process it."""
    limit = config["wechat"]["max_text_chars"]
    if len(message.text) > limit or len(message.label) > limit or len(message.event_key) > limit:
        return config["texts"]["text_too_long"].format(limit=limit)
    return None
