"""Diagnostic runs and erasure records in the workshop, and their gate on `ready`.

A run is stored from before the bench hears its first byte (`start_run`), then
finished with the RunResult the runner returned (`finish_run`); both are events
of the device, and so is every drive erased. What `ready` asks is kept in one
table, REQUIRED_SCRIPTS: per category, the scripts whose latest run in the
device's current cycle must have passed. Besides, a device of such a category
needs an erasure record for every drive it is known to have, or to be recorded
as having no storage. Like the services in inventory/, these take the session
first and never commit.

A drive that cannot be erased (it is dying) is pulled out and physically
destroyed instead (`record_destroyed_drive`): an erasure record with the method
DESTROY, NIST SP 800-88 Destroy. The rule for the gates:

- a destroyed drive is dealt with: the storage gate no longer waits for it, but
  it never stands in for an erasure run (a destroyed drive erased nothing);
- when every drive known in the cycle was destroyed and none of the
  destructions says another drive was put in its place, the device has no
  storage left: like a device recorded as having none, it needs no disk-health
  or erasure run and no erasure record;
- a drive put in place of a destroyed one is a drive like any other: once a
  bench sees it, it must be erased, and until then a destruction that says it
  was replaced keeps the storage gate closed unless another drive was erased.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from diagnostics import messages, scripts
from diagnostics.results import OUTCOMES, BenchIdentity, Limits, RunResult
from diagnostics.scripts import NIST_CATEGORY, SCRIPTS
from inventory.accounts import User
from inventory.errors import N_, Conflict, IllegalTransition, InvalidInput
from inventory.events import record_event
from inventory.lifecycle import LEFT_STAGES, Gate, add_gate
from inventory.models import (
    CATEGORIES,
    DESTROY,
    DESTRUCTIONS,
    DRIVE_TYPES,
    ERASURE_METHODS,
    MEASUREMENT_OUTCOMES,
    NIST_DESTROY,
    BenchJob,
    Device,
    DiagnosticMeasurement,
    DiagnosticRun,
    ErasureRecord,
    LimitOverride,
    NoStorage,
)
from inventory.types import utcnow

# The scripts a device of each category must have passed, in its current cycle,
# to enter `ready`. A category not listed needs none. This is the one place to
# change it; the work card and the device page show the same list.
REQUIRED_SCRIPTS: dict[str, tuple[str, ...]] = {
    "laptop": ("battery", "disk-health", "erasure"),
    "desktop": ("psu", "disk-health", "erasure"),
}
# The scripts the workshop knows (diagnostics/scripts.py defines their steps).
SCRIPT_NAMES = tuple(SCRIPTS)
# Scripts that need a drive: a device with no storage cannot run them and is excused.
STORAGE_SCRIPTS = frozenset({"disk-health", "erasure"})

MAX_TEXT = 200
MAX_SERIAL = 100
MAX_LOG = 200_000
MAX_NOTE = 2000
MAX_MESSAGE = 2000
# Enough for any drive made: a petabyte.
MAX_CAPACITY = 10**15
# A destruction company's certificate number, or a locked bin's batch.
MAX_REFERENCE = 200
ERASURE_GATE = "an erasure record for every drive, or the device marked as having no storage"


def run_gate(script: str) -> str:
    """What the gate says is missing when a script's latest run did not pass."""
    return f"a passing {script} run"


# -- runs -------------------------------------------------------------------------------------


def _check_open(device: Device | None, doing: str) -> Device:
    """The device, if it is still in the workshop; `doing` (marked N_) says what it refuses."""
    if device is None:
        raise InvalidInput(N_("A run is stored on a device: name its asset tag."), field="device")
    if device.stage in LEFT_STAGES:
        raise IllegalTransition(
            N_("%(asset_tag)s has left the workshop (stage: %(stage)s): %(doing)s."),
            asset_tag=device.asset_tag,
            stage=device.stage,
            doing=doing,
            allowed=[],
        )
    return device


def _check_script(script: Any) -> str:
    if script not in SCRIPT_NAMES:
        raise InvalidInput(
            N_("Unknown script %(value)r."),
            field="script",
            value=str(script)[:100],
            allowed=list(SCRIPT_NAMES),
        )
    return script


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput(N_("%(field)s must give its UTC offset."), field=name)
    return value


def _take_turn(session: Session, device: Device) -> None:
    """Mark the device as changed, so a move to `ready` decided on older results fails."""
    devices = Device.__table__
    session.execute(
        update(devices).where(devices.c.id == device.id).values(version=devices.c.version + 1)
    )
    session.refresh(device, ["version"])


