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

Every figure is an aggregate query grouped by month, so a year of a large workshop is
counted in the database, not read into memory. They join the yearly impact report as its
appendix (inventory/impact.py), which freezes them when the year is published.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, select
from sqlalchemy.orm import Session, aliased

from inventory.errors import N_, InvalidInput
from inventory.impact import Figure, _month_of, month_starts
from inventory.models import Device, Event
from inventory.repair_models import Part, RepairAction, RepairCode

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
# The figures that are one number; the other two are counts by code.
SCALAR_KEYS = tuple(key for key in KEYS if not key.startswith("repairs_by_"))

# The appendix's words, as the impact report prints them (French with its no-break spaces).
FIGURES = (
    Figure(
        "repairs",
        "Repair actions",
        "Actions de réparation",
        "Repair actions recorded in the period.",
        "Actions de réparation enregistrées dans la période.",
    ),
    Figure(
        "repairs_by_fault",
        "Repairs by fault",
        "Réparations par panne",
        "Repair actions recorded in the period, counted by the fault they fixed (its code).",
        "Actions de réparation enregistrées dans la période, comptées par panne réparée "
        "(son code).",
    ),
    Figure(
        "repairs_by_action",
        "Repairs by action",
        "Réparations par action",
        "Repair actions recorded in the period, counted by what was done (its code).",
        "Actions de réparation enregistrées dans la période, comptées par action menée (son code).",
    ),
    Figure(
        "parts_used_bought",
        "Parts used, bought",
        "Pièces utilisées, achetées",
        "Parts bought from a supplier that the period's repairs took from stock.",
        "Pièces achetées à un fournisseur que les réparations de la période ont prises "
        "dans le stock.",
    ),
    Figure(
        "parts_used_harvested",
        "Parts used, harvested",
        "Pièces utilisées, récupérées",
        "Parts taken out of recycled devices that the period's repairs took from stock.",
        "Pièces prélevées sur des appareils recyclés que les réparations de la période ont "
        "prises dans le stock.",
    ),
    Figure(
        "parts_harvested",
        "Parts harvested",
        "Pièces récupérées",
        "Parts taken out of recycled devices in the period, used or not (a reuse figure).",
        "Pièces prélevées sur des appareils recyclés dans la période, utilisées ou non "
        "(un chiffre de réemploi).",
    ),
    Figure(
        "units_with_repair",
        "Units with a repair",
        "Appareils réparés",
        "Distinct devices with at least one repair action in the period.",
        "Appareils distincts ayant au moins une action de réparation dans la période.",
    ),
    Figure(
        "units_made_ready",
        "Moves into ready",
        "Passages en « prêt à la vente »",
        "Entries of devices into the stage ready (for sale) in the period.",
        "Entrées d'appareils dans l'étape « prêt à la vente » dans la période.",
    ),
    Figure(
        "share_needing_no_repair",
        "Share needing no repair",
        "Part sans réparation",
        "Of the entries into ready in the period, the share with no repair action between "
        "the device's latest intake and that entry (0 to 1); empty when there were none.",
        "Parmi les entrées en « prêt à la vente » de la période, la part sans action de "
        "réparation entre la dernière réception de l'appareil et cette entrée (0 à 1)\u00a0; "
        "vide s'il n'y en a pas eu.",
    ),
    Figure(
        "mean_minutes_per_repaired_unit",
        "Mean technician minutes per repaired unit",
        "Minutes de technicien par appareil réparé (moyenne)",
        "Minutes recorded on the period's repair actions divided by the units with a repair; "
        "empty when there were none.",
        "Minutes enregistrées sur les actions de réparation de la période divisées par les "
        "appareils réparés\u00a0; vide s'il n'y en a pas eu.",
    ),
    Figure(
        "parts_cost_per_repaired_unit",
        "Parts cost per repaired unit (€)",
        "Coût des pièces par appareil réparé (€)",
        "Unit costs of the bought parts the period's repairs used, divided by the units with "
        "a repair (harvested parts cost nothing); empty when there were none.",
        "Coûts unitaires des pièces achetées utilisées par les réparations de la période, "
        "divisés par les appareils réparés (les pièces récupérées ne coûtent rien)\u00a0; "
        "vide s'il n'y en a pas eu.",
    ),
)
BY_KEY = {figure.key: figure for figure in FIGURES}


