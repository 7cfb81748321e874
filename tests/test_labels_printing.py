"""Labels leave the workshop: to a raw TCP printer, through CUPS' lp, from the command line and the API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inventory.badges import issue_badge
from inventory.intake import receive_device
from inventory.locations import create_location
from inventory.models import Event
from inventory.printers import find_station_printer, set_station_printer
from labels.media import MEDIA
from labels.printing import Printer, PrintError, check_printer, send
from tests.label_helpers import (
    PrinterServer,
    decode_positions,
    install_lp,
    lp_calls,
    pdf_page_sizes_mm,
    printer_server,
)
from workshop import accounts
from workshop.cli import cli

API = "/api/v1"

printer = pytest.fixture(printer_server)


@pytest.fixture
def workshop(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(cli, list(args))


@pytest.fixture
def devices(sessions):
    """Two devices, a location and a user with a badge, committed."""
    with sessions() as session:
        first = receive_device(
            session,
            serial_number="PF1LABEL1",
            category="laptop",
            make="Lenovo",
            model="ThinkPad T480s",
            entered_by=None,
        ).device
        second = receive_device(
            session,
            serial_number="PF1LABEL2",
            category="monitor",
            make="Dell",
            model="P2419H",
            entered_by=None,
        ).device
        shelf = create_location(session, "Shelf A3", "shelf", entered_by=None)
        lea = accounts.create_user(session, "lea", "technician", "correct horse battery", "Léa R.")
        issue_badge(session, lea, by=None)
        session.commit()
        return {
            "tags": [first.asset_tag, second.asset_tag],
            "shelf": shelf.code,
            "badge": lea.badge_code,
        }


def test_a_raw_printer_receives_the_whole_job(printer: PrinterServer):
    said = send(Printer("raw", printer.address), b"^XA^FDhello^FS^XZ")
    assert printer.received.wait(5)
    assert printer.jobs == [b"^XA^FDhello^FS^XZ"]
    assert said == f"17 bytes sent to {printer.address}"


def test_a_printer_that_does_not_answer_is_a_clear_refusal():
    server = PrinterServer()
    address = server.address
    server.close()
    with pytest.raises(PrintError, match=f"The printer at {address} did not take the job"):
        send(Printer("raw", address), b"x")


def test_lp_gets_the_queue_a_title_and_raw_for_zpl(tmp_path, monkeypatch):
    record = install_lp(tmp_path, monkeypatch)
    send(Printer("lp", "brother-ql"), b"%PDF-1.4 fake", title="A0000001O")
    send(Printer("lp", "zebra"), b"^XA^XZ", title="A0000001O", raw=True)
    calls = lp_calls(record)
    assert calls == [
        (["-d", "brother-ql", "-t", "A0000001O", "-"], b"%PDF-1.4 fake"),
        (["-d", "zebra", "-t", "A0000001O", "-o", "raw", "-"], b"^XA^XZ"),
    ]
    (tmp_path / "lp-calls" / "refuse").touch()
    with pytest.raises(PrintError, match="CUPS refused the job for zebra: lp: The printer"):
        send(Printer("lp", "zebra"), b"^XA^XZ", raw=True)


def test_printer_targets_are_checked_before_they_are_stored():
    assert check_printer("raw", " 10.0.0.9 ") == Printer("raw", "10.0.0.9")
    assert check_printer("raw", "zebra.local:6101").target == "zebra.local:6101"
    assert check_printer("lp", "Brother_QL-820").method == "lp"
    for method, target in (
        ("raw", "host:99999"),
        ("raw", "a b"),
        ("lp", "two words"),
        ("ftp", "x"),
    ):
        with pytest.raises(ValueError):
            check_printer(method, target)


def test_the_cli_writes_every_kind_of_label_and_records_the_print(
    workshop, devices, tmp_path, sessions
):
    tags = devices["tags"]
    out = tmp_path / "assets.pdf"
    result = workshop(
        "labels",
        "asset",
        *tags,
        "--medium",
        "a4-24",
        "--copies",
        "2",
        "--skip",
        "3",
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"4 label(s) on a4-24 written to {out}."
    read = decode_positions(out.read_bytes(), MEDIA["a4-24"], 203, tmp_path)
    assert read[:7] == [[], [], [], [tags[0]], [tags[0]], [tags[1]], [tags[1]]]
    assert all(not codes for codes in read[7:])

    location = tmp_path / "shelf.pdf"
    assert workshop("labels", "location", devices["shelf"], "-o", str(location)).exit_code == 0
    assert pdf_page_sizes_mm(location.read_bytes(), tmp_path) == [(62.0, 29.0)]
    badge = tmp_path / "badge.pdf"
    assert workshop("labels", "badge", "lea", "--medium", "50x25", "-o", str(badge)).exit_code == 0
    assert decode_positions(badge.read_bytes(), MEDIA["50x25"], 300, tmp_path) == [
        [devices["badge"]]
    ]
    zpl = tmp_path / "a.zpl"
    assert workshop("labels", "asset", tags[0], "--format", "zpl", "-o", str(zpl)).exit_code == 0
    assert zpl.read_text().count("^XA") == 1 and f"^FD{tags[0]}^FS" in zpl.read_text()

    with sessions() as session:
        printed = session.scalars(select(Event).where(Event.kind == "label_printed")).all()
        per_device = sorted(
            (event.device.asset_tag, event.payload["copies"]) for event in printed if event.device
        )
        assert per_device == [(tags[0], 1), (tags[0], 2), (tags[1], 2)]
        others = [event.payload for event in printed if event.device is None]
        assert [(p["label"], p["codes"]) for p in others] == [
            ("location", [devices["shelf"]]),
            ("badge", [devices["badge"]]),
        ]


def test_the_cli_refuses_unknown_codes_and_impossible_runs_without_writing(
    workshop, devices, tmp_path
):
    out = tmp_path / "none.pdf"
    unknown = workshop("labels", "asset", devices["tags"][0], "A9999999Z", "-o", str(out))
    assert unknown.exit_code == 1 and "No device has the asset tag A9999999Z" in unknown.output
    roll = workshop("labels", "asset", devices["tags"][0], "--skip", "2", "-o", str(out))
    assert roll.exit_code == 1 and "62x29 is a roll" in roll.output
    sheet_zpl = workshop(
        "labels",
        "asset",
        devices["tags"][0],
        "--medium",
        "a4-24",
        "--format",
        "zpl",
        "-o",
        str(out),
    )
    assert sheet_zpl.exit_code == 1 and "print it as PDF" in sheet_zpl.output
    medium = workshop("labels", "asset", devices["tags"][0], "--medium", "a5", "-o", str(out))
    assert medium.exit_code == 2
    no_badge = workshop("labels", "badge", "nobody", "-o", str(out))
    assert no_badge.exit_code == 1 and "No user is called 'nobody'" in no_badge.output
    nowhere = workshop("labels", "asset", devices["tags"][0])
    assert nowhere.exit_code == 2 and "-o FILE or --station" in nowhere.output
    assert not out.exists()


def test_the_cli_sends_to_a_station_printer_in_its_medium_and_format(
    workshop, devices, printer, sessions
):
    with sessions() as session:
        set_station_printer(
            session,
            "dock-1",
            method="raw",
            target=printer.address,
            medium="50x25",
            format="zpl",
            by=None,
        )
        session.commit()
    result = workshop("labels", "asset", *devices["tags"], "--station", "dock-1", "--copies", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"4 label(s) sent to {printer.address} (raw TCP)."
    assert printer.received.wait(5)
    job = printer.jobs[0].decode()
    assert job.count("^XA") == 2 and job.count("^PQ2") == 2 and "^PW406" in job
    refused = workshop("labels", "asset", devices["tags"][0], "--station", "dock-9")
    assert refused.exit_code == 1 and "The station dock-9 has no label printer." in refused.output
    with sessions() as session:
        assert find_station_printer(session, " dock-1 ").target == printer.address


def test_the_api_serves_a_label_pdf_and_refuses_clearly(client, bearer, devices, tmp_path):
    headers = bearer("warehouse", "wanda")
    tag = devices["tags"][0]
    answer = client.get(f"{API}/devices/{tag.lower()}/label.pdf?medium=letter-30", headers=headers)
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert pdf_page_sizes_mm(answer.data, tmp_path) == [(215.9, 279.4)]
    assert decode_positions(answer.data, MEDIA["letter-30"], 300, tmp_path)[0] == [tag]
    default = client.get(f"{API}/devices/{tag}/label.pdf", headers=headers)
    assert pdf_page_sizes_mm(default.data, tmp_path) == [(62.0, 29.0)]

    unknown = client.get(f"{API}/devices/A9999999Z/label.pdf", headers=headers)
    assert unknown.status_code == 404 and unknown.mimetype == "application/json"
    assert unknown.get_json()["error"]["code"] == "not_found"
    medium = client.get(f"{API}/devices/{tag}/label.pdf?medium=a5", headers=headers)
    assert medium.status_code == 400
    assert medium.get_json()["error"] == {
        "code": "invalid",
        "message": "Unknown label medium a5: choose one of 62x29, 50x25, a4-24, letter-30.",
        "field": "medium",
        "medium": "a5",
        "known": "62x29, 50x25, a4-24, letter-30",
    }
    extra = client.get(f"{API}/devices/{tag}/label.pdf?size=big", headers=headers)
    assert extra.status_code == 400 and extra.get_json()["error"]["field"] == "size"
    assert client.get(f"{API}/devices/{tag}/label.pdf").status_code == 401
    hr = client.get(f"{API}/devices/{tag}/label.pdf", headers=bearer("hr", "helene"))
    assert hr.status_code == 403


def test_a_station_is_given_a_cups_printer_from_the_cli_and_prints_through_lp(
    workshop, devices, tmp_path, monkeypatch
):
    record = install_lp(tmp_path, monkeypatch)
    made = workshop("labels", "printer", "bench-2", "--lp", "Brother_QL-820", "--medium", "62x29")
    assert made.exit_code == 0, made.output
    assert made.stdout.strip() == "The station bench-2 prints on CUPS Brother_QL-820, 62x29, pdf."
    listed = workshop("labels", "printers")
    assert listed.stdout.split() == ["bench-2", "lp", "Brother_QL-820", "62x29", "pdf"]

    sent = workshop("labels", "location", devices["shelf"], "--station", "bench-2")
    assert sent.exit_code == 0, sent.output
    ((args, job),) = lp_calls(record)
    assert args == ["-d", "Brother_QL-820", "-t", devices["shelf"], "-"]
    assert decode_positions(job, MEDIA["62x29"], 203, tmp_path) == [[devices["shelf"]]]

    (tmp_path / "lp-calls" / "refuse").touch()
    refused = workshop("labels", "asset", devices["tags"][0], "--station", "bench-2")
    assert refused.exit_code == 1
    assert "The label printer of bench-2 did not take the job: CUPS refused" in refused.output

    bad = workshop("labels", "printer", "bench-3", "--raw", "host:70000")
    assert bad.exit_code == 2 and "with :port if not 9100" in bad.output
    both = workshop("labels", "printer", "bench-3", "--raw", "h", "--lp", "q")
    assert both.exit_code == 2
    zpl_sheet = workshop(
        "labels", "printer", "bench-3", "--raw", "h", "--medium", "a4-24", "--format", "zpl"
    )
    assert zpl_sheet.exit_code == 1 and "print it as PDF" in zpl_sheet.output
    gone = workshop("labels", "printer", "bench-2", "--remove")
    assert gone.exit_code == 0 and workshop("labels", "printers").stdout == ""
    again = workshop("labels", "printer", "bench-2", "--remove")
    assert again.exit_code == 1 and "has no label printer" in again.output
