"""The case list: every case in scope, filtered, searched, sorted and paged; unknown pages in Chinese."""
from math import ceil

from flask import current_app, g, render_template, request
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, joinedload

from bot.cases.case_life import OPEN
from bot.dashboard import bp, filters
from bot.dashboard.auth import login_required
from models import Cadre, Case, Village

PAGE_SIZE = 50
SORTS = {"received": (Case.received_at.desc(), "最新收到"), "oldest": (Case.received_at.asc(), "最早收到"),
         "due": (Case.resolve_due_at.asc(), "办结时限"), "number": (Case.number.asc(), "案件编号")}


def _page() -> int:
    value = request.args.get("page", "")
    return max(int(value), 1) if value.isdigit() else 1


def _query(picked: filters.Filters, state: str, owner_id: int | None, text: str):
    """The filtered cases (no order, no paging)."""
    query = select(Case).where(Case.village_id.in_(picked.villages), Case.received_at >= picked.period.start,
                               Case.received_at < picked.period.end)
    if picked.category:
        query = query.where(Case.category == picked.category)
    if state == "open":
        query = query.where(Case.state.in_(OPEN))
    elif state:
        query = query.where(Case.state == state)
    if owner_id:
        query = query.where(or_(Case.owner_id == owner_id, Case.assignee_id == owner_id))
    if text:
        query = query.where(or_(Case.text.contains(text, autoescape=True), Case.number == text.upper()))
    return query


@bp.route("/cases")
@login_required
def cases():
    """The case list; each row links to the case page."""
    db, picked = g.db, filters.parse(g.db, g.cadre)
    state = request.args.get("state", "")
    labels = current_app.extensions["bot"].config["labels"]
    state = state if state == "open" or state in labels["states"] else ""
    owner_value = request.args.get("owner", "")
    owner_id = int(owner_value) if owner_value.isdigit() else None
    text = request.args.get("q", "").strip()[:100]
    sort = request.args.get("sort", "received")
    sort = sort if sort in SORTS else "received"
    query = _query(picked, state, owner_id, text)
    total = db.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(ceil(total / PAGE_SIZE), 1)
    page = min(_page(), pages)
    rows = db.scalars(query.options(joinedload(Case.village).joinedload(Village.township), joinedload(Case.owner),
                                    joinedload(Case.assignee))
                      .order_by(SORTS[sort][0], Case.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    handler = aliased(Case)
    owners = db.scalars(select(Cadre).where(Cadre.id.in_(
        select(func.coalesce(handler.owner_id, handler.assignee_id)).where(handler.village_id.in_(picked.villages))
    )).order_by(Cadre.name)).all()
    args = picked.args(state=state, owner=owner_id, q=text, sort=sort)
    return render_template(
        "dashboard/cases.html", f=picked, rows=rows, total=total, page=page, pages=pages, args=args,
        state=state, owner_id=owner_id, text=text, sort=sort, sorts={k: v[1] for k, v in SORTS.items()},
        owners=owners, labels=labels, choices=filters.choices(db, g.cadre),
        categories=list(current_app.extensions["bot"].config.get("categories") or {}), now=picked.now)


@bp.app_errorhandler(404)
def not_found(error):
    """Under /dashboard/, a Chinese page; elsewhere (the webhook, the API) the plain answer."""
    if not request.path.startswith("/dashboard"):
        return error
    return render_template("dashboard/not_found.html"), 404
