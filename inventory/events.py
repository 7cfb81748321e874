"""Appending to the event log, the workshop's source of truth."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.accounts import User
from inventory.models import Device, Event
from inventory.types import utcnow


def record_event(
    session: Session,
    kind: str,
    *,
    device: Device | None,
    entered_by: User | None,
    performed_by: User | None = None,
    occurred_at: datetime | None = None,
    from_stage: str | None = None,
    to_stage: str | None = None,
    **payload: Any,
) -> Event:
    """Append one event; who did the work defaults to who entered it."""
    now = utcnow()
    event = Event(
        kind=kind,
        device=device,
        entered_by=entered_by,
        performed_by=performed_by or entered_by,
        occurred_at=occurred_at or now,
        recorded_at=now,
        from_stage=from_stage,
        to_stage=to_stage,
        payload={key: value for key, value in payload.items() if value is not None},
    )
    session.add(event)
    return event


def device_history(session: Session, device: Device) -> list[Event]:
    """Every event of a device, oldest first."""
    query = select(Event).where(Event.device_id == device.id).order_by(Event.id)
    return list(session.scalars(query))
