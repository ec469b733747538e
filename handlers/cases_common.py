"""What the case commands of every role share: finding a case by its number, labels, refusals, pages."""
import math
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.cases.case_life import ENDED, CaseError, IllegalMove, NotAllowed, UnknownCategory
from models import Case

PHONE = re.compile(r"1[3-9]\d{9}|0\d{2,3}\d{7,8}")  # a mobile, or a landline with its area code
VERDICTS = ("confirm", "reopen")  # a resident's word on the answer, not more work on the case


def split_args(args: str) -> tuple[str, str]:
    """The case number and the rest of a command's arguments.

    The number is read in its NFKC form, so one typed in full width (ＱＳ－２０２６－０００１２) is found.
    """
    number, _, rest = args.strip().partition(" ")
    # punctuation typed after the number ("接单 12。") is not part of it
    return unicodedata.normalize("NFKC", number.strip()).rstrip("。.,!?~、;").upper(), rest.strip()


def find_case(session, number: str, options=()) -> Case | None:
    """The case with this number (case-insensitive), or None; ``options``: what to load with it."""
    if not number:
        return None
    return session.execute(select(Case).where(Case.number == number.upper()).options(*options)).unique() \
        .scalar_one_or_none()


def pick_case(context, number: str, visible, options=()) -> tuple[Case | None, str | None]:
    """The one case ``number`` means, or the reply saying why not (not found, or which of several).

    A full number is looked up as it is; bare digits (``3``, ``00003``) are a serial: the visible
    cases whose number ends in it, and when several do, the caller is asked which.
    """
    number = number.removesuffix("号")  # "12号"
    if not number.isdigit():  # a full number: the caller checks its right to the case
        case = find_case(context.session, number, options)
        return (case, None) if case is not None else (None, context.text("case_not_found", number=number))
    serial = f"-{int(number):05d}"
    cases = [c for c in context.session.execute(select(Case).where(Case.number.endswith(serial)).options(*options)
                                                .order_by(Case.id.desc()).limit(50)).unique().scalars() if visible(c)]
    if not cases:
        return None, context.text("case_not_found", number=number)
    if len(cases) > 1:
        return None, context.text("case_which", number=number, choices="、".join(c.number for c in cases[:9]))
    return cases[0], None


def state_label(context, state: str) -> str:
    """The Chinese name of a case state."""
    return context.config["labels"]["states"].get(state, state)


def action_label(context, action: str) -> str:
    """The Chinese name of a case action."""
    return context.config["labels"]["actions"].get(action, action)


def refusal(context, error: CaseError) -> str:
    """A refused move in the words a cadre or resident reads: taken by whom, ended, or not now."""
    if isinstance(error, NotAllowed):
        return context.text("case_refused", number=error.number)
    if isinstance(error, UnknownCategory):
        categories = context.config["categories"]
        return context.text("cadre_unknown_category", category=error.category, choices="、".join(categories))
    action = action_label(context, error.action)
    if isinstance(error, IllegalMove) and error.action == "accept" and error.owner and error.state not in ENDED:
        return context.text("case_taken", number=error.number, name=error.owner)
    if error.state in ENDED and error.action not in VERDICTS:
        return context.text("case_ended", number=error.number, state=state_label(context, error.state), action=action)
    return context.text("case_illegal", number=error.number, state=state_label(context, error.state), action=action)


@dataclass(frozen=True)
class Page:
    """One page of a case list: its cases, its number, how many pages, and the next one's number."""

    cases: list
    number: int
    pages: int
    total: int

    @property
    def next(self) -> int:
        """The page to ask for next (the first again after the last)."""
        return self.number % self.pages + 1


def paged(context, query, page_word: str, size: int | None = None) -> Page | None:
    """Page ``page_word`` (default 1) of the cases ``query`` selects, oldest first; None when there are none."""
    size = size or context.config["cases"]["page_size"]
    total = context.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if not total:
        return None
    pages = math.ceil(total / size)
    number = min(max(int(page_word), 1), pages) if page_word.isdigit() else 1
    cases = context.session.scalars(query.order_by(Case.received_at, Case.id).offset((number - 1) * size)
                                    .limit(size)).all()
    return Page(cases, number, pages, total)
