"""The station this browser prints at, kept in its signed session cookie, and its printer."""

from __future__ import annotations

from flask import session
from sqlalchemy.orm import Session

from inventory.printers import StationPrinter, find_station_printer

STATION_KEY = "label_station"


def terminal_station() -> str:
    """The station chosen on this browser, or ''."""
    return str(session.get(STATION_KEY, ""))


def choose_station(station: str) -> None:
    """Print at this station from now on; '' opens labels as PDF in the browser."""
    if station:
        session[STATION_KEY] = station
    else:
        session.pop(STATION_KEY, None)


def terminal_printer(db_session: Session) -> StationPrinter | None:
    """The printer of this browser's station, or None: labels then open as PDF."""
    return find_station_printer(db_session, terminal_station())
