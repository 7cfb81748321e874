"""The device page tells its repairs and, for a recycled donor, where its parts went."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from inventory import repairs
from inventory.accounts import User
from tests.conftest import login
from tests.repair_helpers import (
    _repair_lists,  # noqa: F401  (an autouse fixture)
    harvested_battery,
    in_repair,
    recycled,
)


def text(response) -> str:
    """The page as a reader sees it: tags out, blanks folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(response.get_data(as_text=True))).split())


def test_a_repaired_laptop_and_its_donor_point_at_each_other(app, client, sessions, make_user):
    make_user("technician", "theo")
    with sessions() as session:
        theo = session.scalar(select(User).where(User.username == "theo"))
        part = harvested_battery(session, "PF1DEVREP0", theo)
        device = in_repair(session, "PF1DEVREP1", theo)
        repairs.record_repair(session, device, "dead_battery", "replaced", [part.code], 25, by=theo)
        repairs.record_repair(session, device, "keyboard_keys", "cleaned", by=theo)
        session.commit()
        tag, code, donor = device.asset_tag, part.code, part.donor.asset_tag
    login(client, "theo")

    english = text(client.get(f"/devices/{tag}", headers={"Accept-Language": "en"}))
    assert "Repairs" in english
    assert f"Dead battery Replaced {code} Battery 01AV452 25" in english
    assert "Keyboard keys Cleaned —" in english
    # The history says the same in its lines.
    assert f"Repair: Dead battery, Replaced · {code}" in english
    page = client.get(f"/devices/{tag}").get_data(as_text=True)
    assert f'href="/repairs/parts/{code}"' in page

    french = text(client.get(f"/devices/{tag}", headers={"Accept-Language": "fr"}))
    assert "Batterie morte Remplacé" in french and "Touches du clavier Nettoyé" in french

    donor_page = text(client.get(f"/devices/{donor}", headers={"Accept-Language": "en"}))
    assert "Parts taken out" in donor_page
    assert f"{code} Battery 01AV452 fitted in {tag}" in donor_page
    assert 'href="/devices/' + tag + '"' in client.get(f"/devices/{donor}").get_data(as_text=True)


def test_a_device_never_repaired_shows_no_empty_sections(client, sessions, make_user):
    make_user("technician", "theo")
    with sessions() as session:
        theo = session.scalar(select(User).where(User.username == "theo"))
        tag = in_repair(session, "PF1DEVREP2", theo).asset_tag
        session.commit()
    login(client, "theo")
    page = client.get(f"/devices/{tag}").get_data(as_text=True)
    assert 'id="device-repairs"' not in page and 'id="harvested-parts"' not in page


def test_a_recycled_device_offers_its_harvest_and_no_checks_to_do(client, sessions, make_user):
    make_user("warehouse", "wanda")
    with sessions() as session:
        wanda = session.scalar(select(User).where(User.username == "wanda"))
        donor = recycled(session, "PF1DEVREP3", wanda).asset_tag
        alive = in_repair(session, "PF1DEVREP4", wanda).asset_tag
        session.commit()
    login(client, "wanda")

    page = client.get(f"/devices/{donor}", headers={"Accept-Language": "en"})
    assert f'href="/repairs/{donor}/harvest"' in page.get_data(as_text=True)
    words = text(page)
    # Its checks are history now: nothing is "still to answer" on a device that has left.
    assert "Still to answer" not in words
    assert "Not answered before it left the workshop (Recycled):" in words
    french = html.unescape(
        client.get(f"/devices/{donor}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    )
    assert "Sans réponse avant sa sortie de l’atelier (Recyclé)\u00a0:" in french

    # A device still in the workshop keeps its to-do, and gives no parts.
    page = client.get(f"/devices/{alive}", headers={"Accept-Language": "en"})
    assert "/harvest" not in page.get_data(as_text=True)
    assert "Still to answer" in text(page)
