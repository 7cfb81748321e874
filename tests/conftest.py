"""Fixtures: a real database per test (SQLite file, or PostgreSQL when asked), the app, users."""

from __future__ import annotations

import functools
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.security import generate_password_hash

from diagnostics import records
from diagnostics.results import BenchIdentity, Erasure, Measurement, RunResult
from inventory import badges
from inventory.accounts import User
from inventory.checks import DEFAULT_CHECKLISTS, answer_every_check, seed_default_checklists
from inventory.db import Base, make_engine, make_sessionmaker
from inventory.devices import get_device
from inventory.models import Device
from inventory.stages import move_to_stage, set_grade
from inventory.types import utcnow
from workshop import accounts, create_app
from workshop.migrate import upgrade


def _worker_database_url(url: str) -> str:
    """Under pytest-xdist each worker gets a database of its own, named after the given one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


TEST_DATABASE_URL = _worker_database_url(os.environ.get("WORKSHOP_TEST_DATABASE_URL", ""))
PASSWORD = "correct horse battery"


# The longest tests, started first: at the end of the run every worker then finishes on
# short ones, instead of one worker running a long test alone while the others wait.
SLOW_FIRST = (
    "tests/e2e/",
    "tests/test_demo.py",
    "tests/test_run.py",
    "tests/test_staff_import.py",
    "tests/test_bench_agent.py",
    "tests/test_bench_cli.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(SLOW_FIRST))


def pytest_report_header() -> str:
    return f"workshop database: {TEST_DATABASE_URL or 'SQLite file per test'}"


def _create_worker_database() -> None:
    """Create this worker's database on the server the suite was given, if it is not there yet."""
    if os.environ.get("WORKSHOP_TEST_DATABASE_URL") == TEST_DATABASE_URL:
        return
    name = make_url(TEST_DATABASE_URL).database
    server = make_engine(os.environ["WORKSHOP_TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()


@pytest.fixture(scope="session", autouse=True)
def _worker_database() -> None:
    """Every test, even one that only makes schemas of its own, finds its worker's database."""
    if TEST_DATABASE_URL:
        _create_worker_database()


@pytest.fixture(scope="session")
def _template_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per run; each test then starts from a copy or a truncation of it."""
    if TEST_DATABASE_URL:
        engine = make_engine(TEST_DATABASE_URL)
        # Fails loudly when the server is unreachable: the suite never skips it.
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        upgrade(engine)
        engine.dispose()
        return TEST_DATABASE_URL
    path = tmp_path_factory.mktemp("template") / "workshop.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return str(path)


# The production hash (scrypt) takes 0.1 s to make and as long to check: at every user a
# test makes and every login, it was a third of the suite's time. Tests hash with a cheap
# PBKDF2 instead; the tests marked `real_password_hashing` keep the production one.
QUICK_HASH = functools.partial(generate_password_hash, method="pbkdf2:sha256:1000")


@pytest.fixture(autouse=True)
def _quick_password_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("real_password_hashing") is None:
        monkeypatch.setattr(accounts, "generate_password_hash", QUICK_HASH)
        monkeypatch.setattr(badges, "generate_password_hash", QUICK_HASH)


@pytest.fixture
def db_url(_template_database: str, tmp_path: Path) -> str:
    """A migrated, empty database for this test."""
    if TEST_DATABASE_URL:
        engine = make_engine(TEST_DATABASE_URL)
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            # TRUNCATE is not a row DELETE, so the events trigger lets it through.
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            connection.execute(text("INSERT INTO counters (name, value) VALUES ('asset_tag', 0)"))
            connection.execute(
                text("INSERT INTO counters (name, value) VALUES ('location_code', 0)")
            )
            connection.execute(text("INSERT INTO counters (name, value) VALUES ('staff_badge', 0)"))
        # The migrations seed the default checklists; TRUNCATE emptied them with the rest.
        with make_sessionmaker(engine)() as session:
            seed_default_checklists(session)
            session.commit()
        engine.dispose()
        return TEST_DATABASE_URL
    path = tmp_path / "workshop.db"
    shutil.copyfile(_template_database, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session for service tests; the test commits when it wants others to see."""
    with sessions() as session:
        yield session


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": db_url,
            "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "WORKSHOP_NAME": "Atelier Test",
        }
    )
    yield app
    app.extensions["workshop.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(sessions: sessionmaker[Session]) -> Callable[..., User]:
    """Create a committed user with a role; the password is PASSWORD."""

    def make(role: str, username: str | None = None, name: str = "") -> User:
        with sessions() as session:
            user = accounts.create_user(session, username or role, role, PASSWORD, name)
            session.commit()
            return user

    return make


@pytest.fixture
def make_token(sessions: sessionmaker[Session]) -> Callable[[User], str]:
    """Issue an API token for a user."""

    def make(user: User) -> str:
        with sessions() as session:
            token = accounts.issue_token(session, session.merge(user), "tests")
            session.commit()
            return token

    return make


CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client: FlaskClient, page: str = "/login") -> str:
    """The CSRF token of the client's session, read from a page's form."""
    html = client.get(page, follow_redirects=True).get_data(as_text=True)
    match = CSRF.search(html)
    assert match, f"no CSRF token on {page}"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    """Log the client in through the real login form."""
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


