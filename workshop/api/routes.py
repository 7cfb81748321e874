"""API endpoints: check the role, check the shape, call a service, commit, answer JSON."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import Any

from flask import Response, current_app, jsonify, url_for

from diagnostics import jobs, records
from diagnostics.results import (
    BenchIdentity,
    Erasure,
    Limits,
    Measurement,
    RunResult,
    StepResult,
    TranscriptLine,
)
from inventory import (
    assignments,
    checks,
    devices,
    grading,
    intake,
    lots,
    recycling,
    sales,
    scanning,
    stages,
)
from inventory.codes import normalize
from inventory.errors import N_, AlreadyReceived, IllegalTransition, InvalidInput, NotFound
from inventory.events import device_history
from inventory.lifecycle import allowed_moves
from inventory.locations import (
    create_location,
    devices_per_location,
    get_location,
    list_locations,
    put_away,
)
from inventory.models import BenchJob, Device
from workshop.api import bp
from workshop.api.auth import api_user, public, requires
from workshop.api.errors import Forbidden, commit
from workshop.api.openapi import openapi_document
from workshop.api.serialize import (
    assignment_json,
    checks_json,
    device_json,
    erasure_json,
    event_json,
    grading_json,
    job_json,
    location_json,
    lot_json,
    no_storage_json,
    order_json,
    run_json,
    staff_json,
)
from workshop.api.validation import (
    ASSIGN,
    CHECKS,
    CLAIM,
    DESTROYED_DRIVE,
    DEVICE_QUERY,
    DIAGNOSTIC,
    GRADE,
    INTAKE,
    JOB,
    LOCATION,
    LOT,
    MANUAL_ERASURE,
    NO_STORAGE,
    PROGRESS,
    PUT_AWAY,
    RETURN,
    SALE,
    SCAN,
    TRANSITION,
    parse_body,
    parse_query,
)
from workshop.database import db, sessions
from workshop.display import error_text
from workshop.roles import can

# Moves that other endpoints make, with what they record.
ELSEWHERE = {"sold": "POST /api/v1/sales", "returned": "POST /api/v1/devices/<asset_tag>/return"}

# Asset tags are 9 characters; a longer path segment cannot name a device.
MAX_TAG = 32


def _load_device(asset_tag: str) -> Device:
    """The device named in the address, or NotFound (also for codes no tag could be)."""
    tag = normalize(asset_tag)
    if len(tag) > MAX_TAG or not tag.isprintable():
        raise NotFound(N_("No device has the asset tag %(asset_tag)s."), asset_tag=tag[:MAX_TAG])
    return devices.get_device(db(), tag)


@bp.get("/openapi.json")
@public
def openapi() -> Any:
    """The OpenAPI document describing this API."""
    return jsonify(openapi_document())


@bp.post("/devices")
@requires("intake")
def receive() -> Any:
    """Receive a device by its manufacturer serial."""
    values = parse_body(INTAKE)
    session = db()
    try:
        result = intake.receive_device(
            session,
            serial_number=values["serial_number"],
            category=values["category"],
            make=values["make"],
            model=values["model"],
            lot=values.get("lot"),
            weight_kg=values.get("weight_kg"),
            entered_by=api_user(),
        )
    except AlreadyReceived as error:
        # Scripts want the device that holds the serial, not only the sentence.
        error.details["device"] = device_json(
            devices.get_device(session, error.details["asset_tag"])
        )
        raise
    except NotFound as error:
        if error.details.get("field") != "lot":
            raise
        # The lot is something the body refers to, not the resource addressed: a 400.
        raise InvalidInput(error.template, **error.details) from None
    commit()
    body = {**device_json(result.device), "new_cycle": result.new_cycle}
    location = url_for("api.device", asset_tag=result.device.asset_tag)
    return jsonify(body), 201, {"Location": location}


@bp.get("/devices")
@requires("view_devices")
def device_list() -> Any:
    """Search and filter devices, one page at a time."""
    values = parse_query(DEVICE_QUERY)
    page = devices.find_devices(
        db(),
        q=values.get("q", ""),
        stage=values.get("stage", ""),
        category=values.get("category", ""),
        lot=values.get("lot", ""),
        page=values.get("page", 1),
        per_page=values.get("per_page", current_app.config.get("PER_PAGE", 50)),
    )
    return jsonify(
        {
            "items": [device_json(item) for item in page.items],
            "total": page.total,
            "page": page.page,
            "per_page": page.per_page,
            "pages": page.pages,
        }
    )


@bp.get("/devices/<asset_tag>")
@requires("view_devices")
def device(asset_tag: str) -> Any:
    """One device with its whole history, oldest event first."""
    session = db()
    found = _load_device(asset_tag)
    history = device_history(session, found)
    return jsonify(
        {
            **device_json(found),
            "events": [event_json(event) for event in history],
            "diagnostics": [run_json(run) for run in records.runs(session, found)],
            "erasures": [erasure_json(item) for item in records.all_erasures(session, found)],
        }
    )


@bp.post("/devices/<asset_tag>/transitions")
@requires("move")
def transition(asset_tag: str) -> Any:
    """Move a device to another stage."""
    found = _load_device(asset_tag)
    values = parse_body(TRANSITION)
    if values["to"] in ELSEWHERE:
        # A sale has its order and price, a return its reason: their own endpoints.
        raise IllegalTransition(
            N_("A device is %(to)s through %(endpoint)s, which records what goes with it."),
            to=values["to"],
            endpoint=ELSEWHERE[values["to"]],
            stage=found.stage,
            allowed=[move for move in allowed_moves(found.stage) if move not in ELSEWHERE],
        )
    if values["to"] == "recycled":
        recycling.recycle(
            db(),
            found,
            reason=values.get("reason"),
            weight_kg=values.get("weight_kg"),
            entered_by=api_user(),
            note=values.get("note"),
            expected_stage=values.get("from"),
        )
    else:
        for name in ("reason", "weight_kg"):
            if name in values:
                raise InvalidInput(N_("%(field)s goes only with a move to recycled."), field=name)
        stages.move_to_stage(
            db(),
            found,
            values["to"],
            entered_by=api_user(),
            note=values.get("note"),
            expected_stage=values.get("from"),
        )
    commit()
    return jsonify(device_json(found))


@bp.post("/devices/<asset_tag>/return")
@requires("sell")
def return_device(asset_tag: str) -> Any:
    """Take back a sold device, with the customer's reason."""
    found = _load_device(asset_tag)
    values = parse_body(RETURN)
    sales.return_device(
        db(), found, reason=values["reason"], note=values.get("note"), entered_by=api_user()
    )
    commit()
    return jsonify(device_json(found))


