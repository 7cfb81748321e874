"""Imports from spreadsheets: all of a file or nothing, from the CLI and the upload page.

How an import runs (`run.py`, no Flask): `import_file(session, kind, data, filename,
entered_by=..., dry_run=..., progress=...)` returns a `Report`; `check_file` only checks.

1. `reading.read_table` turns the bytes of a CSV file (UTF-8 with or without a
   byte order mark; `,` or `;` separated, as French Excel writes it) or an
   XLSX workbook (its first sheet, read with openpyxl in read-only mode) into
   a header and `Row`s, each with its line number in the file (the header is
   line 1) and its cells as stripped text ("" for an empty cell).
2. The kind's header is checked: a missing column is one error (line 1) and
   nothing else is read. Columns the kind does not know are ignored.
3. Every row is checked, then the rows together; each problem is a
   `RowError(line, column, template, details)` whose English `reason` is
   `template % details` (the page shows the template translated).
4. Only when no row has an error, and not for a dry run, the kind writes every
   row in the caller's transaction. Services never commit: the CLI command or
   the request commits, so an error while writing leaves nothing behind.

A kind is a subclass of `ImportKind`, made once per import with the session:

    class StaffImport(ImportKind):
        name = "staff"                      # `workshop import staff FILE`, the page's choice
        label = N_("Staff")                 # shown on the page, translated
        columns = ("staff_number", ...)     # required header, in the template's order
        optional_columns = ()               # read when present, "" when absent
        roles = frozenset({"hr", "admin"})  # who may import it from the page
        noun = N_("people")                 # "12 people imported"

        def check_row(self, row: Row) -> Any:
            # Convert row.values[...] (text); report each problem with
            # row.error(column, N_("template %(x)s"), x=...), or a refusal of the
            # workshop's own cleaning (intake.clean_weight...) with
            # row.refused(column, error). Return the converted record (ignored
            # when the row has errors).

        def check_together(self, checked: list[tuple[Row, Any]]) -> None:
            # Optional: checks across rows (duplicates in the file) or against
            # the database in bulk (already known); report with row.error too.

        def summary(self, records: list[Any]) -> dict[str, int]:
            # Optional: counts the page shows before confirming, e.g. {"sold": 9}.

        def write(self, records: list[Any], *, entered_by, source, progress) -> dict[str, int]:
            # Write every record (bulk Core inserts, in chunks), calling
            # progress(n) after each n records written; return the counts to
            # report, e.g. {"people": 12}. `source` is an `Source` (file name,
            # sha256, the `import` event's id, so each written row can say
            # which import made it).

Registering: `KIND_MODULES` below names the modules that hold kinds; each one
calls `register(TheKind)` at import time. A module that is not there yet
(`staff`, `parts`) is skipped, so a helper adding `inventory/imports/staff.py`
needs no change here. `kinds()` loads them and returns {name: class}; the
CLI makes one `workshop import NAME FILE [--dry-run]` command per kind, and
the upload page offers each kind to the roles it names.

The `Report` says what happened: `rows`, `errors` (every problem, in file
order), `sample` (the first rows, for the page), `summary`, and `written` (the
counts `write` returned; empty when nothing was written).
"""

from __future__ import annotations

from inventory.imports.kinds import (
    KIND_MODULES,
    ImportKind,
    Row,
    RowError,
    Source,
    get_kind,
    kinds,
    register,
)
from inventory.imports.reading import Table, UnreadableFile, read_table
from inventory.imports.run import Report, check_file, import_file

__all__ = [
    "KIND_MODULES",
    "ImportKind",
    "Report",
    "Row",
    "RowError",
    "Source",
    "Table",
    "UnreadableFile",
    "check_file",
    "get_kind",
    "import_file",
    "kinds",
    "read_table",
    "register",
]
