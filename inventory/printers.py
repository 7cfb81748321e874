"""Which printer each workstation sends its labels to, and the record of every label print."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

# The module, not the function: inventory.events imports the models, which import this module.
from inventory import events
from inventory.accounts import User
from inventory.db import Base
from inventory.errors import InvalidInput, NotFound
from inventory.models import Device
from inventory.types import UTCDateTime, utcnow

METHODS = ("lp", "raw")
FORMATS = ("pdf", "zpl")
MAX_STATION = 64


class StationPrinter(Base):
    """A workstation's label printer: a CUPS queue or a raw TCP address, its medium and format."""

    __tablename__ = "station_printers"
    __table_args__ = (
        CheckConstraint("method IN ('lp', 'raw')", name="method_known"),
        CheckConstraint("format IN ('pdf', 'zpl')", name="format_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    station: Mapped[str] = mapped_column(String(MAX_STATION), unique=True)
    method: Mapped[str] = mapped_column(String(8))
    # A CUPS queue name for lp, host or host:port for raw (port 9100 by default).
    target: Mapped[str] = mapped_column(String(200))
    medium: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(8))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    changed_by: Mapped[User | None] = relationship()


def clean_station(station: str) -> str:
    """A station name as stored: trimmed, single spaces, 1 to 64 characters."""
    station = " ".join((station or "").split())
    if not station or len(station) > MAX_STATION:
        raise InvalidInput(
            "A station name is 1 to %(limit)s characters.", field="station", limit=MAX_STATION
        )
    return station


def list_station_printers(session: Session) -> list[StationPrinter]:
    """Every workstation that has a label printer, by name."""
    return list(session.scalars(select(StationPrinter).order_by(StationPrinter.station)))


def find_station_printer(session: Session, station: str) -> StationPrinter | None:
    """The printer of a station, or None when it has none."""
    name = " ".join((station or "").split())
    if not name:
        return None
    return session.scalar(select(StationPrinter).where(StationPrinter.station == name))


def get_station_printer(session: Session, station: str) -> StationPrinter:
    """The printer of a station, or NotFound."""
    found = find_station_printer(session, station)
    if found is None:
        raise NotFound(
            "The station %(station)s has no label printer.", station=str(station)[:MAX_STATION]
        )
    return found


def set_station_printer(
    session: Session,
    station: str,
    *,
    method: str,
    target: str,
    medium: str,
    format: str,
    by: User | None,
) -> StationPrinter:
    """Give a station its printer, or change it; the caller has checked target and medium."""
    station = clean_station(station)
    if method not in METHODS:
        raise InvalidInput("Send labels by lp or raw.", field="method")
    if format not in FORMATS:
        raise InvalidInput("Labels are printed as pdf or zpl.", field="format")
    printer = find_station_printer(session, station)
    if printer is None:
        printer = StationPrinter(station=station)
        session.add(printer)
    printer.method = method
    printer.target = target.strip()
    printer.medium = medium
    printer.format = format
    printer.changed_by = by
    printer.changed_at = utcnow()
    session.flush()
    events.record_event(
        session,
        "station_printer_set",
        device=None,
        entered_by=by,
        station=station,
        method=method,
        target=printer.target,
        medium=medium,
        format=format,
    )
    return printer


def remove_station_printer(session: Session, station: str, *, by: User | None) -> None:
    """Take a station's printer away; its labels then open as PDF in the browser."""
    printer = get_station_printer(session, station)
    session.delete(printer)
    session.flush()
    events.record_event(
        session, "station_printer_removed", device=None, entered_by=by, station=printer.station
    )


def record_label_print(
    session: Session,
    kind: str,
    codes: list[str],
    *,
    devices: list[Device],
    medium: str,
    copies: int,
    station: str,
    printer: str,
    by: User | None,
) -> None:
    """One event per device whose label was printed; one event for location or badge labels."""
    details = {"label": kind, "medium": medium, "copies": copies, "station": station or None}
    details["printer"] = printer or None
    if devices:
        for device in devices:
            events.record_event(session, "label_printed", device=device, entered_by=by, **details)
    else:
        events.record_event(
            session, "label_printed", device=None, entered_by=by, codes=codes, **details
        )
