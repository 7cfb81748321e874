"""Diagnostic scripts run on a bench: how each run ends, what it keeps, and what it leaves safe.

Most tests drive a scripted stand-in for a bench driver and a fake clock, so that a six-hour
capacity test takes no time; the last ones go through the bench simulator on a real pty.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from diagnostics.benches import BatteryInfo, DiskInfo, Smart, Status
from diagnostics.link import BenchError, BenchTimeout, DeviceFault, error_for
from diagnostics.results import BenchIdentity, Limits, RunResult, TranscriptLine
from diagnostics.runner import POLL_MIN_S, run_script
from diagnostics.scripts import (
    BATTERY,
    DISK_HEALTH,
    ERASURE,
    PSU,
    SCRIPTS,
    default_limits,
    measurement_specs,
    with_limits,
)
from tests.bench_simulator import BenchSimulator

# -- a scripted bench driver and a fake clock ---------------------------------------------------


class Clock:
    """Monotonic time that only moves when the runner sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += seconds


class FakeLink:
    """What the runner reads of a link: its transcript, its timeout, notes."""

    def __init__(self) -> None:
        self.transcript: list[TranscriptLine] = []
        self.timeout = 1.0

    def note(self, text: str) -> None:
        self.transcript.append(TranscriptLine(datetime.now(UTC), "#", text))

    def query(self, text: str) -> str:
        self.transcript.append(TranscriptLine(datetime.now(UTC), ">", text))
        return "1"


class FakeBench:
    """A driver answering from a table: a value, a list (one per call, the last repeats), an
    exception to raise, or a function of the arguments. Every call is kept, in order."""

    def __init__(self, model: str, **answers: Any) -> None:
        self.identity = BenchIdentity("ACME Bench", model, "F-0001", "1.0")
        self.link = FakeLink()
        self.answers = answers
        self.calls: list[tuple[Any, ...]] = []
        self.timeouts: dict[str, float] = {}
        self.closed = False

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any) -> Any:
            self.calls.append((name, *args))
            self.timeouts[name] = self.link.timeout
            self.link.transcript.append(TranscriptLine(datetime.now(UTC), ">", name))
            answer = self.answers.get(name)
            if isinstance(answer, list):
                answer = answer.pop(0) if len(answer) > 1 else answer[0]
            if isinstance(answer, BaseException):
                raise answer
            if callable(answer) and not isinstance(answer, type):
                answer = answer(*args)
                if isinstance(answer, BaseException):
                    raise answer
            return answer

        return call

    def called(self, name: str) -> list[tuple[Any, ...]]:
        return [call[1:] for call in self.calls if call[0] == name]

    def names(self) -> list[str]:
        return [call[0] for call in self.calls]


def fault_status(fault: BaseException) -> Callable[[Status], None]:
    """raise_for_fault as the real driver does it: a FAULT status raises what it means."""

    def check(status: Status) -> None:
        if status.state == "FAULT":
            raise fault

    return check


def battery_bench(**changes: Any) -> FakeBench:
    answers: dict[str, Any] = {
        "present": True,
        "battery_info": BatteryInfo("LION", 56000, 52100, 212, "5B10K90802"),
        "temperature": 31.5,
        "voltage": 12.45,
        "test_status": [Status("RUNNING", 10), Status("RUNNING", 60), Status("DONE", 100)],
        "test_results": (50400.0, 142.0),
    }
    answers.update(changes)
    return FakeBench("BATT-100", **answers)


RAIL_VOLTS = {"3V3": 3.31, "5V": 5.04, "12V": 12.08, "-12V": -11.92, "5VSB": 5.02}
RAIL_RIPPLE = {"3V3": 12.0, "5V": 15.0, "12V": 38.0, "-12V": 30.0, "5VSB": 11.0}


def psu_bench(**changes: Any) -> FakeBench:
    answers: dict[str, Any] = {
        "present": True,
        "power_good": True,
        "power_good_ms": 240.0,
        "rail_voltage": lambda rail: RAIL_VOLTS[rail],
        "ripple_mv": lambda rail: RAIL_RIPPLE[rail],
    }
    answers.update(changes)
    return FakeBench("PSU-200", **answers)


