"""The warehouse's intake: continuous scanning, the intake form, the current lot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.accounts import User
from inventory.codes import (
    has_valid_check,
    looks_like_asset_tag,
    looks_like_badge_code,
    looks_like_location_code,
    looks_like_part_code,
    normalize,
)
from inventory.devices import find_by_identifier
from inventory.errors import AlreadyReceived, InvalidInput, NotFound, WorkshopError
from inventory.intake import clean_serial, previous_in_lot, receive_device
from inventory.lifecycle import LEFT_STAGES
from inventory.lots import get_lot, list_lots
from inventory.models import Device, Identifier, Lot, Scan
from inventory.scanning import log_scan, resolve_code
from inventory.types import utcnow
from workshop.database import db
from workshop.display import error_text, label_for
from workshop.intake import bp
from workshop.intake.forms import ComeBackForm, IntakeForm, LotChoiceForm, ScanForm
from workshop.printing.intake import print_after_intake
from workshop.roles import requires

# Kept in the browser's signed session cookie, so the lot survives every scan
# and any app process behind the proxy can answer the next one.
SESSION_LOT = "intake_lot"
SESSION_OUTCOME = "intake_outcome"
STATION = "intake"
RECENT_SCANS = 10
SUGGESTED_LOTS = 30
# A second submission of the same intake form within this delay is a double
# Enter or a second terminal, and is told so plainly.
JUST_NOW = timedelta(minutes=10)

OUTCOMES = {
    "new": _l("New serial: intake form opened"),
    "comes_back": _l("Came back: new cycle offered"),
    "already_received": _l("Already received: nothing created"),
    "device": _l("Device page opened"),
    "unknown_tag": _l("Unknown asset tag"),
    "misread": _l("Misread: scan again"),
    "invalid": _l("Not a usable code"),
    "location": _l("Location label: not a device"),
    "staff": _l("Staff badge: not a device"),
}


@dataclass(frozen=True)
class RecentScan:
    """One line of the station's recent scans."""

    scanned_at: datetime
    code: str
    outcome: str
    asset_tag: str | None


def choose_intake_lot(code: str) -> None:
    """Remember the lot this browser is receiving into."""
    session[SESSION_LOT] = code


def _user() -> User:
    # The proxy is not a mapped object: events and scans need the real user.
    return current_user._get_current_object()


def _tell(kind: str, text: str, **links: str) -> None:
    """What the scan page announces next: `ok`, `warn` or `bad`, and optional links."""
    session[SESSION_OUTCOME] = {"kind": kind, "text": text, **links}


def _current_lot(db_session: Session) -> Lot | None:
    code = session.get(SESSION_LOT)
    if not code:
        return None
    try:
        return get_lot(db_session, code)
    except NotFound:
        session.pop(SESSION_LOT, None)
        return None


def _suggested_lots(db_session: Session) -> list[Lot]:
    # A workshop has thousands of lots after a few years: the newest are offered while
    # typing, and any other lot's code can be typed or scanned.
    return list_lots(db_session, limit=SUGGESTED_LOTS)


def _recent_scans(db_session: Session, user: User) -> list[RecentScan]:
    """The last scans of this user at the intake page, with what became of new serials."""
    rows = db_session.execute(
        select(Scan, Device.asset_tag)
        .outerjoin(Device, Scan.device_id == Device.id)
        .where(Scan.user_id == user.id, Scan.station == STATION)
        .order_by(Scan.id.desc())
        .limit(RECENT_SCANS)
    ).all()
    new_serials = {scan.code for scan, _tag in rows if scan.outcome == "new"}
    received: dict[str, str] = {}
    if new_serials:
        received = {
            value: tag
            for value, tag in db_session.execute(
                select(Identifier.value, Device.asset_tag)
                .join(Device, Identifier.device_id == Device.id)
                .where(Identifier.kind == "serial", Identifier.value.in_(new_serials))
            )
        }
    lines = []
    for scan, tag in rows:
        outcome = str(OUTCOMES.get(scan.outcome, scan.outcome))
        if scan.outcome == "new" and scan.code in received:
            tag = received[scan.code]
            outcome = _("New serial: received")
        lines.append(RecentScan(scan.scanned_at, scan.code, outcome, tag))
    return lines


def _already_received_text(
    serial: str, asset_tag: str, received_at: datetime, stage: str, just: bool = False
) -> str:
    if just and utcnow() - received_at < JUST_NOW:
        return _(
            "%(serial)s was just received as %(tag)s. Nothing more was created.",
            serial=serial,
            tag=asset_tag,
        )
    return _(
        "%(serial)s was already received on %(when)s as %(tag)s (stage: %(stage)s). "
        "Nothing was created.",
        serial=serial,
        when=format_datetime(received_at, "short"),
        tag=asset_tag,
        stage=label_for("stage", stage),
    )


