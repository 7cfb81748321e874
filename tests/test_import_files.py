"""The spreadsheets workshops really have: Excel's CSV (BOM, semicolons), XLSX workbooks, odd files."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from sqlalchemy import func, select

from inventory.imports import import_file, read_table
from inventory.models import Device, Identifier
from tests.import_helpers import COLUMNS, csv_bytes, device, problems, xlsx_bytes


def serials(session) -> list[str]:
    return list(session.scalars(select(Identifier.value).order_by(Identifier.id)))


def test_a_csv_with_a_byte_order_mark_and_semicolons_as_french_excel_writes_it(session):
    rows = [device("BOM1", make="Hewlett-Packard", model="Élite; 840"), device("BOM2")]
    data = csv_bytes(rows, separator=";", bom=True)
    assert data.startswith(b"\xef\xbb\xbf")

    report = import_file(session, "devices", data, "export excel.csv", entered_by=None)
    session.commit()

    assert report.ok, [str(error) for error in report.errors]
    assert serials(session) == ["BOM1", "BOM2"]
    models = set(session.scalars(select(Device.model)))
    assert models == {"Élite; 840", "EliteBook 840 G3"}


def test_a_plain_utf8_csv_without_a_byte_order_mark(session):
    report = import_file(
        session, "devices", csv_bytes([device("PLAIN1")]), "a.csv", entered_by=None
    )

    assert report.ok
    assert serials(session) == ["PLAIN1"]


def test_an_xlsx_workbook_with_date_cells_and_numbers(session):
    data = xlsx_bytes([device("XL1", weight_kg="2"), device("XL2", sale_price="99.5")])
    assert data.startswith(b"PK")

    report = import_file(session, "devices", data, "devices.xlsx", entered_by=None)
    session.commit()

    assert report.ok, [str(error) for error in report.errors]
    weights = dict(session.execute(select(Identifier.value, Device.weight_kg).join(Device)).all())
    assert weights == {"XL1": Decimal("2.000"), "XL2": Decimal("1.540")}
    assert report.sample[0].values["received_on"] == "2016-03-01"


def test_a_workbook_bad_row_is_named_by_its_sheet_row(session):
    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    good = device("ROW2")
    sheet.append([good[column] or None for column in COLUMNS])
    sheet.append([None] * len(COLUMNS))  # an empty row in between is skipped, not renumbered
    bad = device("ROW4", category="fridge")
    sheet.append([bad[column] or None for column in COLUMNS])
    sheet.cell(row=4, column=COLUMNS.index("received_on") + 1, value=datetime(2016, 3, 1))
    out = io.BytesIO()
    book.save(out)

    report = import_file(session, "devices", out.getvalue(), "rows.xlsx", entered_by=None)

    assert problems(report) == [(4, "category")]
    assert session.scalar(select(func.count()).select_from(Device)) == 0


def test_blank_lines_are_skipped_and_line_numbers_stay_those_of_the_file(session):
    text = (
        csv_bytes([device("L2")]).decode()
        + "\r\n,,,,,,,,,,,\r\n"
        + csv_bytes([device("L4", grade="Q")]).decode().split("\r\n", 1)[1]
    )

    report = import_file(session, "devices", text.encode(), "gaps.csv", entered_by=None)

    # Line 3 is empty, line 4 holds only separators: the bad row is the file's line 5.
    assert problems(report) == [(5, "grade")]


def test_a_file_that_is_not_utf8_is_refused_with_a_way_out(session):
    data = csv_bytes([device("LATIN1", model="Élite")], encoding="latin-1")

    report = import_file(session, "devices", data, "old.csv", entered_by=None)

    assert problems(report) == [(2, "")]
    assert "UTF-8" in report.errors[0].reason


def test_a_file_named_xlsx_that_is_not_a_workbook(session):
    report = import_file(session, "devices", b"not a workbook", "devices.xlsx", entered_by=None)

    assert problems(report) == [(1, "")]
    assert "XLSX" in report.errors[0].reason


def test_an_empty_file_and_a_header_alone(session):
    empty = import_file(session, "devices", b"", "empty.csv", entered_by=None)
    header = import_file(session, "devices", csv_bytes([]), "header.csv", entered_by=None)

    assert "empty" in empty.errors[0].reason
    assert problems(header) == [(2, "")]
    assert "no rows" in header.errors[0].reason


def test_a_column_named_twice_and_a_line_longer_than_the_header(session):
    twice = csv_bytes([device()], columns=(*COLUMNS, "grade"))
    longer = csv_bytes([device("LONG1")]) + b"LONG2,laptop,HP,X,1,,2016-01-01,,,,,,surprise\r\n"

    assert "twice" in import_file(session, "devices", twice, "", entered_by=None).errors[0].reason
    report = import_file(session, "devices", longer, "", entered_by=None)
    assert problems(report) == [(3, "")]


def test_headers_are_read_whatever_their_case_and_extra_columns_are_ignored():
    data = (",".join(column.upper() for column in COLUMNS) + ",comment\r\n").encode()
    data += b"S1,laptop,HP,X,1,,2016-01-01,,,,,,keep me\r\n"

    table = read_table(data, "x.csv")

    assert table.header[: len(COLUMNS)] == list(COLUMNS)
    assert table.rows[0].values["serial_number"] == "S1"
    assert table.rows[0].line == 2


def test_dates_typed_as_text_in_a_workbook_are_read_like_csv():
    book = Workbook()
    book.active.append(["received_on", "weight_kg"])
    book.active.append([date(2016, 2, 29), 1.0])
    book.active.append(["2016-03-01", 2.25])
    out = io.BytesIO()
    book.save(out)

    table = read_table(out.getvalue())

    assert [row.values for row in table.rows] == [
        {"received_on": "2016-02-29", "weight_kg": "1"},
        {"received_on": "2016-03-01", "weight_kg": "2.25"},
    ]
