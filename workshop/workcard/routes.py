"""The work card of one device: what to do, the checks, the defects and grade, the next stage."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask import session as cookie
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import TemplateNotFound
from sqlalchemy.orm import Session

from diagnostics import jobs, records
from inventory import assignments, grading, scanning
from inventory.codes import normalize
from inventory.devices import get_device
from inventory.errors import Conflict, GateUnmet, NotFound, WorkshopError
from inventory.lifecycle import LEFT_STAGES, allowed_moves, unmet_gates
from inventory.models import GRADES, BenchJob, Device, Grading
from inventory.stages import MAX_NOTE, move_to_stage
from workshop.database import db, sessions
from workshop.diagnostics_labels import STEP_LABELS
from workshop.display import error_text, label_for
from workshop.roles import can, requires
from workshop.workcard import bp
from workshop.workcard.forms import (
    BenchJobForm,
    CardScanForm,
    DefectsForm,
    FinishForm,
    OverrideForm,
)
from workshop.workcard.labels import (
    instruction,
    register_labels,
    rule_lines,
    template_helpers,
    verdict_text,
)

# Moves that need more than a button: a sale its order, a return its reason,
# recycling its reason and weight. The card links to where they are made.
ELSEWHERE = frozenset({"sold", "returned", "recycled"})
# The other helper's partial for a device's manual checks, included once it exists.
CHECKS_PARTIAL = "checks/_form.html"
# Where the keyboard starts after a redirect; anything else means the scan field.
FOCUS_TARGETS = frozenset({"checks", "grade", "override", "finish", "bench"})
# The station of this terminal's benches, kept in the signed session cookie: a terminal
# sits at one workbench, so the next test is most likely asked of the same station.
STATION_KEY = "bench_station"
# How many of a device's latest bench tests the card lists.
JOBS_SHOWN = 5
# A bench job's state said in words (diagnostics/jobs.py stores the codes).
JOB_STATES = {
    "queued": _l("waiting for the station's bench agent"),
    "running": _l("running"),
    "done": _l("ended"),
    "cancelled": _l("cancelled"),
    "lost": _l("lost: the bench agent stopped reporting"),
}


@bp.record_once
def _name_the_codes(_state: Any) -> None:
    register_labels()


@dataclass(frozen=True)
class GradeOrigin:
    """Where a device's grade comes from: `none`, `hand`, `defects` or `override`."""

    kind: str
    grading: Grading | None
    why: str


def grade_origin(device: Device) -> GradeOrigin:
    """Where the grade shown for this device comes from, said in words."""
    found = grading.current_grading(db(), device)
    if found is None:
        return GradeOrigin("hand" if device.grade else "none", None, "")
    why = verdict_text(grading.compute_grade(found.codes))
    return GradeOrigin("override" if found.overridden else "defects", found, why)


@bp.app_context_processor
def _grading_helpers() -> dict[str, Any]:
    return {**template_helpers(), "grade_origin": grade_origin}


@bp.route("/")
@requires("work_card")
def index() -> Any:
    """A card needs a device: the queue is where devices are scanned."""
    return redirect(url_for("queue.index"))


@bp.route("/<asset_tag>")
@requires("work_card")
def show(asset_tag: str) -> Any:
    """The card: who the device is, what to do, the checks, the grade, the next stage."""
    session = db()
    device = _device_or_none(session, asset_tag)
    if device is None:
        return _not_found(asset_tag)
    if device.asset_tag != asset_tag:
        return redirect(url_for("workcard.show", asset_tag=device.asset_tag))
    current = grading.current_grading(session, device)
    moves = allowed_moves(device.stage)
    focus = request.args.get("focus", "")
    return render_template(
        "workcard/show.html",
        device=device,
        instruction=instruction(device.stage),
        assignment=assignments.active_assignment(session, device),
        scan_form=CardScanForm(formdata=None, current=device.asset_tag),
        grading=current,
        origin=grade_origin(device),
        defects_form=DefectsForm(formdata=None, prefix="defects"),
        chosen=set(current.codes) if current else set(),
        catalogue=grading.CATALOGUE,
        rule=rule_lines(),
        override_form=OverrideForm(formdata=None, prefix="override"),
        grades=GRADES,
        gradable=device.stage not in ("sold", "recycled"),
        moves=[move for move in moves if move not in ELSEWHERE],
        elsewhere=[move for move in moves if move in ELSEWHERE],
        needs={
            move: [label_for("gate", item) for item in unmet_gates(session, device, move)]
            for move in moves
        },
        checks_partial=_checks_partial(),
        bench=_bench_context(session, device),
        focus=focus if focus in FOCUS_TARGETS else "",
        max_note=MAX_NOTE,
        max_reason=grading.MAX_REASON,
    )


