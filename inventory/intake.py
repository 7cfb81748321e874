"""Receiving devices: a serial is scanned, the device gets an asset tag."""

from __future__ import annotations

import unicodedata
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from inventory.accounts import User
from inventory.codes import asset_tag, has_valid_check, looks_like_asset_tag, normalize
from inventory.counters import take_number
from inventory.devices import find_by_identifier
from inventory.errors import AlreadyReceived, InvalidInput
from inventory.events import record_event
from inventory.lifecycle import LEFT_STAGES
from inventory.lots import get_lot
from inventory.models import CATEGORIES, Device, Event, Identifier, Lot
from inventory.types import utcnow

ASSET_COUNTER = "asset_tag"
MAX_WEIGHT_KG = Decimal("2000")


@dataclass(frozen=True)
class Intake:
    """What a scan at intake produced: the device, and whether it came back."""

    device: Device
    new_cycle: bool


def clean_serial(raw: str) -> str:
    """A manufacturer serial as stored: no blanks, upper case, printable characters only."""
    serial = normalize(raw)
    if not serial:
        raise InvalidInput(
            "The serial number is empty: scan the manufacturer's label.", field="serial_number"
        )
    if len(serial) > 100:
        raise InvalidInput("A serial number is at most 100 characters.", field="serial_number")
    if any(unicodedata.category(char).startswith("C") for char in serial):
        raise InvalidInput(
            "The serial number holds control characters: scan it again.", field="serial_number"
        )
    if looks_like_asset_tag(serial) and has_valid_check(serial):
        raise InvalidInput(
            "%(code)s is one of our asset tags, not a manufacturer serial: "
            "scan the serial on the manufacturer's label.",
            field="serial_number",
            code=serial,
        )
    return serial