def _tell_already_received(serial: str, device: Device) -> None:
    text = _already_received_text(serial, device.asset_tag, device.received_at, device.stage)
    _tell("warn", text, asset_tag=device.asset_tag)


@bp.route("/", methods=["GET", "POST"])
@requires("intake")
def scan() -> Any:
    """The continuous scanning page: one field, a scan and Enter, an answer."""
    form = ScanForm()
    if form.validate_on_submit():
        return _answer_scan(form.code.data or "")
    db_session = db()
    lot = _current_lot(db_session)
    choice = LotChoiceForm(data={"lot": lot.code if lot else ""})
    return render_template(
        "intake/scan.html",
        form=ScanForm(formdata=None),
        choice=choice,
        lot=lot,
        outcome=session.pop(SESSION_OUTCOME, None),
        recent=_recent_scans(db_session, _user()),
        lots=_suggested_lots(db_session),
    )


def _answer_scan(raw: str) -> Any:
    """Resolve a scanned code, log it, commit the log, and go where the code leads."""
    db_session = db()
    user = _user()
    resolution = resolve_code(db_session, raw)
    code = resolution.code
    back = redirect(url_for("intake.scan"))

    def log(outcome: str, device: Device | None = None) -> None:
        log_scan(db_session, code, outcome, user=user, station=STATION, device=device)
        db_session.commit()

    if resolution.kind == "device":
        device = resolution.device
        assert device is not None
        if code == device.asset_tag:
            log("device", device)
            return redirect(url_for("devices.show", asset_tag=device.asset_tag))
        if device.stage in LEFT_STAGES:
            log("comes_back", device)
            return redirect(url_for("intake.receive", serial=code))
        log("already_received", device)
        _tell_already_received(code, device)
        return back

    if resolution.kind == "location":
        location = resolution.location
        assert location is not None
        log("location")
        _tell(
            "bad",
            _(
                "%(code)s is the label of location %(name)s, not a device. "
                "Scan the device's serial number or asset tag.",
                code=code,
                name=location.name,
            ),
        )
        return back

    if resolution.kind == "staff":
        holder = resolution.user
        assert holder is not None
        log("staff")
        _tell(
            "bad",
            _(
                "%(code)s is the staff badge of %(name)s, not a device. Nothing was created: "
                "scan the device's serial number or asset tag.",
                code=code,
                name=holder.name or holder.username,
            ),
        )
        return back

    if resolution.kind == "part":
        log("part")
        _tell(
            "bad",
            _(
                "%(code)s is a spare part, not a device. Nothing was created: "
                "scan the device's serial number or asset tag.",
                code=code,
            ),
        )
        return back

    if resolution.kind == "invalid":
        if not code:
            # An Enter on an empty field: nothing was read, so nothing to log.
            _tell("warn", _("Nothing was scanned. Scan the code again."))
            return back
        if looks_like_asset_tag(code):
            log("misread")
            # A manufacturer serial may have the shape of our tags: offer to receive it.
            _tell(
                "bad",
                _("%(code)s was misread: scan the label again.", code=code),
                serial=code,
            )
            return back
        if looks_like_location_code(code):
            log("misread")
            _tell("bad", error_text(resolution))
            return back
        if looks_like_badge_code(code):
            log("misread")
            # A manufacturer serial may have a badge's shape too: offer to receive it.
            _tell("bad", error_text(resolution), serial=code)
            return back
        if looks_like_part_code(code):
            log("misread")
            # A manufacturer serial may have a part code's shape too: offer to receive it.
            _tell("bad", error_text(resolution), serial=code)
            return back
        log("invalid")
        _tell("bad", _("%(code)s is too long to be a code we use. Scan it again.", code=code))
        return back

    if looks_like_asset_tag(code) and has_valid_check(code):
        log("unknown_tag")
        _tell(
            "bad",
            _(
                "No device has the asset tag %(tag)s. Check the label, "
                "or scan the manufacturer's serial instead.",
                tag=code,
            ),
        )
        return back
    try:
        clean_serial(code)
    except InvalidInput:
        log("invalid")
        _tell("bad", _("%(code)s cannot be used as a serial number. Scan it again.", code=code))
        return back
    log("new")
    return redirect(url_for("intake.receive", serial=code))


