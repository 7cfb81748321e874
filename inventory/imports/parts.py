"""Importing spare parts into stock, one row per kind and reference, from a spreadsheet.

A row with a `donor` (the asset tag of a recycled device) is a harvested part;
one without is bought, and needs its `supplier` and `unit_cost`. `quantity`
identical parts get a code each. `fits` lists the device models the parts fit,
separated by `;` or `|`; `location` is the code of the shelf they go on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from inventory import parts as stock
from inventory.accounts import User
from inventory.codes import normalize
from inventory.errors import N_, InvalidInput
from inventory.imports.kinds import ImportKind, Progress, Row, Source, register
from inventory.models import Device
from inventory.repair_models import PartKind

SEPARATORS = re.compile(r"[;|]")


@dataclass(frozen=True)
class PartRow:
    """One checked row: parts of one kind and reference, bought or harvested."""

    line: int
    new: stock.NewPart
    quantity: int
    supplier: str
    unit_cost: Decimal | None
    donor_id: int | None


@register
class PartsImport(ImportKind):
    """Spare parts into stock: bought (supplier, unit cost) or harvested (donor)."""

    name = "parts"
    label = N_("Spare parts")
    noun = N_("parts")
    columns = ("kind", "reference", "quantity")
    optional_columns = ("supplier", "unit_cost", "donor", "location", "fits")
    roles = frozenset({"warehouse", "manager", "admin"})

    def __init__(self, session: Any) -> None:
        super().__init__(session)
        self.kinds = {kind.code: kind for kind in self.session.scalars(select(PartKind))}

    def check_row(self, row: Row) -> PartRow | None:
        """Convert one row; each problem names its column."""
        values = row.values
        kind = self.kinds.get(values["kind"].strip().lower())
        if kind is None:
            row.error(
                "kind",
                N_("Unknown part kind %(value)r; known: %(allowed)s."),
                value=values["kind"][:40],
                allowed=", ".join(sorted(self.kinds)),
            )
        quantity = values["quantity"].strip() or "1"
        if not quantity.isdigit() or not 1 <= int(quantity) <= stock.MAX_QUANTITY:
            row.error(
                "quantity",
                N_("The quantity is a whole number from 1 to %(limit)s."),
                limit=stock.MAX_QUANTITY,
            )
        donor_id = None
        tag = normalize(values.get("donor", ""))
        if tag:
            donor = self.session.scalar(select(Device).where(Device.asset_tag == tag))
            if donor is None:
                row.error("donor", N_("No device has the asset tag %(value)s."), value=tag[:16])
            elif donor.stage not in stock.HARVEST_STAGES:
                row.error(
                    "donor",
                    N_(
                        "%(value)s is not recycled: parts are harvested only from recycled devices."
                    ),
                    value=tag,
                )
            else:
                donor_id = donor.id
        cost = None
        supplier = values.get("supplier", "").strip()
        if not tag:
            try:
                cost = stock.clean_cost(values.get("unit_cost", ""))
            except InvalidInput as error:
                row.refused("unit_cost", error)
            else:
                if cost is None:
                    row.error("unit_cost", N_("A bought part needs its unit cost."))
            if not supplier:
                row.error("supplier", N_("A bought part needs its supplier."))
        fits = [
            model.strip() for model in SEPARATORS.split(values.get("fits", "")) if model.strip()
        ]
        if kind is None or row.errors:
            return None
        try:
            new = stock.check_new_part(
                self.session,
                {
                    "kind": kind.code,
                    "reference": values["reference"],
                    "location": values.get("location") or None,
                    "fits": fits,
                },
            )
        except InvalidInput as error:
            column = str(error.details.get("field", ""))
            row.refused(column if column in (*self.columns, *self.optional_columns) else "", error)
            return None
        return PartRow(row.line, new, int(quantity), supplier, cost, donor_id)

    def summary(self, records: list[PartRow]) -> dict[str, int]:
        """How many parts are bought and how many harvested."""
        return {
            "bought": sum(r.quantity for r in records if r.donor_id is None),
            "harvested": sum(r.quantity for r in records if r.donor_id is not None),
        }

    def write(
        self,
        records: list[PartRow],
        *,
        entered_by: User | None,
        source: Source,
        progress: Progress,
    ) -> dict[str, int]:
        """Store every part with its own code; the import's event says where they came from."""
        written = 0
        for record in records:
            donor = self.session.get(Device, record.donor_id) if record.donor_id else None
            stored = stock._store(
                self.session,
                record.new,
                record.quantity,
                source="harvested" if donor is not None else "bought",
                supplier=record.supplier,
                unit_cost=record.unit_cost,
                donor=donor,
                by=entered_by,
                at=stock.utcnow(),
            )
            written += len(stored)
            progress(1)
        return {"parts": written}
