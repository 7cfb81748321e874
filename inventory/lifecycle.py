"""Stages a device goes through, the moves allowed between them, and the gates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from inventory.models import Device

STAGES = (
    "received",
    "triage",
    "erasure",
    "diagnostics",
    "repair",
    "qc",
    "ready",
    "sold",
    "recycled",
    "returned",
)
# Stages in which the device is out of the workshop; scanning its serial again
# at intake starts a new cycle on the same record.
LEFT_STAGES = frozenset({"sold", "recycled"})

# The one table of allowed moves. Besides the main line, a few moves back that
# the floor needs: a failed QC goes back to repair, a repair is tested again,
# a returned device is triaged again. Recycling is allowed from every stage
# before `sold`, and for a returned device that cannot be sold again.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("triage", "recycled"),
    "triage": ("erasure", "recycled"),
    "erasure": ("diagnostics", "recycled"),
    "diagnostics": ("repair", "qc", "recycled"),
    "repair": ("diagnostics", "qc", "recycled"),
    "qc": ("ready", "repair", "recycled"),
    "ready": ("sold", "qc", "recycled"),
    "sold": ("returned",),
    "recycled": (),
    "returned": ("triage", "ready", "recycled"),
}


def allowed_moves(stage: str) -> tuple[str, ...]:
    """The stages a device in `stage` may move to."""
    return TRANSITIONS.get(stage, ())


@dataclass(frozen=True)
class Gate:
    """A requirement for entering a stage: a name and a check returning what is missing."""

    name: str
    missing: Callable[[Session, Device], str | None]


def _grade_set(_session: Session, device: Device) -> str | None:
    return None if device.grade else "grade"


# Requirements for entering each stage. Later parts of the workshop (checks,
# diagnostics, erasure) add theirs with `add_gate`.
GATES: dict[str, list[Gate]] = {"ready": [Gate("grade", _grade_set)]}


def add_gate(stage: str, gate: Gate) -> None:
    """Register one more requirement for entering `stage`."""
    gates = GATES.setdefault(stage, [])
    if all(existing.name != gate.name for existing in gates):
        gates.append(gate)


def unmet_gates(session: Session, device: Device, stage: str) -> list[str]:
    """What `device` still lacks to enter `stage` (empty when nothing is missing)."""
    missing = (gate.missing(session, device) for gate in GATES.get(stage, ()))
    return [item for item in missing if item]


# Parts whose gates must hold wherever a device moves (web, API, CLI, bench
# agents), so they are loaded with the lifecycle itself, not by whoever uses them.
import inventory.checks  # noqa: E402,F401  (registers the manual checks' gates)

# isort: split
# After the checks, so what a device lacks reads checks first, then bench results.
import diagnostics.records  # noqa: E402,F401  (registers the diagnostics' and erasures' gates)

# isort: split
# Last: after a repair, the checks and diagnostics it touched are asked again.
import inventory.repairs  # noqa: E402,F401  (registers the repairs' gate)
