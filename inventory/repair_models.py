"""Tables of repairs and spare parts: the coded faults and actions, part kinds, fits, the stock.

The services live in inventory/repairs.py and inventory/parts.py; this module
holds only the tables, so that inventory/models.py can load it for the metadata.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.accounts import User
from inventory.db import Base
from inventory.models import Device, Location
from inventory.types import JSONDocument, UTCDateTime, utcnow

CODE_KINDS = ("fault", "action")
PART_STATES = ("in_stock", "used", "scrapped")
PART_SOURCES = ("bought", "harvested")


class RepairCode(Base):
    """A coded fault (per category) or repair action (for all), with its labels.

    Faults name the manual checks and diagnostic scripts they touch: a repair of
    that fault sends the device back through them before `ready`.
    """

    __tablename__ = "repair_codes"
    __table_args__ = (
        CheckConstraint("kind IN ('fault', 'action')", name="kind_known"),
        UniqueConstraint("kind", "category", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    # A fault's category; "" for actions, which are the same for every category.
    category: Mapped[str] = mapped_column(String(20), default="")
    # Stable: repairs name the fault and action by these codes, whatever the labels become.
    code: Mapped[str] = mapped_column(String(40))
    label_en: Mapped[str] = mapped_column(String(200))
    label_fr: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Check codes of the category's checklist and diagnostic script names.
    checks: Mapped[list[Any]] = mapped_column(JSONDocument, default=list)
    scripts: Mapped[list[Any]] = mapped_column(JSONDocument, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def label(self, language: str | None) -> str:
        """The label in the reader's language, English when there is no French one."""
        return self.label_fr if language == "fr" and self.label_fr else self.label_en


class PartKind(Base):
    """A kind of spare part (battery, RAM module, SSD...) and the attributes that decide a fit."""

    __tablename__ = "part_kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label_en: Mapped[str] = mapped_column(String(200))
    label_fr: Mapped[str] = mapped_column(String(200))
    # The attribute names that matter for fitting (ram_type, size_gb...), in display order.
    attributes: Mapped[list[Any]] = mapped_column(JSONDocument, default=list)
    # The manager's low-stock list shows kinds with fewer parts in stock than this.
    low_stock: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def label(self, language: str | None) -> str:
        """The label in the reader's language."""
        return self.label_fr if language == "fr" and self.label_fr else self.label_en


class PartFit(Base):
    """Parts of a kind with a reference fit a device model (a battery 01AV452 fits a T480)."""

    __tablename__ = "part_fits"
    __table_args__ = (
        UniqueConstraint("model", "kind_id", "reference"),
        # The parts finder starts from the model.
        Index("ix_part_fits_kind_id_reference", "kind_id", "reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    kind_id: Mapped[int] = mapped_column(ForeignKey("part_kinds.id"))
    reference: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    kind: Mapped[PartKind] = relationship()


class RepairAction(Base):
    """One repair action on a device in one cycle: the fault, what was done, by whom, how long."""

    __tablename__ = "repair_actions"
    __table_args__ = (
        CheckConstraint("minutes IS NULL OR minutes >= 0", name="minutes_not_negative"),
        Index("ix_repair_actions_device_id_cycle", "device_id", "cycle"),
        # Repaired before entering ready, in which cycle? (repair_figures.py), from the index alone.
        Index("ix_repair_actions_device_id_occurred_at", "device_id", "occurred_at", "cycle"),
        # The year's repair figures and their parts, from the index alone (repair_figures.py).
        Index(
            "ix_repair_actions_occurred_at_figures",
            "occurred_at",
            "device_id",
            "fault",
            "action",
            "minutes",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    cycle: Mapped[int] = mapped_column(Integer)
    fault: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))

    device: Mapped[Device] = relationship()
    technician: Mapped[User | None] = relationship()
    parts: Mapped[list[Part]] = relationship(
        back_populates="repair", order_by="Part.id", foreign_keys="Part.repair_id"
    )


class Part(Base):
    """One spare part with its own code: bought or harvested, in stock until a repair uses it."""

    __tablename__ = "parts"
    __table_args__ = (
        CheckConstraint("state IN ('in_stock', 'used', 'scrapped')", name="state_known"),
        CheckConstraint("source IN ('bought', 'harvested')", name="source_known"),
        # A harvested part always names its donor; a bought one never does.
        CheckConstraint(
            "(source = 'harvested') = (donor_id IS NOT NULL)", name="donor_when_harvested"
        ),
        CheckConstraint("unit_cost IS NULL OR unit_cost >= 0", name="unit_cost_not_negative"),
        CheckConstraint("(state = 'used') = (repair_id IS NOT NULL)", name="used_in_a_repair"),
        # "What fits, in stock": one index range per (kind, reference, state).
        Index("ix_parts_kind_id_reference_state", "kind_id", "reference", "state"),
        Index("ix_parts_donor_id", "donor_id"),
        Index("ix_parts_repair_id", "repair_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    kind_id: Mapped[int] = mapped_column(ForeignKey("part_kinds.id"))
    # The manufacturer's part number, or the fitting key of generic parts (DDR4 SO-DIMM).
    reference: Mapped[str] = mapped_column(String(100))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("locations.id"), index=True, default=None
    )
    state: Mapped[str] = mapped_column(String(10), default="in_stock")
    source: Mapped[str] = mapped_column(String(10))
    supplier: Mapped[str] = mapped_column(String(200), default="")
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), default=None)
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), default=None)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    repair_id: Mapped[int | None] = mapped_column(ForeignKey("repair_actions.id"), default=None)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    kind: Mapped[PartKind] = relationship()
    location: Mapped[Location | None] = relationship()
    donor: Mapped[Device | None] = relationship(foreign_keys=[donor_id])
    received_by: Mapped[User | None] = relationship(foreign_keys=[received_by_id])
    repair: Mapped[RepairAction | None] = relationship(
        back_populates="parts", foreign_keys=[repair_id]
    )
