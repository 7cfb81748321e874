"""A device sold or recycled leaves its shelf: the location is cleared, the event keeps it."""

from __future__ import annotations

from sqlalchemy import select

from inventory.intake import receive_device
from inventory.locations import create_location, devices_per_location, put_away
from inventory.models import Event
from inventory.recycling import recycle
from inventory.sales import add_to_order, complete_order, open_order
from inventory.stages import move_to_stage
from tests.conftest import enter_ready


def shelved_monitor(session, user, serial):
    """A monitor received and put away on a new shelf; (monitor, shelf)."""
    monitor = receive_device(
        session,
        serial_number=serial,
        category="monitor",
        make="Dell",
        model="P2419H",
        weight_kg="4.2",
        entered_by=user,
    ).device
    shelf = create_location(session, f"Shelf {serial}", "shelf", entered_by=user)
    put_away(session, monitor, shelf, entered_by=user)
    return monitor, shelf


def last_move(session, device):
    return session.scalars(
        select(Event)
        .where(Event.device_id == device.id, Event.to_stage.is_not(None))
        .order_by(Event.id.desc())
        .limit(1)
    ).one()


def test_a_sold_device_is_no_longer_on_its_shelf(session, make_user):
    manager = session.merge(make_user("manager", "maud"))
    monitor, shelf = shelved_monitor(session, manager, "CN-0SOLD")
    for stage in ("triage", "erasure", "diagnostics", "qc"):
        move_to_stage(session, monitor, stage, entered_by=manager)
    enter_ready(session, monitor, entered_by=manager)
    order = open_order(session, customer="Boutique", channel="shop", entered_by=manager)
    add_to_order(session, order, monitor, "45")
    complete_order(session, order, entered_by=manager)
    session.commit()

    assert (monitor.stage, monitor.location) == ("sold", None)
    assert last_move(session, monitor).payload["from_location"] == shelf.code
    assert devices_per_location(session) == {}


def test_a_recycled_device_is_no_longer_on_its_shelf(session, make_user):
    manager = session.merge(make_user("manager", "maud"))
    monitor, shelf = shelved_monitor(session, manager, "CN-0RECY")
    recycle(session, monitor, reason="broken_screen", entered_by=manager)
    session.commit()

    assert (monitor.stage, monitor.location) == ("recycled", None)
    assert last_move(session, monitor).payload["from_location"] == shelf.code
    assert devices_per_location(session) == {}
