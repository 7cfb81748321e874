"""Display names for stored codes (stages, categories, roles) and translated refusals."""

from __future__ import annotations

import re
from typing import Any

from flask import g, has_request_context, request
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from inventory.errors import N_, WorkshopError
from inventory.models import CheckItem, Device
from inventory.scanning import Resolution
from workshop.database import db
from workshop.diagnostics_labels import MEASUREMENT_LABELS, STEP_LABELS, UNIT_LABELS

LABELS = {
    "stage": {
        "received": _l("Received"),
        "triage": _l("Triage"),
        "erasure": _l("Erasure"),
        "diagnostics": _l("Diagnostics"),
        "repair": _l("Repair"),
        "qc": _l("Quality control"),
        "ready": _l("Ready for sale"),
        "sold": _l("Sold"),
        "recycled": _l("Recycled"),
        "returned": _l("Returned"),
    },
    "category": {
        "laptop": _l("Laptop"),
        "desktop": _l("Desktop"),
        "monitor": _l("Monitor"),
        "phone": _l("Phone"),
        "tablet": _l("Tablet"),
        "printer": _l("Printer"),
        "server": _l("Server"),
        "network": _l("Network equipment"),
        "peripheral": _l("Peripheral"),
        "other": _l("Other"),
    },
    "role": {
        "technician": _l("Technician"),
        "warehouse": _l("Warehouse"),
        "manager": _l("Manager"),
        "hr": _l("Human resources"),
        "admin": _l("Administrator"),
    },
    "spec": {
        "cpu": _l("Processor"),
        "ram_gb": _l("Memory (GB)"),
        "storage": _l("Storage"),
        "storage_gb": _l("Storage (GB)"),
        "screen_in": _l("Screen (inches)"),
        "size_in": _l("Screen size (inches)"),
        "resolution": _l("Resolution"),
    },
    "field": {
        "serial_number": _l("Serial number"),
        "category": _l("Category"),
        "make": _l("Make"),
        "model": _l("Model"),
        "weight_kg": _l("Weight (kg)"),
        "lot": _l("Lot"),
        "grade": _l("Grade"),
        "note": _l("Note"),
        "location": _l("Location"),
        "name": _l("Name"),
        "kind": _l("Kind"),
        "reason": _l("Reason"),
        "price": _l("Price"),
        "customer": _l("Customer"),
        "channel": _l("Channel"),
        "to": _l("Stage"),
        "stage": _l("Stage"),
        "code": _l("Code"),
        "username": _l("Username"),
        "password": _l("Password"),
        "role": _l("Role"),
    },
    "event": {
        "intake": _l("Received"),
        "stage_change": _l("Stage changed"),
        "graded": _l("Graded"),
        "lot_opened": _l("Lot opened"),
        "put_away": _l("Put away"),
        "location_created": _l("Location created"),
        "user_deactivated": _l("User deactivated"),
        "user_reactivated": _l("User reactivated"),
        "assigned": _l("Assigned"),
        "claimed": _l("Taken by scanning"),
        "reassigned": _l("Reassigned"),
        "released": _l("Released"),
        "finished": _l("Assignment finished"),
        "checks": _l("Checks answered"),
        "check_item_added": _l("Check added to a list"),
        "check_item_changed": _l("Check changed"),
        "check_item_retired": _l("Check retired"),
        "check_item_restored": _l("Check restored"),
        "badge_issued": _l("Badge issued"),
        "pin_set": _l("PIN set"),
        "badge_locked": _l("Badge locked after wrong PINs"),
        "diagnostic_started": _l("Bench test started"),
        "diagnostic_run": _l("Bench test"),
        "erasure": _l("Drive erased"),
        "drive_destroyed": _l("Drive destroyed"),
        "no_storage": _l("Recorded as having no storage"),
        "diagnostic_limits_changed": _l("Test limits changed"),
        "bench_job_requested": _l("Bench test asked of a station"),
        "bench_job_cancelled": _l("Bench test cancelled"),
        "import": _l("Spreadsheet imported"),
        "label_printed": _l("Label printed"),
        "certificate_issued": _l("Erasure certificate issued"),
        "station_printer_set": _l("Station printer set"),
        "station_printer_removed": _l("Station printer removed"),
        "repair": _l("Repair"),
        "harvest": _l("Parts harvested"),
        "parts_received": _l("Parts received"),
        "repair_code_added": _l("Fault or repair action added"),
        "repair_code_changed": _l("Fault or repair action changed"),
        "repair_code_retired": _l("Fault or repair action retired"),
        "repair_code_restored": _l("Fault or repair action offered again"),
    },
    "script": {
        "battery": _l("Battery"),
        "psu": _l("Power supply"),
        "disk-health": _l("Disk health"),
        "erasure": _l("Disk erasure"),
    },
    # A run's outcome, said so that a fail (the device) and an error (the bench) differ.
    "run_outcome": {
        "pass": _l("Passed"),
        "fail": _l("Failed: the device is faulty"),
        "error": _l("Error: the test setup failed"),
        "timeout": _l("Error: the bench did not answer"),
        "aborted": _l("Stopped before the end"),
    },
    # How a drive that could not be erased was destroyed (inventory.models.DESTRUCTIONS).
    "destruction": {
        "shredded": _l("Shredded"),
        "crushed": _l("Crushed"),
        "drilled": _l("Drilled through"),
        "disintegrated": _l("Disintegrated"),
        "incinerated": _l("Incinerated"),
    },
    # What the benches measure, and the steps of their scripts (workshop/diagnostics_labels.py).
    "measurement": MEASUREMENT_LABELS,
    "unit": UNIT_LABELS,
    "step": STEP_LABELS,
    "measurement_outcome": {
        "pass": _l("within limits"),
        "fail": _l("OUT OF LIMITS"),
        "not_measured": _l("not measured"),
    },
    "identifier": {
        "serial": _l("Serial number"),
        "battery_serial": _l("Battery serial"),
        "disk_serial": _l("Disk serial"),
        "imei": _l("IMEI"),
    },
    "grade": {
        "A": _l("A: hardly any signs of use"),
        "B": _l("B: light signs of use"),
        "C": _l("C: visible wear"),
    },
    "recycle_reason": {
        "beyond_repair": _l("Beyond repair"),
        "obsolete": _l("Obsolete"),
        "missing_parts": _l("Missing parts"),
        "liquid_damage": _l("Liquid damage"),
        "no_demand": _l("No demand"),
        "other": _l("Other reason"),
    },
    "channel": {
        "shop": _l("Shop"),
        "b2b": _l("Business customer"),
        "online": _l("Online"),
        "donation": _l("Donation"),
    },
    "sale_status": {
        "open": _l("In progress"),
        "completed": _l("Completed"),
        "cancelled": _l("Cancelled"),
    },
    "location_kind": {
        "shelf": _l("Shelf"),
        "bin": _l("Bin"),
        "pallet": _l("Pallet"),
        "area": _l("Area"),
    },
    # What a gate reports as missing, said as the thing to provide.
    "gate": {
        "grade": _l("a grade"),
        "an erasure record for every drive, or the device marked as having no storage": _l(
            "an erasure record for every drive, or the device marked as having no storage"
        ),
    },
}


