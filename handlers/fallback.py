"""Help for anyone: the ``帮助`` command and the answer when nothing else matched."""
from handlers.message import Message, Sender
from handlers.registry import Context, Registry

SILENT_EVENTS = {"unsubscribe", "location", "view", "templatesendjobfinish"}


def register(registry: Registry) -> None:
    """Register the help command and the fallback."""
    registry.command("帮助", "help", "?", "？")(show_help)
    registry.fallback(fallback)


def show_help(message: Message, sender: Sender, context: Context) -> str:
    """Answer with the commands of the sender's role."""
    return context.text("help" if sender.role == "resident" else "help_cadre")


def fallback(message: Message, sender: Sender, context: Context) -> str | None:
    """Help for text and known kinds; silence for events that expect no answer."""
    if message.kind == "event":
        return None if message.event in SILENT_EVENTS else context.text("help")
    if message.kind in {"text", "image", "voice", "video", "shortvideo", "location", "link"}:
        return context.text("help")
    return context.text("unknown_kind")
