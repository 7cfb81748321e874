"""Run a diagnostic script on a bench: an outcome per measurement, per step and for the run.

`pass` when every step completed and every required measurement was within its
limits; `fail` when the device is faulty (a measurement out of limits, a fault
the bench reports); `error` or `timeout` when the test setup failed; `aborted`
when someone stopped it. Bench trouble never escapes as an exception: it ends
the run with a code and a sentence, keeps what was measured before, and the
bench is put back in a safe state (test aborted, load off, PS_ON released).

The sentences are English templates filled from details (diagnostics/messages.py),
so that a page can say a stored message again in its reader's language.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import serial

from diagnostics import benches, messages
from diagnostics.link import N_, BenchError, BenchTimeout, DeviceFault, error_for
from diagnostics.results import Erasure, Limits, Measurement, Outcome, RunResult, StepResult
from diagnostics.scripts import (
    NIST_CATEGORY,
    RAILS,
    MeasurementSpec,
    Script,
    Step,
    rail_measurement,
    with_limits,
)

log = logging.getLogger(__name__)

# The protocol: a host polls no faster than every 200 ms; so is a stop request looked at.
POLL_MIN_S = 0.2
# After a fault, each cleanup command gets this long: the bench may be gone.
CLEANUP_TIMEOUT_S = 0.5

ProgressCallback = Callable[[str, int | None, str], None]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Aborted(Exception):
    """Someone asked the run to stop."""


class TimeLimitExceeded(Exception):
    """A step ran past its time limit."""

    def __init__(self, step: Step) -> None:
        self.step = step
        super().__init__(step.name)


class DeviceProblem(Exception):
    """The runner itself found the device faulty (the bench reported nothing wrong)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _number(value: float) -> str:
    return f"{value:g}"


def _limits_text(spec: MeasurementSpec) -> str:
    limits = spec.limits
    unit = f" {spec.unit}" if spec.unit else ""
    if limits.low is not None and limits.high is not None:
        if limits.low == limits.high:
            return f"{_number(limits.low)}{unit}"
        return messages.LIMITS_RANGE % {
            "low": _number(limits.low),
            "high": f"{_number(limits.high)}{unit}",
        }
    if limits.low is not None:
        return messages.LIMITS_AT_LEAST % {"value": f"{_number(limits.low)}{unit}"}
    if limits.high is not None:
        return messages.LIMITS_AT_MOST % {"value": f"{_number(limits.high)}{unit}"}
    return messages.ANY_VALUE