# The manual checks' gates (inventory/checks.py) say what is missing in English,
# naming the checks by code; these say it in the reader's language, with labels.
_CHECK_GATES = (
    (
        re.compile(r"answers to the checks \((?P<codes>[a-z0-9_, ]+)\)"),
        N_("answers to the checks (%(checks)s)"),
    ),
    (
        re.compile(r"a pass on the failed checks \((?P<codes>[a-z0-9_, ]+)\)"),
        N_("a pass on the failed checks (%(checks)s)"),
    ),
    # After a repair (inventory/repairs.py): the checks it touched, answered again.
    (
        re.compile(r"answers again after the repair \((?P<codes>[a-z0-9_, ]+)\)"),
        N_("answers again after the repair (%(checks)s)"),
    ),
)


# The diagnostics' gate (diagnostics/records.py) names the script by its code.
_RUN_GATE = re.compile(r"a passing (?P<script>[a-z-]+) run")


def page_language() -> str | None:
    """The language of the page being made (fr, en), as Flask-Babel chose it."""
    locale = get_locale()
    return locale.language if locale is not None else None


def label_for(kind: str, code: str | None) -> str:
    """The translated name of a stored code, or the code itself when it has none."""
    if code is None:
        return ""
    if kind == "gate":
        return gate_label(code)
    name = LABELS.get(kind, {}).get(code)
    if name is None:
        return code
    if not has_request_context():
        return str(name)
    # A board or a list names the same few codes hundreds of times: translate each once
    # per request and language (a document may be drawn in the donor's language).
    cache = g.setdefault("labels", {})
    key = (str(get_locale()), kind, code)
    if key not in cache:
        cache[key] = str(name)
    return cache[key]


