"""labels/ draws the documents from plain values: what each says, in French and in English,
read back from the PDF as a reader's software reads it."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from labels.certificate import Certificate, ErasedDevice, ErasedDrive, LotFacts, render_certificate
from labels.documents import UnknownLanguage, format_number
from labels.lot_report import LotDevice, LotReport, OutcomeTotal, render_lot_report
from labels.spec_sheet import Measured, SpecSheet, render_spec_sheet
from tests.documents_helpers import page_count, pdf_text

HDD = ErasedDrive(
    model="WDC WD5000LPLX",
    serial="WX41A12B3456",
    capacity_bytes=500_107_862_016,
    drive_type="HDD",
    method="OVERWRITE",
    nist_category="Clear",
    started_at=datetime(2026, 3, 4, 9, 0),
    ended_at=datetime(2026, 3, 4, 10, 5),
    operator="Léa Rousseau",
    verified=True,
    verification="PASS,4096",
    tool="ACME Bench DISK-300 B-0001 (firmware 1.0.0)",
)
SSD = replace(
    HDD,
    model="Samsung PM981",
    serial="S4DYNX0M123456",
    capacity_bytes=256_060_514_304,
    drive_type="NVME",
    method="CRYPTO",
    nist_category="Purge",
    operator="Karim Benali",
    tool="ShredOS nwipe 0.34",
    manual=True,
)
SHEET = SpecSheet(
    workshop="Atelier Test",
    asset_tag="A0000001O",
    category="Laptop",
    make="HP",
    model="EliteBook 840 G5",
    serial="5CG8251ABC",
    specs=[("Processor", "Intel Core i5-8350U"), ("Memory (GB)", "16")],
    grade="B",
    defects=["Scratch on the lid"],
    measurements=[
        Measured("health", 87.5, "%", "pass", 70.0, None),
        Measured("cycles", 312, "cycles", "pass"),
        Measured("temperature", 30.3, "C", "pass", None, 45.0),
    ],
    erasure="drives",
    drives=[HDD, SSD],
    refurbished=True,
    warranty_months=12,
    printed_on=date(2026, 3, 5),
)
DONOR = "Mairie d’Évreux « Centre »"
LOT = LotFacts("L-2024-07", DONOR, "Don 118", date(2024, 7, 1))
CERTIFICATE = Certificate(
    number="EC-000042",
    workshop="Atelier Test",
    issued_at=datetime(2026, 3, 5, 14, 2),
    issued_by="Léa Rousseau",
    devices=[
        ErasedDevice("A0000001O", "Laptop", "HP", "EliteBook 840 G5", "5CG8251ABC", [HDD, SSD])
    ],
    time_zone="Europe/Paris",
)


def test_a_spec_sheet_says_what_the_device_is_and_what_was_found_in_english():
    text = pdf_text(render_spec_sheet(SHEET, "en"))

    for expected in (
        "Refurbished device: Laptop",
        "Refurbished by Atelier Test",
        "A0000001O",
        "5CG8251ABC",
        "Intel Core i5-8350U",
        "B: good condition, light signs of use.",
        "Scratch on the lid",
        "Battery health 87.5 % at least 70 % within limits",
        "Battery charge cycles 312",
        "30.3 °C",
        "at most 45 °C",
        "WX41A12B3456",
        "S4DYNX0M123456",
        "Overwrite (OVERWRITE) Clear",
        "Cryptographic erase (CRYPTO) Purge",
        "NIST SP 800-88",
        "12 months from the date of sale",
    ):
        assert expected in text, expected


def test_a_spec_sheet_in_french_uses_french_words_and_french_numbers():
    text = pdf_text(render_spec_sheet(SHEET, "fr"))

    for expected in (
        "Appareil reconditionné : Laptop",
        "Reconditionné par Atelier Test",
        "Grade esthétique",
        "B : bon état, légères traces d’usage.",
        "Santé de la batterie 87,5 % au moins 70 % dans les limites",
        "30,3 °C",
        "au plus 45 °C",
        "Effacement cryptographique",
        "(CRYPTO)",
        "Écrasement (OVERWRITE) Clear",
        "12 mois à compter de la date de vente",
        "main-d’œuvre",
        "5 mars 2026",
    ):
        assert expected in text, expected
    assert "Battery health" not in text


@pytest.mark.parametrize("language", ["en", "fr"])
def test_refurbished_is_said_only_of_a_device_that_passed_everything(language):
    used = pdf_text(render_spec_sheet(replace(SHEET, refurbished=False), language)).lower()

    assert "refurbish" not in used
    assert "reconditionn" not in used
    assert ("used device" if language == "en" else "appareil d’occasion") in used


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("grade", ["A", "B", "C", None])
@pytest.mark.parametrize("refurbished", [True, False])
def test_no_sheet_ever_calls_a_device_new(language, grade, refurbished):
    sheet = replace(SHEET, grade=grade, refurbished=refurbished, defects=[])
    text = pdf_text(render_spec_sheet(sheet, language)).lower()

    assert "as new" not in text
    assert "like new" not in text
    assert "comme neuf" not in text
    assert not re.search(r"\bneu(f|ve)s?\b", text)
    assert not re.search(r"\bnew\b", text)


def test_a_sheet_without_drives_says_why_there_was_nothing_to_erase():
    none = pdf_text(render_spec_sheet(replace(SHEET, erasure="no_storage", drives=[]), "en"))
    needless = pdf_text(render_spec_sheet(replace(SHEET, erasure="needless", drives=[]), "fr"))

    assert "holds no storage drive" in none
    assert "WX41A12B3456" not in none
    assert "ne conserve pas de données d’utilisateur" in needless


def test_a_certificate_names_every_drive_its_method_category_dates_operator_and_tool():
    text = pdf_text(render_certificate(CERTIFICATE, "en"))

    for expected in (
        "Data erasure certificate",
        "Certificate EC-000042, issued 5 March 2026, 14:02 by Léa Rousseau.",
        "NIST Special Publication 800-88",
        "A0000001O: Laptop HP EliteBook 840 G5",
        "WDC WD5000LPLX HDD 500 GB",
        "WX41A12B3456",
        "Overwrite (OVERWRITE) Clear",
        "4 March 2026, 09:00 4 March 2026, 10:05",
        "Léa Rousseau verified: PASS,4096",
        "verified: PASS,4096",
        "ACME Bench DISK-300 B-0001",
        "S4DYNX0M123456",
        "Cryptographic erase (CRYPTO) Purge",
        "Karim Benali",
        "ShredOS nwipe 0.34 (recorded by hand)",
        "Times are given in Europe/Paris time.",
    ):
        assert expected in text, expected


def test_a_lot_certificate_in_french_names_the_donor_and_the_devices_it_does_not_cover():
    certificate = replace(
        CERTIFICATE,
        lot=LOT,
        not_covered=[ErasedDevice("A0000002M", "Laptop", "Dell", "Latitude 5490", "7XK2")],
    )
    text = pdf_text(render_certificate(certificate, "fr"))

    for expected in (
        "Certificat d’effacement des données",
        "délivré le 5 mars 2026 à 14:02 par Léa Rousseau",
        DONOR,
        "1er juillet 2024",
        "Appareils : 1 ; supports effacés : 2.",
        "Écrasement (OVERWRITE) Clear",
        "vérifié : PASS,4096",
        "saisi à la main",
        "que ce certificat ne couvre pas",
        "A0000002M",
    ):
        assert expected in text, expected


def test_an_unverified_erasure_is_said_so():
    shaky = replace(
        CERTIFICATE,
        devices=[
            replace(CERTIFICATE.devices[0], drives=[replace(HDD, verified=False, verification="")])
        ],
    )

    assert "NOT verified" in pdf_text(render_certificate(shaky, "en"))


def test_the_same_content_gives_the_same_bytes_and_an_a4_page():
    first = render_certificate(CERTIFICATE, "en")

    assert first == render_certificate(CERTIFICATE, "en")
    assert first != render_certificate(replace(CERTIFICATE, number="EC-000043"), "en")
    assert page_count(first) == 1
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in first


def test_a_lot_report_counts_and_weighs_what_became_of_the_devices():
    report = LotReport(
        workshop="Atelier Test",
        lot=LOT,
        outcomes={
            "reused": OutcomeTotal(3, Decimal("4.5")),
            "recycled": OutcomeTotal(1, Decimal("2.25")),
            "in_progress": OutcomeTotal(1, Decimal("0"), 1),
        },
        devices=[
            LotDevice("A0000001O", "Laptop HP EliteBook", "5CG8251ABC", "reused", Decimal("1.5")),
            LotDevice("A0000003K", "Monitor Dell P2214", "CN0X", "recycled", Decimal("2.25")),
            LotDevice("A0000004I", "Phone", "IMEI1", "in_progress", None),
        ],
        drives_erased=3,
        stated_on=date(2026, 3, 5),
    )
    english = pdf_text(render_lot_report(report, "en"))
    french = pdf_text(render_lot_report(report, "fr"))

    assert "Reused: 3 of 5 (4.5 kg). Recycled: 1 (2.25 kg)." in english
    assert "In all: 6.75 kg." in english
    assert "left out of the kilograms: 1" in english
    assert "Storage drives erased with verification: 3" in english
    assert DONOR in english
    assert "A0000003K Monitor Dell P2214 CN0X recycled 2.25" in english
    assert "Réemployés : 3 sur 5 (4,5 kg). Recyclés : 1 (2,25 kg)." in french
    assert "responsabilité sociétale (RSE)" in french
    assert "A0000003K Monitor Dell P2214 CN0X recyclé 2,25" in french


def test_a_language_not_written_is_refused():
    with pytest.raises(UnknownLanguage):
        render_spec_sheet(SHEET, "de")
    with pytest.raises(UnknownLanguage):
        render_certificate(CERTIFICATE, "")


def test_numbers_read_as_each_language_writes_them():
    assert format_number(1234.5, "en") == "1,234.5"
    assert format_number(1234.5, "fr") == "1\u00a0234,5"
    assert format_number(Decimal("4.500"), "fr", 3) == "4,5"
    assert format_number(12, "en") == "12"
