"""Spare parts: their kinds, the models they fit, receiving bought ones, harvesting, finding them.

A part is one physical thing with its own code (P, six digits, a check
character). Its `reference` is what decides a fit: the manufacturer's part
number (a battery 01AV452), or a fitting key for generic parts (RAM "DDR4
SO-DIMM"). A fit says that parts of a kind with a reference fit a device model.

"Nearest first": the parts finder lists the parts at the requesting station's
own location first, then the others in location code order (codes are given
shelf after shelf, so neighbouring codes are neighbouring shelves), and the
parts not yet put away last.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.orm import Session

from inventory.accounts import User
from inventory.codes import normalize, part_code
from inventory.counters import take_number
from inventory.errors import N_, Conflict, IllegalTransition, InvalidInput, NotFound
from inventory.events import record_event
from inventory.locations import get_location
from inventory.models import Device, Location
from inventory.repair_models import Part, PartFit, PartKind
from inventory.types import utcnow

PART_COUNTER = "part"
MAX_REFERENCE = 100
MAX_MODEL = 200
MAX_SUPPLIER = 200
MAX_QUANTITY = 500
MAX_COST = Decimal("99999999.99")
MAX_ATTRIBUTES = 20
# Parts may be harvested from a device once it is recycled.
HARVEST_STAGES = frozenset({"recycled"})

# The part kinds a new workshop starts with: (code, English, French, fitting attributes,
# low-stock threshold). The 0015 migration seeds the same ones.
DEFAULT_KINDS: tuple[tuple[str, str, str, tuple[str, ...], int], ...] = (
    ("battery", "Battery", "Batterie", ("part_number",), 2),
    ("ram", "RAM module", "Barrette de mémoire", ("ram_type", "form_factor", "size_gb"), 4),
    ("ssd", "SSD", "SSD", ("interface", "form_factor", "size_gb"), 4),
    ("hdd", "Hard disk", "Disque dur", ("interface", "form_factor", "size_gb"), 2),
    ("keyboard", "Keyboard", "Clavier", ("layout", "part_number"), 2),
    ("screen", "Screen panel", "Dalle d'écran", ("size_in", "connector", "resolution"), 1),
    ("charger", "Charger", "Chargeur", ("watts", "connector"), 3),
    ("hinge", "Hinge", "Charnière", ("part_number",), 1),
    ("fan", "Fan", "Ventilateur", ("part_number",), 1),
)


def seed_default_kinds(session: Session) -> int:
    """Add the default part kinds not there yet; how many were added."""
    known = set(session.scalars(select(PartKind.code)))
    added = 0
    for code, label_en, label_fr, attributes, low_stock in DEFAULT_KINDS:
        if code not in known:
            session.add(
                PartKind(
                    code=code,
                    label_en=label_en,
                    label_fr=label_fr,
                    attributes=list(attributes),
                    low_stock=low_stock,
                    created_at=utcnow(),
                )
            )
            added += 1
    session.flush()
    return added


def part_kinds(session: Session) -> list[PartKind]:
    """Every part kind, by code."""
    return list(session.scalars(select(PartKind).order_by(PartKind.code)))


def get_kind(session: Session, code: Any, field: str = "kind") -> PartKind:
    """The part kind with this code, or a refusal naming the known ones."""
    kind = None
    if isinstance(code, str):
        kind = session.scalar(select(PartKind).where(PartKind.code == code.strip().lower()))
    if kind is None:
        raise InvalidInput(
            N_("Unknown part kind %(value)r."),
            field=field,
            value=str(code)[:40],
            allowed=[kind.code for kind in part_kinds(session)],
        )
    return kind


def get_part(session: Session, code: str) -> Part:
    """The part with this code, or NotFound."""
    wanted = normalize(code or "")
    part = session.scalar(select(Part).where(Part.code == wanted))
    if part is None:
        raise NotFound(N_("No part has the code %(part)s."), part=wanted[:16])
    return part


def _text(value: Any, field: str, limit: int, *, required: bool = True) -> str:
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        raise InvalidInput(N_("%(field)s must be text."), field=field)
    if required and not text:
        raise InvalidInput(N_("%(field)s is required."), field=field)
    if len(text) > limit:
        raise InvalidInput(
            N_("%(field)s is at most %(limit)s characters."), field=field, limit=limit
        )
    return text


def _attributes(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or len(value) > MAX_ATTRIBUTES:
        raise InvalidInput(
            N_("%(field)s is an object of at most %(limit)s attributes."),
            field=field,
            limit=MAX_ATTRIBUTES,
        )
    for name, item in value.items():
        if not isinstance(item, (str, int, float)) or isinstance(item, bool) or len(str(name)) > 40:
            raise InvalidInput(
                N_("%(field)s: each attribute is a short name and a text or a number."),
                field=f"{field}.{str(name)[:40]}",
            )
    return dict(value)


def clean_cost(value: Any, field: str = "unit_cost") -> Decimal | None:
    """A unit cost in euros, exact to the cent, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise InvalidInput(N_("%(field)s must be an amount in euros."), field=field)
    try:
        cost = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(N_("%(field)s must be an amount in euros."), field=field) from None
    if (
        not cost.is_finite()
        or cost < 0
        or cost > MAX_COST
        or cost != cost.quantize(Decimal("0.01"))
    ):
        raise InvalidInput(
            N_("%(field)s must be an amount in euros, at most two decimals."), field=field
        )
    return cost.quantize(Decimal("0.01"))


