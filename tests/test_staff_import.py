"""Importing staff from a spreadsheet, all or nothing; and ATF Gaia's 2016 imported whole."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from inventory import impact
from inventory.imports import import_file
from inventory.people import (
    DisabilityRecognition,
    Employment,
    InsertionProgramme,
    Person,
)
from workshop.cli import cli

HEADER = (
    "staff_number,name,hired_on,left_on,contract,fte,disability_recognized,insertion,"
    "insertion_entry_on,exit_outcome"
)
GOOD = "\n".join(
    [
        HEADER,
        "E-001,Léa Martin,2015-09-01,,permanent,1,yes,no,,",
        "E-002,Karim Benali,2019-02-04,2020-08-31,insertion,0.8,no,yes,2019-02-04,training",
        # Karim again: a rehire, after the first period ended.
        "E-002,Karim Benali,2021-01-04,,permanent,1,no,no,,",
        "E-003,Zoé Petit,2020-03-02,,apprentice,0.5,yes,yes,2020-03-02,",
    ]
)


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_a_good_file_records_people_periods_a_rehire_insertion_and_recognitions(session):
    report = import_file(session, "staff", GOOD.encode(), "staff.csv", entered_by=None)
    assert report.ok, [str(error) for error in report.errors]
    assert report.written == {"people": 3, "periods": 4}
    assert report.summary == {"people": 3, "periods": 4, "insertion": 2, "recognised": 2}
    session.commit()
    karim = session.scalar(select(Person).where(Person.staff_number == "E-002"))
    assert [(p.hired_on, p.left_on, p.contract) for p in karim.employments] == [
        (date(2019, 2, 4), date(2020, 8, 31), "insertion"),
        (date(2021, 1, 4), None, "permanent"),
    ]
    programme = karim.insertions[0]
    assert (programme.entered_on, programme.exited_on, programme.exit_outcome) == (
        date(2019, 2, 4),
        date(2020, 8, 31),
        "training",
    )
    spans = session.execute(
        select(
            Person.staff_number, DisabilityRecognition.valid_from, DisabilityRecognition.valid_until
        )
        .join(Person, Person.id == DisabilityRecognition.person_id)
        .order_by(Person.staff_number)
    ).all()
    assert spans == [("E-001", date(2015, 9, 1), None), ("E-003", date(2020, 3, 2), None)]
    figures = impact.compute(session, 2020)["figures"]
    assert figures["insertion_exits"] == 1 and figures["insertion_exits_positive"] == 1
    assert figures["jobs_created"] == 1 and figures["jobs_created_disabled"] == 1


BAD_ROWS = [
    ("E-010,Ana,2016-13-01,,permanent,1,no,no,,", "hired_on", "not a date"),
    ("E-011,Bo,2016-05-01,2016-04-01,permanent,1,no,no,,", "left_on", "before hired_on"),
    ("E-012,Cy,2016-05-01,,boss,1,no,no,,", "contract", "Unknown contract"),
    ("E-013,Di,2016-05-01,,permanent,1.2,no,no,,", "fte", "from 0 to 1"),
    ("E-014,Ed,2016-05-01,,permanent,-0.1,no,no,,", "fte", "from 0 to 1"),
    ("E-015,Fa,2016-05-01,,permanent,1,maybe,no,,", "disability_recognized", "yes or no"),
    ("E-016,Gu,2016-05-01,,insertion,1,no,yes,,", "insertion_entry_on", "required"),
    ("E-017,Ha,2016-05-01,,insertion,1,no,yes,2016-05-01,promoted", "exit_outcome", "Unknown"),
    ("E-018,Io,2016-05-01,,permanent,1,no,no,2016-05-01,", "insertion_entry_on", "only for"),
    (",Ju,2016-05-01,,permanent,1,no,no,,", "staff_number", "required"),
    ("E-001,Ka,2016-05-01,,permanent,1,no,no,,", "staff_number", "already recorded"),
    ("E-020,Lu,2016-05-01,2016-12-31,permanent,1,no,no,,", "", ""),
    ("E-020,Lu,2016-12-01,,permanent,1,no,no,,", "hired_on", "overlaps"),
    ("E-021,Mo,2016-05-01,2016-06-01,permanent,1,no,no,,", "", ""),
    ("E-021,Other name,2017-05-01,,permanent,1,no,no,,", "name", "one number, one person"),
]


def test_any_bad_row_imports_nothing_and_every_bad_row_is_listed(session):
    import_file(
        session,
        "staff",
        (HEADER + "\nE-001,Léa,2015-09-01,,permanent,1,no,no,,").encode(),
        "first.csv",
        entered_by=None,
    )
    session.commit()
    body = "\n".join(
        [HEADER, "E-030,Good Row,2016-01-04,,permanent,1,no,no,,"]
        + [row for row, _column, _reason in BAD_ROWS]
    )
    report = import_file(session, "staff", body.encode(), "bad.csv", entered_by=None)
    assert not report.ok
    found: dict[tuple[int, str], str] = {}
    for error in report.errors:
        found[(error.line, error.column)] = found.get((error.line, error.column), "") + error.reason
    for line, (_row, column, reason) in enumerate(BAD_ROWS, start=3):
        if not column:
            continue
        assert (line, column) in found, (line, column, sorted(found))
        assert reason in found[(line, column)], (line, found[(line, column)])
    assert 2 not in {error.line for error in report.errors}
    session.rollback()
    assert _count(session, Person) == 1
    assert _count(session, Employment) == 1


def test_a_missing_column_is_one_error_on_line_1(session):
    header = HEADER.replace(",fte", "")
    report = import_file(
        session,
        "staff",
        (header + "\nE-1,A,2016-01-01,,permanent,no,no,,").encode(),
        "s.csv",
        entered_by=None,
    )
    assert [(error.line, error.column) for error in report.errors] == [(1, "fte")]


def test_the_command_line_imports_xlsx_checks_with_dry_run_and_exits_1_on_a_bad_file(
    app, sessions, tmp_path
):
    book = Workbook()
    sheet = book.active
    for line in GOOD.splitlines():
        sheet.append(line.split(","))
    path = tmp_path / "staff.xlsx"
    book.save(path)
    runner = app.test_cli_runner()
    dry = runner.invoke(cli, ["import", "staff", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    with sessions() as session:
        assert _count(session, Person) == 0
    done = runner.invoke(cli, ["import", "staff", str(path)])
    assert done.exit_code == 0, done.output
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\nE-100,Nina,2016-02-30,,permanent,1,no,no,,\n")
    refused = runner.invoke(cli, ["import", "staff", str(bad)])
    assert refused.exit_code == 1
    assert "line 2, hired_on" in refused.output
    with sessions() as session:
        assert _count(session, Person) == 3
        assert _count(session, InsertionProgramme) == 2


# -- ATF Gaia, 2016 ------------------------------------------------------------------------------

ATF_DEVICES = 103_419
ATF_HIRES, ATF_HIRES_RECOGNISED, ATF_THROUGHOUT = 14, 10, 60


def _atf_devices_csv() -> bytes:
    """103,419 devices received, repaired and sold in 2016, spread over the year."""
    out = io.StringIO()
    out.write(
        "serial_number,category,make,model,weight_kg,lot,received_on,ready_on,sold_on,"
        "recycled_on,grade,sale_price\n"
    )
    first = date(2016, 1, 1)
    for number in range(ATF_DEVICES):
        received = first + timedelta(days=number % 350)
        ready = received + timedelta(days=number % 7)
        sold = ready + timedelta(days=number % 8)
        out.write(
            f"ATF16{number:07d},laptop,Dell,Latitude E6440,2.250,ATF-2016-{received.month:02d},"
            f"{received},{ready},{sold},,B,{90 + number % 60}\n"
        )
    return out.getvalue().encode()


def _atf_staff_csv() -> bytes:
    rows = [HEADER]
    for number in range(ATF_THROUGHOUT):
        hired = date(2008 + number % 8, 1 + number % 12, 1)
        rows.append(
            f"G-{number:03d},Worker {number},{hired},,permanent,1,"
            f"{'yes' if number % 3 == 0 else 'no'},no,,"
        )
    for number in range(ATF_HIRES):
        hired = date(2016, 1 + number % 12, 1 + number)
        recognised = "yes" if number < ATF_HIRES_RECOGNISED else "no"
        rows.append(f"H-{number:03d},Hire {number},{hired},,insertion,1,{recognised},yes,{hired},")
    return "\n".join(rows).encode()


def test_atf_gaia_2016_imported_whole_gives_its_published_figures_back(session):
    devices = import_file(session, "devices", _atf_devices_csv(), "atf-2016.csv", entered_by=None)
    assert devices.ok, [str(error) for error in devices.errors[:5]]
    people = import_file(session, "staff", _atf_staff_csv(), "atf-staff.csv", entered_by=None)
    assert people.ok, [str(error) for error in people.errors[:5]]
    session.commit()

    figures = impact.compute(session, 2016)["figures"]
    assert figures["units_received"] == ATF_DEVICES
    assert figures["units_repaired"] == ATF_DEVICES
    assert figures["units_sold"] == ATF_DEVICES
    assert figures["units_donated"] == 0 and figures["units_recycled"] == 0
    assert figures["weight_reused_kg"] == Decimal("2.250") * ATF_DEVICES
    assert figures["reuse_rate"] == Decimal("1.0000")
    assert figures["jobs_created"] == ATF_HIRES
    assert figures["jobs_created_disabled"] == ATF_HIRES_RECOGNISED
    assert figures["jobs_sustained"] == ATF_THROUGHOUT
    assert figures["headcount_end"] == ATF_THROUGHOUT + ATF_HIRES
    assert figures["insertion_exits"] == 0
    assert impact.compute(session, 2015)["figures"]["units_received"] == 0
    assert impact.compute(session, 2017)["figures"]["units_sold"] == 0


@pytest.mark.parametrize("answer", ["Yes", "NO"])
def test_yes_and_no_are_read_in_any_case(session, answer):
    body = f"{HEADER}\nE-1,A,2016-01-04,,permanent,1,{answer},{answer},2016-01-04,"
    report = import_file(session, "staff", body.encode(), "s.csv", entered_by=None)
    if answer == "Yes":
        assert report.ok
    else:
        assert [error.column for error in report.errors] == ["insertion_entry_on"]
