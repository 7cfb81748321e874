"""Finding devices: by asset tag, by identifier, and the searchable list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CompoundSelect, bindparam, func, or_, select, tuple_, union
from sqlalchemy.orm import Session, aliased, selectinload

from inventory.codes import normalize
from inventory.errors import InvalidInput, NotFound
from inventory.lifecycle import STAGES
from inventory.lots import get_lot
from inventory.models import CATEGORIES, Assignment, Device, Identifier

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


def _distinct_models() -> CompoundSelect:
    """Every (make, model) pair once, by hopping along their index: a few reads per pair."""
    first = select(Device.make, Device.model).order_by(Device.make, Device.model).limit(1)
    models = select(first.subquery()).cte("models", recursive=True)
    later = aliased(Device)

    def following(column, *where):  # noqa: ANN001, ANN202 (SQL expressions)
        return (
            select(column).where(*where).order_by(later.make, later.model).limit(1)
        ).scalar_subquery()

    # The next model of the same make, else the first model of the next make.
    same_make = (later.make == models.c.make, later.model > models.c.model)
    next_make = (later.make > models.c.make,)
    return models.union_all(
        select(
            func.coalesce(following(later.make, *same_make), following(later.make, *next_make)),
            func.coalesce(following(later.model, *same_make), following(later.model, *next_make)),
        ).where(models.c.make.is_not(None))
    )


# A workshop has a million devices but a few hundred models: a make or model
# search looks through the models, then fetches their devices by index,
# instead of reading every device's make and model.
_MODELS = _distinct_models()
_MODELS_CONTAINING = select(_MODELS.c.make, _MODELS.c.model).where(
    _MODELS.c.make.is_not(None),
    or_(
        func.lower(_MODELS.c.make).like(bindparam("pattern")),
        func.lower(_MODELS.c.model).like(bindparam("pattern")),
    ),
)


def _matching(session: Session, text: str) -> CompoundSelect:
    """Ids of the devices with this tag, a serial starting so, or a make or model containing it."""
    code = normalize(text)
    branches = [
        select(Device.id).where(Device.asset_tag == code),
        select(Identifier.device_id).where(
            Identifier.value >= code, Identifier.value < code + "\uffff"
        ),
    ]
    models = session.execute(_MODELS_CONTAINING, {"pattern": f"%{text.lower()}%"}).all()
    if models:
        branches.append(
            select(Device.id).where(tuple_(Device.make, Device.model).in_(list(map(tuple, models))))
        )
    # Each branch reads its own index; OR-ed in one WHERE they would read every device.
    return union(*branches)


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
    entered_since: datetime | None = None,
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
        # An unknown lot is said, not answered with an empty list; it is a filter, not
        # the thing asked for, so a bad value rather than a missing resource.
        try:
            query = query.where(Device.lot_id == get_lot(session, lot).id)
        except NotFound as error:
            raise InvalidInput(error.template, **error.details) from None
    if entered_since is not None:
        query = query.where(Device.stage_entered_at >= entered_since)
    text = q.strip()
    if text:
        query = query.where(Device.id.in_(_matching(session, text)))
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