HDD = DiskInfo("WDC WD5000LPLX", "WX41A12B3C4D", 500107862016, "HDD")
SSD = DiskInfo("Samsung SSD 860 EVO", "S3YHNX0K123456", 250059350016, "SSD")


def disk_bench(**changes: Any) -> FakeBench:
    answers: dict[str, Any] = {
        "present": True,
        "disk_info": HDD,
        "smart": Smart(12034, 0, 0, 0, None),
        "erase_status": [Status("RUNNING", 5), Status("RUNNING", 70), Status("DONE", 100)],
        "erase_verification": (True, "PASS,4096"),
    }
    answers.update(changes)
    return FakeBench("DISK-300", **answers)


def run(script: Any, bench: FakeBench, **options: Any) -> tuple[RunResult, Clock]:
    clock = Clock()
    result = run_script(script, bench, clock=clock, sleep=clock.sleep, **options)
    return result, clock


def by_name(result: RunResult) -> dict[str, Any]:
    return {item.name: item for item in result.measurements}


def steps(result: RunResult) -> list[tuple[str, str]]:
    return [(step.name, step.outcome) for step in result.steps]


# -- the scripts as data --------------------------------------------------------------------------


def test_the_four_scripts_carry_the_issues_limits():
    assert set(SCRIPTS) == {"battery", "psu", "disk-health", "erasure"}
    battery = default_limits(BATTERY)
    assert battery["health"] == Limits(70.0, None)
    assert battery["internal_resistance"] == Limits(None, 250.0)
    assert battery["temperature"] == Limits(None, 45.0)
    psu = default_limits(PSU)
    assert psu["load50_12v_voltage"] == Limits(11.4, 12.6)
    assert psu["load100_3v3_voltage"] == Limits(3.135, 3.465)
    assert psu["load100_minus12v_voltage"] == Limits(-13.2, -10.8)
    assert psu["load50_5vsb_ripple"] == Limits(None, 50.0)
    assert psu["load100_minus12v_ripple"] == Limits(None, 120.0)
    assert psu["power_good_time"] == Limits(100.0, 500.0)
    disk = default_limits(DISK_HEALTH)
    assert disk["pending_sectors"] == Limits(None, 0.0)
    assert disk["reallocated_sectors"] == Limits(None, 10.0)
    assert disk["wear"].accepts(89) and not disk["wear"].accepts(90)
    assert all(step.time_limit_s > 0 for script in SCRIPTS.values() for step in script.steps)


def test_limits_can_be_changed_per_measurement_and_unknown_names_are_refused():
    looser = with_limits(BATTERY, {"health": Limits(60.0, None)})

    assert default_limits(looser)["health"] == Limits(60.0, None)
    assert default_limits(looser)["temperature"] == Limits(None, 45.0)
    assert default_limits(BATTERY)["health"] == Limits(70.0, None)  # the default is untouched
    with pytest.raises(ValueError, match="no measurement named helth"):
        with_limits(BATTERY, {"helth": Limits(1, 2)})
    names = [spec.name for spec in measurement_specs(PSU)]
    assert len(names) == len(set(names)) == 22


# -- battery ----------------------------------------------------------------------------------------


