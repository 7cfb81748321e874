"""Repair pages: record a repair action by keyboard, find a part that fits, see what runs low."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from inventory import parts as stock
from inventory import repairs
from inventory.codes import normalize
from inventory.devices import get_device
from inventory.errors import NotFound, WorkshopError
from inventory.models import CATEGORIES, Device
from inventory.repair_models import Part, RepairCode
from workshop.database import db
from workshop.display import error_text, label_for
from workshop.repairs import bp
from workshop.repairs.forms import FinderForm, HarvestForm, RepairCodeForm, RepairForm
from workshop.roles import requires

# A button's form: only its CSRF token.
RetireForm = FlaskForm

# What the action list offers first: most repairs replace something.
FIRST_ACTION = "replaced"


def _language() -> str | None:
    locale = get_locale()
    return locale.language if locale is not None else None


def part_line(part: Part) -> str:
    """A part in one line: code, kind, reference, where it is, where it came from."""
    language = _language()
    where = part.location.code if part.location is not None else _("not put away")
    source = (
        _("harvested from %(tag)s", tag=part.donor.asset_tag)
        if part.donor is not None
        else _("bought from %(supplier)s", supplier=part.supplier)
    )
    return f"{part.code} · {part.kind.label(language)} {part.reference} · {where} · {source}"


def _fault_choices(device: Device, proposed: list[RepairCode]) -> list[tuple[str, str]]:
    language = _language()
    first = [
        (fault.code, _("%(fault)s (proposed)", fault=fault.label(language))) for fault in proposed
    ]
    rest = [
        (fault.code, fault.label(language))
        for fault in repairs.faults(db(), device.category)
        if fault not in proposed
    ]
    return first + rest


@bp.route("/<asset_tag>", methods=["GET", "POST"])
@requires("repair")
def record(asset_tag: str) -> Any:
    """The repair form of one device: fault proposed from failed checks, parts that fit."""
    session = db()
    try:
        device = get_device(session, asset_tag)
    except NotFound:
        return render_template("repairs/not_found.html", tag=normalize(asset_tag)[:40]), 404
    proposed = repairs.proposed_faults(session, device)
    fitting = stock.parts_that_fit(session, device.model, near=device.location)
    form = RepairForm()
    form.fault.choices = _fault_choices(device, proposed)
    form.action.choices = [
        (action.code, action.label(_language())) for action in repairs.actions(session)
    ]
    form.parts.choices = [(part.code, part_line(part)) for part in fitting]
    if request.method == "GET":
        form.action.data = FIRST_ACTION
    if device.stage == repairs.REPAIR_STAGE and form.validate_on_submit():
        codes = list(form.parts.data or []) + (form.scanned.data or "").replace(",", " ").split()
        try:
            repair = repairs.record_repair(
                session,
                device,
                form.fault.data,
                form.action.data,
                list(dict.fromkeys(normalize(code) for code in codes)),
                form.minutes.data,
                form.note.data,
                by=current_user._get_current_object(),
            )
        except WorkshopError as error:
            session.rollback()
            flash(error_text(error), "error")
        else:
            session.commit()
            used = ", ".join(part.code for part in repair.parts) or _("none")
            flash(
                _(
                    "Repair recorded on %(tag)s: %(fault)s, %(action)s. Parts taken from stock: "
                    "%(parts)s.",
                    tag=device.asset_tag,
                    fault=_label(session, "fault", device.category, repair.fault),
                    action=_label(session, "action", "", repair.action),
                    parts=used,
                ),
                "success",
            )
            return redirect(url_for("repairs.record", asset_tag=device.asset_tag))
    elif form.is_submitted():
        if device.stage != repairs.REPAIR_STAGE:
            flash(_("Repairs are recorded in the repair stage. Nothing was saved."), "error")
        else:
            flash(_("Check the form below. Nothing was saved."), "error")
    session.refresh(device)
    done = repairs.repairs_of(session, device)
    redo = repairs.to_redo(session, device)
    return render_template(
        "repairs/record.html",
        device=device,
        form=form,
        proposed=proposed,
        done=done,
        redo_checks=redo.checks,
        redo_scripts=[label_for("script", script) for script in redo.scripts],
        code_label=lambda kind, code: _label(session, kind, device.category, code),
        part_line=part_line,
        in_repair=device.stage == repairs.REPAIR_STAGE,
    )


def _label(session: Any, kind: str, category: str, code: str) -> str:
    found = session.scalar(
        select(RepairCode).where(
            RepairCode.kind == kind,
            RepairCode.category == (category if kind == "fault" else ""),
            RepairCode.code == code,
        )
    )
    return found.label(_language()) if found is not None else code


@bp.route("/parts")
@requires("view_parts")
def finder() -> Any:
    """Parts in stock that fit a model, nearest location first."""
    session = db()
    form = FinderForm(request.args)
    kinds = stock.part_kinds(session)
    form.kind.choices = [("", _("Every kind"))] + [
        (kind.code, kind.label(_language())) for kind in kinds
    ]
    found: list[Part] | None = None
    if form.fits.data and form.validate():
        kind = next((item for item in kinds if item.code == form.kind.data), None)
        found = stock.parts_that_fit(session, form.fits.data, kind=kind)
    return render_template("repairs/finder.html", form=form, found=found, part_line=part_line)


@bp.route("/low-stock")
@requires("receive_parts")
def low_stock() -> Any:
    """The part kinds with fewer parts in stock than their threshold."""
    session = db()
    return render_template(
        "repairs/low_stock.html",
        short=stock.low_stock(session),
        lines=stock.stock_by_kind(session),
        language=_language(),
    )


@bp.route("/codes", methods=["GET", "POST"])
@requires("manage_repair_codes")
def codes() -> Any:
    """The faults of a category and the repair actions: add one, retire one."""
    session = db()
    category = request.args.get("category", "laptop")
    if category not in CATEGORIES:
        category = "laptop"
    kind = request.args.get("kind", "fault")
    kind = kind if kind in ("fault", "action") else "fault"
    form = RepairCodeForm()
    if form.validate_on_submit():
        try:
            repairs.add_code(
                session,
                kind,
                form.code.data,
                form.label_en.data,
                form.label_fr.data,
                category=category,
                checks=_words(form.checks.data),
                scripts=_words(form.scripts.data),
                entered_by=current_user._get_current_object(),
            )
        except WorkshopError as error:
            session.rollback()
            flash(error_text(error), "error")
        else:
            session.commit()
            flash(_("Added: %(code)s.", code=form.code.data.lower()), "success")
            return redirect(url_for("repairs.codes", category=category, kind=kind))
    elif form.is_submitted():
        flash(_("Check the form below. Nothing was saved."), "error")
    return render_template(
        "repairs/codes.html",
        form=form,
        category=category,
        kind=kind,
        categories=CATEGORIES,
        faults=repairs.faults(session, category, retired=True),
        actions=repairs.actions(session, retired=True),
        language=_language(),
    )


@bp.route("/codes/<int:code_id>/retire", methods=["POST"])
@requires("manage_repair_codes")
def retire_code(code_id: int) -> Any:
    """Stop offering a fault or an action; the repairs that named it keep it."""
    session = db()
    item = session.get(RepairCode, code_id)
    if item is None:
        abort(404)
    form = RetireForm()
    if not form.validate_on_submit():
        abort(400)
    repairs.retire_code(session, item, entered_by=current_user._get_current_object())
    session.commit()
    flash(_("Retired: %(code)s.", code=item.code), "success")
    return redirect(url_for("repairs.codes", category=item.category or "laptop", kind=item.kind))


def _words(text: str | None) -> list[str]:
    return [word for word in (text or "").replace(",", " ").split() if word]


@bp.route("/<asset_tag>/harvest", methods=["GET", "POST"])
@requires("harvest_parts")
def harvest(asset_tag: str) -> Any:
    """Record a part taken out of a recycled device: it gets a code and goes into stock."""
    session = db()
    try:
        device = get_device(session, asset_tag)
    except NotFound:
        return render_template("repairs/not_found.html", tag=normalize(asset_tag)[:40]), 404
    form = HarvestForm()
    form.kind.choices = [(kind.code, kind.label(_language())) for kind in stock.part_kinds(session)]
    if request.method == "GET":
        form.fits.data = device.model
    if form.validate_on_submit():
        try:
            [part] = stock.harvest(
                session,
                device,
                [
                    {
                        "kind": form.kind.data,
                        "reference": form.reference.data,
                        "location": form.location.data or None,
                        "fits": [m.strip() for m in (form.fits.data or "").split(";") if m.strip()],
                    }
                ],
                by=current_user._get_current_object(),
            )
        except WorkshopError as error:
            session.rollback()
            flash(error_text(error), "error")
        else:
            session.commit()
            flash(
                _(
                    "Part %(code)s taken out of %(tag)s and put in stock: write its code on it "
                    "or print its label.",
                    code=part.code,
                    tag=device.asset_tag,
                ),
                "success",
            )
            return redirect(url_for("repairs.harvest", asset_tag=device.asset_tag))
    elif form.is_submitted():
        flash(_("Check the form below. Nothing was saved."), "error")
    taken = list(session.scalars(select(Part).where(Part.donor_id == device.id).order_by(Part.id)))
    return render_template(
        "repairs/harvest.html", device=device, form=form, taken=taken, part_line=part_line
    )