@pytest.fixture
def logged_in(client: FlaskClient, make_user: Callable[..., User]) -> Callable[[str], User]:
    """Create a user with a role and log the test client in as them."""

    def as_role(role: str, username: str | None = None) -> User:
        user = make_user(role, username)
        login(client, user.username)
        return user

    return as_role


@pytest.fixture
def bearer(
    make_user: Callable[..., User], make_token: Callable[[User], str]
) -> Callable[..., dict[str, str]]:
    """API headers for a new user with a role: {"Authorization": "Bearer <token>"}."""

    def headers_for(role: str, username: str | None = None) -> dict[str, str]:
        token = make_token(make_user(role, username))
        return {"Authorization": f"Bearer {token}"}

    return headers_for


def enter_ready(
    session: Session,
    device: Device,
    *,
    grade: str = "A",
    entered_by: User | None = None,
    occurred_at: datetime | None = None,
) -> Device:
    """Do what `ready` asks of a device in qc (a grade, every check passed), then move it there."""
    set_grade(session, device, grade, entered_by=entered_by)
    answer_every_check(session, device, entered_by=entered_by, occurred_at=occurred_at)
    pass_diagnostics(session, device, operator=entered_by, occurred_at=occurred_at)
    return move_to_stage(session, device, "ready", entered_by=entered_by, occurred_at=occurred_at)


# The bench each script runs on (diagnostics/scripts.py has the same).
BENCH_MODELS = {
    "battery": "BATT-100",
    "psu": "PSU-200",
    "disk-health": "DISK-300",
    "erasure": "DISK-300",
}


def passing_result(
    script: str, *, drive_serial: str = "WX41A12B3456", at: datetime | None = None
) -> RunResult:
    """What a bench run that passed returns: one measurement, and a drive erased for `erasure`."""
    ended = at or utcnow()
    started = ended - timedelta(minutes=5)
    found = [
        Measurement("check", f"{script}_ok", 1.0, "", 1.0, None, True, "pass"),
    ]
    drives = []
    if script == "erasure":
        drives.append(
            Erasure(
                "WDC WD5000LPLX",
                drive_serial,
                500_107_862_016,
                "HDD",
                "OVERWRITE",
                "Clear",
                True,
                "PASS,4096",
                started,
                ended,
            )
        )
    return RunResult(
        script=script,
        outcome="pass",
        code="",
        message="",
        started_at=started,
        ended_at=ended,
        bench=BenchIdentity("ACME Bench", BENCH_MODELS[script], "B-0001", "1.0.0"),
        measurements=found,
        erasures=drives,
    )


def pass_diagnostics(
    session: Session,
    device: Device,
    *,
    operator: User | None = None,
    occurred_at: datetime | None = None,
) -> list[Any]:
    """Record a passing run of every script `ready` asks of the device's category (and so an
    erasure of its drive), as if the benches had run them."""
    return [
        records.record_run(
            session,
            device,
            passing_result(script, at=occurred_at),
            operator=operator,
            station="tests",
        )
        for script in records.required_scripts(device.category)
    ]


