"""The technician's queue, oldest first, and the scan that opens or claims a device."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from inventory import assignments, scanning
from inventory.errors import WorkshopError
from workshop.database import db
from workshop.display import error_text
from workshop.queue import bp
from workshop.queue.forms import QueueScanForm
from workshop.roles import requires


@bp.route("/")
@requires("work_queue")
def index() -> Any:
    """The devices assigned to me, the oldest first, with a scan field ready."""
    queue = assignments.queue(db(), current_user._get_current_object())
    return render_template("queue/index.html", queue=queue, form=QueueScanForm())


@bp.route("/scan", methods=["POST"])
@requires("work_queue")
def scan() -> Any:
    """Open the scanned device's work card; a device no one holds becomes mine first."""
    session = db()
    me = current_user._get_current_object()
    back = url_for("queue.index")
    form = QueueScanForm()
    if not form.validate_on_submit():
        flash(_("Scan a device's asset tag. Nothing was changed."), "error")
        return redirect(back)
    found = scanning.resolve_code(session, form.code.data)
    scanning.log_scan(
        session, form.code.data, found.kind, user=me, station="queue", device=found.device
    )
    if found.device is None:
        session.commit()
        if found.template:
            flash(error_text(found), "error")
        else:
            flash(
                _("%(code)s is not a device. Scan a device's asset tag.", code=found.code), "error"
            )
        return redirect(back)
    device = found.device
    was_free = assignments.active_assignment(session, device) is None
    try:
        # Mine already: nothing changes. Someone else's: the refusal says who has it.
        assignments.claim(session, device, me)
    except WorkshopError as error:
        session.commit()
        flash(error_text(error), "error")
        return redirect(back)
    session.commit()
    if was_free:
        flash(_("%(tag)s is now in your queue.", tag=device.asset_tag), "success")
    return redirect(url_for("workcard.show", asset_tag=device.asset_tag))
