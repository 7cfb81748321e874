"""A fixed-mount scanner on the dock: codes arrive on a serial line, one per line, and every one
lands in the scan log under the station's name, even when the cable is pulled out and back.

The scanner is a real pseudo-terminal. Its port is a link to the pty's slave side, as udev
names a USB scanner under /dev/serial/by-id: unplugging closes the pty and removes the link,
plugging it back makes a new pty behind the same name.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import tty
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from inventory.accounts import User
from inventory.codes import asset_tag
from inventory.intake import receive_device
from inventory.locations import create_location
from inventory.models import Device, Scan
from workshop.cli import cli
from workshop.scanner import MAX_LINE, Listener

ROOT = Path(__file__).resolve().parent.parent
WAIT = 10.0


def wait_for(condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """Poll until `condition` holds; fail naming `what` when it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"gave up waiting for {what}")


class Scanner:
    """A serial scanner on a pty, reachable at a stable path while it is plugged in."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.master = -1
        self.slave = -1
        self.plug()

    def plug(self) -> None:
        self.master, self.slave = os.openpty()
        # Raw from the start: the line discipline must not turn CR into LF nor echo.
        tty.setraw(self.slave)
        os.symlink(os.ttyname(self.slave), self.path)

    def unplug(self) -> None:
        self.path.unlink()
        os.close(self.master)
        os.close(self.slave)
        self.master = self.slave = -1

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        if self.master >= 0:
            self.unplug()


@pytest.fixture
def scanner(tmp_path: Path) -> Iterator[Scanner]:
    device = Scanner(tmp_path / "scanner-dock")
    yield device
    device.close()


@pytest.fixture
def karim(make_user) -> User:
    return make_user("warehouse", "karim")


@pytest.fixture
def devices(sessions: sessionmaker[Session]) -> dict[str, Device]:
    """Two laptops already received: one found by its tag, one by its serial."""
    with sessions() as session:
        first = receive_device(session, serial_number="5CG8251ABC", category="laptop",
                               make="HP", model="EliteBook 840 G5", entered_by=None).device  # fmt: skip
        second = receive_device(session, serial_number="PF1Q2W3E", category="laptop",
                                make="Lenovo", model="ThinkPad T480", entered_by=None).device  # fmt: skip
        session.commit()
        return {"tag": first, "serial": second}


class Running:
    """A listener in a thread, with what it printed for the terminal and for trouble."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self.said: list[str] = []
        self.warned: list[str] = []
        listener.say = self.said.append
        listener.warn = self.warned.append
        self.thread = threading.Thread(target=listener.run, daemon=True)

    def warned_about(self, words: str) -> bool:
        return any(words in line for line in self.warned)

    def stop(self) -> None:
        self.listener.stop.set()
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "the listener did not stop"


@pytest.fixture
def listen(sessions, scanner: Scanner, karim: User) -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def start(factory: Callable[[], Session] = sessions) -> Running:
        running = Running(
            Listener(str(scanner.path), "dock-2", factory, user_id=karim.id, retry_seconds=0.05)  # type: ignore[arg-type]
        )
        running.thread.start()
        started.append(running)
        wait_for(lambda: running.said, "the scanner to be opened")
        return running

    yield start
    for running in started:
        running.stop()


def logged(sessions: sessionmaker[Session]) -> list[Scan]:
    with sessions() as session:
        return list(session.scalars(select(Scan).order_by(Scan.id)))


def wait_for_scans(sessions: sessionmaker[Session], count: int) -> list[Scan]:
    return wait_for(
        lambda: (scans := logged(sessions)) and len(scans) >= count and scans,
        f"{count} scans in the log",
    )


def test_every_code_the_dock_scanner_reads_is_logged_under_its_station(
    listen, scanner, sessions, devices, karim
):
    tagged, by_serial = devices["tag"], devices["serial"]
    misread = tagged.asset_tag[:-1] + ("X" if tagged.asset_tag[-1] != "X" else "Y")
    running = listen()

    # The scanners on the dock end lines with CR LF, an old one with CR alone,
    # and a code can arrive in pieces.
    scanner.send(tagged.asset_tag.encode() + b"\r\n")
    scanner.send(b"pf1q2")
    scanner.send(b"w3e\r")
    scanner.send(b"\r\n \t\n")
    scanner.send(b"NOT-OURS-42\n" + misread.encode() + b"\r\n")
    scanner.send(b"\x1b[2J\xff\xfe\x00oops\r\n")
    scans = wait_for_scans(sessions, 5)

    assert [(scan.code, scan.outcome) for scan in scans] == [
        (tagged.asset_tag, "device"),
        ("PF1Q2W3E", "device"),
        ("NOT-OURS-42", "unknown"),
        (misread, "misread"),
        ("\\X1B[2J\\XFF\\XFE\\X00OOPS", "invalid"),
    ]
    assert {scan.station for scan in scans} == {"dock-2"}
    assert {scan.user_id for scan in scans} == {karim.id}
    assert [scan.device_id for scan in scans[:2]] == [tagged.id, by_serial.id]
    # The supervisor's terminal names what each code was.
    wait_for(lambda: len(running.said) >= 6, "a line per scan")
    lines = running.said[1:]
    assert f"device {tagged.asset_tag}, stage received" in lines[0]
    assert f"device {by_serial.asset_tag} (by its serial), stage received" in lines[1]
    assert "unknown" in lines[2] and "NOT-OURS-42" in lines[2]
    assert "misread" in lines[3]
    assert "invalid" in lines[4]
    assert running.warned == []


