"""Logging set-up: phone numbers and openids masked, query strings dropped in every record, JSON lines on request.

``LOG_FORMAT=json`` gives one JSON object per line (for a log shipper); otherwise plain text.
"""
import json
import logging
import re
from datetime import datetime, timezone

PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Mainland mobile numbers: 11 digits starting 13-19, not inside a longer number.
PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
# WeChat openids start with "o" and mix letters, digits, "_" and "-" (28 characters in production;
# any length here, so test and demo ids are masked too). Plain lowercase words are left alone.
# A request's query string (WeChat's signature, timestamp and nonce, which a reader of the logs
# could replay): the development server and error messages write it after the path.
QUERY = re.compile(r"(/[\w./%-]*)\?[^\s\"']+")
OPENID = re.compile(r"(?<![A-Za-z0-9_-])o(?=[A-Za-z0-9_-]*[0-9A-Z_-])[A-Za-z0-9_-]{3,}")


def _mask_openid(match: re.Match) -> str:
    """Keep the last four characters of a long openid, so a person can still be told apart."""
    value = match.group(0)
    return f"o***{value[-4:]}" if len(value) >= 12 else "o***"


def mask(text: str) -> str:
    """The text with query strings dropped and openids and phone numbers masked."""
    return PHONE.sub(r"\1****\2", OPENID.sub(_mask_openid, QUERY.sub(r"\1?…", text)))


class MaskFilter(logging.Filter):
    """Masks phone numbers and openids in a record's message and traceback before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the message (and the traceback text) with masked versions; never drops a record."""
        record.msg = mask(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as a single line of JSON."""
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                 "process": record.process}
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: str = "") -> None:
    """Give the root logger a handler if it has none; mask on every handler; JSON if asked."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
        root.setLevel(logging.INFO)
    for handler in root.handlers:
        if log_format == "json":
            handler.setFormatter(JsonFormatter())
        elif handler.formatter is None:
            handler.setFormatter(logging.Formatter(PLAIN))
        # On the handlers, not the root logger: a logger's filters skip records propagated from children.
        if not any(isinstance(f, MaskFilter) for f in handler.filters):
            handler.addFilter(MaskFilter())
