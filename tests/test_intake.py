"""A donor's lot arrives and the warehouse receives it, device by device."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from inventory.checks import open_checks
from inventory.codes import asset_tag, has_valid_check
from inventory.errors import AlreadyReceived, InvalidInput, NotFound
from inventory.events import device_history
from inventory.intake import previous_in_lot, receive_device
from inventory.lots import open_lot
from inventory.models import Device, Event
from inventory.stages import move_to_stage
from tests.conftest import check_codes, enter_ready


@pytest.fixture
def bank_lot(session, make_user):
    user = make_user("warehouse", "paul")
    open_lot(session, "BANK-2026-11", donor="Banque Solidaire", entered_by=user)
    session.commit()
    return user


def receive(session, serial, user, **extra):
    fields = {
        "category": "laptop",
        "make": "Dell",
        "model": "Latitude 5490",
        "lot": "BANK-2026-11",
        "weight_kg": "1.6",
    }
    fields.update(extra)
    intake = receive_device(session, serial_number=serial, entered_by=user, **fields)
    session.commit()
    return intake


def test_forty_laptops_get_forty_asset_tags_that_scan_true(session, bank_lot):
    tags = [receive(session, f"5CG{n:07d}", bank_lot).device.asset_tag for n in range(40)]
    assert tags == [asset_tag(n) for n in range(1, 41)]
    assert all(has_valid_check(tag) for tag in tags)
    devices = session.scalars(select(Device)).all()
    assert {d.stage for d in devices} == {"received"}
    assert {d.lot.code for d in devices} == {"BANK-2026-11"}
    assert (
        session.scalar(select(func.count()).select_from(Event).where(Event.kind == "intake")) == 40
    )


def test_the_intake_event_says_who_received_what(session, bank_lot):
    device = receive(session, "pf1abcd ", bank_lot).device
    assert device.serial_number == "PF1ABCD"
    assert device.weight_kg == Decimal("1.600")
    (event,) = device_history(session, device)
    assert event.kind == "intake"
    assert event.to_stage == "received"
    assert event.entered_by.username == "paul"
    assert event.performed_by.username == "paul"
    assert event.payload["serial_number"] == "PF1ABCD"
    assert event.payload["lot"] == "BANK-2026-11"


def test_a_serial_already_received_says_when_and_under_which_tag_and_creates_nothing(
    session, bank_lot
):
    first = receive(session, "5CG0000001", bank_lot).device
    with pytest.raises(AlreadyReceived) as refused:
        receive(session, "5cg0000001", bank_lot)
    session.rollback()
    assert first.asset_tag in refused.value.message
    assert first.received_at.strftime("%Y-%m-%d") in refused.value.message
    assert refused.value.details["asset_tag"] == first.asset_tag
    assert session.scalar(select(func.count()).select_from(Device)) == 1


def test_a_sold_device_that_comes_back_starts_a_new_cycle_with_its_history(session, bank_lot):
    device = receive(session, "C02XK1ABJGH5", bank_lot, make="Apple", model="MacBook Air").device
    for stage in ("triage", "erasure", "diagnostics", "qc"):
        move_to_stage(session, device, stage, entered_by=bank_lot)
    enter_ready(session, device, entered_by=bank_lot)
    move_to_stage(session, device, "sold", entered_by=bank_lot)
    session.commit()

    back = receive(session, "C02XK1ABJGH5", bank_lot)
    assert back.new_cycle
    assert back.device.asset_tag == device.asset_tag
    assert back.device.cycle == 2
    assert back.device.stage == "received"
    assert back.device.grade is None
    kinds = [event.kind for event in device_history(session, back.device)]
    assert kinds[0] == "intake" and kinds[-1] == "intake"
    # Intake, 4 moves, grade, checks, 3 bench runs (started, ended) and 1 erasure, 2 moves, intake.
    assert len(kinds) == 17
    assert kinds.count("checks") == 1
    assert kinds.count("diagnostic_run") == 3
    # The checks of the first cycle do not count for the second: they are asked again.
    assert open_checks(session, back.device) == (check_codes("laptop"), [])
    assert session.scalar(select(func.count()).select_from(Device)) == 1


@pytest.mark.parametrize(
    ("serial", "field", "fields"),
    [
        ("", "serial_number", {}),
        ("   ", "serial_number", {}),
        ("X" * 101, "serial_number", {}),
        ("ABC\x07DEF", "serial_number", {}),
        (asset_tag(7), "serial_number", {}),
        ("SN1", "category", {"category": "toaster"}),
        ("SN1", "make", {"make": "  "}),
        ("SN1", "model", {"model": None}),
        ("SN1", "weight_kg", {"weight_kg": "heavy"}),
        ("SN1", "weight_kg", {"weight_kg": "-1"}),
        ("SN1", "weight_kg", {"weight_kg": "NaN"}),
        ("SN1", "weight_kg", {"weight_kg": True}),
    ],
)
def test_bad_intake_input_names_the_field_and_creates_nothing(
    session, bank_lot, serial, field, fields
):
    with pytest.raises(InvalidInput) as refused:
        receive(session, serial, bank_lot, **fields)
    session.rollback()
    assert refused.value.details["field"] == field
    assert session.scalar(select(func.count()).select_from(Device)) == 0


def test_an_unknown_lot_is_refused_with_what_to_do(session, bank_lot):
    with pytest.raises(NotFound, match="Create the lot first"):
        receive(session, "SN-1", bank_lot, lot="NOPE")


def test_the_weight_accepts_a_french_decimal_comma(session, bank_lot):
    assert receive(session, "SN-2", bank_lot, weight_kg="2,35").device.weight_kg == Decimal("2.350")


def test_the_next_intake_is_prefilled_from_the_previous_device_of_the_lot(session, bank_lot):
    assert previous_in_lot(session, "BANK-2026-11") is None
    receive(session, "SN-A", bank_lot, model="Latitude 7490")
    receive(session, "SN-B", bank_lot, model="Latitude 5590")
    assert previous_in_lot(session, "BANK-2026-11").model == "Latitude 5590"
