"""A day in the warehouse: shelves get codes, a pallet of laptops is put away scan by scan."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select

from inventory.codes import check_character, location_code, looks_like_asset_tag, normalize
from inventory.db import begin_write
from inventory.devices import get_device
from inventory.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from inventory.intake import receive_device
from inventory.locations import (
    create_location,
    devices_per_location,
    get_location,
    list_locations,
    put_away,
)
from inventory.models import Device, Event, Scan
from inventory.scanning import resolve_code
from inventory.stages import move_to_stage
from tests.conftest import csrf_token, enter_ready

API = "/api/v1"
PAGE = "/locations/put-away"


def receive_laptops(session, user, count, prefix="PF3PAL"):
    """A pallet of laptops received at intake; their asset tags, in order."""
    tags = []
    for number in range(count):
        intake = receive_device(
            session,
            serial_number=f"{prefix}{number:03d}",
            category="laptop",
            make="Lenovo",
            model="ThinkPad T480",
            entered_by=user,
        )
        tags.append(intake.device.asset_tag)
    return tags


def sell(session, device, user):
    """Take a device through the workshop to `sold`."""
    for stage in ("triage", "erasure", "diagnostics", "qc"):
        move_to_stage(session, device, stage, entered_by=user)
    enter_ready(session, device, entered_by=user)
    move_to_stage(session, device, "sold", entered_by=user)


def misread(code):
    """The code with its first digit read wrong, as a smudged label gives."""
    wrong = "9" if code[1] != "9" else "8"
    return code[0] + wrong + code[2:]


@pytest.fixture
def warehouse(make_user):
    return make_user("warehouse", "wanda")


# Codes


def test_location_codes_carry_their_own_prefix_length_and_check_character():
    code = location_code(3)
    assert re.fullmatch(r"L00003[0-9A-Z]", code)
    assert code[-1] == check_character(code[:-1])
    assert not looks_like_asset_tag(code)
    assert len(code) != len("A0000003X")


def test_every_single_misread_of_a_location_code_is_caught(session):
    code = location_code(1234)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for position in range(1, len(code)):
        for char in alphabet:
            if char == code[position]:
                continue
            wrong = code[:position] + char + code[position + 1 :]
            if not wrong[1:-1].isdigit():
                continue
            assert resolve_code(session, wrong).kind == "invalid", wrong


# Services


def test_new_locations_get_consecutive_codes_and_an_event_each(session, warehouse):
    shelf = create_location(session, "  Shelf   A3 ", "shelf", entered_by=warehouse)
    pallet = create_location(session, "Pallet 12", "pallet", entered_by=warehouse)
    session.commit()
    assert (shelf.code, shelf.name, shelf.kind) == (location_code(1), "Shelf A3", "shelf")
    assert pallet.code == location_code(2)
    assert get_location(session, pallet.code.lower()) is pallet
    assert [item.code for item in list_locations(session)] == [shelf.code, pallet.code]
    events = session.scalars(select(Event).where(Event.kind == "location_created")).all()
    assert [event.payload["location"] for event in events] == [shelf.code, pallet.code]


def test_a_location_needs_a_name_and_a_known_kind(session, warehouse):
    with pytest.raises(InvalidInput) as empty:
        create_location(session, "   ", "shelf", entered_by=warehouse)
    assert empty.value.details["field"] == "name"
    with pytest.raises(InvalidInput) as attic:
        create_location(session, "Attic", "attic", entered_by=warehouse)
    assert attic.value.details["field"] == "kind"
    assert "attic" in attic.value.message
    with pytest.raises(NotFound):
        get_location(session, location_code(99))


def test_putting_away_moves_the_device_and_logs_from_and_to(session, warehouse):
    (tag,) = receive_laptops(session, warehouse, 1)
    device = get_device(session, tag)
    shelf = create_location(session, "Shelf A3", "shelf", entered_by=warehouse)
    bin_ = create_location(session, "Bin 7", "bin", entered_by=warehouse)
    put_away(session, device, shelf, entered_by=warehouse)
    put_away(session, device, bin_, entered_by=warehouse)
    session.commit()
    assert device.location is bin_
    moves = session.scalars(
        select(Event).where(Event.kind == "put_away", Event.device_id == device.id)
    ).all()
    assert [event.payload for event in moves] == [
        {"to_location": shelf.code},
        {"from_location": shelf.code, "to_location": bin_.code},
    ]
    assert devices_per_location(session) == {bin_.id: 1}


def test_a_sold_device_is_refused_with_its_stage_named(session, warehouse, make_user):
    technician = make_user("technician", "theo")
    (tag,) = receive_laptops(session, warehouse, 1)
    device = get_device(session, tag)
    sell(session, device, technician)
    shelf = create_location(session, "Shelf A3", "shelf", entered_by=warehouse)
    with pytest.raises(IllegalTransition) as refused:
        put_away(session, device, shelf, entered_by=warehouse)
    assert refused.value.message == (
        f"{tag} has left the workshop (stage: sold) and cannot be put away. "
        "Set it aside and tell a manager."
    )
    assert device.location is None


def test_two_terminals_putting_one_laptop_at_two_places_at_once_one_wins(sessions, warehouse):
    with sessions() as session:
        (tag,) = receive_laptops(session, warehouse, 1)
        shelves = [
            create_location(session, f"Shelf A{n}", "shelf", entered_by=warehouse).code
            for n in (3, 4)
        ]
        session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def terminal(number: int) -> None:
        with sessions() as session:
            try:
                barrier.wait(timeout=30)
                begin_write(session)
                device = get_device(session, tag)
                location = get_location(session, shelves[number])
                # Both terminals saw the laptop on no shelf.
                put_away(session, device, location, entered_by=warehouse, expected_location="")
                session.commit()
                outcomes[number] = shelves[number]
            except Conflict as error:
                session.rollback()
                outcomes[number] = error

    threads = [threading.Thread(target=terminal, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    winners = [outcome for outcome in outcomes if isinstance(outcome, str)]
    refusals = [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    assert len(winners) == 1 and len(refusals) == 1, outcomes
    assert refusals[0].details["location"] == winners[0]
    assert winners[0] in refusals[0].message
    with sessions() as session:
        assert get_device(session, tag).location.code == winners[0]
        assert len(session.scalars(select(Event).where(Event.kind == "put_away")).all()) == 1


def test_a_terminal_that_read_the_laptop_before_another_moved_it_is_told(sessions, warehouse):
    with sessions() as session:
        (tag,) = receive_laptops(session, warehouse, 1)
        shelf = create_location(session, "Shelf A3", "shelf", entered_by=warehouse)
        pallet = create_location(session, "Pallet 12", "pallet", entered_by=warehouse)
        session.commit()
    with sessions() as late, sessions() as quick:
        stale = get_device(late, tag)
        late_pallet = get_location(late, pallet.code)
        late.commit()
        put_away(quick, get_device(quick, tag), get_location(quick, shelf.code), entered_by=None)
        quick.commit()
        begin_write(late)
        # The version counter: the late terminal's UPDATE matches no row.
        with pytest.raises(Conflict) as told:
            put_away(late, stale, late_pallet, entered_by=warehouse)
        assert told.value.details["location"] == shelf.code
        assert "Shelf A3" in told.value.message
        late.rollback()
    with sessions() as session:
        assert get_device(session, tag).location.code == shelf.code


# Scans


def test_a_scan_tells_a_location_from_a_device_and_a_misread(session, warehouse):
    shelf = create_location(session, "Shelf A3", "shelf", entered_by=warehouse)
    (tag,) = receive_laptops(session, warehouse, 1)
    found = resolve_code(session, f" {shelf.code.lower()} ")
    assert (found.kind, found.location, found.device) == ("location", shelf, None)
    assert resolve_code(session, tag).kind == "device"
    wrong = resolve_code(session, misread(shelf.code))
    assert wrong.kind == "invalid"
    assert "misread" in wrong.message
    assert resolve_code(session, location_code(77)).kind == "unknown"


# The put-away page


def scan(client, code, token):
    return client.post(PAGE, data={"code": code, "csrf_token": token}, follow_redirects=True)


def outcome(page):
    match = re.search(r'id="scan-outcome"[^>]*>(.*?)</div>', page.get_data(as_text=True), re.S)
    assert match
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_a_pallet_of_twenty_laptops_is_put_away_on_shelf_a3(client, sessions, logged_in, warehouse):
    with sessions() as session:
        tags = receive_laptops(session, warehouse, 20)
        shelf = create_location(session, "Shelf A3", "shelf", entered_by=warehouse).code
        session.commit()
    logged_in("warehouse", "walter")
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "autofocus" in html and "data-scan-field" in html
    assert "scan the label of the shelf" in html
    token = csrf_token(client, PAGE)

    answer = scan(client, shelf, token)
    assert outcome(answer) == f"Location Shelf A3 ({shelf}): now scan the devices you put there."
    assert f'<span class="tag tag-large">{shelf}</span>' in answer.get_data(as_text=True)
    for tag in tags:
        answer = scan(client, tag, token)
        assert outcome(answer) == f"{tag} put at Shelf A3 ({shelf}). Scan the next device."

    with sessions() as session:
        placed = session.scalars(select(Device).order_by(Device.id)).all()
        assert {device.location.code for device in placed} == {shelf}
        events = session.scalars(select(Event).where(Event.kind == "put_away")).all()
        assert len(events) == 20
        assert {event.entered_by.username for event in events} == {"walter"}
        logged = session.scalars(select(Scan.outcome).where(Scan.station == "put_away")).all()
        assert logged == ["location"] + ["put_away"] * 20

    listing = client.get("/locations/").get_data(as_text=True)
    row = re.search(rf"{shelf}</th>.*?</tr>", listing, re.S)
    assert row and "<td>20</td>" in row.group(0)
    device_page = client.get(f"/devices/{tags[0]}").get_data(as_text=True)
    assert shelf in device_page and "Shelf A3" in device_page


def test_the_put_away_page_says_what_a_wrong_scan_was_and_what_to_do(
    client, sessions, logged_in, warehouse, make_user
):
    technician = make_user("technician", "theo")
    with sessions() as session:
        first, second, sold = receive_laptops(session, warehouse, 3)
        shelf = create_location(session, "Shelf A3", "shelf", entered_by=warehouse).code
        pallet = create_location(session, "Pallet 12", "pallet", entered_by=warehouse).code
        sell(session, get_device(session, sold), technician)
        session.commit()
    logged_in("warehouse", "walter")
    token = csrf_token(client, PAGE)

    answer = outcome(scan(client, first, token))
    assert (
        answer == f"{first} was not put away: scan the label of the location first, "
        "then the device again."
    )
    answer = outcome(scan(client, misread(shelf), token))
    assert "looks like a location code but its check character is wrong" in answer
    assert "Scan it again" in answer
    assert outcome(scan(client, "NOT-OURS-42", token)).startswith(
        "NOT-OURS-42 is neither a location nor a device we know."
    )
    assert outcome(scan(client, "", token)).startswith("Nothing was scanned.")

    scan(client, shelf, token)
    assert outcome(scan(client, sold, token)) == (
        f"{sold} has left the workshop (stage: Sold) and cannot be put away. "
        "Set it aside and tell a manager."
    )
    scan(client, first, token)
    assert outcome(scan(client, first, token)) == f"{first} is already at Shelf A3."
    # Scanning another location switches to it.
    assert "Pallet 12" in outcome(scan(client, pallet, token))
    scan(client, second, token)
    with sessions() as session:
        assert get_device(session, first).location.code == shelf
        assert get_device(session, second).location.code == pallet
        assert get_device(session, sold).location is None


def test_the_put_away_page_speaks_french(client, sessions, logged_in, warehouse):
    with sessions() as session:
        shelf = create_location(session, "Étagère A3", "shelf", entered_by=warehouse).code
        session.commit()
    logged_in("warehouse", "walter")
    token = csrf_token(client, PAGE)
    client.post("/language", data={"language": "fr", "csrf_token": token, "next": PAGE})
    answer = outcome(scan(client, misread(shelf), token))
    assert "mal lu" in answer or "relu" in answer or "Scannez" in answer, answer


def test_locations_are_added_from_their_page_and_roles_are_checked(
    client, sessions, logged_in, make_user
):
    make_user("technician", "theo")
    logged_in("manager", "maude")
    token = csrf_token(client, "/locations/")
    created = client.post(
        "/locations/", data={"name": "Pallet 12", "kind": "pallet", "csrf_token": token}
    )
    assert created.status_code == 302
    refused = client.post("/locations/", data={"name": "", "kind": "pallet", "csrf_token": token})
    assert refused.status_code == 400
    assert "Give the location a name" in refused.get_data(as_text=True)
    with sessions() as session:
        assert [(item.name, item.kind) for item in list_locations(session)] == [
            ("Pallet 12", "pallet")
        ]
    client.post("/logout", data={"csrf_token": token})
    logged_in("technician", "tina")
    assert client.get("/locations/").status_code == 403
    assert client.get(PAGE).status_code == 403


def test_the_intake_page_does_not_take_a_location_label_for_a_serial(
    client, sessions, logged_in, warehouse
):
    with sessions() as session:
        shelf = create_location(session, "Shelf A3", "shelf", entered_by=warehouse).code
        session.commit()
    logged_in("warehouse", "walter")
    token = csrf_token(client, "/intake/")
    page = client.post("/intake/", data={"code": shelf, "csrf_token": token})
    assert page.status_code == 302 and page.headers["Location"].endswith("/intake/")
    text = client.get("/intake/").get_data(as_text=True)
    assert f"{shelf} is the label of location Shelf A3, not a device." in text
    with sessions() as session:
        assert session.scalars(select(Device)).all() == []


# The API


def test_the_api_puts_a_device_away_and_answers_with_its_location(client, bearer, sessions):
    headers = bearer("warehouse", "wanda")
    shelf = client.post(
        f"{API}/locations", json={"name": "Shelf A3", "kind": "shelf"}, headers=headers
    )
    assert shelf.status_code == 201
    code = shelf.get_json()["code"]
    assert code == location_code(1)
    laptop = {"serial_number": "PF3API1", "category": "laptop", "make": "HP", "model": "840"}
    tag = client.post(f"{API}/devices", json=laptop, headers=headers).get_json()["asset_tag"]
    assert client.get(f"{API}/devices/{tag}", headers=headers).get_json()["location"] is None

    moved = client.post(
        f"{API}/devices/{tag}/location", json={"location": code.lower()}, headers=headers
    )
    assert moved.status_code == 200
    assert moved.get_json()["location"] == code
    listing = client.get(f"{API}/locations", headers=headers).get_json()
    assert listing["items"][0]["code"] == code and listing["items"][0]["devices"] == 1

    scanned = client.post(f"{API}/scans", json={"code": code}, headers=headers).get_json()
    assert scanned["kind"] == "location"
    assert scanned["location"]["name"] == "Shelf A3"
    assert "device" not in scanned

    unknown = client.post(
        f"{API}/devices/{tag}/location", json={"location": location_code(50)}, headers=headers
    )
    assert unknown.status_code == 400
    assert unknown.get_json()["error"]["field"] == "location"

    # A second terminal that believed the laptop was on no shelf is told where it is.
    late = client.post(
        f"{API}/devices/{tag}/location", json={"location": code, "from": ""}, headers=headers
    )
    assert late.status_code == 409
    assert late.get_json()["error"]["code"] == "conflict"
    assert late.get_json()["error"]["location"] == code

    technician = bearer("technician", "theo")
    forbidden = client.post(
        f"{API}/devices/{tag}/location", json={"location": code}, headers=technician
    )
    assert forbidden.status_code == 403
    assert client.get(f"{API}/locations", headers=technician).status_code == 403
    with sessions() as session:
        assert get_device(session, tag).location.code == normalize(code)
