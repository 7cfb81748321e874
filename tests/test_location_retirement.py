"""A location emptied for good is retired: no put-away there, its code never given again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inventory import parts as stock
from inventory.errors import Conflict, InvalidInput
from inventory.intake import receive_device
from inventory.locations import create_location, put_away, set_in_use
from inventory.models import Event, Location
from inventory.repair_models import Part
from tests.conftest import csrf_token
from tests.repair_helpers import bought


def test_an_emptied_shelf_is_retired_and_refuses_put_away_until_used_again(session, make_user):
    wanda = session.merge(make_user("warehouse", "wanda"))
    shelf = create_location(session, "Shelf B1", "shelf", entered_by=wanda)
    bin_ = create_location(session, "Bin 2", "bin", entered_by=wanda)
    laptop = receive_device(
        session,
        serial_number="PF-RETIRE",
        category="laptop",
        make="HP",
        model="840",
        entered_by=wanda,
    ).device
    put_away(session, laptop, shelf, entered_by=wanda)

    with pytest.raises(Conflict) as refused:
        set_in_use(session, shelf, False, by=wanda)
    assert "still holds 1 devices" in refused.value.message
    put_away(session, laptop, bin_, entered_by=wanda)
    set_in_use(session, shelf, False, by=wanda)
    with pytest.raises(InvalidInput):
        put_away(session, laptop, shelf, entered_by=wanda)
    set_in_use(session, shelf, True, by=wanda)
    put_away(session, laptop, shelf, entered_by=wanda)
    session.commit()

    kinds = session.scalars(
        select(Event.kind)
        .where(Event.kind.in_(["location_retired", "location_restored"]))
        .order_by(Event.id)
    ).all()
    assert kinds == ["location_retired", "location_restored"]


def test_the_locations_page_retires_and_restores_with_the_keyboard(client, logged_in, sessions):
    wanda = logged_in("warehouse", "wanda")
    with sessions() as session:
        code = create_location(session, "Pallet 9", "pallet", entered_by=session.merge(wanda)).code
        session.commit()
    page = client.get("/locations/").get_data(as_text=True)
    assert f"Retire {code}" in page

    token = csrf_token(client, "/locations/")
    retired = client.post(f"/locations/{code}/in-use", data={"csrf_token": token, "in_use": "no"})
    assert retired.status_code == 302
    page = client.get("/locations/").get_data(as_text=True)
    assert f"{code} is retired" in page and f"Use {code} again" in page
    with sessions() as session:
        assert session.scalar(select(Location.active).where(Location.code == code)) is False

    # Without the form's token nothing changes.
    assert client.post(f"/locations/{code}/in-use", data={"in_use": "yes"}).status_code == 400
    with sessions() as session:
        assert session.scalar(select(Location.active).where(Location.code == code)) is False
    assert client.post("/locations/L99999X/in-use", data={"csrf_token": token}).status_code == 404


def test_retiring_is_for_those_who_manage_locations(client, logged_in):
    logged_in("technician", "theo")
    token = csrf_token(client, "/queue/")
    answer = client.post("/locations/L00001A/in-use", data={"csrf_token": token, "in_use": "no"})
    assert answer.status_code == 403


def test_a_shelf_with_spare_parts_on_it_is_not_retired(client, logged_in, sessions):
    wanda = logged_in("warehouse", "wanda")
    with sessions() as session:
        stock.seed_default_kinds(session)
        who = session.merge(wanda)
        shelf = create_location(session, "Parts shelf", "shelf", entered_by=who)
        other = create_location(session, "Parts bin", "bin", entered_by=who)
        bought(session, who, quantity=2, location=shelf.code)
        session.commit()
        shelf_code, other_code = shelf.code, other.code
    page = client.get("/locations/").get_data(as_text=True)
    row = page[page.index(f">{shelf_code}<") :].split("</tr>")[0]
    assert "<td>0</td>\n      <td>2</td>" in row

    with sessions() as session:
        shelf = session.scalar(select(Location).where(Location.code == shelf_code))
        with pytest.raises(Conflict) as refused:
            set_in_use(session, shelf, False, by=None)
        assert "still holds 2 spare parts" in refused.value.message
        bin_ = session.scalar(select(Location).where(Location.code == other_code))
        for part in session.scalars(select(Part)):
            stock.put_part_away(session, part, bin_, by=None)
        set_in_use(session, shelf, False, by=None)
        session.commit()
        assert shelf.active is False
