"""API endpoints for documents: spec sheets, erasure certificates and donors' lot reports as PDF.

Issuing a certificate is a GET that writes (the certificate's number and fingerprint): a
client fetches the file like any other, and each fetch is one certificate issued.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request

from inventory.db import begin_write
from inventory.errors import N_, InvalidInput
from inventory.lots import get_lot
from inventory.models import Lot
from labels.documents import LANGUAGES
from workshop.api import bp
from workshop.api.auth import api_user, requires
from workshop.api.errors import commit
from workshop.api.routes import _load_device
from workshop.database import db
from workshop.documents import build
from workshop.downloads import file_response


def _language() -> str:
    """?lang=, else the user's own language, else the client's, else English."""
    for name in request.args:
        if name != "lang":
            raise InvalidInput(N_("Unknown parameter %(field)s."), field=name)
    asked = request.args.get("lang", "").strip()
    if asked:
        return build.check_language(asked)
    own = getattr(api_user(), "language", None)
    if own in LANGUAGES:
        return own
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def _load_lot(code: str) -> Lot:
    return get_lot(db(), code)


def _pdf(data: bytes, name: str) -> Response:
    return file_response(data, "application/pdf", name)


def _settings() -> build.Settings:
    return build.settings_from(current_app.config)


def _as_writer() -> None:
    """Turn this GET's session into a writer, before reading what it certifies."""
    session = db()
    # Who is asking was read already; end that read so the write turn is taken cleanly.
    session.commit()
    begin_write(session)


@bp.get("/devices/<asset_tag>/spec-sheet.pdf")
@requires("view_devices")
def device_spec_sheet(asset_tag: str) -> Any:
    """The spec sheet of a device ready for sale."""
    language = _language()
    device = _load_device(asset_tag)
    data = build.spec_sheet(db(), device, language, _settings())
    return _pdf(data, build.filename("spec-sheet", device.asset_tag, language))


@bp.get("/devices/<asset_tag>/certificate.pdf")
@requires("issue_certificates")
def device_certificate(asset_tag: str) -> Any:
    """Issue the erasure certificate of a device: a new number, its fingerprint kept."""
    language = _language()
    _as_writer()
    device = _load_device(asset_tag)
    _issued, data = build.issue_device_certificate(
        db(), device, language, _settings(), issued_by=api_user()
    )
    commit()
    return _pdf(data, build.filename("erasure-certificate", device.asset_tag, language))


@bp.get("/lots/<path:lot>/certificate.pdf")
@requires("issue_certificates")
def lot_certificate(lot: str) -> Any:
    """Issue the erasure certificate of a donor's lot."""
    language = _language()
    _as_writer()
    found = _load_lot(lot)
    _issued, data = build.issue_lot_certificate(
        db(), found, language, _settings(), issued_by=api_user()
    )
    commit()
    return _pdf(data, build.filename("erasure-certificate-lot", found.code, language))


@bp.get("/lots/<path:lot>/report.pdf")
@requires("view_board")
def lot_report(lot: str) -> Any:
    """What became of a donor's devices, counted and weighed."""
    language = _language()
    found = _load_lot(lot)
    data = build.lot_report(db(), found, language, _settings())
    return _pdf(data, build.filename("lot-report", found.code, language))


# -- the OpenAPI document's part --------------------------------------------------------------


def document_paths() -> dict[str, Any]:
    """These endpoints as OpenAPI paths (workshop/api/openapi.py adds them to the document)."""
    from workshop.api.openapi import ASSET_TAG, READ_ERRORS, _error, _operation, _shared

    language = {
        "name": "lang",
        "in": "query",
        "description": "The document's language; by default the user's own, else the "
        "client's Accept-Language, else English. Another value is 400 `invalid` with "
        '`field: "lang"`.',
        "schema": {"type": "string", "enum": list(LANGUAGES)},
    }
    lot = {
        "name": "lot",
        "in": "path",
        "required": True,
        "description": "The lot's code (it may hold a slash).",
        "schema": {"type": "string"},
    }

    def pdf(description: str) -> dict[str, Any]:
        return {
            "description": description,
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }

    no_lot = _error("404 `not_found`: no lot has this code.")
    no_erasure = (
        "409 `no_erasure`: no erasure is recorded, so there is nothing to certify "
        "(`missing` says what is lacking). Nothing was issued."
    )
    return {
        "/devices/{asset_tag}/spec-sheet.pdf": {
            "get": _operation(
                "getSpecSheet",
                "The spec sheet of a device ready for sale, as PDF",
                "view_devices",
                {
                    "200": pdf(
                        "Identity, specifications, grade and defects, bench measurements, "
                        "the erasure statement and the warranty."
                    ),
                    "409": _error(
                        "409 `not_ready`: the device is not ready for sale; `refused` names "
                        "its stage."
                    ),
                    **_shared("Invalid", "NotFound", *READ_ERRORS),
                },
                parameters=[ASSET_TAG, language],
                description="It calls the device refurbished only when it meets, now, all "
                "that `ready` asks (every check, bench test and erasure); never new.",
            )
        },
        "/devices/{asset_tag}/certificate.pdf": {
            "get": _operation(
                "issueDeviceCertificate",
                "Issue the erasure certificate of a device, as PDF",
                "issue_certificates",
                {
                    "200": pdf(
                        "A new certificate: every drive erased in the device's current cycle, "
                        "its serial, method, NIST SP 800-88 category, dates, operator, "
                        "verification, bench or tool."
                    ),
                    "409": _error(no_erasure),
                    **_shared("Invalid", "NotFound", *READ_ERRORS),
                },
                parameters=[ASSET_TAG, language],
                description="Each call issues a new certificate with its own number and stores "
                "the SHA-256 of the PDF returned (an event `certificate_issued`); "
                "`workshop certificates verify FILE.pdf` tells a copy issued and unaltered.",
            )
        },
        "/lots/{lot}/certificate.pdf": {
            "get": _operation(
                "issueLotCertificate",
                "Issue the erasure certificate of a donor's lot, as PDF",
                "issue_certificates",
                {
                    "200": pdf(
                        "A new certificate: every drive erased on the lot's devices, and the "
                        "devices it does not cover."
                    ),
                    "404": no_lot,
                    "409": _error(no_erasure),
                    **_shared("Invalid", *READ_ERRORS),
                },
                parameters=[lot, language],
                description="Stored like a device's certificate; an event `certificate_issued`.",
            )
        },
        "/lots/{lot}/report.pdf": {
            "get": _operation(
                "getLotReport",
                "The donor's lot report, as PDF",
                "view_board",
                {
                    "200": pdf(
                        "What became of each device of the lot: reused, still in progress or "
                        "recycled, counted and weighed in kilograms."
                    ),
                    "404": no_lot,
                    **_shared("Invalid", *READ_ERRORS),
                },
                parameters=[lot, language],
            )
        },
    }