def _check_year(year: Any) -> int:
    if isinstance(year, str) and year.isdigit():
        year = int(year)
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            N_("The year is a number from %(first)s to %(last)s."),
            field="year",
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    return year


def _per_month(rows: Any, *totals: Any) -> Any:
    """Group the rows of a subquery by its month and its other key columns."""
    # By the subquery's columns, not the CASE: PostgreSQL would see the CASE's parameters in
    # SELECT and in GROUP BY as two different expressions (as inventory/impact.py does).
    table = rows.subquery()
    keys = [column for column in table.c if column.name not in {"device_id", "value"}]
    return select(*keys, *(total(table) for total in totals)).group_by(*keys)


def _in(column: Any, starts: list[Any]) -> ColumnElement[bool]:
    return (column >= starts[0]) & (column < starts[12])


class _Period:
    """What the figures of one period (a month, or the year) are made of."""

    def __init__(self) -> None:
        self.faults: Counter[str] = Counter()
        self.actions: Counter[str] = Counter()
        self.minutes = 0
        self.units = 0
        self.bought = 0
        self.harvested_used = 0
        self.cost = Decimal(0)
        self.harvested = 0
        self.ready = 0
        self.repaired_before_ready = 0

    def add(self, other: _Period) -> None:
        """Sum a month into the year (not units, which are distinct over the whole period)."""
        self.faults.update(other.faults)
        self.actions.update(other.actions)
        self.minutes += other.minutes
        self.bought += other.bought
        self.harvested_used += other.harvested_used
        self.cost += other.cost
        self.harvested += other.harvested
        self.ready += other.ready
        self.repaired_before_ready += other.repaired_before_ready

    def figures(self) -> dict[str, Any]:
        units, ready = self.units, self.ready
        no_repair = ready - self.repaired_before_ready
        return {
            "repairs": sum(self.faults.values()),
            "repairs_by_fault": dict(sorted(self.faults.items())),
            "repairs_by_action": dict(sorted(self.actions.items())),
            "parts_used_bought": self.bought,
            "parts_used_harvested": self.harvested_used,
            "parts_harvested": self.harvested,
            "units_with_repair": units,
            "units_made_ready": ready,
            "share_needing_no_repair": round(no_repair / ready, 4) if ready else None,
            "mean_minutes_per_repaired_unit": round(self.minutes / units, 1) if units else None,
            "parts_cost_per_repaired_unit": f"{(self.cost / units):.2f}" if units else None,
        }


