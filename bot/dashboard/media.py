"""Attachments on the dashboard: a logged-in view per file, and signed links for cadres in chat."""
from flask import Response, abort, current_app, g

from bot.cases.permissions import in_scope
from bot.dashboard import bp
from bot.dashboard.auth import login_required
from bot.media.attachments import read_token
from bot.media.download import EXTENSIONS
from bot.media.store import media_store
from models import MediaFile


def _send(db, file_id: int) -> Response:
    """The stored file with its content type (AMR voice is offered as a download)."""
    row = db.get(MediaFile, file_id)
    if row is None or row.state != "stored":
        abort(404)
    runtime = current_app.extensions["bot"]
    try:
        data = media_store(runtime).get(row.key)
    except FileNotFoundError:
        abort(404)
    name = row.key.rsplit("/", 1)[-1]
    # Only the formats WeChat sends are served as themselves; anything else (an SVG with a script)
    # is a download of opaque bytes, so a file can never run in the dashboard's origin.
    known = row.content_type in EXTENSIONS
    inline = known and row.content_type.startswith(("image/", "video/"))
    return Response(data, mimetype=row.content_type if known else "application/octet-stream", headers={
        "Content-Disposition": f'{"inline" if inline else "attachment"}; filename="{name}"',
        "Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox"})


@bp.route("/media/<int:file_id>")
@login_required
def media(file_id: int):
    """One attachment, for a logged-in leader, secretary or supervisor whose scope holds the case."""
    row = g.db.get(MediaFile, file_id)
    if row is None or not in_scope(g.db, g.cadre, row.case.village_id):
        abort(404)
    return _send(g.db, file_id)


@bp.route("/m/<token>")
def signed_media(token: str):
    """One attachment by a signed, expiring link (what ``详情`` gives cadres in chat)."""
    runtime = current_app.extensions["bot"]
    file_id = read_token(runtime, token, runtime.config["media"]["link_days"] * 86400)
    if file_id is None:
        abort(404)
    with runtime.Session() as db:
        return _send(db, file_id)
