"""The stage board: devices counted by stage and category, the stuck ones named."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_timezone

from inventory.board import LEFT_STAGES, stage_counts, stuck_devices, work_in_progress
from inventory.errors import NotFound
from inventory.lifecycle import STAGES
from inventory.lots import get_lot, list_lots
from inventory.worktime import time_per_stage, time_per_technician
from workshop.board import bp
from workshop.board.forms import PeriodForm
from workshop.database import db
from workshop.display import error_text
from workshop.periods import day_start, period
from workshop.roles import requires

# The board lists the longest-waiting devices first; the rest are counted, not listed.
STUCK_LISTED = 50
# Without a period asked for, the time page looks back this many days.
DEFAULT_DAYS = 30
# The board counts the devices sold or recycled over this many days, not since the beginning.
LEFT_DAYS = 30
# A workshop has thousands of lots after a few years: the newest are suggested, not all listed.
SUGGESTED_LOTS = 30


@bp.route("/")
@requires("view_board")
def index() -> Any:
    """Counts per stage and category, filterable by lot, with the devices stuck too long."""
    session = db()
    lot_code = request.args.get("lot", "").strip()
    problem = ""
    if lot_code:
        try:
            lot_code = get_lot(session, lot_code).code
        except NotFound as error:
            problem = error_text(error)
            lot_code = ""
    after_days = int(current_app.config["STUCK_AFTER_DAYS"])
    left_on = datetime.now(get_timezone()).date() - timedelta(days=LEFT_DAYS)
    return render_template(
        "board/index.html",
        # Offered while typing; any other lot's code can be typed or scanned.
        lots=list_lots(session, limit=SUGGESTED_LOTS),
        lot_code=lot_code,
        problem=problem,
        stages=STAGES,
        left_stages=LEFT_STAGES,
        left_on=left_on,
        counts=stage_counts(session, lot=lot_code or None, left_since=day_start(left_on)),
        stuck=stuck_devices(
            session, after_days=after_days, lot=lot_code or None, limit=STUCK_LISTED
        ),
        technicians=work_in_progress(session),
        devices_link=devices_link(),
    ), (404 if problem else 200)


def devices_link() -> Any:
    """Build the device list's filtered links from one url_for, not one per board cell."""
    base = url_for("devices.index")

    def link(**filters: str | None) -> str:
        query = urlencode({name: value for name, value in filters.items() if value})
        return f"{base}?{query}" if query else base

    return link


@bp.route("/time")
@requires("view_worktime")
def time_spent() -> Any:
    """Time spent per stage and per technician over a period, from the event log."""
    if not request.args:
        # The last days by default, written in the address so the page can be shared.
        today = datetime.now(get_timezone()).date()
        since = today - timedelta(days=DEFAULT_DAYS)
        return redirect(
            url_for("board.time_spent", since=since.isoformat(), until=today.isoformat())
        )
    form = PeriodForm(request.args, meta={"csrf": False})
    stages, technicians = [], []
    if form.validate():
        session = db()
        start, end = period(form.since.data, form.until.data)
        stages = time_per_stage(session, start, end)
        technicians = time_per_technician(session, start, end)
    return render_template(
        "board/time.html", form=form, stages=stages, technicians=technicians, hours=hours
    ), (400 if form.errors else 200)


def hours(length: timedelta) -> str:
    """A length of time in hours, one decimal, written the reader's way."""
    return format_decimal(length.total_seconds() / 3600, format="#,##0.0")
