"""Locations: the list with its device counts, adding one, and the continuous put-away page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.accounts import User
from inventory.errors import NotFound, WorkshopError
from inventory.locations import (
    create_location,
    devices_per_location,
    get_location,
    list_locations,
    parts_per_location,
    put_away,
    set_in_use,
)
from inventory.models import Device, Event, Location
from inventory.parts import put_part_away
from inventory.repair_models import Part
from inventory.scanning import log_scan, resolve_code
from workshop.database import db
from workshop.display import error_text
from workshop.locations import bp
from workshop.locations.forms import LocationForm, PutAwayScanForm
from workshop.roles import requires

# Kept in the browser's signed session cookie, like the intake lot: any app
# process behind the proxy can answer the next scan.
SESSION_LOCATION = "put_away_location"
SESSION_OUTCOME = "put_away_outcome"
STATION = "put_away"
RECENT = 10


def _user() -> User:
    # The proxy is not a mapped object: events and scans need the real user.
    return current_user._get_current_object()


def _tell(kind: str, text: str) -> None:
    """What the put-away page announces next: `ok`, `warn` or `bad`."""
    session[SESSION_OUTCOME] = {"kind": kind, "text": text}


@bp.route("/", methods=["GET", "POST"])
@requires("manage_locations")
def index() -> Any:
    """Every location with how many devices sit there, and the form to add one."""
    db_session = db()
    form = LocationForm()
    if form.validate_on_submit():
        try:
            location = create_location(
                db_session, form.name.data, form.kind.data, entered_by=_user()
            )
        except WorkshopError as error:
            db_session.rollback()
            form.name.errors.append(error_text(error))
        else:
            db_session.commit()
            flash(
                _(
                    "Location %(name)s created with the code %(code)s: print its label.",
                    name=location.name,
                    code=location.code,
                ),
                "success",
            )
            return redirect(url_for("locations.index"))
    status = 400 if request.method == "POST" else 200
    page = render_template(
        "locations/index.html",
        form=form,
        locations=list_locations(db_session),
        counts=devices_per_location(db_session),
        part_counts=parts_per_location(db_session),
    )
    return page, status


@bp.route("/<code>/in-use", methods=["POST"])
@requires("manage_locations")
def in_use(code: str) -> Any:
    """Retire an emptied location, or bring a retired one back into use."""
    form = FlaskForm()
    db_session = db()
    try:
        location = get_location(db_session, code)
    except NotFound:
        abort(404)
    wanted = request.form.get("in_use") == "yes"
    if not form.validate_on_submit():
        flash(_("The request was incomplete. Nothing was changed."), "error")
    else:
        try:
            set_in_use(db_session, location, wanted, by=_user())
        except WorkshopError as error:
            db_session.rollback()
            flash(error_text(error), "error")
        else:
            db_session.commit()
            message = (
                _("%(code)s is in use again.", code=location.code)
                if wanted
                else _("%(code)s is retired: nothing can be put away there.", code=location.code)
            )
            flash(message, "success")
    return redirect(url_for("locations.index"))


def _current_location(db_session: Session) -> Location | None:
    code = session.get(SESSION_LOCATION)
    if not code:
        return None
    try:
        location = get_location(db_session, code)
    except NotFound:
        location = None
    if location is None or not location.active:
        session.pop(SESSION_LOCATION, None)
        return None
    return location


def _recent(db_session: Session, user: User) -> list[tuple[Event, str]]:
    """This user's last put-aways, newest first, with each device's tag."""
    rows = db_session.execute(
        select(Event, Device.asset_tag)
        .join(Device, Event.device_id == Device.id)
        .where(Event.kind == "put_away", Event.entered_by_id == user.id)
        .order_by(Event.id.desc())
        .limit(RECENT)
    )
    return [(event, tag) for event, tag in rows]


@bp.route("/put-away", methods=["GET", "POST"])
@requires("put_away")
def put_away_page() -> Any:
    """Scan a location, then any number of devices or spare parts: each is put at that location."""
    form = PutAwayScanForm()
    if form.validate_on_submit():
        _answer_scan(form.code.data or "")
        return redirect(url_for("locations.put_away_page"))
    db_session = db()
    return render_template(
        "locations/put_away.html",
        form=PutAwayScanForm(formdata=None),
        location=_current_location(db_session),
        outcome=session.pop(SESSION_OUTCOME, None),
        recent=_recent(db_session, _user()),
    )


def _put_part_away(db_session: Session, part: Part, log: Callable[..., None]) -> None:
    """A spare part scanned after a location goes on that shelf, as a device would."""
    location = _current_location(db_session)
    if location is None:
        log("no_location")
        _tell(
            "warn",
            _(
                "%(code)s was not put away: scan the label of the location first, "
                "then the part again.",
                code=part.code,
            ),
        )
        return
    try:
        moved = put_part_away(db_session, part, location, by=_user())
    except WorkshopError as error:
        db_session.rollback()
        log("refused")
        _tell("bad", error_text(error))
        return
    log("put_away" if moved else "already_there")
    _tell(
        "ok",
        _(
            "Part %(code)s put at %(name)s (%(location)s). Scan the next item.",
            code=part.code,
            name=location.name,
            location=location.code,
        )
        if moved
        else _("Part %(code)s is already at %(name)s.", code=part.code, name=location.name),
    )


def _answer_scan(raw: str) -> None:
    """Resolve the code, log the scan, and switch location or put the device away."""
    db_session = db()
    user = _user()
    resolution = resolve_code(db_session, raw)
    code = resolution.code

    def log(outcome: str, device: Device | None = None) -> None:
        log_scan(db_session, code, outcome, user=user, station=STATION, device=device)
        db_session.commit()

    if resolution.kind == "location":
        location = resolution.location
        assert location is not None
        log("location")
        if not location.active:
            _tell(
                "bad",
                _(
                    "Location %(code)s (%(name)s) is no longer in use: scan another location.",
                    code=location.code,
                    name=location.name,
                ),
            )
            return
        session[SESSION_LOCATION] = location.code
        _tell(
            "ok",
            _(
                "Location %(name)s (%(code)s): now scan the devices you put there.",
                name=location.name,
                code=location.code,
            ),
        )
        return

    if resolution.kind == "device":
        device = resolution.device
        assert device is not None
        location = _current_location(db_session)
        if location is None:
            log("no_location", device)
            _tell(
                "warn",
                _(
                    "%(tag)s was not put away: scan the label of the location first, "
                    "then the device again.",
                    tag=device.asset_tag,
                ),
            )
            return
        if device.location_id == location.id:
            log("already_there", device)
            _tell(
                "ok",
                _("%(tag)s is already at %(name)s.", tag=device.asset_tag, name=location.name),
            )
            return
        try:
            put_away(db_session, device, location, entered_by=user)
        except WorkshopError as error:
            db_session.rollback()
            log("refused", device)
            _tell("bad", error_text(error))
            return
        log("put_away", device)
        _tell(
            "ok",
            _(
                "%(tag)s put at %(name)s (%(code)s). Scan the next device.",
                tag=device.asset_tag,
                name=location.name,
                code=location.code,
            ),
        )
        return

    if resolution.kind == "part":
        assert resolution.part is not None
        _put_part_away(db_session, resolution.part, log)
        return

    if resolution.kind == "invalid" and not code:
        # An Enter on an empty field: nothing was read, so nothing to log.
        _tell("warn", _("Nothing was scanned. Scan a location label or a device."))
        return
    log(resolution.kind)
    if resolution.kind == "invalid":
        _tell("bad", error_text(resolution))
        return
    _tell(
        "bad",
        _(
            "%(code)s is neither a location nor a device we know. Scan a location label, "
            "or a device's asset tag or serial number.",
            code=code,
        ),
    )
