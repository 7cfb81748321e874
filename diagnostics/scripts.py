"""Diagnostic scripts as data: steps, what each measures, the limits, and how long it may take.

A script names the bench model it needs and its steps; each step names the
runner's procedure that drives the bench (`action`) and lists the measurements
it takes with their default limits. An administrator can change the limits per
device category: `with_limits` applies those, and a run records what it applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from diagnostics.results import Limits

HOUR = 3600.0

# NIST SP 800-88 Rev. 1: one overwrite pass is Clear; cryptographic and block erase are Purge.
NIST_CATEGORY = {"OVERWRITE": "Clear", "CRYPTO": "Purge", "SANITIZE": "Purge"}

# The methods tried in order for each drive type; a method the dock refuses (302) tries the next.
# No OVERWRITE fallback for flash: a donated SSD leaves our hands, so it must be purged, and
# one overwrite pass does not reach the spare blocks.
ERASE_METHODS: dict[str, tuple[str, ...]] = {
    "HDD": ("OVERWRITE",),
    "SSD": ("CRYPTO", "SANITIZE"),
    "NVME": ("CRYPTO", "SANITIZE"),
}

# The ATX rails as the PSU-200 names them, and the name part our measurements use.
RAILS = {"3V3": "3v3", "5V": "5v", "12V": "12v", "-12V": "minus12v", "5VSB": "5vsb"}


@dataclass(frozen=True)
class MeasurementSpec:
    """One value a step takes: its name, unit, default limits and whether it decides the run."""

    name: str
    unit: str
    limits: Limits = Limits()
    required: bool = True
    # Some drives do not report every value (wear on a spinning disk): when the bench says it
    # is not available the value is not held against the device; when reported, it counts.
    when_reported: bool = False


@dataclass(frozen=True)
class Step:
    """One step of a script: what the runner does, what it measures, and its time limit."""

    name: str
    time_limit_s: float
    measurements: tuple[MeasurementSpec, ...] = ()
    action: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    # Long operations are polled from every 200 ms, slowing down to this.
    poll_max_s: float = 5.0


@dataclass(frozen=True)
class Script:
    """A diagnostic script: the bench it needs and its steps, in order."""

    name: str
    bench_model: str
    steps: tuple[Step, ...]
    description: str = ""


def measurement_specs(script: Script) -> list[MeasurementSpec]:
    """Every measurement the script takes, in order."""
    return [spec for step in script.steps for spec in step.measurements]


def default_limits(script: Script) -> dict[str, Limits]:
    """The limits of each measurement of the script, by measurement name."""
    return {spec.name: spec.limits for spec in measurement_specs(script)}


def with_limits(script: Script, overrides: Mapping[str, Limits]) -> Script:
    """The script with some measurements' limits replaced (an administrator's, per category)."""
    known = default_limits(script)
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise ValueError(
            f"The script {script.name} has no measurement named {', '.join(unknown)}; "
            f"it measures {', '.join(known)}."
        )
    steps = tuple(
        replace(
            step,
            measurements=tuple(
                replace(spec, limits=overrides.get(spec.name, spec.limits))
                for spec in step.measurements
            ),
        )
        for step in script.steps
    )
    return replace(script, steps=steps)


def _within(nominal: float, tolerance: float) -> Limits:
    """Nominal volts plus or minus a fraction, rounded to millivolts."""
    ends = sorted((round(nominal * (1 - tolerance), 3), round(nominal * (1 + tolerance), 3)))
    return Limits(ends[0], ends[1])


_RAIL_VOLTAGE = {
    "3V3": _within(3.3, 0.05),
    "5V": _within(5.0, 0.05),
    "12V": _within(12.0, 0.05),
    "-12V": _within(-12.0, 0.10),
    "5VSB": _within(5.0, 0.05),
}
_RAIL_RIPPLE_MV = {"3V3": 50.0, "5V": 50.0, "12V": 120.0, "-12V": 120.0, "5VSB": 50.0}


def rail_measurement(percent: int, rail: str, quantity: str) -> str:
    """The name of a rail's `voltage` or `ripple` under a load: load50_3v3_voltage."""
    return f"load{percent}_{RAILS[rail]}_{quantity}"


def rail_measurements(script: Script) -> dict[str, tuple[int, str, str]]:
    """The script's measurements of rails under load, by name: (percent, rail, quantity)."""
    found = {}
    for step in script.steps:
        if step.action == "psu_load":
            percent = int(step.params["percent"])
            for rail in RAILS:
                for quantity in ("voltage", "ripple"):
                    found[rail_measurement(percent, rail, quantity)] = (percent, rail, quantity)
    return found


