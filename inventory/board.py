"""The stage board and the lot summary: counts asked of the database, never devices loaded."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session, selectinload

from inventory.accounts import User
from inventory.lifecycle import STAGES
from inventory.models import CATEGORIES, Assignment, Device, Lot
from inventory.types import utcnow

# Stages in which a device has left the workshop's hands: it cannot be stuck there.
DONE_STAGES = frozenset({"sold", "recycled", "returned"})
WAITING_STAGES = tuple(stage for stage in STAGES if stage not in DONE_STAGES)
# Sold and recycled devices pile up for ever (a million within a few years):
# the workshop's board counts only those that left since a recent date.
LEFT_STAGES = ("sold", "recycled")
PRESENT_STAGES = tuple(stage for stage in STAGES if stage not in LEFT_STAGES)

# What became of a donor's device, in the words of the lot report. A returned
# device is back on the workbench, so it counts as in progress.
OUTCOMES = ("received", "in_progress", "ready", "sold", "recycled")
OUTCOME_OF_STAGE = {
    "received": "received",
    "triage": "in_progress",
    "erasure": "in_progress",
    "diagnostics": "in_progress",
    "repair": "in_progress",
    "qc": "in_progress",
    "returned": "in_progress",
    "ready": "ready",
    "sold": "sold",
    "recycled": "recycled",
}


@dataclass(frozen=True)
class StageCounts:
    """Devices counted per (stage, category), with the totals a board shows."""

    cells: dict[tuple[str, str], int]
    # When set, the sold and recycled cells count only the devices that left since then.
    left_since: datetime | None = None

    def count(self, stage: str, category: str) -> int:
        """How many devices of this category are in this stage."""
        return self.cells.get((stage, category), 0)

    @property
    def categories(self) -> list[str]:
        """The categories that have at least one device, in a stable order."""
        return sorted({category for _stage, category in self.cells})

    def stage_total(self, stage: str) -> int:
        """Every device in this stage, whatever its category."""
        return sum(n for (s, _c), n in self.cells.items() if s == stage)

    def category_total(self, category: str) -> int:
        """Every device of this category, whatever its stage."""
        return sum(n for (_s, c), n in self.cells.items() if c == category)

    @property
    def total(self) -> int:
        """Every device counted."""
        return sum(self.cells.values())

    def present_total(self, category: str | None = None) -> int:
        """Devices still in the workshop's hands, of one category or of all."""
        return sum(
            n for (s, c), n in self.cells.items() if s not in LEFT_STAGES and category in (None, c)
        )


def _in_lot(lot_code: str | None):  # noqa: ANN202 (a SQL expression)
    return Device.lot_id == select(Lot.id).where(Lot.code == lot_code).scalar_subquery()


def stage_counts(
    session: Session, *, lot: str | None = None, left_since: datetime | None = None
) -> StageCounts:
    """Count devices per stage and category, for one lot or, sold and recycled, since a date."""
    counted = (Device.stage, Device.category, func.count())
    grouped = (Device.stage, Device.category)
    if lot or left_since is None:
        # A lot is a few hundred devices: all of them, whatever became of them.
        query = select(*counted).group_by(*grouped)
        if lot:
            query = query.where(_in_lot(lot))
        return StageCounts({(stage, category): n for stage, category, n in session.execute(query)})
    # The devices in the workshop from one index range; those that left lately
    # counted per stage and category, each its own range of the (stage, category,
    # date) index, since grouping tens of thousands of rows by category costs more.
    left = [
        select(
            literal(stage),
            literal(category),
            select(func.count())
            .where(
                Device.stage == stage,
                Device.category == category,
                Device.stage_entered_at >= left_since,
            )
            .scalar_subquery(),
        )
        for stage in LEFT_STAGES
        for category in CATEGORIES
    ]
    query = union_all(
        select(*counted).where(Device.stage.in_(PRESENT_STAGES)).group_by(*grouped), *left
    )
    rows = session.execute(query)
    return StageCounts({(stage, category): n for stage, category, n in rows if n}, left_since)


@dataclass(frozen=True)
class StuckDevice:
    """A device waiting in one stage for longer than the workshop allows."""

    asset_tag: str
    category: str
    make: str
    model: str
    stage: str
    stage_entered_at: datetime
    days: int


@dataclass(frozen=True)
class StuckList:
    """The longest-waiting devices (at most `limit` of them) and how many are stuck in all."""

    devices: list[StuckDevice]
    total: int
    after_days: int


