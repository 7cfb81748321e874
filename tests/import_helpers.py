"""Spreadsheets for the import tests: device rows, written as real CSV and XLSX files."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from typing import Any

from openpyxl import Workbook

from inventory.imports.devices import COLUMNS

HEADER = ",".join(COLUMNS)


def device(serial: str = "5CG7101ABC", **values: Any) -> dict[str, Any]:
    """One device row, received, repaired and sold in 2016, with any cell replaced."""
    row: dict[str, Any] = {
        "serial_number": serial,
        "category": "laptop",
        "make": "HP",
        "model": "EliteBook 840 G3",
        "weight_kg": "1.54",
        "lot": "2016-GAIA-01",
        "received_on": "2016-03-01",
        "ready_on": "2016-03-15",
        "sold_on": "2016-04-02",
        "recycled_on": "",
        "grade": "B",
        "sale_price": "149.00",
    }
    row.update(values)
    return row


def csv_bytes(
    rows: Iterable[dict[str, Any]],
    *,
    columns: Iterable[str] = COLUMNS,
    separator: str = ",",
    bom: bool = False,
    encoding: str = "utf-8",
) -> bytes:
    """The rows as a CSV file, with the header first."""
    columns = list(columns)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return (("\ufeff" if bom else "") + out.getvalue()).encode(encoding)


def xlsx_bytes(rows: Iterable[dict[str, Any]], *, columns: Iterable[str] = COLUMNS) -> bytes:
    """The rows as an Excel workbook, with days as real date cells and numbers as numbers."""
    columns = list(columns)
    book = Workbook()
    sheet = book.active
    sheet.append(columns)
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column, "")
            if column.endswith("_on") and value:
                value = date.fromisoformat(value)
            elif column in ("weight_kg", "sale_price") and value:
                value = float(value)
            cells.append(value if value != "" else None)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def problems(report: Any) -> list[tuple[int, str]]:
    """(line, column) of every problem a report lists."""
    return [(error.line, error.column) for error in report.errors]
