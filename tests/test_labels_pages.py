"""Printing labels from the pages: station printers, save and print at intake, lots, locations, badges."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from inventory.badges import issue_badge
from inventory.codes import asset_tag, location_code
from inventory.intake import receive_device
from inventory.locations import create_location
from inventory.lots import open_lot
from inventory.models import Event
from inventory.printers import StationPrinter, set_station_printer
from labels.code128 import encode
from labels.media import MEDIA
from tests.conftest import csrf_token, login
from tests.label_helpers import decode_positions, pdf_page_sizes_mm, printer_server
from workshop import accounts

printer = pytest.fixture(printer_server)


@pytest.fixture
def stock(sessions):
    """A lot of three devices, a location and a badge holder."""
    with sessions() as session:
        open_lot(session, "L-BANK", donor="Bank", entered_by=None)
        for number in range(1, 4):
            receive_device(
                session,
                serial_number=f"PF1PAGE{number}",
                category="laptop",
                make="HP",
                model=f"EliteBook 8{number}0",
                lot="L-BANK",
                entered_by=None,
            )
        create_location(session, "Shelf A3", "shelf", entered_by=None)
        lea = accounts.create_user(session, "lea", "technician", "correct horse battery", "Léa")
        issue_badge(session, lea, by=None)
        session.commit()
        return lea.badge_code


def station(sessions, target: str, *, medium="62x29", format="pdf", name="dock-1") -> None:
    with sessions() as session:
        set_station_printer(
            session, name, method="raw", target=target, medium=medium, format=format, by=None
        )
        session.commit()


def use_station(client, name: str) -> None:
    token = csrf_token(client, "/labels/")
    answer = client.post("/labels/terminal", data={"station": name, "csrf_token": token})
    assert answer.status_code == 302


def print_form(client, page: str, button_id: str) -> dict[str, list[str]]:
    """The fields of the print form whose button has this id, as the browser sends them."""
    html = client.get(page).get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="/labels/print".*?</form>', html, re.S)
    mine = [form for form in forms if f'id="{button_id}"' in form]
    assert len(mine) == 1, f"no print form with #{button_id} on {page}"
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(
        r'<input type="\w+" (?:id="[^"]*" )?name="(\w+)" value="([^"]*)"', mine[0]
    ):
        fields.setdefault(name, []).append(value)
    if 'name="medium"' in mine[0]:
        fields["medium"] = [re.search(r'<option value="([^"]+)" selected', mine[0]).group(1)]
    return fields


def test_an_admin_gives_a_station_its_printer_and_others_cannot(
    client, logged_in, sessions, make_user
):
    logged_in("admin", "root")
    token = csrf_token(client, "/labels/")
    data = {
        "station": " dock-1 ",
        "method": "raw",
        "target": "10.0.0.9:9100",
        "medium": "50x25",
        "format": "zpl",
        "csrf_token": token,
    }
    assert client.post("/labels/printers", data=data).status_code == 302
    page = client.get("/labels/").get_data(as_text=True)
    assert "The station dock-1 prints on 10.0.0.9:9100." in page
    bad = client.post(
        "/labels/printers", data=data | {"target": "two words"}, follow_redirects=True
    )
    assert "Give a CUPS queue name for lp, or host or host:port for raw." in bad.get_data(
        as_text=True
    )
    sheet = client.post("/labels/printers", data=data | {"medium": "a4-24"}, follow_redirects=True)
    assert "a4-24 is a sheet for office printers" in sheet.get_data(as_text=True)
    without_token = {key: value for key, value in data.items() if key != "csrf_token"}
    assert client.post("/labels/printers", data=without_token).status_code == 400
    with sessions() as session:
        saved = session.scalars(select(StationPrinter)).one()
        assert (saved.station, saved.method, saved.target, saved.medium, saved.format) == (
            "dock-1",
            "raw",
            "10.0.0.9:9100",
            "50x25",
            "zpl",
        )

    make_user("warehouse", "wanda")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/labels/")})
    login(client, "wanda")
    page = client.get("/labels/").get_data(as_text=True)
    assert "dock-1 (10.0.0.9:9100, 50x25)" in page and "Set a station" not in page
    token = csrf_token(client, "/labels/")
    assert client.post("/labels/printers", data=data | {"csrf_token": token}).status_code == 403
    make_user("hr", "helene")
    client.post("/logout", data={"csrf_token": token})
    login(client, "helene")
    assert client.get("/labels/").status_code == 403


def test_the_device_page_shows_the_barcode_and_prints_to_the_terminal_printer(
    client, logged_in, stock, sessions, printer
):
    logged_in("technician", "theo")
    tag = asset_tag(1)
    page = client.get(f"/devices/{tag}").get_data(as_text=True)
    svg = re.search(r'<svg [^>]*class="barcode".*?</svg>', page, re.S).group(0)
    assert f'data-code="{tag}"' in svg
    assert svg.count("<rect x=") == len(encode(tag).bars)

    station(sessions, printer.address, medium="62x29", format="zpl")
    use_station(client, "dock-1")
    fields = print_form(client, f"/devices/{tag}", "print-label")
    assert "medium" not in fields, "the station's medium is used"
    fields["copies"] = ["2"]
    answer = client.post("/labels/print", data=fields, follow_redirects=True)
    assert "2 labels sent to 127.0.0.1:" in answer.get_data(as_text=True)
    assert printer.received.wait(5)
    assert f"^FD{tag}^FS" in printer.jobs[0].decode() and "^PQ2" in printer.jobs[0].decode()
    with sessions() as session:
        event = session.scalars(select(Event).where(Event.kind == "label_printed")).one()
        assert event.device.asset_tag == tag
        assert event.payload == {
            "label": "asset",
            "medium": "62x29",
            "copies": 2,
            "station": "dock-1",
            "printer": f"{printer.address} (raw TCP)",
        }


def test_without_a_printer_the_label_opens_as_a_pdf(client, logged_in, stock, tmp_path):
    logged_in("warehouse", "wanda")
    fields = print_form(client, "/lots/L-BANK", "print-lot")
    fields["medium"], fields["skip"] = ["a4-24"], ["4"]
    answer = client.post("/labels/print", data=fields)
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    read = decode_positions(answer.data, MEDIA["a4-24"], 203, tmp_path)
    assert read[:7] == [[], [], [], [], [asset_tag(1)], [asset_tag(2)], [asset_tag(3)]]
    wrong = client.post("/labels/print", data=fields | {"skip": ["24"]}, follow_redirects=True)
    assert "A a4-24 sheet has 24 positions: skip 0 to 23." in wrong.get_data(as_text=True)


def test_a_search_result_prints_every_device_it_found(client, logged_in, stock, tmp_path):
    logged_in("manager", "mia")
    fields = print_form(client, "/devices/?q=elitebook+820", "print-search")
    answer = client.post("/labels/print", data=fields)
    assert decode_positions(answer.data, MEDIA["62x29"], 300, tmp_path) == [[asset_tag(2)]]


def test_location_labels_and_badges_print_for_those_who_manage_them(
    client, logged_in, stock, tmp_path, make_user
):
    logged_in("admin", "root")
    fields = print_form(client, "/locations/", "print-locations")
    answer = client.post("/labels/print", data=fields)
    assert pdf_page_sizes_mm(answer.data, tmp_path) == [(62.0, 29.0)]
    assert decode_positions(answer.data, MEDIA["62x29"], 203, tmp_path) == [[location_code(1)]]
    badge = print_form(client, "/users/", "print-badge-lea")
    answer = client.post("/labels/print", data=badge)
    assert decode_positions(answer.data, MEDIA["62x29"], 203, tmp_path) == [[stock]]

    make_user("technician", "theo")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/labels/")})
    login(client, "theo")
    token = csrf_token(client, "/labels/")
    for kind, code in (("badge", "lea"), ("location", location_code(1))):
        refused = client.post(
            "/labels/print", data={"kind": kind, "code": code, "csrf_token": token}
        )
        assert refused.status_code == 403
    assert (
        client.post("/labels/print", data={"kind": "asset", "code": asset_tag(1)}).status_code
        == 400
    )


def test_save_and_print_at_intake_sends_the_label_or_offers_it_focused(
    client, logged_in, stock, sessions, printer
):
    logged_in("warehouse", "wanda")
    token = csrf_token(client, "/intake/new?serial=PF1NEW1")
    form = {
        "serial_number": "PF1NEW1",
        "lot": "L-BANK",
        "category": "laptop",
        "make": "Dell",
        "model": "Latitude 5490",
        "weight_kg": "",
        "csrf_token": token,
        "then": "print",
    }
    assert client.post("/intake/new", data=form).status_code == 302
    page = client.get("/intake/").get_data(as_text=True)
    link = re.search(r'<a [^>]*id="open-label"[^>]*>', page).group(0)
    assert "autofocus" in link and f"/labels/devices/{asset_tag(4)}.pdf?medium=62x29" in link
    assert not re.search(r"<input[^>]*autofocus[^>]*data-scan-field", page)
    pdf = client.get(f"/labels/devices/{asset_tag(4)}.pdf?medium=62x29")
    assert pdf.mimetype == "application/pdf"

    station(sessions, printer.address)
    use_station(client, "dock-1")
    form.update(
        serial_number="PF1NEW2", csrf_token=csrf_token(client, "/intake/new?serial=PF1NEW2")
    )
    assert client.post("/intake/new", data=form).status_code == 302
    page = client.get("/intake/").get_data(as_text=True)
    assert f"Received PF1NEW2 as {asset_tag(5)}. Label sent to 127.0.0.1:" in page
    assert 'id="open-label"' not in page
    assert printer.received.wait(5) and printer.jobs[0].startswith(b"%PDF")


def test_pages_speak_french(client, logged_in, stock):
    user = logged_in("admin", "root")
    token = csrf_token(client, "/labels/")
    client.post("/language", data={"language": "fr", "csrf_token": token, "next": "/labels/"})
    page = client.get("/labels/").get_data(as_text=True)
    assert "Impression des étiquettes" in page
    page = client.get(f"/devices/{asset_tag(1)}").get_data(as_text=True)
    assert "Imprimer l’étiquette" in page or "Imprimer l'étiquette" in page
    assert user.username == "root"


def test_after_printing_the_page_returns_only_to_this_site(
    client, logged_in, stock, sessions, printer
):
    logged_in("warehouse", "wanda")
    station(sessions, printer.address)
    use_station(client, "dock-1")
    token = csrf_token(client, "/labels/")
    for target, landing in (
        (f"/devices/{asset_tag(1)}", f"/devices/{asset_tag(1)}"),
        ("//evil.example/x", "/devices/"),
        ("/\\evil.example/x", "/devices/"),
        ("https://evil.example/", "/devices/"),
    ):
        answer = client.post(
            "/labels/print",
            data={"kind": "asset", "code": asset_tag(1), "next": target, "csrf_token": token},
        )
        assert answer.status_code == 302 and answer.headers["Location"] == landing
    assert printer.received.wait(5)
