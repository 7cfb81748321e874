"""The repairs appendix of the impact report: every format, the publication, the page."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from inventory import impact
from inventory.people import ImpactPublication
from inventory.repair_figures import repair_figures
from inventory.repairs import record_repair
from inventory.stages import move_to_stage
from tests.conftest import enter_ready
from tests.repair_helpers import (
    _repair_lists,  # noqa: F401  (an autouse fixture)
    a_year_of_repairs,
    at,
    received,
    to_repair,
)
from workshop.cli import cli


@pytest.fixture
def year_2025(sessions):
    with sessions() as session:
        a_year_of_repairs(session, "PF1APX")
        session.commit()


@pytest.fixture
def workshop(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(cli, list(args))


def test_a_repair_of_an_earlier_cycle_does_not_count_for_a_later_ready(session):
    device = received(session, "PF1APX9", at(1, 2))
    to_repair(session, device, 1, 3)
    record_repair(session, device, "hinge", "cleaned", [], 5, by=None, occurred_at=at(1, 4))
    move_to_stage(session, device, "qc", entered_by=None, occurred_at=at(1, 5))
    enter_ready(session, device, occurred_at=at(1, 6))
    move_to_stage(session, device, "recycled", entered_by=None, occurred_at=at(1, 7))
    # A second intake of the same device (say it came back): no repair this time.
    again = received(session, "PF1APX9", at(5, 1))
    for stage in ("triage", "erasure", "diagnostics", "qc"):
        move_to_stage(session, again, stage, entered_by=None, occurred_at=at(5, 2))
    enter_ready(session, again, occurred_at=at(5, 3))
    session.flush()
    figures = repair_figures(session, 2025)
    assert figures["units_made_ready"] == 2
    assert figures["share_needing_no_repair"] == 0.5
    assert figures["monthly"][0]["share_needing_no_repair"] == 0.0
    assert figures["monthly"][4]["share_needing_no_repair"] == 1.0
    assert figures["mean_minutes_per_repaired_unit"] == 5.0
    assert figures["parts_cost_per_repaired_unit"] == "0.00"


def test_the_json_report_has_the_appendix_with_codes_and_french_labels(workshop, year_2025):
    result = workshop("impact", "2025", "--lang", "fr")
    assert result.exit_code == 0, result.output
    repairs = json.loads(result.stdout)["repairs"]
    assert repairs["status"] == "computed"
    assert repairs["repairs_by_fault"] == {"dead_battery": 1, "hinge": 1}
    assert repairs["fault_labels"] == {"dead_battery": "Batterie morte", "hinge": "Charnière"}
    assert repairs["action_labels"] == {"replaced": "Remplacé"}
    assert (repairs["parts_used_bought"], repairs["parts_used_harvested"]) == (1, 1)
    assert repairs["parts_harvested"] == 1
    assert repairs["share_needing_no_repair"] == 0.5
    assert repairs["mean_minutes_per_repaired_unit"] == 40.0
    assert repairs["parts_cost_per_repaired_unit"] == "12.00"
    assert repairs["labels"]["parts_harvested"] == "Pièces récupérées"
    assert len(repairs["monthly"]) == 12
    assert repairs["monthly"][2]["repairs_by_fault"] == {"dead_battery": 1}


def test_the_csv_keeps_four_columns_with_the_appendix_year_and_months(workshop, year_2025):
    result = workshop("impact", "2025", "--format", "csv", "--lang", "fr")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert {len(row) for row in rows} == {4}
    by_key = {row[0]: row for row in rows[1:]}
    assert len(by_key) == len(rows) - 1  # every key once
    assert by_key["repairs.repairs"][2] == "2"
    assert by_key["repairs.parts_harvested"][1:3] == ["Pièces récupérées", "1"]
    fault = by_key["repairs.repairs_by_fault.dead_battery"]
    assert fault[1:3] == ["Réparations par panne\u00a0: Batterie morte", "1"]
    assert by_key["repairs.parts_cost_per_repaired_unit"][2] == "12.00"
    assert by_key["repairs.month.03.repairs_by_fault.dead_battery"][1:3] == [
        "Réparations par panne\u00a0: Batterie morte (mars)",
        "1",
    ]
    assert by_key["repairs.month.04.repairs_by_fault.dead_battery"][2] == "0"
    assert by_key["repairs.month.01.share_needing_no_repair"][2] == ""


def test_the_xlsx_has_a_repairs_sheet_a_row_per_figure_and_code(workshop, year_2025, tmp_path):
    path = tmp_path / "impact.xlsx"
    result = workshop("impact", "2025", "--format", "xlsx", "-o", str(path))
    assert result.exit_code == 0, result.output
    sheet = load_workbook(path)["Repairs"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:4] == ("Key", "Label", "Year", "January")
    by_key = {row[0]: row for row in rows if row and row[0]}
    assert by_key["repairs.repairs_by_action.replaced"][1:6] == (
        "Repairs by action: Replaced",
        2,
        0,
        0,
        1,
    )
    assert by_key["repairs.parts_cost_per_repaired_unit"][2] == 12.0
    assert by_key["repairs.share_needing_no_repair"][2] == 0.5
    assert by_key["Status"][1] == "computed"
    definitions = {row[0] for row in load_workbook(path)["Definitions"].iter_rows(values_only=True)}
    assert "repairs.parts_harvested" in definitions


def test_the_pdf_has_appendix_pages_with_tables(workshop, year_2025, tmp_path):
    path = tmp_path / "impact.pdf"
    result = workshop("impact", "2025", "--format", "pdf", "--lang", "fr", "-o", str(path))
    assert result.exit_code == 0, result.output
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    appendix = text[text.index("Annexe") :]
    assert "Réparations par panne" in appendix
    assert "Batterie morte" in appendix and "Charnière" in appendix
    assert "Pièces récupérées" in appendix
    assert "Réparations mois par mois" in appendix
    assert "12,00" in appendix  # parts cost per repaired unit
    assert "\f" in text[: text.index("Annexe")]  # on pages of its own


def test_publishing_freezes_the_appendix_and_a_late_repair_is_explained(
    sessions, year_2025, make_user
):
    manager = make_user("manager", "max")
    with sessions() as session:
        impact.publish(session, 2025, by=session.merge(manager))
        session.commit()
        published = impact.report(session, 2025)
        assert published["repairs"]["status"] == "published"
        assert published["publication"]["repairs_changed"] is False
        late = received(session, "PF1APX3", at(6, 1))
        to_repair(session, late, 6, 2)
        record_repair(session, late, "wifi", "reseated", [], 15, by=None, occurred_at=at(6, 3))
        session.commit()
        later = impact.report(session, 2025)
    assert later["repairs"]["repairs"] == 2  # the published figure stands
    assert later["repairs"]["repairs_by_fault"] == {"dead_battery": 1, "hinge": 1}
    assert later["publication"]["repairs_changed"] is True
    assert later["publication"]["changed"] is True
    lines = impact.explain_changes(later["publication"], "en")
    assert "The repair figures recomputed now differ from those published" in lines


def test_a_year_published_before_the_appendix_shows_it_as_computed(sessions, year_2025):
    with sessions() as session:
        impact.publish(session, 2025, by=None)
        publication = session.scalar(select(ImpactPublication))
        # As publications were written before the appendix existed.
        publication.figures = {
            key: value for key, value in publication.figures.items() if key != "repairs"
        }
        session.commit()
        data = impact.report(session, 2025, language="fr")
    assert data["status"] == "published"
    assert data["repairs"]["status"] == "computed"
    assert data["repairs"]["repairs"] == 2
    assert data["publication"]["repairs_changed"] is None
    assert data["publication"]["changed"] is False


def test_the_api_answers_the_appendix(client, bearer, year_2025):
    answer = client.get("/api/v1/reports/impact/2025?lang=fr", headers=bearer("hr", "rose"))
    assert answer.status_code == 200
    assert answer.get_json()["repairs"]["fault_labels"]["hinge"] == "Charnière"
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    assert "repairs" in schemas["ImpactReport"]["required"]
    assert set(schemas["ImpactRepairs"]["required"]) >= {"monthly", "status", "fault_labels"}


def test_the_managers_page_shows_this_year_against_last(client, logged_in, year_2025):
    logged_in("manager", "rita")
    page = client.get("/impact/?year=2025").get_data(as_text=True)
    assert "Repairs and spare parts" in page
    assert "<caption>Repairs, 2025 against 2024; each figure is defined below.</caption>" in page
    assert "Most frequent faults, 2025 against 2024" in page
    assert '<th scope="row">Dead battery</th><td>0</td><td>1</td>' in page
    assert '<th scope="row">Replaced</th><td>0</td><td>2</td>' in page
    assert '<th scope="row">Parts used, harvested</th>' in page
    assert "50%" in page  # share needing no repair
    assert "Repairs month by month, 2025" in page
    assert "<code>repairs.parts_harvested</code>" in page


def test_the_page_in_french_and_for_those_who_may_see_it(client, logged_in, year_2025):
    logged_in("hr", "rose")
    client.set_cookie("lang", "fr")
    answer = client.get("/impact/?year=2025", headers={"Accept-Language": "fr"})
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "Batterie morte" in page
    assert "50\u00a0%" in page or "50&nbsp;%" in page


def test_a_technician_does_not_see_the_figures(client, logged_in, year_2025):
    logged_in("technician", "tom")
    assert client.get("/impact/?year=2025").status_code == 403
