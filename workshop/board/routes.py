"""The stage board: devices counted by stage and category, the stuck ones named."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request

from inventory.board import stage_counts, stuck_devices, work_in_progress
from inventory.errors import NotFound
from inventory.lifecycle import STAGES
from inventory.lots import get_lot, list_lots
from workshop.board import bp
from workshop.database import db
from workshop.display import error_text
from workshop.roles import requires

# The board lists the longest-waiting devices first; the rest are counted, not listed.
STUCK_LISTED = 50


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
