"""The stage board: devices counted by stage and category, the stuck ones named."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_timezone

from inventory.board import stage_counts, stuck_devices, work_in_progress
from inventory.errors import NotFound
from inventory.lifecycle import STAGES
from inventory.lots import get_lot, list_lots
from inventory.worktime import time_per_stage, time_per_technician
from workshop.board import bp
from workshop.board.forms import PeriodForm
from workshop.database import db
from workshop.display import error_text
from workshop.roles import requires

# The board lists the longest-waiting devices first; the rest are counted, not listed.
STUCK_LISTED = 50
# Without a period asked for, the time page looks back this many days.
DEFAULT_DAYS = 30


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
    return render_template(
        "board/index.html",
        lots=list_lots(session),
        lot_code=lot_code,
        problem=problem,
        stages=STAGES,
        counts=stage_counts(session, lot=lot_code or None),
        stuck=stuck_devices(
            session, after_days=after_days, lot=lot_code or None, limit=STUCK_LISTED
        ),
        technicians=work_in_progress(session),
    ), (404 if problem else 200)


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


def period(since: date, until: date) -> tuple[datetime, datetime]:
    """From the start of the first day to the end of the last, in the workshop's time zone."""
    zone = get_timezone()
    start = datetime.combine(since, time(), zone)
    end = datetime.combine(until + timedelta(days=1), time(), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def hours(length: timedelta) -> str:
    """A length of time in hours, one decimal, written the reader's way."""
    return format_decimal(length.total_seconds() / 3600, format="#,##0.0")