def test_a_shelf_label_and_a_tag_never_issued_are_told_apart_from_unknown_serials(
    listen, scanner, sessions, devices
):
    with sessions() as session:
        shelf = create_location(session, "Shelf A3", "shelf", entered_by=None)
        session.commit()
    running = listen()

    scanner.send(shelf.code.encode() + b"\r\n" + asset_tag(999).encode() + b"\r\n")

    assert [(s.code, s.outcome) for s in wait_for_scans(sessions, 2)] == [
        (shelf.code, "location"),
        (asset_tag(999), "unknown_tag"),
    ]
    wait_for(lambda: len(running.said) >= 3, "a line per scan")
    assert f"location {shelf.code} (Shelf A3)" in running.said[1]


def test_a_runaway_line_is_cut_reported_and_the_next_code_still_read(
    listen, scanner, sessions, devices
):
    running = listen()

    scanner.send(b"7" * (MAX_LINE * 3) + b"\r\n" + devices["tag"].asset_tag.encode() + b"\r\n")

    scans = wait_for_scans(sessions, 2)
    assert [(len(scan.code), scan.outcome) for scan in scans] == [
        (MAX_LINE, "invalid"),
        (len(devices["tag"].asset_tag), "device"),
    ]
    assert running.warned_about(f"longer than {MAX_LINE} characters was cut")


def test_a_pulled_cable_is_reported_once_and_scanning_goes_on_when_it_is_back(
    listen, scanner, sessions, devices
):
    running = listen()
    scanner.send(b"BEFORE-1\r\n")
    wait_for_scans(sessions, 1)

    scanner.unplug()
    wait_for(lambda: running.warned_about("disconnected; waiting"), "the unplugging to be told")
    # Left unplugged through many retries, it is still told only once.
    time.sleep(0.3)
    assert len(running.warned) == 1
    assert running.warned[0].startswith(
        f"scanner on {scanner.path} disconnected; waiting for it to come back"
    )
    scanner.plug()
    wait_for(lambda: running.warned_about("is back"), "the scanner to be back")
    wait_for(lambda: running.said[-1].startswith("listening on"), "listening again")
    scanner.send(devices["tag"].asset_tag.encode() + b"\r\n")

    scans = wait_for_scans(sessions, 2)
    assert [(scan.code, scan.outcome, scan.station) for scan in scans] == [
        ("BEFORE-1", "unknown", "dock-2"),
        (devices["tag"].asset_tag, "device", "dock-2"),
    ]


def test_a_scan_the_database_refuses_is_reported_lost_and_the_next_ones_are_logged(
    listen, scanner, sessions, devices
):
    broken = sessionmaker(bind=create_engine("sqlite:////no/such/folder/workshop.db"))
    calls: list[int] = []

    def flaky() -> Session:
        # The first scan's transaction meets a database that cannot be reached.
        calls.append(1)
        return broken() if len(calls) == 1 else sessions()

    running = listen(flaky)
    scanner.send(b"LOST-1\r\n")
    wait_for(lambda: running.warned_about("LOST-1 could not be logged"), "the lost scan")
    scanner.send(b"KEPT-2\r\n")

    assert [scan.code for scan in wait_for_scans(sessions, 1)] == ["KEPT-2"]
    assert "it is lost" in running.warned[0]


def test_a_network_scanner_whose_server_restarts_is_listened_to_again(sessions, karim):
    # A scanner behind a serial-to-Ethernet box: its TCP server goes away and comes back.
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(WAIT)
    port = server.getsockname()[1]
    url = f"socket://127.0.0.1:{port}"
    running = Running(Listener(url, "dock-4", sessions, user_id=karim.id, retry_seconds=0.05))
    running.thread.start()
    try:
        connection, _ = server.accept()
        wait_for(lambda: running.said, "the scanner to be opened")
        connection.sendall(b"NET-1\r\n")
        wait_for_scans(sessions, 1)

        connection.close()
        server.close()
        wait_for(lambda: running.warned_about(f"{url} disconnected"), "the lost connection")
        server = socket.create_server(("127.0.0.1", port))
        server.settimeout(WAIT)
        connection, _ = server.accept()
        wait_for(lambda: running.warned_about("is back"), "the scanner to be back")
        connection.sendall(b"NET-2\r\n")

        assert [(scan.code, scan.station) for scan in wait_for_scans(sessions, 2)] == [
            ("NET-1", "dock-4"),
            ("NET-2", "dock-4"),
        ]
        connection.close()
    finally:
        running.stop()
        server.close()


