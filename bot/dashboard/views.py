"""Dashboard pages: figures with charts, the overdue list, one case's ledger, chart images."""
from flask import Response, abort, g, render_template
from sqlalchemy import select

from bot.cases.permissions import excluded, in_scope
from bot.dashboard import bp, filters, history
from bot.dashboard.auth import login_required
from bot.reports import charts, summaries
from bot.reports.periods import weeks_back
from bot.reports.rates import Tally, percent, tallies
from bot.media.attachments import attachments
from bot.runtime import current_runtime
from models import Cadre, Case, DiaryEntry, Inspection, Township, Village


def _rows(db, picked: filters.Filters) -> list[tuple[str, Tally]]:
    """Per-village (or, for a supervisor, per-township) tallies of the filtered period."""
    by = "township" if g.cadre.role == "supervisor" and not picked.village_id else "village"
    found = tallies(db, picked.period.start, picked.period.end, picked.now, by=by, villages=picked.villages,
                    category=picked.category or None)
    model = Township if by == "township" else Village
    ids = {db.get(Village, v).township_id for v in picked.villages} if by == "township" else picked.villages
    return [(row.name, found.get(row.id, Tally()))
            for row in db.scalars(select(model).where(model.id.in_(ids)).order_by(model.id))]


def _cadre_rows(db, picked: filters.Filters) -> list[tuple[Cadre, Tally]]:
    """Per-cadre tallies of the filtered period: the cadres who handle the cases in scope."""
    found = tallies(db, picked.period.start, picked.period.end, picked.now, by="cadre", villages=picked.villages,
                    category=picked.category or None)
    people = db.scalars(select(Cadre).where(Cadre.id.in_(found)).order_by(Cadre.id)).all() if found else []
    return [(person, found[person.id]) for person in people]


@bp.route("/")
@login_required
def index():
    """Figures (per village and per cadre), charts, overdue cases, diaries and inspections for the chosen filters."""
    db, picked = g.db, filters.parse(g.db, g.cadre)
    rows = _rows(db, picked)
    return render_template(
        "dashboard/index.html", f=picked, rows=rows, total=sum((t for _, t in rows), Tally()), percent=percent,
        cadre_rows=_cadre_rows(db, picked),
        overdue=summaries.overdue(db, picked.villages, picked.now, 20, g.cadre.id), choices=filters.choices(db, g.cadre),
        categories=list(current_runtime().config.get("categories") or {}),
        diaries=db.scalars(select(DiaryEntry).where(DiaryEntry.village_id.in_(picked.villages))
                           .order_by(DiaryEntry.at.desc()).limit(20)).all(),
        inspections=db.scalars(select(Inspection).where(Inspection.village_id.in_(picked.villages))
                               .order_by(Inspection.at.desc()).limit(20)).all())


@bp.route("/overdue")
@login_required
def overdue():
    """Every overdue case in scope."""
    picked = filters.parse(g.db, g.cadre)
    return render_template("dashboard/overdue.html", f=picked,
                           cases=summaries.overdue(g.db, picked.villages, picked.now, 1000, g.cadre.id))


@bp.route("/case/<number>")
@login_required
def case(number: str):
    """One case and its full ledger (404 outside the cadre's scope, so numbers reveal nothing)."""
    found = g.db.scalar(select(Case).where(Case.number == number.upper()))
    if found is None or not in_scope(g.db, g.cadre, found.village_id) or excluded(g.cadre, found):
        abort(404)
    config = current_runtime().config
    labels = config["labels"]
    return render_template("dashboard/case.html", case=found, labels=labels, attachments=attachments(g.db, found, labels),
                           history=history.entries(g.db, found.id, labels, config["roster"]["role_names"]))


@bp.route("/chart/<kind>.png")
@login_required
def chart(kind: str):
    """The rates per village/township (``rates``) or over the last weeks (``trend``) as a PNG."""
    picked = filters.parse(g.db, g.cadre)
    if kind == "rates":
        rows = _rows(g.db, picked)
        png = charts.rates_png(f"三率 {picked.period.label}", [name for name, _ in rows] or ["—"],
                               [[t.response_rate, t.resolve_rate, t.satisfaction_rate] for _, t in rows] or [[None] * 3])
    elif kind == "trend":
        weeks = weeks_back(picked.now, current_runtime().config["summaries"]["trend_weeks"])
        points = [sum(tallies(g.db, w.start, w.end, picked.now, villages=picked.villages,
                              category=picked.category or None).values(), Tally()) for w in weeks]
        png = charts.trend_png("三率趋势（按周）", [f"{w.start.month}/{w.start.day}" for w in weeks],
                               [[t.response_rate, t.resolve_rate, t.satisfaction_rate] for t in points])
    else:
        abort(404)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "private, max-age=60"})
