"""A drive erased elsewhere or destroyed, a device with no storage, and the limits per
category."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from diagnostics import records
from diagnostics.results import Limits
from inventory.devices import get_device
from inventory.errors import Conflict, InvalidInput, NotFound, WorkshopError
from inventory.lifecycle import LEFT_STAGES
from inventory.models import (
    CATEGORIES,
    DESTRUCTIONS,
    DRIVE_TYPES,
    ERASURE_METHODS,
    Device,
    DiagnosticRun,
)
from workshop.database import db
from workshop.diagnostics_pages import bp
from workshop.display import error_text, label_for
from workshop.roles import requires

# Where a form may send the user back to: the work card or the device page.
BACK_TO = ("workcard.show", "devices.show")
GIGABYTE = 10**9
# The drive list's choice for a drive no bench saw, typed in the fields below it.
TYPED_DRIVE = "typed"
# The destroyed-drive form's fields, as sent back to it when it is refused.
DESTROY_FIELDS = (
    "drive",
    "drive_serial",
    "drive_model",
    "capacity_gb",
    "drive_type",
    "destruction",
    "reference",
    "replaced",
)


def _user() -> Any:
    # The proxy is not a mapped object: events need the real user.
    return current_user._get_current_object()


@dataclass
class ScriptLine:
    """One script the category asks for, with its latest run in this cycle (None: not run)."""

    script: str
    run: DiagnosticRun | None

    @property
    def passed(self) -> bool:
        """True when the latest run ended in a pass."""
        return self.run is not None and not self.run.running and self.run.outcome == "pass"


@dataclass
class DeviceDiagnostics:
    """What a device's pages show of its bench tests and erasures in the current cycle."""

    device: Device
    lines: list[ScriptLine]
    others: list[DiagnosticRun]
    storage: records.StorageStatus
    erasures: list[Any] = field(default_factory=list)

    @property
    def open(self) -> bool:
        """True while the device is in the workshop and can still be tested."""
        return self.device.stage not in LEFT_STAGES

    @property
    def needs_storage(self) -> bool:
        """True when the category's devices need their drives erased before sale."""
        return records.needs_storage_records(self.device.category)

    @property
    def destroyable(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """The drives a destruction may name, in groups: those not erased first, then erased."""
        return destroyable_drives(self.storage)


def destroyable_drives(storage: records.StorageStatus) -> list[tuple[str, list[dict[str, Any]]]]:
    """The drives known and not destroyed yet, the unerased first: (group label, drives)."""
    unerased = storage.unerased
    erased = [
        drive
        for drive in storage.drives
        if drive["serial"] in storage.erased and drive["serial"] not in storage.destroyed
    ]
    groups = [(_("Not erased"), unerased), (_("Already erased"), erased)]
    return [(name, drives) for name, drives in groups if drives]


def device_diagnostics(device: Device) -> DeviceDiagnostics:
    """The device's required scripts and latest runs, its drives and erasure records."""
    session = db()
    latest = records.latest_runs(session, device)
    wanted = records.required_scripts(device.category)
    return DeviceDiagnostics(
        device=device,
        lines=[ScriptLine(script, latest.get(script)) for script in wanted],
        others=[run for script, run in latest.items() if script not in wanted],
        storage=records.storage_status(session, device),
        erasures=records.erasures(session, device),
    )


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def limits_text(low: float | None, high: float | None) -> str:
    """Limits said in words: 'at least 70', 'at most 250', '100 to 500' or 'none'."""
    if low is not None and high is not None:
        if low == high:
            return _("exactly %(value)s", value=_number(low))
        return _("%(low)s to %(high)s", low=_number(low), high=_number(high))
    if low is not None:
        return _("at least %(value)s", value=_number(low))
    if high is not None:
        return _("at most %(value)s", value=_number(high))
    return _("no limit")


@bp.app_context_processor
def _diagnostics_helpers() -> dict[str, Any]:
    """Let the device page and the work card show a device's bench tests."""
    return {
        "device_diagnostics": device_diagnostics,
        "limits_text": limits_text,
        "number_text": _number,
        "drive_types": DRIVE_TYPES,
        "erasure_methods": ERASURE_METHODS,
        "destructions": DESTRUCTIONS,
        "typed_drive": TYPED_DRIVE,
        "gigabytes": lambda value: _number(round(value / GIGABYTE, 1)) if value else "",
    }


def _device_or_404(asset_tag: str) -> Device:
    try:
        return get_device(db(), asset_tag)
    except NotFound:
        abort(404)


def _back(device: Device) -> str:
    to = request.form.get("back", "")
    endpoint = to if to in BACK_TO else "devices.show"
    return url_for(endpoint, asset_tag=device.asset_tag) + "#diagnostics"


def _capacity(text: str) -> int:
    try:
        gigabytes = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        gigabytes = Decimal(0)
    # Compared before multiplying: 1e999999 gigabytes would overflow the decimal context.
    if not gigabytes.is_finite() or not 0 < gigabytes <= records.MAX_CAPACITY // GIGABYTE:
        raise InvalidInput(
            "Type the drive's capacity in gigabytes, for example 256 or 500.",
            field="capacity_bytes",
        )
    return int(gigabytes * GIGABYTE)


@bp.post("/devices/<asset_tag>/erasures")
@requires("record_diagnostics")
def record_erasure(asset_tag: str) -> Any:
    """Record a drive erased elsewhere, with the tool's log."""
    session = db()
    device = _device_or_404(asset_tag)
    form = request.form
    try:
        record = records.record_manual_erasure(
            session,
            device,
            drive_model=form.get("drive_model", ""),
            drive_serial=form.get("drive_serial", ""),
            capacity_bytes=_capacity(form.get("capacity_gb", "")),
            drive_type=form.get("drive_type", ""),
            method=form.get("method", ""),
            tool=form.get("tool", ""),
            log=form.get("log", ""),
            verified=form.get("verified") == "yes",
            verification=form.get("verification", ""),
            entered_by=_user(),
        )
    except WorkshopError as error:
        flash(error_text(error) + " " + _("Nothing was saved."), "error")
        return redirect(_back(device))
    session.commit()
    flash(
        _(
            "The erasure of drive %(serial)s is recorded on %(tag)s.",
            serial=record.drive_serial,
            tag=device.asset_tag,
        ),
        "success",
    )
    return redirect(_back(device))


def _destroy_problem(device: Device, values: dict[str, str], problem: str, field: str) -> Any:
    """The destroyed-drive form again, alone on its page, with what was typed and what is
    wrong beside the field it concerns."""
    status = records.storage_status(db(), device)
    return render_template(
        "diagnostics/destroy_drive.html",
        device=device,
        groups=destroyable_drives(status),
        values=values,
        problem=problem,
        problem_field=field,
        back=values.get("back", "devices.show"),
    ), 409 if field == "device" else 400


def _destroyed_drive_fields(values: dict[str, str]) -> dict[str, Any]:
    """The service's arguments from the form: a drive from the list, or one typed."""
    choice = values["drive"]
    serial = values["drive_serial"].strip()
    if not choice:
        raise InvalidInput(
            "Choose the drive destroyed, or “A drive no bench saw” to type it.", field="drive"
        )
    replaced = {"yes": True, "no": False}.get(values["replaced"])
    fields: dict[str, Any] = {
        "destruction": values["destruction"],
        "replaced": replaced,
        "reference": values["reference"],
    }
    if choice != TYPED_DRIVE:
        if serial and serial != choice:
            raise InvalidInput(
                "You chose drive %(chosen)s in the list but typed %(typed)s: keep only one.",
                field="drive_serial",
                chosen=choice,
                typed=serial,
            )
        return fields | {"drive_serial": choice}
    fields |= {
        "drive_serial": serial,
        "drive_model": values["drive_model"],
        "drive_type": values["drive_type"],
    }
    # Only the capacity typed is parsed here: an empty one is the service's to name, after
    # the serial (a serial a bench saw needs none).
    if values["capacity_gb"].strip():
        fields["capacity_bytes"] = _capacity(values["capacity_gb"])
    return fields


@bp.post("/devices/<asset_tag>/destroyed-drives")
@requires("record_diagnostics")
def record_destroyed(asset_tag: str) -> Any:
    """Record a drive pulled out and physically destroyed (shredded, crushed...)."""
    session = db()
    device = _device_or_404(asset_tag)
    form = request.form
    values = {name: form.get(name, "")[:2000] for name in (*DESTROY_FIELDS, "back")}
    try:
        record = records.record_destroyed_drive(
            session, device, **_destroyed_drive_fields(values), entered_by=_user()
        )
        session.commit()
    except IntegrityError:
        # Two submits at the same moment: the unique index kept the second one out.
        session.rollback()
        flash(_("This drive is already recorded as destroyed. Nothing more was saved."), "info")
        return redirect(_back(device))
    except WorkshopError as error:
        session.rollback()
        if isinstance(error, Conflict) and "drive_serial" in error.details:
            # The same form sent twice (a double press, a page sent again): the first counts.
            flash(error_text(error) + " " + _("Nothing more was saved."), "info")
            return redirect(_back(device))
        field = error.details.get("field", "device")
        return _destroy_problem(device, values, error_text(error), field)
    flash(
        _(
            "Drive %(serial)s is recorded as destroyed on %(tag)s: %(how)s.",
            serial=record.drive_serial,
            tag=device.asset_tag,
            how=label_for("destruction", record.destruction),
        ),
        "success",
    )
    return redirect(_back(device))


@bp.post("/devices/<asset_tag>/no-storage")
@requires("record_diagnostics")
def no_storage(asset_tag: str) -> Any:
    """Record that the device has no storage in this cycle."""
    session = db()
    device = _device_or_404(asset_tag)
    try:
        records.mark_no_storage(session, device, entered_by=_user(), note=request.form.get("note"))
    except WorkshopError as error:
        flash(error_text(error), "error")
        return redirect(_back(device))
    session.commit()
    flash(
        _("%(tag)s is recorded as having no storage: no drive to erase.", tag=device.asset_tag),
        "success",
    )
    return redirect(_back(device))


# -- the limits, for administrators ---------------------------------------------------------------


@dataclass
class LimitLine:
    """One measurement of a script: its default limits and those in force for the category."""

    name: str
    unit: str
    default: Limits
    current: Limits

    @property
    def changed(self) -> bool:
        """True when the category has its own limits for this measurement."""
        return self.current != self.default


def _limit_lines(category: str, script: str) -> list[LimitLine]:
    spec = records.SCRIPTS[script]
    current = records.limits_for(db(), category, script)
    return [
        LimitLine(item.name, item.unit, item.limits, current[item.name])
        for step in spec.steps
        for item in step.measurements
    ]


def _limit(text: str | None, name: str) -> float | None:
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput("%(field)s must be a number.", field=name) from None
    return value


@bp.route("/diagnostics/limits", methods=["GET", "POST"])
@requires("manage_diagnostic_limits")
def limits() -> Any:
    """Each script's limits for one category, editable; empty means no limit on that side."""
    category = request.values.get("category", "laptop")
    if category not in CATEGORIES:
        abort(404)
    if request.method == "POST":
        script = request.form.get("script", "")
        if script not in records.SCRIPT_NAMES:
            abort(404)
        session = db()
        changed = 0
        try:
            for line in _limit_lines(category, script):
                low = _limit(request.form.get(f"low-{line.name}"), f"low-{line.name}")
                high = _limit(request.form.get(f"high-{line.name}"), f"high-{line.name}")
                if Limits(low, high) != line.current:
                    records.set_limits(
                        session, category, script, line.name, low=low, high=high, entered_by=_user()
                    )
                    changed += 1
        except WorkshopError as error:
            session.rollback()
            flash(error_text(error) + " " + _("Nothing was saved."), "error")
            return redirect(url_for("diagnostics.limits", category=category) + f"#script-{script}")
        session.commit()
        flash(
            ngettext(
                "%(num)d limit changed for %(script)s.",
                "%(num)d limits changed for %(script)s.",
                changed,
                script=script,
            )
            if changed
            else _("Nothing changed."),
            "success",
        )
        return redirect(url_for("diagnostics.limits", category=category) + f"#script-{script}")
    return render_template(
        "diagnostics/limits.html",
        category=category,
        categories=CATEGORIES,
        scripts={script: _limit_lines(category, script) for script in records.SCRIPT_NAMES},
        required=records.required_scripts(category),
    )
