"""From the records to the documents: gather what a spec sheet, a certificate or a lot report
states, in the reader's language, and have labels/ draw it.

Shared by the pages, the API and the `workshop` command, which each run it inside the
application (for the translated names of categories, specs and defects); they commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnostics import records
from inventory import certificates, grading
from inventory.accounts import User
from inventory.board import OUTCOME_OF_STAGE, lot_devices, lot_summary
from inventory.errors import N_, GateUnmet, InvalidInput
from inventory.lifecycle import unmet_gates
from inventory.models import Device, ErasureRecord, Lot, NoStorage
from inventory.sales import NotReady
from labels.certificate import Certificate, ErasedDevice, ErasedDrive, LotFacts, render_certificate
from labels.documents import LANGUAGES
from labels.lot_report import LotDevice, LotReport, OutcomeTotal, render_lot_report
from labels.spec_sheet import Measured, SpecSheet, render_spec_sheet
from workshop.display import label_for

# Warranty given with every device sold, unless the instance's config says otherwise.
DEFAULT_WARRANTY_MONTHS = 12
# The lot report's outcomes, from the board's (inventory/board.py).
REPORT_OUTCOME = {
    "received": "in_progress",
    "in_progress": "in_progress",
    "ready": "reused",
    "sold": "reused",
    "recycled": "recycled",
}


class NothingErased(GateUnmet):
    """A certificate asked for a device or lot with no erasure recorded."""

    code = "no_erasure"


@dataclass(frozen=True)
class Settings:
    """What every document of this workshop says the same way."""

    workshop: str
    time_zone: str
    warranty_months: int


def settings_from(config: Mapping[str, Any]) -> Settings:
    """The documents' settings from the application's configuration."""
    return Settings(
        workshop=str(config.get("WORKSHOP_NAME") or "Workshop"),
        time_zone=str(config.get("TIMEZONE") or "UTC"),
        warranty_months=int(config.get("WARRANTY_MONTHS", DEFAULT_WARRANTY_MONTHS)),
    )


def check_language(value: Any) -> str:
    """The language asked for, or InvalidInput naming `lang`."""
    if value not in LANGUAGES:
        raise InvalidInput(
            N_("Documents are written in %(languages)s: lang cannot be %(value)r."),
            field="lang",
            value=str(value)[:20],
            languages=", ".join(LANGUAGES),
            allowed=list(LANGUAGES),
        )
    return value


def _local(moment: datetime, settings: Settings) -> datetime:
    return moment.astimezone(ZoneInfo(settings.time_zone))


def _today(settings: Settings) -> date:
    return _local(datetime.now(ZoneInfo("UTC")), settings).date()


def _drive(record: ErasureRecord, settings: Settings) -> ErasedDrive:
    return ErasedDrive(
        model=record.drive_model,
        serial=record.drive_serial,
        capacity_bytes=record.capacity_bytes,
        drive_type=record.drive_type,
        method=record.method,
        nist_category=record.nist_category,
        started_at=_local(record.started_at, settings),
        ended_at=_local(record.ended_at, settings),
        operator=record.operator.display_name if record.operator else "",
        verified=record.verified,
        verification=record.verification,
        tool=record.tool,
        manual=record.manual,
        destruction=record.destruction or "",
        reference=record.reference,
    )


# -- spec sheet -------------------------------------------------------------------------------


def _measurements(session: Session, device: Device) -> list[Measured]:
    """What the benches measured in this cycle: the latest ended run of each script."""
    found: list[Measured] = []
    latest = records.latest_runs(session, device)
    # The erasure's own figures are the erasure statement's business.
    for script in sorted(latest, key=lambda name: records.SCRIPT_NAMES.index(name)):
        run = latest[script]
        if script == "erasure" or run.running:
            continue
        found += [
            Measured(item.name, item.value, item.unit, item.outcome, item.low, item.high)
            for item in run.measurements
        ]
    return found


def is_refurbished(session: Session, device: Device) -> bool:
    """True only for a device ready for sale that meets, now, all that `ready` asks."""
    if device.stage != "ready" or device.grade is None:
        return False
    if unmet_gates(session, device, "ready"):
        return False
    erased = records.erasures(session, device)
    return all(record.verified for record in erased)


def spec_sheet(session: Session, device: Device, language: str, settings: Settings) -> bytes:
    """The spec sheet of a device ready for sale, or NotReady."""
    check_language(language)
    if device.stage != "ready":
        raise NotReady(
            N_(
                "%(asset_tag)s is not ready for sale (stage: %(stage)s): a spec sheet is "
                "printed only for a device ready for sale."
            ),
            asset_tag=device.asset_tag,
            stage=device.stage,
            refused=[{"asset_tag": device.asset_tag, "stage": device.stage}],
        )
    current = grading.current_grading(session, device)
    # The buyer's sheet lists the drives in the device: a drive destroyed left it.
    drives = [record for record in records.erasures(session, device) if not record.destroyed]
    storage = records.storage_status(session, device)
    if storage.no_storage is not None:
        erasure = "no_storage"
    elif storage.none_left:
        erasure = "removed"
    elif drives:
        erasure = "drives"
    elif records.needs_storage_records(device.category):
        erasure = "missing"
    else:
        erasure = "needless"
    with force_locale(language):
        category = str(label_for("category", device.category))
        specs = [
            (str(label_for("spec", name)), str(value))
            for name, value in sorted((device.specs or {}).items())
            if value not in (None, "")
        ]
        defects = [
            gettext(grading.DEFECTS[code].label) if code in grading.DEFECTS else code
            for code in (current.codes if current else [])
        ]
    sheet = SpecSheet(
        workshop=settings.workshop,
        asset_tag=device.asset_tag,
        category=category,
        make=device.make,
        model=device.model,
        serial=device.serial_number or "",
        specs=specs,
        grade=device.grade,
        defects=defects,
        measurements=_measurements(session, device),
        erasure=erasure,
        drives=[_drive(record, settings) for record in drives],
        refurbished=is_refurbished(session, device),
        warranty_months=settings.warranty_months,
        printed_on=_today(settings),
    )
    return render_spec_sheet(sheet, language)


# -- certificates -----------------------------------------------------------------------------


def _lot_facts(lot: Lot) -> LotFacts:
    return LotFacts(lot.code, lot.donor, lot.reference, lot.received_on)


def _erased_device(
    device: Device,
    drives: list[ErasureRecord],
    no_storage: bool,
    settings: Settings,
) -> ErasedDevice:
    return ErasedDevice(
        asset_tag=device.asset_tag,
        category=str(label_for("category", device.category)),
        make=device.make,
        model=device.model,
        serial=device.serial_number or "",
        drives=[_drive(record, settings) for record in drives],
        no_storage=no_storage,
    )


def _covers(device: Device, drives: list[ErasureRecord], no_storage: bool) -> dict[str, Any]:
    return {
        "asset_tag": device.asset_tag,
        "cycles": sorted({record.cycle for record in drives}) or [device.cycle],
        "drives": [record.drive_serial for record in drives],
        "no_storage": no_storage,
    }


def _draw(
    devices: list[ErasedDevice],
    language: str,
    settings: Settings,
    issued_by: User | None,
    lot: Lot | None = None,
    not_covered: list[ErasedDevice] | None = None,
) -> Any:
    def draw(number: str, issued_at: datetime) -> bytes:
        certificate = Certificate(
            number=number,
            workshop=settings.workshop,
            issued_at=_local(issued_at, settings),
            issued_by=issued_by.display_name if issued_by else "",
            devices=devices,
            time_zone=settings.time_zone,
            lot=_lot_facts(lot) if lot is not None else None,
            not_covered=not_covered or [],
        )
        return render_certificate(certificate, language)

    return draw


def issue_device_certificate(
    session: Session,
    device: Device,
    language: str,
    settings: Settings,
    *,
    issued_by: User | None,
) -> tuple[certificates.IssuedCertificate, bytes]:
    """Issue the erasure certificate of one device (its current cycle), or NothingErased."""
    check_language(language)
    drives = records.erasures(session, device)
    if not drives:
        raise NothingErased(
            N_(
                "%(asset_tag)s has no erasure recorded in its current cycle: there is nothing "
                "to certify. Erase its drives first (or, with no drive, no certificate is due)."
            ),
            asset_tag=device.asset_tag,
            missing=["erasure record"],
        )
    with force_locale(language):
        erased = _erased_device(device, drives, False, settings)
    return certificates.issue_certificate(
        session,
        draw=_draw([erased], language, settings, issued_by),
        covers=[_covers(device, drives, False)],
        language=language,
        issued_by=issued_by,
        device=device,
    )


def _lot_erasures(session: Session, lot: Lot) -> dict[int, list[ErasureRecord]]:
    """Every erasure of the lot's devices, in every cycle, by device, oldest first."""
    found: dict[int, list[ErasureRecord]] = {}
    query = (
        select(ErasureRecord)
        .join(Device, Device.id == ErasureRecord.device_id)
        .where(Device.lot_id == lot.id)
        .order_by(ErasureRecord.ended_at, ErasureRecord.id)
    )
    for record in session.scalars(query):
        found.setdefault(record.device_id, []).append(record)
    return found


