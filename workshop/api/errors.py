"""Errors as {"error": {"code", "message", ...}} with the right HTTP status."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from inventory.errors import (
    N_,
    AlreadyReceived,
    Conflict,
    GateUnmet,
    IllegalTransition,
    InvalidInput,
    NotFound,
    WorkshopError,
)
from inventory.sales import NotReady
from workshop.database import db
from workshop.display import error_text

API_PREFIX = "/api/"
# Seconds a client should wait before trying again after 503 busy.
RETRY_AFTER = 2
BUSY = N_("The database did not answer in time. Nothing was saved: try again in a moment.")
CLASH = N_(
    "Someone else changed the same record at the same moment. Nothing was saved: "
    "look at it again and retry."
)


class Unauthorized(WorkshopError):
    """No bearer token, or one that belongs to nobody active."""

    code = "unauthorized"


class Forbidden(WorkshopError):
    """The token's user has a role without the endpoint's permission."""

    code = "forbidden"


class UnsupportedMediaType(WorkshopError):
    """A body that is not declared as JSON."""

    code = "unsupported_media_type"


class TooLarge(WorkshopError):
    """A body larger than any request of this API needs."""

    code = "too_large"


class Busy(WorkshopError):
    """The database did not answer in time."""

    code = "busy"


# Checked in order, so a subclass must come before its parent.
STATUS: tuple[tuple[type[WorkshopError], int], ...] = (
    (InvalidInput, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (AlreadyReceived, 409),
    (IllegalTransition, 409),
    (GateUnmet, 409),
    (NotReady, 409),
    (Conflict, 409),
    (TooLarge, 413),
    (UnsupportedMediaType, 415),
    (Busy, 503),
)

# The code an HTTP status gets when werkzeug, not a service, refused the request.
HTTP_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    503: "busy",
}


def status_of(error: WorkshopError) -> int:
    """The HTTP status of a refusal."""
    for cls, status in STATUS:
        if isinstance(error, cls):
            return status
    return 400


def error_response(status: int, code: str, message: str, **details: Any) -> Response:
    """A JSON error body with its status."""
    response = jsonify({"error": {"code": code, "message": message, **details}})
    response.status_code = status
    return response


def workshop_error_response(error: WorkshopError) -> Response:
    """The JSON answer to a refusal, in the client's language, with the headers it calls for."""
    response = error_response(status_of(error), error.code, error_text(error), **error.details)
    if isinstance(error, Unauthorized):
        challenge = 'Bearer realm="workshop"'
        if request.headers.get("Authorization"):
            challenge += ', error="invalid_token"'
        response.headers["WWW-Authenticate"] = challenge
    if isinstance(error, Busy):
        response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def is_api_request() -> bool:
    """True for any address under /api/, even one that matches no endpoint."""
    return request.blueprint == "api" or request.path.startswith(API_PREFIX)


def _http_message(status: int) -> str:
    messages = {
        400: _("The request could not be read."),
        401: _("Send an API token as 'Authorization: Bearer <token>'."),
        403: _("Your role does not give access to this endpoint."),
        404: _("There is no such endpoint. The API is described at /api/v1/openapi.json."),
        405: _("This endpoint does not accept the %(method)s method.", method=request.method),
        413: _("The request body is too large."),
        415: _("Send the body as JSON, with 'Content-Type: application/json'."),
        500: _("The workshop could not finish this request. Nothing was saved: try again."),
        503: _(BUSY),
    }
    return messages.get(status, _("The request was refused."))


def http_error_response(status: int, error: HTTPException | None = None) -> Response:
    """The JSON answer of the API for an HTTP error raised outside the services."""
    response = error_response(
        status, HTTP_CODES.get(status, "internal_error"), _http_message(status)
    )
    if error is not None:
        # Keep headers such as Allow on 405; the body is ours.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def commit() -> None:
    """End the request's transaction; a clash at commit is a conflict, a timeout is busy."""
    session = db()
    try:
        session.commit()
    except (IntegrityError, StaleDataError):
        session.rollback()
        raise Conflict(CLASH) from None
    except OperationalError:
        session.rollback()
        raise Busy(BUSY) from None


def register(bp: Any) -> None:
    """Answer every refusal raised by an API endpoint as JSON."""
    bp.register_error_handler(WorkshopError, workshop_error_response)

    def database_busy(_error: OperationalError) -> Response:
        return workshop_error_response(Busy(BUSY))

    def integrity_conflict(_error: IntegrityError | StaleDataError) -> Response:
        # A unique constraint beat a service's own check: someone did the same thing first.
        return workshop_error_response(Conflict(CLASH))

    def refused_value(_error: DataError) -> Response:
        # Validation should have caught it; the database is the last line of defence.
        return workshop_error_response(
            InvalidInput(N_("A value does not fit what the database can store. Nothing was saved."))
        )

    bp.register_error_handler(OperationalError, database_busy)
    bp.register_error_handler(IntegrityError, integrity_conflict)
    bp.register_error_handler(StaleDataError, integrity_conflict)
    bp.register_error_handler(DataError, refused_value)
