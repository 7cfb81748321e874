"""Labels for the workshop's devices, locations, staff and spare parts: rendered, sent to a station's printer, logged.

Shared by the `workshop labels` command, the API and the pages; no Flask here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.accounts import User
from inventory.devices import get_device
from inventory.errors import N_, InvalidInput, NotFound
from inventory.locations import get_location
from inventory.models import Device
from inventory.parts import get_part
from inventory.printers import FORMATS, StationPrinter, record_label_print
from inventory.repair_models import Part
from labels.code128 import BarcodeError
from labels.layouts import AssetLabel, BadgeLabel, Label, LocationLabel, PartLabel
from labels.media import DEFAULT_MEDIUM, MEDIA, Medium
from labels.printing import Printer, PrintError, send
from labels.sheets import MAX_COPIES, MAX_LABELS, SheetError, render_pdf
from labels.zpl import render_zpl
from workshop import accounts

KINDS = ("asset", "location", "badge", "part")
CONTENT_TYPES = {"pdf": "application/pdf", "zpl": "application/x-zpl"}


class PrintFailed(InvalidInput):
    """The printer did not take the job; nothing was recorded as printed."""

    code = "print_failed"


@dataclass
class Batch:
    """Labels of one kind ready to render, with the devices they belong to."""

    kind: str
    labels: list[Label]
    codes: list[str]
    devices: list[Device]


def medium_named(name: str | None) -> Medium:
    """The medium called `name` (the default one when empty), or a refusal naming the known ones."""
    name = (name or DEFAULT_MEDIUM).strip()
    if name not in MEDIA:
        raise InvalidInput(
            "Unknown label medium %(medium)s: choose one of %(known)s.",
            field="medium",
            medium=name[:40],
            known=", ".join(MEDIA),
        )
    return MEDIA[name]


def check_format(format: str) -> str:
    """pdf or zpl, else a refusal."""
    if format not in FORMATS:
        raise InvalidInput(
            "Labels are printed as pdf or zpl, not %(format)s.", field="format", format=format[:20]
        )
    return format


def asset_batch(session: Session, tags: Sequence[str], workshop: str) -> Batch:
    """Asset labels for the devices with these tags; an unknown tag refuses the whole batch."""
    found = [get_device(session, tag) for tag in tags]
    return _devices_batch(found, workshop)


def _devices_batch(found: Sequence[Device], workshop: str) -> Batch:
    labels: list[Label] = [
        AssetLabel(device.asset_tag, device.make, device.model, workshop) for device in found
    ]
    return Batch("asset", labels, [device.asset_tag for device in found], list(found))


def devices_batch(found: Sequence[Device], workshop: str) -> Batch:
    """Asset labels for devices already loaded (a lot, a search result)."""
    return _devices_batch(found, workshop)


def location_batch(session: Session, codes: Sequence[str]) -> Batch:
    """Location labels for these codes."""
    places = [get_location(session, code) for code in codes]
    labels: list[Label] = [LocationLabel(place.code, place.name) for place in places]
    return Batch("location", labels, [place.code for place in places], [])


def badge_batch(session: Session, usernames: Sequence[str], workshop: str) -> Batch:
    """Badge labels for these users; each must have been issued a badge."""
    people = [accounts.get_user(session, name) for name in usernames]
    return people_batch(people, workshop)


def people_batch(people: Sequence[User], workshop: str) -> Batch:
    """Badge labels for users already loaded."""
    labels: list[Label] = []
    for person in people:
        if not person.badge_code:
            raise InvalidInput(
                "%(username)s has no badge yet: issue one first.",
                field="username",
                username=person.username,
            )
        labels.append(BadgeLabel(person.badge_code, person.name, person.username, workshop))
    return Batch("badge", labels, [person.badge_code or "" for person in people], [])


def part_batch(session: Session, codes: Sequence[str], language: str | None = None) -> Batch:
    """Part labels for these part codes; an unknown code refuses the whole batch."""
    return parts_batch([get_part(session, code) for code in codes], language)


def parts_batch(found: Sequence[Part], language: str | None = None) -> Batch:
    """Part labels for parts already loaded (a harvest, a delivery just received)."""
    labels: list[Label] = [
        PartLabel(part.code, part.kind.label(language), part.reference, part_origin(part))
        for part in found
    ]
    return Batch("part", labels, [part.code for part in found], [])


def part_origin(part: Part) -> str:
    """Where a part came from, as its label says: the donor's asset tag, else the supplier."""
    return part.donor.asset_tag if part.donor is not None else part.supplier


