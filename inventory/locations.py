"""Warehouse locations (shelves, bins, pallets, areas) and putting devices away on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from inventory.accounts import User
from inventory.codes import LOCATION_DIGITS, location_code, normalize
from inventory.counters import take_number
from inventory.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from inventory.events import record_event
from inventory.lifecycle import LEFT_STAGES
from inventory.models import LOCATION_KINDS, Device, Location
from inventory.repair_models import Part

LOCATION_COUNTER = "location_code"
MAX_NAME = 100
MAX_NUMBER = 10**LOCATION_DIGITS - 1


def next_location_code(session: Session) -> str:
    """Take the next location number, shared safely by every process."""
    number = take_number(session, LOCATION_COUNTER)
    if number > MAX_NUMBER:
        raise InvalidInput(
            "The workshop has used every location code (%(limit)s).", limit=MAX_NUMBER
        )
    return location_code(number)


def create_location(session: Session, name: str, kind: str, *, entered_by: User | None) -> Location:
    """Record a new shelf, bin, pallet or area, with the code to print on its label."""
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("Give the location a name, for example Shelf A3.", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(
            "A location name is at most %(limit)s characters.", field="name", limit=MAX_NAME
        )
    if kind not in LOCATION_KINDS:
        raise InvalidInput(
            "Unknown kind of location %(value)r.",
            field="kind",
            value=str(kind)[:100],
            allowed=list(LOCATION_KINDS),
        )
    location = Location(code=next_location_code(session), name=name, kind=kind, active=True)
    session.add(location)
    session.flush()
    record_event(
        session,
        "location_created",
        device=None,
        entered_by=entered_by,
        location=location.code,
        name=name,
        location_kind=kind,
    )
    return location


def get_location(session: Session, code: str) -> Location:
    """The location with this code, or NotFound."""
    wanted = normalize(code or "")
    location = session.scalar(select(Location).where(Location.code == wanted))
    if location is None:
        raise NotFound("No location has the code %(location)s.", location=wanted[:32])
    return location


def list_locations(session: Session, *, active_only: bool = False) -> list[Location]:
    """Every location, in code order."""
    query = select(Location).order_by(Location.code)
    if active_only:
        query = query.where(Location.active.is_(True))
    return list(session.scalars(query))


def set_in_use(session: Session, location: Location, in_use: bool, *, by: User | None) -> Location:
    """Retire a location that is emptied (its code is never given again), or bring it back."""
    if location.active == in_use:
        return location
    if not in_use:
        held = devices_per_location(session).get(location.id, 0)
        if held:
            raise Conflict(
                "%(location)s still holds %(count)s devices: put them away elsewhere first.",
                location=location.code,
                count=held,
            )
        parts = parts_per_location(session).get(location.id, 0)
        if parts:
            raise Conflict(
                "%(location)s still holds %(count)s spare parts: put them away elsewhere first.",
                location=location.code,
                count=parts,
            )
    location.active = in_use
    session.flush()
    record_event(
        session,
        "location_restored" if in_use else "location_retired",
        device=None,
        entered_by=by,
        location=location.code,
        name=location.name,
    )
    return location


def devices_per_location(session: Session) -> dict[int, int]:
    """How many devices sit at each location, counted by the database in one query."""
    rows = session.execute(
        select(Device.location_id, func.count())
        .where(Device.location_id.is_not(None), Device.stage.not_in(LEFT_STAGES))
        .group_by(Device.location_id)
    )
    return {location_id: count for location_id, count in rows}


def parts_per_location(session: Session) -> dict[int, int]:
    """How many spare parts in stock sit at each location."""
    rows = session.execute(
        select(Part.location_id, func.count())
        .where(Part.location_id.is_not(None), Part.state == "in_stock")
        .group_by(Part.location_id)
    )
    return {location_id: count for location_id, count in rows}


def _moved_meanwhile(device: Device) -> Conflict:
    where = device.location
    if where is None:
        return Conflict(
            "%(asset_tag)s was changed by someone else at the same moment; it is at no "
            "location now. Look at it again before going on.",
            asset_tag=device.asset_tag,
            location=None,
        )
    return Conflict(
        "%(asset_tag)s was put at %(location)s (%(name)s) by someone else at the same "
        "moment. Look at it again before going on.",
        asset_tag=device.asset_tag,
        location=where.code,
        name=where.name,
    )


def put_away(
    session: Session,
    device: Device,
    location: Location,
    *,
    entered_by: User | None,
    expected_location: str | None = None,
    occurred_at: datetime | None = None,
) -> Device:
    """Put a device at a location; the device remembers where it is.

    `expected_location` is where the terminal believes the device is ("" for
    nowhere): if it is elsewhere now, someone moved it meanwhile and nothing changes.
    """
    if device.stage in LEFT_STAGES:
        raise IllegalTransition(
            "%(asset_tag)s has left the workshop (stage: %(stage)s) and cannot be put away. "
            "Set it aside and tell a manager.",
            asset_tag=device.asset_tag,
            stage=device.stage,
            allowed=[],
        )
    if not location.active:
        raise InvalidInput(
            "Location %(location)s (%(name)s) is no longer in use: choose another one.",
            field="location",
            location=location.code,
            name=location.name,
        )
    previous = device.location
    if expected_location is not None:
        now = previous.code if previous is not None else ""
        if normalize(expected_location) != now:
            raise _moved_meanwhile(device)
    try:
        # The version counter turns a second terminal's update into no row matched.
        with session.begin_nested():
            device.location = location
            session.flush()
    except StaleDataError:
        session.refresh(device)
        raise _moved_meanwhile(device) from None
    record_event(
        session,
        "put_away",
        device=device,
        entered_by=entered_by,
        occurred_at=occurred_at,
        from_location=previous.code if previous is not None else None,
        to_location=location.code,
    )
    return device
