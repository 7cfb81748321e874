"""A fixed-mount or USB serial scanner: one code per line, fed to the same scan handling as the
web field, with each scan logged under the station's name.

The loop knows nothing of click: `workshop scanner listen` (cli.py) gives it the port, the
station, the sessions and two ways to speak (standard output for the scans, standard error
for trouble), and a `threading.Event` that stops it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import serial
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from inventory.accounts import User
from inventory.db import transaction
from inventory.scanning import MAX_CODE, Resolution, log_scan, record_scan

# Long enough for every code we or a manufacturer print; anything longer is
# noise (a scanner left in a continuous mode, a cable picking up garbage).
MAX_LINE = MAX_CODE
# How long one read waits, so a stop request is seen within this delay.
READ_TIMEOUT = 0.2
LINE_ENDS = b"\r\n"

Say = Callable[[str], None]


def printable(raw: bytes) -> str | None:
    """The line as text when it holds only printable ASCII, else None."""
    if all(0x20 <= byte < 0x7F or byte == 0x09 for byte in raw):
        return raw.decode("ascii")
    return None


def shown(raw: bytes) -> str:
    """Garbage made readable for the log and the terminal: every odd byte as \\xNN."""
    return "".join(chr(byte) if 0x20 <= byte < 0x7F else f"\\x{byte:02x}" for byte in raw)


def describe(resolution: Resolution, outcome: str) -> str:
    """What a supervisor watching the terminal reads about one scan."""
    if resolution.device is not None:
        device = resolution.device
        how = "" if resolution.code == device.asset_tag else " (by its serial)"
        return f"device {device.asset_tag}{how}, stage {device.stage}"
    if resolution.location is not None:
        return f"location {resolution.location.code} ({resolution.location.name})"
    if resolution.part is not None:
        part = resolution.part
        where = f", at {part.location.code}" if part.location is not None else ""
        return f"part {part.code} ({part.kind.code} {part.reference}), {part.state}{where}"
    return f"{outcome.replace('_', ' ')}: {resolution.message}"


class Lines:
    """Cut the bytes a scanner sends into lines: CR, LF or CR LF end one; blank ones vanish."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self.pending = bytearray()
        # After a line too long was cut, the rest of it is dropped up to its end.
        self.dropping = False

    def feed(self, data: bytes) -> list[tuple[bytes, bool]]:
        """The complete lines in `data` with what was pending, each with True when it was cut."""
        lines: list[tuple[bytes, bool]] = []
        for byte in data:
            if byte in LINE_ENDS:
                if self.pending and not self.dropping:
                    lines.append((bytes(self.pending), False))
                self.pending.clear()
                self.dropping = False
            elif not self.dropping:
                self.pending.append(byte)
                if len(self.pending) > self.max_line:
                    lines.append((bytes(self.pending[: self.max_line]), True))
                    self.pending.clear()
                    self.dropping = True
        return lines

    def reset(self) -> None:
        """Forget a half-read line: the scanner was unplugged in the middle of it."""
        self.pending.clear()
        self.dropping = False


class Listener:
    """Read codes from a serial port and log each one as a scan at `station`."""

    def __init__(
        self,
        url: str,
        station: str,
        sessions: sessionmaker[Session],
        *,
        user_id: int | None = None,
        baudrate: int = 9600,
        retry_seconds: float = 1.0,
        say: Say = print,
        warn: Say = print,
        stop: threading.Event | None = None,
    ) -> None:
        self.url = url
        self.station = station
        self.sessions = sessions
        self.user_id = user_id
        self.baudrate = baudrate
        self.retry_seconds = retry_seconds
        self.say = say
        self.warn = warn
        self.stop = stop or threading.Event()
        self.lines = Lines()

    def run(self) -> None:
        """Listen until stopped; an unplugged scanner is waited for, never fatal.

        A port URL pyserial cannot understand raises ValueError at once: no
        scanner will ever appear there.
        """
        port = None
        # Trouble is told once, then once more when the scanner is back.
        away = False
        while not self.stop.is_set():
            if port is None:
                try:
                    port = serial.serial_for_url(
                        self.url, baudrate=self.baudrate, timeout=READ_TIMEOUT
                    )
                except (serial.SerialException, OSError) as error:
                    if not away:
                        self.warn(
                            f"cannot open the scanner on {self.url}; waiting for it "
                            f"({_first_line(error)})"
                        )
                        away = True
                    self.stop.wait(self.retry_seconds)
                    continue
                if away:
                    self.warn(f"scanner on {self.url} is back; listening again")
                    away = False
                self.say(f"listening on {self.url} as station {self.station}")
            try:
                data = port.read(port.in_waiting or 1)
            except (serial.SerialException, OSError) as error:
                self.lines.reset()
                self.warn(
                    f"scanner on {self.url} disconnected; waiting for it to come back "
                    f"({_first_line(error)})"
                )
                away = True
                _close(port)
                port = None
                self.stop.wait(self.retry_seconds)
                continue
            for raw, cut in self.lines.feed(data):
                self.scan(raw, cut)
        if port is not None:
            _close(port)

    def scan(self, raw: bytes, cut: bool = False) -> None:
        """Log one line read from the scanner and tell the terminal what it was."""
        text = printable(raw)
        if text is not None and not text.strip():
            return
        code = text.strip() if text is not None else shown(raw)
        if cut:
            self.warn(f"a line longer than {MAX_LINE} characters was cut: {code[:40]}...")
        try:
            with transaction(self.sessions) as session:
                user = session.get(User, self.user_id) if self.user_id is not None else None
                if text is None or cut:
                    log_scan(session, code, "invalid", user=user, station=self.station)
                    if text is None:
                        line = f"{code}  invalid: not a code (unreadable characters)"
                    else:
                        line = f"{code[:40]}...  invalid: longer than {MAX_LINE} characters"
                else:
                    resolution, outcome = record_scan(
                        session, code, user=user, station=self.station
                    )
                    line = f"{resolution.code}  {describe(resolution, outcome)}"
        except SQLAlchemyError as error:
            self._lost(code, f"database: {_first_line(error)}")
            return
        except Exception as error:
            # A listener left alone on the dock must outlive one bad scan.
            self._lost(code, f"{type(error).__name__}: {_first_line(error)}")
            return
        self.say(f"{datetime.now():%H:%M:%S}  {line}")

    def _lost(self, code: str, why: str) -> None:
        self.warn(f"the scan of {code} could not be logged, it is lost ({why}); scan it again")


def _close(port: Any) -> None:
    with contextlib.suppress(serial.SerialException, OSError):
        port.close()


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
