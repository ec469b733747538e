"""台账 export: one row per case of the filtered scope and period, as .xlsx (openpyxl) or CSV."""
import csv
import io

from flask import Response, g
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from bot.dashboard import bp, filters
from bot.dashboard.auth import login_required
from bot.runtime import current_runtime
from bot.timefmt import CHINA
from models import Cadre, Case, Township, Village
from models.case import DONE

HEADER = ["案件编号", "镇街", "村（社区）", "类别", "状态", "负责人", "收到时间", "首次联系", "办结时间", "确认时间",
          "用时（天）"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ledger_rows(db, picked: filters.Filters):
    """The export's rows, oldest first: times as naive China-time datetimes (Excel has no zones)."""
    owner = aliased(Cadre)
    query = (select(Case, Village.name, Township.name, func.coalesce(owner.name, ""))
             .join(Village, Village.id == Case.village_id).join(Township, Township.id == Village.township_id)
             .outerjoin(owner, owner.id == func.coalesce(Case.owner_id, Case.assignee_id))
             .where(Case.village_id.in_(picked.villages), Case.received_at >= picked.period.start,
                    Case.received_at < picked.period.end).order_by(Case.received_at, Case.id))
    if picked.category:
        query = query.where(Case.category == picked.category)
    states = current_runtime().config["labels"]["states"]
    local = lambda moment: moment.astimezone(CHINA).replace(tzinfo=None, microsecond=0) if moment else None
    for case, village, township, owner_name in db.execute(query).yield_per(1000):
        end = case.resolved_at if case.state in DONE else picked.now
        yield [case.number, township, village, case.category, states.get(case.state, case.state), owner_name,
               local(case.received_at), local(case.accepted_at), local(case.resolved_at), local(case.confirmed_at),
               round((end - case.received_at).total_seconds() / 86400, 1)]


def _download(body, mimetype: str, picked: filters.Filters, suffix: str) -> Response:
    name = f"taizhang-{picked.period.start:%Y%m%d}-{picked.period.end:%Y%m%d}.{suffix}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                      "Cache-Control": "no-store"})


@bp.route("/export.xlsx")
@login_required
def export_xlsx():
    """The 台账 as an Excel workbook (write-only mode: rows stream to the file, memory stays flat)."""
    picked = filters.parse(g.db, g.cadre)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(HEADER)
    for row in ledger_rows(g.db, picked):
        sheet.append(row)
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
        writer.writerow(["" if v is None else (v.strftime("%Y-%m-%d %H:%M") if hasattr(v, "strftime") else v)
                         for v in row])
    return _download("\ufeff" + buffer.getvalue(), "text/csv; charset=utf-8", picked, "csv")
