"""Staff records: people, their employment periods, insertion programme, skills and work history.

Disability recognitions are health data and have their own module (inventory/recognition.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from inventory.accounts import User
from inventory.errors import N_, AlreadyReceived, InvalidInput, NotFound
from inventory.lifecycle import STAGES
from inventory.models import Event
from inventory.people import (
    CONTRACTS,
    EXIT_OUTCOMES,
    SKILL_LEVELS,
    Employment,
    InsertionProgramme,
    Person,
    Skill,
)
from inventory.types import utcnow

MAX_STAFF_NUMBER = 32
MAX_NAME = 200
# Skills are held per stage a person works in; a returned device is triaged again.
SKILL_STAGES = tuple(stage for stage in STAGES if stage != "returned")


def clean_date(value: Any, field: str, *, required: bool = True) -> date | None:
    """A date from a date or a YYYY-MM-DD text; None when empty and not required."""
    if isinstance(value, date):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(N_("%(field)s is required (a date, YYYY-MM-DD)."), field=field)
        return None
    if not isinstance(value, str):
        raise InvalidInput(N_("%(field)s must be a date, YYYY-MM-DD."), field=field)
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            N_("%(field)s must be a date, YYYY-MM-DD, not %(value)r."),
            field=field,
            value=value.strip()[:40],
        ) from None


def clean_fte(value: Any, field: str = "fte") -> Decimal:
    """Working time as a full-time equivalent, from 0 to 1, with at most three decimals."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise InvalidInput(N_("%(field)s must be a number from 0 to 1."), field=field)
    try:
        fte = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(N_("%(field)s must be a number from 0 to 1."), field=field) from None
    if not fte.is_finite() or fte < 0 or fte > 1:
        raise InvalidInput(N_("%(field)s must be a number from 0 to 1."), field=field)
    if fte != fte.quantize(Decimal("0.001")):
        raise InvalidInput(N_("%(field)s has more than three decimals."), field=field)
    return fte.quantize(Decimal("0.001"))


def clean_choice(value: Any, field: str, allowed: tuple[str, ...]) -> str:
    """One of the allowed codes, or a refusal that lists them."""
    if value not in allowed:
        raise InvalidInput(
            N_("Unknown %(field)s %(value)r: use one of %(choices)s."),
            field=field,
            value=str(value)[:40],
            choices=", ".join(allowed),
            allowed=list(allowed),
        )
    return value


def _clean_text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(N_("%(field)s is required."), field=field)
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(
            N_("%(field)s is at most %(limit)s characters."), field=field, limit=limit
        )
    return value


def _check_account(session: Session, user: User | None, person: Person | None) -> None:
    if user is None:
        return
    holder = session.scalar(select(Person).where(Person.user_id == user.id))
    if holder is not None and holder is not person:
        raise AlreadyReceived(
            N_("The account %(username)s already belongs to %(name)s."),
            field="user",
            username=user.username,
            name=holder.name,
        )


def add_person(
    session: Session, *, staff_number: Any, name: Any, user: User | None = None
) -> Person:
    """Record a new person under a staff number that no one else has."""
    staff_number = _clean_text(staff_number, "staff_number", MAX_STAFF_NUMBER)
    name = _clean_text(name, "name", MAX_NAME)
    if session.scalar(select(Person.id).where(Person.staff_number == staff_number)) is not None:
        raise AlreadyReceived(
            N_("Staff number %(staff_number)s is already taken."),
            field="staff_number",
            staff_number=staff_number,
        )
    _check_account(session, user, None)
    person = Person(staff_number=staff_number, name=name, user=user)
    session.add(person)
    session.flush()
    return person