def pass_diagnostics_in_app(app: Flask, asset_tag: str) -> None:
    """Record passing bench runs for a device of a running app, in a session of its own."""
    with make_sessionmaker(app.extensions["workshop.engine"])() as session:
        pass_diagnostics(session, get_device(session, asset_tag))
        session.commit()


def result_json(result: RunResult) -> dict[str, Any]:
    """A RunResult as a bench agent posts it to the API."""
    body = asdict(result)
    body.pop("transcript")
    body.pop("steps")
    if result.bench is None:
        body.pop("bench")
    for erasure in body["erasures"]:
        for name in ("started_at", "ended_at"):
            erasure[name] = erasure[name].isoformat()
    for name in ("started_at", "ended_at"):
        body[name] = body[name].isoformat()
    return body


def record_diagnostics_by_api(
    client: FlaskClient, headers: dict[str, str], asset_tag: str, category: str = "laptop"
) -> None:
    """Post a passing run of every script `ready` asks of the category, as a bench agent would."""
    for script in records.required_scripts(category):
        response = client.post(
            f"/api/v1/devices/{asset_tag}/diagnostics",
            json=result_json(passing_result(script)),
            headers=headers,
        )
        assert response.status_code == 201, response.get_json()


def check_codes(category: str = "laptop") -> list[str]:
    """The codes of a category's default checklist, in order."""
    return [code for code, _en, _fr in DEFAULT_CHECKLISTS[category]]


def answer_checks_by_api(
    client: FlaskClient,
    headers: dict[str, str],
    asset_tag: str,
    result: str = "pass",
    category: str = "laptop",
    *,
    diagnostics: bool = True,
) -> Any:
    """Answer every check of a device through the API, as a technician's tablet would; with
    `diagnostics`, the benches' passing runs are recorded too (what else `ready` asks)."""
    body = {"results": dict.fromkeys(check_codes(category), result)}
    response = client.post(f"/api/v1/devices/{asset_tag}/checks", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    if diagnostics:
        record_diagnostics_by_api(client, headers, asset_tag, category)
    return response


def answer_checks_on_page(
    client: FlaskClient,
    asset_tag: str,
    result: str = "pass",
    category: str = "laptop",
    *,
    diagnostics: bool = True,
) -> Any:
    """Answer every check of a device on its checklist page, as the logged-in client; with
    `diagnostics`, the benches' passing runs are recorded too (what else `ready` asks)."""
    page = f"/devices/{asset_tag}/checks"
    form = {f"result-{code}": result for code in check_codes(category)}
    form["csrf_token"] = csrf_token(client, page)
    response = client.post(page, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    if diagnostics:
        pass_diagnostics_in_app(client.application, asset_tag)
    return response


# -- bench simulators (tests/bench_simulator.py) ------------------------------------------------

# Long operations run this much faster than on a real bench: a capacity test in about 0.5 s.
BENCH_SPEED = 20_000


@pytest.fixture
def bench_simulator() -> Iterator[Callable[..., Any]]:
    """Start simulated benches on real ptys: make(model, **faults); all closed after the test."""
    from tests.bench_simulator import BenchSimulator

    started: list[BenchSimulator] = []

    def make(model: str = "BATT-100", **faults: Any) -> BenchSimulator:
        faults.setdefault("speed", BENCH_SPEED)
        bench = BenchSimulator(model, **faults)
        started.append(bench)
        return bench

    yield make
    for bench in started:
        bench.close()


@pytest.fixture
def battery_bench(bench_simulator: Callable[..., Any]) -> Any:
    """A healthy BATT-100 with a good battery on a real pty (`.url`; `.set(...)` for faults)."""
    return bench_simulator("BATT-100")


@pytest.fixture
def psu_bench(bench_simulator: Callable[..., Any]) -> Any:
    """A healthy PSU-200 with a good supply on a real pty."""
    return bench_simulator("PSU-200")


@pytest.fixture
def disk_bench(bench_simulator: Callable[..., Any]) -> Any:
    """A DISK-300 holding a healthy HDD on a real pty."""
    return bench_simulator("DISK-300")