@bp.route("/scan", methods=["POST"])
@requires("work_card")
def scan() -> Any:
    """Open the card of the scanned device; anything else is said on the card it came from."""
    session = db()
    form = CardScanForm()
    back = _card_or_queue(form.current.data)
    if not form.validate_on_submit():
        flash(_("Scan a device's asset tag. Nothing was changed."), "error")
        return redirect(back)
    found = scanning.resolve_code(session, form.code.data)
    scanning.log_scan(
        session,
        form.code.data,
        found.kind,
        user=current_user._get_current_object(),
        station="workcard",
        device=found.device,
    )
    session.commit()
    if found.device is None:
        if found.template:
            flash(error_text(found), "error")
        else:
            flash(
                _("%(code)s is not a device. Scan a device's asset tag.", code=found.code), "error"
            )
        return redirect(back)
    return redirect(url_for("workcard.show", asset_tag=found.device.asset_tag))


@bp.route("/<asset_tag>/claim", methods=["POST"])
@requires("work_queue")
def claim(asset_tag: str) -> Any:
    """Take the device: it goes into my queue for its current stage."""
    session = db()
    device = _device_or_none(session, asset_tag)
    if device is None:
        return _not_found(asset_tag)
    try:
        assignments.claim(session, device, current_user._get_current_object())
    except WorkshopError as error:
        flash(error_text(error), "error")
        return redirect(_card(device))
    session.commit()
    flash(_("%(tag)s is now in your queue.", tag=device.asset_tag), "success")
    return redirect(_card(device))


@bp.route("/<asset_tag>/release", methods=["POST"])
@requires("work_queue")
def release(asset_tag: str) -> Any:
    """Give the device back to the pool: its holder may, and a manager."""
    session = db()
    device = _device_or_none(session, asset_tag)
    if device is None:
        return _not_found(asset_tag)
    me = current_user._get_current_object()
    held = assignments.active_assignment(session, device)
    if held is not None and held.technician_id != me.id and not can("assign"):
        abort(403)
    try:
        assignments.release(session, device, by=me)
    except WorkshopError as error:
        flash(error_text(error), "error")
        return redirect(_card(device))
    session.commit()
    flash(_("%(tag)s is released: anyone can take it now.", tag=device.asset_tag), "success")
    return redirect(_card(device))


@bp.route("/<asset_tag>/defects", methods=["POST"])
@requires("grade")
def defects(asset_tag: str) -> Any:
    """Record the cosmetic defects found; the grade follows the rule."""
    session = db()
    device = _device_or_none(session, asset_tag)
    if device is None:
        return _not_found(asset_tag)
    form = DefectsForm(prefix="defects")
    if not form.validate_on_submit():
        if form.note.errors:
            flash(_("The note is too long: at most %(limit)d characters.", limit=MAX_NOTE), "error")
        else:
            flash(_("Tick the defects in the list, then save. Nothing was changed."), "error")
        return redirect(_card(device, "grade"))
    try:
        recorded = grading.record_defects(
            session,
            device,
            form.defects.data or [],
            entered_by=current_user._get_current_object(),
            note=form.note.data,
        )
    except WorkshopError as error:
        flash(error_text(error), "error")
        return redirect(_card(device, "grade"))
    session.commit()
    why = verdict_text(grading.compute_grade(recorded.codes))
    if recorded.overridden:
        flash(
            _(
                "Defects saved: they give grade %(computed)s (%(why)s). The manager's grade "
                "%(grade)s stands until a manager clears the override.",
                computed=recorded.computed_grade,
                why=why,
                grade=device.grade,
            ),
            "warning",
        )
    else:
        flash(
            _("Defects saved: grade %(grade)s (%(why)s).", grade=device.grade, why=why),
            "success",
        )
    return redirect(_card(device, "finish"))


