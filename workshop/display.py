"""Display names for stored codes (stages, categories, roles) and translated refusals."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from inventory.errors import WorkshopError
from inventory.scanning import Resolution

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
    },
}


def label_for(kind: str, code: str | None) -> str:
    """The translated name of a stored code, or the code itself when it has none."""
    if code is None:
        return ""
    return str(LABELS.get(kind, {}).get(code, code))


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
        params["what"] = ", ".join(label_for("gate", item) for item in params["missing"])
    if "field" in params:
        params["field"] = label_for("field", params["field"])
    return gettext(error.template, **params)
