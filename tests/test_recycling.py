"""Recycling: a device leaves for good with a reason and a weight, for the yearly figures."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from inventory.devices import get_device
from inventory.errors import IllegalTransition, InvalidInput
from inventory.intake import receive_device
from inventory.models import Event
from inventory.recycling import recycle
from tests.conftest import csrf_token

API = "/api/v1"


def received(session, serial, weight_kg=None):
    device = receive_device(
        session,
        serial_number=serial,
        category="laptop",
        make="Dell",
        model="Latitude E7450",
        weight_kg=weight_kg,
        entered_by=None,
    ).device
    session.commit()
    return device


def last_event(session, device):
    query = select(Event).where(Event.device_id == device.id).order_by(Event.id.desc())
    return session.scalars(query).first()


def test_recycling_keeps_the_reason_and_the_weight_already_known(session):
    device = received(session, "CN-0042", weight_kg=Decimal("1.850"))
    recycle(session, device, reason="liquid_damage", note="Coffee on the board", entered_by=None)
    session.commit()
    assert device.stage == "recycled"
    event = last_event(session, device)
    assert (event.from_stage, event.to_stage) == ("received", "recycled")
    assert event.payload["reason"] == "liquid_damage"
    assert event.payload["weight_kg"] == "1.850"
    assert event.payload["note"] == "Coffee on the board"


def test_the_weight_given_at_recycling_is_recorded_and_becomes_the_devices(session):
    device = received(session, "CN-0043")
    recycle(session, device, reason="obsolete", weight_kg="2,4", entered_by=None)
    session.commit()
    assert get_device(session, device.asset_tag).weight_kg == Decimal("2.400")
    assert last_event(session, device).payload["weight_kg"] == "2.400"


def test_recycling_without_a_reason_or_a_weight_is_refused_and_changes_nothing(session):
    device = received(session, "CN-0044")
    for reason in (None, "", "   "):
        with pytest.raises(InvalidInput) as refused:
            recycle(session, device, reason=reason, weight_kg=2, entered_by=None)
        assert refused.value.details["field"] == "reason"
    with pytest.raises(InvalidInput) as refused:
        recycle(session, device, reason="obsolete", entered_by=None)
    assert refused.value.details["field"] == "weight_kg"
    with pytest.raises(InvalidInput):
        recycle(session, device, reason="obsolete", weight_kg="-1", entered_by=None)
    session.rollback()
    assert get_device(session, device.asset_tag).stage == "received"


def test_a_recycled_device_cannot_be_recycled_twice(session):
    device = received(session, "CN-0045", weight_kg=Decimal("2"))
    recycle(session, device, reason="beyond_repair", entered_by=None)
    with pytest.raises(IllegalTransition):
        recycle(session, device, reason="beyond_repair", entered_by=None)


def test_the_api_asks_a_reason_and_a_weight_to_recycle(client, bearer, sessions):
    headers = bearer("technician", "theo")
    with sessions() as session:
        tag = received(session, "CN-0046").asset_tag
    url = f"{API}/devices/{tag}/transitions"

    no_reason = client.post(url, json={"to": "recycled", "weight_kg": 2.1}, headers=headers)
    assert no_reason.status_code == 400
    assert no_reason.get_json()["error"]["field"] == "reason"
    no_weight = client.post(url, json={"to": "recycled", "reason": "obsolete"}, headers=headers)
    assert no_weight.status_code == 400
    assert no_weight.get_json()["error"]["field"] == "weight_kg"
    stray = client.post(url, json={"to": "triage", "reason": "obsolete"}, headers=headers)
    assert stray.status_code == 400
    assert stray.get_json()["error"]["field"] == "reason"

    done = client.post(
        url, json={"to": "recycled", "reason": "no_demand", "weight_kg": 2.1}, headers=headers
    )
    assert done.status_code == 200, done.get_json()
    assert (done.get_json()["stage"], done.get_json()["weight_kg"]) == ("recycled", 2.1)
    events = client.get(f"{API}/devices/{tag}", headers=headers).get_json()["events"]
    assert events[-1]["payload"] == {"reason": "no_demand", "weight_kg": "2.100"}


def test_the_device_page_asks_why_and_the_weight_before_recycling(client, logged_in, sessions):
    logged_in("technician")
    with sessions() as session:
        tag = received(session, "CN-0047", weight_kg=Decimal("4.5")).asset_tag
    token = csrf_token(client, f"/devices/{tag}")
    form = {"csrf_token": token, "to": "recycled", "expected_stage": "received"}

    asked = client.post(f"/devices/{tag}/move", data=form)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert 'name="reason"' in page and 'value="liquid_damage"' in page
    assert 'name="weight_kg"' in page and 'value="4.5"' in page

    without_reason = client.post(f"/devices/{tag}/move", data=form | {"confirm": "yes"})
    assert without_reason.status_code == 400
    assert "Choose why" in without_reason.get_data(as_text=True)
    without_weight = client.post(
        f"/devices/{tag}/move",
        data=form | {"confirm": "yes", "reason": "obsolete", "weight_kg": "heavy"},
    )
    assert without_weight.status_code == 400
    assert "weight in kilograms" in without_weight.get_data(as_text=True)
    with sessions() as session:
        assert get_device(session, tag).stage == "received"

    confirmed = client.post(
        f"/devices/{tag}/move",
        data=form
        | {"confirm": "yes", "reason": "missing_parts", "weight_kg": "4,2", "note": "No screen"},
    )
    assert confirmed.status_code == 302
    with sessions() as session:
        device = get_device(session, tag)
        assert (device.stage, device.weight_kg) == ("recycled", Decimal("4.200"))
        payload = last_event(session, device).payload
    assert payload == {"reason": "missing_parts", "weight_kg": "4.200", "note": "No screen"}
    history = client.get(f"/devices/{tag}").get_data(as_text=True)
    assert "Missing parts, 4.200 kg" in history
