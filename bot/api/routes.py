"""The Open311 GeoReport v2 blueprint under ``/open311/v2/``: JSON only, errors as Open311 lists."""
import logging

from flask import Blueprint, current_app, jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

import bot.api.events  # noqa: F401  (registers the ledger hook that feeds the webhooks)
from bot.api import openapi, queries, services
from bot.api.errors import ApiError, error_response
from bot.api.fields import filed_by, last_changes, service_request
from bot.api.hotline import file_request
from bot.api.keys import Caller, authenticate
from bot.delivery.relay import kick
from models import ApiRequest, Case, Village, utcnow

log = logging.getLogger(__name__)
bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
bp.register_error_handler(ApiError, error_response)


def _runtime():
    """The app's Runtime."""
    return current_app.extensions["bot"]


def _params() -> dict:
    """Query string and body (form-encoded as Open311 says, or a JSON object), body winning."""
    params = request.args.to_dict()
    if request.method == "POST":
        if request.is_json:
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                raise ApiError(400, "the body must be a JSON object or form-encoded")
            params |= {key: value for key, value in body.items() if isinstance(value, (str, int, float))}
        else:
            params |= request.form.to_dict()
    return params


def _caller(session, params: dict) -> Caller:
    """Who asks, after the rate limit of their key (or, without one, of their address)."""
    caller = authenticate(session, params.get("api_key"))
    subject = f"api:{caller.client_id}" if caller.client_id else f"api-ip:{request.remote_addr}"
    if not _runtime().api_rate_limiter.allow(subject, utcnow()):
        raise ApiError(429, "too many requests: try again in a minute")
    return caller


def _as_requests(session, cases: list[Case], caller: Caller) -> list[dict]:
    """Cases as service requests, in the caller's view."""
    ids = [case.id for case in cases]
    changes, filers = last_changes(session, ids), filed_by(session, ids)
    return [service_request(case, caller, changes.get(case.id), filers.get(case.id)) for case in cases]


@bp.get("/discovery.json")
def discovery():
    """Where the API is and what it speaks."""
    return jsonify({
        "changeset": "2026-12-01T00:00:00+08:00",
        "contact": "县驻点办 (the county's station-contact office)",
        "key_service": "API keys are issued by the county's administrator: python -m bot api key add",
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                       "url": url_for("open311.discovery", _external=True).rsplit("/", 1)[0],
                       "changeset": "2026-12-01T00:00:00+08:00", "type": "production",
                       "formats": ["application/json"]}],
    })


@bp.get("/services.json")
def service_list():
    """The configured categories."""
    params = _params()
    with _runtime().Session() as session:
        _caller(session, params)
        queries.known_county(session, params.get("jurisdiction_id"))  # one category list for every county
    return jsonify(services.services(_runtime().config))


@bp.get("/services/<code>.json")
def service_definition(code: str):
    """One category's definition."""
    with _runtime().Session() as session:
        _caller(session, _params())
    return jsonify(services.definition(_runtime().config, code))


@bp.get("/requests.json")
def request_list():
    """Cases matching the standard filters, in the caller's view."""
    params = _params()
    with _runtime().Session() as session:
        caller = _caller(session, params)
        cases = queries.search(session, params, _runtime().config, utcnow())
        return jsonify(_as_requests(session, cases, caller))


@bp.get("/requests/<number>.json")
def request_one(number: str):
    """One case by its number (a list of one, as Open311 answers)."""
    params = _params()
    with _runtime().Session() as session:
        caller = _caller(session, params)
        case = session.scalar(select(Case).where(Case.number == number)
                              .options(joinedload(Case.village).joinedload(Village.township)))
        if case is None:
            raise ApiError(404, f"service_request_id {number} not found")
        return jsonify(_as_requests(session, [case], caller))


@bp.get("/tokens/<token>.json")
def token(token: str):
    """The case a POST's token stands for."""
    with _runtime().Session() as session:
        _caller(session, _params())
        number = session.scalar(select(Case.number).join(ApiRequest, ApiRequest.case_id == Case.id)
                                .where(ApiRequest.token == token))
    if number is None:
        raise ApiError(404, f"token {token} not found")
    return jsonify([{"service_request_id": number, "token": token}])


@bp.post("/requests.json")
def create():
    """File a case from a client system (the 12345 hotline): 201 with its number and token."""
    runtime = _runtime()
    params = _params()
    with runtime.Session.begin() as session:
        caller = _caller(session, params)
        filed = file_request(session, caller, params, runtime.config, runtime.classifier, utcnow())
        number = filed.case.number
        notice = runtime.config["texts"]["api_notice_" + filed.how].format(number=number)
    kick(runtime)  # the cadre's push and the webhooks go out now
    log.info("api: %s filed %s (%s)", caller.name, number, filed.how)
    response = jsonify([{"service_request_id": number, "token": filed.token, "service_notice": notice,
                         "account_id": None}])
    response.status_code = 201
    return response


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3 description of this API."""
    return jsonify(openapi.document(url_for("open311.discovery", _external=True).rsplit("/", 1)[0]))
