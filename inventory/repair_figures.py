"""Repair figures per year and per month: faults, actions, parts, time and cost per unit.

Definitions (months and years in the workshop's time zone):

- repairs by fault / by action: repair actions recorded in the period, counted by code;
- parts used: parts taken from stock by those repairs, bought vs harvested;
- parts harvested: parts taken out of recycled devices in the period (a reuse figure);
- units with repair: distinct devices with at least one repair action in the period;
- share needing no repair: of the devices made `ready` in the period, the share with no
  repair action between their latest intake and that move (None when none was made ready);
- mean minutes per repaired unit: minutes recorded on the period's repairs divided by the
  units with repair (None when there were none);
- parts cost per repaired unit: the unit costs of the bought parts those repairs used,
  divided by the units with repair (harvested parts cost nothing; None when there were none).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.errors import N_, InvalidInput
from inventory.models import Event
from inventory.repair_models import Part, RepairAction

FIRST_YEAR, LAST_YEAR = 1990, 2200
KEYS = (
    "repairs",
    "repairs_by_fault",
    "repairs_by_action",
    "parts_used_bought",
    "parts_used_harvested",
    "parts_harvested",
    "units_with_repair",
    "units_made_ready",
    "share_needing_no_repair",
    "mean_minutes_per_repaired_unit",
    "parts_cost_per_repaired_unit",
)


def _bounds(year: int, zone: ZoneInfo) -> list[datetime]:
    """The starts of the 12 months of a year and of the next year, in the zone."""
    return [datetime(year, month, 1, tzinfo=zone) for month in range(1, 13)] + [
        datetime(year + 1, 1, 1, tzinfo=zone)
    ]


def _month(moment: datetime, zone: ZoneInfo) -> int:
    return moment.astimezone(zone).month


def _figures(
    repairs: list[tuple[Any, ...]],
    used: list[tuple[Any, ...]],
    harvested: int,
    ready: list[tuple[int, bool]],
) -> dict[str, Any]:
    units = {device_id for _id, device_id, _f, _a, _m in repairs}
    minutes = sum(m or 0 for _id, _d, _f, _a, m in repairs)
    cost = sum((c for _r, source, c in used if source == "bought" and c is not None), Decimal(0))
    made_ready = len(ready)
    no_repair = sum(1 for _device, repaired in ready if not repaired)
    return {
        "repairs": len(repairs),
        "repairs_by_fault": dict(sorted(Counter(f for _i, _d, f, _a, _m in repairs).items())),
        "repairs_by_action": dict(sorted(Counter(a for _i, _d, _f, a, _m in repairs).items())),
        "parts_used_bought": sum(1 for _r, source, _c in used if source == "bought"),
        "parts_used_harvested": sum(1 for _r, source, _c in used if source == "harvested"),
        "parts_harvested": harvested,
        "units_with_repair": len(units),
        "units_made_ready": made_ready,
        "share_needing_no_repair": round(no_repair / made_ready, 4) if made_ready else None,
        "mean_minutes_per_repaired_unit": round(minutes / len(units), 1) if units else None,
        "parts_cost_per_repaired_unit": f"{(cost / len(units)):.2f}" if units else None,
    }


def repair_figures(
    session: Session, year: Any, *, timezone: str = "Europe/Paris"
) -> dict[str, Any]:
    """The year's repair figures, with the same figures for each of its months."""
    if isinstance(year, str) and year.isdigit():
        year = int(year)
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            N_("The year is a number from %(first)s to %(last)s."),
            field="year",
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    zone = ZoneInfo(timezone)
    bounds = _bounds(year, zone)
    start, end = bounds[0], bounds[-1]
    repairs = [
        (row.id, row.device_id, row.fault, row.action, row.minutes, row.occurred_at)
        for row in session.execute(
            select(
                RepairAction.id,
                RepairAction.device_id,
                RepairAction.fault,
                RepairAction.action,
                RepairAction.minutes,
                RepairAction.occurred_at,
            ).where(RepairAction.occurred_at >= start, RepairAction.occurred_at < end)
        )
    ]
    month_of_repair = {row[0]: _month(row[5], zone) for row in repairs}
    used = []
    if repairs:
        used = list(
            session.execute(
                select(Part.repair_id, Part.source, Part.unit_cost).where(
                    Part.repair_id.in_(list(month_of_repair))
                )
            ).all()
        )
    harvest_months = [
        _month(at, zone)
        for at in session.scalars(
            select(Part.received_at).where(
                Part.source == "harvested", Part.received_at >= start, Part.received_at < end
            )
        )
    ]
    ready = _made_ready(session, start, end)

    def month_rows(month: int | None) -> dict[str, Any]:
        def keep(at: datetime) -> bool:
            return month is None or _month(at, zone) == month

        return _figures(
            [row[:5] for row in repairs if keep(row[5])],
            [row for row in used if month is None or month_of_repair[row[0]] == month],
            sum(1 for m in harvest_months if month is None or m == month),
            [(device, repaired) for device, at, repaired in ready if keep(at)],
        )

    return {
        "year": year,
        "timezone": timezone,
        **month_rows(None),
        "monthly": [{"month": month, **month_rows(month)} for month in range(1, 13)],
    }


def _made_ready(
    session: Session, start: datetime, end: datetime
) -> list[tuple[int, datetime, bool]]:
    """Each move to ready in the period: the device, when, and whether it was repaired first."""
    moves = list(
        session.execute(
            select(Event.device_id, Event.occurred_at).where(
                Event.to_stage == "ready", Event.occurred_at >= start, Event.occurred_at < end
            )
        ).all()
    )
    if not moves:
        return []
    devices = list({device for device, _at in moves})
    intakes: dict[int, list[datetime]] = {}
    fixes: dict[int, list[datetime]] = {}
    for chunk in range(0, len(devices), 900):
        part = devices[chunk : chunk + 900]
        for device, at in session.execute(
            select(Event.device_id, Event.occurred_at).where(
                Event.kind == "intake", Event.device_id.in_(part)
            )
        ):
            intakes.setdefault(device, []).append(at)
        for device, at in session.execute(
            select(RepairAction.device_id, RepairAction.occurred_at).where(
                RepairAction.device_id.in_(part)
            )
        ):
            fixes.setdefault(device, []).append(at)
    result = []
    for device, at in moves:
        since = max((t for t in intakes.get(device, []) if t <= at), default=None)
        repaired = any(t <= at and (since is None or t >= since) for t in fixes.get(device, []))
        result.append((device, at, repaired))
    return result
