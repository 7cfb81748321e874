"""Selling at the shop and to businesses: a whole order or nothing, and devices coming back."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from inventory.db import begin_write
from inventory.devices import get_device
from inventory.errors import IllegalTransition, InvalidInput, WorkshopError
from inventory.intake import receive_device
from inventory.models import Event, SaleOrder
from inventory.recycling import recycle
from inventory.sales import (
    NotReady,
    add_to_order,
    complete_order,
    open_order,
    remove_from_order,
    return_device,
)
from inventory.stages import move_to_stage
from tests.conftest import csrf_token, enter_ready

API = "/api/v1"
TO_READY = ("triage", "erasure", "diagnostics", "qc", "ready")
RACE_TIMEOUT_S = 60
ROUNDS = 5


def make_device(session, serial, stages=TO_READY, grade="A"):
    """A laptop received and taken through the given stages; committed."""
    device = receive_device(
        session,
        serial_number=serial,
        category="laptop",
        make="Lenovo",
        model="ThinkPad T480",
        weight_kg=Decimal("1.6"),
        entered_by=None,
    ).device
    for stage in stages:
        if stage == "ready":
            enter_ready(session, device, grade=grade)
        else:
            move_to_stage(session, device, stage, entered_by=None)
    session.commit()
    return device


def sale_events(session, device):
    query = select(Event).where(Event.device_id == device.id, Event.to_stage == "sold")
    return list(session.scalars(query))


def test_a_shop_sale_of_three_ready_laptops(session):
    laptops = [make_device(session, f"PF-{n}") for n in range(3)]
    order = open_order(session, customer="Mme Durand", channel="shop", entered_by=None)
    for laptop, price in zip(laptops, ("149.90", 120, "99"), strict=True):
        add_to_order(session, order, laptop, price)
    complete_order(session, order, entered_by=None)
    session.commit()

    assert order.status == "completed" and order.completed_at is not None
    assert order.total == Decimal("368.90")
    for laptop, price in zip(laptops, ("149.90", "120.00", "99.00"), strict=True):
        assert get_device(session, laptop.asset_tag).stage == "sold"
        [event] = sale_events(session, laptop)
        assert event.payload == {"order_id": order.id, "channel": "shop", "price": price}


def test_a_device_that_is_not_ready_cannot_be_scanned_into_an_order(session):
    in_qc = make_device(session, "PF-QC", stages=TO_READY[:-1])
    order = open_order(session, customer="", channel="shop", entered_by=None)
    with pytest.raises(NotReady) as refused:
        add_to_order(session, order, in_qc, "50")
    assert refused.value.details["refused"] == [{"asset_tag": in_qc.asset_tag, "stage": "qc"}]
    assert "qc" in refused.value.message
    with pytest.raises(InvalidInput):
        add_to_order(session, order, make_device(session, "PF-OK"), "12.345")


def test_a_line_removed_leaves_its_device_ready(session):
    keep, drop = make_device(session, "PF-K"), make_device(session, "PF-D")
    order = open_order(session, customer="Asso Linux", channel="donation", entered_by=None)
    add_to_order(session, order, keep, 0)
    line = add_to_order(session, order, drop, 0)
    remove_from_order(session, order, line.id)
    complete_order(session, order, entered_by=None)
    session.commit()
    assert [get_device(session, d.asset_tag).stage for d in (keep, drop)] == ["sold", "ready"]


def test_an_order_with_a_device_recycled_meanwhile_sells_nothing_and_names_it(session):
    laptops = [make_device(session, f"PF-{n}") for n in range(3)]
    order = open_order(session, customer="ACME", channel="b2b", entered_by=None)
    for laptop in laptops:
        add_to_order(session, order, laptop, "80")
    session.commit()
    recycle(session, laptops[1], reason="liquid_damage", entered_by=None)
    session.commit()

    with pytest.raises(NotReady) as refused:
        complete_order(session, order, entered_by=None)
    session.rollback()
    assert refused.value.details["refused"] == [
        {"asset_tag": laptops[1].asset_tag, "stage": "recycled"}
    ]
    assert laptops[1].asset_tag in refused.value.message
    stages = [get_device(session, laptop.asset_tag).stage for laptop in laptops]
    assert stages == ["ready", "recycled", "ready"]
    assert session.get(SaleOrder, order.id).status == "open"


def race_sale_against_recycling(sessions, tag):
    """Sell and recycle one ready laptop on two terminals at the same instant."""
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def sell(session):
        order = open_order(session, customer="Shop", channel="shop", entered_by=None)
        add_to_order(session, order, get_device(session, tag), "150")
        complete_order(session, order, entered_by=None)

    def scrap(session):
        recycle(session, get_device(session, tag), reason="obsolete", entered_by=None)

    def terminal(name, work):
        with sessions() as session:
            try:
                barrier.wait(timeout=RACE_TIMEOUT_S)
                begin_write(session)
                work(session)
                session.commit()
                outcomes[name] = "done"
            except Exception as error:  # anything but a WorkshopError fails below
                session.rollback()
                outcomes[name] = error

    threads = [
        threading.Thread(target=terminal, args=("sale", sell)),
        threading.Thread(target=terminal, args=("recycling", scrap)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(RACE_TIMEOUT_S)
    assert not any(thread.is_alive() for thread in threads), "a terminal is stuck"
    return outcomes


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_sale_racing_a_recycling_of_the_same_laptop_has_one_winner(sessions, round_):
    with sessions() as session:
        tag = make_device(session, f"PF-RACE-{round_}").asset_tag

    outcomes = race_sale_against_recycling(sessions, tag)

    winners = [name for name, outcome in outcomes.items() if outcome == "done"]
    assert len(winners) == 1, outcomes
    [loser] = {"sale", "recycling"} - set(winners)
    assert isinstance(outcomes[loser], WorkshopError), outcomes
    assert tag in outcomes[loser].message
    with sessions() as session:
        device = get_device(session, tag)
        query = select(Event).where(Event.device_id == device.id).order_by(Event.id)
        events = list(session.scalars(query))
        orders = list(session.scalars(select(SaleOrder)))
    assert device.stage == ("sold" if winners == ["sale"] else "recycled")
    # One way out of the workshop in the log, the one the device took, and last.
    assert [e.to_stage for e in events if e.to_stage in ("sold", "recycled")] == [device.stage]
    assert events[-1].to_stage == device.stage
    assert [o.status for o in orders] == (["completed"] if winners == ["sale"] else [])


def test_a_returned_laptop_keeps_the_reason_and_its_order(session):
    laptop = make_device(session, "PF-RET")
    order = open_order(session, customer="M. Petit", channel="online", entered_by=None)
    add_to_order(session, order, laptop, "199")
    complete_order(session, order, entered_by=None)
    session.commit()

    with pytest.raises(InvalidInput):
        return_device(session, laptop, reason=" ", entered_by=None)
    return_device(session, laptop, reason="Keyboard missing a key", entered_by=None)
    session.commit()
    assert laptop.stage == "returned"
    event = session.scalars(select(Event).where(Event.to_stage == "returned")).one()
    assert event.payload == {"reason": "Keyboard missing a key", "order_id": order.id}
    with pytest.raises(IllegalTransition):
        return_device(session, laptop, reason="again", entered_by=None)


def test_the_api_sells_an_order_in_one_call(client, bearer, sessions):
    headers = bearer("warehouse", "wanda")
    with sessions() as session:
        tags = [make_device(session, f"PF-{n}").asset_tag for n in range(3)]
    body = {
        "customer": "Mme Durand",
        "channel": "shop",
        "lines": [
            {"asset_tag": tag.lower(), "price": price}
            for tag, price in zip(tags, (149.9, "120", "99.50"), strict=True)
        ],
    }
    response = client.post(f"{API}/sales", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert (order["status"], order["channel"], order["total"]) == ("completed", "shop", "369.40")
    assert [line["asset_tag"] for line in order["lines"]] == tags
    for tag in tags:
        device = client.get(f"{API}/devices/{tag}", headers=headers).get_json()
        assert device["stage"] == "sold"


def test_the_api_refuses_a_sale_with_one_device_not_ready_and_sells_nothing(
    client, bearer, sessions
):
    headers = bearer("warehouse", "wanda")
    with sessions() as session:
        ready = make_device(session, "PF-R").asset_tag
        in_repair = make_device(
            session, "PF-REP", stages=("triage", "erasure", "diagnostics", "repair")
        ).asset_tag
    lines = [{"asset_tag": ready, "price": 100}, {"asset_tag": in_repair, "price": 90}]
    body = {"customer": "ACME", "channel": "b2b", "lines": lines}
    response = client.post(f"{API}/sales", json=body, headers=headers)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "not_ready"
    assert error["refused"] == [{"asset_tag": in_repair, "stage": "repair"}]
    assert in_repair in error["message"]
    with sessions() as session:
        assert get_device(session, ready).stage == "ready"
        assert list(session.scalars(select(SaleOrder))) == []

    unknown = client.post(
        f"{API}/sales",
        json=body
        | {"lines": [{"asset_tag": ready, "price": 1}, {"asset_tag": "A0000999X", "price": 1}]},
        headers=headers,
    )
    assert unknown.status_code == 400
    assert unknown.get_json()["error"]["field"] == "lines[1].asset_tag"
    assert "A0000999X" in unknown.get_json()["error"]["message"]

    technician = bearer("technician", "theo")
    assert client.post(f"{API}/sales", json=body, headers=technician).status_code == 403


def test_the_api_takes_a_sold_device_back(client, bearer, sessions):
    headers = bearer("warehouse", "wanda")
    with sessions() as session:
        tag = make_device(session, "PF-BACK").asset_tag
    client.post(
        f"{API}/sales",
        json={"customer": "X", "channel": "online", "lines": [{"asset_tag": tag, "price": 5}]},
        headers=headers,
    )
    missing = client.post(f"{API}/devices/{tag}/return", json={}, headers=headers)
    assert missing.get_json()["error"]["field"] == "reason"
    back = client.post(f"{API}/devices/{tag}/return", json={"reason": "DOA"}, headers=headers)
    assert back.status_code == 200
    assert back.get_json()["stage"] == "returned"


def test_the_shop_scans_laptops_into_an_order_and_completes_it(client, logged_in, sessions):
    logged_in("warehouse")
    with sessions() as session:
        ready = [make_device(session, f"PF-{n}").asset_tag for n in range(2)]
        in_qc = make_device(session, "PF-QC", stages=TO_READY[:-1]).asset_tag
    assert "/sales/" in client.get("/", follow_redirects=True).get_data(as_text=True)

    token = csrf_token(client, "/sales/new")
    opened = client.post(
        "/sales/new", data={"csrf_token": token, "customer": "Mme Durand", "channel": "shop"}
    )
    assert opened.status_code == 302
    order_page = opened.headers["Location"]
    page = client.get(order_page).get_data(as_text=True)
    assert 'name="code"' in page and "autofocus" in page
    add = order_page + "/add"

    for tag in ready:
        scanned = client.post(add, data={"csrf_token": token, "code": tag.lower(), "price": "89"})
        assert scanned.status_code == 302
        # The price stays filled for the next scan.
        assert "price=89" in scanned.headers["Location"]
    refused = client.post(
        add, data={"csrf_token": token, "code": in_qc, "price": "89"}, follow_redirects=True
    )
    page = refused.get_data(as_text=True)
    assert f"{in_qc} (Quality control)" in page and 'role="alert"' in page
    assert 'value="89"' in page

    confirm = client.get(order_page + "/complete").get_data(as_text=True)
    assert "2 devices will be sold for 178.00" in confirm
    done = client.post(order_page + "/complete", data={"csrf_token": token}, follow_redirects=True)
    assert "2 devices sold" in done.get_data(as_text=True)
    with sessions() as session:
        assert [get_device(session, tag).stage for tag in ready] == ["sold", "sold"]
        assert get_device(session, in_qc).stage == "qc"
    assert "Mme Durand" in client.get("/sales/").get_data(as_text=True)


def test_completing_an_order_whose_laptop_was_recycled_sells_nothing(client, logged_in, sessions):
    logged_in("manager")
    with sessions() as session:
        tags = [make_device(session, f"PF-{n}").asset_tag for n in range(2)]
    token = csrf_token(client, "/sales/new")
    order_page = client.post(
        "/sales/new", data={"csrf_token": token, "customer": "ACME", "channel": "b2b"}
    ).headers["Location"]
    for tag in tags:
        client.post(order_page + "/add", data={"csrf_token": token, "code": tag, "price": "50"})
    with sessions() as session:
        recycle(session, get_device(session, tags[0]), reason="obsolete", entered_by=None)
        session.commit()

    done = client.post(order_page + "/complete", data={"csrf_token": token}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "Nothing was sold" in page and f"{tags[0]} (Recycled)" in page
    with sessions() as session:
        assert get_device(session, tags[1]).stage == "ready"


def test_technicians_do_not_sell(client, logged_in):
    logged_in("technician")
    assert client.get("/sales/").status_code == 403
    assert "/sales/" not in client.get("/", follow_redirects=True).get_data(as_text=True)
