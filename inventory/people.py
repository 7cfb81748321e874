"""The people of the workshop: staff records, employment periods, insertion, skills, health data.

Also the yearly impact figures once published. The services live in
inventory/staff.py, inventory/recognition.py and inventory/impact.py.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.accounts import User
from inventory.db import Base
from inventory.types import JSONDocument, UTCDateTime, utcnow

CONTRACTS = (
    "permanent",
    "fixed_term",
    "insertion",
    "apprentice",
    "subsidised",
    "intern",
    "volunteer",
)
# Interns and volunteers are not paid jobs: they never count as jobs created or sustained.
PAID_CONTRACTS = tuple(
    contract for contract in CONTRACTS if contract not in ("intern", "volunteer")
)
EXIT_OUTCOMES = ("durable_employment", "transition_employment", "training", "other")
POSITIVE_EXITS = ("durable_employment", "transition_employment", "training")
SKILL_LEVELS = ("learning", "autonomous", "trainer")


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class Person(Base):
    """Someone who works or worked at the workshop, whether or not they log in."""

    __tablename__ = "staff"
    # An index rather than a constraint, as for badges: one person per user account.
    __table_args__ = (Index("ux_staff_user_id", "user_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_number: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User | None] = relationship()
    employments: Mapped[list[Employment]] = relationship(
        back_populates="person", order_by="Employment.hired_on"
    )
    insertions: Mapped[list[InsertionProgramme]] = relationship(
        back_populates="person", order_by="InsertionProgramme.entered_on"
    )
    skills: Mapped[list[Skill]] = relationship(back_populates="person", order_by="Skill.stage")

    def __repr__(self) -> str:
        return f"<Person {self.staff_number} {self.name}>"


class Employment(Base):
    """One period of employment on one contract; a rehire is a second period."""

    __tablename__ = "employments"
    __table_args__ = (
        CheckConstraint(f"contract IN ({_sql_list(CONTRACTS)})", name="contract_known"),
        CheckConstraint("fte >= 0 AND fte <= 1", name="fte_in_range"),
        CheckConstraint("left_on IS NULL OR left_on >= hired_on", name="left_after_hired"),
        Index("ix_employments_person_id_hired_on", "person_id", "hired_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    hired_on: Mapped[date] = mapped_column(Date)
    # The last day worked; NULL while the person is still employed.
    left_on: Mapped[date | None] = mapped_column(Date, default=None)
    contract: Mapped[str] = mapped_column(String(20))
    fte: Mapped[Decimal] = mapped_column(Numeric(4, 3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person: Mapped[Person] = relationship(back_populates="employments")

    @property
    def paid(self) -> bool:
        """True for a paid job (every contract but intern and volunteer)."""
        return self.contract in PAID_CONTRACTS

    def employed_on(self, day: date) -> bool:
        """True when the person works under this period on that day."""
        return self.hired_on <= day and (self.left_on is None or self.left_on >= day)


class InsertionProgramme(Base):
    """A stay in an insertion programme, from entry to exit and where the exit led."""

    __tablename__ = "insertion_programmes"
    __table_args__ = (
        CheckConstraint(
            f"exit_outcome IS NULL OR exit_outcome IN ({_sql_list(EXIT_OUTCOMES)})",
            name="exit_outcome_known",
        ),
        CheckConstraint("exited_on IS NULL OR exited_on >= entered_on", name="exit_after_entry"),
        # Where an exit led is only known once it happened.
        CheckConstraint("exit_outcome IS NULL OR exited_on IS NOT NULL", name="outcome_has_exit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    entered_on: Mapped[date] = mapped_column(Date)
    exited_on: Mapped[date | None] = mapped_column(Date, default=None)
    exit_outcome: Mapped[str | None] = mapped_column(String(30), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person: Mapped[Person] = relationship(back_populates="insertions")


class Skill(Base):
    """How well a person masters one stage: learning, autonomous, or able to train others."""

    __tablename__ = "skills"
    __table_args__ = (
        UniqueConstraint("person_id", "stage"),
        CheckConstraint(f"level IN ({_sql_list(SKILL_LEVELS)})", name="level_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    stage: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(12))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person: Mapped[Person] = relationship(back_populates="skills")


class DisabilityRecognition(Base):
    """A recognised disability, valid between two dates: health data, for hr and admin only."""

    __tablename__ = "disability_recognitions"
    __table_args__ = (
        CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name="until_after_from"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    # The last day it is valid; NULL when it has no end.
    valid_until: Mapped[date | None] = mapped_column(Date, default=None)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def valid_on(self, day: date) -> bool:
        """True when the recognition covers that day."""
        return self.valid_from <= day and (self.valid_until is None or self.valid_until >= day)


class HealthDataRead(Base):
    """One read of disability recognitions: who read whose, when, and for what."""

    __tablename__ = "health_data_reads"

    id: Mapped[int] = mapped_column(primary_key=True)
    reader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # NULL when the read was of everyone's, to count totals for a report.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True, default=None)
    purpose: Mapped[str] = mapped_column(String(40))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    reader: Mapped[User | None] = relationship()
    person: Mapped[Person | None] = relationship()


class ImpactPublication(Base):
    """A year's impact figures as published, with the hashes of what they were computed from."""

    __tablename__ = "impact_publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    events_hash: Mapped[str] = mapped_column(String(64))
    events_count: Mapped[int] = mapped_column(Integer)
    staff_hash: Mapped[str] = mapped_column(String(64))
    # Every figure, the monthly breakdown included, exactly as the report printed them.
    figures: Mapped[dict[str, Any]] = mapped_column(JSONDocument)

    published_by: Mapped[User | None] = relationship()