def clean_weight(raw: Any) -> Decimal | None:
    """A weight in kilograms, or None; commas accepted as the decimal mark."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise InvalidInput("weight_kg must be a number of kilograms.", field="weight_kg")
    try:
        weight = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidInput("weight_kg must be a number of kilograms.", field="weight_kg") from None
    if not weight.is_finite() or weight < 0 or weight > MAX_WEIGHT_KG:
        raise InvalidInput(
            "weight_kg must be between 0 and %(limit)s kg.", field="weight_kg", limit=MAX_WEIGHT_KG
        )
    return weight.quantize(Decimal("0.001"))


def _clean_text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("%(field)s is required.", field=field)
    text = " ".join(value.split())
    if len(text) > limit:
        raise InvalidInput("%(field)s is at most %(limit)s characters.", field=field, limit=limit)
    return text


def next_asset_tag(session: Session) -> str:
    """Take the next asset tag number, shared safely by every process."""
    return asset_tag(take_number(session, ASSET_COUNTER))


def receive_device(
    session: Session,
    *,
    serial_number: str,
    category: str,
    make: str,
    model: str,
    lot: str | None = None,
    weight_kg: Any = None,
    specs: dict[str, Any] | None = None,
    entered_by: User | None,
    performed_by: User | None = None,
    station: str = "",
    occurred_at: datetime | None = None,
) -> Intake:
    """Receive a device by its manufacturer serial; refuses one that is already here."""
    serial = clean_serial(serial_number)
    if category not in CATEGORIES:
        raise InvalidInput(
            "Unknown category %(value)r.",
            field="category",
            value=category,
            allowed=list(CATEGORIES),
        )
    make = _clean_text(make, "make", 100)
    model = _clean_text(model, "model", 200)
    weight = clean_weight(weight_kg)
    the_lot = get_lot(session, lot) if lot else None

    # Most scans are of a new serial: asking for the id alone spares loading a device.
    known = session.scalar(_DEVICE_OF_SERIAL, {"value": serial}) is not None
    existing = find_by_identifier(session, serial) if known else None
    if existing is not None:
        return _come_back(
            session, existing, the_lot, weight, entered_by, performed_by, station, occurred_at
        )

    now = occurred_at or utcnow()
    doer = performed_by or entered_by
    try:
        with _race_guard(session):
            device = _insert_device(
                session,
                {
                    "asset_tag": next_asset_tag(session),
                    "category": category,
                    "make": make,
                    "model": model,
                    "specs": specs or {},
                    "weight_kg": weight,
                    "lot_id": the_lot.id if the_lot else None,
                    "location_id": None,
                    "stage": "received",
                    "stage_entered_at": now,
                    "grade": None,
                    "cycle": 1,
                    "received_at": now,
                    "version": 1,
                },
                serial,
                {
                    "kind": "intake",
                    "from_stage": None,
                    "to_stage": "received",
                    "entered_by_id": entered_by.id if entered_by else None,
                    "performed_by_id": doer.id if doer else None,
                    "occurred_at": now,
                    "recorded_at": utcnow(),
                    "payload": _without_none(
                        serial_number=serial,
                        lot=the_lot.code if the_lot else None,
                        cycle=1,
                        station=station or None,
                    ),
                },
            )
    except IntegrityError:
        # Another terminal received the same serial a moment ago.
        raced = find_by_identifier(session, serial)
        if raced is None:
            raise
        raise _already_received(raced) from None
    set_committed_value(device, "lot", the_lot)
    return Intake(device=device, new_cycle=False)


# Built once, on the tables: intake is the warehouse's busiest write, and the
# ORM's unit of work cost more than the three INSERTs it would emit.
_DEVICES, _IDENTIFIERS, _EVENTS = Device.__table__, Identifier.__table__, Event.__table__
_INSERT_DEVICE = insert(_DEVICES).returning(_DEVICES.c.id)
_INSERT_IDENTIFIER = insert(_IDENTIFIERS).returning(_IDENTIFIERS.c.id)
_INSERT_EVENT = insert(_EVENTS)
_DEVICE_OF_SERIAL = select(_IDENTIFIERS.c.device_id).where(
    _IDENTIFIERS.c.kind == "serial", _IDENTIFIERS.c.value == bindparam("value")
)


def _without_none(**payload: Any) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if value is not None}


def _insert_device(
    session: Session, values: dict[str, Any], serial: str, event: dict[str, Any]
) -> Device:
    """Insert a new device, its serial and its intake event; the device as if just loaded."""
    device_id = session.execute(_INSERT_DEVICE, values).scalar_one()
    identifier_id = session.execute(
        _INSERT_IDENTIFIER, {"device_id": device_id, "kind": "serial", "value": serial}
    ).scalar_one()
    session.execute(_INSERT_EVENT, {**event, "device_id": device_id})
    # Every column is known, so the objects join the session as loaded rows:
    # no SELECT follows, and nothing is left for a flush to write.
    device = Device(id=device_id, **values)
    identifier = Identifier(id=identifier_id, device_id=device_id, kind="serial", value=serial)
    for instance in (device, identifier):
        make_transient_to_detached(instance)
    set_committed_value(device, "identifiers", [identifier])
    set_committed_value(identifier, "device", device)
    # A device received this instant has no place and no assignment yet.
    set_committed_value(device, "location", None)
    set_committed_value(device, "active_assignment", None)
    session.add(device)
    return device


def _race_guard(session: Session) -> AbstractContextManager[Any]:
    """A savepoint around the insert where another terminal may insert the same serial first."""
    # On SQLite the write transaction holds the database lock since its
    # BEGIN IMMEDIATE, so no one can insert between our check and our insert;
    # the savepoint would only cost time on the warehouse's busiest path.
    if session.get_bind().dialect.name == "sqlite":
        return nullcontext()
    return session.begin_nested()


def _already_received(device: Device) -> AlreadyReceived:
    when = device.received_at.strftime("%Y-%m-%d %H:%M UTC")
    return AlreadyReceived(
        "Serial %(serial)s was already received on %(when)s as %(asset_tag)s "
        "(now in stage %(stage)s). Nothing was created.",
        serial=device.serial_number,
        when=when,
        asset_tag=device.asset_tag,
        received_at=device.received_at.isoformat(),
        stage=device.stage,
    )


def _come_back(
    session: Session,
    device: Device,
    lot: Lot | None,
    weight: Decimal | None,
    entered_by: User | None,
    performed_by: User | None,
    station: str,
    occurred_at: datetime | None,
) -> Intake:
    """A device that had left (sold or recycled) starts a new cycle on its record."""
    if device.stage not in LEFT_STAGES:
        raise _already_received(device)
    previous = device.stage
    now = occurred_at or utcnow()
    try:
        with session.begin_nested():
            device.stage = "received"
            device.stage_entered_at = now
            device.received_at = now
            device.cycle += 1
            device.grade = None
            if lot is not None:
                device.lot = lot
            if weight is not None:
                device.weight_kg = weight
            session.flush()
    except StaleDataError:
        session.refresh(device)
        raise _already_received(device) from None
    record_event(
        session,
        "intake",
        device=device,
        entered_by=entered_by,
        performed_by=performed_by,
        occurred_at=now,
        from_stage=previous,
        to_stage="received",
        serial_number=device.serial_number,
        lot=lot.code if lot is not None else None,
        cycle=device.cycle,
        station=station or None,
    )
    return Intake(device=device, new_cycle=True)


def previous_in_lot(session: Session, lot_code: str) -> Device | None:
    """The last device received in a lot, to pre-fill the next intake."""
    query = (
        select(Device)
        .join(Lot)
        .where(Lot.code == lot_code)
        .order_by(Device.received_at.desc(), Device.id.desc())
        .limit(1)
    )
    return session.scalar(query)
