"""One driver per bench model (BATT-100, PSU-200, DISK-300): domain methods over a Link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

from diagnostics.link import N_, BenchError, DeviceFault, Link, error_for, garbage
from diagnostics.results import BenchIdentity

RAILS = ("3V3", "5V", "12V", "-12V", "5VSB")
ERASE_METHODS = ("OVERWRITE", "CRYPTO", "SANITIZE")
STATES = ("IDLE", "RUNNING", "DONE", "FAULT")

T = TypeVar("T")


@dataclass(frozen=True)
class Status:
    """A long operation's `...:STAT?` answer: IDLE, RUNNING (percent), DONE or FAULT (code)."""

    state: str
    percent: int | None = None
    fault: int | None = None


@dataclass(frozen=True)
class BatteryInfo:
    """What the battery's own gauge says (BATT:INFO?)."""

    chemistry: str
    design_mwh: int
    full_mwh: int
    cycles: int
    serial: str


@dataclass(frozen=True)
class DiskInfo:
    """The disk in the dock (DISK:INFO?); type is HDD, SSD or NVME."""

    model: str
    serial: str
    capacity_bytes: int
    type: str


@dataclass(frozen=True)
class Smart:
    """The SMART figures the dock reads; wear is percent used, None where the disk has none."""

    power_on_hours: int
    reallocated: int
    pending: int
    uncorrectable: int
    wear: float | None


# -- answers ------------------------------------------------------------------------------------


def _read(query: str, answer: str, convert: Callable[[str], T], expected: str) -> T:
    try:
        return convert(answer.strip())
    except ValueError:
        raise garbage(query, answer, expected) from None


def _flag(query: str, answer: str) -> bool:
    if answer.strip() not in ("0", "1"):
        raise garbage(query, answer, "1 or 0")
    return answer.strip() == "1"


def _fields(query: str, answer: str, count: int, expected: str) -> list[str]:
    fields = [field.strip() for field in answer.split(",")]
    if len(fields) != count:
        raise garbage(query, answer, expected)
    return fields


def parse_identity(answer: str) -> BenchIdentity:
    """MAKER,MODEL,SERIAL,FIRMWARE as a BenchIdentity."""
    maker, model, serial, firmware = _fields("*IDN?", answer, 4, "MAKER,MODEL,SERIAL,FIRMWARE")
    return BenchIdentity(maker=maker, model=model, serial=serial, firmware=firmware)


def parse_status(query: str, answer: str) -> Status:
    """IDLE, RUNNING,P, DONE or FAULT,CODE as a Status."""
    state, _, argument = answer.strip().partition(",")
    state = state.strip().upper()
    expected = "IDLE, RUNNING,P, DONE or FAULT,CODE"
    if state in ("IDLE", "DONE") and not argument:
        return Status(state, 100 if state == "DONE" else None)
    if state == "RUNNING":
        percent = _read(query, answer, lambda _: int(argument), expected)
        if not 0 <= percent <= 100:
            raise garbage(query, answer, expected)
        return Status(state, percent)
    if state == "FAULT":
        return Status(state, None, _read(query, answer, lambda _: int(argument), expected))
    raise garbage(query, answer, expected)


# -- the drivers --------------------------------------------------------------------------------


