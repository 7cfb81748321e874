"""Shared steps of the repair and parts tests: the seeded lists, a laptop in repair, a donor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from inventory import parts as stock
from inventory import repairs
from inventory.accounts import User
from inventory.intake import receive_device
from inventory.models import Device
from inventory.recycling import recycle
from inventory.stages import move_to_stage
from tests.conftest import enter_ready

MODEL = "ThinkPad T480"
BATTERY = "01AV452"
TO_REPAIR = ("triage", "erasure", "diagnostics", "repair")


@pytest.fixture(autouse=True)
def _repair_lists(sessions):
    """The migration seeds the lists; PostgreSQL tests start from a truncation, so seed again."""
    with sessions() as session:
        repairs.seed_default_codes(session)
        stock.seed_default_kinds(session)
        session.commit()


def laptop(session: Session, serial: str, user: User | None, model: str = MODEL) -> Device:
    """A laptop just received."""
    return receive_device(
        session,
        serial_number=serial,
        category="laptop",
        make="Lenovo",
        model=model,
        weight_kg="2.1",
        entered_by=user,
    ).device


def in_repair(session: Session, serial: str, user: User | None, model: str = MODEL) -> Device:
    """A laptop moved along to the repair stage."""
    device = laptop(session, serial, user, model)
    for stage in TO_REPAIR:
        move_to_stage(session, device, stage, entered_by=user)
    return device


def recycled(session: Session, serial: str, user: User | None, model: str = MODEL) -> Device:
    """A laptop that could not be saved: recycled, ready to give its parts."""
    device = laptop(session, serial, user, model)
    recycle(session, device, reason="beyond_repair", entered_by=user)
    return device


def harvested_battery(
    session: Session, serial: str, user: User | None, location: str | None = None
) -> Any:
    """A battery taken out of a recycled T480, fitting the T480; the part."""
    donor = recycled(session, serial, user)
    [part] = stock.harvest(
        session,
        donor,
        [{"kind": "battery", "reference": BATTERY, "location": location, "fits": [MODEL]}],
        by=user,
    )
    return part


def bought(
    session: Session,
    user: User | None,
    *,
    kind: str = "battery",
    reference: str = BATTERY,
    quantity: int = 1,
    location: str | None = None,
    cost: str = "39.90",
    fits: tuple[str, ...] = (MODEL,),
) -> list[Any]:
    """Parts bought from a supplier, fitting the T480 by default."""
    return stock.receive_parts(
        session,
        {"kind": kind, "reference": reference, "location": location, "fits": list(fits)},
        quantity=quantity,
        supplier="Pièces Pro",
        unit_cost=cost,
        by=user,
    )


# -- what tests/test_api_openapi.py sends to the repair and part endpoints ----------------------

API = "/api/v1"
A_LAPTOP = {"category": "laptop", "make": "Lenovo", "model": MODEL, "weight_kg": 2.1}
A_HARVEST = {"parts": [{"kind": "battery", "reference": BATTERY, "fits": [MODEL]}]}
A_DELIVERY = {"kind": "ssd", "reference": "M.2 2280", "supplier": "X", "unit_cost": "30"}
A_REPAIR = {"fault": "hinge", "action": "replaced"}
# One valid body per endpoint, for the check of required and unknown members.
BODY_EXAMPLES = {
    ("/devices/{asset_tag}/repairs", "post"): A_REPAIR | {"minutes": 5, "parts": []},
    ("/devices/{asset_tag}/harvest", "post"): A_HARVEST,
    ("/parts", "post"): A_DELIVERY | {"quantity": 1, "fits": [MODEL]},
}


def exercise_repair_api(app: Any, call: Any, bearer: Any) -> dict[str, Any]:
    """Send every answer the repair and part endpoints document but 503; what the busy calls need."""
    # PostgreSQL tests start from a truncation: the lists the migration seeded are gone.
    with app.extensions["workshop.sessions"]() as session:
        repairs.seed_default_codes(session)
        stock.seed_default_kinds(session)
        session.commit()
    boss = bearer("manager", "rita")
    tech = bearer("technician", "remy")
    hr = bearer("hr", "rose")

    def new_laptop(serial: str) -> str:
        answer = call("POST", f"{API}/devices", boss, json=A_LAPTOP | {"serial_number": serial})
        return answer.get_json()["asset_tag"]

    fixing, donor = new_laptop("PF1OAREP"), new_laptop("PF1OADON")
    for stage in TO_REPAIR:
        call("POST", f"{API}/devices/{fixing}/transitions", tech, json={"to": stage})
    call("POST", f"{API}/devices/{donor}/transitions", tech, json={"to": "recycled", "reason": "x"})
    urls = {
        "repairs": f"{API}/devices/{fixing}/repairs",
        "harvest": f"{API}/devices/{donor}/harvest",
        "parts": f"{API}/parts",
    }
    [part] = call("POST", urls["harvest"], tech, json=A_HARVEST).get_json()["items"]
    call("POST", f"{API}/devices/{fixing}/harvest", tech, json=A_HARVEST)
    call("POST", f"{API}/devices/A0000042X/harvest", tech, json=A_HARVEST)
    call("GET", f"{API}/parts?fits={MODEL}&kind=battery", tech)
    call("GET", f"{API}/parts?kind=battery", tech)
    call("POST", urls["parts"], boss, json=A_DELIVERY | {"fits": [MODEL]})
    used = A_REPAIR | {"parts": [part["code"]], "minutes": 12}
    call("POST", urls["repairs"], tech, json=used)
    call("POST", urls["repairs"], tech, json=used)
    call("POST", f"{API}/devices/A0000042X/repairs", tech, json=A_REPAIR)
    bodies = {urls["repairs"]: A_REPAIR, urls["harvest"]: A_HARVEST, urls["parts"]: A_DELIVERY}
    for url, body in bodies.items():
        call("POST", url, json=body)
        call("POST", url, hr, json=body)
        call("POST", url, boss, json=body | {"extra": 1})
        call("POST", url, boss, data=b"x=1", content_type="application/x-www-form-urlencoded")
        call("POST", url, boss, data=b"{" + b" " * 70_000 + b"}", content_type="application/json")
    call("GET", f"{API}/parts?fits={MODEL}")
    call("GET", f"{API}/parts?fits={MODEL}", hr)
    return {"headers": boss, "bodies": bodies}


def exercise_repair_api_busy(call: Any, sent: dict[str, Any]) -> None:
    """While the database cannot be reached: every repair and part endpoint answers 503."""
    for url, body in sent["bodies"].items():
        call("POST", url, sent["headers"], json=body)
    call("GET", f"{API}/parts?fits={MODEL}", sent["headers"])


# -- a year of repairs, dated, for the figures and the impact report ----------------------------


def at(month: int, day: int, year: int = 2025) -> datetime:
    """Ten in the morning, UTC, on that day."""
    return datetime(year, month, day, 10, 0, tzinfo=UTC)


def received(session: Session, serial: str, when: datetime) -> Device:
    """A T480 received at `when`."""
    return receive_device(
        session,
        serial_number=serial,
        category="laptop",
        make="Lenovo",
        model=MODEL,
        weight_kg="2",
        entered_by=None,
        occurred_at=when,
    ).device


def to_repair(session: Session, device: Device, month: int, day: int, year: int = 2025) -> None:
    """Move the device along to repair on that day."""
    for stage in TO_REPAIR:
        move_to_stage(session, device, stage, entered_by=None, occurred_at=at(month, day, year))


def a_year_of_repairs(session: Session, prefix: str) -> None:
    """2025: a donor gives a battery, a laptop gets it and a bought hinge, another needs nothing."""
    donor = received(session, f"{prefix}0", at(1, 5))
    recycle(session, donor, reason="beyond_repair", entered_by=None, occurred_at=at(1, 6))
    [battery] = stock.harvest(
        session,
        donor,
        [{"kind": "battery", "reference": BATTERY, "fits": [MODEL]}],
        by=None,
        occurred_at=at(2, 1),
    )
    [hinge] = stock.receive_parts(
        session,
        {"kind": "hinge", "reference": "HNG-T480"},
        supplier="Pièces Pro",
        unit_cost="12",
        by=None,
        occurred_at=at(2, 2),
    )
    fixed = received(session, f"{prefix}1", at(3, 1))
    to_repair(session, fixed, 3, 2)
    repairs.record_repair(
        session,
        fixed,
        "dead_battery",
        "replaced",
        [battery.code],
        30,
        by=None,
        occurred_at=at(3, 3),
    )
    repairs.record_repair(
        session, fixed, "hinge", "replaced", [hinge.code], 10, by=None, occurred_at=at(4, 1)
    )
    move_to_stage(session, fixed, "qc", entered_by=None, occurred_at=at(4, 1))
    enter_ready(session, fixed, occurred_at=at(4, 2))
    fine = received(session, f"{prefix}2", at(3, 5))
    for stage in ("triage", "erasure", "diagnostics", "qc"):
        move_to_stage(session, fine, stage, entered_by=None, occurred_at=at(3, 6))
    enter_ready(session, fine, occurred_at=at(3, 10))
    session.flush()
