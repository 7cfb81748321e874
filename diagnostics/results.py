"""What a diagnostic run produced: plain data, shared by the runner, the records and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# pass: every step completed and every required measurement within limits.
# fail: the device is faulty (a measurement out of limits, a device fault the bench reports).
# error / timeout: the test setup failed (wrong bench, bench error, no answer, garbage,
# disconnect); aborted: stopped by someone, or left behind by a process that died.
Outcome = Literal["pass", "fail", "error", "timeout", "aborted"]
OUTCOMES: tuple[Outcome, ...] = ("pass", "fail", "error", "timeout", "aborted")
MeasurementOutcome = Literal["pass", "fail", "not_measured"]


@dataclass(frozen=True)
class BenchIdentity:
    """What a bench answered to *IDN?."""

    maker: str
    model: str
    serial: str
    firmware: str


@dataclass(frozen=True)
class Limits:
    """The accepted range of one measurement; None is an open end."""

    low: float | None = None
    high: float | None = None

    def accepts(self, value: float) -> bool:
        """True when the value lies within the limits, ends included."""
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


@dataclass(frozen=True)
class Measurement:
    """One value taken in a step, with the limits applied to it."""

    step: str
    name: str
    value: float | None
    unit: str
    low: float | None
    high: float | None
    required: bool
    outcome: MeasurementOutcome


@dataclass(frozen=True)
class StepResult:
    """How one step of a script ended."""

    name: str
    outcome: Outcome
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class TranscriptLine:
    """One line sent (`>`) or received (`<`) on the serial link, or a note (`#`), timestamped."""

    at: datetime
    direction: Literal[">", "<", "#"]
    text: str


@dataclass(frozen=True)
class Erasure:
    """One drive erased by a bench during a run, as the erasure record needs it."""

    drive_model: str
    drive_serial: str
    capacity_bytes: int
    drive_type: str  # HDD, SSD, NVME
    method: str  # OVERWRITE, CRYPTO, SANITIZE
    nist_category: str  # Clear, Purge
    verified: bool
    verification: str  # e.g. "PASS,4096" or "FAIL,123456", as the bench said it
    started_at: datetime
    ended_at: datetime


@dataclass
class RunResult:
    """A whole run: its outcome, why, the bench, the measurements and the raw transcript."""

    script: str
    outcome: Outcome
    code: str
    message: str
    started_at: datetime
    ended_at: datetime | None
    bench: BenchIdentity | None = None
    steps: list[StepResult] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    erasures: list[Erasure] = field(default_factory=list)
    transcript: list[TranscriptLine] = field(default_factory=list)