@bp.route("/<asset_tag>/override", methods=["POST"])
@requires("override_grade")
def override(asset_tag: str) -> Any:
    """A manager gives another grade than the defects give, saying why."""
    session = db()
    device = _device_or_none(session, asset_tag)
    if device is None:
        return _not_found(asset_tag)
    form = OverrideForm(prefix="override")
    if not form.validate_on_submit():
        if form.reason.errors and form.reason.data:
            flash(
                _(
                    "The reason is too long: at most %(limit)d characters.",
                    limit=grading.MAX_REASON,
                ),
                "error",
            )
        elif form.reason.errors:
            flash(
                _("Say why the grade differs from the defects' grade. Nothing was changed."),
                "error",
            )
        else:
            flash(_("Choose grade A, B or C. Nothing was changed."), "error")
        return redirect(_card(device, "override"))
    before = device.grade
    try:
        grading.override_grade(
            session,
            device,
            form.grade.data,
            reason=form.reason.data,
            entered_by=current_user._get_current_object(),
        )
    except WorkshopError as error:
        flash(error_text(error), "error")
        return redirect(_card(device, "override"))
    session.commit()
    flash(
        _(
            "Grade overridden on %(tag)s: %(before)s → %(grade)s.",
            tag=device.asset_tag,
            before=before or _("none"),
            grade=device.grade,
        ),
        "success",
    )
    return redirect(_card(device))


@bp.route("/<asset_tag>/override/clear", methods=["POST"])
@requires("override_grade")
def clear_override(asset_tag: str) -> Any:
    """A manager lifts the override: the defects' grade applies again."""
    session = db()
    device = _device_or_none(session, asset_tag)
    if device is None:
        return _not_found(asset_tag)
    try:
        grading.clear_override(session, device, entered_by=current_user._get_current_object())
    except WorkshopError as error:
        flash(error_text(error), "error")
        return redirect(_card(device, "override"))
    session.commit()
    flash(
        _(
            "The override is cleared: %(tag)s has grade %(grade)s from its defects again.",
            tag=device.asset_tag,
            grade=device.grade,
        ),
        "success",
    )
    return redirect(_card(device))


@bp.route("/<asset_tag>/finish", methods=["POST"])
@requires("work_card")
def finish(asset_tag: str) -> Any:
    """Finish the stage: move the device to the stage of the button pressed."""
    session = db()
    device = _device_or_none(session, asset_tag)
    if device is None:
        return _not_found(asset_tag)
    form = FinishForm()
    if not form.validate_on_submit():
        if form.note.errors:
            flash(_("The note is too long: at most %(limit)d characters.", limit=MAX_NOTE), "error")
        else:
            flash(_("Use one of the buttons to finish the stage. Nothing was changed."), "error")
        return redirect(_card(device, "finish"))
    to = form.to.data
    if to in ELSEWHERE:
        flash(
            _(
                "A sale, a return or a recycling is recorded from the device page. Nothing was changed."
            ),
            "error",
        )
        return redirect(_card(device, "finish"))
    left = device.stage
    try:
        move_to_stage(
            session,
            device,
            to,
            entered_by=current_user._get_current_object(),
            note=form.note.data,
            expected_stage=form.expected_stage.data,
        )
    except GateUnmet as error:
        missing = error.details.get("missing", [])
        flash(error_text(error) + " " + _("Do what is missing above, then finish again."), "error")
        return redirect(_card(device, "grade" if "grade" in missing else "checks"))
    except Conflict as error:
        if "expected_stage" in error.details:
            flash(
                _(
                    "%(tag)s was already moved to %(stage)s. Nothing was changed: read the card "
                    "again before going on.",
                    tag=device.asset_tag,
                    stage=label_for("stage", error.details.get("stage", device.stage)),
                ),
                "error",
            )
        else:
            flash(error_text(error), "error")
        return redirect(_card(device))
    except WorkshopError as error:
        flash(error_text(error), "error")
        return redirect(_card(device, "finish"))
    session.commit()
    flash(
        _(
            "%(stage)s finished: %(tag)s moved to %(to)s and left your queue. Scan the next "
            "device, or take this one again for %(to)s.",
            stage=label_for("stage", left),
            tag=device.asset_tag,
            to=label_for("stage", device.stage),
        ),
        "success",
    )
    return redirect(_card(device))


