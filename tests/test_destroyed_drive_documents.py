"""What the documents say of a drive destroyed instead of erased: the erasure certificate names
it with how, NIST Destroy and the destruction's reference, in English and in French."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from diagnostics import records
from inventory.devices import get_device
from inventory.lots import get_lot, open_lot
from inventory.stages import move_to_stage
from labels.certificate import Certificate, ErasedDevice, ErasedDrive, LotFacts, render_certificate
from tests.conftest import passing_result
from tests.destruction_helpers import DYING, laptop_with_dying_drive, seeing
from tests.documents_helpers import pdf_text
from workshop.documents import build

SETTINGS = build.Settings(workshop="Atelier Test", time_zone="Europe/Paris", warranty_months=12)
ERASED = ErasedDrive(
    model="Samsung PM981",
    serial="S4DYNX0M123456",
    capacity_bytes=256_060_514_304,
    drive_type="NVME",
    method="CRYPTO",
    nist_category="Purge",
    started_at=datetime(2026, 3, 4, 9, 0),
    ended_at=datetime(2026, 3, 4, 9, 5),
    operator="Léa Rousseau",
    verified=True,
    verification="PASS,4096",
    tool="ACME Bench DISK-300 B-0001 (firmware 1.0.0)",
)
DESTROYED = ErasedDrive(
    model="WDC WD5000LPLX",
    serial="WX-DYING-01",
    capacity_bytes=500_107_862_016,
    drive_type="HDD",
    method="DESTROY",
    nist_category="Destroy",
    started_at=datetime(2026, 3, 4, 11, 0),
    ended_at=datetime(2026, 3, 4, 11, 0),
    operator="Karim Benali",
    verified=True,
    verification="",
    tool="",
    manual=True,
    destruction="shredded",
    reference="CD-4471",
)
CERTIFICATE = Certificate(
    number="EC-000042",
    workshop="Atelier Test",
    issued_at=datetime(2026, 3, 5, 14, 2),
    issued_by="Léa Rousseau",
    devices=[
        ErasedDevice(
            "A0000001O", "Laptop", "HP", "EliteBook 840 G5", "5CG8251ABC", [ERASED, DESTROYED]
        )
    ],
    time_zone="Europe/Paris",
)


def test_a_certificate_names_a_drive_destroyed_with_how_nist_destroy_and_its_reference():
    text = pdf_text(render_certificate(CERTIFICATE, "en"))

    for expected in (
        "or, when it could not be erased, physically destroyed as stated",
        "Cryptographic erase (CRYPTO) Purge",
        "WDC WD5000LPLX HDD 500 GB",
        "WX-DYING-01",
        "Physical destruction (DESTROY): shredded Destroy",
        "destroyed 4 March 2026, 11:00",
        "Karim Benali destroyed",
        "reference CD-4471 recorded by hand",
        "Destroy makes the drive unusable",
    ):
        assert expected in text, expected
    # Nothing of it reads as verified erasure.
    assert "Karim Benali verified" not in text


def test_a_lot_certificate_in_french_counts_the_drives_destroyed_apart():
    lot = LotFacts("L-2024-07", "Mairie d’Évreux", "Don 118", None)
    text = pdf_text(render_certificate(replace(CERTIFICATE, lot=lot), "fr"))

    for expected in (
        "ou, s’il ne pouvait pas être effacé, détruit physiquement comme indiqué",
        "Appareils : 1 ; supports effacés : 1 ; supports détruits : 1.",
        "Destruction physique (DESTROY) : broyé Destroy",
        "détruit le 4 mars 2026 à 11:00",
        "référence CD-4471 saisi à la main",
    ):
        assert expected in text.replace("\u00a0", " "), expected


def test_without_a_drive_destroyed_the_certificate_says_what_it_always_said():
    plain = replace(CERTIFICATE, devices=[replace(CERTIFICATE.devices[0], drives=[ERASED])])
    text = pdf_text(render_certificate(plain, "en"))
    assert "physically destroyed" not in text and "DESTROY" not in text
    lot = LotFacts("L-1", "", "", None)
    assert "Devices: 1; drives erased: 1." in pdf_text(
        render_certificate(replace(plain, lot=lot), "en")
    )


def test_the_issued_certificate_of_a_device_lists_its_drive_destroyed(app, sessions, make_user):
    karim = make_user("technician", "karim", "Karim Benali")
    with sessions() as session:
        open_lot(session, "L-DES", donor="Mairie", entered_by=None)
        device = laptop_with_dying_drive(session, user=session.merge(karim))
        device.lot = get_lot(session, "L-DES")
        # A second drive, erased by the bench; the dying one destroyed by a company.
        erasure = seeing(passing_result("erasure", drive_serial="S4DYNX0M1"), DYING)
        records.record_run(session, device, erasure, operator=None)
        health = seeing(passing_result("disk-health"), DYING)
        records.record_run(session, device, health, operator=None)
        records.record_destroyed_drive(
            session, device, drive_serial=DYING["serial"], destruction="crushed",
            replaced=False, reference="CD-4471", entered_by=session.merge(karim),
        )  # fmt: skip
        move_to_stage(session, device, "ready", entered_by=None)
        session.commit()
        tag = device.asset_tag

    with app.app_context(), sessions() as session:
        device = get_device(session, tag)
        issued, data = build.issue_device_certificate(
            session, device, "en", SETTINGS, issued_by=None
        )
        lot_issued, lot_data = build.issue_lot_certificate(
            session, get_lot(session, "L-DES"), "en", SETTINGS, issued_by=None
        )
        sheet = build.spec_sheet(session, device, "en", SETTINGS)
        report = build.lot_report(session, get_lot(session, "L-DES"), "en", SETTINGS)
        session.commit()

    text = pdf_text(data)
    for expected in (
        "S4DYNX0M1",
        "Overwrite (OVERWRITE) Clear",
        DYING["serial"],
        "Physical destruction (DESTROY): crushed Destroy",
        "Karim Benali destroyed",
        "reference CD-4471",
    ):
        assert expected in text, expected
    assert issued.covers[0]["drives"] == ["S4DYNX0M1", DYING["serial"]]
    assert "Devices: 1; drives erased: 1; drives destroyed: 1." in pdf_text(lot_data)
    assert lot_issued.covers[0]["asset_tag"] == tag
    # The buyer's sheet lists the drive still in the device, not the one destroyed.
    sheet_text = pdf_text(sheet)
    assert "S4DYNX0M1" in sheet_text and DYING["serial"] not in sheet_text
    # The lot report counts drives erased: the one destroyed is not one of them.
    assert "Storage drives erased with verification: 1 " in pdf_text(report)


def test_a_device_whose_only_drive_was_destroyed_has_a_sheet_without_storage(app, sessions):
    with sessions() as session:
        device = laptop_with_dying_drive(session)
        records.record_destroyed_drive(
            session, device, drive_serial=DYING["serial"], destruction="shredded",
            replaced=False, entered_by=None,
        )  # fmt: skip
        move_to_stage(session, device, "ready", entered_by=None)
        session.commit()
        tag = device.asset_tag
    with app.app_context(), sessions() as session:
        device = get_device(session, tag)
        sheet = pdf_text(build.spec_sheet(session, device, "en", SETTINGS))
        french = pdf_text(build.spec_sheet(session, device, "fr", SETTINGS))
        _issued, data = build.issue_device_certificate(
            session, device, "en", SETTINGS, issued_by=None
        )
        session.commit()
    # The buyer learns the drive is gone, not that the device never had one.
    assert "was taken out and destroyed" in sheet and "sold without a drive" in sheet
    assert "holds no storage drive" not in sheet
    assert "retiré et détruit" in french and "vendu sans support" in french
    assert DYING["serial"] not in sheet
    assert "Physical destruction (DESTROY): shredded Destroy" in pdf_text(data)


def test_a_long_reference_is_cut_to_stay_inside_its_column():
    long = replace(DESTROYED, reference="DESTRUKT-2026-0000118/BAC-07 " + "Z" * 60)
    certificate = replace(
        CERTIFICATE, devices=[replace(CERTIFICATE.devices[0], drives=[ERASED, long])]
    )
    text = pdf_text(render_certificate(certificate, "en"))
    # On lines that fit, cut after a hyphen when it can (pdftotext joins such a cut up again,
    # dropping the hyphen); a word with none is cut where it reaches the edge.
    assert "reference DESTRUKT-20260000118/BAC-07 ZZZZ" in text
    assert "Z" * 60 not in text and "Z" * 60 in text.replace(" ", "")
