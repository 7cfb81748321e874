"""Importing a workshop's old spreadsheet of devices: every row with its history, or none."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from inventory import impact
from inventory.devices import get_device
from inventory.events import device_history
from inventory.imports import check_file, import_file, kinds
from inventory.imports import devices as device_import
from inventory.intake import receive_device
from inventory.lots import open_lot
from inventory.models import Device, Event, Identifier, Lot, SaleLine, SaleOrder
from tests.import_helpers import COLUMNS, csv_bytes, device, problems


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_each_row_becomes_a_device_with_its_history_at_the_days_given(session, make_user):
    manager = make_user("manager")
    data = csv_bytes(
        [
            device("SOLD1"),
            device(
                "RECYCLED1",
                category="desktop",
                weight_kg="7.2",
                ready_on="",
                sold_on="",
                recycled_on="2016-05-10",
                grade="",
                sale_price="",
            ),
            device("WAITING1", lot="", ready_on="", sold_on="", grade="", sale_price=""),
            device("READY1", sold_on="", sale_price="", grade="a"),
        ]
    )

    report = import_file(session, "devices", data, "gaia.csv", entered_by=manager)
    session.commit()

    assert report.ok and report.rows == 4
    assert report.written == {"devices": 4, "events": 10, "lots_opened": 1, "sold": 1}
    sold = get_device(
        session,
        session.scalar(
            select(Device.asset_tag).join(Identifier).where(Identifier.value == "SOLD1")
        ),
    )
    assert (sold.stage, sold.grade, sold.weight_kg, sold.lot.code) == (
        "sold",
        "B",
        Decimal("1.540"),
        "2016-GAIA-01",
    )
    assert sold.serial_number == "SOLD1"
    assert sold.received_at == datetime(2016, 3, 1, 12, tzinfo=UTC)
    assert sold.stage_entered_at == datetime(2016, 4, 2, 12, tzinfo=UTC)
    history = [
        (event.kind, event.from_stage, event.to_stage, event.occurred_at.date())
        for event in device_history(session, sold)
    ]
    assert history == [
        ("intake", None, "received", date(2016, 3, 1)),
        ("graded", None, None, date(2016, 3, 15)),
        ("stage_change", "received", "ready", date(2016, 3, 15)),
        ("stage_change", "ready", "sold", date(2016, 4, 2)),
    ]
    the_import = session.scalar(select(Event).where(Event.kind == "import"))
    assert the_import.entered_by_id == manager.id
    assert the_import.payload["file"] == "gaia.csv" and the_import.payload["rows"] == 4
    for event in device_history(session, sold):
        assert event.payload["imported"] is True
        assert event.payload["import_event"] == the_import.id
        assert event.entered_by_id == manager.id
    sale = device_history(session, sold)[-1].payload
    assert (sale["channel"], sale["price"]) == ("shop", "149.00")
    order = session.get(SaleOrder, sale["order_id"])
    assert (order.status, order.channel, [line.price for line in order.lines]) == (
        "completed",
        "shop",
        [Decimal("149.00")],
    )

    by_serial = {
        identifier.value: identifier.device for identifier in session.scalars(select(Identifier))
    }
    recycled = by_serial["RECYCLED1"]
    assert (recycled.stage, recycled.grade) == ("recycled", None)
    last = device_history(session, recycled)[-1]
    assert (last.from_stage, last.to_stage, last.payload["weight_kg"]) == (
        "received",
        "recycled",
        "7.200",
    )
    assert (by_serial["WAITING1"].stage, by_serial["WAITING1"].lot) == ("received", None)
    assert (by_serial["READY1"].stage, by_serial["READY1"].grade) == ("ready", "A")


def test_the_imported_devices_count_in_the_yearly_figures(session):
    rows = [device(f"FIG{number}") for number in range(5)]
    rows.append(device("FIGGIFT", channel="donation", sale_price="0"))
    rows.append(
        device("FIGOLD", received_on="2015-12-31", ready_on="2016-01-01", sold_on="2017-01-01")
    )
    data = csv_bytes(rows, columns=(*COLUMNS, "channel"))

    assert import_file(session, "devices", data, "year.csv", entered_by=None).ok
    session.commit()

    figures = impact.compute(session, 2016)["figures"]
    assert figures["units_received"] == 6
    assert figures["units_repaired"] == 7
    assert figures["units_sold"] == 5
    assert figures["units_donated"] == 1


def test_a_lot_the_workshop_knows_is_used_and_one_it_does_not_is_opened(session):
    open_lot(session, "KNOWN", donor="Mairie", entered_by=None)
    session.commit()
    data = csv_bytes(
        [
            device("A1", lot="KNOWN"),
            device("A2", lot="NEW-LOT", received_on="2016-02-03"),
            device("A3", lot="NEW-LOT", received_on="2016-01-20"),
        ]
    )

    report = import_file(session, "devices", data, "lots.csv", entered_by=None)
    session.commit()

    assert report.written["lots_opened"] == 1
    new = session.scalar(select(Lot).where(Lot.code == "NEW-LOT"))
    assert new.received_on == date(2016, 1, 20)
    assert count(session, Lot) == 2
    assert count(session, Device, Device.lot_id == new.id) == 2


def test_asset_tags_continue_the_counter_that_intake_uses(session):
    first = receive_device(
        session, serial_number="BEFORE1", category="laptop", make="HP", model="X", entered_by=None
    ).device
    session.commit()

    import_file(
        session, "devices", csv_bytes([device("IMP1"), device("IMP2")]), "", entered_by=None
    )
    session.commit()
    after = receive_device(
        session, serial_number="AFTER1", category="laptop", make="HP", model="X", entered_by=None
    ).device
    session.commit()

    tags = list(session.scalars(select(Device.asset_tag).order_by(Device.id)))
    assert tags[0] == first.asset_tag and tags[-1] == after.asset_tag
    assert len(set(tags)) == 4
    numbers = [int(tag[1:-1]) for tag in tags]
    assert numbers == [1, 2, 3, 4]


# Each kind of bad row, the column it names and a word of its reason.
BAD_ROWS = [
    (device(category="toaster"), "category", "toaster"),
    (device(received_on="2016-02-30"), "received_on", "YYYY-MM-DD"),
    (device(received_on="01/03/2016"), "received_on", "YYYY-MM-DD"),
    (device(received_on=""), "received_on", "received"),
    (device(ready_on="2016-02-01"), "ready_on", "before received_on"),
    (device(sold_on="2016-03-10"), "sold_on", "before ready_on"),
    (device(ready_on="", sold_on="2016-04-02"), "ready_on", "ready for sale"),
    (device(recycled_on="2016-05-01"), "recycled_on", "not both"),
    (device(sold_on="", sale_price="", recycled_on="2016-03-10"), "recycled_on", "before ready_on"),
    (device(weight_kg="-1"), "weight_kg", "between 0"),
    (device(weight_kg="heavy"), "weight_kg", "number"),
    (device(sale_price="-5"), "sale_price", "price"),
    (device(sale_price="cheap"), "sale_price", "price"),
    (device(sale_price="12.345"), "sale_price", "cents"),
    (device(sale_price=""), "sale_price", "price"),
    (device(sold_on="", sale_price="20"), "sale_price", "sold_on"),
    (device(grade="Z"), "grade", "Unknown grade"),
    (device(grade=""), "grade", "grade"),
    (device(make=""), "make", "empty"),
    (device(serial=""), "serial_number", "empty"),
    (device(serial="A0000001O"), "serial_number", "asset tags"),
    (
        device(recycled_on="2016-04-01", ready_on="", sold_on="", sale_price="", weight_kg=""),
        "weight_kg",
        "weight",
    ),
    (device(lot="new"), "lot", "lot code"),
    (
        device(received_on="2999-01-01", ready_on="", sold_on="", sale_price=""),
        "received_on",
        "future",
    ),
]


@pytest.mark.parametrize(("row", "column", "words"), BAD_ROWS)
def test_a_bad_row_is_named_by_line_and_column_and_nothing_is_written(session, row, column, words):
    data = csv_bytes([device("GOOD1"), row, device("GOOD2")])

    report = import_file(session, "devices", data, "bad.csv", entered_by=None)
    session.commit()

    assert (3, column) in problems(report)
    assert {error.line for error in report.errors} == {3}
    reasons = " ".join(error.reason for error in report.errors if error.column == column)
    assert words in reasons
    assert not report.imported
    assert count(session, Device) == 0
    assert count(session, Event) == 0
    assert count(session, Lot) == 0


def test_every_bad_row_is_listed_not_just_the_first(session):
    data = csv_bytes(
        [
            device("D1", category="fridge"),
            device("D2"),
            device("D3", grade="E", weight_kg="-2"),
            device("D4", received_on="yesterday"),
        ]
    )

    report = check_file(session, "devices", data, "many.csv")

    assert problems(report) == [
        (2, "category"),
        (4, "weight_kg"),
        (4, "grade"),
        (5, "received_on"),
    ]
    assert report.bad_lines == 3


def test_a_serial_twice_in_the_file_is_named_on_its_second_line(session):
    data = csv_bytes([device("TWICE"), device("OTHER"), device(" twice ")])

    report = import_file(session, "devices", data, "twice.csv", entered_by=None)

    assert problems(report) == [(4, "serial_number")]
    assert "line 2" in report.errors[0].reason
    assert count(session, Device) == 0


def test_a_serial_the_workshop_already_has_is_refused_with_its_asset_tag(session):
    known = receive_device(
        session, serial_number="KNOWN1", category="laptop", make="HP", model="X", entered_by=None
    ).device
    session.commit()

    report = import_file(
        session, "devices", csv_bytes([device("NEW1"), device("KNOWN1")]), "", entered_by=None
    )
    session.commit()

    assert problems(report) == [(3, "serial_number")]
    assert known.asset_tag in report.errors[0].reason
    assert count(session, Device) == 1


def test_a_missing_column_is_reported_once_on_the_first_line(session):
    columns = [column for column in COLUMNS if column not in ("grade", "lot")]
    report = import_file(
        session, "devices", csv_bytes([device()], columns=columns), "", entered_by=None
    )

    assert problems(report) == [(1, "lot"), (1, "grade")]
    assert "missing" in report.errors[0].reason
    assert count(session, Device) == 0


def test_a_dry_run_checks_everything_and_writes_nothing(session):
    report = import_file(
        session,
        "devices",
        csv_bytes([device("DRY1"), device("DRY2")]),
        "",
        entered_by=None,
        dry_run=True,
    )
    session.commit()

    assert report.ok and report.dry_run and report.rows == 2
    assert report.summary == {"sold": 2}
    assert not report.imported
    assert count(session, Device) == 0
    assert count(session, Event) == 0


def test_a_failure_while_writing_leaves_nothing_behind(session, monkeypatch):
    rows = [device(f"CHUNK{number}") for number in range(7)]
    monkeypatch.setattr(device_import, "CHUNK", 3)
    written = []

    def fail_after_two_chunks(count: int) -> None:
        written.append(count)
        if len(written) == 2:
            raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError):
        import_file(
            session,
            "devices",
            csv_bytes(rows),
            "",
            entered_by=None,
            progress=lambda done, total: fail_after_two_chunks(done),
        )
    session.rollback()

    assert written == [3, 6]
    assert count(session, Device) == 0
    assert count(session, Identifier) == 0
    assert count(session, Event) == 0
    assert count(session, SaleLine) == 0
    assert count(session, Lot) == 0


def test_chunks_write_every_row_and_report_progress(session, monkeypatch):
    monkeypatch.setattr(device_import, "CHUNK", 4)
    seen = []

    report = import_file(
        session,
        "devices",
        csv_bytes([device(f"P{number}") for number in range(10)]),
        "",
        entered_by=None,
        progress=lambda done, total: seen.append((done, total)),
    )
    session.commit()

    assert seen == [(4, 10), (8, 10), (10, 10)]
    assert report.written["devices"] == 10
    assert count(session, Device) == 10
    assert count(session, Identifier) == 10
    assert count(session, Event, Event.device_id.is_not(None)) == 40


def test_the_devices_kind_is_registered_for_managers_and_admins():
    kind = kinds()["devices"]

    assert kind.columns == COLUMNS
    assert kind.roles == frozenset({"manager", "admin"})
