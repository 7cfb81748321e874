"""Spec sheets and donors' lot reports drawn from the records, from the services and from
`workshop documents`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask

from diagnostics import records
from inventory.devices import get_device
from inventory.errors import InvalidInput
from inventory.lots import get_lot
from inventory.recycling import recycle
from inventory.sales import NotReady
from inventory.stages import move_to_stage, set_grade
from tests.conftest import passing_result
from tests.documents_helpers import at_qc, fail_battery, make_lot, pdf_text, ready_laptop
from workshop.cli import cli
from workshop.documents import build

SETTINGS = build.Settings(workshop="Atelier Test", time_zone="Europe/Paris", warranty_months=24)


@pytest.fixture
def workshop(app: Flask) -> Callable[..., Result]:
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(cli, list(args))


def sheet_of(app, sessions, tag, language="en"):
    with app.app_context(), sessions() as session:
        return pdf_text(build.spec_sheet(session, get_device(session, tag), language, SETTINGS))


def test_the_sheet_of_a_ready_laptop_states_its_records(app, sessions):
    with sessions() as session:
        tag = ready_laptop(session).asset_tag
        session.commit()

    english = sheet_of(app, sessions, tag)
    french = sheet_of(app, sessions, tag, "fr")

    for expected in (
        "Refurbished device: Laptop",
        "Processor Intel Core i5-8350U",
        "Memory (GB) 16",
        "B: good condition",
        "Scratch on the lid",
        "Battery health 87.5 %",
        "WX41A12B3456",
        "S4DYNX0M123456",
        "24 months from the date of sale",
    ):
        assert expected in english, expected
    for expected in (
        "Appareil reconditionné : PC portable",
        "Processeur Intel Core i5-8350U",
        "Rayure sur le capot",
        "Santé de la batterie 87,5 %",
        "24 mois",
    ):
        assert expected in french, expected


def test_a_device_that_no_longer_meets_ready_is_not_called_refurbished(app, sessions):
    with sessions() as session:
        device = ready_laptop(session)
        assert build.is_refurbished(session, device)
        fail_battery(session, device)
        assert not build.is_refurbished(session, device)
        tag = device.asset_tag
        session.commit()

    for language in ("en", "fr"):
        text = sheet_of(app, sessions, tag, language).lower()
        assert "refurbish" not in text and "reconditionn" not in text
        assert "comme neuf" not in text and "as new" not in text
        assert "52 %" in text and ("out of limits" in text or "hors limites" in text)


def test_a_device_with_no_storage_says_so(app, sessions):
    with sessions() as session:
        device = at_qc(session, "PF0NODISK")
        records.record_run(session, device, passing_result("battery"), operator=None)
        records.mark_no_storage(session, device, entered_by=None, note="Donor kept the SSD")
        set_grade(session, device, "A", entered_by=None)
        move_to_stage(session, device, "ready", entered_by=None)
        tag = device.asset_tag
        session.commit()

    text = sheet_of(app, sessions, tag)
    assert "Refurbished device" in text
    assert "holds no storage drive" in text


def test_no_sheet_for_a_device_not_ready(app, sessions):
    with sessions() as session:
        tag = at_qc(session, "PF0QC").asset_tag
        session.commit()

    with app.app_context(), sessions() as session, pytest.raises(NotReady) as refused:
        build.spec_sheet(session, get_device(session, tag), "en", SETTINGS)
    assert refused.value.details["refused"] == [{"asset_tag": tag, "stage": "qc"}]


def test_a_language_not_written_is_refused_naming_the_field(app, sessions):
    with sessions() as session:
        tag = ready_laptop(session).asset_tag
        session.commit()

    with app.app_context(), sessions() as session, pytest.raises(InvalidInput) as refused:
        build.spec_sheet(session, get_device(session, tag), "de", SETTINGS)
    assert refused.value.details["field"] == "lang"


def test_the_lot_report_counts_reused_recycled_and_kilograms(app, sessions):
    with sessions() as session:
        make_lot(session)
        ready_laptop(session, lot="L-2024-07")
        ready_laptop(session, "5CG8251XYZ", lot="L-2024-07")
        dead = at_qc(session, "PF0DEAD1", lot="L-2024-07", weight_kg="2.1")
        recycle(session, dead, reason="beyond_repair", entered_by=None)
        at_qc(session, "IMEI35000001", lot="L-2024-07", category="phone", weight_kg=None)
        session.commit()

    with app.app_context(), sessions() as session:
        lot = get_lot(session, "L-2024-07")
        english = pdf_text(build.lot_report(session, lot, "en", SETTINGS))
        french = pdf_text(build.lot_report(session, lot, "fr", SETTINGS))

    assert "Reused: 2 of 4 (2.96 kg). Recycled: 1 (2.1 kg)." in english
    assert "Still being refurbished: 1. In all: 5.06 kg." in english
    assert "left out of the kilograms: 1" in english
    assert "Storage drives erased with verification: 4" in english
    assert "Mairie d’Évreux" in english
    assert "PF0DEAD1 recycled 2.1" in english
    assert "Réemployés : 2 sur 4 (2,96 kg). Recyclés : 1 (2,1 kg)." in french
    assert "PF0DEAD1 recyclé 2,1" in french


# -- `workshop documents` ---------------------------------------------------------------------


def test_the_commands_write_a_spec_sheet_and_a_lot_report(workshop, sessions, tmp_path: Path):
    with sessions() as session:
        make_lot(session)
        tag = ready_laptop(session, lot="L-2024-07").asset_tag
        waiting = at_qc(session, "PF0QC", lot="L-2024-07").asset_tag
        session.commit()
    sheet, report = tmp_path / "sheet.pdf", tmp_path / "report.pdf"

    written = workshop("documents", "spec-sheet", tag, "-o", str(sheet), "--lang", "fr")
    reported = workshop("documents", "lot-report", "L-2024-07", "-o", str(report))
    refused = workshop("documents", "spec-sheet", waiting, "-o", str(tmp_path / "no.pdf"))
    unknown = workshop("documents", "lot-report", "L-NONE", "-o", str(tmp_path / "no.pdf"))
    wrong = workshop("documents", "spec-sheet", tag, "-o", str(sheet), "--lang", "de")

    assert written.exit_code == 0, written.output
    assert "Appareil reconditionné" in pdf_text(sheet.read_bytes())
    assert reported.exit_code == 0, reported.output
    assert "What became of your devices" in pdf_text(report.read_bytes())
    assert refused.exit_code == 1 and "not ready for sale" in refused.output
    assert unknown.exit_code == 1 and "L-NONE" in unknown.output
    assert wrong.exit_code == 2
    assert not (tmp_path / "no.pdf").exists()
