"""Donor lots: the list with what became of their devices, and opening a new one."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inventory.board import OUTCOMES, lot_devices, lot_summary
from inventory.errors import AlreadyReceived, NotFound, WorkshopError
from inventory.lifecycle import STAGES
from inventory.lots import devices_by_stage, get_lot, lots_page, open_lot
from inventory.models import Lot
from workshop.database import db
from workshop.display import error_text
from workshop.downloads import file_response
from workshop.intake.routes import choose_intake_lot
from workshop.lots import bp
from workshop.lots.forms import LotForm
from workshop.roles import can, requires

# A few years hold thousands of lots: the list goes a page at a time, newest first.
LOTS_PER_PAGE = 50


@bp.route("/")
@requires("manage_lots")
def index() -> Any:
    """The lots, newest first, a page at a time, with their devices counted by stage."""
    db_session = db()
    wanted = request.args.get("code", "").strip()
    if wanted:
        # A lot typed or scanned: straight to its page.
        try:
            return redirect(url_for("lots.show", code=get_lot(db_session, wanted).code))
        except NotFound as error:
            flash(error_text(error), "error")
    page = max(1, request.args.get("page", 1, type=int) or 1)
    shown, older = lots_page(db_session, page, LOTS_PER_PAGE)
    if not shown and page > 1:
        return redirect(url_for("lots.index"))
    return render_template(
        "lots/index.html",
        lots=shown,
        counts=devices_by_stage(db_session, shown),
        stages=STAGES,
        page=page,
        older=older,
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("manage_lots")
def new() -> Any:
    """Open a lot for a collection that has arrived."""
    form = LotForm()
    if request.method == "GET":
        form.received_on.data = date.today()
        form.then.data = request.args.get("then", "")
    if form.validate_on_submit():
        db_session = db()
        try:
            lot = open_lot(
                db_session,
                form.code.data,
                donor=form.donor.data or "",
                received_on=form.received_on.data,
                reference=form.reference.data or "",
                note=form.note.data or "",
                entered_by=current_user._get_current_object(),
            )
        except AlreadyReceived:
            db_session.rollback()
            form.code.errors.append(
                _("A lot with the code %(code)s already exists.", code=form.code.data)
            )
        except WorkshopError as error:
            db_session.rollback()
            form.code.errors.append(error_text(error))
        else:
            db_session.commit()
            flash(_("Lot %(code)s is open.", code=lot.code), "success")
            if form.then.data == "intake" and can("intake"):
                choose_intake_lot(lot.code)
                return redirect(url_for("intake.scan"))
            return redirect(url_for("lots.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("lots/new.html", form=form), status


# The columns of a lot's export, in the order a donor's report lists them.
CSV_COLUMNS = (
    "asset_tag",
    "serial",
    "category",
    "make",
    "model",
    "stage",
    "weight_kg",
    "grade",
    "received_at",
)


def _cell(value: object) -> str:
    """A value as a spreadsheet cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    # Make and model are typed at intake; "=HYPERLINK(...)" must stay text in Excel.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _lot_or_404(code: str) -> Lot:
    try:
        return get_lot(db(), code)
    except NotFound:
        abort(404)


# `path` lets a lot code hold a slash; the .csv rule is the more specific and wins.
@bp.route("/<path:code>.csv")
@requires("view_board")
def export(code: str) -> Response:
    """The lot's devices as a spreadsheet file, for the donor's report."""
    lot = _lot_or_404(code)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for device in lot_devices(db(), lot):
        writer.writerow(
            _cell(value)
            for value in (
                device.asset_tag,
                device.serial_number,
                device.category,
                device.make,
                device.model,
                device.stage,
                device.weight_kg,
                device.grade,
                device.received_at.isoformat(timespec="seconds"),
            )
        )
    # The byte order mark tells Excel the file is UTF-8, so donors' accents survive.
    body = "\ufeff" + out.getvalue()
    # Header values must be ASCII; the lot code itself is inside the file.
    filename = "".join(c if (c.isascii() and c.isalnum()) or c in "-_" else "_" for c in lot.code)
    return file_response(body.encode("utf-8"), "text/csv", f"lot-{filename}.csv")


@bp.route("/<path:code>")
@requires("view_board")
def show(code: str) -> str:
    """What became of each device of one lot, with counts and kilograms."""
    lot = _lot_or_404(code)
    session = db()
    return render_template(
        "lots/show.html",
        lot=lot,
        devices=lot_devices(session, lot),
        summary=lot_summary(session, lot),
        outcomes=OUTCOMES,
    )