def users_with_badges(session: Session) -> list[User]:
    """Active users who hold a badge, by username."""
    query = (
        select(User)
        .where(User.active.is_(True), User.badge_code.is_not(None))
        .order_by(User.username)
    )
    return list(session.scalars(query))


def render(batch: Batch, medium: Medium, format: str, *, copies: int = 1, skip: int = 0) -> bytes:
    """The batch as a PDF or ZPL document, or a refusal saying what is wrong."""
    check_format(format)
    if not batch.labels:
        raise NotFound("There is no label to print.")
    if not 1 <= copies <= MAX_COPIES:
        raise InvalidInput("Copies go from 1 to %(limit)s.", field="copies", limit=MAX_COPIES)
    if skip and not medium.is_sheet:
        raise InvalidInput(
            "%(medium)s is a roll: there are no positions to skip.",
            field="skip",
            medium=medium.name,
        )
    if not 0 <= skip < medium.per_page:
        raise InvalidInput(
            "A %(medium)s sheet has %(count)s positions: skip 0 to %(last)s.",
            field="skip",
            medium=medium.name,
            count=medium.per_page,
            last=medium.per_page - 1,
        )
    if format == "zpl" and medium.is_sheet:
        raise InvalidInput(
            "%(medium)s is a sheet for office printers: print it as PDF, not ZPL.",
            field="format",
            medium=medium.name,
        )
    if len(batch.labels) * copies > MAX_LABELS:
        raise InvalidInput("At most %(limit)s labels at a time.", field="copies", limit=MAX_LABELS)
    try:
        if format == "zpl":
            return render_zpl(batch.labels, medium, copies=copies, skip=skip)
        return render_pdf(batch.labels, medium, copies=copies, skip=skip, title=_title(batch))
    except (BarcodeError, SheetError) as error:
        raise InvalidInput("This label cannot be printed: %(why)s", why=str(error)) from None


def _title(batch: Batch) -> str:
    first = batch.codes[0] if batch.codes else batch.kind
    return first if len(batch.codes) == 1 else f"{first} +{len(batch.codes) - 1}"


def print_at_station(
    session: Session,
    batch: Batch,
    printer: StationPrinter,
    *,
    copies: int = 1,
    skip: int = 0,
    by: User | None,
) -> str:
    """Send the batch to the station's printer in its medium and format, and log it; say where."""
    medium = medium_named(printer.medium)
    data = render(batch, medium, printer.format, copies=copies, skip=skip)
    target = Printer(printer.method, printer.target)
    try:
        send(target, data, title=_title(batch), raw=printer.format == "zpl")
    except PrintError as error:
        raise PrintFailed(
            N_("The label printer of %(station)s did not take the job: %(why)s"),
            station=printer.station,
            why=str(error),
        ) from None
    log_print(
        session,
        batch,
        medium=medium.name,
        copies=copies,
        station=printer.station,
        printer=target.describe(),
        by=by,
    )
    return target.describe()


def log_print(
    session: Session,
    batch: Batch,
    *,
    medium: str,
    copies: int,
    station: str,
    printer: str,
    by: User | None,
) -> None:
    """Record that the batch was printed (or handed over as a file to print)."""
    record_label_print(
        session,
        batch.kind,
        batch.codes,
        devices=batch.devices,
        medium=medium,
        copies=copies,
        station=station,
        printer=printer,
        by=by,
    )