def test_a_good_battery_passes_and_the_run_is_announced_before_the_bench_hears_anything():
    bench = battery_bench()
    announced: list[tuple[RunResult, int]] = []
    progress: list[tuple[str, int | None, str]] = []

    result, clock = run(
        BATTERY,
        bench,
        on_start=lambda started: announced.append((started, len(bench.calls))),
        on_progress=lambda *report: progress.append(report),
    )

    assert result.outcome == "pass", result.message
    assert result.code == ""
    started, calls_then = announced[0]
    assert (started.outcome, started.ended_at, calls_then) == ("aborted", None, 0)
    assert started.script == "battery" and started.started_at == result.started_at
    assert result.ended_at is not None and result.ended_at >= result.started_at
    assert result.bench == bench.identity
    assert steps(result) == [("inspect", "pass"), ("capacity_test", "pass")]
    values = by_name(result)
    assert values["health"].value == 90.0 and values["health"].outcome == "pass"
    assert (values["health"].low, values["health"].high, values["health"].unit) == (70, None, "%")
    assert values["internal_resistance"].value == 142.0
    assert values["temperature"].value == 31.5
    assert values["voltage"].required is False
    assert bench.called("start_capacity_test") == [(0.5,)]
    assert "abort_test" not in bench.names()
    assert all(seconds >= POLL_MIN_S - 1e-9 for seconds in clock.sleeps)
    assert ("capacity_test", 60, "Capacity test: 60 %") in progress
    assert result.transcript == bench.link.transcript and result.transcript


def test_a_worn_battery_fails_with_every_value_kept():
    result, _clock = run(BATTERY, battery_bench(test_results=(32480.0, 310.0)))

    assert result.outcome == "fail"
    assert result.code == "out_of_limits"
    assert "health 58 %" in result.message and "internal_resistance 310 mOhm" in result.message
    values = by_name(result)
    assert values["health"].outcome == "fail" and values["internal_resistance"].outcome == "fail"
    assert values["temperature"].outcome == "pass"
    assert steps(result) == [("inspect", "pass"), ("capacity_test", "fail")]


def test_limits_given_to_the_run_are_applied_and_recorded():
    result, _clock = run(
        BATTERY,
        battery_bench(test_results=(36000.0, 142.0)),
        limits={"health": Limits(60.0, None), "retired_measurement": Limits(0, 1)},
    )

    assert result.outcome == "pass", result.message
    health = by_name(result)["health"]
    assert (health.value, health.low, health.outcome) == (64.3, 60.0, "pass")


def test_a_hot_battery_is_not_charged():
    bench = battery_bench(temperature=51.0)

    result, _clock = run(BATTERY, bench)

    assert result.outcome == "fail"
    assert "temperature 51 C (limits: at most 45 C)" in result.message
    assert steps(result) == [("inspect", "fail")]
    assert "start_capacity_test" not in bench.names()


def test_a_battery_overheating_during_the_test_fails_and_the_test_is_stopped():
    fault = error_for(102, "Battery over temperature", command="BATT:TEST:STAT?")
    bench = battery_bench(
        test_status=[Status("RUNNING", 20), Status("FAULT", None, 102)],
        raise_for_fault=fault_status(fault),
    )

    result, _clock = run(BATTERY, bench)

    assert (result.outcome, result.code) == ("fail", "over_temperature")
    assert "overheated" in result.message
    values = by_name(result)
    assert values["temperature"].outcome == "pass"  # measured before the fault: kept
    assert values["health"].outcome == "not_measured" and values["health"].value is None
    assert steps(result)[-1] == ("capacity_test", "fail")
    assert bench.names()[-1] == "abort_test"


def test_no_battery_is_a_setup_error():
    bench = battery_bench(present=False)

    result, _clock = run(BATTERY, bench)

    assert (result.outcome, result.code) == ("error", "no_battery")
    assert "Connect the battery" in result.message
    assert steps(result) == [("inspect", "error")]


def test_a_bench_that_stops_answering_mid_test_times_out_and_cleanup_is_quick():
    silent = BenchTimeout("no_answer", "The bench did not answer %(query)s.", query="STAT")
    bench = battery_bench(
        test_status=[Status("RUNNING", 20), silent],
        abort_test=BenchTimeout("no_answer", "no answer"),
    )

    result, _clock = run(BATTERY, bench)

    assert (result.outcome, result.code) == ("timeout", "no_answer")
    assert "Could not stop the capacity test" in result.message
    assert by_name(result)["temperature"].value == 31.5
    assert bench.timeouts["abort_test"] == 0.5  # shortened for the cleanup ...
    assert bench.link.timeout == 1.0  # ... and given back


