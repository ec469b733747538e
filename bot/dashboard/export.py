"""台账 export: one row per case of the filtered scope and period, as .xlsx (openpyxl) or CSV."""
import csv
import io
from datetime import timedelta
from urllib.parse import quote

from flask import Response, g
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from bot.dashboard import bp, filters
from bot.cases.permissions import not_about
from bot.dashboard.auth import login_required
from bot.reports.sheet_cells import csv_text, xlsx_row
from bot.runtime import current_runtime
from bot.timefmt import CHINA
from models import Cadre, Case, CaseEvent, Township, Village
from models.case import DONE

# (header, column width in Excel's character units): wide enough to read without resizing.
COLUMNS = [("案件编号", 16), ("镇街", 10), ("村（社区）", 12), ("类别", 10), ("状态", 14), ("负责人", 9),
           ("反映内容", 48), ("答复", 36), ("群众评价", 9), ("评价理由", 24), ("反映人数", 9), ("收到时间", 17),
           ("首次联系", 17), ("联系时限", 17), ("办结时限", 17), ("办结时间", 17), ("确认时间", 17), ("关闭时间", 17),
           ("用时（天）", 10)]
HEADER = [name for name, _ in COLUMNS]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VERDICTS = {"confirm": "满意", "reopen": "不满意"}


def _last(case_id, actions: tuple[str, ...], column):
    """The latest ledger entry's ``column`` of the case among ``actions`` (a correlated subquery)."""
    return (select(column).where(CaseEvent.case_id == case_id, CaseEvent.action.in_(actions))
            .order_by(CaseEvent.id.desc()).limit(1).scalar_subquery())


def ledger_rows(db, picked: filters.Filters):
    """The export's rows, oldest first: times as naive China-time datetimes (Excel has no zones)."""
    owner = aliased(Cadre)
    query = (select(Case, Village.name, Township.name, func.coalesce(owner.name, ""),
                    _last(Case.id, ("confirm", "reopen"), CaseEvent.action),
                    _last(Case.id, ("confirm", "reopen"), CaseEvent.note),
                    _last(Case.id, ("close_unresolved",), CaseEvent.at))
             .join(Village, Village.id == Case.village_id).join(Township, Township.id == Village.township_id)
             .outerjoin(owner, owner.id == func.coalesce(Case.owner_id, Case.assignee_id))
             .where(Case.village_id.in_(picked.villages), Case.received_at >= picked.period.start,
                    Case.received_at < picked.period.end, not_about(g.cadre.id))
             .order_by(Case.received_at, Case.id))
    if picked.category:
        query = query.where(Case.category == picked.category)
    states = current_runtime().config["labels"]["states"]
    local = lambda moment: moment.astimezone(CHINA).replace(tzinfo=None, microsecond=0) if moment else None
    for case, village, township, owner_name, verdict, reason, closed_at in db.execute(query).yield_per(1000):
        if verdict is None:  # cases entered without a ledger of verdicts (imports): their state tells
            verdict = "confirm" if case.state == "confirmed" else ("reopen" if case.reopened else None)
        # Days open run to the resolution, to the closing, or (still open, or reopened) to now.
        if case.state in DONE:
            end = case.resolved_at
        elif case.state == "closed_unresolved":
            end = closed_at or case.updated_at
        else:
            end = picked.now
        yield [case.number, township, village, case.category, states.get(case.state, case.state), owner_name,
               case.text, case.answer, VERDICTS.get(verdict, ""), (reason or "") if verdict == "reopen" else "",
               case.reporters, local(case.received_at), local(case.accepted_at), local(case.contact_due_at),
               local(case.resolve_due_at), local(case.resolved_at), local(case.confirmed_at), local(closed_at),
               round((end - case.received_at).total_seconds() / 86400, 1)]


def _download(body, mimetype: str, picked: filters.Filters, suffix: str) -> Response:
    """The file, named by the period's first and last day in China time (the end is exclusive)."""
    first = picked.period.start.astimezone(CHINA).date()
    last = (picked.period.end - timedelta(microseconds=1)).astimezone(CHINA).date()
    span = f"{first:%Y%m%d}-{last:%Y%m%d}"
    disposition = f"attachment; filename=\"taizhang-{span}.{suffix}\"; filename*=UTF-8''{quote(f'台账-{span}.{suffix}')}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


@bp.route("/export.xlsx")
@login_required
def export_xlsx():
    """The 台账 as an Excel workbook (write-only mode: rows stream to the file, memory stays flat)."""
    picked = filters.parse(g.db, g.cadre)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(HEADER)
    for row in ledger_rows(g.db, picked):
        sheet.append(xlsx_row(sheet, row))  # names and categories stay text, never formulas
    buffer = io.BytesIO()
    book.save(buffer)
    return _download(buffer.getvalue(), XLSX, picked, "xlsx")


@bp.route("/export.csv")
@login_required
def export_csv():
    """The 台账 as CSV, UTF-8 with a BOM so Excel opens the Chinese correctly."""
    picked = filters.parse(g.db, g.cadre)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in ledger_rows(g.db, picked):
        writer.writerow(["" if v is None else (v.strftime("%Y-%m-%d %H:%M") if hasattr(v, "strftime")
                                               else csv_text(v) if isinstance(v, str) else v) for v in row])
    return _download("\ufeff" + buffer.getvalue(), "text/csv; charset=utf-8", picked, "csv")
