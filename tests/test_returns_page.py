"""The returns page: a sold device scanned back in, with the customer's reason."""

from __future__ import annotations

from sqlalchemy import select

from inventory.accounts import User
from inventory.intake import receive_device
from inventory.models import Device, Event
from inventory.sales import add_to_order, complete_order, open_order
from inventory.stages import move_to_stage
from tests.conftest import csrf_token, enter_ready


def sold_monitor(sessions, user_id: int, serial: str = "CN-0BACK") -> str:
    """A monitor taken through the workshop and sold in the shop; its asset tag."""
    with sessions() as session:
        user = session.get(User, user_id)
        monitor = receive_device(
            session,
            serial_number=serial,
            category="monitor",
            make="Dell",
            model="P2419H",
            entered_by=user,
        ).device
        for stage in ("triage", "erasure", "diagnostics", "qc"):
            move_to_stage(session, monitor, stage, entered_by=user)
        enter_ready(session, monitor, entered_by=user)
        order = open_order(session, customer="", channel="shop", entered_by=user)
        add_to_order(session, order, monitor, "45")
        complete_order(session, order, entered_by=user)
        session.commit()
        return monitor.asset_tag


def send(client, **data):
    token = csrf_token(client, "/sales/returns")
    return client.post("/sales/returns", data={"csrf_token": token, **data})


def test_a_sold_monitor_comes_back_with_its_reason(client, logged_in, sessions):
    wanda = logged_in("warehouse", "wanda")
    tag = sold_monitor(sessions, wanda.id)
    assert client.get("/sales/returns").status_code == 200

    # The scan alone asks for the reason, and keeps the tag.
    asked = send(client, code=tag)
    assert asked.status_code == 400
    assert "Say why the customer brought it back." in asked.get_data(as_text=True)
    taken = send(client, code=f" {tag.lower()} ", reason="Screen flickers")
    assert taken.status_code == 302
    page = client.get(taken.headers["Location"]).get_data(as_text=True)
    assert f"{tag} is back, in stage Returned" in page

    with sessions() as session:
        device = session.scalar(select(Device).where(Device.asset_tag == tag))
        assert device.stage == "returned"
        last = session.scalars(
            select(Event).where(Event.device_id == device.id).order_by(Event.id.desc())
        ).first()
        assert (last.from_stage, last.to_stage, last.payload["reason"]) == (
            "sold",
            "returned",
            "Screen flickers",
        )


def test_what_cannot_come_back_is_explained_and_nothing_changes(client, logged_in, sessions):
    wanda = logged_in("warehouse", "wanda")
    tag = sold_monitor(sessions, wanda.id)
    assert send(client, code=tag, reason="Dead pixel").status_code == 302

    twice = send(client, code=tag, reason="Dead pixel")
    unknown = send(client, code="NOT-OURS-42", reason="Dead pixel")

    assert twice.status_code == 409
    assert "cannot move from" in twice.get_data(as_text=True)
    assert unknown.status_code == 400
    assert "is not one of our devices" in unknown.get_data(as_text=True)
    with sessions() as session:
        returns = select(Event).where(Event.to_stage == "returned")
        assert len(session.scalars(returns).all()) == 1


def test_returns_are_for_the_people_who_sell(client, logged_in):
    logged_in("technician", "theo")
    assert client.get("/sales/returns").status_code == 403