class Bench:
    """What every bench answers; a driver for one model adds its own."""

    MODEL: ClassVar[str] = ""
    PRESENCE: ClassVar[str] = ""

    def __init__(self, link: Link, identity: BenchIdentity) -> None:
        self.link = link
        self.identity = identity

    def _number(self, query: str) -> float:
        return _read(query, self.link.query(query), float, "a number")

    def _integer(self, query: str) -> int:
        return _read(query, self.link.query(query), int, "a whole number")

    def present(self) -> bool:
        """True when the device under test is connected to the bench."""
        return _flag(self.PRESENCE, self.link.query(self.PRESENCE))

    def reset(self) -> None:
        """Back to the power-up state; aborts a running test (*RST)."""
        self.link.command("*RST", check=False)

    def self_test(self) -> int:
        """The bench's self-test: 0 is healthy (*TST?)."""
        return self._integer("*TST?")

    def raise_for_fault(self, status: Status) -> Status:
        """The status, unless FAULT: then the error the bench queued for it (SYST:ERR?)."""
        if status.state != "FAULT":
            return status
        try:
            self.link.check_errors(after=f"{self.MODEL} test")
        except (BenchError, DeviceFault) as error:
            if getattr(error, "code", "") not in ("no_answer", "garbage"):
                raise
        # The queue was empty or unreadable: the code in the status says enough.
        raise error_for(status.fault or 0, f"FAULT,{status.fault}", command=f"{self.MODEL} test")

    def close(self) -> None:
        self.link.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class BatteryBench(Bench):
    """BATT-100, the laptop battery analyser."""

    MODEL = "BATT-100"
    PRESENCE = "BATT:PRES?"

    def battery_info(self) -> BatteryInfo:
        query = "BATT:INFO?"
        answer = self.link.query(query)
        expected = "CHEMISTRY,DESIGN_MWH,FULL_MWH,CYCLES,BATTERY_SERIAL"
        chemistry, design, full, cycles, serial = _fields(query, answer, 5, expected)
        return BatteryInfo(
            chemistry=chemistry,
            design_mwh=_read(query, design, int, expected),
            full_mwh=_read(query, full, int, expected),
            cycles=_read(query, cycles, int, expected),
            serial=serial,
        )

    def voltage(self) -> float:
        return self._number("BATT:VOLT?")

    def temperature(self) -> float:
        return self._number("BATT:TEMP?")

    def start_capacity_test(self, rate: float) -> None:
        """Full charge, then discharge at `rate` C (0.1 to 1.0)."""
        self.link.command(f"BATT:TEST:START {rate:g}")

    def test_status(self) -> Status:
        query = "BATT:TEST:STAT?"
        return parse_status(query, self.link.query(query))

    def test_results(self) -> tuple[float, float]:
        """(measured_mwh, resistance_mohm), once the test is DONE."""
        query = "BATT:TEST:RES?"
        answer = self.link.query(query)
        expected = "MEASURED_MWH,RESISTANCE_MOHM"
        measured, resistance = _fields(query, answer, 2, expected)
        return _read(query, measured, float, expected), _read(query, resistance, float, expected)

    def abort_test(self) -> None:
        # Unchecked: it runs in cleanup, where a queued error from the fault must not mask it.
        self.link.command("BATT:TEST:ABORT", check=False)


class PsuBench(Bench):
    """PSU-200, the ATX power-supply tester."""

    MODEL = "PSU-200"
    PRESENCE = "PSU:PRES?"

    def power_on(self) -> None:
        self.link.command("PSU:ON")

    def power_off(self) -> None:
        self.link.command("PSU:OFF", check=False)

    def power_good(self) -> bool:
        return _flag("PSU:PG?", self.link.query("PSU:PG?"))

    def power_good_ms(self) -> float:
        """Milliseconds from PS_ON to power-good at the last power_on()."""
        return self._number("PSU:PGTIME?")

    def set_load(self, percent: int) -> None:
        self.link.command(f"LOAD {int(percent)}")

    def load(self) -> int:
        return self._integer("LOAD?")

    def rail_voltage(self, rail: str) -> float:
        return self._number(f"MEAS:VOLT? {_rail(rail)}")

    def ripple_mv(self, rail: str) -> float:
        """Ripple and noise, millivolts peak to peak."""
        return self._number(f"MEAS:RIPP? {_rail(rail)}")


def _rail(rail: str) -> str:
    if rail.upper() not in RAILS:
        raise ValueError(f"unknown rail {rail!r}; one of {', '.join(RAILS)}")
    return rail.upper()


