"""The names of the benches' measurements and steps, by code, for display.py's LABELS.

Runs store measurements and steps by the codes diagnostics/scripts.py gives them
(`health`, `load50_3v3_voltage`, `capacity_test`); these are their names in the
reader's language. A code a bench sends that no script defines has none: it is
shown as it is.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from diagnostics.scripts import PSU, SCRIPTS, rail_measurements

# The ATX rails as the PSU-200 names them (diagnostics/scripts.py's RAILS), as people say them.
RAIL_NAMES: dict[str, Any] = {
    "3V3": _l("+3.3 V"),
    "5V": "+5 V",
    "12V": "+12 V",
    "-12V": "−12 V",
    "5VSB": _l("+5 V standby"),
}

_NAMED: dict[str, Any] = {
    # Battery
    "temperature": _l("Battery temperature"),
    "voltage": _l("Battery voltage"),
    "design_capacity": _l("Battery design capacity"),
    "full_charge_capacity": _l("Battery full charge capacity"),
    "cycles": _l("Battery charge cycles"),
    "health": _l("Battery health"),
    "internal_resistance": _l("Battery internal resistance"),
    "measured_capacity": _l("Battery measured capacity"),
    # Power supply (the rails under load are named below)
    "power_good": _l("Power good signal"),
    "power_good_time": _l("Power good delay"),
    # Disk health
    "pending_sectors": _l("Pending sectors"),
    "uncorrectable_sectors": _l("Uncorrectable sectors"),
    "reallocated_sectors": _l("Reallocated sectors"),
    "wear": _l("Drive wear"),
    "power_on_hours": _l("Drive power-on hours"),
    # Erasure
    "verified": _l("Erasure verified"),
    "sectors_sampled": _l("Sectors read back after erasure"),
}


def _rail_label(percent: int, rail: str, quantity: str) -> Any:
    if quantity == "voltage":
        return _l(
            "%(rail)s rail voltage at %(percent)s %% load", rail=RAIL_NAMES[rail], percent=percent
        )
    return _l("%(rail)s rail ripple at %(percent)s %% load", rail=RAIL_NAMES[rail], percent=percent)


MEASUREMENT_LABELS: dict[str, Any] = {
    **_NAMED,
    **{
        name: _rail_label(percent, rail, quantity)
        for name, (percent, rail, quantity) in rail_measurements(PSU).items()
    },
}

# Steps are named inside sentences ("The step capacity test did not finish..."): lower case.
_STEPS: dict[str, Any] = {
    "inspect": _l("inspection"),
    "capacity_test": _l("capacity test"),
    "power_on": _l("power on"),
    "smart": _l("SMART counters"),
    "identify": _l("drive identification"),
    "erase": _l("erasure"),
    "verify": _l("verification"),
}


def _step_label(step: Any) -> Any:
    if step.action == "psu_load":
        return _l("load at %(percent)s %%", percent=step.params["percent"])
    return _STEPS.get(step.name, step.name)


STEP_LABELS: dict[str, Any] = {
    step.name: _step_label(step) for script in SCRIPTS.values() for step in script.steps
}

# The units the scripts give their measurements, as a reader writes them.
UNIT_LABELS: dict[str, Any] = {
    "C": "°C",
    "mOhm": "mΩ",
    "sectors": _l("sectors"),
    "cycles": _l("cycles"),
}