def test_a_scanner_absent_at_start_is_waited_for(sessions, tmp_path, karim):
    path = tmp_path / "scanner-late"
    running = Running(Listener(str(path), "dock-3", sessions, retry_seconds=0.05))
    running.thread.start()
    try:
        wait_for(lambda: running.warned_about("cannot open the scanner"), "the missing scanner")
        late = Scanner(path)
        try:
            wait_for(lambda: running.said, "the scanner to be opened")
            late.send(b"LATE-1\n")
            scans = wait_for_scans(sessions, 1)
            assert [(scan.code, scan.station, scan.user_id) for scan in scans] == [
                ("LATE-1", "dock-3", None)
            ]
        finally:
            late.close()
    finally:
        running.stop()


# --- the command itself, as the dock's service runs it -------------------------------


def _lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line.rstrip("\n"))


class Output:
    """Lines a subprocess prints, read in the background so a wait never blocks."""

    def __init__(self, stream: IO[str]) -> None:
        self.seen: list[str] = []
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_lines, args=(stream, self.lines), daemon=True).start()

    def wait_for(self, words: str) -> str:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            self.seen.append(line)
            if words in line:
                return line
        raise AssertionError(f"no line with {words!r} in {self.seen}")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl+C"])
def test_workshop_scanner_listen_logs_reconnects_and_stops_cleanly(
    db_url, sessions, scanner, devices, karim, tmp_path, stop_signal
):
    env = {
        **os.environ,
        "WORKSHOP_DATABASE_URL": db_url,
        "WORKSHOP_SECRET_KEY": "x",
        "WORKSHOP_INSTANCE_PATH": str(tmp_path / "instance"),
        "WORKSHOP_USER": "karim",
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workshop.cli",
            "scanner",
            "listen",
            "--port",
            str(scanner.path),
            "--station",
            "dock-2",
            "--retry-seconds",
            "0.05",
        ],  # fmt: skip
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = Output(process.stdout), Output(process.stderr)  # type: ignore[arg-type]
        out.wait_for("listening on")
        scanner.send(devices["tag"].asset_tag.encode() + b"\r\n")
        assert "stage received" in out.wait_for(devices["tag"].asset_tag)

        scanner.unplug()
        err.wait_for(f"scanner on {scanner.path} disconnected; waiting for it to come back")
        scanner.plug()
        err.wait_for("is back")
        out.wait_for("listening on")
        scanner.send(b"PF1Q2W3E\r\n")
        assert "(by its serial)" in out.wait_for("PF1Q2W3E")

        process.send_signal(stop_signal)
        assert process.wait(WAIT) == 0
        err.wait_for("stopped listening")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not any("Traceback" in line for line in err.seen)
    scans = logged(sessions)
    assert [(scan.outcome, scan.station, scan.user_id) for scan in scans] == [
        ("device", "dock-2", karim.id),
        ("device", "dock-2", karim.id),
    ]


def test_listen_refuses_an_unknown_user_and_a_port_that_cannot_exist(app, scanner):
    runner = app.test_cli_runner()
    listen = ["scanner", "listen", "--station", "dock-2", "--port"]

    unknown = runner.invoke(cli, [*listen, str(scanner.path), "--as", "nobody"])
    nonsense = runner.invoke(cli, [*listen, "bogus://dock-2"])

    assert unknown.exit_code == 1 and "nobody" in unknown.stderr
    assert nonsense.exit_code == 2 and "protocol 'bogus' not known" in nonsense.stderr


def test_a_part_label_read_on_the_dock_is_logged_as_a_part_and_named(
    listen, scanner, sessions, devices
):
    from inventory import parts as stock
    from tests.repair_helpers import harvested_battery

    with sessions() as session:
        stock.seed_default_kinds(session)
        shelf = create_location(session, "Shelf P1", "shelf", entered_by=None)
        part = harvested_battery(session, "PF1DOCKP", None, location=shelf.code)
        session.commit()
        code, donor = part.code, part.donor
    bad = code[:-1] + ("X" if code[-1] != "X" else "Y")
    running = listen()

    scanner.send(code.lower().encode() + b"\r\n" + bad.encode() + b"\r\n")

    scans = wait_for_scans(sessions, 2)
    assert [(s.code, s.outcome) for s in scans] == [(code, "part"), (bad, "misread")]
    assert scans[0].device_id is None and donor is not None
    wait_for(lambda: len(running.said) >= 3, "a line per scan")
    assert f"part {code} (battery 01AV452), in_stock, at {shelf.code}" in running.said[1]
    assert "misread" in running.said[2] and "part code" in running.said[2]
