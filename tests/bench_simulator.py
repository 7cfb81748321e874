"""A test bench for the tests: speaks BENCH_PROTOCOL.md on a real pty, or on a loopback TCP port.

    bench = BenchSimulator("BATT-100", battery="worn", speed=20_000)
    driver = open_bench(bench.url, "BATT-100")     # bench.url: the pty's path, or socket://...
    bench.set(silent=True)                         # change a switch mid-run
    bench.when("BATT:TEST:STAT?", nth=3, pull_cable=True)   # ... or when a line arrives
    bench.commands                                 # every line received, in order
    bench.close()

A thread answers on the master side of `os.openpty()` (the slave in raw mode is the port the
host opens) or on a listening socket (`tcp=True`, one connection at a time). The switches, as
keywords of the constructor, of `set()` and of `when()`:

every bench
    silent        reads everything, answers nothing (a hung bench)
    noise         noise bytes (non-ASCII) and a banner comment before the next answer, as
                  after the reset that opening the port causes (again on every TCP connection)
    comments      a comment line between every query and its answer
    crlf          CR LF line endings instead of LF
    answer_delay  seconds before each answer
    garbage       a query (e.g. "BATT:VOLT?") answered with something that is not a number
    answers       {query: answer}: answers replaced, by the whole line or by its header
    command_errors {header: (code, message)}: that command fails, queuing the error
    idn           the whole *IDN? answer (a wrong bench: rather another model's simulator)
    self_test     the *TST? answer (0)
    speed         how much faster than real time long operations run (1.0)
BATT-100
    battery       "good", "worn" or None (no battery)
    over_temperature, cell_imbalance    the capacity test faults (102, 103) part way
PSU-200
    supply        True, or False (none connected)
    rails, rails_full_load, ripple      {rail: value} over the healthy defaults; at 100 % load
    pg_ms         power-good delay in ms (240); power_good=False: it never comes
    over_current_at   a load percent at or above which the protection trips (202)
DISK-300
    disk          "hdd", "ssd", "nvme" or None (no disk); disk_info: the whole INFO answer
    smart         {"POH"|"REALLOC"|"PENDING"|"UNCORR"|"WEAR": value} over the healthy defaults
    erase_methods the methods the disk supports (by type: HDD overwrite only)
    erase_fails   the erase faults part way (303); verify_fails: it ends, verification fails
`when(prefix, nth=1, pull_cable=True)` pulls the cable in the middle of that answer:
half of it is sent, then the pty (or the connection and the listener) is closed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import select
import socket
import threading
import time
import tty
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MODELS = ("BATT-100", "PSU-200", "DISK-300")
SERIALS = {"BATT-100": "B100-0042", "PSU-200": "P200-0007", "DISK-300": "D300-0113"}
RAILS = ("3V3", "5V", "12V", "-12V", "5VSB")
HEALTHY_RAILS = {"3V3": 3.31, "5V": 5.04, "12V": 12.08, "-12V": -11.92, "5VSB": 5.02}
HEALTHY_RIPPLE = {"3V3": 12.0, "5V": 15.0, "12V": 38.0, "-12V": 30.0, "5VSB": 11.0}
BATTERIES = {
    # gauge info, pack volts, (measured mWh, resistance mOhm) at the end of the test
    "good": ("LION,56000,52100,212,5B10K90802", 12.45, "50400,142"),
    "worn": ("LION,56000,33600,1211,5B10K90802", 11.61, "32480,310"),
}
DISKS = {
    "hdd": "WDC WD5000LPLX-00ZNTT0,WX41A12B3C4D,500107862016,HDD",
    "ssd": "Samsung SSD 860 EVO 250GB,S3YHNX0K123456,250059350016,SSD",
    "nvme": "SAMSUNG MZVLB512HAJQ-000L7,S4ENNX0N987654,512110190592,NVME",
}
ERASE_METHODS = {
    "hdd": ("OVERWRITE",),
    "ssd": ("OVERWRITE", "CRYPTO", "SANITIZE"),
    "nvme": ("OVERWRITE", "CRYPTO", "SANITIZE"),
}
# Noise as a bench sends it while it resets: non-ASCII, a control byte, a stray newline.
NOISE = b"\xff\x8a\x00\xfe\r\n\x93\xc7\x05\xe1"
BANNER = "# ACME Bench firmware 1.4.2 ready"
QUEUE_SIZE = 10


@dataclass
class Faults:
    """Every switch of the simulator, healthy by default."""

    silent: bool = False
    noise: bool = False
    comments: bool = False
    crlf: bool = False
    answer_delay: float = 0.0
    garbage: str | None = None
    answers: dict[str, str] = field(default_factory=dict)
    command_errors: dict[str, tuple[int, str]] = field(default_factory=dict)
    idn: str | None = None
    self_test: int = 0
    speed: float = 1.0
    battery: str | None = "good"
    over_temperature: bool = False
    cell_imbalance: bool = False
    supply: bool = True
    rails: dict[str, float] = field(default_factory=dict)
    rails_full_load: dict[str, float] = field(default_factory=dict)
    ripple: dict[str, float] = field(default_factory=dict)
    pg_ms: float = 240.0
    power_good: bool = True
    over_current_at: int | None = None
    disk: str | None = "hdd"
    disk_info: str | None = None
    smart: dict[str, Any] = field(default_factory=dict)
    erase_methods: tuple[str, ...] | None = None
    erase_fails: bool = False
    verify_fails: bool = False


@dataclass
class Operation:
    """A long operation under way: a capacity test or an erasure."""

    kind: str  # "test" or "erase"
    started: float
    seconds: float  # how long it takes on a real bench
    fault: tuple[int, int] | None = None  # (at percent, error code)
    state: str = "RUNNING"  # RUNNING, DONE, FAULT


@dataclass
class Trigger:
    """Switches to flip when the nth line starting with `prefix` arrives."""

    prefix: str
    nth: int
    changes: dict[str, Any]
    seen: int = 0


class Quiet(Exception):
    """A query that fails: no answer line, an error on the queue."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# -- where the bytes go ---------------------------------------------------------------------------


