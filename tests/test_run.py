"""`python run.py` on a fresh machine: a real process, a real port, the embedded database.

These always run on SQLite in their own instance folder, whatever database the
rest of the suite uses: that is the embedded default run.py exists for.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from inventory.accounts import ROLES, User
from inventory.badges import badge_login
from inventory.db import make_engine, make_sessionmaker
from inventory.lifecycle import STAGES
from inventory.models import Device
from workshop import accounts
from workshop.cli import schema_revisions

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_env(instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a newcomer: no WORKSHOP_ settings but the instance folder."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("WORKSHOP_") and key != "PORT"
    }
    env["WORKSHOP_INSTANCE_PATH"] = str(instance)
    env.update(extra)
    return env


class Server:
    """A `python run.py` process, stopped like Ctrl+C stops it."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "run.py", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def get(self, port: int, path: str = "/") -> http.client.HTTPResponse:
        """Ask until the server answers (it migrates first), failing if it exits or never does."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                out, err = self.process.communicate()
                pytest.fail(f"run.py exited with {self.process.returncode}:\n{out}\n{err}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", path)
                return connection.getresponse()
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"run.py did not answer on port {port}")
                time.sleep(0.1)

    def stop(self) -> tuple[int, str, str]:
        """Stop it with SIGTERM, as a service manager does; returns status, stdout, stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            out, err = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        return self.process.returncode, out, err


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.communicate()


def test_a_fresh_machine_gets_a_migrated_database_a_secret_key_and_the_first_admin_page(
    tmp_path: Path, servers: list[Server]
):
    instance = tmp_path / "instance"
    port = free_port()
    server = Server("--port", str(port), env=clean_env(instance))
    servers.append(server)

    response = server.get(port)

    assert response.status == 302
    assert response.getheader("Location") == "/setup"
    assert (instance / "secret_key").read_text().strip()
    engine = make_engine(f"sqlite:///{instance / 'workshop.db'}")
    current, head = schema_revisions(engine)
    engine.dispose()
    assert current == head is not None

    status, out, err = server.stop()
    assert status == 0, err
    assert f"Workshop is running at http://127.0.0.1:{port}/" in out
    assert "Workshop stopped." in out
    assert "Traceback" not in err


def test_the_port_comes_from_the_environment_and_the_flag_wins(
    tmp_path: Path, servers: list[Server]
):
    from_env, from_flag = free_port(), free_port()
    by_env = Server(env=clean_env(tmp_path / "one", PORT=str(from_env)))
    both = Server("--port", str(from_flag), env=clean_env(tmp_path / "two", PORT="not-used"))
    servers.extend([by_env, both])

    assert by_env.get(from_env).status == 302
    assert both.get(from_flag).status == 302
    assert f"http://127.0.0.1:{from_env}/" in by_env.stop()[1]


def test_a_busy_port_is_one_clear_message_and_exit_status_3(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        done = subprocess.run(
            [sys.executable, "run.py", "--port", str(port)],
            cwd=ROOT,
            env=clean_env(tmp_path / "instance"),
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert done.returncode == 3
    assert f"Port {port} is already in use" in done.stderr
    assert "--port" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_port_that_is_not_a_number_is_refused(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "run.py"],
        cwd=ROOT,
        env=clean_env(tmp_path / "instance", PORT="eighty"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert "PORT='eighty'" in done.stderr


def test_the_demo_fills_an_empty_workshop_once_and_prints_passwords_that_work(
    tmp_path: Path, servers: list[Server]
):
    instance = tmp_path / "instance"
    port = free_port()
    first = Server("--demo", "--port", str(port), env=clean_env(instance))
    servers.append(first)

    # With users in the database, the first-administrator page is closed.
    assert first.get(port).getheader("Location") == "/login"
    status, out, err = first.stop()
    assert status == 0, err

    accounts_printed = re.findall(r"^  (\S+)\s+(\S+)\s+(demo-\S+)", out, re.MULTILINE)
    assert {role for _user, role, _password in accounts_printed} == set(ROLES)
    engine = make_engine(f"sqlite:///{instance / 'workshop.db'}")
    with make_sessionmaker(engine)() as session:
        stages = Counter(session.scalars(select(Device.stage)))
        assert set(stages) == set(STAGES), stages
        assert sum(stages.values()) == 300
        username, role, password = accounts_printed[0]
        user = accounts.authenticate(session, username, password)
        assert user is not None and user.role == role
        users = session.scalars(select(User.username)).all()
        assert sorted(users) == sorted(name for name, _role, _password in accounts_printed)
        # Every technician's printed badge and PIN open the workbench terminal.
        badges = re.findall(r"technician .* badge (\S+) PIN (\d+)", out)
        assert len(badges) == sum(role == "technician" for _u, role, _p in accounts_printed)
        for badge, pin in badges:
            assert badge_login(session, badge, pin).role == "technician"
    # How long it took is said, not judged here: timings belong to benchmarks.
    assert re.search(r"Demo workshop created in [\d.]+ s", out)

    again = Server("--demo", "--port", str(port), env=clean_env(instance))
    servers.append(again)
    assert again.get(port).status == 302
    status, out, err = again.stop()
    assert "leaves it alone" in out
    with make_sessionmaker(engine)() as session:
        assert len(session.scalars(select(Device.id)).all()) == 300
    engine.dispose()


def workers_of(pid: int) -> set[int]:
    """The live child processes of a process, from /proc."""
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # fields[0] is the state (Z: exited, not yet collected), fields[1] the parent.
            if int(fields[1]) == pid and fields[0] != "Z":
                children.add(int(entry.name))
    return children


def alive(pid: int) -> bool:
    """True while a process runs (an exited one nobody has collected yet counts as gone)."""
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the condition never came true")
        time.sleep(0.05)


def serving(processes: int, instance: Path, servers: list[Server]) -> tuple[Server, int]:
    """A run.py with this many worker processes, answering; (server, port)."""
    port = free_port()
    server = Server("--port", str(port), "--processes", str(processes), env=clean_env(instance))
    servers.append(server)
    assert server.get(port).status == 302
    if processes > 1:
        wait_for(lambda: len(workers_of(server.process.pid)) == processes)
    return server, port


def test_worker_processes_serve_and_one_killed_is_replaced(tmp_path: Path, servers: list[Server]):
    server, port = serving(2, tmp_path / "i", servers)
    first = workers_of(server.process.pid)

    killed = min(first)
    os.kill(killed, signal.SIGKILL)
    wait_for(lambda: len(workers_of(server.process.pid) - {killed}) == 2)

    for _ in range(10):
        assert server.get(port).status == 302
    status, out, err = server.stop()
    assert status == 0, err
    assert "starting another" in err
    assert "Workshop stopped." in out
    assert not any(alive(pid) for pid in first)


def test_one_process_serves_alone(tmp_path: Path, servers: list[Server]):
    server, _port = serving(1, tmp_path / "i", servers)
    assert workers_of(server.process.pid) == set()
    assert server.stop()[0] == 0


def test_workers_stop_when_the_server_is_killed_outright(tmp_path: Path, servers: list[Server]):
    server, _port = serving(2, tmp_path / "i", servers)
    orphans = workers_of(server.process.pid)

    server.process.kill()
    server.process.communicate()

    # Nobody would stop them otherwise, and they would keep the port.
    wait_for(lambda: not any(alive(pid) for pid in orphans), seconds=10)


def test_a_number_of_processes_that_is_not_a_number_is_refused(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "run.py", "--processes", "many"],
        cwd=ROOT,
        env=clean_env(tmp_path / "instance"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "is not a number of processes" in done.stderr