def _set_bench(run: DiagnosticRun, bench: BenchIdentity | None) -> None:
    if bench is None:
        return
    run.bench_maker = bench.maker[:100]
    run.bench_model = bench.model[:40]
    run.bench_serial = bench.serial[:100]
    run.bench_firmware = bench.firmware[:40]


def start_run(
    session: Session,
    device: Device | None,
    script: str,
    *,
    operator: User | None,
    station: str = "",
    bench: BenchIdentity | None = None,
    started_at: datetime | None = None,
) -> DiagnosticRun:
    """Store a run as going on (outcome `aborted` until it ends), before the bench is spoken to."""
    device = _check_open(device, N_("it cannot be tested"))
    _check_script(script)
    started_at = _aware(started_at, "started_at") or utcnow()
    run = DiagnosticRun(
        device=device,
        cycle=device.cycle,
        script=script,
        outcome="aborted",
        code="",
        message="",
        operator=operator,
        station=(station or "")[:64],
        started_at=started_at,
        ended_at=None,
        limits={},
        steps=[],
        drives=[],
        transcript="",
    )
    _set_bench(run, bench)
    session.add(run)
    session.flush()
    record_event(
        session,
        "diagnostic_started",
        device=device,
        entered_by=operator,
        occurred_at=started_at,
        cycle=device.cycle,
        stage=device.stage,
        script=script,
        run=run.id,
        station=run.station or None,
    )
    return run


def _limits_json(limits: Mapping[str, Limits]) -> dict[str, Any]:
    return {name: {"low": item.low, "high": item.high} for name, item in limits.items()}


def _transcript_text(result: RunResult) -> str:
    lines = []
    for line in result.transcript:
        # One stored line per text line, so a stray line break cannot fake a direction.
        text = line.text.replace("\r", "\\r").replace("\n", "\\n")
        lines.append(f"{line.at.astimezone(UTC).isoformat()} {line.direction} {text}")
    return "\n".join(lines)


def drives_in(result: RunResult) -> list[dict[str, Any]]:
    """The drives a run saw: the bench's answers to DISK:INFO? and the drives it erased."""
    found: dict[str, dict[str, Any]] = {}
    asked = False
    for line in result.transcript:
        if line.direction == ">":
            asked = line.text.strip().upper() == "DISK:INFO?"
        elif line.direction == "<" and asked and not line.text.startswith("#"):
            asked = False
            parts = [part.strip() for part in line.text.strip().split(",")]
            if len(parts) == 4 and parts[1]:
                model, serial, capacity, kind = parts
                found.setdefault(
                    serial,
                    {
                        "model": model,
                        "serial": serial,
                        "capacity_bytes": int(capacity) if capacity.isdigit() else None,
                        "type": kind.upper(),
                    },
                )
    for erasure in result.erasures:
        found.setdefault(
            erasure.drive_serial,
            {
                "model": erasure.drive_model,
                "serial": erasure.drive_serial,
                "capacity_bytes": erasure.capacity_bytes,
                "type": erasure.drive_type,
            },
        )
    return list(found.values())


def _bench_line(run: DiagnosticRun) -> str:
    if not run.bench_model:
        return ""
    return (
        f"{run.bench_maker} {run.bench_model} {run.bench_serial} (firmware {run.bench_firmware})"
    )[:MAX_TEXT]


def _number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _check_result(result: RunResult) -> None:
    """Refuse a result the records could not hold, naming the field, before anything is saved."""
    _choice(result.outcome, OUTCOMES, "outcome", upper=False)
    for index, measurement in enumerate(result.measurements):
        _choice(
            measurement.outcome,
            MEASUREMENT_OUTCOMES,
            f"measurements[{index}].outcome",
            upper=False,
        )
    for index, erasure in enumerate(result.erasures):
        _choice(erasure.drive_type, DRIVE_TYPES, f"erasures[{index}].drive_type")
        _choice(erasure.method, ERASURE_METHODS, f"erasures[{index}].method")
        _aware(erasure.started_at, f"erasures[{index}].started_at")
        _aware(erasure.ended_at, f"erasures[{index}].ended_at")
        if erasure.nist_category != NIST_CATEGORY[erasure.method.strip().upper()]:
            raise InvalidInput(
                N_("%(field)s: the method %(method)s is %(category)s in NIST SP 800-88."),
                field=f"erasures[{index}].nist_category",
                method=erasure.method,
                category=NIST_CATEGORY[erasure.method.strip().upper()],
            )


