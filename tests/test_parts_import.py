"""`workshop parts import FILE [--dry-run]`: a stock list of spare parts, whole or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from inventory import parts as stock
from inventory.accounts import User
from inventory.repair_models import Part
from tests.import_helpers import csv_bytes, xlsx_bytes
from tests.repair_helpers import (
    BATTERY,
    MODEL,
    _repair_lists,  # noqa: F401  (an autouse fixture)
    laptop,
    recycled,
)
from tests.test_import_pages import PAGE, confirm, token_of, upload
from workshop.cli import cli

COLUMNS = ("kind", "reference", "quantity", "supplier", "unit_cost", "donor", "location", "fits")


@pytest.fixture
def workshop(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(cli, list(args))


def count(sessions):
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Part)) or 0


def test_a_stock_list_is_imported_bought_and_harvested(workshop, sessions, tmp_path):
    with sessions() as session:
        donor = recycled(session, "PF1IMPD1", None).asset_tag
        session.commit()
    rows = [
        {
            "kind": "ram",
            "reference": "DDR4 SO-DIMM",
            "quantity": "3",
            "supplier": "Pièces Pro",
            "unit_cost": "18,00",
            "fits": f"{MODEL}; ThinkPad T470",
        },
        {"kind": "battery", "reference": BATTERY, "quantity": "1", "donor": donor, "fits": MODEL},
    ]
    path = tmp_path / "stock.xlsx"
    path.write_bytes(xlsx_bytes(rows, columns=COLUMNS))
    dry = workshop("parts", "import", "--dry-run", str(path))
    assert dry.exit_code == 0, dry.output
    assert count(sessions) == 0
    result = workshop("parts", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "4" in result.stdout
    with sessions() as session:
        assert len(stock.parts_that_fit(session, MODEL)) == 4
        assert len(stock.parts_that_fit(session, "ThinkPad T470")) == 3
        harvested = session.scalar(select(Part).where(Part.source == "harvested"))
        assert harvested.donor.asset_tag == donor


def test_one_bad_row_imports_nothing_and_names_each_problem(workshop, sessions, tmp_path):
    with sessions() as session:
        working = laptop(session, "PF1IMPD2", session.scalar(select(User))).asset_tag
        session.commit()
    rows = [
        {"kind": "ram", "reference": "DDR4", "quantity": "2", "supplier": "X", "unit_cost": "5"},
        {"kind": "toaster", "reference": "T", "quantity": "1", "supplier": "X", "unit_cost": "5"},
        {"kind": "ssd", "reference": "M.2", "quantity": "0", "supplier": "", "unit_cost": ""},
        {"kind": "battery", "reference": BATTERY, "quantity": "1", "donor": working},
        {
            "kind": "hdd",
            "reference": "2.5 SATA",
            "quantity": "1",
            "supplier": "X",
            "unit_cost": "5",
            "location": "L99999X",
        },
    ]
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes(rows, columns=COLUMNS, separator=";"))
    result = workshop("parts", "import", str(path))
    assert result.exit_code == 1
    for expected in (
        "line 3, kind: Unknown part kind 'toaster'",
        "line 4, quantity:",
        "line 4, unit_cost: A bought part needs its unit cost.",
        "line 4, supplier: A bought part needs its supplier.",
        f"line 5, donor: {working} is not recycled",
        "line 6, location: No location has the code L99999X.",
    ):
        assert expected in result.stderr, result.stderr
    assert count(sessions) == 0


def test_the_warehouse_imports_a_delivery_of_parts_from_the_page(client, logged_in, sessions):
    """Parts arrive at the warehouse: it may import them, and only them."""
    logged_in("warehouse")
    page = client.get(PAGE).get_data(as_text=True)
    assert 'value="parts"' in page
    assert 'value="devices"' not in page and 'value="staff"' not in page
    rows = [
        {
            "kind": "ssd",
            "reference": "SATA 2.5",
            "quantity": "2",
            "supplier": "Pièces Pro",
            "unit_cost": "21.50",
        }
    ]
    checked = upload(client, csv_bytes(rows, columns=COLUMNS), "delivery.csv", kind="parts")
    assert checked.status_code == 200, checked.get_data(as_text=True)
    assert confirm(client, token_of(checked)).status_code == 302
    assert count(sessions) == 2
    refused = upload(client, b"serial_number\nX1\n", "devices.csv", kind="devices")
    assert refused.status_code == 400