def _lot_without_storage(session: Session, lot: Lot) -> set[int]:
    query = (
        select(NoStorage.device_id)
        .join(Device, Device.id == NoStorage.device_id)
        .where(Device.lot_id == lot.id)
    )
    return set(session.scalars(query))


def issue_lot_certificate(
    session: Session,
    lot: Lot,
    language: str,
    settings: Settings,
    *,
    issued_by: User | None,
) -> tuple[certificates.IssuedCertificate, bytes]:
    """Issue the erasure certificate of a donor's lot: every drive of its devices erased."""
    check_language(language)
    erasures = _lot_erasures(session, lot)
    if not erasures:
        raise NothingErased(
            N_("No device of lot %(lot)s has an erasure recorded: there is nothing to certify."),
            lot=lot.code,
            missing=["erasure record"],
        )
    without_storage = _lot_without_storage(session, lot)
    covered: list[ErasedDevice] = []
    not_covered: list[ErasedDevice] = []
    covers: list[dict[str, Any]] = []
    with force_locale(language):
        for device in lot_devices(session, lot):
            drives = erasures.get(device.id, [])
            no_storage = device.id in without_storage
            erased = _erased_device(device, drives, no_storage, settings)
            if erased.covered:
                covered.append(erased)
                covers.append(_covers(device, drives, no_storage))
            else:
                not_covered.append(erased)
    return certificates.issue_certificate(
        session,
        draw=_draw(covered, language, settings, issued_by, lot, not_covered),
        covers=covers,
        language=language,
        issued_by=issued_by,
        lot=lot,
    )