def finish_run(
    session: Session,
    run: DiagnosticRun,
    result: RunResult,
    *,
    limits_applied: Mapping[str, Limits] | None = None,
) -> DiagnosticRun:
    """End a started run with what the runner returned: measurements, erasures, one event each."""
    if not run.running:
        raise Conflict(
            N_("This run of %(script)s already ended (%(outcome)s): it cannot end twice."),
            script=run.script,
            outcome=run.outcome,
        )
    if result.script != run.script:
        raise InvalidInput(
            N_("The result is of the script %(value)s, but the run is of %(script)s."),
            field="script",
            value=str(result.script)[:100],
            script=run.script,
        )
    _check_result(result)
    device = run.device
    ended_at = _aware(result.ended_at, "ended_at") or utcnow()
    if ended_at < run.started_at:
        raise InvalidInput(N_("%(field)s comes before the start."), field="ended_at")
    _take_turn(session, device)
    run.outcome = result.outcome
    run.code = (result.code or "")[:40]
    run.message = (result.message or "")[:MAX_MESSAGE]
    _set_bench(run, result.bench)
    run.ended_at = ended_at
    run.limits = _limits_json(limits_applied or {})
    run.steps = [
        {"name": step.name, "outcome": step.outcome, "code": step.code, "message": step.message}
        for step in result.steps
    ]
    run.drives = drives_in(result)
    run.transcript = _transcript_text(result)
    for measurement in result.measurements:
        run.measurements.append(
            DiagnosticMeasurement(
                step=measurement.step[:40],
                name=measurement.name[:60],
                value=_number(measurement.value),
                unit=(measurement.unit or "")[:20],
                low=_number(measurement.low),
                high=_number(measurement.high),
                required=bool(measurement.required),
                outcome=measurement.outcome,
            )
        )
    session.flush()
    # The drives were erased before the run ended: their events come first.
    for erasure in result.erasures:
        record = ErasureRecord(
            device=device,
            cycle=run.cycle,
            run=run,
            drive_model=erasure.drive_model[:200],
            drive_serial=erasure.drive_serial[:MAX_SERIAL],
            capacity_bytes=max(0, int(erasure.capacity_bytes)),
            drive_type=erasure.drive_type.strip().upper(),
            method=erasure.method.strip().upper(),
            nist_category=NIST_CATEGORY[erasure.method.strip().upper()],
            tool=_bench_line(run),
            operator=run.operator,
            started_at=erasure.started_at,
            ended_at=erasure.ended_at,
            verified=bool(erasure.verified),
            verification=erasure.verification or "",
            manual=False,
            log="",
            recorded_by=run.operator,
            recorded_at=utcnow(),
        )
        session.add(record)
        session.flush()
        _erasure_event(session, record, entered_by=run.operator)
    record_event(
        session,
        "diagnostic_run",
        device=device,
        entered_by=run.operator,
        occurred_at=ended_at,
        cycle=run.cycle,
        stage=device.stage,
        script=run.script,
        run=run.id,
        outcome=run.outcome,
        code=run.code or None,
        message=run.message or None,
        bench=_bench_line(run) or None,
        failed=[item.name for item in run.measurements if item.outcome == "fail"] or None,
    )
    return run


def record_run(
    session: Session,
    device: Device | None,
    result: RunResult,
    *,
    operator: User | None,
    station: str = "",
    limits_applied: Mapping[str, Limits] | None = None,
) -> DiagnosticRun:
    """Store a whole run at once (a result posted by a bench agent, an import)."""
    run = start_run(
        session,
        device,
        result.script,
        operator=operator,
        station=station,
        bench=result.bench,
        started_at=result.started_at,
    )
    return finish_run(session, run, result, limits_applied=limits_applied)


def close_abandoned_runs(
    session: Session,
    older_than: timedelta | datetime,
    *,
    now: datetime | None = None,
    script: str | None = None,
    entered_by: User | None = None,
) -> list[DiagnosticRun]:
    """End as `aborted` the runs still open that started before a moment (their process died).

    Of one script when given. A run that a bench job still drives is left to jobs.sweep,
    which ends it once its agent stops reporting.
    """
    now = now or utcnow()
    before = now - older_than if isinstance(older_than, timedelta) else older_than
    query = select(DiagnosticRun).where(
        DiagnosticRun.ended_at.is_(None),
        DiagnosticRun.started_at < before,
        DiagnosticRun.id.not_in(_driven_runs()),
    )
    if script is not None:
        query = query.where(DiagnosticRun.script == script)
    runs = list(session.scalars(query.order_by(DiagnosticRun.id)))
    return [run for run in runs if _end_abandoned(session, run, now, entered_by)]