def update_person(
    session: Session, person: Person, *, staff_number: Any, name: Any, user: User | None
) -> Person:
    """Change a person's staff number, name or user account."""
    staff_number = _clean_text(staff_number, "staff_number", MAX_STAFF_NUMBER)
    name = _clean_text(name, "name", MAX_NAME)
    taken = session.scalar(
        select(Person.id).where(Person.staff_number == staff_number, Person.id != person.id)
    )
    if taken is not None:
        raise AlreadyReceived(
            N_("Staff number %(staff_number)s is already taken."),
            field="staff_number",
            staff_number=staff_number,
        )
    _check_account(session, user, person)
    person.staff_number = staff_number
    person.name = name
    person.user = user
    person.updated_at = utcnow()
    session.flush()
    return person


def get_person(session: Session, person_id: int) -> Person:
    """The person with this record number, or NotFound."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(N_("There is no staff record number %(id)s."), id=person_id)
    return person


def find_by_staff_number(session: Session, staff_number: str) -> Person | None:
    """The person with this staff number, if any."""
    return session.scalar(select(Person).where(Person.staff_number == staff_number))


def list_people(session: Session) -> list[Person]:
    """Everyone, by name, with their employment periods loaded."""
    query = (
        select(Person)
        .options(selectinload(Person.employments), selectinload(Person.user))
        .order_by(Person.name, Person.id)
    )
    return list(session.scalars(query))


def current_employment(person: Person, today: date | None = None) -> Employment | None:
    """The period the person works under today, if any."""
    today = today or date.today()
    for employment in person.employments:
        if employment.employed_on(today):
            return employment
    return None


def _check_no_overlap(
    person: Person, hired: date, left: date | None, skip: Employment | None = None
) -> None:
    """A person works under one period at a time: a rehire starts after the last one ended."""
    end = left or date.max
    for other in person.employments:
        if other is skip:
            continue
        other_end = other.left_on or date.max
        if hired <= other_end and other.hired_on <= end:
            raise InvalidInput(
                N_(
                    "This period overlaps the one from %(hired_on)s: a person works under "
                    "one period at a time (end the other one first)."
                ),
                field="hired_on",
                hired_on=other.hired_on.isoformat(),
            )


def _clean_period(hired_on: Any, left_on: Any) -> tuple[date, date | None]:
    hired = clean_date(hired_on, "hired_on")
    left = clean_date(left_on, "left_on", required=False)
    assert hired is not None
    if left is not None and left < hired:
        raise InvalidInput(
            N_("left_on (%(left_on)s) is before hired_on (%(hired_on)s)."),
            field="left_on",
            left_on=left.isoformat(),
            hired_on=hired.isoformat(),
        )
    return hired, left


def add_employment(
    session: Session,
    person: Person,
    *,
    hired_on: Any,
    left_on: Any = None,
    contract: Any,
    fte: Any,
) -> Employment:
    """Record a period of employment (a hire, or a rehire after an earlier one ended)."""
    hired, left = _clean_period(hired_on, left_on)
    employment = Employment(
        hired_on=hired,
        left_on=left,
        contract=clean_choice(contract, "contract", CONTRACTS),
        fte=clean_fte(fte),
    )
    _check_no_overlap(person, hired, left)
    person.employments.append(employment)
    person.updated_at = utcnow()
    session.flush()
    return employment


def update_employment(
    session: Session,
    employment: Employment,
    *,
    hired_on: Any,
    left_on: Any,
    contract: Any,
    fte: Any,
) -> Employment:
    """Correct a period of employment, or record the day it ended."""
    hired, left = _clean_period(hired_on, left_on)
    contract = clean_choice(contract, "contract", CONTRACTS)
    fte = clean_fte(fte)
    _check_no_overlap(employment.person, hired, left, skip=employment)
    employment.hired_on, employment.left_on = hired, left
    employment.contract, employment.fte = contract, fte
    employment.updated_at = utcnow()
    session.flush()
    return employment


def get_employment(session: Session, person: Person, employment_id: int) -> Employment:
    """One of the person's employment periods, or NotFound."""
    employment = session.get(Employment, employment_id)
    if employment is None or employment.person_id != person.id:
        raise NotFound(N_("There is no such employment period."), id=employment_id)
    return employment


