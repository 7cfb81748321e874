"""Devices, events and lots as the JSON the API answers with."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from inventory.accounts import User
from inventory.checks import DeviceChecks
from inventory.lifecycle import allowed_moves
from inventory.models import (
    Assignment,
    BenchJob,
    Device,
    DiagnosticRun,
    ErasureRecord,
    Event,
    Grading,
    Location,
    Lot,
    NoStorage,
    SaleOrder,
)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _username(user: User | None) -> str | None:
    return user.username if user is not None else None


def staff_json(user: User) -> dict[str, Any]:
    """The holder of a scanned staff badge: who they are, never their PIN."""
    return {"username": user.username, "name": user.name, "active": user.active}


def device_json(device: Device) -> dict[str, Any]:
    """A device, its identifiers and the moves it may make next."""
    return {
        "asset_tag": device.asset_tag,
        "serial_number": device.serial_number,
        "identifiers": [{"kind": item.kind, "value": item.value} for item in device.identifiers],
        "category": device.category,
        "make": device.make,
        "model": device.model,
        "specs": device.specs or {},
        # Kept exact as a Decimal; JSON clients want a number.
        "weight_kg": float(device.weight_kg) if device.weight_kg is not None else None,
        "lot": device.lot.code if device.lot is not None else None,
        "location": device.location.code if device.location is not None else None,
        "stage": device.stage,
        "stage_entered_at": _time(device.stage_entered_at),
        "grade": device.grade,
        "cycle": device.cycle,
        "received_at": _time(device.received_at),
        "allowed_moves": list(allowed_moves(device.stage)),
        "assigned_to": _username(
            device.active_assignment.technician if device.active_assignment else None
        ),
    }


def event_json(event: Event) -> dict[str, Any]:
    """One entry of the event log."""
    return {
        "id": event.id,
        "kind": event.kind,
        "from_stage": event.from_stage,
        "to_stage": event.to_stage,
        "entered_by": _username(event.entered_by),
        "performed_by": _username(event.performed_by),
        "occurred_at": _time(event.occurred_at),
        "recorded_at": _time(event.recorded_at),
        "payload": event.payload or {},
    }


def lot_json(lot: Lot) -> dict[str, Any]:
    """A donor lot."""
    return {
        "code": lot.code,
        "donor": lot.donor,
        "received_on": _day(lot.received_on),
        "reference": lot.reference,
        "note": lot.note,
        "created_at": _time(lot.created_at),
    }


def order_json(order: SaleOrder) -> dict[str, Any]:
    """A sale order and its lines; prices as text so the cents stay exact."""
    return {
        "id": order.id,
        "number": order.number,
        "customer": order.customer,
        "channel": order.channel,
        "reference": order.reference,
        "status": order.status,
        "created_by": _username(order.created_by),
        "created_at": _time(order.created_at),
        "completed_at": _time(order.completed_at),
        "lines": [
            {
                "asset_tag": line.device.asset_tag,
                "category": line.device.category,
                "make": line.device.make,
                "model": line.device.model,
                "grade": line.device.grade,
                "price": str(line.price),
            }
            for line in order.lines
        ],
        "total": str(order.total),
    }


def location_json(location: Location, devices: int | None = None) -> dict[str, Any]:
    """A warehouse location, with how many devices sit there when counted."""
    body: dict[str, Any] = {
        "code": location.code,
        "name": location.name,
        "kind": location.kind,
        "active": location.active,
        "created_at": _time(location.created_at),
    }
    if devices is not None:
        body["devices"] = devices
    return body


def assignment_json(assignment: Assignment) -> dict[str, Any]:
    """Who works on which device, for which stage, since when."""
    return {
        "asset_tag": assignment.device.asset_tag,
        "technician": assignment.technician.username,
        "stage": assignment.stage,
        "assigned_by": _username(assignment.assigned_by),
        "started_at": _time(assignment.started_at),
        "ended_at": _time(assignment.ended_at),
        "end_reason": assignment.end_reason,
        "device": device_json(assignment.device),
    }


def grading_json(grading: Grading | None) -> dict[str, Any] | None:
    """The defects recorded in the current cycle, the grade they give and any override."""
    if grading is None:
        return None
    override = None
    if grading.overridden:
        override = {
            "grade": grading.override_grade,
            "reason": grading.override_reason,
            "by": _username(grading.overridden_by),
            "at": _time(grading.overridden_at),
        }
    return {
        "defects": grading.codes,
        "computed_grade": grading.computed_grade,
        "recorded_by": _username(grading.recorded_by),
        "recorded_at": _time(grading.recorded_at),
        "override": override,
    }


def checks_json(checks: DeviceChecks) -> dict[str, Any]:
    """A device's manual checks in its current cycle: each latest answer and what is left."""
    return {
        "asset_tag": checks.device.asset_tag,
        "category": checks.device.category,
        "cycle": checks.cycle,
        "complete": checks.complete,
        "unanswered": checks.unanswered,
        "failed": checks.failed,
        "checks": [
            {
                "item": line.item.code,
                "label_en": line.item.label_en,
                "label_fr": line.item.label_fr,
                "active": line.item.active,
                "result": line.result,
                "note": line.note,
                "answered_by": _username(line.answer.answered_by) if line.answer else None,
                "answered_at": _time(line.answer.answered_at) if line.answer else None,
            }
            for line in checks.lines
        ],
    }


