"""A small ordered registry of handlers: the first route that matches a message wins."""
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from bot.reading.commands import match_command
from bot.villages.station_day import StationDayInfo, next_station_day
from handlers.message import Message, Sender
from models.roster import ROLES

if TYPE_CHECKING:
    from bot.runtime import Runtime

CADRE_ROLES = frozenset(ROLES)  # every role on the roster (residents are not on it)
# A handler returns PASS to decline a message it matched, so the routes after it are tried.
PASS = object()


@dataclass
class Context:
    """What a handler may use besides the message: the open session, config, the time, the runtime."""

    session: Any
    config: dict
    now: datetime
    args: str = ""
    runtime: "Runtime | None" = None  # the process's shared parts (classifier, Redis, dashboard URL)

    def text(self, key: str, /, **values) -> str:
        """Return the configured user-facing text ``key``, formatted with ``values``."""
        return self.config["texts"][key].format(**values)

    def next_station_day(self, village) -> StationDayInfo:
        """The village's next station day from now (computed once per village and day by the roster facts)."""
        station_days = self.config.get("station_days") or {}
        if self.runtime is None:
            return next_station_day(village, self.now, station_days)
        return self.runtime.facts.next_station_day(self.session, village, self.now, station_days)


Handler = Callable[[Message, Sender, Context], str | None]


@dataclass(frozen=True)
class Route:
    """A predicate on the message, the handler it selects, and the roles allowed to use it."""

    match: Callable[[Message], str | None]
    handler: Handler
    roles: frozenset[str] | None
    name: str
    words: tuple[str, ...] = ()  # a command's words, for reading mistyped commands


def command_words(message: Message) -> tuple[str, str]:
    """Split a text message into its first word and the rest, tolerating full-width spaces."""
    text = message.text.replace("\u3000", " ").strip()
    word, _, rest = text.partition(" ")
    return word, rest.strip()


class Registry:
    """Routes in the order added; ``dispatch`` runs the first whose ``match`` accepts the message."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self._fallback: Handler | None = None
        self._words: dict[str, tuple[str, ...]] = {}

    def add(self, match, handler: Handler, roles=None, name: str = "", words: tuple[str, ...] = ()) -> None:
        """Add a route; ``match`` returns the command arguments (``""`` for none) or None."""
        self._words.clear()
        self.routes.append(Route(match, handler, frozenset(roles) if roles else None, name or handler.__name__,
                                 words))

    def command(self, *words: str, roles=None, click: tuple[str, ...] = ()):
        """Register a handler for text starting with one of ``words`` (or menu CLICK keys)."""

        def match(message: Message) -> str | None:
            if message.kind == "text":
                word, rest = command_words(message)
                return rest if word in words else None
            if message.kind == "event" and message.event == "click" and message.event_key in click:
                return ""
            return None

        def decorator(handler: Handler) -> Handler:
            self.add(match, handler, roles, words[0], words)
            return handler

        return decorator

    def kind(self, *kinds: str, roles=None):
        """Register a handler for message kinds (text, image, voice, ...)."""
        return self._simple(lambda m: m.kind in kinds, roles)

    def event(self, *events: str, roles=None):
        """Register a handler for event types (subscribe, scan, click, ...)."""
        return self._simple(lambda m: m.kind == "event" and m.event in events, roles)

    def fallback(self, handler: Handler) -> Handler:
        """Set the handler used when no route matches."""
        self._fallback = handler
        return handler

    def _simple(self, predicate, roles):
        def decorator(handler: Handler) -> Handler:
            self.add(lambda m: "" if predicate(m) else None, handler, roles)
            return handler

        return decorator

    def words_for(self, role: str) -> tuple[str, ...]:
        """The command words the role may use (the mistyped-command reading looks only at these)."""
        if role not in self._words:
            self._words[role] = tuple(w for r in self.routes if r.roles is None or role in r.roles for w in r.words)
        return self._words[role]

    def canonical(self, message: Message, sender: Sender) -> Message:
        """A mistyped command (全角, glued to its argument, a pinyin slip) rewritten as ``word args``."""
        if message.kind != "text":
            return message
        command = match_command(message.text, self.words_for(sender.role))
        if command is None:
            return message
        return replace(message, text=f"{command.word} {command.args}".strip())

    def dispatch(self, message: Message, sender: Sender, context: Context) -> str | None:
        """Run the first matching route, refusing politely when the sender lacks the role."""
        message = self.canonical(message, sender)
        for route in self.routes:
            args = route.match(message)
            if args is None:
                continue
            if route.roles is not None and sender.role not in route.roles:
                return context.text("not_allowed", command=route.name)
            context.args = args
            reply = route.handler(message, sender, context)
            if reply is not PASS:
                return reply
        return self._fallback(message, sender, context) if self._fallback else None
