"""Open311 errors: a JSON list of ``{"code", "description"}`` with the HTTP status as code."""
from flask import jsonify


class ApiError(Exception):
    """A refused request; nothing was changed."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def error_response(error: ApiError):
    """The Open311 error body for ``error``."""
    response = jsonify([{"code": error.status, "description": error.description}])
    response.status_code = error.status
    return response
