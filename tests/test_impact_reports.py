"""The yearly report in its four formats, from the command line, in French and English."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from inventory import impact, staff
from tests.people_helpers import History, write_histories
from workshop.cli import cli


@pytest.fixture
def workshop(app):
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(cli, list(args))

    return run


@pytest.fixture
def year_2019(sessions):
    """A small 2019: three devices through, one recycled, two people."""
    with sessions() as session:
        write_histories(
            session,
            [
                History("2019-01-03", ready="2019-01-20", sold="2019-02-02", weight_kg="2.000"),
                History(
                    "2019-03-03",
                    ready="2019-03-20",
                    sold="2019-04-02",
                    channel="donation",
                    weight_kg="1.000",
                ),
                History("2019-05-03", recycled="2019-05-04", weight_kg="7.000"),
            ],
        )
        for number, hired in (("S1", "2018-06-01"), ("S2", "2019-07-01")):
            person = staff.add_person(session, staff_number=number, name=number)
            staff.add_employment(session, person, hired_on=hired, contract="permanent", fte="1")
        session.commit()


def test_json_to_standard_output_has_year_every_key_monthly_and_definitions(workshop, year_2019):
    result = workshop("impact", "2019")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["year"] == 2019
    for key in impact.KEYS:
        assert key in data, key
        assert data["definitions"][key] == impact.BY_KEY[key].definition_en
    assert (data["units_received"], data["units_sold"], data["units_donated"]) == (3, 1, 1)
    assert data["weight_reused_kg"] == 3.0 and data["weight_recycled_kg"] == 7.0
    assert data["reuse_rate"] == 0.3
    assert (data["jobs_created"], data["jobs_sustained"], data["headcount_end"]) == (1, 1, 2)
    assert len(data["monthly"]) == 12
    assert data["monthly"][1]["units_sold"] == 1
    assert data["monthly"][6]["headcount"] == 2


def test_csv_has_one_figure_a_row_with_its_definition_in_french(workshop, year_2019):
    result = workshop("impact", "2019", "--format", "csv", "--lang", "fr")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert rows[0] == ["key", "label", "value", "definition"]
    keys = [row[0] for row in rows[1:]]
    assert keys[: len(impact.KEYS)] == list(impact.KEYS)
    # The repairs appendix follows in the same four columns, its keys prefixed.
    assert all(key.startswith("repairs.") for key in keys[len(impact.KEYS) :])
    by_key = {row[0]: row for row in rows[1:]}
    assert by_key["units_received"][1:3] == ["Appareils reçus", "3"]
    assert by_key["units_repaired_per_fte"][2] == "1.33"
    assert by_key["reuse_rate"][3].startswith("weight_reused_kg / (")
    assert by_key["jobs_created"][3] == impact.BY_KEY["jobs_created"].definition_fr


def test_xlsx_has_the_figures_the_months_and_the_definitions(workshop, year_2019, tmp_path):
    path = tmp_path / "impact.xlsx"
    result = workshop("impact", "2019", "--format", "xlsx", "-o", str(path))
    assert result.exit_code == 0, result.output
    book = load_workbook(path)
    assert book.sheetnames == ["Figures", "Monthly", "Repairs", "Definitions"]
    figures = {row[0]: row[2] for row in book["Figures"].iter_rows(min_row=2, values_only=True)}
    assert figures["units_received"] == 3 and figures["weight_recycled_kg"] == 7
    monthly = list(book["Monthly"].iter_rows(min_row=3, values_only=True))
    assert [row[0] for row in monthly][:2] == ["January", "February"]
    assert monthly[1][3] == 1  # units_sold in February
    definitions = {row[0]: row[2] for row in book["Definitions"].iter_rows(values_only=True)}
    assert definitions["fte_average"] == impact.BY_KEY["fte_average"].definition_en
    assert "headcount" in definitions


def test_pdf_reads_as_a_report_with_figures_and_definitions(workshop, year_2019, tmp_path):
    path = tmp_path / "impact.pdf"
    result = workshop("impact", "2019", "--format", "pdf", "--lang", "fr", "-o", str(path))
    assert result.exit_code == 0, result.output
    assert path.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Rapport d’impact 2019" in text
    assert "Appareils reçus" in text
    assert "Définitions" in text
    assert "Effectif à la fin de chaque mois" in text
    assert "Appareils par mois" in text


def test_bad_usage_exits_2_and_writes_nothing(workshop):
    assert workshop("impact", "twenty").exit_code == 2
    assert workshop("impact", "1066").exit_code == 2
    assert workshop("impact", "2019", "--format", "docx").exit_code == 2
    assert workshop("impact", "2019", "--lang", "de").exit_code == 2
    result = workshop("impact", "2019", "--format", "pdf")
    assert result.exit_code == 2
    assert "-o FILE" in result.output
    assert not result.stdout.startswith("%PDF")


def test_publish_from_the_command_line_then_refuse_a_second_time(workshop, year_2019, make_user):
    make_user("manager", "max")
    result = workshop("impact", "2019", "--publish", "--as", "max")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "published"
    assert data["publication"]["published_by"] == "max"
    assert data["publication"]["events_count"] == 8
    again = workshop("impact", "2019", "--publish", "--as", "max")
    assert again.exit_code == 1
    assert "already published" in again.output
    not_over = workshop("impact", "2200", "--publish")
    assert not_over.exit_code == 1
    assert "not over yet" in not_over.output


def test_an_unwritable_output_is_refused_with_status_1(workshop, tmp_path: Path):
    result = workshop("impact", "2019", "-o", str(tmp_path / "missing" / "impact.json"))
    assert result.exit_code == 1
    assert "Cannot write" in result.output