def repair_figures(
    session: Session, year: Any, *, timezone: str = "Europe/Paris"
) -> dict[str, Any]:
    """The year's repair figures, with the same figures for each of its months."""
    year = _check_year(year)
    starts = month_starts(year, timezone)
    months = {month: _Period() for month in range(1, 13)}
    whole = _Period()

    # Repairs by fault and action, with their minutes.
    repairs = select(
        _month_of(RepairAction.occurred_at, starts).label("month"),
        RepairAction.fault.label("fault"),
        RepairAction.action.label("action"),
        RepairAction.minutes.label("value"),
    ).where(_in(RepairAction.occurred_at, starts))
    query = _per_month(repairs, lambda t: func.count(), lambda t: func.sum(t.c.value))
    for month, fault, action, count, minutes in session.execute(query):
        months[month].faults[fault] += count
        months[month].actions[action] += count
        months[month].minutes += int(minutes or 0)

    # Units with repair: distinct devices per month, and over the year (not a sum of months).
    devices = select(
        _month_of(RepairAction.occurred_at, starts).label("month"),
        RepairAction.device_id.label("device_id"),
    ).where(_in(RepairAction.occurred_at, starts))
    table = devices.subquery()
    query = select(table.c.month, func.count(table.c.device_id.distinct())).group_by(table.c.month)
    for month, count in session.execute(query):
        months[month].units = count
    whole.units = (
        session.scalar(
            select(func.count(RepairAction.device_id.distinct())).where(
                _in(RepairAction.occurred_at, starts)
            )
        )
        or 0
    )

    # Parts those repairs used, by source, in the month of the repair.
    used = (
        select(
            _month_of(RepairAction.occurred_at, starts).label("month"),
            Part.source.label("source"),
            Part.unit_cost.label("value"),
        )
        .join(RepairAction, RepairAction.id == Part.repair_id)
        .where(_in(RepairAction.occurred_at, starts))
    )
    query = _per_month(used, lambda t: func.count(), lambda t: func.sum(t.c.value))
    for month, source, count, cost in session.execute(query):
        if source == "bought":
            months[month].bought += count
            months[month].cost += Decimal(str(cost or 0))
        else:
            months[month].harvested_used += count

    # Parts harvested from recycled devices.
    harvested = select(_month_of(Part.received_at, starts).label("month")).where(
        Part.source == "harvested", _in(Part.received_at, starts)
    )
    for month, count in session.execute(_per_month(harvested, lambda t: func.count())):
        months[month].harvested += count

    # Entries into ready, and whether each followed a repair of the device's latest intake:
    # a repair before the entry with no intake between them.
    fix, intake = aliased(RepairAction, name="fix"), aliased(Event, name="intake")
    # A repair of the device's current cycle has no intake after it: only the repairs of
    # devices that came back are looked for an intake, among their own events. That spares
    # every intake an index of its own.
    current_cycle = select(Device.cycle).where(Device.id == fix.device_id).scalar_subquery()
    later_intake = and_(
        fix.cycle < current_cycle,
        select(intake.id)
        .where(
            intake.device_id == fix.device_id,
            intake.kind == literal_column("'intake'"),
            intake.occurred_at > fix.occurred_at,
            intake.occurred_at <= Event.occurred_at,
        )
        # Two levels down: told which table is the outer one, or it would join every event.
        .correlate(fix, Event)
        .exists(),
    )
    repaired = (
        select(fix.id)
        .where(
            fix.device_id == Event.device_id,
            fix.occurred_at <= Event.occurred_at,
            ~later_intake,
        )
        .exists()
    )
    ready = select(
        _month_of(Event.occurred_at, starts).label("month"),
        case((repaired, 1), else_=0).label("value"),
    ).where(Event.to_stage == literal_column("'ready'"), _in(Event.occurred_at, starts))
    query = _per_month(ready, lambda t: func.count(), lambda t: func.sum(t.c.value))
    for month, count, with_repair in session.execute(query):
        months[month].ready += count
        months[month].repaired_before_ready += int(with_repair or 0)

    for period in months.values():
        whole.add(period)
    return {
        "year": year,
        "timezone": timezone,
        **whole.figures(),
        "monthly": [{"month": month, **months[month].figures()} for month in range(1, 13)],
    }


def code_labels(session: Session, figures: dict[str, Any], language: str) -> dict[str, Any]:
    """The labels of the fault and action codes the figures name, in the language."""
    seen: dict[str, set[str]] = {"fault": set(), "action": set()}
    for period in (figures, *figures.get("monthly", ())):
        seen["fault"].update(period.get("repairs_by_fault") or {})
        seen["action"].update(period.get("repairs_by_action") or {})
    labels: dict[str, dict[str, str]] = {"fault": {}, "action": {}}
    for kind, codes in seen.items():
        if not codes:
            continue
        # A fault code may be listed under several categories: the first listed names it.
        for code in session.scalars(
            select(RepairCode)
            .where(RepairCode.kind == kind, RepairCode.code.in_(sorted(codes)))
            .order_by(RepairCode.position, RepairCode.id)
        ):
            labels[kind].setdefault(code.code, code.label(language))
        for code in codes:
            # A code no longer listed is still counted: it shows as itself.
            labels[kind].setdefault(code, code)
    return {
        "fault_labels": dict(sorted(labels["fault"].items())),
        "action_labels": dict(sorted(labels["action"].items())),
    }