def add_insertion(
    session: Session,
    person: Person,
    *,
    entered_on: Any,
    exited_on: Any = None,
    exit_outcome: Any = None,
) -> InsertionProgramme:
    """Record a stay in an insertion programme, with its exit when it is known."""
    programme = InsertionProgramme()
    person.insertions.append(programme)
    _set_insertion(programme, entered_on, exited_on, exit_outcome)
    person.updated_at = utcnow()
    session.flush()
    return programme


def update_insertion(
    session: Session,
    programme: InsertionProgramme,
    *,
    entered_on: Any,
    exited_on: Any,
    exit_outcome: Any,
) -> InsertionProgramme:
    """Correct a stay in an insertion programme, or record its exit and where it led."""
    _set_insertion(programme, entered_on, exited_on, exit_outcome)
    session.flush()
    return programme


def _set_insertion(
    programme: InsertionProgramme, entered_on: Any, exited_on: Any, exit_outcome: Any
) -> None:
    entered = clean_date(entered_on, "insertion_entry_on")
    exited = clean_date(exited_on, "insertion_exit_on", required=False)
    assert entered is not None
    if exited is not None and exited < entered:
        raise InvalidInput(
            N_("The insertion exit (%(exited_on)s) is before its entry (%(entered_on)s)."),
            field="insertion_exit_on",
            exited_on=exited.isoformat(),
            entered_on=entered.isoformat(),
        )
    outcome = exit_outcome or None
    if outcome is not None:
        clean_choice(outcome, "exit_outcome", EXIT_OUTCOMES)
        if exited is None:
            raise InvalidInput(
                N_("An exit outcome needs the exit date."), field="insertion_exit_on"
            )
    programme.entered_on, programme.exited_on, programme.exit_outcome = entered, exited, outcome
    programme.updated_at = utcnow()


def get_insertion(session: Session, person: Person, programme_id: int) -> InsertionProgramme:
    """One of the person's insertion programmes, or NotFound."""
    programme = session.get(InsertionProgramme, programme_id)
    if programme is None or programme.person_id != person.id:
        raise NotFound(N_("There is no such insertion programme."), id=programme_id)
    return programme


def set_skill(session: Session, person: Person, stage: Any, level: Any) -> Skill | None:
    """Set how well the person masters a stage; an empty level removes the skill."""
    stage = clean_choice(stage, "stage", SKILL_STAGES)
    existing = next((skill for skill in person.skills if skill.stage == stage), None)
    if not level:
        if existing is not None:
            person.skills.remove(existing)
            session.delete(existing)
            session.flush()
        return None
    level = clean_choice(level, "level", SKILL_LEVELS)
    if existing is None:
        existing = Skill(stage=stage, level=level)
        person.skills.append(existing)
    existing.level = level
    existing.updated_at = utcnow()
    session.flush()
    return existing


@dataclass(frozen=True)
class WorkHistory:
    """What the event log says a person did: devices moved on, per stage left."""

    stages: dict[str, int]
    units_finished: int


def work_history(session: Session, person: Person) -> WorkHistory:
    """The stages the person worked in and the devices they finished there, from the event log.

    A device is finished in a stage when the person moved it on to the next one.
    """
    if person.user_id is None:
        return WorkHistory(stages={}, units_finished=0)
    query = (
        select(Event.from_stage, func.count())
        .where(
            Event.kind == "stage_change",
            Event.performed_by_id == person.user_id,
            Event.from_stage.is_not(None),
        )
        .group_by(Event.from_stage)
    )
    counts = {stage: count for stage, count in session.execute(query)}
    stages = {stage: counts[stage] for stage in STAGES if stage in counts}
    return WorkHistory(stages=stages, units_finished=sum(stages.values()))
