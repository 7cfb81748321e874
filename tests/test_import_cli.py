"""`workshop import devices FILE [--dry-run]` as a manager runs it on the workshop's old files."""

from __future__ import annotations

import os
import select as selectors
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from inventory.models import Device, Event
from tests.import_helpers import csv_bytes, device, xlsx_bytes
from workshop.cli import cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def workshop(app: Flask) -> Callable[..., Result]:
    """Run `workshop ...` against the test database, as a shell would (not at a terminal)."""
    runner = app.test_cli_runner()

    def run(*args: str) -> Result:
        return runner.invoke(cli, list(args))

    return run


def devices(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Device)) or 0


def test_a_good_file_is_imported_and_the_counts_are_said(workshop, sessions, tmp_path):
    path = tmp_path / "gaia-2016.csv"
    path.write_bytes(csv_bytes([device("CLI1"), device("CLI2")]))

    result = workshop("import", "devices", str(path))

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Imported 2 devices from gaia-2016.csv: 2 devices, 8 events")
    assert devices(sessions) == 2


def test_a_bad_row_lists_every_problem_exits_1_and_imports_nothing(workshop, sessions, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(
        csv_bytes([device("OK1"), device("BAD1", category="fridge"), device("BAD2", grade="Z")])
    )

    result = workshop("import", "devices", str(path))

    assert result.exit_code == 1
    assert "line 3, category: Unknown category 'fridge'" in result.stderr
    assert "line 4, grade: Unknown grade 'Z'" in result.stderr
    assert "Nothing was imported: 2 of the 3 rows of bad.csv have problems" in result.stderr
    assert result.stdout == ""
    assert devices(sessions) == 0


def test_a_dry_run_says_the_file_is_good_and_writes_nothing(workshop, sessions, tmp_path):
    path = tmp_path / "check.xlsx"
    path.write_bytes(xlsx_bytes([device("DRY1"), device("DRY2"), device("DRY3")]))

    result = workshop("import", "devices", str(path), "--dry-run")

    assert result.exit_code == 0, result.output
    assert "3 devices checked in check.xlsx: every row is good" in result.stdout
    assert "Nothing was written" in result.stdout
    assert devices(sessions) == 0
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0


def test_a_dry_run_of_a_bad_file_exits_1(workshop, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([device("X1", received_on="2016-02-31")]))

    result = workshop("import", "devices", str(path), "--dry-run")

    assert result.exit_code == 1
    assert "line 2, received_on:" in result.stderr


def test_a_missing_file_is_wrong_usage(workshop, tmp_path):
    result = workshop("import", "devices", str(tmp_path / "nowhere.csv"))

    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_the_import_is_recorded_as_entered_by_the_user_named(
    workshop, sessions, make_user, tmp_path
):
    make_user("manager", "margot")
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes([device("AS1")]))

    assert workshop("import", "devices", str(path), "--as", "margot").exit_code == 0

    with sessions() as session:
        entered = set(session.scalars(select(Event.entered_by_id)))
    assert len(entered) == 1 and None not in entered


def test_no_progress_bar_when_the_output_is_not_a_terminal(workshop, tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes([device(f"NT{number}") for number in range(3)]))

    result = workshop("import", "devices", str(path))

    assert result.exit_code == 0
    assert "Importing devices" not in result.output
    assert "%" not in result.output


def _environment(db_url: str, tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "WORKSHOP_DATABASE_URL": db_url,
        "WORKSHOP_SECRET_KEY": "x",
        "WORKSHOP_INSTANCE_PATH": str(tmp_path / "instance"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("WORKSHOP_USER", None)
    return env


def test_at_a_terminal_a_progress_bar_is_drawn(db_url, sessions, tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes([device(f"TTY{number}") for number in range(12)]))
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "workshop.cli", "import", "devices", str(path)],
        env=_environment(db_url, tmp_path),
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
    )
    os.close(terminal)
    seen = b""
    try:
        while True:
            ready, _, _ = selectors.select([controller], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)

    assert process.returncode == 0, seen
    assert b"Importing devices" in seen
    assert b"100%" in seen
    assert b"Imported 12 devices" in seen
    assert devices(sessions) == 12