def test_a_step_past_its_time_limit_times_out_and_the_polling_slows_down():
    bench = battery_bench(test_status=Status("RUNNING", 50))

    result, clock = run(BATTERY, bench)

    assert (result.outcome, result.code) == ("timeout", "time_limit")
    assert "capacity_test" in result.message and "6 h" in result.message
    assert clock.now == pytest.approx(6 * 3600, abs=11)
    # From every 200 ms to every 10 s: a few thousand polls in six hours, not a hundred thousand.
    assert len(bench.called("test_status")) < 6 * 360 + 20
    assert max(clock.sleeps) <= 0.2 + 1e-9  # a stop request is looked at every 200 ms
    assert "abort_test" in bench.names()


def test_a_stop_request_aborts_the_run_looked_at_no_faster_than_every_200_ms():
    clock = Clock()
    asked: list[float] = []

    def should_abort() -> bool:
        asked.append(clock.now)
        return clock.now >= 30

    bench = battery_bench(test_status=Status("RUNNING", 5))
    result = run_script(BATTERY, bench, clock=clock, sleep=clock.sleep, should_abort=should_abort)

    assert (result.outcome, result.code) == ("aborted", "aborted")
    assert 30 <= clock.now <= 30.5
    gaps = [later - earlier for earlier, later in zip(asked, asked[1:], strict=False)]
    assert min(gaps) >= POLL_MIN_S - 1e-9
    assert bench.names()[-1] == "abort_test"
    assert by_name(result)["temperature"].value == 31.5


def test_a_gauge_without_design_capacity_fails_the_battery():
    result, _clock = run(BATTERY, battery_bench(battery_info=BatteryInfo("LION", 0, 0, 3, "X")))

    assert (result.outcome, result.code) == ("fail", "no_design_capacity")


def test_callbacks_that_fail_do_not_end_the_run():
    def broken(*_args: Any) -> Any:
        raise RuntimeError("the server is away")

    result, _clock = run(BATTERY, battery_bench(), on_progress=broken, should_abort=broken)

    assert result.outcome == "pass", result.message


def test_an_unexpected_error_ends_the_run_without_raising():
    result, _clock = run(BATTERY, battery_bench(voltage=KeyError("surprise")))

    assert (result.outcome, result.code) == ("error", "internal_error")
    assert "KeyError" in result.message
    assert by_name(result)["temperature"].value == 31.5


def test_the_wrong_bench_handed_over_is_an_error_before_anything_is_sent():
    bench = psu_bench()

    result, _clock = run(BATTERY, bench)

    assert (result.outcome, result.code) == ("error", "wrong_bench")
    assert "BATT-100" in result.message and "PSU-200" in result.message
    assert bench.calls == []
    assert result.steps == [] and result.measurements == []


# -- power supplies -------------------------------------------------------------------------------


def test_a_good_supply_passes_and_is_switched_off_at_the_end():
    bench = psu_bench()

    result, _clock = run(PSU, bench)

    assert result.outcome == "pass", result.message
    assert steps(result) == [("power_on", "pass"), ("load_50", "pass"), ("load_100", "pass")]
    assert len(result.measurements) == 22
    assert by_name(result)["power_good_time"].value == 240.0
    assert bench.called("set_load") == [(50,), (100,), (0,)]
    assert bench.names()[-2:] == ["set_load", "power_off"]


def test_a_rail_out_of_limits_fails_and_full_load_is_not_tried():
    volts = {**RAIL_VOLTS, "-12V": -10.5}
    bench = psu_bench(rail_voltage=lambda rail: volts[rail])

    result, _clock = run(PSU, bench)

    assert (result.outcome, result.code) == ("fail", "out_of_limits")
    assert "load50_minus12v_voltage -10.5 V (limits: -13.2 to -10.8 V)" in result.message
    assert steps(result)[-1] == ("load_50", "fail")
    assert (100,) not in bench.called("set_load")
    assert bench.names()[-2:] == ["set_load", "power_off"]