class _Run:
    """One run in progress: the script, the bench, what was measured and what to undo."""

    def __init__(
        self,
        script: Script,
        result: RunResult,
        *,
        on_progress: ProgressCallback | None,
        should_abort: Callable[[], bool] | None,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        now: Callable[[], datetime],
    ) -> None:
        self.script = script
        self.result = result
        self.on_progress = on_progress
        self.should_abort = should_abort
        self.clock = clock
        self.sleep = sleep
        self.now = now
        self.bench: Any = None
        self.step: Step | None = None
        self.step_started = 0.0
        self.last_abort_check: float | None = None
        self.specs: dict[str, MeasurementSpec] = {}
        self.taken: set[str] = set()
        self.failures: list[str] = []
        # What the cleanup must undo, and what later steps need from earlier ones.
        self.battery_test_running = False
        self.psu_powered = False
        self.disk: Any = None
        self.erase_method = ""
        self.erase_started: datetime | None = None
        self.design_mwh = 0.0
        self.failed_before = 0

    # -- pacing, stopping and progress ----------------------------------------------------------

    def check(self) -> None:
        """Stop when asked to (looked at no more often than every 200 ms) or past the time limit."""
        now = self.clock()
        if self.should_abort is not None and (
            self.last_abort_check is None or now - self.last_abort_check >= POLL_MIN_S
        ):
            self.last_abort_check = now
            try:
                stop = self.should_abort()
            except Exception:
                # Whoever asks may be unreachable for a moment; the test goes on.
                log.exception("should_abort failed; the run goes on")
                stop = False
            if stop:
                raise Aborted()
        if self.step is not None and now - self.step_started > self.step.time_limit_s:
            raise TimeLimitExceeded(self.step)

    def wait(self, seconds: float) -> None:
        """Let time pass, still answering a stop request and the step's time limit."""
        end = self.clock() + seconds
        while True:
            self.check()
            left = end - self.clock()
            if left <= 0:
                return
            self.sleep(min(POLL_MIN_S, left))

    def progress(self, percent: int | None, message: str) -> None:
        if self.on_progress is None or self.step is None:
            return
        try:
            self.on_progress(self.step.name, percent, message)
        except Exception:
            # Progress is for people watching; losing one report must not end a test.
            log.exception("on_progress failed; the run goes on")

    def poll(self, status: Callable[[], Any], what: str, query: str, doing: str) -> None:
        """Wait for a long operation to end: polled from every 200 ms, slowing down gently.

        `what` names it in the progress reports, `doing` in the message when the bench
        gives it up by itself (one of messages.PHRASES).
        """
        delay = POLL_MIN_S
        assert self.step is not None
        while True:
            self.check()
            answer = status()
            state = str(answer.state).upper()
            if state == "DONE":
                self.progress(100, f"{what}: done")
                return
            if state == "FAULT":
                # The driver reads the bench's error queue and raises what the fault means.
                self.bench.raise_for_fault(answer)
                raise error_for(answer.fault or 0, "", command=query)
            if state == "IDLE":
                raise BenchError("bench_error", messages.BENCH_STOPPED, what=doing)
            self.progress(answer.percent, f"{what}: {answer.percent or 0} %")
            self.wait(delay)
            delay = min(delay * 2, max(POLL_MIN_S, self.step.poll_max_s))

    # -- measurements ---------------------------------------------------------------------------

    def measure(self, name: str, value: float) -> None:
        """Record a value against its limits."""
        assert self.step is not None
        spec = self.specs[name]
        value = float(value)
        outcome = "pass" if spec.limits.accepts(value) else "fail"
        self.taken.add(name)
        self.result.measurements.append(
            Measurement(
                step=self.step.name,
                name=name,
                value=value,
                unit=spec.unit,
                low=spec.limits.low,
                high=spec.limits.high,
                required=spec.required,
                outcome=outcome,
            )
        )
        if outcome == "fail" and spec.required:
            unit = f" {spec.unit}" if spec.unit else ""
            self.failures.append(
                messages.FAILURE
                % {"name": name, "value": f"{_number(value)}{unit}", "limits": _limits_text(spec)}
            )
        self.check()

    def not_reported(self, name: str) -> None:
        """The bench cannot give this value; where the script allows it, it does not count."""
        assert self.step is not None
        spec = self.specs[name]
        self.taken.add(name)
        self.result.measurements.append(
            Measurement(
                step=self.step.name,
                name=name,
                value=None,
                unit=spec.unit,
                low=spec.limits.low,
                high=spec.limits.high,
                required=spec.required and not spec.when_reported,
                outcome="not_measured",
            )
        )

    def _not_measured(self, step: Step) -> None:
        """The step's values a fault kept from being taken, listed as such."""
        for spec in step.measurements:
            if spec.name not in self.taken:
                self.taken.add(spec.name)
                self.result.measurements.append(
                    Measurement(
                        step=step.name,
                        name=spec.name,
                        value=None,
                        unit=spec.unit,
                        low=spec.limits.low,
                        high=spec.limits.high,
                        required=spec.required,
                        outcome="not_measured",
                    )
                )

    # -- the steps ------------------------------------------------------------------------------

    def run_steps(self) -> None:
        for step in self.script.steps:
            self.step = step
            self.step_started = self.clock()
            self.specs = {spec.name: spec for spec in step.measurements}
            self.failed_before = len(self.failures)
            self.check()
            self.progress(0, f"{step.name.replace('_', ' ')}: starting")
            ACTIONS[step.action or step.name](self, step)
            self._not_measured(step)
            if len(self.failures) > self.failed_before:
                self.result.steps.append(
                    StepResult(step.name, "fail", "out_of_limits", self._failure_message())
                )
                # A faulty device is not pushed further (a hot battery is not charged).
                return
            self.result.steps.append(StepResult(step.name, "pass"))
        self.step = None

    def _failure_message(self) -> str:
        return messages.OUT_OF_LIMITS % {"failures": messages.FAILURE_SEPARATOR.join(self.failures)}

    def _failed_then(self, message: str) -> str:
        """The measurements out of limits, then what ended the run."""
        return f"{self._failure_message()} {messages.THEN % {'message': message}}"

    # -- cleanup ----------------------------------------------------------------------------------

    def cleanup(self) -> list[str]:
        """Leave the bench safe; the problems met doing so, as sentences."""
        if self.bench is None:
            return []
        undo: list[tuple[str, Callable[[], Any]]] = []
        if self.battery_test_running:
            undo.append((messages.STOP_CAPACITY_TEST, self.bench.abort_test))
        if self.psu_powered:
            undo.append((messages.SWITCH_LOAD_OFF, lambda: self.bench.set_load(0)))
            undo.append((messages.RELEASE_PS_ON, self.bench.power_off))
        if not undo:
            return []
        link = getattr(self.bench, "link", None)
        timeout = getattr(link, "timeout", None)
        if link is not None and timeout is not None:
            link.timeout = min(timeout, CLEANUP_TIMEOUT_S)
        problems = []
        try:
            for what, action in undo:
                try:
                    action()
                except Exception as error:  # each undo is tried whatever the one before did
                    message = getattr(error, "message", str(error))
                    problems.append(messages.COULD_NOT % {"what": what, "message": message})
                    log.warning("cleanup: could not %s: %s", what, message)
            if link is not None and len(problems) < len(undo):
                # Unchecked commands are only written: *OPC? makes sure the bench took them
                # before the port is closed under them.
                try:
                    link.query("*OPC?")
                except Exception:
                    log.warning("cleanup: the bench did not confirm (*OPC?)")
        finally:
            if link is not None and timeout is not None:
                link.timeout = timeout
        self.battery_test_running = self.psu_powered = False
        return problems


