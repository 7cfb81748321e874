"""Download a device's spec sheet or erasure certificate, a lot's certificate or report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from diagnostics import records
from inventory.certificates import certificates_of_device, certificates_of_lot
from inventory.devices import get_device
from inventory.errors import InvalidInput, NotFound, WorkshopError
from inventory.lots import get_lot
from inventory.models import Device, Lot
from labels.documents import LANGUAGES
from workshop.database import db
from workshop.display import error_text
from workshop.documents import bp, build
from workshop.downloads import file_response
from workshop.roles import can, requires
from workshop.web import select_locale

# Names of the languages in themselves, for the choice on the pages.
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def _language() -> str:
    """The language asked for (?lang= or the form), else the user's."""
    asked = request.values.get("lang", "").strip()
    return build.check_language(asked or select_locale())


def pdf(data: bytes, name: str) -> Response:
    """A PDF to save, under an ASCII file name."""
    return file_response(data, "application/pdf", name)


def _device(asset_tag: str) -> Device:
    try:
        return get_device(db(), asset_tag)
    except NotFound:
        abort(404)


def _lot(code: str) -> Lot:
    try:
        return get_lot(db(), code)
    except NotFound:
        abort(404)


def _refused(error: WorkshopError, back: str) -> Any:
    db().rollback()
    flash(error_text(error), "error")
    return redirect(back)


def _bad_language(error: InvalidInput) -> Any:
    message = error_text(error)
    return render_template(
        "error.html", title=_("Wrong language"), message=message, status=400
    ), 400


@bp.app_context_processor
def _document_helpers() -> dict[str, Any]:
    return {
        "document_languages": [(code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGES],
        "device_documents": device_documents,
        "lot_documents": lot_documents,
    }


def device_documents(device: Device) -> dict[str, Any]:
    """What the device page offers to download, and the certificates already issued."""
    session = db()
    return {
        "spec_sheet": device.stage == "ready" and can("view_devices"),
        "certificate": bool(records.erasures(session, device)) and can("issue_certificates"),
        "issued": certificates_of_device(session, device)[:5],
    }


def lot_documents(lot: Lot) -> dict[str, Any]:
    """What the lot page offers to download, and the lot certificates already issued."""
    return {
        "report": can("view_board"),
        "certificate": can("issue_certificates"),
        "issued": certificates_of_lot(db(), lot)[:5],
    }


def _document(
    make: Callable[[str], bytes], name: str, key: str, back: str, *, issues: bool = False
) -> Any:
    """A PDF in the language asked for: a wrong language is a 400, a refusal goes back to the page.

    `issues` says the document was recorded (a certificate and its fingerprint): it is
    committed before the file is sent.
    """
    try:
        language = _language()
        data = make(language)
    except InvalidInput as error:
        return _bad_language(error)
    except WorkshopError as error:
        return _refused(error, back)
    if issues:
        db().commit()
    return pdf(data, build.filename(name, key, language))


def _settings() -> Any:
    return build.settings_from(current_app.config)


@bp.route("/devices/<asset_tag>/spec-sheet.pdf")
@requires("view_devices")
def spec_sheet(asset_tag: str) -> Any:
    """The spec sheet of a device ready for sale."""
    device = _device(asset_tag)
    return _document(
        lambda language: build.spec_sheet(db(), device, language, _settings()),
        "spec-sheet",
        device.asset_tag,
        url_for("devices.show", asset_tag=device.asset_tag),
    )


@bp.route("/devices/<asset_tag>/certificate.pdf", methods=["POST"])
@requires("issue_certificates")
def device_certificate(asset_tag: str) -> Any:
    """Issue the erasure certificate of a device; its fingerprint is kept."""
    device = _device(asset_tag)
    by = current_user._get_current_object()
    return _document(
        lambda language: build.issue_device_certificate(
            db(), device, language, _settings(), issued_by=by
        )[1],
        "erasure-certificate",
        device.asset_tag,
        url_for("devices.show", asset_tag=device.asset_tag),
        issues=True,
    )


@bp.route("/lots/<path:code>/certificate.pdf", methods=["POST"])
@requires("issue_certificates")
def lot_certificate(code: str) -> Any:
    """Issue the erasure certificate of a donor's lot; its fingerprint is kept."""
    lot = _lot(code)
    by = current_user._get_current_object()
    return _document(
        lambda language: build.issue_lot_certificate(
            db(), lot, language, _settings(), issued_by=by
        )[1],
        "erasure-certificate-lot",
        lot.code,
        url_for("lots.show", code=lot.code),
        issues=True,
    )


@bp.route("/lots/<path:code>/report.pdf")
@requires("view_board")
def lot_report(code: str) -> Any:
    """The donor's report of what became of the lot's devices."""
    lot = _lot(code)
    return _document(
        lambda language: build.lot_report(db(), lot, language, _settings()),
        "lot-report",
        lot.code,
        url_for("lots.show", code=lot.code),
    )