class DiskBench(Bench):
    """DISK-300, the storage dock (SATA and NVMe)."""

    MODEL = "DISK-300"
    PRESENCE = "DISK:PRES?"

    def disk_info(self) -> DiskInfo:
        query = "DISK:INFO?"
        answer = self.link.query(query)
        expected = "MODEL,SERIAL,CAPACITY_BYTES,TYPE"
        model, serial, capacity, kind = _fields(query, answer, 4, expected)
        if kind.upper() not in ("HDD", "SSD", "NVME"):
            raise garbage(query, answer, expected)
        return DiskInfo(model, serial, _read(query, capacity, int, expected), kind.upper())

    def smart(self) -> Smart:
        query = "DISK:SMART?"
        answer = self.link.query(query)
        expected = "POH=H,REALLOC=N,PENDING=N,UNCORR=N,WEAR=P"
        pairs = dict(field.partition("=")[::2] for field in _fields(query, answer, 5, expected))
        figures = {key.strip().upper(): value.strip() for key, value in pairs.items()}
        try:
            wear = figures["WEAR"]
            return Smart(
                power_on_hours=int(figures["POH"]),
                reallocated=int(figures["REALLOC"]),
                pending=int(figures["PENDING"]),
                uncorrectable=int(figures["UNCORR"]),
                wear=None if wear.upper() == "NA" else float(wear),
            )
        except (KeyError, ValueError):
            raise garbage(query, answer, expected) from None

    def start_erase(self, method: str) -> None:
        """OVERWRITE (Clear), CRYPTO or SANITIZE (Purge); not_supported when the disk cannot."""
        if method.upper() not in ERASE_METHODS:
            raise ValueError(f"unknown erase method {method!r}; one of {', '.join(ERASE_METHODS)}")
        self.link.command(f"DISK:ERASE:START {method.upper()}")

    def erase_status(self) -> Status:
        query = "DISK:ERASE:STAT?"
        return parse_status(query, self.link.query(query))

    def erase_verification(self) -> tuple[bool, str]:
        """(passed, the raw answer: PASS,SECTORS_SAMPLED or FAIL,FIRST_BAD_LBA)."""
        query = "DISK:ERASE:VERIFY?"
        answer = self.link.query(query)
        verdict, figure = _fields(query, answer, 2, "PASS,SECTORS_SAMPLED or FAIL,FIRST_BAD_LBA")
        if verdict.upper() not in ("PASS", "FAIL") or not figure.isdigit():
            raise garbage(query, answer, "PASS,SECTORS_SAMPLED or FAIL,FIRST_BAD_LBA")
        return verdict.upper() == "PASS", answer


DRIVERS: dict[str, type[Bench]] = {
    driver.MODEL: driver for driver in (BatteryBench, PsuBench, DiskBench)
}


def read_identity(link: Link) -> BenchIdentity:
    """Ask the bench who it is (*IDN?)."""
    return parse_identity(link.query("*IDN?"))


def open_bench(url: str, expected_model: str, **link_options: Any) -> Any:
    """The driver for the bench on `url`, once *IDN? says it is `expected_model`; nothing is
    switched on before that. The error queue is cleared (*CLS)."""
    driver = DRIVERS.get(expected_model.upper())
    if driver is None:
        raise ValueError(f"no driver for {expected_model!r}; one of {', '.join(DRIVERS)}")
    link = Link.open(url, **link_options)
    try:
        identity = read_identity(link)
        if identity.model.upper() != driver.MODEL:
            raise BenchError(
                "wrong_bench",
                N_(
                    "The bench on %(url)s is a %(found)s (%(maker)s, serial %(serial)s), not the "
                    "%(expected)s this test needs. Plug in the right bench or choose its port."
                ),
                url=url,
                expected=driver.MODEL,
                found=identity.model,
                maker=identity.maker,
                serial=identity.serial,
            )
        link.command("*CLS", check=False)
        return driver(link, identity)
    except BaseException:
        link.close()
        raise


def identify(url: str, **link_options: Any) -> BenchIdentity:
    """Who the bench on `url` is, without touching anything else."""
    with Link.open(url, **link_options) as link:
        return read_identity(link)