# -- lot report -------------------------------------------------------------------------------


def lot_report(session: Session, lot: Lot, language: str, settings: Settings) -> bytes:
    """What became of a donor's devices, counted and weighed."""
    check_language(language)
    summary = lot_summary(session, lot)
    totals: dict[str, list[Any]] = {}
    for name, outcome in REPORT_OUTCOME.items():
        entry = totals.setdefault(outcome, [0, Decimal("0"), 0])
        counted = summary[name]
        entry[0] += counted.count
        entry[1] += counted.weight_kg
        entry[2] += counted.unweighed
    devices = []
    with force_locale(language):
        for device in lot_devices(session, lot):
            devices.append(
                LotDevice(
                    asset_tag=device.asset_tag,
                    description=(
                        f"{label_for('category', device.category)} {device.make} {device.model}"
                    ),
                    serial=device.serial_number or "",
                    outcome=REPORT_OUTCOME[OUTCOME_OF_STAGE.get(device.stage, "in_progress")],
                    weight_kg=device.weight_kg,
                )
            )
    erased = sum(
        1
        for drives in _lot_erasures(session, lot).values()
        for item in drives
        if item.verified and not item.destroyed
    )
    report = LotReport(
        workshop=settings.workshop,
        lot=_lot_facts(lot),
        outcomes={name: OutcomeTotal(*values) for name, values in totals.items()},
        devices=devices,
        drives_erased=erased,
        stated_on=_today(settings),
    )
    return render_lot_report(report, language)


def filename(kind: str, subject: str, language: str) -> str:
    """A file name for a download, in ASCII: the subject's letters and digits kept."""
    safe = "".join(c if (c.isascii() and c.isalnum()) or c in "-_" else "_" for c in subject)
    return f"{kind}-{safe}-{language}.pdf"
