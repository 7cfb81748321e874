"""The repair figures of a year and its months, recomputed from the recorded repairs and parts."""

from __future__ import annotations

import pytest

from inventory.errors import InvalidInput
from inventory.repair_figures import KEYS, repair_figures
from tests.repair_helpers import (
    _repair_lists,  # noqa: F401  (an autouse fixture)
    a_year_of_repairs,
)


def test_a_year_of_repairs_in_figures(session):
    a_year_of_repairs(session, "PF1FIG")

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