def _location(session: Session, code: Any, field: str) -> Location | None:
    if code is None or code == "":
        return None
    if not isinstance(code, str):
        raise InvalidInput(N_("%(field)s must be a location code."), field=field)
    try:
        location = get_location(session, code)
    except NotFound:
        raise InvalidInput(
            N_("No location has the code %(location)s."), field=field, location=code[:32]
        ) from None
    if not location.active:
        raise InvalidInput(
            N_("The location %(location)s is no longer in use."),
            field=field,
            location=location.code,
        )
    return location


def add_fit(session: Session, kind: PartKind, reference: str, model: str) -> bool:
    """Record that parts of a kind and reference fit a model; False when it was known."""
    reference = _text(reference, "reference", MAX_REFERENCE)
    model = _text(model, "fits", MAX_MODEL)
    known = session.scalar(
        select(PartFit.id).where(
            PartFit.model == model, PartFit.kind_id == kind.id, PartFit.reference == reference
        )
    )
    if known is not None:
        return False
    session.add(PartFit(model=model, kind_id=kind.id, reference=reference, created_at=utcnow()))
    session.flush()
    return True


@dataclass(frozen=True)
class NewPart:
    """A part about to go into stock, checked."""

    kind: PartKind
    reference: str
    attributes: dict[str, Any]
    location: Location | None
    fits: tuple[str, ...] = ()


def check_new_part(session: Session, data: Mapping[str, Any], prefix: str = "") -> NewPart:
    """Check one part's description: its kind, reference, attributes, location, models it fits."""
    kind = get_kind(session, data.get("kind"), f"{prefix}kind")
    fits = data.get("fits") or []
    if not isinstance(fits, (list, tuple)):
        raise InvalidInput(N_("%(field)s is a list of models."), field=f"{prefix}fits")
    return NewPart(
        kind=kind,
        reference=_text(data.get("reference"), f"{prefix}reference", MAX_REFERENCE),
        attributes=_attributes(data.get("attributes"), f"{prefix}attributes"),
        location=_location(session, data.get("location"), f"{prefix}location"),
        fits=tuple(_text(model, f"{prefix}fits", MAX_MODEL) for model in fits),
    )


def _store(
    session: Session,
    new: NewPart,
    quantity: int,
    *,
    source: str,
    supplier: str = "",
    unit_cost: Decimal | None = None,
    donor: Device | None = None,
    by: User | None,
    at: datetime,
) -> list[Part]:
    for model in new.fits:
        add_fit(session, new.kind, new.reference, model)
    parts = []
    for _ in range(quantity):
        part = Part(
            code=part_code(take_number(session, PART_COUNTER)),
            kind_id=new.kind.id,
            reference=new.reference,
            attributes=new.attributes,
            location_id=new.location.id if new.location is not None else None,
            state="in_stock",
            source=source,
            supplier=supplier,
            unit_cost=unit_cost,
            donor_id=donor.id if donor is not None else None,
            received_by_id=by.id if by is not None else None,
            received_at=at,
        )
        session.add(part)
        parts.append(part)
    session.flush()
    return parts


def receive_parts(
    session: Session,
    data: Mapping[str, Any],
    *,
    quantity: Any = 1,
    supplier: Any,
    unit_cost: Any,
    by: User | None,
    occurred_at: datetime | None = None,
) -> list[Part]:
    """Put bought parts into stock, each with its own code; one `parts_received` event."""
    new = check_new_part(session, data)
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidInput(N_("quantity must be a whole number."), field="quantity")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(
            N_("quantity is from 1 to %(limit)s."), field="quantity", limit=MAX_QUANTITY
        )
    supplier = _text(supplier, "supplier", MAX_SUPPLIER)
    cost = clean_cost(unit_cost)
    if cost is None:
        raise InvalidInput(N_("unit_cost is required for a bought part."), field="unit_cost")
    now = occurred_at or utcnow()
    parts = _store(
        session, new, quantity, source="bought", supplier=supplier, unit_cost=cost, by=by, at=now
    )
    record_event(
        session,
        "parts_received",
        device=None,
        entered_by=by,
        occurred_at=now,
        part_kind=new.kind.code,
        reference=new.reference,
        parts=[part.code for part in parts],
        supplier=supplier,
        unit_cost=str(cost),
    )
    return parts