# -- what each step does --------------------------------------------------------------------


def _battery_inspect(run: _Run, step: Step) -> None:
    bench = run.bench
    if not bench.present():
        raise BenchError(
            "no_battery",
            N_(
                "No battery is connected to the battery bench. Connect the battery and start again."
            ),
        )
    info = bench.battery_info()
    run.design_mwh = float(info.design_mwh)
    run.measure("temperature", bench.temperature())
    run.measure("voltage", bench.voltage())
    run.measure("design_capacity", info.design_mwh)
    run.measure("full_charge_capacity", info.full_mwh)
    run.measure("cycles", info.cycles)


def _battery_capacity_test(run: _Run, step: Step) -> None:
    bench = run.bench
    # Marked before the command: if the answer is lost, the cleanup still stops the test.
    run.battery_test_running = True
    bench.start_capacity_test(float(step.params["rate"]))
    run.poll(bench.test_status, "Capacity test", "BATT:TEST:STAT?", messages.CAPACITY_TEST)
    run.battery_test_running = False
    measured_mwh, resistance_mohm = bench.test_results()
    run.measure("measured_capacity", measured_mwh)
    design = run.design_mwh
    if design <= 0:
        raise DeviceProblem("no_design_capacity", messages.NO_DESIGN_CAPACITY)
    run.measure("health", round(measured_mwh / design * 100, 1))
    run.measure("internal_resistance", resistance_mohm)


def _psu_power_on(run: _Run, step: Step) -> None:
    bench = run.bench
    if not bench.present():
        raise BenchError(
            "no_supply",
            N_(
                "No power supply is connected to the PSU bench. Connect the supply and start again."
            ),
        )
    run.psu_powered = True
    bench.power_on()
    # The bench times power-good itself; we only wait long enough for it to come.
    end = run.clock() + float(step.params.get("power_good_wait_s", 1.0))
    good = bench.power_good()
    while not good and run.clock() < end:
        run.wait(POLL_MIN_S)
        good = bench.power_good()
    run.measure("power_good", 1.0 if good else 0.0)
    if good:
        run.measure("power_good_time", bench.power_good_ms())


