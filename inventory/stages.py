"""Moving a device between stages and grading it, one event each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from inventory.accounts import User
from inventory.assignments import finish
from inventory.errors import Conflict, GateUnmet, IllegalTransition, InvalidInput
from inventory.events import record_event
from inventory.lifecycle import LEFT_STAGES, STAGES, allowed_moves, unmet_gates
from inventory.models import GRADES, Device
from inventory.types import utcnow

MAX_NOTE = 2000


def _clean_note(note: Any) -> str | None:
    if note is None or note == "":
        return None
    if not isinstance(note, str):
        raise InvalidInput("note must be text.", field="note")
    if len(note) > MAX_NOTE:
        raise InvalidInput("note is at most %(limit)s characters.", field="note", limit=MAX_NOTE)
    return note.strip() or None


def _save(
    session: Session, device: Device, changes: dict[str, Any], *, always: bool = False
) -> None:
    """Apply changes to the device row, refusing if another terminal changed it first.

    With `always`, the row is written (and its version bumped) even when nothing changes.
    """
    try:
        with session.begin_nested():
            for name, value in changes.items():
                setattr(device, name, value)
                if always:
                    flag_modified(device, name)
            session.flush()
    except StaleDataError:
        session.refresh(device)
        raise Conflict(
            "%(asset_tag)s was changed by someone else at the same moment; "
            "it is now in stage %(stage)s. Look at it again before going on.",
            asset_tag=device.asset_tag,
            stage=device.stage,
        ) from None


def move_to_stage(
    session: Session,
    device: Device,
    to: str,
    *,
    entered_by: User | None,
    performed_by: User | None = None,
    note: Any = None,
    expected_stage: str | None = None,
    occurred_at: datetime | None = None,
    **details: Any,
) -> Device:
    """Move a device to another stage, if the lifecycle and the gates allow it."""
    if to not in STAGES:
        raise InvalidInput("Unknown stage %(value)r.", field="to", value=to, allowed=list(STAGES))
    note = _clean_note(note)
    if expected_stage is not None and expected_stage != device.stage:
        raise Conflict(
            "%(asset_tag)s is no longer in stage %(expected_stage)s: it is in stage "
            "%(stage)s now. Nothing was changed.",
            asset_tag=device.asset_tag,
            stage=device.stage,
            expected_stage=expected_stage,
        )
    allowed = allowed_moves(device.stage)
    if to not in allowed:
        raise IllegalTransition(
            "%(asset_tag)s cannot move from %(stage)s to %(to)s. "
            "Allowed moves from %(stage)s: %(moves)s.",
            asset_tag=device.asset_tag,
            stage=device.stage,
            to=to,
            allowed=list(allowed),
            moves=", ".join(allowed) if allowed else "none",
        )
    missing = unmet_gates(session, device, to)
    if missing:
        raise GateUnmet(
            "%(asset_tag)s cannot enter %(to)s yet: missing %(what)s.",
            asset_tag=device.asset_tag,
            to=to,
            missing=missing,
            what=", ".join(missing),
        )
    previous = device.stage
    changes: dict[str, Any] = {"stage": to, "stage_entered_at": occurred_at or utcnow()}
    if to in LEFT_STAGES and device.location is not None:
        # A device sold or recycled has left the shelves; the event keeps where it was.
        details["from_location"] = device.location.code
        changes["location"] = None
    _save(session, device, changes)
    record_event(
        session,
        "stage_change",
        device=device,
        entered_by=entered_by,
        performed_by=performed_by,
        occurred_at=occurred_at,
        from_stage=previous,
        to_stage=to,
        note=note,
        **details,
    )
    finish(session, device, by=entered_by)
    return device


def set_grade(
    session: Session,
    device: Device,
    grade: Any,
    *,
    entered_by: User | None,
    performed_by: User | None = None,
    note: Any = None,
    reason: Any = None,
    occurred_at: datetime | None = None,
) -> Device:
    """Set the cosmetic grade (A, B or C) by hand; over a grade from defects it is an override."""
    # grading.py builds on write_grade below, so it is imported here rather than at the top.
    from inventory.grading import grade_by_hand

    return grade_by_hand(
        session,
        device,
        grade,
        entered_by=entered_by,
        performed_by=performed_by,
        note=note,
        reason=reason,
        occurred_at=occurred_at,
    )


def check_gradable(device: Device, grade: Any) -> None:
    """Refuse a grade that is not A, B or C, or a device that has left the workshop."""
    if grade not in GRADES:
        raise InvalidInput(
            "Unknown grade %(value)r: use A, B or C.",
            field="grade",
            value=grade,
            allowed=list(GRADES),
        )
    if device.stage in ("sold", "recycled"):
        raise IllegalTransition(
            "%(asset_tag)s is %(stage)s: it cannot be graded.",
            asset_tag=device.asset_tag,
            stage=device.stage,
            allowed=[],
        )


def write_grade(
    session: Session,
    device: Device,
    grade: Any,
    *,
    entered_by: User | None,
    kind: str = "graded",
    performed_by: User | None = None,
    note: Any = None,
    occurred_at: datetime | None = None,
    **details: Any,
) -> Device:
    """Save the grade on the device and record the event `kind` that says where it came from."""
    check_gradable(device, grade)
    note = _clean_note(note)
    previous = device.grade
    # Even an unchanged grade bumps the device's version, so two terminals
    # grading the same device at once cannot both win.
    _save(session, device, {"grade": grade}, always=True)
    record_event(
        session,
        kind,
        device=device,
        entered_by=entered_by,
        performed_by=performed_by,
        occurred_at=occurred_at,
        grade=grade,
        previous_grade=previous,
        note=note,
        **details,
    )
    return device
