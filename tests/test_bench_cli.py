"""`workshop bench identify|run` at a workbench: simulated benches on real ptys, a real database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from diagnostics import records
from inventory.intake import receive_device
from inventory.models import DiagnosticRun, ErasureRecord, Event
from workshop.cli import cli

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"outcome", "code", "message", "bench", "measurements", "started_at", "ended_at"}
MEASUREMENT_KEYS = {"name", "value", "unit", "low", "high", "outcome"}


@pytest.fixture
def workshop(app: Flask) -> Callable[..., Result]:
    """Run `workshop ...` against the test database, as a shell would."""
    runner = app.test_cli_runner()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(cli, list(args), env=env)

    return run


@pytest.fixture
def laptop(sessions: sessionmaker[Session]) -> str:
    """A laptop just received; its asset tag."""
    with sessions() as session:
        intake = receive_device(
            session,
            serial_number="PF1X2Y3Z",
            category="laptop",
            make="Lenovo",
            model="ThinkPad T480",
            entered_by=None,
        )
        session.commit()
        return intake.device.asset_tag


def test_identify_prints_who_the_bench_is(workshop, battery_bench):
    result = workshop("bench", "identify", "--port", battery_bench.url)

    assert result.exit_code == 0, result.output
    assert result.stdout == "ACME Bench BATT-100, serial B100-0042, firmware 1.4.2\n"
    assert battery_bench.commands == ["*IDN?"]

    as_json = workshop("bench", "identify", "--port", battery_bench.url, "--json")
    assert json.loads(as_json.stdout) == {
        "maker": "ACME Bench",
        "model": "BATT-100",
        "serial": "B100-0042",
        "firmware": "1.4.2",
    }


def test_identify_on_a_port_that_is_not_there_says_so(workshop, tmp_path: Path):
    result = workshop("bench", "identify", "--port", str(tmp_path / "ttyUSB9"))

    assert result.exit_code == 2
    assert "cannot be opened" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_good_battery_passes_with_one_json_object(workshop, battery_bench):
    result = workshop("bench", "run", "--port", battery_bench.url, "--script", "battery", "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == KEYS
    assert (data["outcome"], data["code"]) == ("pass", "")
    assert data["bench"] == {
        "maker": "ACME Bench",
        "model": "BATT-100",
        "serial": "B100-0042",
        "firmware": "1.4.2",
    }
    assert all(set(item) == MEASUREMENT_KEYS for item in data["measurements"])
    health = next(item for item in data["measurements"] if item["name"] == "health")
    assert health == {
        "name": "health",
        "value": 90.0,
        "unit": "%",
        "low": 70.0,
        "high": None,
        "outcome": "pass",
    }
    assert data["started_at"] <= data["ended_at"]


def test_a_worn_battery_fails_with_exit_status_1(workshop, bench_simulator):
    bench = bench_simulator("BATT-100", battery="worn")

    result = workshop("bench", "run", "--port", bench.url, "--script", "battery", "--json")

    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert (data["outcome"], data["code"]) == ("fail", "out_of_limits")
    failed = {item["name"] for item in data["measurements"] if item["outcome"] == "fail"}
    assert failed == {"health", "internal_resistance"}


def test_the_wrong_bench_is_an_error_with_exit_status_2(workshop, psu_bench):
    result = workshop("bench", "run", "--port", psu_bench.url, "--script", "battery", "--json")

    assert result.exit_code == 2, result.output
    data = json.loads(result.stdout)
    assert (data["outcome"], data["code"], data["bench"]) == ("error", "wrong_bench", None)
    assert "PSU-200" in data["message"] and "BATT-100" in data["message"]
    assert psu_bench.commands == ["*IDN?"]  # nothing was switched on


def test_the_readable_summary_has_one_measurement_per_line(workshop, disk_bench):
    result = workshop("bench", "run", "--port", disk_bench.url, "--script", "disk-health")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "disk-health on ACME Bench DISK-300 (serial D300-0113): PASS"
    pending = next(line for line in lines if line.strip().startswith("pending_sectors"))
    assert pending.split() == ["pending_sectors", "0", "sectors", "<=", "0", "pass"]
    assert any(line.split()[:3] == ["wear", "-", "%"] for line in lines)


def test_a_silent_bench_ends_the_command_within_15_seconds(db_url: str, bench_simulator, tmp_path):
    bench = bench_simulator("PSU-200", silent=True)
    env = {
        **os.environ,
        "WORKSHOP_DATABASE_URL": db_url,
        "WORKSHOP_SECRET_KEY": "x",
        "WORKSHOP_INSTANCE_PATH": str(tmp_path / "instance"),
        "PYTHONPATH": str(ROOT),
    }
    started = time.monotonic()

    done = subprocess.run(
        [sys.executable, "-m", "workshop.cli", "bench", "run", "--port", bench.url,
         "--script", "psu", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=15,
    )  # fmt: skip

    assert time.monotonic() - started < 15
    assert done.returncode == 2, done.stderr
    data = json.loads(done.stdout)
    assert (data["outcome"], data["code"]) == ("timeout", "no_answer")


def test_a_run_on_a_device_is_stored_with_the_limits_it_applied(
    workshop, sessions, laptop, battery_bench, make_user
):
    make_user("technician", "ines")
    with sessions() as session:
        records.set_limits(
            session, "laptop", "battery", "health", low=95, high=None, entered_by=None
        )
        session.commit()

    result = workshop(
        "bench", "run", "--port", battery_bench.url, "--script", "battery",
        "--device", laptop.lower(), "--operator", "ines", "--json",
    )  # fmt: skip

    # The administrator asks 95 % of laptops: this battery's 90 % is not enough.
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    health = next(item for item in data["measurements"] if item["name"] == "health")
    assert (health["low"], health["outcome"]) == (95.0, "fail")
    assert f"Stored on {laptop} as run" in result.stderr
    with sessions() as session:
        run = session.scalar(select(DiagnosticRun))
        assert run is not None
        assert (run.outcome, run.script, run.ended_at is not None) == ("fail", "battery", True)
        assert run.operator.username == "ines"
        assert run.station == "cli"
        assert run.bench_serial == "B100-0042"
        assert run.limits["health"] == {"low": 95.0, "high": None}
        assert run.limits["temperature"] == {"low": None, "high": 45.0}
        stored = {item.name: item for item in run.measurements}
        assert stored["health"].value == 90.0 and stored["health"].outcome == "fail"
        assert "BATT:TEST:STAT?" in run.transcript
        kinds = [event.kind for event in session.scalars(select(Event).order_by(Event.id))]
        assert kinds[-2:] == ["diagnostic_started", "diagnostic_run"]


def test_an_erasure_on_a_device_leaves_an_erasure_record(workshop, sessions, laptop, disk_bench):
    result = workshop(
        "bench", "run", "--port", disk_bench.url, "--script", "erasure", "--device", laptop
    )

    assert result.exit_code == 0, result.output
    assert "Erased HDD" in result.stdout and "NIST SP 800-88 Clear, verified" in result.stdout
    with sessions() as session:
        record = session.scalar(select(ErasureRecord))
        assert record is not None
        assert (record.drive_serial, record.method, record.nist_category) == (
            "WX41A12B3C4D",
            "OVERWRITE",
            "Clear",
        )
        assert record.verified and not record.manual


def test_a_run_that_ends_in_error_is_stored_too(workshop, sessions, laptop, bench_simulator):
    bench = bench_simulator("BATT-100", battery=None)

    result = workshop(
        "bench", "run", "--port", bench.url, "--script", "battery", "--device", laptop
    )

    assert result.exit_code == 2, result.output
    with sessions() as session:
        run = session.scalar(select(DiagnosticRun))
        assert run is not None
        assert (run.outcome, run.code) == ("error", "no_battery")


def test_an_unknown_device_is_refused_before_the_bench_hears_anything(workshop, battery_bench):
    result = workshop(
        "bench", "run", "--port", battery_bench.url, "--script", "battery", "--device", "A9999999X"
    )

    assert result.exit_code == 1
    assert result.stderr == "Error: No device has the asset tag A9999999X.\n"
    assert battery_bench.commands == []


def test_an_unknown_operator_is_refused_before_the_bench_hears_anything(
    workshop, laptop, battery_bench
):
    result = workshop(
        "bench", "run", "--port", battery_bench.url, "--script", "battery",
        "--device", laptop, "--operator", "nobody",
    )  # fmt: skip

    assert result.exit_code == 1
    assert "nobody" in result.stderr
    assert battery_bench.commands == []


def test_an_unknown_script_is_wrong_usage(workshop, battery_bench):
    result = workshop("bench", "run", "--port", battery_bench.url, "--script", "ram")

    assert result.exit_code == 2
    assert "ram" in result.stderr


def _environment(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "WORKSHOP_DATABASE_URL": db_url,
        "WORKSHOP_SECRET_KEY": "x",
        "WORKSHOP_INSTANCE_PATH": str(tmp_path / "instance"),
        "PYTHONPATH": str(ROOT),
    }


def _start_run(db_url: str, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "workshop.cli", "bench", "run", *args],
        env=_environment(db_url, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.05)


def test_ctrl_c_stops_the_capacity_test_and_the_run_ends_aborted(
    db_url: str, sessions, laptop, bench_simulator, tmp_path: Path
):
    bench = bench_simulator("BATT-100", speed=1)
    process = _start_run(
        db_url, tmp_path, "--port", bench.url, "--script", "battery", "--device", laptop, "--json"
    )
    try:
        _wait_for(lambda: bench.count("BATT:TEST:STAT?") >= 1)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()

    assert process.returncode == 2, err
    assert json.loads(out)["outcome"] == "aborted"
    assert "BATT:TEST:ABORT" in bench.commands
    with sessions() as session:
        run = session.scalar(select(DiagnosticRun))
        assert run is not None
        assert (run.outcome, run.code, run.ended_at is not None) == ("aborted", "aborted", True)


def test_a_killed_run_leaves_an_aborted_run_behind(
    db_url: str, sessions, laptop, bench_simulator, tmp_path: Path
):
    bench = bench_simulator("BATT-100", speed=1)
    process = _start_run(
        db_url, tmp_path, "--port", bench.url, "--script", "battery", "--device", laptop
    )
    try:
        _wait_for(lambda: bench.count("BATT:TEST:STAT?") >= 1)
        process.kill()
        process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()

    with sessions() as session:
        run = session.scalar(select(DiagnosticRun))
        assert run is not None
        assert (run.outcome, run.ended_at, run.script) == ("aborted", None, "battery")