def _psu_load(run: _Run, step: Step) -> None:
    bench = run.bench
    percent = int(step.params["percent"])
    bench.set_load(percent)
    run.wait(float(step.params.get("settle_s", 0.5)))
    for rail in RAILS:
        run.measure(rail_measurement(percent, rail, "voltage"), bench.rail_voltage(rail))
        run.measure(rail_measurement(percent, rail, "ripple"), bench.ripple_mv(rail))


def _present_disk(run: _Run) -> None:
    if not run.bench.present():
        raise BenchError(
            "no_disk", N_("No disk is in the storage dock. Insert the disk and start again.")
        )


def _disk_smart(run: _Run, step: Step) -> None:
    bench = run.bench
    _present_disk(run)
    smart = bench.smart()
    run.measure("pending_sectors", smart.pending)
    run.measure("uncorrectable_sectors", smart.uncorrectable)
    run.measure("reallocated_sectors", smart.reallocated)
    if smart.wear is None:
        run.not_reported("wear")
    else:
        run.measure("wear", smart.wear)
    run.measure("power_on_hours", smart.power_on_hours)


def _disk_identify(run: _Run, step: Step) -> None:
    _present_disk(run)
    run.disk = run.bench.disk_info()
    run.progress(100, f"{run.disk.model} {run.disk.serial} ({run.disk.type})")


def _disk_erase(run: _Run, step: Step) -> None:
    bench = run.bench
    kind = str(run.disk.type).upper()
    methods: tuple[str, ...] = tuple(step.params["methods"].get(kind, ()))
    if not methods:
        raise BenchError("not_supported", messages.DRIVE_TYPE_UNKNOWN, type=kind)
    for method in methods:
        run.check()
        started = run.now()
        try:
            bench.start_erase(method)
        except BenchError as error:
            if error.code != "not_supported":
                raise
            # The drive refuses this method: the next one on the list may do.
            bench.link.note(f"{method} not supported by the drive; trying the next method")
            continue
        run.erase_method, run.erase_started = method, started
        break
    else:
        raise BenchError(
            "not_supported",
            messages.NO_ERASE_METHOD,
            type=kind,
            methods=_either(methods),
        )
    run.poll(bench.erase_status, f"Erasing ({method})", "DISK:ERASE:STAT?", messages.ERASURE)


def _either(choices: tuple[str, ...]) -> str:
    """A or B or C, said with messages.METHODS_OR so that a page can say it again."""
    said = choices[-1]
    for choice in reversed(choices[:-1]):
        said = messages.METHODS_OR % {"some": choice, "other": said}
    return said


def _disk_verify(run: _Run, step: Step) -> None:
    passed, answer = run.bench.erase_verification()
    disk = run.disk
    run.result.erasures.append(
        Erasure(
            drive_model=disk.model,
            drive_serial=disk.serial,
            capacity_bytes=int(disk.capacity_bytes),
            drive_type=str(disk.type).upper(),
            method=run.erase_method,
            nist_category=NIST_CATEGORY[run.erase_method],
            verified=bool(passed),
            verification=answer,
            started_at=run.erase_started or run.now(),
            ended_at=run.now(),
        )
    )
    run.measure("verified", 1.0 if passed else 0.0)
    parts = answer.split(",")
    if passed and len(parts) > 1 and parts[1].strip().isdigit():
        run.measure("sectors_sampled", int(parts[1]))


ACTIONS: dict[str, Callable[[_Run, Step], None]] = {
    "battery_inspect": _battery_inspect,
    "battery_capacity_test": _battery_capacity_test,
    "psu_power_on": _psu_power_on,
    "psu_load": _psu_load,
    "disk_smart": _disk_smart,
    "disk_identify": _disk_identify,
    "disk_erase": _disk_erase,
    "disk_verify": _disk_verify,
}


# -- the run --------------------------------------------------------------------------------


def _ended_by(error: BaseException) -> tuple[Outcome, str, str]:
    """The outcome, code and message of a run ended by this exception."""
    if isinstance(error, Aborted):
        return "aborted", "aborted", messages.STOPPED
    if isinstance(error, TimeLimitExceeded):
        step = error.step
        return (
            "timeout",
            "time_limit",
            messages.TIME_LIMIT % {"step": step.name, "duration": _duration(step.time_limit_s)},
        )
    if isinstance(error, DeviceFault | DeviceProblem):
        return "fail", error.code, error.message
    if isinstance(error, BenchTimeout):
        return "timeout", error.code, error.message
    if isinstance(error, BenchError):
        return "error", error.code, error.message
    if isinstance(error, serial.SerialException | OSError):
        return "error", "disconnected", messages.DISCONNECTED % {"error": error}
    return (
        "error",
        "internal_error",
        messages.INTERNAL_ERROR % {"error": f"{type(error).__name__}: {error}"},
    )