def close_abandoned_run(session: Session, run: DiagnosticRun, *, entered_by: User | None) -> bool:
    """End one open run as `aborted`, someone saying it was abandoned; False if it had ended."""
    if not run.running:
        return False
    job = session.scalar(select(BenchJob).where(BenchJob.id.in_(_driving_jobs(run))).limit(1))
    if job is not None:
        raise Conflict(
            N_(
                "This run is driven by the bench agent of the station %(station)s: stop it "
                "from the work card. It ends by itself if the agent stops reporting."
            ),
            station=job.station,
            job=job.id,
        )
    return _end_abandoned(session, run, utcnow(), entered_by)


def _driven_runs() -> Any:
    """The runs a bench job is running (never NULL: NOT IN would then match nothing)."""
    return select(BenchJob.run_id).where(BenchJob.state == "running", BenchJob.run_id.is_not(None))


def _driving_jobs(run: DiagnosticRun) -> Any:
    return select(BenchJob.id).where(BenchJob.state == "running", BenchJob.run_id == run.id)


def _end_abandoned(
    session: Session, run: DiagnosticRun, now: datetime, entered_by: User | None
) -> bool:
    """End the run as abandoned unless it ended meanwhile (its program, another person)."""
    table = DiagnosticRun.__table__
    ended = session.execute(
        update(table)
        .where(table.c.id == run.id, table.c.ended_at.is_(None))
        .values(outcome="aborted", code="abandoned", message=messages.ABANDONED, ended_at=now)
    )
    session.refresh(run)
    if ended.rowcount != 1:
        return False
    record_event(
        session,
        "diagnostic_run",
        device=run.device,
        entered_by=entered_by,
        occurred_at=now,
        cycle=run.cycle,
        stage=run.device.stage,
        script=run.script,
        run=run.id,
        outcome="aborted",
        code="abandoned",
    )
    return True


# -- erasures and storage ---------------------------------------------------------------------


def _choice(value: Any, choices: tuple[str, ...], name: str, *, upper: bool = True) -> str:
    if upper and isinstance(value, str):
        value = value.strip().upper()
    if value not in choices:
        raise InvalidInput(
            N_("%(field)s: unknown value %(value)r."),
            field=name,
            value=str(value)[:100],
            allowed=list(choices),
        )
    return value