def test_power_good_that_never_comes_fails():
    bench = psu_bench(power_good=False)

    result, clock = run(PSU, bench)

    assert result.outcome == "fail"
    values = by_name(result)
    assert values["power_good"].value == 0 and values["power_good"].outcome == "fail"
    assert values["power_good_time"].outcome == "not_measured"
    assert 1.0 <= clock.now < 2.0
    assert bench.called("power_off")


def test_over_current_at_full_load_fails_and_keeps_the_half_load_values():
    trip = error_for(202, "Over-current protection tripped", command="LOAD 100")
    bench = psu_bench(set_load=lambda percent: trip if percent == 100 else None)

    result, _clock = run(PSU, bench)

    assert (result.outcome, result.code) == ("fail", "over_current")
    values = by_name(result)
    assert values["load50_12v_voltage"].outcome == "pass"
    assert values["load100_12v_voltage"].outcome == "not_measured"
    assert steps(result) == [("power_on", "pass"), ("load_50", "pass"), ("load_100", "fail")]
    assert bench.called("set_load")[-1] == (0,) and bench.names()[-1] == "power_off"


def test_a_cable_pulled_under_load_is_an_error_and_the_cleanup_still_tries():
    lost = BenchError("disconnected", "The connection to the bench was lost.")
    bench = psu_bench(
        ripple_mv=lambda rail: lost if rail == "12V" else RAIL_RIPPLE[rail],
        set_load=lambda percent: lost if percent == 0 else None,
        power_off=lost,
    )

    result, _clock = run(PSU, bench)

    assert (result.outcome, result.code) == ("error", "disconnected")
    assert "Could not switch the load off" in result.message
    assert "Could not release PS_ON" in result.message
    values = by_name(result)
    assert values["load50_3v3_ripple"].outcome == "pass"
    assert values["load50_12v_ripple"].outcome == "not_measured"
    assert steps(result)[-1] == ("load_50", "error")


def test_a_failed_rail_then_a_lost_cable_still_fails_the_supply():
    volts = {**RAIL_VOLTS, "3V3": 2.9}
    lost = BenchError("disconnected", "The connection to the bench was lost.")
    bench = psu_bench(
        rail_voltage=lambda rail: volts[rail],
        ripple_mv=lambda rail: lost if rail == "12V" else RAIL_RIPPLE[rail],
    )

    result, _clock = run(PSU, bench)

    assert (result.outcome, result.code) == ("fail", "out_of_limits")
    assert "load50_3v3_voltage 2.9 V" in result.message and "lost" in result.message
    assert steps(result)[-1] == ("load_50", "fail")


def test_an_interrupted_caller_still_leaves_the_supply_off():
    bench = psu_bench(ripple_mv=KeyboardInterrupt())

    with pytest.raises(KeyboardInterrupt):
        run(PSU, bench)

    assert bench.called("set_load")[-1] == (0,) and bench.names()[-1] == "power_off"


# -- disks ------------------------------------------------------------------------------------------


def test_a_healthy_hard_disk_without_wear_passes():
    result, _clock = run(DISK_HEALTH, disk_bench())

    assert result.outcome == "pass", result.message
    wear = by_name(result)["wear"]
    assert (wear.value, wear.outcome, wear.required) == (None, "not_measured", False)


@pytest.mark.parametrize(
    ("smart", "failed"),
    [
        (Smart(100, 0, 1, 0, 10.0), "pending_sectors"),
        (Smart(100, 0, 0, 2, 10.0), "uncorrectable_sectors"),
        (Smart(100, 11, 0, 0, 10.0), "reallocated_sectors"),
        (Smart(100, 0, 0, 0, 90.0), "wear"),
    ],
)
def test_bad_sectors_or_wear_fail_the_disk(smart: Smart, failed: str):
    result, _clock = run(DISK_HEALTH, disk_bench(smart=smart))

    assert result.outcome == "fail"
    assert [item.name for item in result.measurements if item.outcome == "fail"] == [failed]


