"""Importing devices with their history, one row each, from a workshop's old spreadsheets.

Each row becomes a device with a new asset tag, its manufacturer serial, and
one event per date given, every one marked `"imported": true` with the id of
the import's own event (`import_event`):

- `received_on`: `intake` into `received` (its lot is opened when unknown);
- `grade`: `graded`, at `ready_on` (or `received_on` when it was never ready);
- `ready_on`: `stage_change` into `ready`, the first entry that counts as repaired;
- `sold_on`: `stage_change` from `ready` into `sold`, as a line of one completed
  sale order per channel and import (`channel` is an optional column, `shop`
  when absent), at `sale_price`;
- `recycled_on`: `stage_change` into `recycled`, with the weight in kilograms.

A date is a day; its events are put at noon UTC, which is that same day in
every time zone from UTC-11 to UTC+11. The device ends in the stage of its
last event.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import partial
from itertools import islice
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from inventory.accounts import User
from inventory.codes import asset_tag, looks_like_asset_tag
from inventory.errors import N_, InvalidInput
from inventory.imports.bulk import converter, insert_rows, json_string, new_ids, roomy_cache
from inventory.imports.kinds import ImportKind, Progress, Row, Source, register
from inventory.intake import ASSET_COUNTER, clean_serial, clean_weight
from inventory.models import (
    CATEGORIES,
    GRADES,
    SALE_CHANNELS,
    Counter,
    Device,
    Event,
    Identifier,
    Lot,
    SaleLine,
    SaleOrder,
)
from inventory.sales import clean_price
from inventory.types import utcnow

COLUMNS = (
    "serial_number",
    "category",
    "make",
    "model",
    "weight_kg",
    "lot",
    "received_on",
    "ready_on",
    "sold_on",
    "recycled_on",
    "grade",
    "sale_price",
)
DATE_COLUMNS = ("received_on", "ready_on", "sold_on", "recycled_on")
DEFAULT_CHANNEL = "shop"
# Rows written per round of INSERTs: big enough to be fast, small enough to show progress.
CHUNK = 5000
# Serials looked up per query; under SQLite's and PostgreSQL's limits on parameters.
LOOKUP_CHUNK = 900
NOON = time(12, tzinfo=UTC)
RECYCLING_REASON = "other"


@dataclass(frozen=True, slots=True)
class DeviceRow:
    """One checked row: what the device is and the days its history happened."""

    line: int
    serial: str
    category: str
    make: str
    model: str
    weight_kg: Decimal | None
    lot: str | None
    received_on: date
    ready_on: date | None
    sold_on: date | None
    recycled_on: date | None
    grade: str | None
    price: Decimal | None
    channel: str


def _day(text: str, today: date) -> date | None:
    if not text:
        return None
    try:
        # Only YYYY-MM-DD: 03/04/2016 is the 3rd of April in France and March 4th elsewhere.
        if len(text) != 10:
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(N_("%(value)r is not a date written YYYY-MM-DD."), value=text) from None
    if day > today:
        raise InvalidInput(N_("%(value)s is in the future."), value=text)
    return day


def _serial(text: str) -> str:
    """intake.clean_serial, with its most common case (printable ASCII, upper case) in one pass."""
    if (
        0 < len(text) <= 100
        and text.isascii()
        and text.isprintable()
        and " " not in text
        and text == text.upper()
        and not looks_like_asset_tag(text)
    ):
        return text
    return clean_serial(text)


def _price(text: str) -> Decimal | None:
    return clean_price(text, field="sale_price") if text else None


def _text(row: Row, column: str, limit: int) -> str:
    text = " ".join(row.values[column].split())
    if not text:
        row.error(column, N_("%(column)s is empty."), column=column)
    elif len(text) > limit:
        row.error(
            column, N_("%(column)s is at most %(limit)s characters."), column=column, limit=limit
        )
    return text


def _after(row: Row, later: str, day: date | None, earlier: str, before: date | None) -> None:
    if day is not None and before is not None and day < before:
        row.error(
            later,
            N_("%(later)s (%(day)s) is before %(earlier)s (%(before)s)."),
            later=later,
            day=day.isoformat(),
            earlier=earlier,
            before=before.isoformat(),
        )


@register
class DeviceImport(ImportKind):
    """Devices with their history: intake, repair, sale or recycling, at the days given."""

    name = "devices"
    label = N_("Devices")
    noun = N_("devices")
    columns = COLUMNS
    optional_columns = ("channel",)
    roles = frozenset({"manager", "admin"})

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        today = datetime.now(UTC).date()
        self.convert: dict[str, Callable[[str], Any]] = {
            "serial_number": _serial,
            "weight_kg": clean_weight,
            "sale_price": _price,
            **{column: partial(_day, today=today) for column in DATE_COLUMNS},
        }
        # The first row of each serial, to name it when the serial comes again.
        self.first_line: dict[str, Row] = {}
        # A year's file repeats its days, weights and prices: each text is converted once.
        self.done: dict[str, dict[str, Any]] = {column: {} for column in self.convert}

    def _cell(self, row: Row, column: str) -> Any:
        """A cell converted by its column's rule, or None with the refusal recorded on the row."""
        text = row.values[column]
        done = self.done[column]
        try:
            outcome = done[text]
        except KeyError:
            try:
                outcome = self.convert[column](text)
            except InvalidInput as error:
                outcome = error
            # Serials are all different: remembering them would only take memory.
            if column != "serial_number":
                done[text] = outcome
        if isinstance(outcome, InvalidInput):
            row.refused(column, outcome)
            return None
        return outcome

    def check_row(self, row: Row) -> DeviceRow | None:
        """One device: its serial, what it is, and days in the order they can happen."""
        values = row.values
        serial = self._cell(row, "serial_number")
        if serial is not None:
            first = self.first_line.setdefault(serial, row)
            if first is not row:
                row.error(
                    "serial_number",
                    N_("Serial %(serial)s is already on line %(first)s of the file."),
                    serial=serial,
                    first=first.line,
                )
        category = values["category"].lower()
        if category not in CATEGORIES:
            row.error(
                "category",
                N_("Unknown category %(value)r: use one of %(allowed)s."),
                value=values["category"],
                allowed=", ".join(CATEGORIES),
            )
        make = _text(row, "make", 100)
        model = _text(row, "model", 200)
        weight = self._cell(row, "weight_kg")
        lot = " ".join(values["lot"].split()) or None
        if lot is not None and (
            len(lot) > 64 or lot.lower() == "new" or lot.lower().endswith(".csv")
        ):
            row.error(
                "lot",
                N_(
                    "%(value)r cannot be a lot code: 1 to 64 characters, not 'new' nor ending in .csv."
                ),
                value=lot,
            )
        received, ready, sold, recycled = (self._cell(row, column) for column in DATE_COLUMNS)
        if received is None and not values["received_on"]:
            row.error("received_on", N_("received_on is empty: every device was received one day."))
        _after(row, "ready_on", ready, "received_on", received)
        _after(row, "sold_on", sold, "ready_on", ready)
        _after(row, "sold_on", sold, "received_on", received)
        _after(row, "recycled_on", recycled, "ready_on", ready)
        _after(row, "recycled_on", recycled, "received_on", received)
        if values["sold_on"] and not values["ready_on"]:
            row.error(
                "ready_on",
                N_("The device was sold, so it was ready for sale first: give ready_on."),
            )
        if values["sold_on"] and values["recycled_on"]:
            row.error(
                "recycled_on",
                N_(
                    "A sold device cannot be recycled by the workshop: give sold_on or recycled_on, not both."
                ),
            )
        grade = values["grade"].upper() or None
        if grade is not None and grade not in GRADES:
            row.error("grade", N_("Unknown grade %(value)r: use A, B or C."), value=values["grade"])
        elif grade is None and values["ready_on"]:
            row.error("grade", N_("A device ready for sale has a grade: give A, B or C."))
        price = self._cell(row, "sale_price")
        if values["sale_price"]:
            if not values["sold_on"]:
                row.error("sale_price", N_("A sale price without sold_on: when was it sold?"))
        elif values["sold_on"]:
            row.error("sale_price", N_("The device was sold: give its price (0 when given away)."))
        if values["recycled_on"] and not values["weight_kg"]:
            row.error(
                "weight_kg", N_("A recycled device needs its weight, for the recycled kilograms.")
            )
        channel = values["channel"].lower() or DEFAULT_CHANNEL
        if channel not in SALE_CHANNELS:
            row.error(
                "channel",
                N_("Unknown sales channel %(value)r: use one of %(allowed)s."),
                value=values["channel"],
                allowed=", ".join(SALE_CHANNELS),
            )
        if row.errors:
            return None
        assert received is not None
        return DeviceRow(
            row.line,
            serial,
            category,
            make,
            model,
            weight,
            lot,
            received,
            ready,
            sold,
            recycled,
            grade,
            price,
            channel,
        )

    def check_together(self, checked: list[tuple[Row, Any]]) -> None:
        """No serial already known to the workshop (asked in bulk, for every row with one)."""
        known = _known_serials(self.session, list(self.first_line))
        for serial, row in self.first_line.items():
            if serial in known:
                row.error(
                    "serial_number",
                    N_("Serial %(serial)s is already known to the workshop as %(asset_tag)s."),
                    serial=serial,
                    asset_tag=known[serial],
                )

    def summary(self, records: list[DeviceRow]) -> dict[str, int]:
        """How many devices end in each stage."""
        counts: dict[str, int] = defaultdict(int)
        for record in records:
            counts[_final_stage(record)] += 1
        return dict(counts)

    def write(
        self,
        records: list[DeviceRow],
        *,
        entered_by: User | None,
        source: Source,
        progress: Progress,
    ) -> dict[str, int]:
        """Every device, its serial, its events and its sale line, in chunks of INSERTs."""
        session = self.session
        lot_ids, lots_opened = _lots(session, records, entered_by, source)
        orders = _orders(session, records, entered_by, source)
        first = _take_numbers(session, ASSET_COUNTER, len(records))
        connection = session.connection()
        ids = new_ids(connection, _DEVICES, len(records))
        maker = RowMaker(connection.dialect, entered_by, source, lot_ids, orders)
        counts = {"devices": 0, "events": 0, "lots_opened": lots_opened, "sold": 0}
        with roomy_cache(connection):
            for start in range(0, len(records), CHUNK):
                chunk = records[start : start + CHUNK]
                rows = maker.rows(chunk, ids[start : start + CHUNK], first + start)
                for table, columns in TABLES:
                    insert_rows(connection, table, columns, rows[table.name])
                counts["devices"] += len(chunk)
                counts["events"] += len(rows["events"])
                counts["sold"] += len(rows["sale_lines"])
                progress(len(chunk))
        return counts


