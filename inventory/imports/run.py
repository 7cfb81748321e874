"""Checking a whole file, then writing all of it or nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from inventory.accounts import User
from inventory.db import STATISTICS_AFTER_ROWS, refresh_statistics
from inventory.errors import N_
from inventory.events import record_event
from inventory.imports.kinds import ImportKind, Row, RowError, Source, get_kind
from inventory.imports.reading import UnreadableFile, read_table

# Rows shown on the page before the import is confirmed.
SAMPLE_ROWS = 10


@dataclass
class Report:
    """What a file held and what became of it: rows, problems, and the counts written."""

    kind: str
    filename: str
    sha256: str
    columns: tuple[str, ...] = ()
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    sample: list[Row] = field(default_factory=list)
    records: list[Any] = field(default_factory=list, repr=False)
    summary: dict[str, int] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """True when no row has a problem."""
        return not self.errors

    @property
    def bad_lines(self) -> int:
        """How many lines have at least one problem."""
        return len({error.line for error in self.errors})

    @property
    def imported(self) -> bool:
        """True once the rows were written."""
        return bool(self.written)


def check_file(session: Session, kind_name: str, data: bytes, filename: str = "") -> Report:
    """Read and check every row of a file; nothing is written."""
    return _check(session, kind_name, data, filename)[0]


def _check(
    session: Session, kind_name: str, data: bytes, filename: str
) -> tuple[Report, ImportKind | None]:
    kind = get_kind(kind_name)
    report = Report(
        kind=kind.name,
        filename=filename,
        sha256=hashlib.sha256(data).hexdigest(),
        columns=kind.columns + kind.optional_columns,
    )
    try:
        table = read_table(data, filename)
    except UnreadableFile as error:
        line = error.details.get("line", 1)
        report.errors.append(RowError(line, "", error.template, dict(error.details)))
        return report, None
    missing = [column for column in kind.columns if column not in table.header]
    if missing:
        report.errors.extend(
            RowError(
                1,
                column,
                N_("The column %(column)s is missing from the first line."),
                {"column": column},
            )
            for column in missing
        )
        return report, None
    report.rows = len(table.rows)
    if not table.rows:
        report.errors.append(RowError(2, "", N_("The file has a header but no rows."), {}))
        return report, None
    checker = kind(session)
    report.records = _check_rows(checker, table.rows)
    report.sample = table.rows[:SAMPLE_ROWS]
    report.errors = [error for row in table.rows for error in row.errors]
    if report.errors:
        report.records = []
    else:
        report.summary = checker.summary(report.records)
    return report, checker


def _check_rows(checker: ImportKind, rows: list[Row]) -> list[Any]:
    optional = checker.optional_columns
    checked = []
    for row in rows:
        for column in optional:
            row.values.setdefault(column, "")
        record = checker.check_row(row)
        if not row.errors:
            checked.append((row, record))
    checker.check_together(checked)
    return [record for row, record in checked if not row.errors]


def import_file(
    session: Session,
    kind_name: str,
    data: bytes,
    filename: str = "",
    *,
    entered_by: User | None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Check a file, then write every row in the session's transaction, or none if any is bad.

    While writing, `progress(done, total)` is called after each chunk of rows.
    Nothing is committed here: the caller commits, or rolls back on any error.
    """
    report, checker = _check(session, kind_name, data, filename)
    report.dry_run = dry_run
    if not report.ok or dry_run or checker is None:
        return report
    event = record_event(
        session,
        "import",
        device=None,
        entered_by=entered_by,
        of=report.kind,
        file=filename or None,
        sha256=report.sha256,
        rows=report.rows,
    )
    session.flush()
    source = Source(filename=filename, sha256=report.sha256, event_id=event.id)
    done = 0
    total = len(report.records)

    def step(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    report.written = checker.write(
        report.records, entered_by=entered_by, source=source, progress=step
    )
    if total >= STATISTICS_AFTER_ROWS:
        refresh_statistics(session)
    return report
