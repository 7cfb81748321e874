"""Part labels from the pages and the CLI: after a harvest, after a delivery, reprinted from the part."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from inventory.accounts import User
from inventory.codes import part_code
from inventory.models import Event
from inventory.repair_models import Part
from labels.media import MEDIA
from tests.conftest import csrf_token, login
from tests.label_helpers import decode_positions, printer_server, text_boxes_mm
from tests.repair_helpers import (
    BATTERY,
    _repair_lists,  # noqa: F401  (an autouse fixture)
    bought,
    harvested_battery,
    recycled,
)
from tests.test_labels_pages import print_form, station, use_station
from workshop.cli import cli

printer = pytest.fixture(printer_server)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def workshop(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(cli, list(args))


def _donor(sessions, make_user) -> str:
    make_user("technician", "theo")
    with sessions() as session:
        theo = session.scalar(select(User).where(User.username == "theo"))
        donor = recycled(session, "PF1DONOR", theo)
        session.commit()
        return donor.asset_tag


def _harvest(client, tag: str, reference: str) -> str:
    """Record one battery taken out on the harvest page; the page it lands on."""
    token = csrf_token(client, f"/repairs/{tag}/harvest")
    answer = client.post(
        f"/repairs/{tag}/harvest",
        data={"csrf_token": token, "kind": "battery", "reference": reference, "fits": "T480"},
    )
    assert answer.status_code == 302 and "new=P" in answer.headers["Location"]
    return answer.headers["Location"]


def test_after_a_harvest_the_page_offers_the_new_part_label_as_a_pdf(
    client, sessions, make_user, tmp_path
):
    tag = _donor(sessions, make_user)
    login(client, "theo")
    page_url = _harvest(client, tag, BATTERY)
    with sessions() as session:
        code = session.scalar(select(Part.code))
    page = text(client.get(page_url))
    assert "The new part's label" in page and f'href="/repairs/parts/{code}"' in page
    fields = print_form(client, page_url, "print-new-parts")
    assert fields["kind"] == ["part"] and fields["code"] == [code]
    assert fields["medium"] == ["62x29"]
    answer = client.post("/labels/print", data={k: v for k, v in fields.items()})
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert decode_positions(answer.data, MEDIA["62x29"], 203, tmp_path) == [[code]]
    words = [word for page in text_boxes_mm(answer.data, tmp_path) for word, *_box in page]
    assert {"Battery", BATTERY, tag} <= set(words)
    # The plain harvest page offers no label: nothing new was taken out.
    assert "print-new-parts" not in text(client.get(f"/repairs/{tag}/harvest"))
    with sessions() as session:
        [printed] = session.scalars(select(Event).where(Event.kind == "label_printed")).all()
        assert (printed.payload["label"], printed.payload["codes"]) == ("part", [code])
        assert printed.payload["printer"] == "browser"


def test_after_a_harvest_the_label_goes_to_the_station_printer_in_zpl(
    client, sessions, make_user, printer
):
    tag = _donor(sessions, make_user)
    station(sessions, printer.address, medium="50x25", format="zpl")
    login(client, "theo")
    use_station(client, "dock-1")
    page_url = _harvest(client, tag, BATTERY)
    page = text(client.get(page_url))
    assert "to dock-1" in page
    fields = print_form(client, page_url, "print-new-parts")
    answer = client.post("/labels/print", data=fields)
    assert answer.status_code == 302
    assert printer.received.wait(5)
    job = printer.jobs[0].decode()
    assert job.count("^XA") == 1 and f"^FD{fields['code'][0]}^FS" in job and "^PW406" in job
    assert f"^FD{tag}^FS" in job
    assert "1 label sent to" in text(client.get(answer.headers["Location"]))


def test_a_delivery_received_on_the_page_offers_every_new_label(
    client, sessions, make_user, tmp_path
):
    make_user("warehouse", "wanda")
    login(client, "wanda")
    assert 'href="/repairs/parts/receive"' in text(client.get("/repairs/low-stock"))
    token = csrf_token(client, "/repairs/parts/receive")
    form = {
        "csrf_token": token,
        "kind": "ram",
        "reference": "DDR4 SO-DIMM",
        "quantity": "3",
        "supplier": "Pièces Pro",
        "unit_cost": "12,50",
        "fits": "ThinkPad T480; Latitude 5490",
    }
    answer = client.post("/repairs/parts/receive", data=form)
    assert answer.status_code == 302
    with sessions() as session:
        parts = session.scalars(select(Part).order_by(Part.id)).all()
        codes = [part.code for part in parts]
        assert len(codes) == 3 and {str(part.unit_cost) for part in parts} == {"12.50"}
    page = text(client.get(answer.headers["Location"]))
    assert "3 parts received" in page and "The new parts' labels" in page
    fields = print_form(client, answer.headers["Location"], "print-new-parts")
    assert fields["code"] == codes
    fields |= {"medium": ["a4-24"], "skip": ["2"]}
    pdf = client.post("/labels/print", data=fields)
    assert pdf.status_code == 200
    read = decode_positions(pdf.data, MEDIA["a4-24"], 300, tmp_path)
    assert read[:5] == [[], [], [codes[0]], [codes[1]], [codes[2]]]
    assert all(not found for found in read[5:])
    # A price that is no price: refused, said, and nothing received.
    refused = client.post(
        "/repairs/parts/receive", data=form | {"unit_cost": "cheap"}, follow_redirects=True
    )
    assert "must be an amount in euros" in text(refused)
    with sessions() as session:
        assert len(session.scalars(select(Part)).all()) == 3


def test_receiving_is_for_the_warehouse_not_the_technician(client, sessions, make_user):
    make_user("technician", "theo")
    login(client, "theo")
    assert client.get("/repairs/parts/receive").status_code == 403


def test_a_part_label_is_reprinted_from_its_page(client, sessions, make_user, tmp_path):
    make_user("technician", "theo")
    with sessions() as session:
        [part] = bought(session, None, kind="ssd", reference="M.2 2280")
        code = part.code
        session.commit()
    login(client, "theo")
    fields = print_form(client, f"/repairs/parts/{code}", "print-part")
    assert fields["code"] == [code] and fields["kind"] == ["part"]
    fields["copies"] = ["2"]
    answer = client.post("/labels/print", data=fields)
    assert decode_positions(answer.data, MEDIA["62x29"], 203, tmp_path) == [[code], [code]]
    pdf = client.get(f"/labels/parts/{code.lower()}.pdf?medium=50x25")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert decode_positions(pdf.data, MEDIA["50x25"], 300, tmp_path) == [[code]]
    missing = client.get(f"/labels/parts/{part_code(9999)}.pdf", follow_redirects=True)
    assert f"No part has the code {part_code(9999)}" in text(missing)
    unknown = client.post(
        "/labels/print",
        data={"csrf_token": fields["csrf_token"], "kind": "part", "code": part_code(9999)},
        follow_redirects=True,
    )
    assert f"No part has the code {part_code(9999)}" in text(unknown)


def test_the_cli_writes_part_labels_and_refuses_unknown_codes(workshop, sessions, tmp_path):
    with sessions() as session:
        battery = harvested_battery(session, "PF1CLI01", None)
        ram = bought(session, None, kind="ram", reference="DDR4 SO-DIMM", quantity=2)
        codes = [battery.code, *(part.code for part in ram)]
        donor = battery.donor.asset_tag
        session.commit()
    out = tmp_path / "parts.pdf"
    result = workshop("labels", "part", *codes, "--medium", "letter-30", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"3 label(s) on letter-30 written to {out}."
    read = decode_positions(out.read_bytes(), MEDIA["letter-30"], 203, tmp_path)
    assert read[:3] == [[code] for code in codes]
    words = {word for page in text_boxes_mm(out.read_bytes(), tmp_path) for word, *_ in page}
    assert {donor, "Pièces", "Pro", "RAM", "module"} <= words
    zpl = tmp_path / "parts.zpl"
    assert workshop("labels", "part", codes[0], "--format", "zpl", "-o", str(zpl)).exit_code == 0
    assert f"^FD{codes[0]}^FS" in zpl.read_text()
    unknown = workshop("labels", "part", codes[0], part_code(777), "-o", str(tmp_path / "x.pdf"))
    assert unknown.exit_code == 1 and f"No part has the code {part_code(777)}" in unknown.output
    assert not (tmp_path / "x.pdf").exists()
    with sessions() as session:
        printed = session.scalars(select(Event).where(Event.kind == "label_printed")).all()
        assert [(e.payload["label"], e.payload["codes"]) for e in printed] == [
            ("part", codes),
            ("part", [codes[0]]),
        ]