def run_script(
    script: Script,
    url_or_bench: Any,
    *,
    limits: Mapping[str, Limits] | None = None,
    on_progress: ProgressCallback | None = None,
    should_abort: Callable[[], bool] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_start: Callable[[RunResult], Any] | None = None,
    now: Callable[[], datetime] = _utcnow,
    link_options: Mapping[str, Any] | None = None,
) -> RunResult:
    """Run a script on the bench at a pyserial URL (or on an open driver) and say how it went.

    `limits` replace the script's defaults by measurement name (names the script does not
    have are ignored). `on_start` gets the run as it stands before the first byte is sent
    (outcome `aborted`, no end): stored then, a killed process leaves an aborted run.
    """
    if limits:
        known = {spec.name for step in script.steps for spec in step.measurements}
        script = with_limits(script, {name: item for name, item in limits.items() if name in known})
    result = RunResult(
        script=script.name,
        outcome="aborted",
        code="interrupted",
        message=messages.INTERRUPTED,
        started_at=now(),
        ended_at=None,
    )
    if on_start is not None:
        on_start(replace(result))
    run = _Run(
        script,
        result,
        on_progress=on_progress,
        should_abort=should_abort,
        clock=clock,
        sleep=sleep,
        now=now,
    )
    owned = isinstance(url_or_bench, str)
    ended: BaseException | None = None
    problems: list[str] = []
    try:
        try:
            if owned:
                run.bench = benches.open_bench(
                    url_or_bench, script.bench_model, **dict(link_options or {})
                )
            else:
                run.bench = url_or_bench
            result.bench = run.bench.identity
            if result.bench.model.upper() != script.bench_model.upper():
                raise BenchError(
                    "wrong_bench",
                    messages.WRONG_BENCH,
                    script=script.name,
                    expected=script.bench_model,
                    found=result.bench.model,
                )
            run.run_steps()
        except Exception as error:  # bench trouble of any kind ends the run, never the caller
            ended = error
            expected = BenchError | DeviceFault | DeviceProblem | Aborted | TimeLimitExceeded
            if not isinstance(error, expected):
                log.exception("run of %s ended by an unexpected error", script.name)
            step = run.step
            if step is not None:
                outcome, code, message = _ended_by(error)
                if len(run.failures) > run.failed_before and outcome != "fail":
                    outcome, code = "fail", "out_of_limits"
                    message = run._failed_then(message)
                run._not_measured(step)
                result.steps.append(StepResult(step.name, outcome, code, message))
            transcript = getattr(error, "transcript", None)
            if run.bench is None and transcript:
                result.transcript = list(transcript)
    finally:
        # Also when the caller is interrupted (Ctrl+C): the supply is never left on under load.
        problems = run.cleanup()
        if run.bench is not None:
            link = getattr(run.bench, "link", None)
            if owned:
                try:
                    run.bench.close()
                except Exception:
                    log.exception("closing the bench failed")
            if link is not None:
                result.transcript = list(link.transcript)
    _conclude(result, run, ended, problems)
    result.ended_at = now()
    return result


def _conclude(
    result: RunResult, run: _Run, ended: BaseException | None, problems: list[str]
) -> None:
    """The run's outcome: a device found faulty outweighs a setup that failed afterwards."""
    if ended is None and not run.failures:
        result.outcome, result.code, result.message = "pass", "", messages.PASSED
    elif ended is None:
        result.outcome, result.code = "fail", "out_of_limits"
        result.message = run._failure_message()
    else:
        outcome, code, message = _ended_by(ended)
        if run.failures and outcome != "fail":
            outcome, code = "fail", "out_of_limits"
            message = run._failed_then(message)
        result.outcome, result.code, result.message = outcome, code, message
    if problems:
        result.message = " ".join([result.message, *problems])
