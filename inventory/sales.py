"""Selling ready devices in orders, all of an order or none of it, and taking devices back."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.accounts import User
from inventory.errors import N_, Conflict, IllegalTransition, InvalidInput, NotFound, WorkshopError
from inventory.models import SALE_CHANNELS, Device, SaleLine, SaleOrder
from inventory.stages import move_to_stage
from inventory.types import utcnow

MAX_CUSTOMER = 200
MAX_REASON = 200
MAX_PRICE = Decimal("99999999.99")


class NotReady(WorkshopError):
    """Devices that are not ready for sale: `refused` lists each tag and its stage."""

    code = "not_ready"


def clean_price(value: Any, field: str = "price") -> Decimal:
    """A price in euros with at most two decimals, from a number or a text."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise InvalidInput(N_("%(field)s must be a price in euros, like 149.90."), field=field)
    try:
        price = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(
            N_("%(field)s must be a price in euros, like 149.90."), field=field
        ) from None
    if not price.is_finite() or price < 0 or price > MAX_PRICE:
        raise InvalidInput(
            N_("%(field)s must be a price in euros, like 149.90."), field=field
        ) from None
    if price != price.quantize(Decimal("0.01")):
        raise InvalidInput(
            N_("%(field)s has more than two decimals: cents are the least."), field=field
        )
    return price.quantize(Decimal("0.01"))


def open_order(
    session: Session,
    *,
    customer: Any,
    channel: Any,
    reference: Any = "",
    entered_by: User | None,
) -> SaleOrder:
    """Open a sale order for a customer on one channel (shop, b2b, online, donation)."""
    if channel not in SALE_CHANNELS:
        raise InvalidInput(
            N_("Unknown sales channel %(value)r."),
            field="channel",
            value=str(channel)[:100],
            allowed=list(SALE_CHANNELS),
        )
    for name, value in (("customer", customer), ("reference", reference)):
        if value is not None and not isinstance(value, str):
            raise InvalidInput(N_("%(field)s must be text."), field=name)
        if value and len(value) > MAX_CUSTOMER:
            raise InvalidInput(
                N_("%(field)s is at most %(limit)s characters."), field=name, limit=MAX_CUSTOMER
            )
    order = SaleOrder(
        customer=(customer or "").strip(),
        channel=channel,
        reference=(reference or "").strip(),
        status="open",
        created_by=entered_by,
    )
    session.add(order)
    session.flush()
    return order


def get_order(session: Session, order_id: int) -> SaleOrder:
    """The sale order with this number, or NotFound."""
    order = session.get(SaleOrder, order_id)
    if order is None:
        raise NotFound(N_("There is no sale order number %(order)s."), order=order_id)
    return order


def list_orders(session: Session, limit: int = 200) -> list[SaleOrder]:
    """The latest sale orders, the newest first."""
    return list(session.scalars(select(SaleOrder).order_by(SaleOrder.id.desc()).limit(limit)))


def _require_open(order: SaleOrder) -> None:
    if order.status != "open":
        raise Conflict(
            N_("Sale order %(order)s is %(status)s: it can no longer change."),
            order=order.number,
            status=order.status,
        )


def add_to_order(session: Session, order: SaleOrder, device: Device, price: Any) -> SaleLine:
    """Add a ready device to an open order at its price; any other stage is refused."""
    _require_open(order)
    price = clean_price(price)
    if device.stage != "ready":
        raise NotReady(
            N_("%(asset_tag)s is in stage %(stage)s, not ready for sale: it cannot be sold."),
            asset_tag=device.asset_tag,
            stage=device.stage,
            refused=[{"asset_tag": device.asset_tag, "stage": device.stage}],
        )
    for line in order.lines:
        if line.device_id == device.id:
            raise Conflict(
                N_("%(asset_tag)s is already in this order."), asset_tag=device.asset_tag
            )
    line = SaleLine(device=device, price=price)
    order.lines.append(line)
    session.flush()
    return line


def remove_from_order(session: Session, order: SaleOrder, line_id: int) -> Device:
    """Take a line off an open order; the device stays ready for sale."""
    _require_open(order)
    for line in order.lines:
        if line.id == line_id:
            order.lines.remove(line)
            session.flush()
            return line.device
    raise NotFound(N_("This line is not in the order any more."), line=line_id)


def cancel_order(session: Session, order: SaleOrder) -> SaleOrder:
    """Give up an open order; its devices stay ready for sale."""
    _require_open(order)
    order.status = "cancelled"
    session.flush()
    return order


def not_ready(refused: list[dict[str, str]]) -> NotReady:
    """The refusal of a sale naming every device that is not ready and its stage."""
    listing = ", ".join(f"{item['asset_tag']} ({item['stage']})" for item in refused)
    return NotReady(
        N_("Nothing was sold: not ready for sale: %(listing)s."),
        listing=listing,
        refused=refused,
    )


def complete_order(
    session: Session,
    order: SaleOrder,
    *,
    entered_by: User | None,
    occurred_at: datetime | None = None,
) -> SaleOrder:
    """Sell every device of the order in one go, or none if any is no longer ready."""
    _require_open(order)
    if not order.lines:
        raise InvalidInput(N_("The order has no devices yet: scan one first."), field="lines")
    refused = [
        {"asset_tag": line.device.asset_tag, "stage": line.device.stage}
        for line in order.lines
        if line.device.stage != "ready"
    ]
    if refused:
        raise not_ready(refused)
    for line in order.lines:
        try:
            move_to_stage(
                session,
                line.device,
                "sold",
                entered_by=entered_by,
                expected_stage="ready",
                occurred_at=occurred_at,
                order_id=order.id,
                channel=order.channel,
                # JSON holds no Decimal; the string keeps the cents exact.
                price=str(line.price),
            )
        except (Conflict, IllegalTransition):
            # Changed by another terminal since we looked: name it with the others.
            refused.append({"asset_tag": line.device.asset_tag, "stage": line.device.stage})
    if refused:
        raise not_ready(refused)
    order.status = "completed"
    order.completed_at = occurred_at or utcnow()
    session.flush()
    return order


def return_device(
    session: Session,
    device: Device,
    *,
    reason: Any,
    entered_by: User | None,
    note: Any = None,
    occurred_at: datetime | None = None,
) -> Device:
    """Take back a sold device, with the customer's reason, into stage returned."""
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput(N_("Say why the device comes back (reason)."), field="reason")
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            N_("reason is at most %(limit)s characters."), field="reason", limit=MAX_REASON
        )
    line = session.scalars(
        select(SaleLine)
        .join(SaleOrder)
        .where(SaleLine.device_id == device.id, SaleOrder.status == "completed")
        .order_by(SaleLine.id.desc())
        .limit(1)
    ).first()
    return move_to_stage(
        session,
        device,
        "returned",
        entered_by=entered_by,
        note=note,
        occurred_at=occurred_at,
        reason=reason,
        order_id=line.order_id if line is not None else None,
    )