def _text(value: Any, name: str, limit: int, *, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(N_("%(field)s must be text."), field=name)
    value = value.strip()
    if required and not value:
        raise InvalidInput(N_("%(field)s is required."), field=name)
    if len(value) > limit:
        raise InvalidInput(
            N_("%(field)s is at most %(limit)s characters."), field=name, limit=limit
        )
    return value


def _drive_event(
    session: Session, kind: str, record: ErasureRecord, entered_by: User | None, **more: Any
) -> None:
    """The event of an erasure record: the drive, how it was dealt with, and `more`."""
    record_event(
        session,
        kind,
        device=record.device,
        entered_by=entered_by,
        performed_by=record.operator,
        occurred_at=record.ended_at,
        cycle=record.cycle,
        stage=record.device.stage,
        erasure=record.id,
        drive_model=record.drive_model,
        drive_serial=record.drive_serial,
        capacity_bytes=record.capacity_bytes,
        drive_type=record.drive_type,
        method=record.method,
        nist_category=record.nist_category,
        **more,
    )


def _erasure_event(session: Session, record: ErasureRecord, *, entered_by: User | None) -> None:
    _drive_event(
        session,
        "erasure",
        record,
        entered_by,
        run=record.run_id,
        tool=record.tool or None,
        verified=record.verified,
        manual=record.manual,
    )


def record_manual_erasure(
    session: Session,
    device: Device,
    *,
    drive_model: Any,
    drive_serial: Any,
    capacity_bytes: Any,
    drive_type: Any,
    method: Any,
    tool: Any,
    log: Any,
    verified: bool = True,
    verification: Any = "",
    operator: User | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    entered_by: User | None,
) -> ErasureRecord:
    """Record a drive erased elsewhere (another tool, another machine), with the tool's log."""
    _check_open(device, N_("its erasures cannot be recorded"))
    drive_model = _text(drive_model, "drive_model", MAX_TEXT)
    drive_serial = _text(drive_serial, "drive_serial", MAX_SERIAL)
    if isinstance(capacity_bytes, bool) or not isinstance(capacity_bytes, int):
        raise InvalidInput(N_("%(field)s must be a whole number."), field="capacity_bytes")
    if not 0 < capacity_bytes <= MAX_CAPACITY:
        raise InvalidInput(
            N_("%(field)s must be between %(minimum)s and %(maximum)s."),
            field="capacity_bytes",
            minimum="1",
            maximum=str(MAX_CAPACITY),
        )
    drive_type = _choice(drive_type, DRIVE_TYPES, "drive_type")
    method = _choice(method, ERASURE_METHODS, "method")
    tool = _text(tool, "tool", MAX_TEXT)
    log = _text(log, "log", MAX_LOG)
    verification = _text(verification, "verification", MAX_NOTE, required=False)
    now = utcnow()
    ended_at = _aware(ended_at, "ended_at") or now
    started_at = _aware(started_at, "started_at") or ended_at
    if started_at > ended_at:
        raise InvalidInput(N_("%(field)s comes after the end."), field="started_at")
    _take_turn(session, device)
    record = ErasureRecord(
        device=device,
        cycle=device.cycle,
        run=None,
        drive_model=drive_model,
        drive_serial=drive_serial,
        capacity_bytes=capacity_bytes,
        drive_type=drive_type,
        method=method,
        nist_category=NIST_CATEGORY[method],
        tool=tool,
        operator=operator or entered_by,
        started_at=started_at,
        ended_at=ended_at,
        verified=bool(verified),
        verification=verification,
        manual=True,
        log=log,
        recorded_by=entered_by,
        recorded_at=now,
    )
    session.add(record)
    session.flush()
    _erasure_event(session, record, entered_by=entered_by)
    return record


def _destroyed_event(session: Session, record: ErasureRecord, *, entered_by: User | None) -> None:
    _drive_event(
        session,
        "drive_destroyed",
        record,
        entered_by,
        destruction=record.destruction,
        reference=record.reference or None,
        replaced=record.replaced,
    )


def _seen_drive(session: Session, device: Device, serial: str) -> dict[str, Any] | None:
    """The drive of that serial the benches saw in this cycle: exactly, else ignoring case."""
    drives = known_drives(session, device)
    for drive in drives:
        if drive["serial"] == serial:
            return drive
    alike = [drive for drive in drives if drive["serial"].casefold() == serial.casefold()]
    return alike[0] if len(alike) == 1 else None


def _destroyed_details(
    seen: dict[str, Any] | None, serial: str, model: Any, capacity: Any, kind: Any
) -> tuple[str, int, str]:
    """Model, capacity and type: the benches' for a drive they saw, else those given."""
    if seen is not None:
        # The benches read them from the drive itself: those given only fill what they lack.
        model = seen.get("model") or model
        if isinstance(seen.get("capacity_bytes"), int) and seen["capacity_bytes"] > 0:
            capacity = seen["capacity_bytes"]
        if str(seen.get("type") or "").strip().upper() in DRIVE_TYPES:
            kind = seen["type"]
    if not isinstance(model, str) or not model.strip():
        raise InvalidInput(
            N_("Drive %(serial)s was seen by no bench: give its model."),
            field="drive_model",
            serial=serial,
        )
    model = model.strip()
    if len(model) > MAX_TEXT:
        raise InvalidInput(
            N_("A drive model is at most %(limit)s characters."),
            field="drive_model",
            limit=MAX_TEXT,
        )
    if (
        isinstance(capacity, bool)
        or not isinstance(capacity, int)
        or not 0 < capacity <= MAX_CAPACITY
    ):
        raise InvalidInput(
            N_(
                "Drive %(serial)s was seen by no bench: give its capacity, a whole number of "
                "bytes from 1 to %(maximum)s."
            ),
            field="capacity_bytes",
            serial=serial,
            maximum=str(MAX_CAPACITY),
        )
    kind = kind.strip().upper() if isinstance(kind, str) else kind
    if kind not in DRIVE_TYPES:
        raise InvalidInput(
            N_("Drive %(serial)s was seen by no bench: give its type, one of %(types)s."),
            field="drive_type",
            serial=serial,
            types=", ".join(DRIVE_TYPES),
            allowed=list(DRIVE_TYPES),
        )
    return model, capacity, kind


def destroyed_serials(session: Session, device: Device) -> set[str]:
    """The serials of the drives recorded as destroyed in the device's current cycle."""
    return {record.drive_serial for record in erasures(session, device) if record.destroyed}


def record_destroyed_drive(
    session: Session,
    device: Device | None,
    *,
    drive_serial: Any,
    destruction: Any,
    replaced: Any,
    reference: Any = "",
    drive_model: Any = None,
    capacity_bytes: Any = None,
    drive_type: Any = None,
    operator: User | None = None,
    destroyed_at: datetime | None = None,
    entered_by: User | None,
) -> ErasureRecord:
    """Record a drive pulled out of the device and physically destroyed (NIST Destroy).

    The drive is one the benches saw (named by its serial: their model, capacity and type
    stand), or one no bench saw, described by what is given. Once per drive and cycle.
    """
    if device is None:
        raise InvalidInput(
            N_("A drive is recorded as destroyed on a device: name its asset tag."),
            field="device",
        )
    if device.stage in LEFT_STAGES:
        raise IllegalTransition(
            N_(
                "%(asset_tag)s has left the workshop (stage: %(stage)s): its drives cannot be "
                "recorded as destroyed."
            ),
            asset_tag=device.asset_tag,
            stage=device.stage,
            allowed=[],
        )
    if not isinstance(drive_serial, str) or not drive_serial.strip():
        raise InvalidInput(N_("Give the serial of the drive destroyed."), field="drive_serial")
    serial = drive_serial.strip()
    if len(serial) > MAX_SERIAL:
        raise InvalidInput(
            N_("A drive serial is at most %(limit)s characters."),
            field="drive_serial",
            limit=MAX_SERIAL,
        )
    how = destruction.strip().lower() if isinstance(destruction, str) else destruction
    if how not in DESTRUCTIONS:
        raise InvalidInput(
            N_("Say how the drive was destroyed: one of %(choices)s."),
            field="destruction",
            value=str(destruction)[:100],
            choices=", ".join(DESTRUCTIONS),
            allowed=list(DESTRUCTIONS),
        )
    if not isinstance(replaced, bool):
        raise InvalidInput(
            N_("Say whether another drive was put in place of the one destroyed."),
            field="replaced",
        )
    if reference is None:
        reference = ""
    if not isinstance(reference, str) or len(reference.strip()) > MAX_REFERENCE:
        raise InvalidInput(
            N_("The destruction's reference is text of at most %(limit)s characters."),
            field="reference",
            limit=MAX_REFERENCE,
        )
    reference = reference.strip()
    destroyed_at = _aware(destroyed_at, "destroyed_at") or utcnow()
    seen = _seen_drive(session, device, serial)
    if seen is not None:
        serial = seen["serial"]
    model, capacity, kind = _destroyed_details(
        seen, serial, drive_model, capacity_bytes, drive_type
    )
    # Taken before looking for a twin: a second submit waits for the first to commit, then
    # finds its record (the unique index stops whatever would still slip through).
    _take_turn(session, device)
    if serial in destroyed_serials(session, device):
        raise Conflict(
            N_("Drive %(drive_serial)s is already recorded as destroyed on %(asset_tag)s."),
            drive_serial=serial,
            asset_tag=device.asset_tag,
        )
    record = ErasureRecord(
        device=device,
        cycle=device.cycle,
        run=None,
        drive_model=model,
        drive_serial=serial,
        capacity_bytes=capacity,
        drive_type=kind,
        method=DESTROY,
        nist_category=NIST_DESTROY,
        tool="",
        operator=operator or entered_by,
        started_at=destroyed_at,
        ended_at=destroyed_at,
        # Destroyed is as final as erased and verified: the drive holds nothing readable.
        verified=True,
        verification="",
        manual=True,
        log="",
        recorded_by=entered_by,
        recorded_at=utcnow(),
        destruction=how,
        reference=reference,
        replaced=replaced,
    )
    session.add(record)
    session.flush()
    _destroyed_event(session, record, entered_by=entered_by)
    return record


def no_storage(session: Session, device: Device) -> NoStorage | None:
    """The declaration that the device has no storage in its current cycle, if made."""
    return session.scalar(
        select(NoStorage).where(NoStorage.device_id == device.id, NoStorage.cycle == device.cycle)
    )


def mark_no_storage(
    session: Session, device: Device, *, entered_by: User | None, note: Any = None
) -> NoStorage:
    """Record that the device has no drive in this cycle (idempotent: once per cycle)."""
    _check_open(device, N_("it cannot be changed"))
    note = _text(note, "note", MAX_NOTE, required=False)
    existing = no_storage(session, device)
    if existing is not None:
        return existing
    _take_turn(session, device)
    event = record_event(
        session,
        "no_storage",
        device=device,
        entered_by=entered_by,
        cycle=device.cycle,
        stage=device.stage,
        note=note or None,
    )
    session.flush()
    declaration = NoStorage(
        device_id=device.id,
        cycle=device.cycle,
        note=note,
        declared_by=entered_by,
        declared_at=event.occurred_at,
        event_id=event.id,
    )
    session.add(declaration)
    session.flush()
    return declaration


# -- reading ----------------------------------------------------------------------------------


def runs(session: Session, device: Device, *, cycle: int | None = None) -> list[DiagnosticRun]:
    """The device's runs, the newest first (of one cycle when given)."""
    query = select(DiagnosticRun).where(DiagnosticRun.device_id == device.id)
    if cycle is not None:
        query = query.where(DiagnosticRun.cycle == cycle)
    return list(
        session.scalars(query.order_by(DiagnosticRun.started_at.desc(), DiagnosticRun.id.desc()))
    )


def latest_runs(session: Session, device: Device) -> dict[str, DiagnosticRun]:
    """The latest run of each script in the device's current cycle, by script."""
    latest: dict[str, DiagnosticRun] = {}
    for run in runs(session, device, cycle=device.cycle):
        latest.setdefault(run.script, run)
    return latest


def erasures(session: Session, device: Device, *, cycle: int | None = None) -> list[ErasureRecord]:
    """The device's erasure records, oldest first; of its current cycle unless one is given."""
    query = select(ErasureRecord).where(
        ErasureRecord.device_id == device.id,
        ErasureRecord.cycle == (device.cycle if cycle is None else cycle),
    )
    return list(session.scalars(query.order_by(ErasureRecord.ended_at, ErasureRecord.id)))


def all_erasures(session: Session, device: Device) -> list[ErasureRecord]:
    """Every erasure record of the device, in every cycle, oldest first."""
    query = select(ErasureRecord).where(ErasureRecord.device_id == device.id)
    return list(session.scalars(query.order_by(ErasureRecord.ended_at, ErasureRecord.id)))


def required_scripts(category: str | None) -> tuple[str, ...]:
    """The scripts a category must pass to enter `ready`."""
    return REQUIRED_SCRIPTS.get(category or "", ())


def needs_storage_records(category: str | None) -> bool:
    """True when the category's devices need their drives erased (or no storage recorded)."""
    return bool(STORAGE_SCRIPTS & set(required_scripts(category)))


def known_drives(session: Session, device: Device) -> list[dict[str, Any]]:
    """The drives seen on the device in this cycle, by the benches or in erasure records."""
    found: dict[str, dict[str, Any]] = {}
    for run in reversed(runs(session, device, cycle=device.cycle)):
        for drive in run.drives or []:
            found.setdefault(drive["serial"], drive)
    for record in erasures(session, device):
        found.setdefault(
            record.drive_serial,
            {
                "model": record.drive_model,
                "serial": record.drive_serial,
                "capacity_bytes": record.capacity_bytes,
                "type": record.drive_type,
            },
        )
    return list(found.values())


@dataclass
class StorageStatus:
    """Where a device stands on erasure: the drives known, those erased or destroyed, and what
    is left."""

    drives: list[dict[str, Any]]
    erased: set[str]
    no_storage: NoStorage | None
    destroyed: set[str] = field(default_factory=set)
    # True when a destruction says another drive was put in place of the one destroyed.
    replaced: bool = False

    @property
    def unerased(self) -> list[dict[str, Any]]:
        """The drives seen with neither a verified erasure nor a destruction in this cycle."""
        return [
            drive
            for drive in self.drives
            if drive["serial"] not in self.erased and drive["serial"] not in self.destroyed
        ]

    @property
    def none_left(self) -> bool:
        """True when every drive known was destroyed and none replaced: no storage is left."""
        return (
            bool(self.drives)
            and not self.replaced
            and all(drive["serial"] in self.destroyed for drive in self.drives)
        )

    @property
    def complete(self) -> bool:
        """True when no storage is recorded or left, or every known drive is dealt with (erased
        or destroyed) and one still in the device was erased."""
        if self.no_storage is not None or self.none_left:
            return True
        return bool(self.erased - self.destroyed) and not self.unerased

    @property
    def awaiting_replacement(self) -> bool:
        """True when a destroyed drive was replaced and no drive in its place is erased yet."""
        return self.replaced and not self.unerased and not self.complete


def storage_status(session: Session, device: Device) -> StorageStatus:
    """The device's drives, erasures and destroyed drives in its current cycle."""
    found = erasures(session, device)
    return StorageStatus(
        known_drives(session, device),
        {record.drive_serial for record in found if record.verified and not record.destroyed},
        no_storage(session, device),
        {record.drive_serial for record in found if record.destroyed},
        any(record.replaced for record in found if record.destroyed),
    )


# -- limits ------------------------------------------------------------------------------------


def default_limits(script: str) -> dict[str, Limits]:
    """A script's measurements and their default limits, as diagnostics/scripts.py has them."""
    return dict(scripts.default_limits(scripts.SCRIPTS[_check_script(script)]))


def limits_for(session: Session, category: str | None, script: str) -> dict[str, Limits]:
    """A script's default limits with the administrator's overrides for the category."""
    limits = default_limits(script)
    if category is None:
        return limits
    for override in overrides(session, category, script):
        if override.measurement in limits:
            limits[override.measurement] = Limits(override.low, override.high)
    return limits


def overrides(
    session: Session, category: str | None = None, script: str | None = None
) -> list[LimitOverride]:
    """The administrator's limits, of one category and script when given."""
    query = select(LimitOverride)
    if category is not None:
        query = query.where(LimitOverride.category == category)
    if script is not None:
        query = query.where(LimitOverride.script == script)
    return list(
        session.scalars(
            query.order_by(LimitOverride.category, LimitOverride.script, LimitOverride.measurement)
        )
    )


def _limit_value(value: Any, name: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInput(N_("%(field)s must be a number."), field=name)
    return float(value)


def set_limits(
    session: Session,
    category: Any,
    script: Any,
    measurement: Any,
    *,
    low: Any,
    high: Any,
    entered_by: User | None,
) -> LimitOverride | None:
    """Give one measurement other limits for a category; back to the default when both are the
    default's. Returns the override, or None when the default applies again."""
    if category not in CATEGORIES:
        raise InvalidInput(
            N_("Unknown category %(value)r."),
            field="category",
            value=str(category)[:100],
            allowed=list(CATEGORIES),
        )
    defaults = default_limits(script)
    if measurement not in defaults:
        raise InvalidInput(
            N_("The script %(script)s measures no %(value)r."),
            field="measurement",
            script=script,
            value=str(measurement)[:100],
            allowed=list(defaults),
        )
    low, high = _limit_value(low, "low"), _limit_value(high, "high")
    if low is not None and high is not None and low > high:
        raise InvalidInput(N_("The low limit is above the high limit."), field="low")
    existing = session.scalar(
        select(LimitOverride).where(
            LimitOverride.category == category,
            LimitOverride.script == script,
            LimitOverride.measurement == measurement,
        )
    )
    default = defaults[measurement]
    before = Limits(existing.low, existing.high) if existing is not None else default
    after = Limits(low, high)
    if before == after:
        return existing
    if after == default:
        if existing is not None:
            session.delete(existing)
        result = None
    else:
        if existing is None:
            existing = LimitOverride(category=category, script=script, measurement=measurement)
            session.add(existing)
        existing.low, existing.high = low, high
        existing.changed_by = entered_by
        existing.changed_at = utcnow()
        result = existing
    session.flush()
    record_event(
        session,
        "diagnostic_limits_changed",
        device=None,
        entered_by=entered_by,
        category=category,
        script=script,
        measurement=measurement,
        previous={"low": before.low, "high": before.high},
        limits={"low": low, "high": high},
        default=after == default,
    )
    return result


# -- the gate on `ready` ------------------------------------------------------------------------


def _erased_elsewhere_since(session: Session, device: Device, run: DiagnosticRun | None) -> bool:
    """True when a drive was recorded as erased elsewhere after the latest erasure run (a drive
    destroyed erased nothing: it does not count)."""
    for record in erasures(session, device):
        if (
            record.manual
            and record.verified
            and not record.destroyed
            and (run is None or record.recorded_at >= run.started_at)
        ):
            return True
    return False


def _script_missing(position: int) -> Any:
    """The gate for the category's script at `position` in REQUIRED_SCRIPTS, if it has one."""

    def missing(session: Session, device: Device) -> str | None:
        wanted = required_scripts(device.category)
        if position >= len(wanted):
            return None
        script = wanted[position]
        if script in STORAGE_SCRIPTS and no_storage(session, device) is not None:
            return None
        run = latest_runs(session, device).get(script)
        if run is not None and run.outcome == "pass" and not run.running:
            return None
        # A drive erased by another tool stands in for the erasure run.
        if script == "erasure" and _erased_elsewhere_since(session, device, run):
            return None
        # Every drive destroyed, none in its place: nothing is left to test or erase.
        if script in STORAGE_SCRIPTS and storage_status(session, device).none_left:
            return None
        return run_gate(script)

    return missing


def _storage_missing(session: Session, device: Device) -> str | None:
    if not needs_storage_records(device.category):
        return None
    return None if storage_status(session, device).complete else ERASURE_GATE


# One gate per place in the longest list, so what is missing reads in the category's order.
for _position in range(max(map(len, REQUIRED_SCRIPTS.values()), default=0)):
    add_gate("ready", Gate(f"diagnostics_{_position + 1}", _script_missing(_position)))
add_gate("ready", Gate("erasure_records", _storage_missing))