class PtyEnd:
    """The bench's end of a pseudo-terminal; the host opens `port_name`."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        # Raw, as a serial line is: no echo, no line editing, no CR LF translation.
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.port_name = os.ttyname(self.slave)
        self.url = self.port_name
        self.fds: tuple[int, ...] = (self.master, self.slave)

    def receive(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self.master, 4096)
        except (BlockingIOError, InterruptedError):
            return b""

    def send(self, data: bytes) -> None:
        deadline = time.monotonic() + 1.0
        while data and time.monotonic() < deadline:
            try:
                data = data[os.write(self.master, data) :]
            except BlockingIOError:
                select.select([], [self.master], [], 0.05)

    def new_connection(self) -> bool:
        return False

    def close(self) -> None:
        fds, self.fds = self.fds, ()
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)


class TcpEnd:
    """The bench behind a serial-over-TCP server on 127.0.0.1; the host opens socket://."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.port_name = f"127.0.0.1:{self.port}"
        self.url = f"socket://127.0.0.1:{self.port}"
        self.connection: socket.socket | None = None
        self._fresh = False

    def receive(self, timeout: float) -> bytes:
        if self.connection is None:
            ready, _, _ = select.select([self.listener], [], [], timeout)
            if ready:
                self.connection, _ = self.listener.accept()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._fresh = True
            return b""
        ready, _, _ = select.select([self.connection], [], [], timeout)
        if not ready:
            return b""
        try:
            data = self.connection.recv(4096)
        except OSError:
            data = b""
        if not data:  # the host hung up: wait for the next one
            self.connection.close()
            self.connection = None
        return data

    def new_connection(self) -> bool:
        fresh, self._fresh = self._fresh, False
        return fresh

    def send(self, data: bytes) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError):
                self.connection.sendall(data)

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError):
                self.connection.close()
            self.connection = None
        self.listener.close()


# -- the bench ------------------------------------------------------------------------------------