def harvest(
    session: Session,
    donor: Device,
    parts: Any,
    *,
    by: User | None,
    occurred_at: datetime | None = None,
) -> list[Part]:
    """Take parts out of a recycled device into stock, the donor kept; one `harvest` event."""
    if donor.stage not in HARVEST_STAGES:
        raise IllegalTransition(
            N_(
                "%(asset_tag)s is in stage %(stage)s: parts are harvested only from a recycled "
                "device. Recycle it first."
            ),
            asset_tag=donor.asset_tag,
            stage=donor.stage,
            allowed=["recycled"],
        )
    if not isinstance(parts, (list, tuple)) or not parts:
        raise InvalidInput(N_("Name at least one part taken out."), field="parts")
    if len(parts) > MAX_QUANTITY:
        raise InvalidInput(N_("At most %(limit)s parts."), field="parts", limit=MAX_QUANTITY)
    checked = []
    for index, data in enumerate(parts):
        if not isinstance(data, Mapping):
            raise InvalidInput(N_("%(field)s must be an object."), field=f"parts[{index}]")
        checked.append(check_new_part(session, data, f"parts[{index}]."))
    now = occurred_at or utcnow()
    stored = [
        part
        for new in checked
        for part in _store(session, new, 1, source="harvested", donor=donor, by=by, at=now)
    ]
    record_event(
        session,
        "harvest",
        device=donor,
        entered_by=by,
        occurred_at=now,
        cycle=donor.cycle,
        parts=[part.code for part in stored],
        kinds=[new.kind.code for new in checked],
    )
    return stored


def put_part_away(
    session: Session,
    part: Part,
    location: Location,
    *,
    by: User | None,
    occurred_at: datetime | None = None,
) -> bool:
    """Put a part in stock on a shelf; one `part_moved` event; False when it was there already."""
    if not location.active:
        raise InvalidInput(
            N_("Location %(location)s (%(name)s) is no longer in use: choose another one."),
            field="location",
            location=location.code,
            name=location.name,
        )
    if part.state != "in_stock":
        raise IllegalTransition(
            N_("The part %(part)s is not in stock (it is %(state)s): it has no shelf any more."),
            part=part.code,
            state=part.state,
            allowed=[],
        )
    if part.location_id == location.id:
        return False
    previous = part.location.code if part.location is not None else None
    # Only a part still in stock moves: a repair taking it meanwhile wins.
    table = Part.__table__
    moved = session.execute(
        update(table)
        .where(table.c.id == part.id, table.c.state == "in_stock")
        .values(location_id=location.id)
    ).rowcount
    session.refresh(part)
    if not moved:
        raise Conflict(
            N_("The part %(part)s is not in stock (it is %(state)s): someone used it first."),
            part=part.code,
            state=part.state,
        )
    record_event(
        session,
        "part_moved",
        device=None,
        entered_by=by,
        occurred_at=occurred_at or utcnow(),
        part=part.code,
        from_location=previous,
        to_location=location.code,
    )
    return True


def harvested_from(session: Session, donor: Device) -> list[Part]:
    """The parts taken out of a device, in the order they were taken."""
    query = select(Part).where(Part.donor_id == donor.id).order_by(Part.id)
    return list(session.scalars(query))


# -- finding parts ----------------------------------------------------------------------------


def fitting_query(model: str, kind: PartKind | None = None, near: Location | None = None) -> Any:
    """The query of parts in stock that fit a model, nearest location first."""
    query = (
        select(Part)
        .join(
            PartFit,
            (PartFit.kind_id == Part.kind_id) & (PartFit.reference == Part.reference),
        )
        .outerjoin(Location, Location.id == Part.location_id)
        .where(PartFit.model == model, Part.state == "in_stock")
    )
    if kind is not None:
        query = query.where(PartFit.kind_id == kind.id)
    order = []
    if near is not None:
        order.append(case((Part.location_id == near.id, 0), else_=1))
    # Not yet put away comes last.
    order += [case((Location.code.is_(None), 1), else_=0), Location.code, Part.code]
    return query.order_by(*order)


def parts_that_fit(
    session: Session,
    model: str,
    *,
    kind: PartKind | None = None,
    near: Location | None = None,
    limit: int = 100,
) -> list[Part]:
    """Parts in stock that fit a device model, of a kind if given, nearest location first."""
    return list(session.scalars(fitting_query(model, kind, near).limit(limit)))


@dataclass(frozen=True)
class StockLine:
    """A kind's stock against its threshold."""

    kind: PartKind
    in_stock: int

    @property
    def missing(self) -> int:
        """How many parts short of the threshold."""
        return max(0, self.kind.low_stock - self.in_stock)


def stock_by_kind(session: Session) -> list[StockLine]:
    """Every kind with its count of parts in stock."""
    counts = dict(
        session.execute(
            select(Part.kind_id, func.count())
            .where(Part.state == "in_stock")
            .group_by(Part.kind_id)
        ).all()
    )
    return [StockLine(kind, counts.get(kind.id, 0)) for kind in part_kinds(session)]


def low_stock(session: Session) -> list[StockLine]:
    """Kinds with fewer parts in stock than their threshold, the shortest first."""
    lines = [line for line in stock_by_kind(session) if line.missing]
    return sorted(lines, key=lambda line: (-line.missing, line.kind.code))


def insert_fits(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk-add fits (imports, benchmarks): dicts of model, kind_id, reference."""
    if rows:
        now = utcnow()
        session.execute(insert(PartFit), [{**row, "created_at": now} for row in rows])