@bp.route("/<asset_tag>/jobs", methods=["POST"])
@requires("record_diagnostics")
def request_bench_job(asset_tag: str) -> Any:
    """Ask the bench of a station to run a script on the device; its agent picks it up."""
    session = db()
    device = _device_or_none(session, asset_tag)
    if device is None:
        return _not_found(asset_tag)
    form = BenchJobForm(prefix="job")
    form.script.choices = list(_bench_scripts(device))
    if not form.validate_on_submit():
        if form.station.errors and form.station.data:
            flash(
                _(
                    "The station name is too long: at most %(limit)d characters.",
                    limit=jobs.MAX_STATION,
                ),
                "error",
            )
        elif form.station.errors:
            flash(_("Type the name of the station whose bench runs the test."), "error")
        else:
            flash(_("Choose a test from the list. Nothing was started."), "error")
        return redirect(_card(device, "bench"))
    cookie[STATION_KEY] = form.station.data
    try:
        job = jobs.request_job(
            session,
            device,
            form.script.data,
            form.station.data,
            requested_by=current_user._get_current_object(),
        )
    except Conflict as error:
        flash(_already_asked(error), "error")
        return redirect(_card(device, "bench"))
    except WorkshopError as error:
        flash(error_text(error), "error")
        return redirect(_card(device, "bench"))
    session.commit()
    flash(
        _(
            "The %(script)s test is asked of the station %(station)s: it starts when its bench "
            "agent takes it. Its progress shows below.",
            script=label_for("script", job.script),
            station=job.station,
        ),
        "success",
    )
    return redirect(_card(device, "bench"))


@bp.route("/<asset_tag>/jobs/<int:job_id>/cancel", methods=["POST"])
@requires("record_diagnostics")
def cancel_bench_job(asset_tag: str, job_id: int) -> Any:
    """Cancel a waiting test, or ask a running one to stop."""
    session = db()
    device = _device_or_none(session, asset_tag)
    if device is None:
        return _not_found(asset_tag)
    job = session.get(BenchJob, job_id)
    if job is None or job.device_id != device.id:
        abort(404)
    before = job.state
    jobs.cancel_job(session, job, by=current_user._get_current_object())
    session.commit()
    script = label_for("script", job.script)
    if before == "queued":
        flash(_("The %(script)s test is cancelled: it will not start.", script=script), "success")
    elif before == "running":
        flash(
            _(
                "The %(script)s test is asked to stop: the bench agent stops it at its next "
                "report, and the run ends as stopped.",
                script=script,
            ),
            "success",
        )
    else:
        flash(
            _(
                "The %(script)s test had already ended (%(state)s). Nothing was changed.",
                script=script,
                state=JOB_STATES.get(job.state, job.state),
            ),
            "info",
        )
    return redirect(_card(device, "bench"))


@bp.route("/<asset_tag>/jobs.json")
@requires("work_card")
def bench_jobs(asset_tag: str) -> Any:
    """The device's latest bench tests with their progress, for the card to follow them."""
    _sweep_lost_jobs()
    device = _device_or_none(db(), asset_tag)
    if device is None:
        return jsonify(
            {"error": _("There is no device %(tag)s.", tag=normalize(asset_tag)[:40])}
        ), 404
    found = jobs.jobs_for(db(), device, limit=JOBS_SHOWN)
    response = jsonify({"items": [_job_json(job) for job in found]})
    response.headers["Cache-Control"] = "no-store"
    return response


def _bench_scripts(device: Device) -> tuple[str, ...]:
    """The scripts the card offers: the category's, or every script when it asks for none."""
    return records.required_scripts(device.category) or records.SCRIPT_NAMES