class BenchSimulator:
    """One bench of a model, answering on a thread until closed (or its cable is pulled)."""

    def __init__(
        self,
        model: str = "BATT-100",
        *,
        tcp: bool = False,
        clock: Callable[[], float] = time.monotonic,
        **faults: Any,
    ) -> None:
        if model not in MODELS:
            raise ValueError(f"unknown model {model!r}")
        self.model = model
        self.clock = clock
        self.faults = Faults()
        self.commands: list[str] = []
        self.triggers: list[Trigger] = []
        self.errors: deque[tuple[int, str]] = deque()
        self.operation: Operation | None = None
        self.psu_on = False
        self.load = 0
        self.pg_ms_last = 0.0
        self.cable_pulled = False
        self._noise_due = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.set(**faults)
        self._end: PtyEnd | TcpEnd = TcpEnd() if tcp else PtyEnd()
        self.url = self._end.url
        self.port_name = self._end.port_name
        self._thread = threading.Thread(target=self._serve, name=f"bench {model}", daemon=True)
        self._thread.start()

    # -- the test's controls --------------------------------------------------------------------

    def set(self, **changes: Any) -> None:
        """Change switches (see the module's docstring); unknown names are refused."""
        known = {f.name for f in dataclasses.fields(Faults)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown switches: {', '.join(sorted(unknown))}")
        with self._lock:
            for name, value in changes.items():
                setattr(self.faults, name, value)
            if changes.get("noise"):
                self._noise_due = True

    def when(self, prefix: str, *, nth: int = 1, **changes: Any) -> None:
        """Flip switches when the nth line starting with `prefix` arrives (before answering it);
        `pull_cable=True` pulls the cable in the middle of that line's answer."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(Faults)} - {"pull_cable"}
        if unknown:
            raise TypeError(f"unknown switches: {', '.join(sorted(unknown))}")
        with self._lock:
            self.triggers.append(Trigger(prefix.upper(), nth, changes))

    def count(self, prefix: str) -> int:
        """How many lines starting with `prefix` were received."""
        with self._lock:
            return sum(1 for line in self.commands if line.upper().startswith(prefix.upper()))

    def pull_cable(self) -> None:
        """The cable pulled: the pty (or the connection and listener) is closed, for good."""
        self.cable_pulled = True
        self.close()

    def close(self) -> None:
        self._stop.set()
        # The thread stops within a receive slice; only then are its descriptors closed,
        # so that it never reads from a number the system has given to someone else.
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=2)
        self._end.close()

    def __enter__(self) -> BenchSimulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the loop -------------------------------------------------------------------------------

    def _serve(self) -> None:
        pending = bytearray()
        while not self._stop.is_set():
            try:
                data = self._end.receive(0.05)
            except (OSError, ValueError):
                return  # closed under us: the cable was pulled
            if self._end.new_connection():
                pending.clear()
                with self._lock:
                    self._noise_due = self.faults.noise
            pending += data
            while not self._stop.is_set() and (end := pending.find(b"\n")) >= 0:
                line = pending[:end].decode("ascii", "replace").strip()
                del pending[: end + 1]
                if line:
                    self._on_line(line)

    def _on_line(self, line: str) -> None:
        with self._lock:
            self.commands.append(line)
            pull = self._fire_triggers(line)
            faults = self.faults
            if faults.silent and not pull:
                return
            try:
                answer = self._answer(line)
            except Quiet as failure:
                self._push(failure.code, failure.message)
                answer = None
            if answer is None:
                if pull:
                    self.pull_cable()
                return
            lines = []
            if self._noise_due:
                self._noise_due = False
                lines.append(NOISE + BANNER.encode())
            if faults.comments:
                lines.append(f"# log: {line.split()[0].lower()} received".encode())
            lines.append(answer.encode("ascii"))
            eol = b"\r\n" if faults.crlf else b"\n"
            data = b"".join(part + eol for part in lines)
            delay = faults.answer_delay
        if delay:
            time.sleep(delay)
        if pull:
            self._end.send(data[: max(1, len(data) // 2)])
            time.sleep(0.02)
            self.pull_cable()
            return
        self._end.send(data)

    def _fire_triggers(self, line: str) -> bool:
        """Apply the triggers this line sets off; True when one pulls the cable."""
        pull = False
        upper = line.upper()
        for trigger in self.triggers:
            if not upper.startswith(trigger.prefix):
                continue
            trigger.seen += 1
            if trigger.seen != trigger.nth:
                continue
            for name, value in trigger.changes.items():
                if name == "pull_cable":
                    pull = bool(value)
                else:
                    setattr(self.faults, name, value)
        return pull

    def _push(self, code: int, message: str) -> None:
        if len(self.errors) >= QUEUE_SIZE:
            self.errors[-1] = (-350, "Queue overflow")
        else:
            self.errors.append((code, message))

    # -- the firmware ---------------------------------------------------------------------------

    def _answer(self, line: str) -> str | None:
        """The answer line to a query, None for a command; Quiet when it fails."""
        header, _, argument = line.partition(" ")
        header = header.upper()
        argument = argument.strip().upper()
        faults = self.faults
        if header in {key.upper() for key in faults.command_errors}:
            code, message = {k.upper(): v for k, v in faults.command_errors.items()}[header]
            raise Quiet(code, message)
        self._advance()
        for key in (line.upper(), header):
            if key in {k.upper() for k in faults.answers}:
                return {k.upper(): v for k, v in faults.answers.items()}[key]
        if faults.garbage and faults.garbage.upper() in (line.upper(), header):
            return "ERR:OVLD"
        common = self._common(header)
        if common is not False:
            return common
        handler = {
            "BATT-100": self._battery,
            "PSU-200": self._psu,
            "DISK-300": self._disk,
        }[self.model]
        return handler(header, argument)

    def _common(self, header: str) -> str | None | bool:
        """What every bench answers; False when the header is not one of these."""
        if header == "*IDN?":
            return self.faults.idn or f"ACME Bench,{self.model},{SERIALS[self.model]},1.4.2"
        if header == "*RST":
            self.operation = None
            self.psu_on = False
            self.load = 0
            return None
        if header == "*CLS":
            self.errors.clear()
            return None
        if header == "*OPC?":
            return "1"
        if header == "*TST?":
            return str(self.faults.self_test)
        if header == "SYST:ERR?":
            code, message = self.errors.popleft() if self.errors else (0, "No error")
            return f'{code},"{message}"'
        return False

    def _advance(self) -> None:
        """Move the long operation on by the time passed (times the speed)."""
        operation = self.operation
        if operation is None or operation.state != "RUNNING":
            return
        percent = self._percent(operation)
        if operation.fault and percent >= operation.fault[0]:
            operation.state = "FAULT"
            code = operation.fault[1]
            self._push(code, FAULT_MESSAGES[code])
        elif percent >= 100:
            operation.state = "DONE"

    def _percent(self, operation: Operation) -> int:
        elapsed = (self.clock() - operation.started) * self.faults.speed
        return min(100, int(elapsed * 100 / operation.seconds))

    def _status(self, kind: str) -> str:
        operation = self.operation
        if operation is None or operation.kind != kind:
            return "IDLE"
        if operation.state == "FAULT":
            assert operation.fault is not None
            return f"FAULT,{operation.fault[1]}"
        if operation.state == "DONE":
            return "DONE"
        return f"RUNNING,{self._percent(operation)}"

    def _done(self, kind: str) -> bool:
        return (
            self.operation is not None
            and self.operation.kind == kind
            and (self.operation.state == "DONE")
        )

    def _battery(self, header: str, argument: str) -> str | None:
        faults = self.faults
        battery = BATTERIES.get(faults.battery or "")
        if header == "BATT:PRES?":
            return "1" if battery else "0"
        if header not in BATTERY_HEADERS:
            raise Quiet(-113, "Undefined header")
        if header == "BATT:TEST:ABORT":
            self.operation = None
            return None
        if battery is None:
            raise Quiet(101, "No battery present")
        hot = (
            faults.over_temperature
            and self.operation is not None
            and (self.operation.state == "FAULT")
        )
        if header == "BATT:INFO?":
            return battery[0]
        if header == "BATT:VOLT?":
            return f"{battery[1]:.2f}"
        if header == "BATT:TEMP?":
            return "62.5" if hot else "31.5"
        if header == "BATT:TEST:START":
            rate = _number(argument)
            if rate is None or not 0.1 <= rate <= 1.0:
                raise Quiet(-222, "Data out of range")
            fault = (40, 102) if faults.over_temperature else None
            fault = (25, 103) if faults.cell_imbalance else fault
            self.operation = Operation("test", self.clock(), 3600 * (1 + 1 / rate), fault)
            return None
        if header == "BATT:TEST:STAT?":
            return self._status("test")
        if header == "BATT:TEST:RES?":
            if not self._done("test"):
                raise Quiet(-200, "Execution error; no test results")
            return battery[2]
        raise AssertionError(header)  # every header of BATTERY_HEADERS is answered above

    def _psu(self, header: str, argument: str) -> str | None:
        faults = self.faults
        if header == "PSU:PRES?":
            return "1" if faults.supply else "0"
        if header not in PSU_HEADERS:
            raise Quiet(-113, "Undefined header")
        if header == "PSU:OFF":
            self.psu_on = False
            return None
        if header == "LOAD?":
            return str(self.load)
        if header == "LOAD":
            load = _number(argument)
            if load is None or load != int(load) or not 0 <= load <= 100:
                raise Quiet(-222, "Data out of range")
            self.load = int(load)
            self._protect()
            return None
        if not faults.supply:
            raise Quiet(201, "No supply connected")
        if header == "PSU:ON":
            self.psu_on = True
            self.pg_ms_last = faults.pg_ms if faults.power_good else 0.0
            self._protect()
            return None
        if header == "PSU:PG?":
            return "1" if self.psu_on and faults.power_good else "0"
        if header == "PSU:PGTIME?":
            return f"{self.pg_ms_last:.0f}"
        if argument not in RAILS:
            raise Quiet(-222, "Data out of range")
        live = self.psu_on or argument == "5VSB"  # standby is there whenever it is plugged in
        if header == "MEAS:VOLT?":
            volts = {**HEALTHY_RAILS, **faults.rails}
            if self.load >= 100:
                volts.update(faults.rails_full_load)
            return f"{volts[argument] if live else 0.0:.3f}"
        ripple = {**HEALTHY_RIPPLE, **faults.ripple}  # MEAS:RIPP?
        return f"{ripple[argument] if live else 0.0:.1f}"

    def _protect(self) -> None:
        """Trip the over-current protection when the load is too much for a faulty supply."""
        limit = self.faults.over_current_at
        if self.psu_on and limit is not None and self.load >= limit:
            self.psu_on = False
            raise Quiet(202, "Over-current protection tripped")

    def _disk(self, header: str, argument: str) -> str | None:
        faults = self.faults
        kind = faults.disk
        if header == "DISK:PRES?":
            return "1" if kind else "0"
        if header not in DISK_HEADERS:
            raise Quiet(-113, "Undefined header")
        if kind is None:
            raise Quiet(301, "No disk present")
        info = faults.disk_info or DISKS[kind]
        if header == "DISK:INFO?":
            return info
        if header == "DISK:SMART?":
            figures = {"POH": 12034, "REALLOC": 0, "PENDING": 0, "UNCORR": 0}
            figures["WEAR"] = "NA" if kind == "hdd" else 12
            figures.update(faults.smart)
            return ",".join(f"{key}={value}" for key, value in figures.items())
        if header == "DISK:ERASE:START":
            if argument not in ("OVERWRITE", "CRYPTO", "SANITIZE"):
                raise Quiet(-222, "Data out of range")
            if argument not in (faults.erase_methods or ERASE_METHODS[kind]):
                raise Quiet(302, "Erase method not supported")
            capacity = int(info.split(",")[2])
            seconds = {"OVERWRITE": capacity / 150e6, "CRYPTO": 5.0, "SANITIZE": 120.0}[argument]
            fault = (60, 303) if faults.erase_fails else None
            self.operation = Operation("erase", self.clock(), seconds, fault)
            return None
        if header == "DISK:ERASE:STAT?":
            return self._status("erase")
        # DISK:ERASE:VERIFY?
        if not self._done("erase"):
            raise Quiet(-200, "Execution error; no erasure to verify")
        return "FAIL,123456" if faults.verify_fails else "PASS,4096"


BATTERY_HEADERS = {
    "BATT:INFO?",
    "BATT:VOLT?",
    "BATT:TEMP?",
    "BATT:TEST:START",
    "BATT:TEST:STAT?",
    "BATT:TEST:RES?",
    "BATT:TEST:ABORT",
}
PSU_HEADERS = {"PSU:ON", "PSU:OFF", "PSU:PG?", "PSU:PGTIME?", "LOAD", "LOAD?"}
PSU_HEADERS |= {"MEAS:VOLT?", "MEAS:RIPP?"}
DISK_HEADERS = {
    "DISK:INFO?",
    "DISK:SMART?",
    "DISK:ERASE:START",
    "DISK:ERASE:STAT?",
    "DISK:ERASE:VERIFY?",
}
FAULT_MESSAGES = {
    102: "Battery over temperature",
    103: "Cell imbalance",
    303: "Erase failed",
}


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
