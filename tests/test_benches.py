"""The three bench drivers against simulated benches on real ptys, healthy and faulty."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from diagnostics.benches import (
    BatteryBench,
    BatteryInfo,
    DiskBench,
    DiskInfo,
    PsuBench,
    Smart,
    Status,
    identify,
    open_bench,
)
from diagnostics.link import BenchError, BenchTimeout, DeviceFault
from diagnostics.results import BenchIdentity
from tests.bench_simulator import BenchSimulator

Make = Callable[..., BenchSimulator]


def until_over(status: Callable[[], Status], seconds: float = 5.0) -> list[Status]:
    """Poll a long operation until it is no longer RUNNING; every status seen."""
    seen = [status()]
    deadline = time.monotonic() + seconds
    while seen[-1].state == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.02)
        seen.append(status())
    return seen


# -- identity -------------------------------------------------------------------------------------


def test_identify_names_the_bench(psu_bench: BenchSimulator) -> None:
    assert identify(psu_bench.url) == BenchIdentity("ACME Bench", "PSU-200", "P200-0007", "1.4.2")


def test_the_wrong_bench_is_refused_before_anything_is_switched_on(psu_bench: Any) -> None:
    with pytest.raises(BenchError) as caught:
        open_bench(psu_bench.url, "BATT-100")
    error = caught.value
    assert error.code == "wrong_bench"
    assert "PSU-200" in error.message and "BATT-100" in error.message
    assert (error.details["expected"], error.details["found"]) == ("BATT-100", "PSU-200")
    assert psu_bench.commands == ["*IDN?"]


def test_an_identity_that_is_not_one_is_garbage(bench_simulator: Make) -> None:
    bench = bench_simulator("BATT-100", idn="HELLO")
    with pytest.raises(BenchError) as caught:
        open_bench(bench.url, "BATT-100")
    assert caught.value.code == "garbage"


def test_opening_clears_the_error_queue_and_the_bench_self_tests(battery_bench: Any) -> None:
    battery_bench.set(self_test=0)
    with open_bench(battery_bench.url, "batt-100") as bench:
        assert isinstance(bench, BatteryBench)
        assert bench.self_test() == 0
        bench.reset()
        assert bench.link.query("*OPC?") == "1"
    assert battery_bench.commands == ["*IDN?", "*CLS", "*TST?", "*RST", "*OPC?"]


# -- BATT-100 -------------------------------------------------------------------------------------


def test_a_good_battery_through_its_capacity_test(battery_bench: BenchSimulator) -> None:
    battery_bench.set(speed=18_000)  # about 0.6 s, so that progress shows
    with open_bench(battery_bench.url, "BATT-100") as bench:
        assert bench.present()
        assert bench.battery_info() == BatteryInfo("LION", 56000, 52100, 212, "5B10K90802")
        assert bench.voltage() == 12.45
        assert bench.temperature() == 31.5
        assert bench.test_status() == Status("IDLE")
        bench.start_capacity_test(0.5)
        seen = until_over(bench.test_status)
        assert bench.test_results() == (50400.0, 142.0)
    running = [status.percent for status in seen if status.state == "RUNNING"]
    assert running and running == sorted(running) and 0 <= running[0] < 100
    assert seen[-1] == Status("DONE", 100)
    assert "BATT:TEST:START 0.5" in battery_bench.commands


def test_a_worn_battery(bench_simulator: Make) -> None:
    bench = bench_simulator("BATT-100", battery="worn")
    with open_bench(bench.url, "BATT-100") as battery:
        info = battery.battery_info()
        battery.start_capacity_test(1.0)
        until_over(battery.test_status)
        measured, resistance = battery.test_results()
    assert info.full_mwh / info.design_mwh < 0.7
    assert measured / info.design_mwh < 0.7 and resistance > 250


def test_no_battery(bench_simulator: Make) -> None:
    bench = bench_simulator("BATT-100", battery=None)
    with open_bench(bench.url, "BATT-100") as battery:
        assert battery.present() is False
        with pytest.raises(BenchError) as caught:
            battery.start_capacity_test(0.5)
    assert (caught.value.code, caught.value.bench_code) == ("no_battery", 101)


@pytest.mark.parametrize(
    ("fault", "code", "bench_code"),
    [("over_temperature", "over_temperature", 102), ("cell_imbalance", "cell_imbalance", 103)],
)
def test_a_battery_that_faults_in_the_test(
    bench_simulator: Make, fault: str, code: str, bench_code: int
) -> None:
    bench = bench_simulator("BATT-100", **{fault: True})
    with open_bench(bench.url, "BATT-100") as battery:
        battery.start_capacity_test(0.5)
        last = until_over(battery.test_status)[-1]
        assert last == Status("FAULT", None, bench_code)
        with pytest.raises(DeviceFault) as caught:
            battery.raise_for_fault(last)
        if fault == "over_temperature":
            assert battery.temperature() > 45
        battery.abort_test()
        assert battery.test_status() == Status("IDLE")
    assert (caught.value.code, caught.value.bench_code) == (code, bench_code)


def test_a_rate_out_of_range_is_a_bench_error(battery_bench: BenchSimulator) -> None:
    with open_bench(battery_bench.url, "BATT-100") as battery, pytest.raises(BenchError) as caught:
        battery.start_capacity_test(2.0)
    assert (caught.value.code, caught.value.bench_code) == ("bench_error", -222)


def test_results_before_the_end_are_refused(battery_bench: BenchSimulator) -> None:
    battery_bench.set(speed=1.0)
    with open_bench(battery_bench.url, "BATT-100", timeout=0.3) as battery:
        battery.start_capacity_test(0.5)
        assert battery.test_status().state == "RUNNING"
        with pytest.raises(BenchError) as caught:
            battery.test_results()
    assert caught.value.bench_code == -200


def test_a_non_numeric_answer_is_garbage_naming_query_and_answer(bench_simulator: Make) -> None:
    bench = bench_simulator("BATT-100", garbage="BATT:VOLT?")
    with open_bench(bench.url, "BATT-100") as battery:
        assert battery.temperature() == 31.5
        with pytest.raises(BenchError) as caught:
            battery.voltage()
    assert caught.value.code == "garbage"
    assert "BATT:VOLT?" in caught.value.message and "ERR:OVLD" in caught.value.message


@pytest.mark.parametrize(
    ("answers", "call"),
    [
        ({"BATT:TEST:STAT?": "BUSY"}, "test_status"),
        ({"BATT:TEST:STAT?": "RUNNING,150"}, "test_status"),
        ({"BATT:INFO?": "LION,56000,41230"}, "battery_info"),
        ({"BATT:PRES?": "yes"}, "present"),
    ],
)
def test_answers_of_the_wrong_shape_are_garbage(
    bench_simulator: Make, answers: dict[str, str], call: str
) -> None:
    bench = bench_simulator("BATT-100", answers=answers)
    with open_bench(bench.url, "BATT-100") as battery, pytest.raises(BenchError) as caught:
        getattr(battery, call)()
    assert caught.value.code == "garbage"


def test_a_battery_bench_that_goes_silent_mid_test(battery_bench: BenchSimulator) -> None:
    battery_bench.set(speed=100)
    battery_bench.when("BATT:TEST:STAT?", nth=2, silent=True)
    started = time.monotonic()
    with open_bench(battery_bench.url, "BATT-100") as battery:
        volts = battery.voltage()
        battery.start_capacity_test(0.5)
        assert battery.test_status().state == "RUNNING"
        with pytest.raises(BenchTimeout):
            battery.test_status()
    assert volts == 12.45
    assert time.monotonic() - started < 5


def test_the_cable_pulled_mid_test_keeps_what_was_read(battery_bench: BenchSimulator) -> None:
    battery_bench.set(speed=100)
    battery_bench.when("BATT:TEST:STAT?", nth=2, pull_cable=True)
    with open_bench(battery_bench.url, "BATT-100") as battery:
        info = battery.battery_info()
        battery.start_capacity_test(0.5)
        battery.test_status()
        with pytest.raises(BenchError) as caught:
            battery.test_status()
        with pytest.raises(BenchError):
            battery.abort_test()  # cleanup fails at once, it does not hang
    assert caught.value.code == "disconnected"
    assert info.design_mwh == 56000
    texts = [line.text for line in battery.link.transcript]
    assert "LION,56000,52100,212,5B10K90802" in texts


# -- PSU-200 --------------------------------------------------------------------------------------


def test_a_healthy_supply_under_load(psu_bench: BenchSimulator) -> None:
    with open_bench(psu_bench.url, "PSU-200") as psu:
        assert isinstance(psu, PsuBench)
        assert psu.present()
        assert psu.rail_voltage("12V") == 0.0  # off: only standby is live
        assert psu.rail_voltage("5VSB") == 5.02
        psu.power_on()
        assert psu.power_good()
        assert psu.power_good_ms() == 240
        readings = {}
        for percent in (50, 100):
            psu.set_load(percent)
            assert psu.load() == percent
            readings[percent] = {
                rail: (psu.rail_voltage(rail), psu.ripple_mv(rail))
                for rail in ("3V3", "5V", "12V", "-12V", "5vsb")
            }
        psu.set_load(0)
        psu.power_off()
        assert not psu.power_good()
    assert readings[100]["12V"] == (12.08, 38.0)
    assert readings[50]["-12V"] == (-11.92, 30.0)


def test_a_supply_out_of_limits(bench_simulator: Make) -> None:
    bench = bench_simulator(
        "PSU-200",
        rails={"3V3": 3.05},
        rails_full_load={"12V": 11.21},
        ripple={"12V": 180.0},
        pg_ms=720,
    )
    with open_bench(bench.url, "PSU-200") as psu:
        psu.power_on()
        slow = psu.power_good_ms()
        psu.set_load(50)
        half = (psu.rail_voltage("3V3"), psu.rail_voltage("12V"), psu.ripple_mv("12V"))
        psu.set_load(100)
        full = psu.rail_voltage("12V")
    assert slow == 720
    assert half == (3.05, 12.08, 180.0)
    assert full == 11.21


def test_power_good_that_never_comes(bench_simulator: Make) -> None:
    bench = bench_simulator("PSU-200", power_good=False)
    with open_bench(bench.url, "PSU-200") as psu:
        psu.power_on()
        assert psu.power_good() is False
        assert psu.power_good_ms() == 0


def test_over_current_trips_the_supply(bench_simulator: Make) -> None:
    bench = bench_simulator("PSU-200", over_current_at=100)
    with open_bench(bench.url, "PSU-200") as psu:
        psu.power_on()
        psu.set_load(50)
        with pytest.raises(DeviceFault) as caught:
            psu.set_load(100)
        assert not psu.power_good()
    assert (caught.value.code, caught.value.bench_code) == ("over_current", 202)


def test_no_supply(bench_simulator: Make) -> None:
    bench = bench_simulator("PSU-200", supply=False)
    with open_bench(bench.url, "PSU-200") as psu:
        assert psu.present() is False
        with pytest.raises(BenchError) as caught:
            psu.power_on()
    assert caught.value.code == "no_supply"


def test_psu_arguments_are_checked(psu_bench: BenchSimulator) -> None:
    with open_bench(psu_bench.url, "PSU-200") as psu:
        with pytest.raises(ValueError):
            psu.rail_voltage("24V")
        with pytest.raises(BenchError) as caught:
            psu.set_load(120)
    assert caught.value.bench_code == -222


# -- DISK-300 -------------------------------------------------------------------------------------


def test_a_healthy_disk_and_its_smart(disk_bench: BenchSimulator) -> None:
    with open_bench(disk_bench.url, "DISK-300") as dock:
        assert isinstance(dock, DiskBench)
        assert dock.present()
        assert dock.disk_info() == DiskInfo(
            "WDC WD5000LPLX-00ZNTT0", "WX41A12B3C4D", 500107862016, "HDD"
        )
        assert dock.smart() == Smart(12034, 0, 0, 0, None)
        disk_bench.set(disk="ssd", smart={"PENDING": 8, "REALLOC": 24, "WEAR": 93})
        assert dock.disk_info().type == "SSD"
        assert dock.smart() == Smart(12034, 24, 8, 0, 93.0)


def test_an_erasure_that_succeeds(disk_bench: BenchSimulator) -> None:
    with open_bench(disk_bench.url, "DISK-300") as dock:
        dock.start_erase("overwrite")
        assert until_over(dock.erase_status)[-1] == Status("DONE", 100)
        assert dock.erase_verification() == (True, "PASS,4096")


def test_an_erasure_that_fails(bench_simulator: Make) -> None:
    # The fault comes 0.3 s in: at full test speed it could land before the start's own
    # error check had read the queue, on a busy machine, and read as a refused start.
    bench = bench_simulator("DISK-300", disk="nvme", erase_fails=True, speed=10)
    with open_bench(bench.url, "DISK-300") as dock:
        dock.start_erase("CRYPTO")
        last = until_over(dock.erase_status)[-1]
        with pytest.raises(DeviceFault) as caught:
            dock.raise_for_fault(last)
    assert last == Status("FAULT", None, 303)
    assert (caught.value.code, caught.value.bench_code) == ("erase_failed", 303)


def test_an_erasure_whose_verification_fails(bench_simulator: Make) -> None:
    bench = bench_simulator("DISK-300", disk="ssd", verify_fails=True)
    with open_bench(bench.url, "DISK-300") as dock:
        dock.start_erase("SANITIZE")
        until_over(dock.erase_status)
        assert dock.erase_verification() == (False, "FAIL,123456")


def test_an_erase_method_the_disk_does_not_support(disk_bench: BenchSimulator) -> None:
    with open_bench(disk_bench.url, "DISK-300") as dock:
        with pytest.raises(BenchError) as caught:
            dock.start_erase("CRYPTO")  # an HDD: overwrite only
        assert dock.erase_status() == Status("IDLE")
        with pytest.raises(ValueError):
            dock.start_erase("SHRED")
    assert (caught.value.code, caught.value.bench_code) == ("not_supported", 302)


def test_no_disk(bench_simulator: Make) -> None:
    bench = bench_simulator("DISK-300", disk=None)
    with open_bench(bench.url, "DISK-300", timeout=0.3) as dock:
        assert dock.present() is False
        with pytest.raises(BenchError) as caught:
            dock.disk_info()
    assert caught.value.code == "no_disk"


def test_a_smart_answer_of_the_wrong_shape_is_garbage(bench_simulator: Make) -> None:
    bench = bench_simulator("DISK-300", answers={"DISK:SMART?": "POH=1,REALLOC=x,PENDING=0"})
    with open_bench(bench.url, "DISK-300") as dock, pytest.raises(BenchError) as caught:
        dock.smart()
    assert caught.value.code == "garbage"