def _bench_context(session: Session, device: Device) -> dict[str, Any]:
    """What the card's bench part shows: the form, the latest jobs, the remembered station."""
    _sweep_lost_jobs()
    form = BenchJobForm(formdata=None, prefix="job")
    form.script.choices = [
        (script, label_for("script", script)) for script in _bench_scripts(device)
    ]
    form.station.data = cookie.get(STATION_KEY, "")
    found = jobs.jobs_for(session, device, limit=JOBS_SHOWN)
    return {
        "form": form,
        "jobs": found,
        "states": JOB_STATES,
        "open": device.stage not in LEFT_STAGES,
        "following": any(job.state in jobs.OPEN_STATES for job in found),
    }


# The runner's own progress words after the step: the percent again, in English.
RUNNER_PROGRESS = re.compile(r"(?:^|: )(?:\d+ %|starting|done)$")


def progress_words(message: str) -> str:
    """An agent's "step: words" progress report, the step named in the reader's language.

    What a bench reported (a drive's model and serial) is kept; the runner's
    "starting", "done" and "60 %" are dropped, as the card shows the percent.
    """
    step, colon, rest = message.partition(": ")
    if not colon or step not in STEP_LABELS:
        return message  # an agent of another version: its words as they came
    words = _("Step: %(step)s.", step=label_for("step", step))
    if rest and not RUNNER_PROGRESS.search(rest):
        words = f"{words} {rest}"
    return words


def _job_json(job: BenchJob) -> dict[str, Any]:
    """A bench job for the card's script: codes, and their words in the reader's language."""
    run = job.run
    outcome = None if run is None or run.running else run.outcome
    return {
        "id": job.id,
        "script": job.script,
        "script_label": label_for("script", job.script),
        "station": job.station,
        "state": job.state,
        "state_label": str(JOB_STATES.get(job.state, job.state)),
        "percent": job.percent,
        "message": progress_words(job.message) if job.state == "running" else "",
        "stopping": job.abort_requested and job.state == "running",
        "outcome": outcome,
        "outcome_label": label_for("run_outcome", outcome) if outcome else "",
    }


def _already_asked(error: Conflict) -> str:
    """The refusal of a second request for the same test, with its state in words."""
    details = error.details
    if "job" not in details:
        return error_text(error)
    script = label_for("script", details.get("script"))
    if details.get("state") == "running":
        return _(
            "The %(script)s test of %(tag)s is already running on the station %(station)s: "
            "wait for it to end, or stop it below.",
            script=script,
            tag=details.get("asset_tag"),
            station=details.get("station"),
        )
    return _(
        "The %(script)s test of %(tag)s is already waiting for the station %(station)s: "
        "wait for it, or cancel it below.",
        script=script,
        tag=details.get("asset_tag"),
        station=details.get("station"),
    )


def _sweep_lost_jobs() -> None:
    """End the jobs of silent bench agents before the card shows them."""
    lost_after = timedelta(seconds=current_app.config.get("BENCH_AGENT_LOST_AFTER", 60))
    jobs.sweep_when_stale(sessions(), lost_after=lost_after)


def _card(device: Device, focus: str = "") -> str:
    if focus:
        return url_for("workcard.show", asset_tag=device.asset_tag, focus=focus)
    return url_for("workcard.show", asset_tag=device.asset_tag)


def _card_or_queue(tag: str | None) -> str:
    """The card a scan came from, or the queue when it came from nowhere we know."""
    tag = normalize(tag or "")
    if tag and tag.isalnum() and len(tag) <= 16:
        return url_for("workcard.show", asset_tag=tag)
    return url_for("queue.index")


def _checks_partial() -> str | None:
    """The manual checks' form partial, once the checks area provides one."""
    try:
        current_app.jinja_env.get_template(CHECKS_PARTIAL)
    except TemplateNotFound:
        return None
    return CHECKS_PARTIAL


def _device_or_none(session: Session, asset_tag: str) -> Device | None:
    try:
        return get_device(session, asset_tag)
    except NotFound:
        return None


def _not_found(asset_tag: str) -> tuple[str, int]:
    tag = normalize(asset_tag)[:40]
    form = CardScanForm(formdata=None)
    return render_template("workcard/not_found.html", tag=tag, scan_form=form), 404
