"""Donor lots: where a collection came from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inventory.accounts import User
from inventory.errors import AlreadyReceived, InvalidInput, NotFound
from inventory.events import record_event
from inventory.models import Device, Lot

# Built once: every intake looks its lot up (see devices._BY_IDENTIFIER).
_BY_CODE = select(Lot).where(Lot.code == bindparam("code"))


def get_lot(session: Session, code: str) -> Lot:
    """The lot with this code, or NotFound."""
    lot = session.scalar(_BY_CODE, {"code": code.strip()})
    if lot is None:
        raise NotFound(
            "No lot has the code %(lot)r. Create the lot first, then receive its devices.",
            field="lot",
            lot=code.strip(),
        )
    return lot


def list_lots(session: Session, limit: int | None = None) -> list[Lot]:
    """Every lot, or the `limit` newest, the newest first."""
    return list(session.scalars(select(Lot).order_by(Lot.id.desc()).limit(limit)))


def open_lot(
    session: Session,
    code: str,
    *,
    donor: str = "",
    received_on: date | None = None,
    reference: str = "",
    note: str = "",
    entered_by: User | None,
    occurred_at: datetime | None = None,
) -> Lot:
    """Record a collection that has arrived from a donor."""
    code = code.strip()
    if not code or len(code) > 64:
        raise InvalidInput("A lot code is 1 to 64 characters.", field="code")
    if code.lower() == "new" or code.lower().endswith(".csv"):
        # A lot's page is /lots/<code>: these would open the new-lot form or a CSV instead.
        raise InvalidInput(
            "%(lot)s cannot be a lot code: the lot pages use it. Add a date or the donor, "
            "for example 2024-06-%(lot)s.",
            field="code",
            lot=code,
        )
    for field, value, limit in (("donor", donor, 200), ("reference", reference, 200)):
        if len(value.strip()) > limit:
            raise InvalidInput(
                "%(field)s is at most %(limit)s characters.", field=field, limit=limit
            )
    if session.scalar(select(Lot.id).where(Lot.code == code)) is not None:
        raise AlreadyReceived("A lot with the code %(lot)r already exists.", field="code", lot=code)
    lot = Lot(code=code, donor=donor.strip(), received_on=received_on, reference=reference.strip())
    lot.note = note
    try:
        with session.begin_nested():
            session.add(lot)
            session.flush()
    except IntegrityError:
        raise AlreadyReceived(
            "A lot with the code %(lot)r already exists.", field="code", lot=code
        ) from None
    record_event(
        session,
        "lot_opened",
        device=None,
        entered_by=entered_by,
        occurred_at=occurred_at,
        lot=code,
        donor=lot.donor,
    )
    return lot


def lots_page(session: Session, page: int, per_page: int) -> tuple[list[Lot], bool]:
    """One page of lots, the newest first, and whether older ones follow."""
    query = select(Lot).order_by(Lot.id.desc()).offset((page - 1) * per_page).limit(per_page + 1)
    found = list(session.scalars(query))
    return found[:per_page], len(found) > per_page


def devices_by_stage(session: Session, lots: Sequence[Lot]) -> dict[int, dict[str, int]]:
    """How many devices of these lots are in each stage, counted by the database in one query."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if not lots:
        return counts
    rows = session.execute(
        select(Device.lot_id, Device.stage, func.count())
        .where(Device.lot_id.in_([lot.id for lot in lots]))
        .group_by(Device.lot_id, Device.stage)
    )
    for lot_id, stage, count in rows:
        counts[lot_id][stage] = count
    return counts
