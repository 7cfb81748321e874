"""The repair figures of a year and its months, recomputed from the recorded repairs and parts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inventory import parts as stock
from inventory.errors import InvalidInput
from inventory.intake import receive_device
from inventory.recycling import recycle
from inventory.repair_figures import KEYS, repair_figures
from inventory.repairs import record_repair
from inventory.stages import move_to_stage
from tests.conftest import enter_ready
from tests.repair_helpers import (
    BATTERY,
    MODEL,
    _repair_lists,  # noqa: F401  (an autouse fixture)
)


def at(month, day):
    return datetime(2025, month, day, 10, 0, tzinfo=UTC)


def received(session, serial, when):
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


def test_a_year_of_repairs_in_figures(session):
    donor = received(session, "PF1FIG0", at(1, 5))
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
    fixed = received(session, "PF1FIG1", at(3, 1))
    for stage, day in (("triage", 1), ("erasure", 1), ("diagnostics", 2), ("repair", 2)):
        move_to_stage(session, fixed, stage, entered_by=None, occurred_at=at(3, day))
    record_repair(
        session,
        fixed,
        "dead_battery",
        "replaced",
        [battery.code],
        30,
        by=None,
        occurred_at=at(3, 3),
    )
    record_repair(
        session, fixed, "hinge", "replaced", [hinge.code], 10, by=None, occurred_at=at(4, 1)
    )
    move_to_stage(session, fixed, "qc", entered_by=None, occurred_at=at(4, 1))
    enter_ready(session, fixed, occurred_at=at(4, 2))

    fine = received(session, "PF1FIG2", at(3, 5))
    for stage in ("triage", "erasure", "diagnostics", "qc"):
        move_to_stage(session, fine, stage, entered_by=None, occurred_at=at(3, 6))
    enter_ready(session, fine, occurred_at=at(3, 10))
    session.flush()

    figures = repair_figures(session, 2025, timezone="Europe/Paris")
    assert set(KEYS) <= set(figures)
    assert figures["repairs"] == 2
    assert figures["repairs_by_fault"] == {"dead_battery": 1, "hinge": 1}
    assert figures["repairs_by_action"] == {"replaced": 2}
    assert (figures["parts_used_bought"], figures["parts_used_harvested"]) == (1, 1)
    assert figures["parts_harvested"] == 1
    assert (figures["units_with_repair"], figures["units_made_ready"]) == (1, 2)
    assert figures["share_needing_no_repair"] == 0.5
    assert figures["mean_minutes_per_repaired_unit"] == 40.0
    assert figures["parts_cost_per_repaired_unit"] == "12.00"
    march, april = figures["monthly"][2], figures["monthly"][3]
    assert (march["month"], march["repairs_by_fault"]) == (3, {"dead_battery": 1})
    assert march["share_needing_no_repair"] == 1.0  # only the one that needed nothing was ready
    assert (april["parts_cost_per_repaired_unit"], april["share_needing_no_repair"]) == (
        "12.00",
        0.0,
    )
    assert figures["monthly"][1]["parts_harvested"] == 1
    empty = repair_figures(session, 2024)
    assert empty["repairs"] == 0 and empty["share_needing_no_repair"] is None
    assert empty["mean_minutes_per_repaired_unit"] is None


@pytest.mark.parametrize("year", ["nineteen", 1800, True, None])
def test_a_wrong_year_is_refused(session, year):
    with pytest.raises(InvalidInput, match="year"):
        repair_figures(session, year)
