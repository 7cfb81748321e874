"""Reading a spreadsheet (CSV or XLSX) into a header and numbered rows of text cells."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from inventory.errors import N_, InvalidInput
from inventory.imports.kinds import Row

# An XLSX file is a ZIP archive: it starts with the ZIP signature.
ZIP_SIGNATURE = b"PK\x03\x04"


class UnreadableFile(InvalidInput):
    """The file is neither a CSV file in UTF-8 nor an XLSX workbook."""

    code = "unreadable_file"


@dataclass(frozen=True)
class Table:
    """A file's header (lower case names) and its rows, empty lines left out."""

    header: list[str]
    rows: list[Row]


def read_table(data: bytes, filename: str = "") -> Table:
    """The header and rows of a CSV or XLSX file, told apart by content, not by name."""
    if data.startswith(ZIP_SIGNATURE):
        return _read_xlsx(data)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise UnreadableFile(
            N_("The file is named like an Excel workbook but is not one: save it again as XLSX.")
        )
    return _read_csv(data)


def _header(cells: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise UnreadableFile(
            N_("The file is empty: its first line must name the columns."), field="file"
        )
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise UnreadableFile(
                N_("The column %(column)s is named twice in the first line."), column=name
            )
        seen.add(name)
    return names


def _row(line: int, header: list[str], cells: list[str]) -> Row | None:
    """A row of text cells by column name; None for a line with nothing in it."""
    if not any(cell.strip() for cell in cells):
        return None
    values = {name: "" for name in header if name}
    for name, cell in zip(header, cells, strict=False):
        if name:
            values[name] = cell.strip()
    row = Row(line, values)
    if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
        row.error("", N_("The line has more cells than the first line has columns."))
    return row


def _separator(first_line: str) -> str:
    """`;` for files from a French Excel, a tab for pasted tables, else `,`."""
    counts = {separator: first_line.count(separator) for separator in (",", ";", "\t")}
    best = max(counts, key=lambda separator: counts[separator])
    return best if counts[best] else ","


def _read_csv(data: bytes) -> Table:
    try:
        # utf-8-sig drops the byte order mark Excel writes at the start, when there is one.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UnreadableFile(
            N_(
                "The file is not UTF-8 text (line %(line)s): save it as CSV UTF-8, "
                "or as an Excel workbook (XLSX)."
            ),
            line=line,
        ) from None
    if "\x00" in text:
        raise UnreadableFile(N_("The file is not text: upload a CSV or an XLSX file."))
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_separator(first_line))
    try:
        header = _header(next(reader, []))
        rows = []
        for cells in reader:
            row = _row(reader.line_num, header, cells)
            if row is not None:
                rows.append(row)
    except csv.Error as error:
        raise UnreadableFile(
            N_("The file cannot be read as CSV near line %(line)s: %(problem)s."),
            line=reader.line_num,
            problem=str(error),
        ) from None
    return Table(header, rows)


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person sees in it: dates as YYYY-MM-DD, 2.0 as 2."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        # Excel keeps dates as datetimes at midnight; a time of day would be lost, so keep it.
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UnreadableFile(
            N_("The workbook cannot be opened (%(problem)s): save it again as XLSX."),
            problem=str(error) or type(error).__name__,
        ) from None
    try:
        sheet = workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = _header([cell_text(value) for value in next(lines, ())])
        rows = []
        # Read-only sheets give rows in order; empty rows in between are given as empty.
        for line, values in enumerate(lines, start=2):
            row = _row(line, header, [cell_text(value) for value in values])
            if row is not None:
                rows.append(row)
    finally:
        workbook.close()
    return Table(header, rows)
