"""Devices, the lots they came in, where they are kept, the event log and the scan log."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.accounts import User
from inventory.db import Base
from inventory.types import JSONDocument, UTCDateTime, utcnow

CATEGORIES = (
    "laptop",
    "desktop",
    "monitor",
    "phone",
    "tablet",
    "printer",
    "server",
    "network",
    "peripheral",
    "other",
)
GRADES = ("A", "B", "C")
IDENTIFIER_KINDS = ("serial", "battery_serial", "disk_serial", "imei")


class Lot(Base):
    """A collection from one donor: every device traces back to one."""

    __tablename__ = "lots"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    donor: Mapped[str] = mapped_column(String(200), default="")
    received_on: Mapped[date | None] = mapped_column(Date, default=None)
    reference: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    devices: Mapped[list[Device]] = relationship(back_populates="lot")


class Device(Base):
    """One physical device, identified by the workshop's asset tag."""

    __tablename__ = "devices"
    __table_args__ = (
        CheckConstraint("weight_kg IS NULL OR weight_kg >= 0", name="weight_not_negative"),
        CheckConstraint("grade IS NULL OR grade IN ('A', 'B', 'C')", name="grade_known"),
        Index("ix_devices_stage_category", "stage", "category"),
        # The board's stuck devices: waiting in a stage since before a date.
        Index("ix_devices_stage_stage_entered_at", "stage", "stage_entered_at"),
        # The board's sold and recycled lately: one index range per stage and category.
        Index(
            "ix_devices_stage_category_stage_entered_at", "stage", "category", "stage_entered_at"
        ),
        Index("ix_devices_make_model", "make", "model"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_tag: Mapped[str] = mapped_column(String(16), unique=True)
    category: Mapped[str] = mapped_column(String(20))
    make: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(200))
    specs: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(8, 3), default=None)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), index=True, default=None)
    # Where the device sits in the warehouse, once put away (see locations.py).
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("locations.id"), index=True, default=None
    )
    stage: Mapped[str] = mapped_column(String(20), index=True)
    stage_entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    grade: Mapped[str | None] = mapped_column(String(1), default=None)
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Bumped on every change, so two terminals changing one device at once
    # cannot both win: the second UPDATE matches no row and is refused.
    version: Mapped[int] = mapped_column(Integer, default=1)

    lot: Mapped[Lot | None] = relationship(back_populates="devices")
    location: Mapped[Location | None] = relationship()
    identifiers: Mapped[list[Identifier]] = relationship(
        back_populates="device", order_by="Identifier.id"
    )
    # The assignment the device is under now; kept by inventory/assignments.py.
    active_assignment: Mapped[Assignment | None] = relationship(
        primaryjoin="and_(Assignment.device_id == Device.id, Assignment.ended_at.is_(None))",
        viewonly=True,
        uselist=False,
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def serial_number(self) -> str | None:
        """The manufacturer serial, when one was recorded."""
        for identifier in self.identifiers:
            if identifier.kind == "serial":
                return identifier.value
        return None

    def __repr__(self) -> str:
        return f"<Device {self.asset_tag} {self.stage}>"


class Identifier(Base):
    """A code attached to a device (manufacturer serial, IMEI, ...), unique per kind."""

    __tablename__ = "identifiers"
    __table_args__ = (
        UniqueConstraint("kind", "value"),
        Index("ix_identifiers_value", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    device: Mapped[Device] = relationship(back_populates="identifiers")


class Event(Base):
    """One fact in the append-only log; the database refuses to change or delete it."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_device_id_id", "device_id", "id"),
        # With the device, so that the yearly figures count a year's events from the index alone.
        Index("ix_events_kind_occurred_at_device_id", "kind", "occurred_at", "device_id"),
        Index("ix_events_to_stage_occurred_at_device_id", "to_stage", "occurred_at", "device_id"),
        # A device's entries into ready: was it repaired before the year counted (impact.py)?
        Index(
            "ix_events_ready_device_id_occurred_at",
            "device_id",
            "occurred_at",
            sqlite_where=text("to_stage = 'ready'"),
            postgresql_where=text("to_stage = 'ready'"),
        ),
        # Sales through the donation channel, few among many, for the yearly figures.
        Index(
            "ix_events_donations_occurred_at",
            "occurred_at",
            "device_id",
            sqlite_where=text(
                "to_stage = 'sold' AND json_extract(payload, '$.channel') = 'donation'"
            ),
            postgresql_where=text("to_stage = 'sold' AND (payload ->> 'channel') = 'donation'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), default=None)
    from_stage: Mapped[str | None] = mapped_column(String(20), default=None)
    to_stage: Mapped[str | None] = mapped_column(String(20), default=None)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    performed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)

    device: Mapped[Device | None] = relationship()
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    performed_by: Mapped[User | None] = relationship(foreign_keys=[performed_by_id])


class Scan(Base):
    """Every code read by a scanner or typed in a scan field, good or bad."""

    __tablename__ = "scans"
    # A station shows its user's last scans: newest first, per user.
    __table_args__ = (Index("ix_scans_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(200))
    station: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    outcome: Mapped[str] = mapped_column(String(32))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), default=None)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Counter(Base):
    """A named sequence (asset tag numbers) shared by every app process."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


LOCATION_KINDS = ("shelf", "bin", "pallet", "area")


class Location(Base):
    """A place in the warehouse (shelf, bin, pallet, area) with a scannable code."""

    __tablename__ = "locations"
    __table_args__ = (
        CheckConstraint("kind IN ('shelf', 'bin', 'pallet', 'area')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Location {self.code} {self.name}>"


SALE_CHANNELS = ("shop", "b2b", "online", "donation")
SALE_STATUSES = ("open", "completed", "cancelled")


class SaleOrder(Base):
    """One sale to one customer: devices are added while it is open, sold when it completes."""

    __tablename__ = "sale_orders"
    __table_args__ = (
        CheckConstraint("channel IN ('shop', 'b2b', 'online', 'donation')", name="channel_known"),
        CheckConstraint("status IN ('open', 'completed', 'cancelled')", name="status_known"),
        Index("ix_sale_orders_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list[SaleLine]] = relationship(
        back_populates="order", order_by="SaleLine.id", cascade="all, delete-orphan"
    )

    @property
    def number(self) -> str:
        """The order's number as printed on receipts."""
        return f"S{self.id:06d}"

    @property
    def total(self) -> Decimal:
        """The sum of the line prices, in euros."""
        return sum((line.price for line in self.lines), Decimal("0.00"))


class SaleLine(Base):
    """One device in a sale order, at its price in euros."""

    __tablename__ = "sale_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "device_id"),
        CheckConstraint("price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sale_orders.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    order: Mapped[SaleOrder] = relationship(back_populates="lines")
    device: Mapped[Device] = relationship()


ASSIGNMENT_END_REASONS = ("released", "reassigned", "finished")


class Assignment(Base):
    """A device given to one technician for the stage it is in; ended, it stays as history."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint(
            "end_reason IS NULL OR end_reason IN ('released', 'reassigned', 'finished')",
            name="end_reason_known",
        ),
        # One active assignment per device, held by the database itself so that
        # two terminals claiming the same laptop cannot both win.
        Index(
            "ux_assignments_active_device",
            "device_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_assignments_technician_id_ended_at", "technician_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    stage: Mapped[str] = mapped_column(String(20))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    end_reason: Mapped[str | None] = mapped_column(String(20), default=None)

    device: Mapped[Device] = relationship()
    technician: Mapped[User] = relationship(foreign_keys=[technician_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])


# -- manual checks (checklists per category and their answers) ----------------------------------

CHECK_RESULTS = ("pass", "fail", "na")


class CheckItem(Base):
    """One manual check of a category's checklist (a laptop's webcam, a printer's paper feed)."""

    __tablename__ = "check_items"
    __table_args__ = (
        UniqueConstraint("category", "code"),
        Index("ix_check_items_category_position", "category", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(20))
    # Stable: answers and events name the item by this code, whatever its labels become.
    code: Mapped[str] = mapped_column(String(40))
    label_en: Mapped[str] = mapped_column(String(200))
    label_fr: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # A retired item is no longer asked, but its old answers keep their meaning.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def label(self, language: str | None) -> str:
        """The label in the reader's language, English when there is no French one."""
        return self.label_fr if language == "fr" and self.label_fr else self.label_en

    def __repr__(self) -> str:
        return f"<CheckItem {self.category}.{self.code}>"


class CheckAnswer(Base):
    """The latest answer to one check of a device in one cycle; the `checks` events hold them all."""

    __tablename__ = "check_answers"
    __table_args__ = (
        UniqueConstraint("device_id", "cycle", "item_id"),
        CheckConstraint("result IN ('pass', 'fail', 'na')", name="result_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    cycle: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("check_items.id"), index=True)
    result: Mapped[str] = mapped_column(String(4))
    note: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))

    item: Mapped[CheckItem] = relationship()
    answered_by: Mapped[User | None] = relationship()


# -- grading (coded cosmetic defects) ------------------------------------------------------------


class Grading(Base):
    """How a device looks in one cycle: the defects found, the grade they give, any override.

    The catalogue of defect codes and the rule live in inventory/grading.py.
    """

    __tablename__ = "gradings"
    __table_args__ = (
        UniqueConstraint("device_id", "cycle"),
        CheckConstraint("computed_grade IN ('A', 'B', 'C')", name="computed_grade_known"),
        CheckConstraint(
            "override_grade IS NULL OR override_grade IN ('A', 'B', 'C')",
            name="override_grade_known",
        ),
        # An override always says why.
        CheckConstraint(
            "override_grade IS NULL OR override_reason IS NOT NULL", name="override_has_reason"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    cycle: Mapped[int] = mapped_column(Integer)
    computed_grade: Mapped[str] = mapped_column(String(1))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    override_grade: Mapped[str | None] = mapped_column(String(1), default=None)
    override_reason: Mapped[str | None] = mapped_column(Text, default=None)
    overridden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    overridden_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    device: Mapped[Device] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    overridden_by: Mapped[User | None] = relationship(foreign_keys=[overridden_by_id])
    defects: Mapped[list[GradingDefect]] = relationship(
        back_populates="grading", order_by="GradingDefect.id", cascade="all, delete-orphan"
    )

    @property
    def codes(self) -> list[str]:
        """The codes of the defects found, in the order they were recorded."""
        return [defect.code for defect in self.defects]

    @property
    def overridden(self) -> bool:
        """True while a manager's grade stands in place of the computed one."""
        return self.override_grade is not None


class GradingDefect(Base):
    """One coded defect found on a device in one cycle."""

    __tablename__ = "grading_defects"
    __table_args__ = (UniqueConstraint("grading_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grading_id: Mapped[int] = mapped_column(ForeignKey("gradings.id"))
    code: Mapped[str] = mapped_column(String(40))

    grading: Mapped[Grading] = relationship(back_populates="defects")


# -- diagnostics (bench runs, their measurements, erasure records, limits) -----------------------

DIAGNOSTIC_OUTCOMES = ("pass", "fail", "error", "timeout", "aborted")
MEASUREMENT_OUTCOMES = ("pass", "fail", "not_measured")
DRIVE_TYPES = ("HDD", "SSD", "NVME")
ERASURE_METHODS = ("OVERWRITE", "CRYPTO", "SANITIZE")
NIST_CATEGORIES = ("Clear", "Purge")
# A drive that could not be erased is pulled out and destroyed instead: its record has the
# method DESTROY, NIST SP 800-88 category Destroy, and how it was destroyed.
DESTROY = "DESTROY"
NIST_DESTROY = "Destroy"
DESTRUCTIONS = ("shredded", "crushed", "drilled", "disintegrated", "incinerated")


class DiagnosticRun(Base):
    """One run of a diagnostic script on a bench, for one device in one cycle.

    The row exists from before the first byte is sent: while `ended_at` is NULL
    the run is going on (its outcome says `aborted` until it ends, so a process
    that dies leaves an aborted run behind, not nothing).
    """

    __tablename__ = "diagnostic_runs"
    __table_args__ = (
        CheckConstraint(
            "outcome IN ('pass', 'fail', 'error', 'timeout', 'aborted')", name="outcome_known"
        ),
        # The gate reads a device's latest run of each script in its cycle.
        Index("ix_diagnostic_runs_device_id_cycle_script", "device_id", "cycle", "script"),
        # Runs left open by a dead process are found by their start.
        Index("ix_diagnostic_runs_ended_at_started_at", "ended_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    cycle: Mapped[int] = mapped_column(Integer)
    script: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(10), default="aborted")
    code: Mapped[str] = mapped_column(String(40), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    bench_maker: Mapped[str] = mapped_column(String(100), default="")
    bench_model: Mapped[str] = mapped_column(String(40), default="")
    bench_serial: Mapped[str] = mapped_column(String(100), default="")
    bench_firmware: Mapped[str] = mapped_column(String(40), default="")
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    station: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # {measurement name: {"low": x, "high": y}}: the limits in force when it ran.
    limits: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    # [{"name", "outcome", "code", "message"}] for each step reached.
    steps: Mapped[list[Any]] = mapped_column(JSONDocument, default=list)
    # The drives the bench reported (model, serial, capacity_bytes, type).
    drives: Mapped[list[Any]] = mapped_column(JSONDocument, default=list)
    # Every line sent and received, one per text line: "<ISO time> <direction> <text>".
    transcript: Mapped[str] = mapped_column(Text, default="")

    device: Mapped[Device] = relationship()
    operator: Mapped[User | None] = relationship()
    measurements: Mapped[list[DiagnosticMeasurement]] = relationship(
        back_populates="run", order_by="DiagnosticMeasurement.id", cascade="all, delete-orphan"
    )

    @property
    def running(self) -> bool:
        """True while the run has not ended."""
        return self.ended_at is None

    @property
    def bench(self) -> str:
        """The bench as one line: maker, model, serial and firmware."""
        if not self.bench_model:
            return ""
        return f"{self.bench_maker} {self.bench_model} {self.bench_serial} {self.bench_firmware}"


class DiagnosticMeasurement(Base):
    """One value a run measured, with the limits it was held against."""

    __tablename__ = "diagnostic_measurements"
    __table_args__ = (
        CheckConstraint("outcome IN ('pass', 'fail', 'not_measured')", name="outcome_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("diagnostic_runs.id"), index=True)
    step: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(60))
    value: Mapped[float | None] = mapped_column(Float, default=None)
    unit: Mapped[str] = mapped_column(String(20), default="")
    low: Mapped[float | None] = mapped_column(Float, default=None)
    high: Mapped[float | None] = mapped_column(Float, default=None)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    outcome: Mapped[str] = mapped_column(String(12))

    run: Mapped[DiagnosticRun] = relationship(back_populates="measurements")


class ErasureRecord(Base):
    """One drive erased, by a bench in a run or elsewhere (`manual`, with the tool's log), or
    destroyed (method DESTROY, recorded by hand, with how and the destruction's reference)."""

    __tablename__ = "erasure_records"
    __table_args__ = (
        CheckConstraint("drive_type IN ('HDD', 'SSD', 'NVME')", name="drive_type_known"),
        CheckConstraint(
            "method IN ('OVERWRITE', 'CRYPTO', 'SANITIZE', 'DESTROY')", name="method_known"
        ),
        CheckConstraint(
            "nist_category IN ('Clear', 'Purge', 'Destroy')", name="nist_category_known"
        ),
        CheckConstraint("capacity_bytes >= 0", name="capacity_not_negative"),
        # A destroyed drive says how, is NIST Destroy, and only a destroyed drive is either
        # (IS NOT NULL first: a NULL in IN would make the whole check unknown, which passes).
        CheckConstraint(
            "(method = 'DESTROY' AND nist_category = 'Destroy' AND destruction IS NOT NULL AND "
            "destruction IN ('shredded', 'crushed', 'drilled', 'disintegrated', 'incinerated')) OR "
            "(method <> 'DESTROY' AND nist_category <> 'Destroy' AND destruction IS NULL)",
            name="destruction_consistent",
        ),
        Index("ix_erasure_records_device_id_cycle", "device_id", "cycle"),
        # A drive is destroyed once: a second submit of the same form cannot add a record.
        Index(
            "ux_erasure_records_destroyed_drive",
            "device_id",
            "cycle",
            "drive_serial",
            unique=True,
            sqlite_where=text("method = 'DESTROY'"),
            postgresql_where=text("method = 'DESTROY'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    cycle: Mapped[int] = mapped_column(Integer)
    # The bench run that erased it; NULL for a drive erased elsewhere.
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("diagnostic_runs.id"), index=True, default=None
    )
    drive_model: Mapped[str] = mapped_column(String(200))
    drive_serial: Mapped[str] = mapped_column(String(100))
    capacity_bytes: Mapped[int] = mapped_column(BigInteger)
    drive_type: Mapped[str] = mapped_column(String(4))
    method: Mapped[str] = mapped_column(String(10))
    # NIST SP 800-88: OVERWRITE is Clear; CRYPTO and SANITIZE are Purge; DESTROY is Destroy.
    nist_category: Mapped[str] = mapped_column(String(10))
    # The bench's identity, or the tool used elsewhere (name and version).
    tool: Mapped[str] = mapped_column(String(200), default="")
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    verification: Mapped[str] = mapped_column(Text, default="")
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    # For a manual record: the erasure tool's own log, as text.
    log: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # For a destroyed drive: how (a DESTRUCTIONS code), the destruction certificate's number
    # or the locked bin's batch, and whether another drive was put in its place.
    destruction: Mapped[str | None] = mapped_column(String(20), default=None)
    reference: Mapped[str] = mapped_column(String(200), default="")
    replaced: Mapped[bool] = mapped_column(Boolean, default=False)

    device: Mapped[Device] = relationship()
    run: Mapped[DiagnosticRun | None] = relationship()
    operator: Mapped[User | None] = relationship(foreign_keys=[operator_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    @property
    def destroyed(self) -> bool:
        """True for a drive physically destroyed rather than erased."""
        return self.method == DESTROY


class NoStorage(Base):
    """A device recorded as having no storage in one cycle: it has no drive to erase."""

    __tablename__ = "no_storage"
    __table_args__ = (UniqueConstraint("device_id", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    cycle: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))

    declared_by: Mapped[User | None] = relationship()


class LimitOverride(Base):
    """An administrator's limits for one measurement of one script, for one category."""

    __tablename__ = "diagnostic_limits"
    __table_args__ = (
        UniqueConstraint("category", "script", "measurement"),
        CheckConstraint("low IS NULL OR high IS NULL OR low <= high", name="low_not_above_high"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(20))
    script: Mapped[str] = mapped_column(String(40))
    measurement: Mapped[str] = mapped_column(String(60))
    low: Mapped[float | None] = mapped_column(Float, default=None)
    high: Mapped[float | None] = mapped_column(Float, default=None)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    changed_by: Mapped[User | None] = relationship()


JOB_STATES = ("queued", "running", "done", "cancelled", "lost")


class BenchJob(Base):
    """A script asked of a workstation's bench; its bench agent claims it, runs it, reports it.

    `queued` until an agent of the station claims it (the run then exists, so a dead
    agent leaves an ended run behind), `running` while the agent keeps reporting,
    then `done`, `cancelled` (stopped before or while running) or `lost` (the agent
    stopped reporting; its run ends as an error).
    """

    __tablename__ = "bench_jobs"
    __table_args__ = (
        CheckConstraint(
            "state IN ('queued', 'running', 'done', 'cancelled', 'lost')", name="state_known"
        ),
        CheckConstraint("percent IS NULL OR percent BETWEEN 0 AND 100", name="percent_in_range"),
        # An agent looks for the oldest queued job of its station.
        Index("ix_bench_jobs_station_state", "station", "state"),
        # The work card shows a device's jobs, the newest first.
        Index("ix_bench_jobs_device_id_requested_at", "device_id", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    cycle: Mapped[int] = mapped_column(Integer)
    script: Mapped[str] = mapped_column(String(40))
    station: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10), default="queued")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The user whose token the agent that claimed it uses.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    percent: Mapped[int | None] = mapped_column(Integer, default=None)
    message: Mapped[str] = mapped_column(String(200), default="")
    abort_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("diagnostic_runs.id"), index=True, default=None
    )

    device: Mapped[Device] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    agent: Mapped[User | None] = relationship(foreign_keys=[agent_id])
    run: Mapped[DiagnosticRun | None] = relationship()


# Staff, health data and published impact figures have their own module; loaded here for the metadata.
from inventory import people  # noqa: E402,F401

# Each workstation's label printer has its own module; loaded here for the metadata.
# isort: split
from inventory import printers  # noqa: E402,F401

# Issued certificates (their fingerprints) have their own module; loaded here for the metadata.
# isort: split
from inventory import certificates  # noqa: E402,F401

# Repairs and spare parts have their own module; loaded here for the metadata.
# isort: split
from inventory import repair_models  # noqa: E402,F401
