"""The serial link to a test bench: one query at a time, deadlines, and a transcript of every byte.

The protocol is /work/shared/BENCH_PROTOCOL.md (SCPI-like, ASCII lines). Everything a bench
can do wrong (no answer, noise, a pulled cable, an error on its queue) comes out of here as a
BenchError or a DeviceFault with a code and a sentence for the technician, never as a hang.
Messages are %-templates filled from the details, like the workshop's refusals, so that an
interface can translate them.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

import serial

from diagnostics.results import TranscriptLine

BAUDRATE = 115200
# The longest one read blocks before the link looks at its deadline again.
READ_SLICE_S = 0.05
# How long the link waits for SYST:ERR? when asking why a query went unanswered.
WHY_TIMEOUT_S = 0.5
# How long a line already arriving before a query gets to end (a bench sends a line at once).
LINE_END_WAIT_S = 0.1
# A line longer than this is not an answer (a stream of noise): it is dropped.
MAX_LINE_BYTES = 4096
# Anything but printable ASCII and tab: noise (a bench sends some while it resets).
NOISE = re.compile(rb"[^\x20-\x7e\t]")
ERROR_ANSWER = re.compile(r'\s*([+-]?\d+)\s*,\s*"?(.*?)"?\s*$')


def N_(text: str) -> str:
    """Mark a message for translation by the interface; returns it unchanged."""
    return text


class BenchError(Exception):
    """The test setup failed (wrong bench, no answer, garbage, disconnect, a bench error)."""

    def __init__(
        self, code: str, message: str, *, bench_code: int | None = None, **details: Any
    ) -> None:
        self.code = code
        self.bench_code = bench_code
        if bench_code is not None:
            details["bench_code"] = bench_code
        # The template stays untranslated here; an interface translates it with the same details.
        self.template = message
        self.details = details
        self.message = message % details if details else message
        super().__init__(self.message)


class BenchTimeout(BenchError):
    """The bench did not answer in time (code `no_answer`; the runner's outcome `timeout`)."""


class DeviceFault(Exception):
    """The bench says the device under test is faulty (an overheating battery, a failed erase)."""

    def __init__(self, code: str, message: str, *, bench_code: int, **details: Any) -> None:
        self.code = code
        self.bench_code = bench_code
        details["bench_code"] = bench_code
        self.template = message
        self.details = details
        self.message = message % details
        super().__init__(self.message)


# The bench-specific error codes of the protocol: who is at fault, our code, what to do.
BENCH_CODES: dict[int, tuple[type[BenchError] | type[DeviceFault], str, str]] = {
    101: (
        BenchError,
        "no_battery",
        N_("No battery is connected to the battery bench. Connect the battery and start again."),
    ),
    102: (
        DeviceFault,
        "over_temperature",
        N_("The battery overheated on the bench (bench error %(bench_code)s): it is faulty."),
    ),
    103: (
        DeviceFault,
        "cell_imbalance",
        N_("The battery's cells are out of balance (bench error %(bench_code)s): it is faulty."),
    ),
    201: (
        BenchError,
        "no_supply",
        N_("No power supply is connected to the PSU bench. Connect the supply and start again."),
    ),
    202: (
        DeviceFault,
        "over_current",
        N_(
            "The power supply tripped the bench's over-current protection "
            "(bench error %(bench_code)s): it is faulty."
        ),
    ),
    301: (
        BenchError,
        "no_disk",
        N_("No disk is in the storage dock. Insert the disk and start again."),
    ),
    302: (
        BenchError,
        "not_supported",
        N_("The disk does not support this erase method (bench error %(bench_code)s)."),
    ),
    303: (
        DeviceFault,
        "erase_failed",
        N_(
            "The dock could not erase the disk (bench error %(bench_code)s): the disk is faulty. "
            "Set it aside for destruction."
        ),
    ),
}


def error_for(bench_code: int, bench_message: str, *, command: str) -> BenchError | DeviceFault:
    """The exception for an error the bench queued (after `command`)."""
    known = BENCH_CODES.get(bench_code)
    if known is not None:
        kind, code, template = known
        return kind(
            code, template, bench_code=bench_code, command=command, bench_message=bench_message
        )
    return BenchError(
        "bench_error",
        N_(
            "The bench refused %(command)s: error %(bench_code)s, %(bench_message)s. "
            "Check the bench, then start again."
        ),
        bench_code=bench_code,
        command=command,
        bench_message=bench_message,
    )


def garbage(query: str, answer: str, expected: str) -> BenchError:
    """The error for an answer that does not read as what the query returns."""
    return BenchError(
        "garbage",
        N_(
            "The bench answered %(answer)r to %(query)s where %(expected)s was due. "
            "Check that it is the right bench and its firmware, then start again."
        ),
        query=query,
        answer=answer,
        expected=expected,
    )


def _escaped(raw: bytes) -> str:
    """Bytes as printable text, every byte kept (noise is stored, not lost)."""
    return raw.decode("latin-1").encode("unicode_escape").decode("ascii")


class Link:
    """One serial line to one bench: queries and commands, a lock, and the transcript."""

    def __init__(
        self,
        port: serial.SerialBase,
        *,
        url: str = "",
        timeout: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.port = port
        self.url = url or str(port.port)
        # The deadline of a query when none is given; a runner shortens it for cleanup.
        self.timeout = timeout
        self.clock = clock
        self.transcript: list[TranscriptLine] = []
        self._buffer = bytearray()
        self._lock = threading.Lock()
        self._lost: str | None = None
        self._resync = False

    @classmethod
    def open(
        cls,
        url: str,
        *,
        timeout: float = 1.0,
        write_timeout: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> Link:
        """Open any pyserial URL (a device path, socket://, rfc2217://, loop://) at 115200 8N1."""
        options: dict[str, Any] = {
            "baudrate": BAUDRATE,
            "bytesize": serial.EIGHTBITS,
            "parity": serial.PARITY_NONE,
            "stopbits": serial.STOPBITS_ONE,
            # Reads block a slice at a time: the link keeps its own deadline per query.
            "timeout": READ_SLICE_S,
            "write_timeout": write_timeout,
        }
        if "://" not in url:
            # A device: nobody else may talk to the bench while a test runs.
            options["exclusive"] = True
        try:
            port = serial.serial_for_url(url, **options)
        except (serial.SerialException, OSError, ValueError) as error:
            raise BenchError(
                "port_unavailable",
                N_(
                    "The port %(url)s cannot be opened (%(reason)s). Check that the bench is "
                    "plugged in and that no other program is using it."
                ),
                url=url,
                reason=str(error),
            ) from error
        link = cls(port, url=url, timeout=timeout, clock=clock)
        link.note(f"opened {url}")
        return link

    # -- what the drivers call ------------------------------------------------------------------

    def query(self, text: str, *, timeout: float | None = None) -> str:
        """Send a query; its answer line (comments and noise skipped), or BenchError."""
        with self._lock:
            return self._query(text, self.timeout if timeout is None else timeout)

    def command(self, text: str, *, check: bool = True) -> None:
        """Send a command; with check, read SYST:ERR? and raise the error it queued, if any."""
        with self._lock:
            self._send(text)
            if check:
                self._raise_queued(text)

    def check_errors(self, after: str = "") -> None:
        """Read SYST:ERR? and raise the oldest queued error, if any (`after`: what caused it)."""
        with self._lock:
            self._raise_queued(after or "SYST:ERR?")

    def note(self, text: str) -> None:
        """Add a note (`#`) to the transcript."""
        self._log("#", text)

    @property
    def is_open(self) -> bool:
        return self._lost is None and self.port.is_open

    def close(self) -> None:
        """Close the port (again is harmless); the transcript stays."""
        if self.port.is_open:
            # The port may be gone already, with the cable.
            with contextlib.suppress(serial.SerialException, OSError):
                self.port.close()
            self.note(f"closed {self.url}")

    def __enter__(self) -> Link:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- the exchange ---------------------------------------------------------------------------

    def _log(self, direction: Literal[">", "<", "#"], text: str) -> None:
        self.transcript.append(TranscriptLine(datetime.now(UTC), direction, text))

    def _query(self, text: str, timeout: float) -> str:
        self._send(text)
        deadline = self.clock() + timeout
        while True:
            raw = self._read_line(deadline)
            if raw is None:
                raise self._unanswered(text, timeout)
            answer = self._answer_in(raw)
            if answer is not None:
                return answer

    def _send(self, text: str) -> None:
        if self._lost is not None:
            raise self._disconnected(self._lost)
        data = (text + "\n").encode("ascii")
        self._discard_stale()
        self._log(">", text)
        try:
            self.port.write(data)
        except serial.SerialTimeoutException as error:
            self._log("#", f"write timed out: {error}")
            raise BenchTimeout(
                "no_answer",
                N_(
                    "The bench on %(url)s does not take what is sent to it. Check that it is "
                    "switched on and its cable is plugged in, then start again."
                ),
                url=self.url,
            ) from error
        except (serial.SerialException, OSError) as error:
            raise self._disconnected(str(error)) from error

    def _discard_stale(self) -> None:
        """Before a query, log and drop the lines that came unasked, so that none is taken for
        its answer. A line still arriving is left to end (it is a comment: the bench sends
        lines whole), except after a timeout: then the late answer is drained first."""
        buffer = self._buffer
        if self._resync:
            self._resync = False
            try:
                while waiting := self.port.in_waiting:
                    buffer += self.port.read(waiting)
            except (serial.SerialException, OSError) as error:
                raise self._disconnected(str(error)) from error
            deadline = self.clock() + LINE_END_WAIT_S
            while buffer:
                raw = self._read_line(deadline)
                if raw is None:
                    self._log("<", _escaped(bytes(buffer)))
                    self.note("unfinished line dropped")
                    buffer.clear()
                elif self._answer_in(raw) is not None:
                    self.note("unasked line dropped")
        elif b"\n" in buffer:
            *lines, rest = buffer.split(b"\n")
            buffer[:] = rest
            for raw in lines:
                if self._answer_in(raw) is not None:
                    self.note("unasked line dropped")

    def _read_line(self, deadline: float) -> bytes | None:
        """The next line received (its LF taken off), or None when the deadline passes."""
        buffer = self._buffer
        port = self.port
        while True:
            end = buffer.find(b"\n")
            if end >= 0:
                raw = bytes(buffer[:end])
                del buffer[: end + 1]
                return raw
            if len(buffer) > MAX_LINE_BYTES:
                self._log("<", _escaped(bytes(buffer)))
                self.note("over-long line dropped as noise")
                buffer.clear()
            if self.clock() >= deadline:
                return None
            try:
                # One byte blocks for at most a read slice; what came with it is taken at once.
                chunk = port.read(1)
                if chunk:
                    waiting = port.in_waiting
                    if waiting:
                        chunk += port.read(waiting)
            except (serial.SerialException, OSError) as error:
                if buffer:
                    self._log("<", _escaped(bytes(buffer)))
                    buffer.clear()
                raise self._disconnected(str(error)) from error
            buffer += chunk

    def _answer_in(self, raw: bytes) -> str | None:
        """Log a received line; its text when it is an answer (not a comment, noise or blank)."""
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if NOISE.search(raw):
            # Noise may run into the banner; a whole line with noise in it is never an answer.
            self._log("<", _escaped(raw))
            self.note("noise skipped")
            return None
        text = raw.decode("ascii")
        self._log("<", text)
        text = text.strip()
        if not text or text.startswith("#"):
            return None
        return text

    def _unanswered(self, query: str, timeout: float) -> BenchError | DeviceFault:
        """Why a query went unanswered: the error the bench queued for it, or a timeout."""
        if self._buffer:
            self._log("<", _escaped(bytes(self._buffer)))
            self._buffer.clear()
        self.note(f"no answer to {query} within {timeout:g} s")
        # The answer may still come: the next exchange drains it first.
        self._resync = True
        timed_out = BenchTimeout(
            "no_answer",
            N_(
                "The bench did not answer %(query)s within %(seconds)s s. Check that it is "
                "switched on and its cable is plugged in, then start again."
            ),
            query=query,
            seconds=f"{timeout:g}",
        )
        if query.upper().startswith("SYST:ERR?"):
            return timed_out
        # A query the bench cannot answer (no battery to read) queues an error instead.
        try:
            bench_code, bench_message = self._read_error(min(timeout, WHY_TIMEOUT_S))
        except BenchError as error:
            if error.code in ("no_answer", "garbage"):
                return timed_out
            raise
        finally:
            # Whatever SYST:ERR? got, the late answer may still be on its way.
            self._resync = True
        if bench_code:
            return error_for(bench_code, bench_message, command=query)
        return timed_out

    def _read_error(self, timeout: float) -> tuple[int, str]:
        answer = self._query("SYST:ERR?", timeout)
        match = ERROR_ANSWER.match(answer)
        if match is None:
            raise garbage("SYST:ERR?", answer, 'CODE,"MESSAGE"')
        return int(match[1]), match[2]

    def _raise_queued(self, command: str) -> None:
        bench_code, bench_message = self._read_error(self.timeout)
        if bench_code:
            raise error_for(bench_code, bench_message, command=command)

    def _disconnected(self, reason: str) -> BenchError:
        """The cable was pulled (or the bench switched off): the link is lost for good."""
        if self._lost is None:
            self._lost = reason
            self.note(f"disconnected: {reason}")
            self.close()
        return BenchError(
            "disconnected",
            N_(
                "The connection to the bench on %(url)s was lost (%(reason)s): its cable was "
                "pulled or it was switched off. Plug it back in and start the test again."
            ),
            url=self.url,
            reason=reason,
        )