def test_a_worn_but_acceptable_ssd_passes():
    result, _clock = run(DISK_HEALTH, disk_bench(smart=Smart(100, 10, 0, 0, 89.0)))

    assert result.outcome == "pass", result.message


def test_no_disk_is_a_setup_error():
    result, _clock = run(DISK_HEALTH, disk_bench(present=False))

    assert (result.outcome, result.code) == ("error", "no_disk")


# -- erasure -----------------------------------------------------------------------------------------


def not_supported(method: str) -> BenchError:
    return error_for(302, "Erase method not supported", command=f"DISK:ERASE:START {method}")


def test_a_hard_disk_is_overwritten_and_the_erasure_is_a_clear():
    bench = disk_bench()

    result, _clock = run(ERASURE, bench)

    assert result.outcome == "pass", result.message
    assert bench.called("start_erase") == [("OVERWRITE",)]
    [erasure] = result.erasures
    assert (erasure.drive_serial, erasure.drive_type, erasure.capacity_bytes) == (
        "WX41A12B3C4D",
        "HDD",
        500107862016,
    )
    assert (erasure.method, erasure.nist_category) == ("OVERWRITE", "Clear")
    assert (erasure.verified, erasure.verification) == (True, "PASS,4096")
    assert result.started_at <= erasure.started_at <= erasure.ended_at
    assert by_name(result)["sectors_sampled"].value == 4096


def test_an_ssd_falls_back_to_the_next_purge_method_the_dock_allows():
    bench = disk_bench(
        disk_info=SSD,
        start_erase=lambda method: not_supported(method) if method == "CRYPTO" else None,
    )

    result, _clock = run(ERASURE, bench)

    assert result.outcome == "pass", result.message
    assert bench.called("start_erase") == [("CRYPTO",), ("SANITIZE",)]
    [erasure] = result.erasures
    assert (erasure.method, erasure.nist_category) == ("SANITIZE", "Purge")
    assert any("CRYPTO not supported" in line.text for line in result.transcript)


def test_an_ssd_the_dock_cannot_purge_is_an_error_and_nothing_is_recorded_as_erased():
    bench = disk_bench(disk_info=SSD, start_erase=not_supported)

    result, _clock = run(ERASURE, bench)

    assert (result.outcome, result.code) == ("error", "not_supported")
    assert "CRYPTO or SANITIZE" in result.message and "by hand" in result.message
    assert ("OVERWRITE",) not in bench.called("start_erase")
    assert result.erasures == []


def test_a_failed_erasure_fails_the_drive_and_is_not_recorded_as_erased():
    fault = error_for(303, "Erase failed", command="DISK:ERASE:STAT?")
    bench = disk_bench(
        erase_status=[Status("RUNNING", 40), Status("FAULT", None, 303)],
        raise_for_fault=fault_status(fault),
    )

    result, _clock = run(ERASURE, bench)

    assert (result.outcome, result.code) == ("fail", "erase_failed")
    assert result.erasures == []
    assert steps(result) == [("identify", "pass"), ("erase", "fail")]


def test_a_failed_verification_fails_and_the_erasure_says_so():
    result, _clock = run(ERASURE, disk_bench(erase_verification=(False, "FAIL,123456")))

    assert result.outcome == "fail"
    assert by_name(result)["verified"].outcome == "fail"
    [erasure] = result.erasures
    assert (erasure.verified, erasure.verification) == (False, "FAIL,123456")


def test_a_device_fault_exception_from_a_command_fails_the_run():
    fault = DeviceFault("erase_failed", "The dock could not erase the disk.", bench_code=303)

    result, _clock = run(ERASURE, disk_bench(start_erase=fault))

    assert (result.outcome, result.code) == ("fail", "erase_failed")


# -- through the simulator on a real pty --------------------------------------------------------------


@pytest.fixture
def simulator() -> Any:
    made: list[BenchSimulator] = []

    def make(model: str, **faults: Any) -> BenchSimulator:
        faults.setdefault("speed", 200_000)
        bench = BenchSimulator(model, **faults)
        made.append(bench)
        return bench

    yield make
    for bench in made:
        bench.close()