_DEVICES = Device.__table__
_EVENTS = Event.__table__
# What the import writes, in the order the foreign keys need.
TABLES: tuple[tuple[Table, tuple[str, ...]], ...] = (
    (
        _DEVICES,
        (
            "id",
            "asset_tag",
            "category",
            "make",
            "model",
            "specs",
            "weight_kg",
            "lot_id",
            "location_id",
            "stage",
            "stage_entered_at",
            "grade",
            "cycle",
            "received_at",
            "version",
        ),
    ),
    (Identifier.__table__, ("device_id", "kind", "value", "created_at")),
    (
        _EVENTS,
        (
            "kind",
            "device_id",
            "from_stage",
            "to_stage",
            "entered_by_id",
            "performed_by_id",
            "occurred_at",
            "recorded_at",
            "payload",
        ),
    ),
    (SaleLine.__table__, ("order_id", "device_id", "price", "added_at")),
)
_COUNTERS = Counter.__table__
_TAKE_MANY = (
    update(_COUNTERS)
    .where(_COUNTERS.c.name == bindparam("counter"))
    .values(value=_COUNTERS.c.value + bindparam("count"))
    .returning(_COUNTERS.c.value)
)


def _at(day: date) -> datetime:
    return datetime.combine(day, NOON)


def _known_serials(session: Session, serials: list[str]) -> dict[str, str]:
    """The serials among these that a device already carries, with its asset tag."""
    known: dict[str, str] = {}
    query = (
        select(Identifier.value, Device.asset_tag)
        .join(Device, Device.id == Identifier.device_id)
        .where(
            Identifier.kind == "serial", Identifier.value.in_(bindparam("values", expanding=True))
        )
    )
    values = iter(serials)
    while batch := list(islice(values, LOOKUP_CHUNK)):
        known.update(session.execute(query, {"values": batch}).all())
    return known


