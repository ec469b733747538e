"""What the case commands of every role share: finding a case by its number, and labels."""
from sqlalchemy import select

from models import Case


def split_args(args: str) -> tuple[str, str]:
    """The case number and the rest of a command's arguments."""
    number, _, rest = args.strip().partition(" ")
    return number.strip().upper(), rest.strip()


def find_case(session, number: str) -> Case | None:
    """The case with this number (case-insensitive), or None."""
    return session.scalar(select(Case).where(Case.number == number.upper())) if number else None


def state_label(context, state: str) -> str:
    """The Chinese name of a case state."""
    return context.config["labels"]["states"].get(state, state)


def action_label(context, action: str) -> str:
    """The Chinese name of a case action."""
    return context.config["labels"]["actions"].get(action, action)