@bp.route("/lot", methods=["POST"])
@requires("intake")
def choose_lot() -> Any:
    """Choose the lot the next devices are received into."""
    form = LotChoiceForm()
    if not form.validate_on_submit():
        _tell("bad", _("Type or scan the code of the lot."))
        return redirect(url_for("intake.scan"))
    try:
        lot = get_lot(db(), form.lot.data)
    except NotFound as error:
        _tell("bad", error_text(error))
        return redirect(url_for("intake.scan"))
    choose_intake_lot(lot.code)
    _tell("ok", _("Lot %(code)s chosen: scan its devices.", code=lot.code))
    return redirect(url_for("intake.scan"))


def _weight_text(weight: Decimal | None) -> str:
    return "" if weight is None else f"{weight.normalize():f}"


def _first_to_fill(form: ComeBackForm) -> str:
    """The field that gets the focus: the first one empty or wrong, else the Save button."""
    for field in form:
        if field.errors:
            return field.name
    for name in ("serial_number", "lot", "category", "make", "model"):
        field = getattr(form, name, None)
        if field is not None and not field.data:
            return name
    return "submit"


def _render_form(
    form: ComeBackForm,
    device: Device | None,
    status: int,
    previous: Device | None = None,
) -> Any:
    template = "intake/comes_back.html" if device is not None else "intake/receive.html"
    page = render_template(
        template,
        form=form,
        device=device,
        previous=previous,
        focus=_first_to_fill(form),
        lots=_suggested_lots(db()),
    )
    return page, status


@bp.route("/new", methods=["GET", "POST"])
@requires("intake")
def receive() -> Any:
    """The intake form: a new serial, or a device that comes back for a new cycle."""
    db_session = db()
    lot = _current_lot(db_session)
    if request.method == "POST":
        serial = normalize(request.form.get("serial_number", ""))
    else:
        serial = normalize(request.args.get("serial", ""))
    existing = find_by_identifier(db_session, serial) if serial else None

    if request.method == "GET":
        if existing is not None and existing.stage not in LEFT_STAGES:
            _tell_already_received(serial, existing)
            return redirect(url_for("intake.scan"))
        data: dict[str, Any] = {"serial_number": serial, "lot": lot.code if lot else ""}
        previous = previous_in_lot(db_session, lot.code) if lot and existing is None else None
        if previous is not None:
            data.update(
                category=previous.category,
                make=previous.make,
                model=previous.model,
                weight_kg=_weight_text(previous.weight_kg),
            )
        form = ComeBackForm(data=data) if existing is not None else IntakeForm(data=data)
        return _render_form(form, existing, 200, previous)

    # The database decides the mode, not the page: a double Enter or a second
    # terminal finds the device already there and is told so.
    form = ComeBackForm() if existing is not None else IntakeForm()
    if not form.validate_on_submit():
        return _render_form(form, existing, 400)
    if existing is not None:
        what = {"category": existing.category, "make": existing.make, "model": existing.model}
    else:
        what = {
            "category": form.category.data,
            "make": form.make.data,
            "model": form.model.data,
            "weight_kg": form.weight_kg.data,
        }
    try:
        intake = receive_device(
            db_session,
            serial_number=serial,
            lot=form.lot.data,
            entered_by=_user(),
            station=STATION,
            **what,
        )
    except AlreadyReceived as error:
        db_session.rollback()
        details = error.details
        text = _already_received_text(
            serial,
            details["asset_tag"],
            datetime.fromisoformat(details["received_at"]),
            details["stage"],
            just=True,
        )
        _tell("warn", text, asset_tag=details["asset_tag"])
        return redirect(url_for("intake.scan"))
    except WorkshopError as error:
        db_session.rollback()
        field = getattr(form, str(error.details.get("field", "")), None)
        if field is not None:
            field.errors.append(error_text(error))
        else:
            form.form_errors.append(error_text(error))
        return _render_form(form, existing, 400)
    db_session.commit()
    device = intake.device
    choose_intake_lot(form.lot.data)
    if intake.new_cycle:
        text = _(
            "%(serial)s came back as %(tag)s: cycle %(cycle)s starts, its history is kept.",
            serial=serial,
            tag=device.asset_tag,
            cycle=device.cycle,
        )
    else:
        text = _("Received %(serial)s as %(tag)s.", serial=serial, tag=device.asset_tag)
    if request.form.get("then") == "print":
        # Save and print: the label goes to this terminal's printer, else comes up as a PDF.
        kind, text, links = print_after_intake(db_session, device, text, _user())
        _tell(kind, text, asset_tag=device.asset_tag, **links)
        return redirect(url_for("intake.scan"))
    _tell("ok", text, asset_tag=device.asset_tag)
    return redirect(url_for("intake.scan"))