@bp.post("/sales")
@requires("sell")
def sell() -> Any:
    """Sell devices to a customer in one order: every device, or none."""
    values = parse_body(SALE)
    session = db()
    user = api_user()
    order = sales.open_order(
        session,
        customer=values["customer"],
        channel=values["channel"],
        reference=values.get("reference", ""),
        entered_by=user,
    )
    seen: set[str] = set()
    refused: list[dict[str, str]] = []
    for index, line in enumerate(values["lines"]):
        field = f"lines[{index}].asset_tag"
        tag = normalize(line["asset_tag"])
        try:
            device = devices.get_device(session, tag)
        except NotFound:
            raise InvalidInput(
                N_("No device has the asset tag %(asset_tag)s."), field=field, asset_tag=tag
            ) from None
        if device.asset_tag in seen:
            raise InvalidInput(
                N_("%(asset_tag)s is listed twice."), field=field, asset_tag=device.asset_tag
            )
        seen.add(device.asset_tag)
        price = sales.clean_price(line["price"], field=f"lines[{index}].price")
        if device.stage != "ready":
            # Name every refused device, not just the first, before giving up.
            refused.append({"asset_tag": device.asset_tag, "stage": device.stage})
            continue
        sales.add_to_order(session, order, device, price)
    if refused:
        raise sales.not_ready(refused)
    sales.complete_order(session, order, entered_by=user)
    commit()
    return jsonify(order_json(order)), 201


@bp.post("/devices/<asset_tag>/grade")
@requires("grade")
def grade(asset_tag: str) -> Any:
    """Grade a device: from the defects found, or by hand (over the defects' grade, an override)."""
    found = _load_device(asset_tag)
    values = parse_body(GRADE)
    session = db()
    try:
        if "defects" in values:
            if "reason" in values:
                raise InvalidInput(
                    N_("%(field)s goes only with a grade that overrides the defects' grade."),
                    field="reason",
                )
            grading.record_defects(
                session, found, values["defects"], entered_by=api_user(), note=values.get("note")
            )
        else:
            stages.set_grade(
                session,
                found,
                values["grade"],
                entered_by=api_user(),
                note=values.get("note"),
                reason=values.get("reason"),
            )
    except grading.OverrideRefused as error:
        raise Forbidden(error.template, **error.details) from None
    commit()
    current = grading.current_grading(session, found)
    return jsonify({**device_json(found), "grading": grading_json(current)})