def run_json(run: DiagnosticRun) -> dict[str, Any]:
    """A diagnostic run and its measurements (the transcript stays in the workshop)."""
    bench = None
    if run.bench_model:
        bench = {
            "maker": run.bench_maker,
            "model": run.bench_model,
            "serial": run.bench_serial,
            "firmware": run.bench_firmware,
        }
    return {
        "id": run.id,
        "script": run.script,
        "cycle": run.cycle,
        "outcome": run.outcome,
        "running": run.running,
        "code": run.code,
        "message": run.message,
        "bench": bench,
        "operator": _username(run.operator),
        "station": run.station,
        "started_at": _time(run.started_at),
        "ended_at": _time(run.ended_at),
        "limits": run.limits or {},
        "steps": run.steps or [],
        "drives": run.drives or [],
        "measurements": [
            {
                "step": item.step,
                "name": item.name,
                "value": item.value,
                "unit": item.unit,
                "low": item.low,
                "high": item.high,
                "required": item.required,
                "outcome": item.outcome,
            }
            for item in run.measurements
        ],
    }


def erasure_json(record: ErasureRecord) -> dict[str, Any]:
    """One drive's erasure record, or its destruction (method DESTROY, `destroyed` true)."""
    return {
        "id": record.id,
        "cycle": record.cycle,
        "run": record.run_id,
        "drive_model": record.drive_model,
        "drive_serial": record.drive_serial,
        "capacity_bytes": record.capacity_bytes,
        "drive_type": record.drive_type,
        "method": record.method,
        "nist_category": record.nist_category,
        "tool": record.tool,
        "operator": _username(record.operator),
        "started_at": _time(record.started_at),
        "ended_at": _time(record.ended_at),
        "verified": record.verified,
        "verification": record.verification,
        "manual": record.manual,
        "log": record.log,
        "recorded_by": _username(record.recorded_by),
        "recorded_at": _time(record.recorded_at),
        "destroyed": record.destroyed,
        "destruction": record.destruction,
        "reference": record.reference,
        "replaced": record.replaced,
    }


def no_storage_json(device: Device, declaration: NoStorage) -> dict[str, Any]:
    """The record that a device has no storage in a cycle."""
    return {
        "asset_tag": device.asset_tag,
        "cycle": declaration.cycle,
        "note": declaration.note,
        "declared_by": _username(declaration.declared_by),
        "declared_at": _time(declaration.declared_at),
    }


def job_json(job: BenchJob) -> dict[str, Any]:
    """A bench job: what was asked of which station, how far it is, and its run once started."""
    run = job.run
    return {
        "id": job.id,
        "asset_tag": job.device.asset_tag,
        "script": job.script,
        "station": job.station,
        "state": job.state,
        "requested_by": _username(job.requested_by),
        "requested_at": _time(job.requested_at),
        "claimed_at": _time(job.claimed_at),
        "heartbeat_at": _time(job.heartbeat_at),
        "ended_at": _time(job.ended_at),
        "percent": job.percent,
        "message": job.message,
        "abort_requested": job.abort_requested,
        "run": run.id if run is not None else None,
        "outcome": None if run is None or run.running else run.outcome,
    }