def longest_run_s(script: Script) -> float:
    """The longest a run of the script can last: every step up to its time limit."""
    return sum(step.time_limit_s for step in script.steps)


def _load_step(percent: int) -> Step:
    specs: list[MeasurementSpec] = []
    for rail in RAILS:
        specs.append(
            MeasurementSpec(rail_measurement(percent, rail, "voltage"), "V", _RAIL_VOLTAGE[rail])
        )
        specs.append(
            MeasurementSpec(
                rail_measurement(percent, rail, "ripple"), "mV", Limits(None, _RAIL_RIPPLE_MV[rail])
            )
        )
    return Step(
        f"load_{percent}",
        time_limit_s=60,
        measurements=tuple(specs),
        action="psu_load",
        params={"percent": percent, "settle_s": 0.5},
    )


BATTERY = Script(
    name="battery",
    bench_model="BATT-100",
    description="Laptop battery: temperature, then a full charge and discharge to measure "
    "its capacity against the design capacity and its internal resistance.",
    steps=(
        Step(
            "inspect",
            time_limit_s=30,
            action="battery_inspect",
            measurements=(
                MeasurementSpec("temperature", "C", Limits(None, 45.0)),
                MeasurementSpec("voltage", "V", required=False),
                MeasurementSpec("design_capacity", "mWh", required=False),
                MeasurementSpec("full_charge_capacity", "mWh", required=False),
                MeasurementSpec("cycles", "cycles", required=False),
            ),
        ),
        Step(
            "capacity_test",
            # A full charge then a discharge at 0.5 C: about two hours each way on a
            # healthy pack; a worn pack is quicker, so six hours means the bench is stuck.
            time_limit_s=6 * HOUR,
            action="battery_capacity_test",
            params={"rate": 0.5},
            poll_max_s=10.0,
            measurements=(
                MeasurementSpec("health", "%", Limits(70.0, None)),
                MeasurementSpec("internal_resistance", "mOhm", Limits(None, 250.0)),
                MeasurementSpec("measured_capacity", "mWh", required=False),
            ),
        ),
    ),
)

PSU = Script(
    name="psu",
    bench_model="PSU-200",
    description="ATX power supply: power-good timing, then every rail's voltage and ripple "
    "under 50 % and 100 % load.",
    steps=(
        Step(
            "power_on",
            time_limit_s=15,
            action="psu_power_on",
            params={"power_good_wait_s": 1.0},
            measurements=(
                MeasurementSpec("power_good", "", Limits(1.0, 1.0)),
                MeasurementSpec("power_good_time", "ms", Limits(100.0, 500.0)),
            ),
        ),
        _load_step(50),
        _load_step(100),
    ),
)

DISK_HEALTH = Script(
    name="disk-health",
    bench_model="DISK-300",
    description="Storage drive: SMART counters of bad sectors and, where reported, wear.",
    steps=(
        Step(
            "smart",
            time_limit_s=60,
            action="disk_smart",
            measurements=(
                MeasurementSpec("pending_sectors", "sectors", Limits(None, 0.0)),
                MeasurementSpec("uncorrectable_sectors", "sectors", Limits(None, 0.0)),
                MeasurementSpec("reallocated_sectors", "sectors", Limits(None, 10.0)),
                # Wear is reported in whole percent, so "under 90 %" is at most 89.
                MeasurementSpec("wear", "%", Limits(None, 89.0), when_reported=True),
                MeasurementSpec("power_on_hours", "h", required=False),
            ),
        ),
    ),
)

ERASURE = Script(
    name="erasure",
    bench_model="DISK-300",
    description="Storage drive: erase it (one overwrite pass for a hard disk, cryptographic or "
    "block erase for flash), then verify a sample of sectors.",
    steps=(
        Step("identify", time_limit_s=30, action="disk_identify"),
        Step(
            "erase",
            # One pass over a large hard disk at about 150 MB/s takes most of a day.
            time_limit_s=30 * HOUR,
            action="disk_erase",
            params={"methods": ERASE_METHODS},
            poll_max_s=10.0,
        ),
        Step(
            "verify",
            time_limit_s=120,
            action="disk_verify",
            measurements=(
                MeasurementSpec("verified", "", Limits(1.0, 1.0)),
                MeasurementSpec("sectors_sampled", "sectors", required=False),
            ),
        ),
    ),
)

SCRIPTS: dict[str, Script] = {
    script.name: script for script in (BATTERY, PSU, DISK_HEALTH, ERASURE)
}
