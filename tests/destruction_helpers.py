"""A laptop whose dying drive the benches saw, and the destroyed-drive calls the OpenAPI test
sends to cover every answer the endpoint documents."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from diagnostics import records
from diagnostics.results import RunResult, TranscriptLine
from inventory.accounts import User
from inventory.checks import answer_every_check
from inventory.intake import receive_device
from inventory.models import Device
from inventory.stages import move_to_stage, set_grade
from tests.conftest import passing_result

API = "/api/v1"
TO_QC = ("triage", "erasure", "diagnostics", "qc")
# The dying hard disk the benches saw: DISK:INFO? answers model, serial, bytes, type.
DYING = {
    "model": "WDC WD5000LPLX",
    "serial": "WX-DYING-01",
    "capacity_bytes": 500_107_862_016,
    "type": "HDD",
}
A_DESTRUCTION = {
    "drive_serial": "WX-API-TYPED",
    "drive_model": "Seagate ST500LM030",
    "capacity_bytes": 500_107_862_016,
    "drive_type": "HDD",
    "destruction": "shredded",
    "replaced": False,
    "reference": "DESTRUKT-2026-118",
}
BODY_EXAMPLES = {("/devices/{asset_tag}/destroyed-drives", "post"): A_DESTRUCTION}


def seeing(result: RunResult, drive: dict[str, Any]) -> RunResult:
    """The result with the bench's answer to DISK:INFO? naming the drive."""
    at = result.started_at
    line = f"{drive['model']},{drive['serial']},{drive['capacity_bytes']},{drive['type']}"
    result.transcript = [TranscriptLine(at, ">", "DISK:INFO?"), TranscriptLine(at, "<", line)]
    return result


def failed_on(script: str, drive: dict[str, Any]) -> RunResult:
    """A disk-health or erasure run that failed on the drive (it is dying), having seen it."""
    result = seeing(passing_result(script), drive)
    result.outcome, result.code, result.message = "fail", "smart_failing", "The drive is dying."
    result.erasures = []
    return result


def laptop_with_dying_drive(
    session: Session, serial: str = "PF1DYING", user: User | None = None
) -> Device:
    """A laptop in quality control, graded, its checks and battery passed, whose only drive
    failed the disk-health and erasure runs: only its storage holds it back."""
    device = receive_device(
        session, serial_number=serial, category="laptop", make="Lenovo", model="T480",
        entered_by=user,
    ).device  # fmt: skip
    for stage in TO_QC:
        move_to_stage(session, device, stage, entered_by=user)
    set_grade(session, device, "B", entered_by=user)
    answer_every_check(session, device, entered_by=user)
    records.record_run(session, device, passing_result("battery"), operator=user)
    for script in ("disk-health", "erasure"):
        records.record_run(session, device, failed_on(script, DYING), operator=user)
    return device


def exercise_destruction_api(call: Any, bearer: Any) -> dict[str, Any]:
    """Send every answer the destroyed-drive endpoint documents but 503."""
    boss = bearer("manager", "dora")
    tech = bearer("technician", "dan")
    hr = bearer("hr", "hugo")
    tag = call(
        "POST",
        f"{API}/devices",
        boss,
        json={"serial_number": "PF1OADES", "category": "laptop", "make": "HP", "model": "840"},
    ).get_json()["asset_tag"]
    url = f"{API}/devices/{tag}/destroyed-drives"
    call("POST", url, tech, json=A_DESTRUCTION)
    call("POST", url, tech, json=A_DESTRUCTION)
    call("POST", url, tech, json=A_DESTRUCTION | {"destruction": "hammered"})
    call("POST", f"{API}/devices/A0000042X/destroyed-drives", tech, json=A_DESTRUCTION)
    call("POST", url, json=A_DESTRUCTION)
    call("POST", url, hr, json=A_DESTRUCTION)
    call("POST", url, tech, data=b"x=1", content_type="application/x-www-form-urlencoded")
    call("POST", url, tech, data=b"{" + b" " * 70_000 + b"}", content_type="application/json")
    return {"url": url, "tech": tech}


def exercise_destruction_api_busy(call: Any, calls: dict[str, Any]) -> None:
    """The 503 of the destroyed-drive endpoint, with the database unreachable."""
    call("POST", calls["url"], calls["tech"], json=A_DESTRUCTION)
