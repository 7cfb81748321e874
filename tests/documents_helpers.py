"""Devices with their erasures, as the documents' tests need them, and PDF text read back."""

from __future__ import annotations

import subprocess
from typing import Any

from sqlalchemy.orm import Session

from diagnostics import records
from diagnostics.results import Measurement
from inventory import grading
from inventory.accounts import User
from inventory.checks import answer_every_check
from inventory.intake import receive_device
from inventory.lots import open_lot
from inventory.models import Device, Lot
from inventory.stages import move_to_stage
from tests.conftest import passing_result

TO_QC = ("triage", "erasure", "diagnostics", "qc")
BATTERY = [
    Measurement("capacity", "health", 87.5, "%", 70.0, None, True, "pass"),
    Measurement("capacity", "internal_resistance", 120.0, "mOhm", None, 250.0, True, "pass"),
    Measurement("info", "cycles", 312.0, "cycles", None, None, False, "pass"),
]
# The second drive of the test laptop, erased by another tool, by hand.
SSD = {
    "drive_model": "Samsung PM981",
    "drive_serial": "S4DYNX0M123456",
    "capacity_bytes": 256_060_514_304,
    "drive_type": "NVME",
    "method": "CRYPTO",
    "tool": "ShredOS nwipe 0.34",
    "log": "nwipe: Samsung PM981 S4DYNX0M123456: crypto erase, verified",
    "verification": "read back 4096 sectors: zero",
}


def make_lot(session: Session, code: str = "L-2024-07", donor: str = "Mairie d’Évreux") -> Lot:
    """A donor's lot, with accents and an apostrophe in the donor's name."""
    return open_lot(session, code, donor=donor, reference="Don « 118 »", entered_by=None)


def at_qc(
    session: Session,
    serial: str,
    *,
    user: User | None = None,
    lot: str | None = None,
    category: str = "laptop",
    weight_kg: Any = "1.48",
) -> Device:
    """A device received and brought to quality control, its checks all passed."""
    device = receive_device(
        session,
        serial_number=serial,
        category=category,
        make="HP",
        model="EliteBook 840 G5",
        lot=lot,
        weight_kg=weight_kg,
        specs={"cpu": "Intel Core i5-8350U", "ram_gb": 16},
        entered_by=user,
    ).device
    for stage in TO_QC:
        move_to_stage(session, device, stage, entered_by=user)
    answer_every_check(session, device, entered_by=user)
    return device


def erase_and_test(session: Session, device: Device, *, user: User | None = None) -> None:
    """Every bench script the category asks passed (a drive overwritten), a battery measured,
    and a second drive erased by hand with a cryptographic erase."""
    for script in records.required_scripts(device.category):
        result = passing_result(script)
        if script == "battery":
            result.measurements = list(BATTERY)
        records.record_run(session, device, result, operator=user, station="bench-1")
    records.record_manual_erasure(session, device, **SSD, entered_by=user)


def ready_laptop(
    session: Session,
    serial: str = "5CG8251ABC",
    *,
    user: User | None = None,
    lot: str | None = None,
) -> Device:
    """A laptop graded B from a scratch on its lid, tested, both drives erased, ready for sale."""
    device = at_qc(session, serial, user=user, lot=lot)
    grading.record_defects(session, device, ["lid_scratch"], entered_by=user)
    erase_and_test(session, device, user=user)
    move_to_stage(session, device, "ready", entered_by=user)
    return device


def fail_battery(session: Session, device: Device) -> None:
    """The battery tested again after `ready`, and failed: the device no longer meets it."""
    result = passing_result("battery")
    result.outcome, result.code = "fail", "out_of_limits"
    result.measurements = [Measurement("capacity", "health", 52.0, "%", 70.0, None, True, "fail")]
    records.record_run(session, device, result, operator=None)


def pdf_text(data: bytes) -> str:
    """The text of a PDF as poppler's pdftotext reads it, blanks made single spaces."""
    assert data.startswith(b"%PDF-"), data[:20]
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode("utf-8")
    return " ".join(out.split())


def page_count(data: bytes) -> int:
    """How many pages poppler counts in a PDF."""
    out = subprocess.run(
        ["pdfinfo", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return int(next(line.split()[1] for line in out.splitlines() if line.startswith("Pages:")))
