"""Spare parts: bought and harvested into stock, found by the model they fit, used by the API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from inventory import parts as stock
from inventory.accounts import User
from inventory.codes import has_valid_check, looks_like_part_code
from inventory.errors import IllegalTransition, InvalidInput
from inventory.locations import create_location
from inventory.models import Event
from inventory.repair_models import Part
from tests.repair_helpers import (
    BATTERY,
    MODEL,
    _repair_lists,  # noqa: F401  (an autouse fixture)
    bought,
    harvested_battery,
    in_repair,
    laptop,
    recycled,
)

API = "/api/v1"


@pytest.fixture
def user(make_user):
    return make_user("warehouse", "wanda")


def _user(session, user):
    return session.get(User, user.id)


def test_bought_parts_get_codes_of_their_own_and_one_event(session, user):
    who = _user(session, user)
    shelf = create_location(session, "Shelf P1", "shelf", entered_by=who)
    parts = bought(session, who, quantity=3, location=shelf.code, cost="12,5")
    assert len({part.code for part in parts}) == 3
    for part in parts:
        assert looks_like_part_code(part.code) and has_valid_check(part.code)
        assert (part.state, part.source, part.supplier) == ("in_stock", "bought", "Pièces Pro")
        assert part.unit_cost == Decimal("12.50") and part.location is shelf
        assert part.donor_id is None
    [event] = session.scalars(select(Event).where(Event.kind == "parts_received")).all()
    assert event.payload["parts"] == [part.code for part in parts]
    assert event.payload["unit_cost"] == "12.50"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "toaster"}, "kind"),
        ({"reference": " "}, "reference"),
        ({"location": "L99999X"}, "location"),
        ({"attributes": {"size_gb": [8]}}, "attributes.size_gb"),
    ],
)
def test_a_wrong_part_description_names_its_field(session, user, changes, field):
    data = {"kind": "ram", "reference": "DDR4 SO-DIMM", **changes}
    with pytest.raises(InvalidInput) as refused:
        stock.receive_parts(session, data, supplier="X", unit_cost="10", by=_user(session, user))
    assert refused.value.details["field"] == field


def test_a_bought_part_needs_a_supplier_and_a_cost(session, user):
    data = {"kind": "ram", "reference": "DDR4 SO-DIMM"}
    who = _user(session, user)
    for supplier, cost, field in (
        ("", "10", "supplier"),
        ("X", None, "unit_cost"),
        ("X", "-1", "unit_cost"),
        ("X", "1.234", "unit_cost"),
    ):
        with pytest.raises(InvalidInput) as refused:
            stock.receive_parts(session, data, supplier=supplier, unit_cost=cost, by=who)
        assert refused.value.details["field"] == field
    with pytest.raises(InvalidInput):
        stock.receive_parts(session, data, quantity=0, supplier="X", unit_cost="1", by=who)


def test_parts_are_harvested_only_from_a_recycled_device(session, user):
    who = _user(session, user)
    device = laptop(session, "PF1HARV1", who)
    with pytest.raises(IllegalTransition, match="recycled"):
        stock.harvest(session, device, [{"kind": "battery", "reference": BATTERY}], by=who)
    repaired = in_repair(session, "PF1HARV2", who)
    with pytest.raises(IllegalTransition, match="only from a recycled device"):
        stock.harvest(session, repaired, [{"kind": "battery", "reference": BATTERY}], by=who)
    assert session.scalars(select(Part)).all() == []


def test_a_harvested_part_keeps_its_donor(session, user):
    who = _user(session, user)
    part = harvested_battery(session, "PF1HARV3", who)
    assert part.source == "harvested" and part.unit_cost is None
    assert part.donor.serial_number == "PF1HARV3"
    event = session.scalar(select(Event).where(Event.kind == "harvest"))
    assert event.device_id == part.donor_id and event.payload["parts"] == [part.code]


def test_the_finder_lists_what_fits_in_stock_nearest_first(session, user):
    who = _user(session, user)
    far = create_location(session, "Shelf Z9", "shelf", entered_by=who)
    near = create_location(session, "Bench shelf", "shelf", entered_by=who)
    [at_far] = bought(session, who, location=far.code)
    [at_near] = bought(session, who, location=near.code)
    [nowhere] = bought(session, who)
    [ram] = bought(session, who, kind="ram", reference="DDR4 SO-DIMM")
    bought(session, who, reference="45N1001", fits=("ThinkPad X220",))
    used = harvested_battery(session, "PF1FIND1", who)
    used.state = "scrapped"
    session.flush()
    battery = stock.get_kind(session, "battery")
    found = stock.parts_that_fit(session, MODEL, kind=battery)
    # Without a station: location code order (far was created first), then not put away.
    assert found == [at_far, at_near, nowhere]
    assert stock.parts_that_fit(session, MODEL, kind=battery, near=near) == [
        at_near,
        at_far,
        nowhere,
    ]
    assert ram in stock.parts_that_fit(session, MODEL)
    assert stock.parts_that_fit(session, "ThinkPad T14") == []


def test_the_low_stock_list_shows_kinds_below_their_threshold(session, user):
    who = _user(session, user)
    bought(session, who, quantity=2)
    bought(session, who, kind="ram", reference="DDR4 SO-DIMM", quantity=1)
    short = {line.kind.code: line.missing for line in stock.low_stock(session)}
    assert "battery" not in short  # two in stock, the threshold is 2
    assert short["ram"] == 3 and short["ssd"] == 4


# -- the API ------------------------------------------------------------------------------------


def _in_repair_by_api(sessions, make_user, serial="PF1API01"):
    with sessions() as session:
        who = session.get(User, make_user("manager", f"m-{serial.lower()}").id)
        device = in_repair(session, serial, who)
        donor = recycled(session, f"D{serial}", who)
        session.commit()
        return device.asset_tag, donor.asset_tag


def test_the_api_harvests_finds_and_uses_a_part(client, bearer, sessions, make_user):
    tag, donor = _in_repair_by_api(sessions, make_user)
    tech = bearer("technician", "theo")
    answer = client.post(
        f"{API}/devices/{donor}/harvest",
        json={"parts": [{"kind": "battery", "reference": BATTERY, "fits": [MODEL]}]},
        headers=tech,
    )
    assert answer.status_code == 201, answer.get_json()
    [part] = answer.get_json()["items"]
    assert (part["donor"], part["source"], part["state"]) == (donor, "harvested", "in_stock")

    found = client.get(f"{API}/parts?fits={MODEL}&kind=battery", headers=tech).get_json()
    assert [item["code"] for item in found["items"]] == [part["code"]]

    repair = {"fault": "dead_battery", "action": "replaced", "parts": [part["code"]], "minutes": 20}
    answer = client.post(f"{API}/devices/{tag}/repairs", json=repair, headers=tech)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["technician"] == "theo" and body["parts"][0]["state"] == "used"
    assert client.get(f"{API}/parts?fits={MODEL}", headers=tech).get_json()["items"] == []

    again = client.post(f"{API}/devices/{tag}/repairs", json=repair, headers=tech)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "conflict"
    assert part["code"] in again.get_json()["error"]["message"]


def test_the_api_refuses_what_it_should(client, bearer, sessions, make_user):
    tag, _donor = _in_repair_by_api(sessions, make_user, "PF1API02")
    tech = bearer("technician", "theo")
    warehouse = bearer("warehouse", "wanda")
    harvest = {"parts": [{"kind": "battery", "reference": BATTERY}]}
    refused = client.post(f"{API}/devices/{tag}/harvest", json=harvest, headers=tech)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "illegal_transition"
    assert "recycled" in refused.get_json()["error"]["message"]
    # Warehouse staff may not record repairs; technicians may not receive deliveries.
    repair = {"fault": "hinge", "action": "replaced"}
    assert (
        client.post(f"{API}/devices/{tag}/repairs", json=repair, headers=warehouse).status_code
        == 403
    )
    delivery = {"kind": "ssd", "reference": "M.2 NVMe", "supplier": "X", "unit_cost": "30"}
    assert client.post(f"{API}/parts", json=delivery, headers=tech).status_code == 403
    for body, field in (
        ({"fault": "hinge", "action": "replaced", "parts": ["P999999X"]}, "parts"),
        ({"fault": "hinge", "action": "replaced", "parts": "P1"}, "parts"),
        ({"fault": "paper_jam", "action": "replaced"}, "fault"),
        ({"fault": "hinge"}, "action"),
    ):
        answer = client.post(f"{API}/devices/{tag}/repairs", json=body, headers=tech)
        assert answer.status_code == 400, body
        assert answer.get_json()["error"]["field"] == field
    assert client.get(f"{API}/parts", headers=tech).get_json()["error"]["field"] == "fits"
    answer = client.get(f"{API}/parts?fits={MODEL}&kind=toaster", headers=tech)
    assert answer.status_code == 400 and answer.get_json()["error"]["field"] == "kind"
    assert client.get(f"{API}/parts?fits=x&near=L99999X", headers=tech).status_code == 400


def test_the_api_receives_bought_parts(client, bearer):
    warehouse = bearer("warehouse", "wanda")
    delivery = {
        "kind": "ssd",
        "reference": "M.2 NVMe 2280",
        "attributes": {"size_gb": "256"},
        "supplier": "Pièces Pro",
        "unit_cost": "29.90",
        "quantity": 2,
        "fits": [MODEL],
    }
    answer = client.post(f"{API}/parts", json=delivery, headers=warehouse)
    assert answer.status_code == 201, answer.get_json()
    items = answer.get_json()["items"]
    assert [item["unit_cost"] for item in items] == ["29.90", "29.90"]
    assert items[0]["attributes"] == {"size_gb": "256"}
    found = client.get(f"{API}/parts?fits={MODEL}&kind=ssd", headers=warehouse).get_json()
    assert len(found["items"]) == 2
