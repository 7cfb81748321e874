"""Erasure certificates: issued with a number and a kept fingerprint, verified later, refused
when nothing was erased; from the services and from `workshop certificates`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import select

from inventory import certificates
from inventory.certificates import IssuedCertificate, verify_certificate
from inventory.devices import get_device
from inventory.events import device_history
from inventory.lots import get_lot
from inventory.models import Event
from inventory.recycling import recycle
from tests.documents_helpers import SSD, at_qc, make_lot, pdf_text, ready_laptop
from workshop.cli import cli
from workshop.documents import build

SETTINGS = build.Settings(workshop="Atelier Test", time_zone="Europe/Paris", warranty_months=12)


@pytest.fixture
def workshop(app: Flask) -> Callable[..., Result]:
    """Run `workshop ...` against the test database, as a shell would."""
    runner = app.test_cli_runner()

    def run(*args: str) -> Result:
        return runner.invoke(cli, list(args))

    return run


@pytest.fixture
def lot_with_devices(sessions, make_user):
    """A donor's lot: a laptop ready (two drives erased), a second erased laptop, one recycled
    before any erasure, and a phone with nothing recorded."""
    lea = make_user("technician", "lea", "Léa Rousseau")
    with sessions() as session:
        make_lot(session)
        ready_laptop(session, user=lea, lot="L-2024-07")
        ready_laptop(session, "5CG8251XYZ", user=lea, lot="L-2024-07")
        dead = at_qc(session, "PF0DEAD1", lot="L-2024-07", weight_kg="2.1")
        recycle(session, dead, reason="beyond_repair", entered_by=None)
        at_qc(session, "IMEI35000001", lot="L-2024-07", category="phone", weight_kg="0.2")
        session.commit()
    return "L-2024-07"


def issue_for(app, sessions, tag, language="en", issued_by=None):
    with app.app_context(), sessions() as session:
        device = get_device(session, tag)
        issued, data = build.issue_device_certificate(
            session, device, language, SETTINGS, issued_by=issued_by
        )
        session.commit()
        return issued, data


def test_a_device_certificate_is_numbered_stored_and_logged(app, sessions, make_user):
    lea = make_user("technician", "lea", "Léa Rousseau")
    karim = make_user("warehouse", "karim", "Karim Benali")
    with sessions() as session:
        tag = ready_laptop(session, user=lea).asset_tag
        session.commit()

    issued, data = issue_for(app, sessions, tag, "fr", karim)
    second, again = issue_for(app, sessions, tag, "fr", karim)

    assert (issued.number, second.number) == ("EC-000001", "EC-000002")
    assert data != again
    text = pdf_text(data)
    for expected in (
        "Certificat EC-000001",
        "par Karim Benali",
        "WX41A12B3456",
        "S4DYNX0M123456",
        "(OVERWRITE)",
        "(CRYPTO)",
        "Clear",
        "Purge",
        "Léa Rousseau",
        "ACME Bench",
        "B-0001",
        "ShredOS nwipe 0.34",
        "PC portable",
    ):
        assert expected in text, expected
    with sessions() as session:
        stored = session.scalar(
            select(IssuedCertificate).where(IssuedCertificate.number == "EC-000001")
        )
        assert stored.sha256 == certificates.fingerprint(data)
        assert (stored.kind, stored.language, stored.size_bytes) == ("device", "fr", len(data))
        assert stored.device.asset_tag == tag and stored.issued_by.username == "karim"
        assert stored.covers == [
            {
                "asset_tag": tag,
                "cycles": [1],
                "drives": ["WX41A12B3456", SSD["drive_serial"]],
                "no_storage": False,
            }
        ]
        event = device_history(session, get_device(session, tag))[-1]
        assert event.kind == "certificate_issued"
        assert event.payload["certificate"] == "EC-000002"
        assert event.entered_by.username == "karim"


def test_verification_knows_each_issued_file_and_refuses_a_single_changed_byte(app, sessions):
    with sessions() as session:
        tag = ready_laptop(session).asset_tag
        session.commit()
    issued, data = issue_for(app, sessions, tag)

    with sessions() as session:
        assert verify_certificate(session, data).number == issued.number
        for position in (0, len(data) // 2, len(data) - 1):
            altered = bytearray(data)
            altered[position] ^= 0x01
            assert verify_certificate(session, bytes(altered)) is None
        assert verify_certificate(session, data + b"\n") is None
        assert verify_certificate(session, b"%PDF-1.4 not ours") is None


def test_no_certificate_for_a_device_with_nothing_erased(app, sessions):
    with sessions() as session:
        tag = at_qc(session, "PF0NOTHING").asset_tag
        session.commit()

    with pytest.raises(build.NothingErased) as refused:
        issue_for(app, sessions, tag)

    assert refused.value.code == "no_erasure"
    assert tag in refused.value.message
    with sessions() as session:
        assert session.scalars(select(IssuedCertificate)).all() == []


def test_a_lot_certificate_covers_the_erased_devices_and_names_the_others(
    app, sessions, lot_with_devices
):
    with app.app_context(), sessions() as session:
        issued, data = build.issue_lot_certificate(
            session, get_lot(session, lot_with_devices), "en", SETTINGS, issued_by=None
        )
        session.commit()
        tags = [item["asset_tag"] for item in issued.covers]

    text = pdf_text(data)
    assert "Mairie d’Évreux" in text and "Don « 118 »" in text
    assert "Devices: 2; drives erased: 4." in text
    assert text.count("S4DYNX0M123456") == 2
    assert "Devices of the lot this certificate does not cover" in text
    assert "PF0DEAD1" in text and "IMEI35000001" in text
    assert tags == ["A0000001O", "A0000002M"]
    with sessions() as session:
        event = session.scalar(select(Event).where(Event.kind == "certificate_issued"))
        assert event.device_id is None
        assert event.payload["lot"] == lot_with_devices
        assert event.payload["devices"] == tags
        assert event.payload["drives"] == 4


def test_a_lot_with_nothing_erased_gets_no_certificate(app, sessions):
    with sessions() as session:
        make_lot(session, "L-EMPTY")
        at_qc(session, "PF0LOT1", lot="L-EMPTY")
        session.commit()

    with app.app_context(), sessions() as session, pytest.raises(build.NothingErased):
        build.issue_lot_certificate(
            session, get_lot(session, "L-EMPTY"), "en", SETTINGS, issued_by=None
        )


# -- `workshop certificates` ------------------------------------------------------------------


def test_the_command_issues_a_device_certificate_and_verifies_it(
    workshop, sessions, make_user, tmp_path: Path
):
    make_user("warehouse", "karim", "Karim Benali")
    with sessions() as session:
        tag = ready_laptop(session).asset_tag
        session.commit()
    out = tmp_path / "certificate.pdf"

    issued = workshop(
        "certificates", "device", tag, "-o", str(out), "--lang", "fr", "--as", "karim"
    )
    assert issued.exit_code == 0, issued.output
    assert "EC-000001" in issued.output
    assert "Certificat d’effacement des données" in pdf_text(out.read_bytes())
    assert "par Karim Benali" in pdf_text(out.read_bytes())

    verified = workshop("certificates", "verify", str(out))
    assert verified.exit_code == 0, verified.output
    assert "genuine and unaltered" in verified.output
    assert "EC-000001" in verified.output and f"device {tag}" in verified.output

    altered = bytearray(out.read_bytes())
    altered[len(altered) // 3] ^= 0x20
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(bytes(altered))
    refused = workshop("certificates", "verify", str(forged))
    assert refused.exit_code == 1
    assert "NOT a certificate issued by this workshop, or it was altered" in refused.output

    stranger = tmp_path / "other.pdf"
    stranger.write_bytes(b"%PDF-1.4\n% someone else's file\n")
    assert workshop("certificates", "verify", str(stranger)).exit_code == 1
    missing = workshop("certificates", "verify", str(tmp_path / "nowhere.pdf"))
    assert missing.exit_code == 2


def test_the_command_issues_a_lot_certificate(workshop, lot_with_devices, tmp_path: Path):
    out = tmp_path / "lot.pdf"

    result = workshop("certificates", "lot", lot_with_devices, "-o", str(out))

    assert result.exit_code == 0, result.output
    assert "Data erasure certificate" in pdf_text(out.read_bytes())
    assert workshop("certificates", "verify", str(out)).exit_code == 0


def test_a_refused_certificate_leaves_no_file_and_nothing_stored(
    workshop, sessions, tmp_path: Path
):
    with sessions() as session:
        tag = at_qc(session, "PF0NOTHING").asset_tag
        session.commit()
    out = tmp_path / "certificate.pdf"

    nothing = workshop("certificates", "device", tag, "-o", str(out))
    unknown = workshop("certificates", "device", "A0000099X", "-o", str(out))
    no_lot = workshop("certificates", "lot", "L-NONE", "-o", str(out))

    assert nothing.exit_code == 1 and "nothing to certify" in nothing.output
    assert unknown.exit_code == 1 and "A0000099X" in unknown.output
    assert no_lot.exit_code == 1 and "L-NONE" in no_lot.output
    assert not out.exists()
    with sessions() as session:
        assert session.scalars(select(IssuedCertificate)).all() == []


def test_an_existing_file_is_left_alone_when_refused(workshop, tmp_path: Path):
    out = tmp_path / "keep.pdf"
    out.write_bytes(b"mine")

    assert workshop("certificates", "device", "A0000099X", "-o", str(out)).exit_code == 1
    assert out.read_bytes() == b"mine"
