"""The OpenAPI 3 document of the Open311 API (tests check it against the live routes)."""

_KEY = {"name": "api_key", "in": "query", "required": False, "schema": {"type": "string"},
        "description": "The client's key. Without it: category, state, village and times only."}
_NEW = {"$ref": "#/components/schemas/NewRequest"}
_ERRORS = {str(code): {"$ref": f"#/components/responses/Error{code}"} for code in (400, 401, 403, 404, 429)}


def _ok(schema: dict, description: str = "OK") -> dict:
    """A JSON response of ``schema``."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _path(name: str, description: str) -> dict:
    """A required path parameter."""
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": description}


def _query(name: str, description: str) -> dict:
    """An optional query parameter."""
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"}, "description": description}


_REQUEST_FIELDS = {
    "service_request_id": {"type": "string", "description": "The case number, e.g. JH-2026-00012."},
    "status": {"type": "string", "enum": ["open", "closed"]},
    "service_code": {"type": "string", "description": "The category."},
    "service_name": {"type": "string"},
    "agency_responsible": {"type": "string", "description": "The township."},
    "address": {"type": "string", "description": "The village."},
    "address_id": {"type": "string", "description": "The village's id."},
    "requested_datetime": {"type": "string", "format": "date-time"},
    "updated_datetime": {"type": "string", "format": "date-time", "description": "The latest ledger entry."},
    "expected_datetime": {"type": "string", "format": "date-time", "description": "The resolve time limit."},
    "description": {"type": "string", "description": "Keyed clients of the county only."},
    "status_notes": {"type": "string", "nullable": True, "description": "The answer (keyed clients of the county)."},
    "lat": {"type": "number", "nullable": True}, "long": {"type": "number", "nullable": True},
    "extended_attributes": {"type": "object", "description": "state, village, township, county, urgent, escalation,"
                            " contact_due_datetime, accepted_datetime, resolved_datetime; keyed: reporters,"
                            " reported_by (never for a hidden complaint)"},
}


def document(base_url: str) -> dict:
    """The document, with ``base_url`` as its server."""
    request_list = {"type": "array", "items": {"$ref": "#/components/schemas/ServiceRequest"}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "驻点联系 Open311 GeoReport v2", "version": "2",
                 "description": "Cases of the station-contact system for the county's other systems. "
                                "Field mapping: docs/api.md."},
        "servers": [{"url": base_url}],
        "paths": {
            "/discovery.json": {"get": {"summary": "Where the API is and what it speaks",
                                        "responses": {"200": _ok({"type": "object"})}}},
            "/services.json": {"get": {"summary": "The categories, with their time limits",
                                       "parameters": [_KEY, _query("jurisdiction_id", "The county.")],
                                       "responses": {"200": _ok({"type": "array", "items": {
                                           "$ref": "#/components/schemas/Service"}}), **_ERRORS}}},
            "/services/{service_code}.json": {"get": {
                "summary": "One category's definition", "parameters": [_path("service_code", "The category."), _KEY],
                "responses": {"200": _ok({"type": "object"}), **_ERRORS}}},
            "/requests.json": {
                "get": {"summary": "Cases, newest first (default: the last 90 days; at most 1000)",
                        "parameters": [_KEY, _query("service_request_id", "Case numbers, comma-separated."),
                                       _query("service_code", "Categories, comma-separated."),
                                       _query("status", "open or closed."),
                                       _query("start_date", "ISO 8601; received at or after."),
                                       _query("end_date", "ISO 8601; received at or before."),
                                       _query("jurisdiction_id", "The county."),
                                       _query("village", "A village's name or id."),
                                       _query("page", "From 1."), _query("page_size", "At most 1000.")],
                        "responses": {"200": _ok(request_list), **_ERRORS}},
                "post": {"summary": "File a case (the 12345 hotline); needs a key with --write",
                         "requestBody": {"required": True, "content": {
                             "application/x-www-form-urlencoded": {"schema": _NEW},
                             "application/json": {"schema": _NEW}}},
                         "responses": {"201": _ok({"type": "array", "items": {"type": "object", "properties": {
                             "service_request_id": {"type": "string"}, "token": {"type": "string"},
                             "service_notice": {"type": "string"}}}}, "Created"), **_ERRORS}}},
            "/requests/{service_request_id}.json": {"get": {
                "summary": "One case", "parameters": [_path("service_request_id", "The case number."), _KEY],
                "responses": {"200": _ok(request_list), **_ERRORS}}},
            "/tokens/{token}.json": {"get": {
                "summary": "The case a POST's token stands for", "parameters": [_path("token", "From the POST."), _KEY],
                "responses": {"200": _ok({"type": "array", "items": {"type": "object"}}), **_ERRORS}}},
            "/openapi.json": {"get": {"summary": "This document", "responses": {"200": _ok({"type": "object"})}}},
        },
        "components": {
            "schemas": {
                "ServiceRequest": {"type": "object", "properties": _REQUEST_FIELDS},
                "Service": {"type": "object", "properties": {
                    "service_code": {"type": "string"}, "service_name": {"type": "string"},
                    "metadata": {"type": "boolean"}, "type": {"type": "string"}, "keywords": {"type": "string"},
                    "group": {"type": "string"}, "urgent": {"type": "boolean"},
                    "time_limits": {"type": "object", "properties": {
                        "contact_hours": {"type": "number"}, "resolve_hours": {"type": "number"},
                        "working_days": {"type": "boolean"}}}}},
                "NewRequest": {"type": "object", "required": ["api_key", "description"], "properties": {
                    "api_key": {"type": "string"},
                    "service_code": {"type": "string", "description": "Omitted: the classifier decides."},
                    "description": {"type": "string", "maxLength": 2000},
                    "address_string": {"type": "string", "description": "The village's name (or use village)."},
                    "village": {"type": "string"}, "address_id": {"type": "string", "description": "The village's id."},
                    "jurisdiction_id": {"type": "string", "description": "The county; must be the key's."},
                    "lat": {"type": "number"}, "long": {"type": "number"},
                    "first_name": {"type": "string"}, "last_name": {"type": "string"},
                    "phone": {"type": "string", "description": "The caller's; kept, never shown."}}},
                "Error": {"type": "array", "items": {"type": "object", "properties": {
                    "code": {"type": "integer"}, "description": {"type": "string"}}}},
                "Webhook": {"type": "object", "description": "POSTed to subscribers; headers X-Open311-Timestamp, "
                            "X-Open311-Signature (sha256=HMAC-SHA256(secret, timestamp + '.' + body)), "
                            "X-Open311-Event, X-Open311-Delivery", "properties": {
                                "event_id": {"type": "integer"}, "type": {"type": "string"},
                                "action": {"type": "string"}, "from_state": {"type": "string"},
                                "to_state": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
                                "actor": {"type": "object"}, "note": {"type": "string", "nullable": True},
                                "service_request": {"$ref": "#/components/schemas/ServiceRequest"}}},
            },
            "responses": {f"Error{code}": {"description": text, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}}
                for code, text in ((400, "Malformed request"), (401, "api_key missing or not valid"),
                                   (403, "api_key may not do this"), (404, "Not found"), (429, "Too many requests"))},
        },
    }