def gate_label(item: str, asset_tag: str | None = None) -> str:
    """What a gate reports as missing for a device, translated; checks named by their labels."""
    for pattern, template in _CHECK_GATES:
        found = pattern.fullmatch(item)
        if found:
            codes = found.group("codes").split(", ")
            if asset_tag is None and has_request_context():
                # Pages that show gates are a device's pages, named in their address.
                asset_tag = (request.view_args or {}).get("asset_tag")
            labels = _check_labels(codes, _category_of(asset_tag))
            names = ", ".join(labels.get(code, code) for code in codes)
            return gettext(template, checks=names)
    found = _RUN_GATE.fullmatch(item)
    if found:
        script = label_for("script", found.group("script"))
        return gettext("a passing %(script)s bench test", script=script)
    return str(LABELS["gate"].get(item, item))


def _check_labels(codes: list[str], category: str | None) -> dict[str, str]:
    """The checks' labels in the reader's language, by code."""
    if not has_request_context():
        return {}
    query = select(CheckItem).where(CheckItem.code.in_(codes))
    if category is not None:
        query = query.where(CheckItem.category == category)
    locale = get_locale()
    language = locale.language if locale is not None else None
    # Without the category, a code whose label differs between categories stays a code.
    labels: dict[str, set[str]] = {}
    for item in db().scalars(query):
        labels.setdefault(item.code, set()).add(item.label(language))
    return {code: names.pop() for code, names in labels.items() if len(names) == 1}


def _category_of(asset_tag: Any) -> str | None:
    if not isinstance(asset_tag, str) or not has_request_context():
        return None
    return db().scalar(select(Device.category).where(Device.asset_tag == asset_tag))


# Details that hold stage codes, shown by their translated names in messages.
_STAGE_DETAILS = ("stage", "to", "expected_stage")


def error_text(error: WorkshopError | Resolution) -> str:
    """A refusal from inventory/, translated into the interface's language."""
    if isinstance(error, Resolution):
        return gettext(error.template, code=error.code) if error.template else ""
    params: dict[str, Any] = dict(error.details)
    for key in _STAGE_DETAILS:
        if key in params:
            params[key] = label_for("stage", params[key])
    if "allowed" in params and "moves" in params:
        names = [label_for("stage", stage) for stage in params["allowed"]]
        params["moves"] = ", ".join(names) if names else gettext("none")
    if "missing" in params and "what" in params:
        tag = params.get("asset_tag")
        params["what"] = ", ".join(gate_label(item, tag) for item in params["missing"])
    if "field" in params:
        params["field"] = label_for("field", params["field"])
    doing = params.get("doing")
    if isinstance(doing, str):
        # The part of the sentence the service chose (diagnostics/records.py `_check_open`).
        params["doing"] = gettext(doing)
    return gettext(error.template, **params)
