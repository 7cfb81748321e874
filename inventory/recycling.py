"""Recycling a device: why it leaves the workshop and what it weighs, for the yearly figures."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from inventory.accounts import User
from inventory.errors import N_, InvalidInput
from inventory.models import Device
from inventory.stages import _save, move_to_stage

# The reasons the device page offers; the API takes any short text.
REASONS = ("beyond_repair", "obsolete", "missing_parts", "liquid_damage", "no_demand", "other")
MAX_REASON = 200
MAX_WEIGHT_KG = Decimal("2000")


def clean_weight(value: Any) -> Decimal | None:
    """A weight in kilograms as a Decimal, or None when none is given."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise InvalidInput(N_("weight_kg must be a number."), field="weight_kg")
    try:
        weight = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(N_("weight_kg must be a number."), field="weight_kg") from None
    if not weight.is_finite() or weight < 0 or weight > MAX_WEIGHT_KG:
        raise InvalidInput(
            N_("weight_kg must be between %(minimum)s and %(maximum)s."),
            field="weight_kg",
            minimum="0",
            maximum=str(MAX_WEIGHT_KG),
        )
    return weight.quantize(Decimal("0.001"))


def recycle(
    session: Session,
    device: Device,
    *,
    reason: Any,
    weight_kg: Any = None,
    entered_by: User | None,
    performed_by: User | None = None,
    note: Any = None,
    expected_stage: str | None = None,
    occurred_at: datetime | None = None,
) -> Device:
    """Recycle a device, recording why and its weight (given now, or known already)."""
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput(N_("Say why the device is recycled (reason)."), field="reason")
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            N_("reason is at most %(limit)s characters."), field="reason", limit=MAX_REASON
        )
    weight = clean_weight(weight_kg)
    if weight is None:
        weight = device.weight_kg
    if weight is None:
        raise InvalidInput(
            N_("%(asset_tag)s has no weight yet: weigh it and give weight_kg."),
            field="weight_kg",
            asset_tag=device.asset_tag,
        )
    move_to_stage(
        session,
        device,
        "recycled",
        entered_by=entered_by,
        performed_by=performed_by,
        note=note,
        expected_stage=expected_stage,
        occurred_at=occurred_at,
        reason=reason,
        # JSON holds no Decimal; the string keeps the weight exact for the yearly sums.
        weight_kg=str(weight),
    )
    if device.weight_kg is None or Decimal(device.weight_kg) != weight:
        _save(session, device, {"weight_kg": weight})
    return device
