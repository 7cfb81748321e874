"""Save and print at intake: the new device's label, to the terminal's printer or as a PDF."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from inventory.accounts import User
from inventory.errors import WorkshopError
from inventory.models import Device
from labels.media import DEFAULT_MEDIUM
from workshop import label_jobs
from workshop.display import error_text
from workshop.printing.terminal import terminal_printer


def print_after_intake(
    db_session: Session, device: Device, text: str, user: User | None
) -> tuple[str, str, dict[str, str]]:
    """(outcome kind, text, links) for the scan page once the device is saved."""
    printer = terminal_printer(db_session)
    if printer is None:
        # No printer at this terminal: the scan page offers the PDF, focused, one Enter away.
        return "ok", text, {"print_tag": device.asset_tag, "print_medium": DEFAULT_MEDIUM}
    batch = label_jobs.devices_batch([device], current_app.config["WORKSHOP_NAME"])
    try:
        where = label_jobs.print_at_station(db_session, batch, printer, by=user)
    except WorkshopError as error:
        db_session.rollback()
        return (
            "warn",
            f"{text} {error_text(error)}",
            {
                "print_tag": device.asset_tag,
                "print_medium": printer.medium if printer.format == "pdf" else DEFAULT_MEDIUM,
            },
        )
    db_session.commit()
    sent = _("Label sent to %(printer)s.", printer=where)
    return "ok", f"{text} {sent}", {}
