"""Donor lots: the list with what became of their devices, and opening a new one."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inventory.errors import AlreadyReceived, WorkshopError
from inventory.lifecycle import STAGES
from inventory.lots import devices_by_stage, list_lots, open_lot
from workshop.database import db
from workshop.display import error_text
from workshop.intake.routes import choose_intake_lot
from workshop.lots import bp
from workshop.lots.forms import LotForm
from workshop.roles import can, requires


@bp.route("/")
@requires("manage_lots")
def index() -> str:
    """Every lot, newest first, with its devices counted by stage."""
    db_session = db()
    return render_template(
        "lots/index.html",
        lots=list_lots(db_session),
        counts=devices_by_stage(db_session),
        stages=STAGES,
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