def test_a_good_battery_passes_on_the_simulator(simulator):
    bench = simulator("BATT-100")

    result = run_script(BATTERY, bench.url)

    assert result.outcome == "pass", result.message
    assert by_name(result)["health"].value == 90.0
    assert result.bench is not None and result.bench.serial == "B100-0042"
    sent = [line for line in result.transcript if line.direction == ">"]
    assert [line.text for line in sent[:2]] == ["*IDN?", "*CLS"]
    polls = [line.at for line in sent if line.text == "BATT:TEST:STAT?"]
    gaps = [
        (later - earlier).total_seconds() for earlier, later in zip(polls, polls[1:], strict=False)
    ]
    assert all(gap >= 0.19 for gap in gaps)


def test_a_worn_battery_fails_on_the_simulator(simulator):
    result = run_script(BATTERY, simulator("BATT-100", battery="worn").url)

    assert (result.outcome, result.code) == ("fail", "out_of_limits")


def test_an_overheating_battery_on_the_simulator_fails_and_the_test_is_aborted(simulator):
    bench = simulator("BATT-100", over_temperature=True, speed=20_000)

    result = run_script(BATTERY, bench.url)

    assert (result.outcome, result.code) == ("fail", "over_temperature")
    assert bench.count("BATT:TEST:ABORT") == 1


def test_a_supply_tripping_at_full_load_on_the_simulator(simulator):
    bench = simulator("PSU-200", over_current_at=100)

    result = run_script(PSU, bench.url)

    assert (result.outcome, result.code) == ("fail", "over_current")
    assert by_name(result)["load50_5v_voltage"].value == 5.04
    after = bench.commands[bench.commands.index("LOAD 100") + 1 :]
    assert [line for line in after if line != "SYST:ERR?"] == ["LOAD 0", "PSU:OFF", "*OPC?"]


def test_an_ssd_erased_on_the_simulator_after_a_refused_method(simulator):
    bench = simulator("DISK-300", disk="ssd", erase_methods=("SANITIZE",))

    result = run_script(ERASURE, bench.url)

    assert result.outcome == "pass", result.message
    assert bench.count("DISK:ERASE:START CRYPTO") == 1
    [erasure] = result.erasures
    assert (erasure.method, erasure.nist_category, erasure.drive_type) == (
        "SANITIZE",
        "Purge",
        "SSD",
    )


def test_a_cable_pulled_mid_erasure_is_an_error_without_a_hang(simulator):
    bench = simulator("DISK-300", speed=1)
    bench.when("DISK:ERASE:STAT?", nth=3, pull_cable=True)

    started = datetime.now(UTC)
    result = run_script(ERASURE, bench.url)

    assert (result.outcome, result.code) == ("error", "disconnected")
    assert (datetime.now(UTC) - started).total_seconds() < 10
    assert steps(result) == [("identify", "pass"), ("erase", "error")]
    assert result.erasures == []


def test_a_silent_bench_times_out_quickly(simulator):
    started = datetime.now(UTC)

    result = run_script(DISK_HEALTH, simulator("DISK-300", silent=True).url)

    assert (result.outcome, result.code) == ("timeout", "no_answer")
    assert (datetime.now(UTC) - started).total_seconds() < 5


def test_the_wrong_bench_on_the_port_is_named(simulator):
    result = run_script(PSU, simulator("BATT-100").url)

    assert (result.outcome, result.code) == ("error", "wrong_bench")
    assert "BATT-100" in result.message and "PSU-200" in result.message


def test_a_stop_request_on_the_simulator_aborts_the_capacity_test(simulator):
    bench = simulator("BATT-100", speed=1)

    result = run_script(
        BATTERY, bench.url, should_abort=lambda: bench.count("BATT:TEST:STAT?") >= 2
    )

    assert result.outcome == "aborted"
    assert bench.commands[-2:] == ["BATT:TEST:ABORT", "*OPC?"]