def stuck_devices(
    session: Session,
    *,
    after_days: int,
    lot: str | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> StuckList:
    """Devices still in the workshop that entered their stage more than `after_days` ago."""
    now = now or utcnow()
    cutoff = now - timedelta(days=after_days)
    long_ago = [Device.stage_entered_at < cutoff]
    if lot:
        long_ago.append(_in_lot(lot))
    total = (
        session.scalar(
            select(func.count())
            .select_from(Device)
            .where(Device.stage.in_(WAITING_STAGES), *long_ago)
        )
        or 0
    )
    # The oldest of each stage read in date order from the (stage, date) index,
    # then the oldest of those: not every stuck device read and sorted.
    oldest = union_all(
        *(
            select(
                select(Device.id, Device.stage_entered_at)
                .where(Device.stage == stage, *long_ago)
                .order_by(Device.stage_entered_at, Device.id)
                .limit(limit)
                .subquery()
            )
            for stage in WAITING_STAGES
        )
    ).subquery()
    rows = session.execute(
        select(
            Device.asset_tag,
            Device.category,
            Device.make,
            Device.model,
            Device.stage,
            Device.stage_entered_at,
        )
        .join(oldest, oldest.c.id == Device.id)
        .order_by(Device.stage_entered_at, Device.id)
        .limit(limit)
    )
    devices = [
        StuckDevice(*row, days=(now - row.stage_entered_at).days)  # type: ignore[misc]
        for row in rows
    ]
    return StuckList(devices=devices, total=total, after_days=after_days)


@dataclass(frozen=True)
class Outcome:
    """How many devices of a lot came to one outcome, and their weight in kilograms."""

    count: int = 0
    weight_kg: Decimal = Decimal("0")
    # Devices whose weight was never recorded, so the kilograms are a lower bound.
    unweighed: int = 0


@dataclass(frozen=True)
class LotSummary:
    """What became of the devices of one lot: counts and kilograms per outcome."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)

    def __getitem__(self, outcome: str) -> Outcome:
        return self.outcomes.get(outcome, Outcome())

    @property
    def total(self) -> Outcome:
        """Every device of the lot."""
        return Outcome(
            count=sum(o.count for o in self.outcomes.values()),
            weight_kg=sum((o.weight_kg for o in self.outcomes.values()), Decimal("0")),
            unweighed=sum(o.unweighed for o in self.outcomes.values()),
        )


def lot_summary(session: Session, lot: Lot) -> LotSummary:
    """Count and weigh a lot's devices per outcome, in one query grouped by stage."""
    rows = session.execute(
        select(
            Device.stage,
            func.count(),
            func.coalesce(func.sum(Device.weight_kg), 0),
            func.count() - func.count(Device.weight_kg),
        )
        .where(Device.lot_id == lot.id)
        .group_by(Device.stage)
    )
    totals: dict[str, list] = defaultdict(lambda: [0, Decimal("0"), 0])
    for stage, count, weight, unweighed in rows:
        entry = totals[OUTCOME_OF_STAGE.get(stage, "in_progress")]
        entry[0] += count
        entry[1] += Decimal(str(weight)).quantize(Decimal("0.001"))
        entry[2] += unweighed
    return LotSummary({name: Outcome(c, w, u) for name, (c, w, u) in totals.items()})


def lot_devices(session: Session, lot: Lot) -> list[Device]:
    """Every device of a lot, in the order they were received, with their identifiers."""
    return list(
        session.scalars(
            select(Device)
            .where(Device.lot_id == lot.id)
            .options(selectinload(Device.identifiers))
            .order_by(Device.id)
        )
    )


@dataclass(frozen=True)
class TechnicianLoad:
    """What one technician holds right now, counted by stage."""

    username: str
    name: str
    by_stage: dict[str, int]

    @property
    def total(self) -> int:
        """Devices held, every stage together."""
        return sum(self.by_stage.values())


def work_in_progress(session: Session) -> list[TechnicianLoad]:
    """Active assignments per technician and stage, from one grouped query."""
    rows = session.execute(
        select(User.username, User.name, Device.stage, func.count())
        .select_from(Assignment)
        .join(User, Assignment.technician_id == User.id)
        .join(Device, Assignment.device_id == Device.id)
        .where(Assignment.ended_at.is_(None))
        .group_by(User.username, User.name, Device.stage)
    )
    loads: dict[str, TechnicianLoad] = {}
    for username, name, stage, count in rows:
        load = loads.setdefault(username, TechnicianLoad(username, name, {}))
        load.by_stage[stage] = count
    return sorted(loads.values(), key=lambda load: (-load.total, load.username))
