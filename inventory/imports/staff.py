"""Importing staff, one employment period a row, from the spreadsheet the workshop kept.

A person's rows share a staff number (and a name): two rows are a rehire, and
their periods must not overlap. `disability_recognized` = `yes` records a
recognition valid from the hire date with no end (from the earliest such row);
`insertion` = `yes` records a stay in an insertion programme from
`insertion_entry_on`, ending on `left_on` when the person left, with its
`exit_outcome`. Only new staff numbers are taken: a person already recorded is
changed on their page, not by an import.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from inventory.accounts import User
from inventory.errors import N_, InvalidInput
from inventory.imports.kinds import ImportKind, Progress, Row, Source, register
from inventory.people import (
    CONTRACTS,
    EXIT_OUTCOMES,
    DisabilityRecognition,
    Employment,
    InsertionProgramme,
    Person,
)
from inventory.staff import MAX_NAME, MAX_STAFF_NUMBER, clean_fte
from inventory.types import utcnow

COLUMNS = (
    "staff_number",
    "name",
    "hired_on",
    "left_on",
    "contract",
    "fte",
    "disability_recognized",
    "insertion",
    "insertion_entry_on",
    "exit_outcome",
)
YES_NO = {"yes": True, "no": False}
# Staff numbers looked up per query, under both databases' limits on parameters.
LOOKUP_CHUNK = 900


@dataclass(frozen=True)
class StaffRow:
    """One checked row: a person and one period of their employment."""

    line: int
    staff_number: str
    name: str
    hired_on: date
    left_on: date | None
    contract: str
    fte: Decimal
    recognised: bool
    insertion_entry_on: date | None
    exit_outcome: str | None


def _date(row: Row, column: str, *, required: bool) -> date | None:
    text = row.values[column]
    if not text:
        if required:
            row.error(column, N_("%(name)s is required (a date, YYYY-MM-DD)."), name=column)
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        row.error(column, N_("%(value)r is not a date written YYYY-MM-DD."), value=text[:40])
        return None


def _text(row: Row, column: str, limit: int) -> str:
    text = row.values[column]
    if not text:
        row.error(column, N_("%(name)s is required."), name=column)
    elif len(text) > limit:
        row.error(column, N_("%(name)s is at most %(limit)s characters."), name=column, limit=limit)
    return text


def _yes_no(row: Row, column: str) -> bool:
    answer = YES_NO.get(row.values[column].lower())
    if answer is None:
        row.error(
            column,
            N_("%(name)s must be yes or no, not %(value)r."),
            name=column,
            value=row.values[column][:40],
        )
        return False
    return answer


@register
class StaffImport(ImportKind):
    """Staff with their employment periods, recognitions and insertion programmes."""

    name = "staff"
    label = N_("Staff")
    noun = N_("people")
    columns = COLUMNS
    # It writes disability recognitions: health data, for human resources and admin only.
    roles = frozenset({"hr", "admin"})

    def check_row(self, row: Row) -> StaffRow | None:
        """One period: dates in order, a known contract, FTE from 0 to 1, yes or no answers."""
        number = _text(row, "staff_number", MAX_STAFF_NUMBER)
        name = _text(row, "name", MAX_NAME)
        hired = _date(row, "hired_on", required=True)
        left = _date(row, "left_on", required=False)
        if hired and left and left < hired:
            row.error(
                "left_on",
                N_("left_on (%(left)s) is before hired_on (%(hired)s)."),
                left=left.isoformat(),
                hired=hired.isoformat(),
            )
        contract = row.values["contract"]
        if contract not in CONTRACTS:
            row.error(
                "contract",
                N_("Unknown contract %(value)r: use one of %(allowed)s."),
                value=contract[:40],
                allowed=", ".join(CONTRACTS),
            )
        fte = None
        try:
            fte = clean_fte(row.values["fte"])
        except InvalidInput:
            row.error(
                "fte",
                N_("fte must be a number from 0 to 1, not %(value)r."),
                value=row.values["fte"][:40],
            )
        recognised = _yes_no(row, "disability_recognized")
        insertion = _yes_no(row, "insertion")
        entry = _date(row, "insertion_entry_on", required=insertion)
        outcome = row.values["exit_outcome"] or None
        if not insertion:
            for column in ("insertion_entry_on", "exit_outcome"):
                if row.values[column] and row.values["insertion"].lower() == "no":
                    row.error(column, N_("%(name)s is only for insertion = yes."), name=column)
        if outcome is not None and outcome not in EXIT_OUTCOMES:
            row.error(
                "exit_outcome",
                N_("Unknown exit outcome %(value)r: use one of %(allowed)s, or leave it empty."),
                value=outcome[:40],
                allowed=", ".join(EXIT_OUTCOMES),
            )
        if outcome is not None and insertion and not row.values["left_on"]:
            row.error(
                "exit_outcome", N_("An exit outcome needs the day the person left (left_on).")
            )
        if entry and left and entry > left:
            row.error(
                "insertion_entry_on",
                N_("insertion_entry_on (%(entry)s) is after left_on (%(left)s)."),
                entry=entry.isoformat(),
                left=left.isoformat(),
            )
        if row.errors:
            return None
        assert hired is not None and fte is not None
        return StaffRow(
            row.line,
            number,
            name,
            hired,
            left,
            contract,
            fte,
            recognised,
            entry if insertion else None,
            outcome if insertion else None,
        )

    def check_together(self, checked: list[tuple[Row, Any]]) -> None:
        """One name per staff number, periods that do not overlap, numbers not yet known."""
        by_number: dict[str, list[tuple[Row, StaffRow]]] = defaultdict(list)
        for row, record in checked:
            by_number[record.staff_number].append((row, record))
        for rows in by_number.values():
            first_row, first = rows[0]
            for row, record in rows[1:]:
                if record.name != first.name:
                    row.error(
                        "name",
                        N_(
                            "Staff number %(number)s is %(name)s on line "
                            "%(line)s: one number, one person."
                        ),
                        number=record.staff_number,
                        name=first.name,
                        line=first_row.line,
                    )
            ordered = sorted(rows, key=lambda item: item[1].hired_on)
            for (_row_a, a), (row_b, b) in zip(ordered, ordered[1:], strict=False):
                if a.left_on is None or b.hired_on <= a.left_on:
                    row_b.error(
                        "hired_on",
                        N_(
                            "This period overlaps the one on line %(line)s: "
                            "a rehire starts after the last day worked."
                        ),
                        line=a.line,
                    )
        numbers = list(by_number)
        for start in range(0, len(numbers), LOOKUP_CHUNK):
            chunk = numbers[start : start + LOOKUP_CHUNK]
            known = self.session.scalars(
                select(Person.staff_number).where(Person.staff_number.in_(chunk))
            )
            for number in known:
                for row, _record in by_number[number]:
                    row.error(
                        "staff_number",
                        N_(
                            "Staff number %(number)s is already recorded: "
                            "change that person on their page."
                        ),
                        number=number,
                    )

    def summary(self, records: list[StaffRow]) -> dict[str, int]:
        """People, periods, insertion programmes; recognitions as a total only."""
        return {
            "people": len({record.staff_number for record in records}),
            "periods": len(records),
            "insertion": sum(1 for record in records if record.insertion_entry_on),
            "recognised": len({record.staff_number for record in records if record.recognised}),
        }

    def write(
        self,
        records: list[StaffRow],
        *,
        entered_by: User | None,
        source: Source,
        progress: Progress,
    ) -> dict[str, int]:
        """Insert the people, then their periods, programmes and recognitions."""
        now = utcnow()
        people: dict[str, list[StaffRow]] = {}
        for record in records:
            people.setdefault(record.staff_number, []).append(record)
        numbers = list(people)
        ids = list(
            self.session.scalars(
                insert(Person.__table__).returning(
                    Person.__table__.c.id, sort_by_parameter_order=True
                ),
                [
                    {
                        "staff_number": number,
                        "name": people[number][0].name,
                        "user_id": None,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for number in numbers
                ],
            )
        )
        person_of = dict(zip(numbers, ids, strict=True))
        periods = [
            {
                "person_id": person_of[record.staff_number],
                "hired_on": record.hired_on,
                "left_on": record.left_on,
                "contract": record.contract,
                "fte": record.fte,
                "created_at": now,
                "updated_at": now,
            }
            for record in records
        ]
        self.session.execute(insert(Employment.__table__), periods)
        programmes = [
            {
                "person_id": person_of[record.staff_number],
                "entered_on": record.insertion_entry_on,
                "exited_on": record.left_on,
                "exit_outcome": record.exit_outcome,
                "updated_at": now,
            }
            for record in records
            if record.insertion_entry_on is not None
        ]
        if programmes:
            self.session.execute(insert(InsertionProgramme.__table__), programmes)
        recognitions = []
        for number, rows in people.items():
            recognised = [record.hired_on for record in rows if record.recognised]
            if recognised:
                recognitions.append(
                    {
                        "person_id": person_of[number],
                        "valid_from": min(recognised),
                        "valid_until": None,
                        "recorded_by_id": entered_by.id if entered_by else None,
                        "recorded_at": now,
                    }
                )
        if recognitions:
            self.session.execute(insert(DisabilityRecognition.__table__), recognitions)
        progress(len(records))
        return {"people": len(numbers), "periods": len(periods)}