def _has_control_characters(code: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in code)


@bp.post("/scans")
@requires("scan")
def scan() -> Any:
    """Tell what a scanned code is; every scan is logged, good or bad."""
    values = parse_body(SCAN)
    session = db()
    code = values["code"]
    # Line breaks and separators are blanks that normalize() drops; others mean a misread.
    if _has_control_characters(normalize(code)):
        code = "".join(char for char in code if unicodedata.category(char) != "Cc")
        resolution = scanning.Resolution(
            "invalid",
            normalize(code)[: scanning.MAX_CODE],
            template=N_("The code holds control characters: it was misread. Scan it again."),
        )
    else:
        resolution = scanning.resolve_code(session, code)
    scanning.log_scan(
        session,
        code,
        resolution.kind,
        user=api_user(),
        station=values.get("station", ""),
        device=resolution.device,
    )
    commit()
    body: dict[str, Any] = {"kind": resolution.kind, "code": resolution.code}
    if resolution.device is not None:
        body["device"] = device_json(resolution.device)
    if resolution.location is not None:
        body["location"] = location_json(resolution.location)
    if resolution.user is not None:
        body["staff"] = staff_json(resolution.user)
    if resolution.part is not None:
        # Imported here: workshop/api/repairs.py imports this module.
        from workshop.api.repairs import part_json

        body["part"] = part_json(resolution.part)
    if resolution.template:
        body["message"] = error_text(resolution)
    return jsonify(body)


@bp.get("/lots")
@requires("manage_lots")
def lot_list() -> Any:
    """Every donor lot, the newest first."""
    return jsonify({"items": [lot_json(lot) for lot in lots.list_lots(db())]})


@bp.post("/lots")
@requires("manage_lots")
def open_lot() -> Any:
    """Record a collection that has arrived from a donor."""
    values = parse_body(LOT)
    lot = lots.open_lot(
        db(),
        values["code"],
        donor=values.get("donor", ""),
        received_on=values.get("received_on"),
        reference=values.get("reference", ""),
        note=values.get("note", ""),
        entered_by=api_user(),
    )
    commit()
    return jsonify(lot_json(lot)), 201


@bp.post("/devices/<asset_tag>/location")
@requires("put_away")
def device_location(asset_tag: str) -> Any:
    """Put a device at a warehouse location."""
    found = _load_device(asset_tag)
    values = parse_body(PUT_AWAY)
    session = db()
    try:
        location = get_location(session, values["location"])
    except NotFound as error:
        # The location is named in the body, not the address: a 400 naming the field.
        raise InvalidInput(error.template, field="location", **error.details) from None
    put_away(session, found, location, entered_by=api_user(), expected_location=values.get("from"))
    commit()
    return jsonify(device_json(found))


@bp.get("/locations")
@requires("manage_locations")
def location_list() -> Any:
    """Every warehouse location, with how many devices sit there."""
    session = db()
    counts = devices_per_location(session)
    return jsonify(
        {
            "items": [
                location_json(location, counts.get(location.id, 0))
                for location in list_locations(session)
            ]
        }
    )


@bp.post("/locations")
@requires("manage_locations")
def new_location() -> Any:
    """Record a new shelf, bin, pallet or area; the answer holds its code for the label."""
    values = parse_body(LOCATION)
    location = create_location(db(), values["name"], values["kind"], entered_by=api_user())
    commit()
    return jsonify(location_json(location, 0)), 201


@bp.post("/devices/<asset_tag>/assignment")
@requires("work_queue")
def assign(asset_tag: str) -> Any:
    """A manager gives a device to a technician; a technician claims a free one for themselves."""
    found = _load_device(asset_tag)
    values = parse_body(ASSIGN)
    session = db()
    user = api_user()
    if not can("assign", user):
        if values["technician"].strip().lower() != user.username:
            raise Forbidden(
                N_(
                    "The role %(role)s may claim a device for itself only: give your own "
                    "username, or ask a manager to assign it to %(technician)s."
                ),
                role=user.role,
                technician=values["technician"],
                permission="assign",
            )
        before = assignments.active_assignment(session, found)
        assignment = assignments.claim(session, found, user)
        commit()
        return jsonify(assignment_json(assignment)), 200 if assignment is before else 201
    try:
        technician = assignments.get_holder(session, values["technician"])
    except NotFound as error:
        # The technician is named in the body, not the address: a 400 naming the field.
        raise InvalidInput(error.template, field="technician", **error.details) from None
    before = assignments.active_assignment(session, found)
    assignment = assignments.assign(session, found, technician, by=user)
    commit()
    return jsonify(assignment_json(assignment)), 200 if assignment is before else 201