def _take_numbers(session: Session, counter: str, count: int) -> int:
    """The first of `count` numbers taken at once from a counter (see counters.take_number)."""
    last = session.scalar(_TAKE_MANY, {"counter": counter, "count": count})
    if last is None:
        session.execute(insert(_COUNTERS).values(name=counter, value=count))
        last = count
    return last - count + 1


def _lots(
    session: Session, records: list[DeviceRow], entered_by: User | None, source: Source
) -> tuple[dict[str, int], int]:
    """The id of every lot the rows name, opening those the workshop does not know yet."""
    first_day: dict[str, date] = {}
    for record in records:
        if record.lot is not None:
            day = first_day.get(record.lot)
            if day is None or record.received_on < day:
                first_day[record.lot] = record.received_on
    codes = list(first_day)
    ids: dict[str, int] = {}
    for start in range(0, len(codes), LOOKUP_CHUNK):
        batch = codes[start : start + LOOKUP_CHUNK]
        ids.update(session.execute(select(Lot.code, Lot.id).where(Lot.code.in_(batch))).all())
    new = [code for code in codes if code not in ids]
    if not new:
        return ids, 0
    now = utcnow()
    session.execute(
        insert(Lot.__table__),
        [
            {
                "code": code,
                "donor": "",
                "received_on": first_day[code],
                "reference": "",
                "note": "",
                "created_at": now,
            }
            for code in new
        ],
    )
    for start in range(0, len(new), LOOKUP_CHUNK):
        batch = new[start : start + LOOKUP_CHUNK]
        ids.update(session.execute(select(Lot.code, Lot.id).where(Lot.code.in_(batch))).all())
    by = entered_by.id if entered_by is not None else None
    session.execute(
        insert(_EVENTS),
        [
            {
                "kind": "lot_opened",
                "device_id": None,
                "entered_by_id": by,
                "performed_by_id": by,
                "occurred_at": _at(first_day[code]),
                "recorded_at": now,
                "payload": {
                    "lot": code,
                    "donor": "",
                    "imported": True,
                    "import_event": source.event_id,
                },
            }
            for code in new
        ],
    )
    return ids, len(new)


