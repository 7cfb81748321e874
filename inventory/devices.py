"""Finding devices: by asset tag, by identifier, and the searchable list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session, selectinload

from inventory.codes import normalize
from inventory.errors import InvalidInput, NotFound
from inventory.lifecycle import STAGES
from inventory.models import CATEGORIES, Assignment, Device, Identifier, Lot

MAX_PER_PAGE = 200


def get_device(session: Session, asset_tag: str) -> Device:
    """The device with this asset tag, or NotFound."""
    tag = normalize(asset_tag)
    device = session.scalar(
        select(Device).where(Device.asset_tag == tag).options(selectinload(Device.identifiers))
    )
    if device is None:
        raise NotFound("No device has the asset tag %(asset_tag)s.", asset_tag=tag)
    return device


# Built once with bound parameters: every scan and intake runs it, and building
# a statement (and its cache key) costs SQLAlchemy more than SQLite takes to run it.
_BY_IDENTIFIER = (
    select(Device)
    .join(Identifier)
    .where(Identifier.kind == bindparam("kind"), Identifier.value == bindparam("value"))
    .options(selectinload(Device.identifiers))
)


def find_by_identifier(session: Session, value: str, kind: str = "serial") -> Device | None:
    """The device carrying this identifier, if any."""
    return session.scalar(_BY_IDENTIFIER, {"kind": kind, "value": value})


@dataclass(frozen=True)
class Page:
    """One page of a device list."""

    items: list[Device]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the whole list takes."""
        return max(1, -(-self.total // self.per_page))


def find_devices(
    session: Session,
    *,
    q: str = "",
    stage: str = "",
    category: str = "",
    lot: str = "",
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """Devices matching a search (tag, serial, make, model) and filters, newest first."""
    if stage and stage not in STAGES:
        raise InvalidInput(
            "Unknown stage %(value)r.", field="stage", value=stage, allowed=list(STAGES)
        )
    if category and category not in CATEGORIES:
        raise InvalidInput(
            "Unknown category %(value)r.",
            field="category",
            value=category,
            allowed=list(CATEGORIES),
        )
    if page < 1:
        raise InvalidInput("page starts at 1.", field="page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput("per_page must be 1 to %(limit)s.", field="per_page", limit=MAX_PER_PAGE)

    query = select(Device)
    if stage:
        query = query.where(Device.stage == stage)
    if category:
        query = query.where(Device.category == category)
    if lot:
        query = query.join(Lot).where(Lot.code == lot)
    text = q.strip()
    if text:
        code = normalize(text)
        pattern = f"%{text.lower()}%"
        serial_match = (
            select(Identifier.device_id)
            .where(Identifier.value >= code, Identifier.value < code + "\uffff")
            .scalar_subquery()
        )
        query = query.where(
            or_(
                Device.asset_tag == code,
                Device.id.in_(serial_match),
                func.lower(Device.make).like(pattern),
                func.lower(Device.model).like(pattern),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.options(
            selectinload(Device.identifiers),
            selectinload(Device.lot),
            selectinload(Device.location),
            # Who holds each device: one query for the page, not one per row.
            selectinload(Device.active_assignment).selectinload(Assignment.technician),
        )
        .order_by(Device.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page(items=list(items), total=total, page=page, per_page=per_page)