@bp.delete("/devices/<asset_tag>/assignment")
@requires("work_queue")
def release(asset_tag: str) -> Any:
    """Give a device back to the pool: its holder, or a manager, may."""
    found = _load_device(asset_tag)
    session = db()
    user = api_user()
    current = assignments.active_assignment(session, found)
    if current is not None and current.technician_id != user.id and not can("assign", user):
        raise Forbidden(
            N_("%(asset_tag)s is assigned to %(holder)s: only they or a manager can release it."),
            asset_tag=found.asset_tag,
            holder=current.technician.username,
        )
    assignment = assignments.release(session, found, by=user)
    commit()
    return jsonify(assignment_json(assignment))


@bp.get("/me/queue")
@requires("work_queue")
def my_queue() -> Any:
    """The caller's assigned devices, the oldest assignment first."""
    return jsonify(
        {"items": [assignment_json(item) for item in assignments.queue(db(), api_user())]}
    )


@bp.post("/devices/<asset_tag>/checks")
@requires("check_devices")
def answer_checks(asset_tag: str) -> Any:
    """Answer some of a device's manual checks; the answer holds every check as it stands."""
    found = _load_device(asset_tag)
    values = parse_body(CHECKS)
    session = db()
    checks.answer_checks(
        session, found, values["results"], values.get("notes"), entered_by=api_user()
    )
    commit()
    return jsonify(checks_json(checks.device_checks(session, found)))


def _run_result(values: dict[str, Any]) -> RunResult:
    """The RunResult a bench agent sent, as the runner would have returned it."""
    bench = values.get("bench")
    return RunResult(
        script=values["script"],
        outcome=values["outcome"],
        code=values.get("code", ""),
        message=values.get("message", ""),
        started_at=values["started_at"],
        ended_at=values.get("ended_at"),
        bench=BenchIdentity(**bench) if bench else None,
        steps=[
            StepResult(item["name"], item["outcome"], item.get("code", ""), item.get("message", ""))
            for item in values.get("steps", [])
        ],
        measurements=[
            Measurement(
                step=item["step"],
                name=item["name"],
                value=item.get("value"),
                unit=item.get("unit", ""),
                low=item.get("low"),
                high=item.get("high"),
                required=item.get("required", True),
                outcome=item["outcome"],
            )
            for item in values.get("measurements", [])
        ],
        erasures=[
            Erasure(
                drive_model=item["drive_model"],
                drive_serial=item["drive_serial"],
                capacity_bytes=item["capacity_bytes"],
                drive_type=item["drive_type"],
                method=item["method"],
                nist_category=item.get("nist_category") or records.NIST_CATEGORY[item["method"]],
                verified=item["verified"],
                verification=item.get("verification", ""),
                started_at=item["started_at"],
                ended_at=item["ended_at"],
            )
            for item in values.get("erasures", [])
        ],
        transcript=[
            TranscriptLine(item["at"], item["direction"], item["text"])
            for item in values.get("transcript", [])
        ],
    )


@bp.post("/devices/<asset_tag>/diagnostics")
@requires("record_diagnostics")
def post_diagnostics(asset_tag: str) -> Any:
    """Store a diagnostic run's result sent by a bench agent, with its erasures."""
    found = _load_device(asset_tag)
    values = parse_body(DIAGNOSTIC)
    result = _run_result(values)
    # The limits applied are the ones each measurement carries.
    applied = {item.name: Limits(item.low, item.high) for item in result.measurements}
    run = records.record_run(
        db(),
        found,
        result,
        operator=api_user(),
        station=values.get("station", ""),
        limits_applied=applied,
    )
    commit()
    return jsonify(run_json(run)), 201


@bp.post("/devices/<asset_tag>/erasures")
@requires("record_diagnostics")
def post_erasure(asset_tag: str) -> Any:
    """Record a drive erased elsewhere, with the erasure tool's log."""
    found = _load_device(asset_tag)
    values = parse_body(MANUAL_ERASURE)
    record = records.record_manual_erasure(
        db(),
        found,
        drive_model=values["drive_model"],
        drive_serial=values["drive_serial"],
        capacity_bytes=values["capacity_bytes"],
        drive_type=values["drive_type"],
        method=values["method"],
        tool=values["tool"],
        log=values["log"],
        verified=values.get("verified", True),
        verification=values.get("verification", ""),
        started_at=values.get("started_at"),
        ended_at=values.get("ended_at"),
        entered_by=api_user(),
    )
    commit()
    return jsonify(erasure_json(record)), 201