def _orders(
    session: Session, records: list[DeviceRow], entered_by: User | None, source: Source
) -> dict[str, int]:
    """One completed sale order per channel the sold rows use, holding their lines."""
    last_sale: dict[str, date] = {}
    for record in records:
        if record.sold_on is not None:
            day = last_sale.get(record.channel)
            if day is None or record.sold_on > day:
                last_sale[record.channel] = record.sold_on
    orders = {}
    for channel, day in last_sale.items():
        order = SaleOrder(
            customer="",
            channel=channel,
            reference=f"Import {source.filename}"[:200],
            status="completed",
            created_by=entered_by,
            completed_at=_at(day),
        )
        session.add(order)
        session.flush()
        orders[channel] = order.id
    return orders


def _final_stage(record: DeviceRow) -> str:
    if record.recycled_on is not None:
        return "recycled"
    if record.sold_on is not None:
        return "sold"
    if record.ready_on is not None:
        return "ready"
    return "received"


class RowMaker:
    """Builds the rows of a chunk of devices in the driver's own terms (see bulk.py)."""

    def __init__(
        self,
        dialect: Dialect,
        entered_by: User | None,
        source: Source,
        lot_ids: dict[str, int],
        orders: dict[str, int],
    ) -> None:
        convert_time = converter(_EVENTS.c.occurred_at, dialect)
        self.day = lambda day: convert_time(_at(day))
        self.now = convert_time(utcnow())
        self.weight = converter(_DEVICES.c.weight_kg, dialect)
        self.price = converter(SaleLine.__table__.c.price, dialect)
        self.by = entered_by.id if entered_by is not None else None
        self.lot_ids = lot_ids
        self.orders = orders
        # Every event's payload ends with the same mark; JSON text is built here, not dumped.
        self.mark = f'"imported": true, "import_event": {json.dumps(source.event_id)}}}'
        self.texts: dict[Any, str] = {}

    def _payload(self, key: tuple[Any, ...]) -> str:
        """A payload shared by many rows (a lot, a grade, a sale price), as JSON text built once."""
        found = self.texts.get(key)
        if found is not None:
            return found
        what, *values = key
        mark = self.mark
        if what == "lot":
            found = f'"lot": {json_string(values[0])}, ' if values[0] else ""
        elif what == "graded":
            found = f'{{"grade": {json_string(values[0])}, {mark}'
        elif what == "sold":
            order, channel, price = values
            # The price as text keeps the cents exact, as sales.py writes it.
            found = (
                f'{{"order_id": {order}, "channel": {json_string(channel)}, '
                f'"price": "{price}", {mark}'
            )
        else:
            found = f'{{"reason": "{RECYCLING_REASON}", "weight_kg": "{values[0]}", {mark}'
        self.texts[key] = found
        return found

    def rows(
        self, chunk: list[DeviceRow], ids: list[int], first_number: int
    ) -> dict[str, list[tuple[Any, ...]]]:
        """The devices, serials, events and sale lines of these records, by table name."""
        devices, identifiers, events, lines = [], [], [], []
        by, now, mark, day = self.by, self.now, self.mark, self.day
        for number, (device_id, record) in enumerate(zip(ids, chunk, strict=True), first_number):
            received = day(record.received_on)
            last = record.recycled_on or record.sold_on or record.ready_on or record.received_on
            lot = record.lot
            devices.append(
                (
                    device_id,
                    asset_tag(number),
                    record.category,
                    record.make,
                    record.model,
                    "{}",
                    self.weight(record.weight_kg),
                    self.lot_ids[lot] if lot is not None else None,
                    None,
                    _final_stage(record),
                    day(last),
                    record.grade,
                    1,
                    received,
                    1,
                )
            )
            identifiers.append((device_id, "serial", record.serial, now))
            lot_text = self._payload(("lot", lot))
            intake = (
                f'{{"serial_number": {json_string(record.serial)}, "cycle": 1, {lot_text}{mark}'
            )
            events.append(("intake", device_id, None, "received", by, None, received, now, intake))
            stage = "received"
            if record.grade is not None:
                graded = self._payload(("graded", record.grade))
                events.append(
                    (
                        "graded",
                        device_id,
                        None,
                        None,
                        by,
                        None,
                        day(record.ready_on or record.received_on),
                        now,
                        graded,
                    )
                )
            if record.ready_on is not None:
                events.append(
                    (
                        "stage_change",
                        device_id,
                        stage,
                        "ready",
                        by,
                        None,
                        day(record.ready_on),
                        now,
                        "{" + mark,
                    )
                )
                stage = "ready"
            if record.sold_on is not None:
                order = self.orders[record.channel]
                sale = self._payload(("sold", order, record.channel, record.price))
                sold = day(record.sold_on)
                events.append(("stage_change", device_id, stage, "sold", by, None, sold, now, sale))
                lines.append((order, device_id, self.price(record.price), sold))
            if record.recycled_on is not None:
                recycled = self._payload(("recycled", record.weight_kg))
                events.append(
                    (
                        "stage_change",
                        device_id,
                        stage,
                        "recycled",
                        by,
                        None,
                        day(record.recycled_on),
                        now,
                        recycled,
                    )
                )
        return {
            "devices": devices,
            "identifiers": identifiers,
            "events": events,
            "sale_lines": lines,
        }
