"""Repair pages: record a repair action by keyboard, find a part that fits, see what runs low.

Also a part's own page, receiving bought parts, and harvesting, each offering the new labels.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
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
from workshop.display import error_text, label_for, page_language
from workshop.repairs import bp
from workshop.repairs.forms import (
    CodeLabelsForm,
    FinderForm,
    HarvestForm,
    MoveCodeForm,
    ReceiveForm,
    RepairCodeForm,
    RepairForm,
)
from workshop.roles import requires

# A button's form: only its CSRF token.
ButtonForm = FlaskForm

# What the action list offers first: most repairs replace something.
FIRST_ACTION = "replaced"


def part_line(part: Part) -> str:
    """A part in one line: code, kind, reference, where it is, where it came from."""
    language = page_language()
    where = part.location.code if part.location is not None else _("not put away")
    source = (
        _("harvested from %(tag)s", tag=part.donor.asset_tag)
        if part.donor is not None
        else _("bought from %(supplier)s", supplier=part.supplier)
    )
    return f"{part.code} · {part.kind.label(language)} {part.reference} · {where} · {source}"


def _fault_choices(device: Device, proposed: list[RepairCode]) -> list[tuple[str, str]]:
    language = page_language()
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
        (action.code, action.label(page_language())) for action in repairs.actions(session)
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
            labels = _code_labels(device)
            flash(
                _(
                    "Repair recorded on %(tag)s: %(fault)s, %(action)s. Parts taken from stock: "
                    "%(parts)s.",
                    tag=device.asset_tag,
                    fault=labels.get(("fault", repair.fault), repair.fault),
                    action=labels.get(("action", repair.action), repair.action),
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
    labels = _code_labels(device)
    redo = repairs.to_redo(session, device)
    return render_template(
        "repairs/record.html",
        device=device,
        form=form,
        proposed=proposed,
        done=done,
        redo_checks=redo.checks,
        redo_scripts=[label_for("script", script) for script in redo.scripts],
        code_label=lambda kind, code: labels.get((kind, code), code),
        part_line=part_line,
        in_repair=device.stage == repairs.REPAIR_STAGE,
    )


def _code_labels(device: Device) -> dict[tuple[str, str], str]:
    return repairs.code_labels(db(), device.category, page_language())


@bp.route("/parts")
@requires("view_parts")
def finder() -> Any:
    """Parts in stock that fit a model, nearest location first."""
    session = db()
    form = FinderForm(request.args)
    kinds = stock.part_kinds(session)
    form.kind.choices = [("", _("Every kind"))] + [
        (kind.code, kind.label(page_language())) for kind in kinds
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
        language=page_language(),
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
        language=page_language(),
    )


def _code_or_404(code_id: int) -> RepairCode:
    item = db().get(RepairCode, code_id)
    if item is None:
        abort(404)
    return item


def _back_to_list(item: RepairCode) -> Any:
    return redirect(url_for("repairs.codes", category=item.category or "laptop", kind=item.kind))


@bp.route("/codes/<int:code_id>", methods=["GET", "POST"])
@requires("manage_repair_codes")
def edit_code(code_id: int) -> Any:
    """Rename a fault or action in both languages, or change what a fault sends back."""
    session = db()
    item = _code_or_404(code_id)
    form = CodeLabelsForm(obj=item if request.method == "GET" else None)
    if request.method == "GET":
        form.checks.data = " ".join(item.checks)
        form.scripts.data = " ".join(item.scripts)
    if form.validate_on_submit():
        fault = item.kind == "fault"
        try:
            repairs.edit_code(
                session,
                item,
                label_en=form.label_en.data,
                label_fr=form.label_fr.data,
                checks=_words(form.checks.data) if fault else None,
                scripts=_words(form.scripts.data) if fault else None,
                entered_by=current_user._get_current_object(),
            )
        except WorkshopError as error:
            session.rollback()
            flash(error_text(error), "error")
        else:
            session.commit()
            flash(_("Saved: %(code)s.", code=item.code), "success")
            return _back_to_list(item)
    elif form.is_submitted():
        flash(_("Check the form below. Nothing was saved."), "error")
    return render_template("repairs/edit_code.html", form=form, item=item, language=page_language())


@bp.route("/codes/<int:code_id>/retire", methods=["POST"])
@requires("manage_repair_codes")
def retire_code(code_id: int) -> Any:
    """Stop offering a fault or an action; the repairs that named it keep it."""
    return _switch_code(code_id, repairs.retire_code, _("Retired: %(code)s."))


@bp.route("/codes/<int:code_id>/restore", methods=["POST"])
@requires("manage_repair_codes")
def restore_code(code_id: int) -> Any:
    """Offer a retired fault or action again."""
    return _switch_code(code_id, repairs.restore_code, _("Offered again: %(code)s."))


def _switch_code(code_id: int, change: Any, done: str) -> Any:
    session = db()
    item = _code_or_404(code_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    change(session, item, entered_by=current_user._get_current_object())
    session.commit()
    flash(done % {"code": item.code}, "success")
    return _back_to_list(item)


@bp.route("/codes/<int:code_id>/<any(up, down):direction>", methods=["POST"])
@requires("manage_repair_codes")
def move_code(code_id: int, direction: str) -> Any:
    """Move a fault or action one place up or down the list technicians choose from."""
    session = db()
    item = _code_or_404(code_id)
    form = MoveCodeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        repairs.move_code(session, item, up=direction == "up", seen_at=form.seen_at.data)
    except WorkshopError as error:
        session.rollback()
        flash(error_text(error), "error")
    else:
        session.commit()
    return _back_to_list(item)


def _words(text: str | None) -> list[str]:
    return [word for word in (text or "").replace(",", " ").split() if word]


def _kind_choices(session: Any) -> list[tuple[str, str]]:
    return [(kind.code, kind.label(page_language())) for kind in stock.part_kinds(session)]


def _new_part(form: Any) -> dict[str, Any]:
    """What the harvest and receive forms say of a part, as the stock services take it."""
    return {
        "kind": form.kind.data,
        "reference": form.reference.data,
        "location": form.location.data or None,
        "fits": [model.strip() for model in (form.fits.data or "").split(";") if model.strip()],
    }


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
    form.kind.choices = _kind_choices(session)
    if request.method == "GET":
        form.fits.data = device.model
    if form.validate_on_submit():
        try:
            [part] = stock.harvest(
                session,
                device,
                [_new_part(form)],
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
            return redirect(url_for("repairs.harvest", asset_tag=device.asset_tag, new=part.code))
    elif form.is_submitted():
        flash(_("Check the form below. Nothing was saved."), "error")
    taken = stock.harvested_from(session, device)
    wanted = set(request.args.getlist("new"))
    return render_template(
        "repairs/harvest.html",
        device=device,
        form=form,
        taken=taken,
        new=[part for part in taken if part.code in wanted],
        part_line=part_line,
        language=page_language(),
    )


@bp.route("/parts/<code>")
@requires("view_parts")
def part(code: str) -> Any:
    """One spare part: what it is, where it came from, where it is, where it went."""
    session = db()
    try:
        found = stock.get_part(session, code)
    except NotFound as error:
        return render_template("repairs/part_not_found.html", message=error_text(error)), 404
    return render_template("repairs/part.html", part=found, language=page_language())


@bp.route("/parts/receive", methods=["GET", "POST"])
@requires("receive_parts")
def receive() -> Any:
    """Put bought parts into stock, each with its own code, then print their labels."""
    session = db()
    form = ReceiveForm()
    form.kind.choices = _kind_choices(session)
    if form.validate_on_submit():
        try:
            received = stock.receive_parts(
                session,
                _new_part(form),
                quantity=form.quantity.data,
                supplier=form.supplier.data,
                unit_cost=form.unit_cost.data,
                by=current_user._get_current_object(),
            )
        except WorkshopError as error:
            session.rollback()
            flash(error_text(error), "error")
        else:
            session.commit()
            flash(
                ngettext(
                    "%(num)d part received: %(codes)s. Print the label and stick it on the part.",
                    "%(num)d parts received: %(codes)s. Print their labels and stick each on "
                    "its part.",
                    len(received),
                    codes=_span(received),
                ),
                "success",
            )
            return redirect(url_for("repairs.receive", new=[item.code for item in received]))
    elif form.is_submitted():
        flash(_("Check the form below. Nothing was saved."), "error")
    codes = [normalize(code) for code in request.args.getlist("new")][: stock.MAX_QUANTITY]
    new = list(
        session.scalars(
            select(Part).where(Part.code.in_(codes), Part.source == "bought").order_by(Part.id)
        )
    )
    return render_template("repairs/receive.html", form=form, new=new, language=page_language())


def _span(received: list[Part]) -> str:
    """The codes of parts received together, the first and last when there are many."""
    if len(received) <= 3:
        return ", ".join(item.code for item in received)
    return f"{received[0].code} … {received[-1].code}"