@bp.post("/devices/<asset_tag>/destroyed-drives")
@requires("record_diagnostics")
def post_destroyed_drive(asset_tag: str) -> Any:
    """Record a drive pulled out and physically destroyed instead of erased."""
    found = _load_device(asset_tag)
    values = parse_body(DESTROYED_DRIVE)
    record = records.record_destroyed_drive(
        db(),
        found,
        drive_serial=values["drive_serial"],
        drive_model=values.get("drive_model"),
        capacity_bytes=values.get("capacity_bytes"),
        drive_type=values.get("drive_type"),
        destruction=values["destruction"],
        replaced=values["replaced"],
        reference=values.get("reference") or "",
        destroyed_at=values.get("destroyed_at"),
        entered_by=api_user(),
    )
    commit()
    return jsonify(erasure_json(record)), 201


@bp.post("/devices/<asset_tag>/no-storage")
@requires("record_diagnostics")
def post_no_storage(asset_tag: str) -> Any:
    """Record that a device has no storage in its current cycle: no drive to erase."""
    found = _load_device(asset_tag)
    values = parse_body(NO_STORAGE)
    session = db()
    before = records.no_storage(session, found)
    declaration = records.mark_no_storage(
        session, found, entered_by=api_user(), note=values.get("note")
    )
    commit()
    return jsonify(no_storage_json(found, declaration)), 200 if before is not None else 201


# -- bench jobs ---------------------------------------------------------------------------------


def _lost_after() -> timedelta:
    """How long a bench agent may stay silent before its job counts as lost."""
    return timedelta(seconds=current_app.config.get("BENCH_AGENT_LOST_AFTER", 60))


@bp.post("/devices/<asset_tag>/jobs")
@requires("record_diagnostics")
def request_job(asset_tag: str) -> Any:
    """Ask a station's bench to run a script on a device; its bench agent picks the job up."""
    found = _load_device(asset_tag)
    values = parse_body(JOB)
    job = jobs.request_job(
        db(), found, values["script"], values["station"], requested_by=api_user()
    )
    commit()
    return jsonify(job_json(job)), 201


@bp.get("/devices/<asset_tag>/jobs")
@requires("view_devices")
def device_jobs(asset_tag: str) -> Any:
    """A device's latest bench jobs, the newest first, with their progress."""
    jobs.sweep_when_stale(sessions(), lost_after=_lost_after())
    found = _load_device(asset_tag)
    return jsonify({"items": [job_json(job) for job in jobs.jobs_for(db(), found)]})


@bp.post("/agent/claim")
@requires("record_diagnostics")
def agent_claim() -> Any:
    """A bench agent takes its station's oldest waiting job it can run: 204 when there is none."""
    values = parse_body(CLAIM)
    session = db()
    job = jobs.claim_next(
        session, values["station"], values["scripts"], agent=api_user(), lost_after=_lost_after()
    )
    if job is None:
        commit()
        return Response(status=204)
    limits = records.limits_for(session, job.device.category, job.script)
    commit()
    body = {
        **job_json(job),
        "limits": {name: {"low": item.low, "high": item.high} for name, item in limits.items()},
    }
    return jsonify(body)


def _agent_job(job_id: int) -> BenchJob:
    return jobs.get_job(db(), job_id)


@bp.post("/agent/jobs/<int:job_id>/progress")
@requires("record_diagnostics")
def agent_progress(job_id: int) -> Any:
    """A bench agent says how far its run is; the answer says whether to stop it."""
    values = parse_body(PROGRESS)
    job = _agent_job(job_id)
    abort = jobs.report_progress(
        db(), job, agent=api_user(), percent=values.get("percent"), message=values.get("message")
    )
    commit()
    return jsonify({"abort": abort})


@bp.post("/agent/jobs/<int:job_id>/result")
@requires("record_diagnostics")
def agent_result(job_id: int) -> Any:
    """A bench agent sends its run's result: the job ends, the run is stored on the device."""
    values = parse_body(DIAGNOSTIC)
    job = _agent_job(job_id)
    if values["script"] != job.script:
        raise InvalidInput(
            N_("The result is of the script %(value)s, but the job is of %(script)s."),
            field="script",
            value=values["script"],
            script=job.script,
        )
    run = jobs.finish_job(db(), job, _run_result(values), agent=api_user())
    commit()
    return jsonify(run_json(run))
