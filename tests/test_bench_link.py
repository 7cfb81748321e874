"""The serial link to a bench, through a real pty: answers, noise, deadlines and pulled cables."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from diagnostics.benches import open_bench
from diagnostics.link import BenchError, BenchTimeout, DeviceFault, Link
from tests.bench_simulator import BenchSimulator

IDN = "ACME Bench,BATT-100,B100-0042,1.4.2"


def sent_and_received(link: Link) -> list[tuple[str, str]]:
    return [(line.direction, line.text) for line in link.transcript if line.direction != "#"]


def test_a_query_is_answered_and_the_transcript_keeps_both_ways(battery_bench: Any) -> None:
    with Link.open(battery_bench.url) as link:
        assert link.query("*IDN?") == IDN
        link.command("*CLS", check=False)
        assert link.query("batt:pres?") == "1"  # keywords are case-insensitive

    assert sent_and_received(link) == [
        (">", "*IDN?"),
        ("<", IDN),
        (">", "*CLS"),
        (">", "batt:pres?"),
        ("<", "1"),
    ]
    times = [line.at for line in link.transcript]
    assert times == sorted(times)
    assert all(at.tzinfo is not None for at in times)
    assert battery_bench.commands == ["*IDN?", "*CLS", "batt:pres?"]


def test_noise_comments_and_crlf_are_skipped_and_kept_in_the_transcript(
    bench_simulator: Callable[..., BenchSimulator],
) -> None:
    bench = bench_simulator("BATT-100", noise=True, comments=True, crlf=True)
    with Link.open(bench.url) as link:
        assert link.query("*IDN?") == IDN
        assert link.query("BATT:VOLT?") == "12.45"

    received = [text for direction, text in sent_and_received(link) if direction == "<"]
    # Every noise byte is stored, escaped; the banner and the log lines too.
    assert received[0] == "\\xff\\x8a\\x00\\xfe"
    assert received[1].endswith("# ACME Bench firmware 1.4.2 ready")
    assert "# log: *idn? received" in received
    assert received[-1] == "12.45"
    assert any(line.text == "noise skipped" for line in link.transcript)


def test_a_silent_bench_ends_in_a_timeout_well_within_the_limit(
    bench_simulator: Callable[..., BenchSimulator],
) -> None:
    bench = bench_simulator("BATT-100", silent=True)
    started = time.monotonic()
    with Link.open(bench.url, timeout=1.0) as link, pytest.raises(BenchTimeout) as caught:
        link.query("BATT:VOLT?")
    elapsed = time.monotonic() - started
    assert caught.value.code == "no_answer"
    assert "BATT:VOLT?" in caught.value.message
    # The query's second, then half a second asking SYST:ERR? why: never near 15 s.
    assert 0.9 < elapsed < 3.0
    assert any("no answer to BATT:VOLT?" in line.text for line in link.transcript)


def test_a_bench_that_stops_answering_mid_run(battery_bench: BenchSimulator) -> None:
    battery_bench.when("BATT:TEMP?", silent=True)
    with Link.open(battery_bench.url, timeout=0.3) as link:
        assert link.query("BATT:VOLT?") == "12.45"
        with pytest.raises(BenchTimeout):
            link.query("BATT:TEMP?")
        assert ("<", "12.45") in sent_and_received(link)


def test_the_cable_pulled_mid_answer_is_a_disconnect_not_a_hang(
    battery_bench: BenchSimulator,
) -> None:
    battery_bench.when("BATT:INFO?", pull_cable=True)
    started = time.monotonic()
    with Link.open(battery_bench.url, timeout=5.0) as link:
        assert link.query("BATT:VOLT?") == "12.45"
        with pytest.raises(BenchError) as caught:
            link.query("BATT:INFO?")
        assert caught.value.code == "disconnected"
        assert not isinstance(caught.value, BenchTimeout)
        # The link stays lost: every later call fails at once, cleanup included.
        with pytest.raises(BenchError) as again:
            link.command("BATT:TEST:ABORT", check=False)
        assert again.value.code == "disconnected"
        assert not link.is_open
    assert time.monotonic() - started < 2.0
    assert battery_bench.cable_pulled
    assert ("<", "12.45") in sent_and_received(link)
    assert any(line.text.startswith("disconnected") for line in link.transcript)


def test_the_cable_pulled_between_queries(battery_bench: BenchSimulator) -> None:
    with Link.open(battery_bench.url) as link:
        assert link.query("BATT:PRES?") == "1"
        battery_bench.pull_cable()
        with pytest.raises(BenchError) as caught:
            link.query("BATT:VOLT?")
    assert caught.value.code == "disconnected"


def test_an_error_queued_by_a_command_is_raised_with_its_code(
    bench_simulator: Callable[..., BenchSimulator],
) -> None:
    bench = bench_simulator("PSU-200", command_errors={"PSU:ON": (-200, "Execution error")})
    with Link.open(bench.url) as link:
        with pytest.raises(BenchError) as caught:
            link.command("PSU:ON")
        link.command("PSU:OFF")  # the queue is empty again: no error
        link.command("LOAD 150", check=False)
        with pytest.raises(BenchError) as out_of_range:
            link.check_errors(after="LOAD 150")
    assert caught.value.code == "bench_error"
    assert caught.value.bench_code == -200
    assert "PSU:ON" in caught.value.message and "Execution error" in caught.value.message
    assert out_of_range.value.bench_code == -222
    assert bench.commands[:3] == ["PSU:ON", "SYST:ERR?", "PSU:OFF"]


def test_a_device_fault_on_the_queue_is_a_device_fault(
    bench_simulator: Callable[..., BenchSimulator],
) -> None:
    bench = bench_simulator("PSU-200", over_current_at=100)
    with Link.open(bench.url) as link:
        link.command("PSU:ON")
        link.command("LOAD 50")
        with pytest.raises(DeviceFault) as caught:
            link.command("LOAD 100")
    assert (caught.value.code, caught.value.bench_code) == ("over_current", 202)


def test_a_query_the_bench_cannot_answer_says_why(
    bench_simulator: Callable[..., BenchSimulator],
) -> None:
    bench = bench_simulator("BATT-100", battery=None)
    with Link.open(bench.url, timeout=0.3) as link, pytest.raises(BenchError) as caught:
        link.query("BATT:INFO?")
    assert caught.value.code == "no_battery"
    assert not isinstance(caught.value, BenchTimeout)


def test_a_late_answer_is_not_taken_for_the_next_one(battery_bench: BenchSimulator) -> None:
    battery_bench.set(answer_delay=0.4)
    with Link.open(battery_bench.url, timeout=0.2) as link:
        with pytest.raises(BenchTimeout):
            link.query("BATT:VOLT?")
        battery_bench.set(answer_delay=0.0)
        time.sleep(1.0)  # the late answers arrive now
        assert link.query("BATT:TEMP?") == "31.5"
    assert any(line.text == "unasked line dropped" for line in link.transcript)


def test_one_query_in_flight_at_a_time(battery_bench: BenchSimulator) -> None:
    answers: dict[str, list[str]] = {"BATT:VOLT?": [], "BATT:TEMP?": []}
    with Link.open(battery_bench.url) as link:

        def ask(query: str) -> None:
            for _ in range(50):
                answers[query].append(link.query(query))

        threads = [threading.Thread(target=ask, args=(query,)) for query in answers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert answers == {"BATT:VOLT?": ["12.45"] * 50, "BATT:TEMP?": ["31.5"] * 50}


def test_the_port_is_held_exclusively(battery_bench: BenchSimulator) -> None:
    with Link.open(battery_bench.url), pytest.raises(BenchError) as caught:
        Link.open(battery_bench.url)
    assert caught.value.code == "port_unavailable"
    with Link.open(battery_bench.url) as link:  # free again once closed
        assert link.query("*OPC?") == "1"


def test_a_missing_port_cannot_be_opened() -> None:
    with pytest.raises(BenchError) as caught:
        Link.open("/dev/ttyUSB-not-plugged-in")
    assert caught.value.code == "port_unavailable"
    assert "/dev/ttyUSB-not-plugged-in" in caught.value.message


def test_a_bench_behind_a_serial_over_tcp_server() -> None:
    with BenchSimulator("DISK-300", tcp=True, noise=True, crlf=True, speed=20_000) as bench:
        assert bench.url.startswith("socket://127.0.0.1:")
        with open_bench(bench.url, "DISK-300") as disk:
            assert disk.identity.serial == "D300-0113"
            assert disk.disk_info().type == "HDD"
            bench.pull_cable()
            with pytest.raises(BenchError) as caught:
                disk.smart()
    assert caught.value.code == "disconnected"


def test_any_pyserial_url_opens() -> None:
    # loop:// answers what was sent: enough to see the URL handled like a port.
    with Link.open("loop://", timeout=0.3) as link:
        assert link.query("*IDN?") == "*IDN?"
