"""Disability recognitions: health data, read and written by hr and admin only, every read logged.

Nothing here is shown on workshop screens. The impact figures read them to count
totals (inventory/impact.py), and that read is logged too, as a read of everyone's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.accounts import User
from inventory.errors import N_, InvalidInput, NotFound, WorkshopError
from inventory.people import DisabilityRecognition, HealthDataRead, Person
from inventory.staff import clean_date
from inventory.types import utcnow

HEALTH_ROLES = frozenset({"hr", "admin"})
# Why recognitions were read, as the log records it.
PURPOSES = ("record", "list", "import", "impact_totals")


class NotAllowed(WorkshopError):
    """The user's role may not read or write health data."""

    code = "forbidden"


def may_read(user: User | None) -> bool:
    """True for the roles that may see and record disability recognitions."""
    return user is not None and user.role in HEALTH_ROLES


def _require(user: User | None) -> User:
    if user is None or not may_read(user):
        raise NotAllowed(N_("Only human resources and administrators may see health data."))
    return user


def log_read(session: Session, reader: User | None, person: Person | None, purpose: str) -> None:
    """Write down that someone read recognitions (one person's, or everyone's for totals)."""
    session.add(HealthDataRead(reader=reader, person=person, purpose=purpose, read_at=utcnow()))


def recognitions_of(
    session: Session, person: Person, *, reader: User | None, purpose: str = "record"
) -> list[DisabilityRecognition]:
    """A person's recognitions, oldest first, for hr or admin; the read is logged."""
    _require(reader)
    log_read(session, reader, person, purpose)
    query = (
        select(DisabilityRecognition)
        .where(DisabilityRecognition.person_id == person.id)
        .order_by(DisabilityRecognition.valid_from, DisabilityRecognition.id)
    )
    return list(session.scalars(query))


def _clean_span(valid_from: Any, valid_until: Any) -> tuple[date, date | None]:
    start = clean_date(valid_from, "valid_from")
    end = clean_date(valid_until, "valid_until", required=False)
    assert start is not None
    if end is not None and end < start:
        raise InvalidInput(
            N_("valid_until (%(until)s) is before valid_from (%(start)s)."),
            field="valid_until",
            until=end.isoformat(),
            start=start.isoformat(),
        )
    return start, end


def add_recognition(
    session: Session, person: Person, *, valid_from: Any, valid_until: Any = None, by: User | None
) -> DisabilityRecognition:
    """Record a disability recognition valid from one day (to another, or with no end)."""
    _require(by)
    start, end = _clean_span(valid_from, valid_until)
    recognition = DisabilityRecognition(
        person_id=person.id, valid_from=start, valid_until=end, recorded_by_id=by.id
    )
    session.add(recognition)
    session.flush()
    return recognition


def record_imported(
    session: Session, person: Person, *, valid_from: date, by: User | None
) -> DisabilityRecognition:
    """A recognition from the staff import (the importer's own check comes first)."""
    recognition = DisabilityRecognition(
        person_id=person.id, valid_from=valid_from, valid_until=None, recorded_by_id=by and by.id
    )
    session.add(recognition)
    return recognition


def update_recognition(
    session: Session,
    person: Person,
    recognition_id: int,
    *,
    valid_from: Any,
    valid_until: Any,
    by: User | None,
) -> DisabilityRecognition:
    """Correct a recognition's dates, or record the day it ends."""
    _require(by)
    recognition = session.get(DisabilityRecognition, recognition_id)
    if recognition is None or recognition.person_id != person.id:
        raise NotFound(N_("There is no such recognition."), id=recognition_id)
    recognition.valid_from, recognition.valid_until = _clean_span(valid_from, valid_until)
    recognition.recorded_by_id = by.id if by is not None else None
    recognition.recorded_at = utcnow()
    session.flush()
    return recognition


def read_log(session: Session, *, reader: User | None, limit: int = 200) -> list[HealthDataRead]:
    """The latest reads of health data, newest first, for hr or admin."""
    _require(reader)
    query = select(HealthDataRead).order_by(HealthDataRead.id.desc()).limit(limit)
    return list(session.scalars(query))


def spans_for_totals(
    session: Session, *, reader: User | None
) -> dict[int, list[tuple[date, date | None]]]:
    """Everyone's recognition spans, by person, to count totals; logged as such a read."""
    log_read(session, reader, None, "impact_totals")
    spans: dict[int, list[tuple[date, date | None]]] = {}
    query = select(
        DisabilityRecognition.person_id,
        DisabilityRecognition.valid_from,
        DisabilityRecognition.valid_until,
    )
    for person_id, start, end in session.execute(query):
        spans.setdefault(person_id, []).append((start, end))
    return spans
