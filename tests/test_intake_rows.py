"""The device intake hands back is the device the database holds, column for column."""

from __future__ import annotations

from sqlalchemy import inspect

from inventory.intake import receive_device
from inventory.lots import open_lot
from inventory.models import Device


def test_the_received_device_equals_the_row_read_back(session, sessions, make_user):
    # Intake writes its rows with bare INSERTs and joins the device to the session as
    # loaded: a column it forgot would differ here, or be missing.
    user = session.merge(make_user("warehouse", "wanda"))
    lot = open_lot(session, "2024-06-ROWS", donor="Town hall", entered_by=user)
    received = receive_device(
        session,
        serial_number="PF-ROWS-1",
        category="laptop",
        make="Lenovo",
        model="ThinkPad T480",
        lot=lot.code,
        weight_kg="1,58",
        specs={"ram_gb": 8},
        entered_by=user,
    ).device
    session.commit()

    columns = [column.key for column in inspect(Device).column_attrs]
    state = inspect(received)
    assert not state.expired_attributes
    with sessions() as other:
        stored = other.get(Device, received.id)
        assert {name: getattr(received, name) for name in columns} == {
            name: getattr(stored, name) for name in columns
        }
        assert [(i.kind, i.value) for i in received.identifiers] == [
            (i.kind, i.value) for i in stored.identifiers
        ]
    assert received.lot is lot and received.location is None
