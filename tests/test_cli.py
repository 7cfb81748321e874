"""The `workshop` command as an administrator and the warehouse's scripts use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from inventory.accounts import ApiToken, User
from inventory.checks import answer_every_check
from inventory.devices import get_device
from inventory.models import Device, Event, Lot
from tests.conftest import PASSWORD, pass_diagnostics
from workshop import accounts, create_app
from workshop.cli import cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def workshop(app: Flask) -> Callable[..., Result]:
    """Run `workshop ...` against the test database, as a shell would."""
    runner = app.test_cli_runner()

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input, env=env)

    return run


def count(sessions: sessionmaker[Session], model: Any) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_database_is_at_the_newest_revision_and_upgrading_again_changes_nothing(workshop):
    assert workshop("db", "current").stdout.strip().endswith("(head)")

    result = workshop("db", "upgrade")

    assert result.exit_code == 0, result.output
    assert workshop("db", "current").stdout.strip().endswith("(head)")


def test_downgrade_asks_first_and_upgrade_brings_the_tables_back(tmp_path: Path):
    # A private SQLite file: the shared test database must keep its tables.
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'own.db'}",
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    runner = app.test_cli_runner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0

    declined = runner.invoke(cli, ["db", "downgrade", "base"], input="n\n")
    assert declined.exit_code != 0
    assert runner.invoke(cli, ["db", "current"]).stdout.strip().endswith("(head)")

    gone = runner.invoke(cli, ["db", "downgrade", "base", "--yes"])
    assert gone.exit_code == 0, gone.output
    assert "empty database" in runner.invoke(cli, ["db", "current"]).stdout

    intake = runner.invoke(
        cli, ["intake", "SN1", "--category", "laptop", "--make", "D", "--model", "M"]
    )
    assert intake.exit_code == 4
    assert "workshop db upgrade" in intake.stderr
    assert "Traceback" not in intake.output

    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    app.extensions["workshop.engine"].dispose()


def test_an_administrator_adds_a_technician_whose_password_comes_from_a_script(workshop, sessions):
    result = workshop("users", "add", "Samir", "--role", "technician", "--name", "Samir H.",
                      input="a long enough password\n")  # fmt: skip

    assert result.exit_code == 0, result.output
    with sessions() as session:
        user = accounts.authenticate(session, "samir", "a long enough password")
        assert user is not None
        assert (user.role, user.name) == ("technician", "Samir H.")


@pytest.mark.parametrize(
    ("args", "password", "status", "says"),
    [
        (["--role", "boss"], "a long enough password\n", 2, "boss"),
        (["--role", "technician"], "short\n", 1, "at least 8 characters"),
        (["--role", "technician"], "", 1, "No password on standard input"),
    ],
    ids=["unknown role", "short password", "no password"],
)
def test_a_user_with_a_bad_role_or_password_is_refused_and_nothing_is_created(
    workshop, sessions, args, password, status, says
):
    result = workshop("users", "add", "lea", *args, input=password)

    assert result.exit_code == status
    assert says in result.stderr
    assert result.stdout == ""
    assert count(sessions, User) == 0


def test_a_username_already_taken_is_refused_before_asking_for_a_password(
    workshop, sessions, make_user
):
    make_user("warehouse", "karim")

    result = workshop("users", "add", "karim", "--role", "admin", input="another password\n")

    assert result.exit_code == 3
    assert "karim is taken" in result.stderr
    with sessions() as session:
        assert accounts.get_user(session, "karim").role == "warehouse"


def test_a_token_is_printed_alone_and_only_its_hash_is_kept(workshop, sessions, make_user):
    make_user("warehouse", "karim")

    result = workshop("tokens", "add", "karim")

    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    with sessions() as session:
        assert accounts.user_for_token(session, token).username == "karim"
        stored = session.scalars(select(ApiToken.token_hash)).all()
        assert stored == [accounts.hash_token(token)]


def test_a_token_for_nobody_is_refused(workshop, sessions):
    result = workshop("tokens", "add", "ghost")

    assert result.exit_code == 1
    assert "ghost" in result.stderr
    assert count(sessions, ApiToken) == 0


def test_a_lot_arrives_and_its_laptops_are_received_from_a_script(workshop, sessions, make_user):
    make_user("warehouse", "karim")
    opened = workshop("lots", "add", "L-2024-07", "--donor", "Mairie de Vienne",
                      "--date", "2024-07-02", "--reference", "Don 118", "--as", "karim")  # fmt: skip
    assert opened.exit_code == 0, opened.output

    tags = []
    for serial in ("5CG8251ABC", "5CG8251ABD", "5CG8251ABE"):
        result = workshop("intake", serial, "--category", "laptop", "--make", "HP",
                          "--model", "EliteBook 840 G5", "--lot", "L-2024-07",
                          "--weight-kg", "1,48", "--as", "karim")  # fmt: skip
        assert result.exit_code == 0, result.output
        tags.append(result.stdout.strip())
        assert result.stdout == tags[-1] + "\n"

    assert len(set(tags)) == 3
    with sessions() as session:
        lot = session.scalar(select(Lot).where(Lot.code == "L-2024-07"))
        assert (lot.donor, lot.reference, str(lot.received_on)) == (
            "Mairie de Vienne",
            "Don 118",
            "2024-07-02",
        )
        device = session.scalar(select(Device).where(Device.asset_tag == tags[0]))
        assert (device.stage, device.lot_id, str(device.weight_kg)) == ("received", lot.id, "1.480")
        intake = session.scalar(select(Event).where(Event.device_id == device.id))
        assert intake.entered_by.username == "karim"
        assert intake.payload["station"] == "cli"


def test_an_intake_without_a_user_is_marked_as_coming_from_the_terminal(workshop, sessions):
    result = workshop("intake", "R58M12345", "--category", "phone", "--make", "Samsung",
                      "--model", "Galaxy S9", env={"WORKSHOP_USER": ""})  # fmt: skip

    assert result.exit_code == 0, result.output
    with sessions() as session:
        event = session.scalar(select(Event).where(Event.kind == "intake"))
        assert event.entered_by_id is None
        assert event.payload["station"] == "cli"


def test_the_workshop_user_variable_names_who_enters_the_events(workshop, sessions, make_user):
    make_user("warehouse", "julie")

    result = workshop("intake", "PF1ABCDE", "--category", "laptop", "--make", "Lenovo",
                      "--model", "ThinkPad T480", env={"WORKSHOP_USER": "julie"})  # fmt: skip

    assert result.exit_code == 0, result.output
    with sessions() as session:
        assert session.scalar(select(Event).where(Event.kind == "intake")).entered_by.username == (
            "julie"
        )


def test_an_unknown_user_or_lot_is_refused_and_nothing_is_received(workshop, sessions):
    as_ghost = workshop("intake", "SN1", "--category", "laptop", "--make", "Dell",
                        "--model", "Latitude 5490", "--as", "ghost")  # fmt: skip
    no_lot = workshop("intake", "SN1", "--category", "laptop", "--make", "Dell",
                      "--model", "Latitude 5490", "--lot", "NOPE")  # fmt: skip

    assert (as_ghost.exit_code, no_lot.exit_code) == (1, 1)
    assert "ghost" in as_ghost.stderr
    assert "NOPE" in no_lot.stderr
    assert count(sessions, Device) == 0
    assert count(sessions, Event) == 0


def test_a_serial_scanned_twice_says_when_and_under_which_tag_and_creates_nothing(
    workshop, sessions
):
    args = (
        "intake",
        "7XK2M13",
        "--category",
        "laptop",
        "--make",
        "Dell",
        "--model",
        "Latitude 5490",
    )
    tag = workshop(*args).stdout.strip()

    again = workshop(*args)

    assert again.exit_code == 3
    assert again.stdout == ""
    assert tag in again.stderr
    assert "already received on 20" in again.stderr
    assert "Traceback" not in again.output
    assert count(sessions, Device) == 1
    assert count(sessions, Event) == 1


def test_a_recycled_laptop_given_again_starts_a_new_cycle_under_its_old_tag(workshop, sessions):
    args = (
        "intake",
        "7XK2M13",
        "--category",
        "laptop",
        "--make",
        "Dell",
        "--model",
        "Latitude 5490",
    )
    tag = workshop(*args).stdout.strip()
    refused = workshop("device", "move", tag, "recycled", "--note", "cracked case")
    assert refused.exit_code == 1
    assert "reason" in refused.stderr
    recycled = workshop(
        "device", "move", tag, "recycled", "--reason", "beyond_repair", "--weight-kg", "2.1"
    )
    assert recycled.exit_code == 0, recycled.stderr

    back = workshop(*args)

    assert back.exit_code == 0, back.output
    assert back.stdout == tag + "\n"
    assert "cycle 2" in back.stderr
    with sessions() as session:
        device = session.scalar(select(Device))
        assert (device.asset_tag, device.stage, device.cycle) == (tag, "received", 2)
    assert count(sessions, Event) == 3


def test_an_illegal_move_names_the_allowed_ones_and_changes_nothing(workshop, sessions):
    tag = workshop("intake", "SN1", "--category", "monitor", "--make", "iiyama",
                   "--model", "ProLite XU2492HSU").stdout.strip()  # fmt: skip

    result = workshop("device", "move", tag, "sold")

    assert result.exit_code == 1
    # Never a bare sale: it belongs to an order, recorded where prices are asked.
    assert "sold with a sale order" in result.stderr
    assert "triage, recycled" in result.stderr
    assert "Traceback" not in result.output
    with sessions() as session:
        assert session.scalar(select(Device.stage)) == "received"


def test_a_device_is_graded_and_moved_through_the_line_from_the_terminal(
    workshop, make_user, sessions
):
    lea = make_user("technician", "lea")
    tag = workshop("intake", "PF1ABCDE", "--category", "laptop", "--make", "Lenovo",
                   "--model", "ThinkPad T480", "--weight-kg", "1.58").stdout.strip()  # fmt: skip
    for stage in ("triage", "erasure", "diagnostics", "qc"):
        assert workshop("device", "move", tag, stage, "--as", "lea").exit_code == 0

    refused = workshop("device", "move", tag, "ready", "--as", "lea")
    graded = workshop("device", "grade", tag, "B", "--as", "lea")
    unchecked = workshop("device", "move", tag, "ready", "--as", "lea")
    # The checks are answered at the bench (work card or API), not from the terminal.
    with sessions() as session:
        answer_every_check(session, get_device(session, tag), entered_by=session.merge(lea))
        session.commit()
    untested = workshop("device", "move", tag, "ready", "--as", "lea")
    # And the benches' runs come from the bench (agent or `workshop bench run`).
    with sessions() as session:
        pass_diagnostics(session, get_device(session, tag), operator=session.merge(lea))
        session.commit()
    ready = workshop("device", "move", tag, "ready", "--as", "lea")

    assert refused.exit_code == 1
    assert "missing grade, answers to the checks (screen, keyboard," in refused.stderr
    assert unchecked.exit_code == 1
    assert "missing answers to the checks (screen, keyboard," in unchecked.stderr
    assert untested.exit_code == 1
    assert "missing a passing battery run, a passing disk-health run," in untested.stderr
    assert (graded.exit_code, ready.exit_code) == (0, 0)

    shown = workshop("device", "show", tag)
    assert shown.exit_code == 0, shown.output
    assert tag in shown.stdout
    assert "Lenovo ThinkPad T480 (laptop)" in shown.stdout
    assert "Stage:       ready" in shown.stdout
    assert "Grade:       B" in shown.stdout
    assert "1.58 kg" in shown.stdout
    assert "PF1ABCDE" in shown.stdout
    assert "qc -> ready  by lea" in shown.stdout
    # One history line per event: 8, and the 3 runs (each started and ended) and 1 erasure.
    assert shown.stdout.count("\n  20") == 15
    assert "checks  by lea" in shown.stdout


def test_device_show_json_is_what_the_api_returns(workshop, make_user, client):
    make_user("manager", "nadia")
    token = workshop("tokens", "add", "nadia").stdout.strip()
    workshop("lots", "add", "L-7", "--donor", "Lycée Marie Curie")
    tag = workshop("intake", "CZC8123XYZ", "--category", "desktop", "--make", "HP",
                   "--model", "EliteDesk 800 G4 SFF", "--lot", "L-7",
                   "--weight-kg", "5.4").stdout.strip()  # fmt: skip
    workshop("device", "move", tag, "triage", "--as", "nadia", "--note", "dusty")

    shown = workshop("device", "show", tag, "--json")

    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert set(data) == {
        "asset_tag", "serial_number", "identifiers", "category", "make", "model", "specs",
        "weight_kg", "lot", "location", "stage", "stage_entered_at", "grade", "cycle",
        "received_at", "allowed_moves", "assigned_to", "events", "diagnostics", "erasures",
    }  # fmt: skip
    assert (data["serial_number"], data["weight_kg"], data["lot"]) == ("CZC8123XYZ", 5.4, "L-7")
    assert data["allowed_moves"] == ["erasure", "recycled"]
    moved = data["events"][-1]
    assert (moved["from_stage"], moved["to_stage"], moved["entered_by"]) == (
        "received",
        "triage",
        "nadia",
    )
    assert moved["payload"] == {"note": "dusty", "station": "cli"}

    api = client.get(f"/api/v1/devices/{tag}", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    assert api.get_json() == data


def test_an_unknown_tag_is_one_clear_line(workshop):
    result = workshop("device", "show", "A0000099X")

    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: No device has the asset tag A0000099X."


def test_an_unreachable_database_is_one_clear_line_not_a_traceback(tmp_path: Path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'w.db'}",
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    runner = app.test_cli_runner()

    for args in (["db", "upgrade"], ["device", "show", "A0000001O"], ["users", "list"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 4, result.output
        assert result.stderr.startswith("Error: Cannot reach the database at sqlite:///")
        assert len(result.stderr.strip().splitlines()) == 1


def test_the_command_is_configured_by_the_environment(db_url: str, sessions, tmp_path: Path):
    env = {
        **os.environ,
        "WORKSHOP_DATABASE_URL": db_url,
        "WORKSHOP_SECRET_KEY": "from-the-environment",
        "WORKSHOP_INSTANCE_PATH": str(tmp_path / "instance"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("WORKSHOP_USER", None)
    args = ["intake", "FOC2125X1AB", "--category", "network", "--make", "Cisco",
            "--model", "Catalyst 2960X-24TS-L"]  # fmt: skip

    done = subprocess.run(
        [sys.executable, "-m", "workshop.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    with sessions() as session:
        assert session.scalar(select(Device.asset_tag)) == done.stdout.strip()
    # The secret key came from the environment, so none was written to the instance folder.
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_a_user_added_on_the_terminal_logs_in_on_the_web(workshop, client):
    from tests.conftest import login

    assert workshop("users", "add", "claire", "--role", "hr", input=PASSWORD + "\n").exit_code == 0

    assert login(client, "claire").headers["Location"] == "/"


def test_at_a_terminal_the_password_is_asked_twice_and_not_shown(
    db_url: str, sessions, tmp_path: Path
):
    env = {
        **os.environ,
        "WORKSHOP_DATABASE_URL": db_url,
        "WORKSHOP_SECRET_KEY": "x",
        "WORKSHOP_INSTANCE_PATH": str(tmp_path / "instance"),
        "PYTHONPATH": str(ROOT),
    }
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "workshop.cli", "users", "add", "ines", "--role", "technician"],
        env=env,
        stdin=terminal,
        stderr=terminal,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    os.close(terminal)
    seen = b""

    def read_until(text: bytes) -> None:
        nonlocal seen
        while text not in seen:
            seen += os.read(controller, 1024)

    try:
        read_until(b"Password: ")
        os.write(controller, b"typed at the bench\n")
        read_until(b"Repeat for confirmation: ")
        os.write(controller, b"typed at the bench\n")
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)

    assert process.returncode == 0
    assert out == b"Added ines (technician).\n"
    assert b"typed at the bench" not in seen
    with sessions() as session:
        assert accounts.authenticate(session, "ines", "typed at the bench") is not None
