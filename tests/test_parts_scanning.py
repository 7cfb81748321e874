"""A part's label scanned anywhere: the part page, the repair form, the API, put-away, wrong places."""

from __future__ import annotations

import html

from sqlalchemy import select

from inventory.accounts import User
from inventory.codes import part_code
from inventory.intake import receive_device
from inventory.locations import create_location
from inventory.models import Event, Scan
from inventory.repair_models import Part
from inventory.scanning import resolve_code, scan_outcome
from tests.conftest import csrf_token, login
from tests.repair_helpers import (
    BATTERY,
    _repair_lists,  # noqa: F401  (an autouse fixture)
    bought,
    harvested_battery,
    in_repair,
)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def misread(code: str) -> str:
    """The code with its check character wrong, as a bad read gives it."""
    return code[:-1] + ("X" if code[-1] != "X" else "Y")


def _stock(sessions, make_user):
    """A harvested battery (its donor recycled), a bought SSD on shelf A3, a laptop in repair."""
    make_user("technician", "theo")
    with sessions() as session:
        theo = session.scalar(select(User).where(User.username == "theo"))
        shelf = create_location(session, "Shelf A3", "shelf", entered_by=None)
        battery = harvested_battery(session, "PF1DONOR", theo)
        [ssd] = bought(session, theo, kind="ssd", reference="M.2 2280", location=shelf.code)
        device = in_repair(session, "PF1FIXME", theo)
        session.commit()
        return {
            "battery": battery.code,
            "donor": battery.donor.asset_tag,
            "ssd": ssd.code,
            "shelf": shelf.code,
            "device": device.asset_tag,
        }


def test_a_part_code_resolves_to_its_part_and_bad_reads_are_told_apart(session, sessions):
    with sessions() as setup:
        part = harvested_battery(setup, "PF1RESOL", None)
        code = part.code
        # A manufacturer serial with a part code's shape still finds its device.
        phone = receive_device(
            setup, serial_number="P123456Q", category="phone", make="F", model="3", entered_by=None
        ).device
        phone_tag = phone.asset_tag
        setup.commit()
    found = resolve_code(session, f" {code.lower()} ")
    assert (found.kind, found.part.code, found.device) == ("part", code, None)
    assert found.message == f"{code} is a spare part, not a device."
    assert scan_outcome(found) == "part"
    unknown = resolve_code(session, part_code(99999))
    assert (
        unknown.kind == "unknown" and unknown.message == f"No part has the code {part_code(99999)}."
    )
    bad = resolve_code(session, misread(code))
    assert bad.kind == "invalid" and "looks like a part code" in bad.message
    assert scan_outcome(bad) == "misread"
    serial = resolve_code(session, "P123456Q")
    assert serial.kind == "device" and serial.device.asset_tag == phone_tag


def test_the_search_box_opens_the_part_page_with_everything_about_it(client, sessions, make_user):
    codes = _stock(sessions, make_user)
    login(client, "theo")
    answer = client.get(f"/devices/?q={codes['battery']}")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/repairs/parts/{codes['battery']}")
    page = text(client.get(answer.headers["Location"]))
    assert "Battery" in page and BATTERY in page and "Harvested from" in page
    assert f'href="/devices/{codes["donor"]}"' in page
    assert "not put away" in page and "in stock" in page
    assert 'name="kind" value="part"' in page and f'name="code" value="{codes["battery"]}"' in page
    ssd = text(client.get(f"/repairs/parts/{codes['ssd'].lower()}"))
    assert "Bought from Pièces Pro · 39.90 € each" in ssd and "Shelf A3" in ssd
    # A misread part label is said on the device list, not a page of its own.
    wrong = text(client.get(f"/devices/?q={misread(codes['ssd'])}"))
    assert "looks like a part code" in wrong
    missing = client.get(f"/repairs/parts/{part_code(99999)}")
    assert missing.status_code == 404 and f"No part has the code {part_code(99999)}" in text(
        missing
    )


def test_the_part_page_is_for_the_roles_that_see_parts(client, sessions, make_user):
    codes = _stock(sessions, make_user)
    make_user("hr", "rose")
    login(client, "rose")
    assert client.get(f"/repairs/parts/{codes['battery']}").status_code == 403
    assert client.get(f"/labels/parts/{codes['battery']}.pdf").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get(f"/repairs/parts/{codes['battery']}").status_code == 302


def test_a_scanned_part_code_on_the_repair_form_is_used_and_shown_on_its_page(
    client, sessions, make_user
):
    codes = _stock(sessions, make_user)
    login(client, "theo")
    tag = codes["device"]
    token = csrf_token(client, f"/repairs/{tag}")
    answer = client.post(
        f"/repairs/{tag}",
        data={
            "csrf_token": token,
            "fault": "dead_battery",
            "action": "replaced",
            # As a scanner types it: small letters, a blank and a line end around.
            "scanned": f" {codes['battery'].lower()}\n",
            "minutes": "15",
        },
        follow_redirects=True,
    )
    assert "Parts taken from stock: " + codes["battery"] in text(answer)
    page = text(client.get(f"/repairs/parts/{codes['battery']}"))
    assert "used in a repair" in page and f'href="/devices/{tag}"' in page
    assert 'id="put-away-link"' not in page
    # A misread code on the form is refused and nothing is used.
    answer = client.post(
        f"/repairs/{tag}",
        data={
            "csrf_token": token,
            "fault": "hinge",
            "action": "replaced",
            "scanned": misread(codes["ssd"]),
        },
        follow_redirects=True,
    )
    assert "Repair recorded" not in text(answer)
    with sessions() as session:
        assert session.scalar(select(Part.state).where(Part.code == codes["ssd"])) == "in_stock"


