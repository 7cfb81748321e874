"""Helpers for the people and impact tests: local times, and device histories written in bulk."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from inventory.models import Device, Event
from inventory.types import utcnow

PARIS = ZoneInfo("Europe/Paris")


def at(day: str, clock: str = "12:00") -> datetime:
    """A moment in the workshop's time zone (Paris), as the aware UTC time the log stores."""
    local = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), PARIS)
    return local.astimezone(UTC)


@dataclass(frozen=True)
class History:
    """One device's life in dates (Paris noon unless a time is given as 'YYYY-MM-DD HH:MM')."""

    received: str
    ready: str | None = None
    sold: str | None = None
    recycled: str | None = None
    channel: str = "shop"
    weight_kg: str = "2.000"


def _moment(text: str) -> datetime:
    day, _space, clock = text.partition(" ")
    return at(day, clock or "12:00")


def write_histories(
    session: Session, histories: Iterable[History], *, first_number: int | None = None
) -> list[int]:
    """Insert devices and their intake, ready, sold and recycled events in bulk; their ids."""
    histories = list(histories)
    if first_number is None:
        first_number = (session.scalar(select(Device.id).order_by(Device.id.desc())) or 0) + 1
    now = utcnow()
    devices = []
    for number, history in enumerate(histories, start=first_number):
        last = history.recycled or history.sold or history.ready or history.received
        stage = (
            "recycled"
            if history.recycled
            else "sold"
            if history.sold
            else "ready"
            if history.ready
            else "received"
        )
        devices.append(
            {
                "asset_tag": f"H{number:09d}",
                "category": "laptop",
                "make": "HP",
                "model": "EliteBook 840",
                "specs": {},
                "weight_kg": Decimal(history.weight_kg),
                "stage": stage,
                "stage_entered_at": _moment(last),
                "grade": "B" if history.ready else None,
                "cycle": 1,
                "received_at": _moment(history.received),
                "version": 1,
            }
        )
    ids = list(
        session.scalars(
            insert(Device.__table__).returning(Device.__table__.c.id, sort_by_parameter_order=True),
            devices,
        )
    )
    events = []
    for device_id, history in zip(ids, histories, strict=True):
        events.append(_event(device_id, "intake", None, "received", history.received, now))
        previous = "received"
        if history.ready:
            events.append(_event(device_id, "stage_change", "qc", "ready", history.ready, now))
            previous = "ready"
        if history.sold:
            events.append(
                _event(
                    device_id,
                    "stage_change",
                    previous,
                    "sold",
                    history.sold,
                    now,
                    channel=history.channel,
                )
            )
        if history.recycled:
            events.append(
                _event(
                    device_id,
                    "stage_change",
                    previous,
                    "recycled",
                    history.recycled,
                    now,
                    weight_kg=history.weight_kg,
                )
            )
    session.execute(insert(Event.__table__), events)
    return ids


def _event(
    device_id: int,
    kind: str,
    from_stage: str | None,
    to_stage: str,
    when: str,
    now: datetime,
    **payload: str,
) -> dict[str, object]:
    return {
        "kind": kind,
        "device_id": device_id,
        "from_stage": from_stage,
        "to_stage": to_stage,
        "entered_by_id": None,
        "performed_by_id": None,
        "occurred_at": _moment(when),
        "recorded_at": now,
        "payload": {"imported": True, **payload},
    }
