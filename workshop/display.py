"""Display names for the codes stored in the database (stages, categories, roles)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
    "event": {
        "intake": _l("Received"),
        "stage_change": _l("Stage changed"),
        "graded": _l("Graded"),
        "lot_opened": _l("Lot opened"),
    },
}


def label_for(kind: str, code: str | None) -> str:
    """The translated name of a stored code, or the code itself when it has none."""
    if code is None:
        return ""
    return str(LABELS.get(kind, {}).get(code, code))