def test_a_part_scanned_where_a_device_is_expected_is_said_so(client, sessions, make_user):
    codes = _stock(sessions, make_user)
    make_user("manager", "maud")
    login(client, "maud")
    code = codes["ssd"]
    message = f"{code} is a spare part, not a device."
    token = csrf_token(client, f"/work/{codes['device']}")
    card = client.post(
        "/work/scan",
        data={"csrf_token": token, "code": code, "current": codes["device"]},
        follow_redirects=True,
    )
    assert card.status_code == 200 and message in text(card)
    queue = client.post(
        "/queue/scan", data={"csrf_token": token, "code": code}, follow_redirects=True
    )
    assert queue.status_code == 200 and message in text(queue)
    back = client.post(
        "/sales/returns", data={"csrf_token": token, "code": code, "reason": "broken"}
    )
    assert back.status_code == 400 and message in text(back)
    intake = client.post("/intake/", data={"csrf_token": token, "code": code})
    assert intake.status_code == 302 and intake.headers["Location"].endswith("/intake/")
    page = text(client.get("/intake/"))
    assert f"{code} is a spare part, not a device. Nothing was created" in page
    client.post("/intake/", data={"csrf_token": token, "code": misread(code)})
    assert "looks like a part code" in text(client.get("/intake/"))
    with sessions() as session:
        outcomes = [s.outcome for s in session.scalars(select(Scan).order_by(Scan.id))]
        assert outcomes == ["part", "part", "part", "misread"]


def test_the_api_scan_says_part_with_its_code_kind_and_state(client, sessions, make_user, bearer):
    codes = _stock(sessions, make_user)
    headers = bearer("technician", "tina")
    answer = client.post("/api/v1/scans", json={"code": codes["ssd"]}, headers=headers)
    body = answer.get_json()
    assert answer.status_code == 200 and body["kind"] == "part"
    assert body["part"]["code"] == codes["ssd"]
    assert (body["part"]["kind"], body["part"]["state"]) == ("ssd", "in_stock")
    assert body["part"]["location"] == codes["shelf"]
    assert body["message"] == f"{codes['ssd']} is a spare part, not a device."
    wrong = client.post("/api/v1/scans", json={"code": misread(codes["ssd"])}, headers=headers)
    assert wrong.get_json()["kind"] == "invalid" and "part" not in wrong.get_json()


def test_scanning_a_shelf_then_parts_puts_them_there(client, sessions, make_user):
    codes = _stock(sessions, make_user)
    make_user("warehouse", "wanda")
    login(client, "wanda")
    token = csrf_token(client, "/locations/put-away")

    def scan(code: str) -> str:
        answer = client.post("/locations/put-away", data={"csrf_token": token, "code": code})
        assert answer.status_code == 302
        return text(client.get("/locations/put-away"))

    assert "scan the label of the location first" in scan(codes["battery"])
    scan(codes["shelf"])
    assert f"Part {codes['battery']} put at Shelf A3 ({codes['shelf']})" in scan(codes["battery"])
    assert f"Part {codes['ssd']} is already at Shelf A3" in scan(codes["ssd"])
    with sessions() as session:
        part = session.scalar(select(Part).where(Part.code == codes["battery"]))
        assert part.location.code == codes["shelf"]
        [moved] = session.scalars(select(Event).where(Event.kind == "part_moved")).all()
        assert moved.payload == {
            "part": codes["battery"],
            "to_location": codes["shelf"],
        }
        assert moved.entered_by.username == "wanda" and moved.device_id is None
        outcomes = [s.outcome for s in session.scalars(select(Scan).order_by(Scan.id))]
        assert outcomes == ["no_location", "location", "put_away", "already_there"]
    page = text(client.get(f"/repairs/parts/{codes['battery']}"))
    assert "Shelf A3" in page


def test_a_used_part_is_not_put_back_on_a_shelf(client, sessions, make_user):
    codes = _stock(sessions, make_user)
    login(client, "theo")
    token = csrf_token(client, f"/repairs/{codes['device']}")
    client.post(
        f"/repairs/{codes['device']}",
        data={"csrf_token": token, "fault": "hinge", "action": "replaced", "parts": codes["ssd"]},
    )
    client.post("/logout", data={"csrf_token": token})
    make_user("warehouse", "wanda")
    login(client, "wanda")
    token = csrf_token(client, "/locations/put-away")
    with sessions() as session:
        other = create_location(session, "Bin 2", "bin", entered_by=None)
        session.commit()
    client.post("/locations/put-away", data={"csrf_token": token, "code": other.code})
    client.post("/locations/put-away", data={"csrf_token": token, "code": codes["ssd"]})
    page = text(client.get("/locations/put-away"))
    assert f"The part {codes['ssd']} is not in stock" in page
    with sessions() as session:
        part = session.scalar(select(Part).where(Part.code == codes["ssd"]))
        assert (part.state, part.location.code) == ("used", codes["shelf"])
        assert session.scalars(select(Event).where(Event.kind == "part_moved")).all() == []
