"""What a scanned code is, and the log of every scan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.accounts import User
from inventory.codes import (
    has_valid_check,
    looks_like_asset_tag,
    looks_like_badge_code,
    looks_like_location_code,
    looks_like_part_code,
    normalize,
)
from inventory.devices import find_by_identifier, get_device
from inventory.errors import N_, NotFound
from inventory.models import Device, Location, Scan
from inventory.repair_models import Part

MAX_CODE = 200


@dataclass(frozen=True)
class Resolution:
    """What a code turned out to be: `device`, `location`, `staff`, `part`, `unknown` or `invalid`.

    `template` is the untranslated message, filled from `code` (see errors.py).
    """

    kind: str
    code: str
    device: Device | None = None
    template: str = ""
    location: Location | None = None
    # The holder of a staff badge (kind `staff`).
    user: User | None = None
    # The spare part whose label was scanned (kind `part`).
    part: Part | None = None

    @property
    def message(self) -> str:
        """The message in English, with the code filled in."""
        return self.template % {"code": self.code}


def resolve_code(session: Session, raw: str) -> Resolution:
    """Tell what a scanned code is: an asset tag, a location, a known serial, or nothing we know."""
    code = normalize(raw)
    if not code:
        return Resolution("invalid", code, template=N_("Nothing was scanned."))
    if len(code) > MAX_CODE:
        return Resolution(
            "invalid", code[:MAX_CODE], template=N_("That code is too long to be ours.")
        )
    if looks_like_asset_tag(code):
        if has_valid_check(code):
            try:
                return Resolution("device", code, get_device(session, code))
            except NotFound:
                return Resolution(
                    "unknown", code, template=N_("No device has the asset tag %(code)s.")
                )
        by_serial = find_by_identifier(session, code)
        if by_serial is not None:
            return Resolution("device", code, by_serial)
        return Resolution(
            "invalid",
            code,
            template=N_(
                "%(code)s looks like an asset tag but its check character is wrong: "
                "the label was misread. Scan it again."
            ),
        )
    if looks_like_location_code(code):
        return _resolve_location(session, code)
    if looks_like_badge_code(code):
        return _resolve_badge(session, code)
    if looks_like_part_code(code):
        return _resolve_part(session, code)
    device = find_by_identifier(session, code)
    if device is not None:
        return Resolution("device", code, device)
    return Resolution("unknown", code, template=N_("%(code)s is not a code we know."))


def _resolve_printed(
    session: Session,
    code: str,
    lookup: Callable[[], Resolution | None],
    unknown: str,
    misread: str,
) -> Resolution:
    """A code of a label the workshop printed: what `lookup` finds when its check character
    holds, else a device whose manufacturer serial has the same shape, else unknown or
    misread (the `unknown` and `misread` templates)."""
    if has_valid_check(code):
        found = lookup()
        if found is not None:
            return found
    by_serial = find_by_identifier(session, code)
    if by_serial is not None:
        return Resolution("device", code, by_serial)
    if has_valid_check(code):
        return Resolution("unknown", code, template=unknown)
    return Resolution("invalid", code, template=misread)


def _resolve_location(session: Session, code: str) -> Resolution:
    """A location label; a manufacturer serial of the same shape still finds its device."""

    def lookup() -> Resolution | None:
        location = session.scalar(select(Location).where(Location.code == code))
        return None if location is None else Resolution("location", code, location=location)

    return _resolve_printed(
        session,
        code,
        lookup,
        N_("No location has the code %(code)s."),
        N_(
            "%(code)s looks like a location code but its check character is wrong: "
            "the label was misread. Scan it again."
        ),
    )


def _resolve_badge(session: Session, code: str) -> Resolution:
    """A staff badge; a manufacturer serial of the same shape still finds its device."""

    def lookup() -> Resolution | None:
        holder = session.scalar(select(User).where(User.badge_code == code))
        if holder is None:
            return None
        # The message serves the pages that wait for a device and get a badge.
        return Resolution(
            "staff", code, user=holder, template=N_("%(code)s is a staff badge, not a device.")
        )

    return _resolve_printed(
        session,
        code,
        lookup,
        # Reissuing a badge makes the old code land here.
        N_("No staff badge has the code %(code)s."),
        N_(
            "%(code)s looks like a staff badge but its check character is wrong: "
            "the badge was misread. Scan it again."
        ),
    )


def _resolve_part(session: Session, code: str) -> Resolution:
    """A spare part's label; a manufacturer serial of the same shape still finds its device."""

    def lookup() -> Resolution | None:
        part = session.scalar(select(Part).where(Part.code == code))
        if part is None:
            return None
        # The message serves the pages that wait for a device and get a part.
        return Resolution(
            "part", code, part=part, template=N_("%(code)s is a spare part, not a device.")
        )

    return _resolve_printed(
        session,
        code,
        lookup,
        N_("No part has the code %(code)s."),
        N_(
            "%(code)s looks like a part code but its check character is wrong: "
            "the label was misread. Scan it again."
        ),
    )


def log_scan(
    session: Session,
    code: str,
    outcome: str,
    *,
    user: User | None,
    station: str = "",
    device: Device | None = None,
) -> Scan:
    """Keep a scan in the scan log, whatever came of it."""
    scan = Scan(
        code=normalize(code)[:MAX_CODE],
        outcome=outcome,
        user_id=user.id if user else None,
        station=station[:64],
        device_id=device.id if device else None,
    )
    session.add(scan)
    return scan


def scan_outcome(resolution: Resolution) -> str:
    """The scan log's word for what a code turned out to be, away from the intake page."""
    if resolution.kind in ("device", "location", "staff", "part"):
        return resolution.kind
    code = resolution.code
    if resolution.kind == "unknown":
        if looks_like_asset_tag(code) and has_valid_check(code):
            return "unknown_tag"
        return "unknown"
    shaped = (
        looks_like_asset_tag(code)
        or looks_like_location_code(code)
        or looks_like_badge_code(code)
        or looks_like_part_code(code)
    )
    if shaped and len(code) <= MAX_CODE:
        return "misread"
    return "invalid"


def record_scan(
    session: Session, raw: str, *, user: User | None, station: str
) -> tuple[Resolution, str]:
    """Resolve a code read at a station and keep it in the scan log; return what it was."""
    resolution = resolve_code(session, raw)
    outcome = scan_outcome(resolution)
    log_scan(
        session,
        resolution.code,
        outcome,
        user=user,
        station=station,
        device=resolution.device,
    )
    return resolution, outcome
