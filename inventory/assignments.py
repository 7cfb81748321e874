"""Who works on which device: a manager assigns, a technician claims, the stage's end finishes it."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from inventory.accounts import User
from inventory.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from inventory.events import record_event
from inventory.lifecycle import LEFT_STAGES
from inventory.models import Assignment, Device
from inventory.types import utcnow

# Managers and admins may take a device themselves when they do the work.
HOLDER_ROLES = ("technician", "manager", "admin")


def active_assignment(session: Session, device: Device) -> Assignment | None:
    """The assignment a device is under now, if any."""
    return session.scalar(
        select(Assignment)
        .where(Assignment.device_id == device.id, Assignment.ended_at.is_(None))
        .options(joinedload(Assignment.technician))
    )


def get_holder(session: Session, username: str) -> User:
    """The active user with this username who may hold assignments, or a refusal naming why."""
    name = (username or "").strip()
    user = session.scalar(select(User).where(User.username == name)) if name else None
    if user is None or not user.active:
        raise NotFound("No active user is called %(username)s.", username=name[:64])
    _check_holder(user)
    return user


def _check_holder(user: User) -> None:
    if user.role not in HOLDER_ROLES:
        raise InvalidInput(
            "%(username)s has the role %(role)s and cannot be assigned devices.",
            field="technician",
            username=user.username,
            role=user.role,
        )


def _check_workable(device: Device) -> None:
    if device.stage in LEFT_STAGES:
        raise IllegalTransition(
            "%(asset_tag)s has left the workshop (stage: %(stage)s): no one can work on it.",
            asset_tag=device.asset_tag,
            stage=device.stage,
            allowed=[],
        )


def _held_by(assignment: Assignment) -> Conflict:
    return Conflict(
        "%(asset_tag)s is already assigned to %(holder)s since %(since)s.",
        asset_tag=assignment.device.asset_tag,
        holder=assignment.technician.username,
        since=assignment.started_at.strftime("%Y-%m-%d %H:%M UTC"),
        started_at=assignment.started_at.isoformat(),
    )


def _race_guard(session: Session) -> AbstractContextManager[Any]:
    """A savepoint around the insert where another terminal may take the device first."""
    # On SQLite the write transaction holds the database lock since BEGIN
    # IMMEDIATE: no one can insert between our look and our insert.
    if session.get_bind().dialect.name == "sqlite":
        return nullcontext()
    return session.begin_nested()


def _start(
    session: Session, device: Device, technician: User, assigned_by: User | None
) -> Assignment:
    """Insert the new active assignment; another terminal's win becomes a Conflict."""
    try:
        with _race_guard(session):
            assignment = Assignment(
                device=device,
                technician=technician,
                stage=device.stage,
                assigned_by=assigned_by,
                started_at=utcnow(),
            )
            session.add(assignment)
            session.flush()
    except IntegrityError:
        winner = active_assignment(session, device)
        if winner is None:
            raise
        raise _held_by(winner) from None
    return assignment


def _end(assignment: Assignment, reason: str) -> None:
    assignment.ended_at = utcnow()
    assignment.end_reason = reason


def assign(session: Session, device: Device, technician: User, *, by: User | None) -> Assignment:
    """A manager gives a device to a technician for its stage; a previous holder is relieved."""
    _check_holder(technician)
    _check_workable(device)
    current = active_assignment(session, device)
    if current is not None and current.technician_id == technician.id:
        return current
    if current is not None:
        _end(current, "reassigned")
        session.flush()
        record_event(
            session,
            "reassigned",
            device=device,
            entered_by=by,
            technician=current.technician.username,
            to_technician=technician.username,
            stage=device.stage,
        )
    assignment = _start(session, device, technician, by)
    record_event(
        session,
        "assigned",
        device=device,
        entered_by=by,
        technician=technician.username,
        stage=device.stage,
    )
    return assignment


def claim(session: Session, device: Device, technician: User) -> Assignment:
    """A technician takes an unassigned device by scanning it; refused if someone has it."""
    _check_holder(technician)
    _check_workable(device)
    current = active_assignment(session, device)
    if current is not None:
        if current.technician_id == technician.id:
            return current
        raise _held_by(current)
    assignment = _start(session, device, technician, None)
    record_event(
        session,
        "claimed",
        device=device,
        entered_by=technician,
        technician=technician.username,
        stage=device.stage,
    )
    return assignment


def release(session: Session, device: Device, *, by: User | None) -> Assignment:
    """Give a device back to the pool, unassigned."""
    current = active_assignment(session, device)
    if current is None:
        raise NotFound("%(asset_tag)s is assigned to no one.", asset_tag=device.asset_tag)
    _end(current, "released")
    session.flush()
    record_event(
        session,
        "released",
        device=device,
        entered_by=by,
        technician=current.technician.username,
        stage=current.stage,
    )
    return current


def finish(session: Session, device: Device, *, by: User | None) -> Assignment | None:
    """The device moved on: the assignment for the stage it left is done."""
    current = active_assignment(session, device)
    if current is None:
        return None
    _end(current, "finished")
    record_event(
        session,
        "finished",
        device=device,
        entered_by=by,
        performed_by=current.technician,
        technician=current.technician.username,
        stage=current.stage,
    )
    return current


def queue(session: Session, technician: User) -> list[Assignment]:
    """A technician's active assignments, oldest first, each with its device."""
    query = (
        select(Assignment)
        .where(Assignment.technician_id == technician.id, Assignment.ended_at.is_(None))
        .options(joinedload(Assignment.device))
        .order_by(Assignment.started_at, Assignment.id)
    )
    return list(session.scalars(query))


def list_holders(session: Session) -> list[User]:
    """Everyone active who may be assigned devices, by username."""
    query = (
        select(User)
        .where(User.active.is_(True), User.role.in_(HOLDER_ROLES))
        .order_by(User.username)
    )
    return list(session.scalars(query))
