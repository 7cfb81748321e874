"""The device list, the device page, its moves and its grade."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from inventory import assignments, repairs
from inventory import parts as stock
from inventory.codes import has_valid_check, looks_like_asset_tag, normalize
from inventory.devices import find_devices, get_device
from inventory.errors import Conflict, GateUnmet, InvalidInput, NotFound, WorkshopError
from inventory.events import device_history
from inventory.lifecycle import STAGES, allowed_moves, unmet_gates
from inventory.models import CATEGORIES, Device
from inventory.recycling import REASONS, recycle
from inventory.scanning import resolve_code
from inventory.stages import MAX_NOTE, move_to_stage, set_grade
from workshop.database import db
from workshop.devices import bp
from workshop.devices.forms import DeviceSearchForm, GradeForm, MoveForm
from workshop.display import error_text, label_for, page_language
from workshop.periods import day_start
from workshop.roles import can, requires

FILTERS = ("q", "stage", "category", "lot", "since")
# Grading is kept off the stages where the service refuses it.
UNGRADABLE = frozenset({"sold", "recycled"})
# Moves that carry more than a button can say: a sale has its order and price,
# a return its reason. They are made from the sales pages or the API.
ELSEWHERE = frozenset({"sold", "returned"})


@bp.route("/")
@requires("view_devices")
def index() -> Any:
    """The searchable device list; a scanned tag or serial opens its device, a part label its part."""
    session = db()
    form = DeviceSearchForm(formdata=request.args)
    form.fill_choices(STAGES, CATEGORIES)
    query = (form.q.data or "").strip()
    notice = ""
    if query and "page" not in request.args:
        found = resolve_code(session, query)
        if found.kind == "device" and found.device is not None:
            return redirect(url_for("devices.show", asset_tag=found.device.asset_tag))
        if found.kind == "part" and found.part is not None and can("view_parts"):
            # A part's label scanned into the search box: the part's own page.
            return redirect(url_for("repairs.part", code=found.part.code))
        if found.kind == "invalid":
            notice = error_text(found)

    problems: list[str] = []
    page_number = _page_number(request.args.get("page", "1"), problems)
    if not form.validate():
        problems.extend(str(error) for errors in form.errors.values() for error in errors)
    result = None
    if not problems:
        try:
            result = find_devices(
                session,
                q=query,
                stage=form.stage.data or "",
                category=form.category.data or "",
                lot=(form.lot.data or "").strip(),
                entered_since=day_start(form.since.data) if form.since.data else None,
                page=page_number,
                per_page=current_app.config["PER_PAGE"],
            )
        except InvalidInput as error:
            problems.append(error_text(error))

    filters = {name: request.args.get(name, "") for name in FILTERS}
    filters = {name: value for name, value in filters.items() if value}
    return render_template(
        "devices/index.html",
        form=form,
        result=result,
        problems=problems,
        notice=notice,
        filters=filters,
        page_links=_page_links(result.page, result.pages) if result else [],
    ), (400 if problems else 200)


@bp.route("/<asset_tag>")
@requires("view_devices")
def show(asset_tag: str) -> Any:
    """Everything about one device, its history and the moves it may make next."""
    session = db()
    device = _device_or_none(session, asset_tag)
    if device is None:
        return _not_found(asset_tag)
    if device.asset_tag != asset_tag:
        # A tag typed in lower case or with blanks: show it under its one address.
        return redirect(url_for("devices.show", asset_tag=device.asset_tag))
    moves = allowed_moves(device.stage)
    return render_template(
        "devices/show.html",
        device=device,
        history=list(reversed(device_history(session, device))),
        moves=[move for move in moves if move != "recycled" and move not in ELSEWHERE],
        can_recycle="recycled" in moves,
        can_sell="sold" in moves,
        reasons=REASONS,
        needs={
            move: ", ".join(label_for("gate", item) for item in unmet_gates(session, device, move))
            for move in moves
        },
        weight=format_decimal(device.weight_kg) if device.weight_kg is not None else "",
        grade_form=GradeForm(prefix="grade", grade=device.grade),
        gradable=device.stage not in UNGRADABLE,
        # Where the keyboard starts after a redirect: the grade, or a move button.
        focus=request.args.get("focus", ""),
        max_note=MAX_NOTE,
        assignment=assignments.active_assignment(session, device),
        holders=assignments.list_holders(session) if can("assign") else [],
        repairs_done=repairs.device_repairs(session, device),
        harvested=stock.harvested_from(session, device),
        repair_labels=repairs.code_labels(session, device.category, page_language()),
        language=page_language(),
    )


@bp.route("/<asset_tag>/assign", methods=["POST"])
@requires("assign")
def assign(asset_tag: str) -> Any:
    """A manager gives the device to a technician for its current stage."""
    session = db()
    device = _device_or_none(session, asset_tag)
    if device is None:
        return _not_found(asset_tag)
    back = url_for("devices.show", asset_tag=device.asset_tag)
    try:
        technician = assignments.get_holder(session, request.form.get("technician", ""))
        assignments.assign(session, device, technician, by=current_user._get_current_object())
    except WorkshopError as error:
        flash(error_text(error), "error")
        return redirect(back)
    session.commit()
    flash(
        _("%(tag)s is assigned to %(name)s.", tag=device.asset_tag, name=technician.display_name),
        "success",
    )
    return redirect(back)


@bp.route("/<asset_tag>/release", methods=["POST"])
@requires("work_queue")
def release(asset_tag: str) -> Any:
    """The holder, or a manager, gives the device back to the pool."""
    session = db()
    device = _device_or_none(session, asset_tag)
    if device is None:
        return _not_found(asset_tag)
    back = url_for("devices.show", asset_tag=device.asset_tag)
    me = current_user._get_current_object()
    current = assignments.active_assignment(session, device)
    if current is not None and current.technician_id != me.id and not can("assign"):
        abort(403)
    try:
        assignments.release(session, device, by=me)
    except WorkshopError as error:
        flash(error_text(error), "error")
        return redirect(back)
    session.commit()
    flash(_("%(tag)s is released: anyone can take it now.", tag=device.asset_tag), "success")
    return redirect(back)


@bp.route("/<asset_tag>/move", methods=["POST"])
@requires("move")
def move(asset_tag: str) -> Any:
    """Move the device to the stage of the button pressed, once, if the lifecycle allows."""
    session = db()
    device = _device_or_none(session, asset_tag)
    if device is None:
        return _not_found(asset_tag)
    back = url_for("devices.show", asset_tag=device.asset_tag)
    form = MoveForm()
    if not form.validate_on_submit():
        if form.note.errors:
            flash(_("The note is too long: at most %(limit)d characters.", limit=MAX_NOTE), "error")
        else:
            flash(
                _("The move was incomplete. Nothing was changed: use a button on this page."),
                "error",
            )
        return redirect(back)
    to = form.to.data
    if to in ELSEWHERE:
        flash(
            _("A sale or a return is recorded from the sales pages, with its order or reason."),
            "error",
        )
        return redirect(back)
    recycling = to == "recycled" and form.expected_stage.data == device.stage
    if recycling and to in allowed_moves(device.stage):
        if form.confirm.data != "yes":
            return _confirm_recycle(device, form)
        if form.reason.data not in REASONS:
            return _confirm_recycle(device, form, _("Choose why the device is recycled."))
    try:
        if to == "recycled":
            recycle(
                session,
                device,
                reason=form.reason.data,
                weight_kg=form.weight_kg.data or None,
                entered_by=current_user._get_current_object(),
                note=form.note.data,
                expected_stage=form.expected_stage.data,
            )
        else:
            move_to_stage(
                session,
                device,
                to,
                entered_by=current_user._get_current_object(),
                note=form.note.data,
                expected_stage=form.expected_stage.data,
            )
    except InvalidInput as error:
        if to == "recycled" and error.details.get("field") == "weight_kg":
            # The service's wording names the API's field; on the page, say what to do.
            problem = _("Weigh the device and give its weight in kilograms, for example 2.4.")
            return _confirm_recycle(device, form, problem)
        if to == "recycled" and error.details.get("field") == "reason":
            return _confirm_recycle(device, form, error_text(error))
        flash(_refusal(error, device, to), "error")
        return redirect(back)
    except WorkshopError as error:
        flash(_refusal(error, device, to), "error")
        if isinstance(error, GateUnmet) and "grade" in error.details.get("missing", ()):
            return redirect(url_for("devices.show", asset_tag=device.asset_tag, focus="grade"))
        return redirect(back)
    session.commit()
    flash(
        _(
            "%(tag)s moved to %(stage)s.",
            tag=device.asset_tag,
            stage=label_for("stage", device.stage),
        ),
        "success",
    )
    return redirect(back)


@bp.route("/<asset_tag>/grade", methods=["POST"])
@requires("grade")
def grade(asset_tag: str) -> Any:
    """Set the cosmetic grade; the same grade again without a note changes nothing."""
    session = db()
    device = _device_or_none(session, asset_tag)
    if device is None:
        return _not_found(asset_tag)
    back = url_for("devices.show", asset_tag=device.asset_tag, focus="grade")
    form = GradeForm(prefix="grade")
    if not form.validate_on_submit():
        if form.note.errors:
            flash(_("The note is too long: at most %(limit)d characters.", limit=MAX_NOTE), "error")
        else:
            flash(_("Choose grade A, B or C. Nothing was changed."), "error")
        return redirect(back)
    if form.grade.data == device.grade and not (form.note.data or "").strip():
        # A second click on the same grade: one event is enough.
        flash(
            _(
                "%(tag)s already has grade %(grade)s. Nothing was changed.",
                tag=device.asset_tag,
                grade=device.grade,
            ),
            "info",
        )
        return redirect(url_for("devices.show", asset_tag=device.asset_tag))
    try:
        set_grade(
            session,
            device,
            form.grade.data,
            entered_by=current_user._get_current_object(),
            note=form.note.data,
        )
    except WorkshopError as error:
        flash(_refusal(error, device, None), "error")
        return redirect(back)
    session.commit()
    message = _("Grade %(grade)s set on %(tag)s.", grade=device.grade, tag=device.asset_tag)
    if "ready" in allowed_moves(device.stage) and not unmet_gates(session, device, "ready"):
        message += " " + _("It can now be moved to %(stage)s.", stage=label_for("stage", "ready"))
        flash(message, "success")
        # The next key press is most likely "move it to ready".
        return redirect(url_for("devices.show", asset_tag=device.asset_tag, focus="ready"))
    flash(message, "success")
    return redirect(url_for("devices.show", asset_tag=device.asset_tag))


def _confirm_recycle(device: Device, form: MoveForm, problem: str = "") -> Any:
    """The second step of recycling: why, and what the device weighs."""
    if request.form.get("weight_kg") is None and device.weight_kg is not None:
        form.weight_kg.data = format_decimal(device.weight_kg)
    return render_template(
        "devices/confirm_recycle.html",
        device=device,
        form=form,
        reasons=REASONS,
        problem=problem,
        max_note=MAX_NOTE,
    ), (400 if problem else 200)


def _device_or_none(session: Session, asset_tag: str) -> Device | None:
    try:
        return get_device(session, asset_tag)
    except NotFound:
        return None


def _not_found(asset_tag: str) -> tuple[str, int]:
    tag = normalize(asset_tag)[:40]
    return render_template(
        "devices/not_found.html", tag=tag, misread=_misread_tag(tag), form=DeviceSearchForm()
    ), 404


def _misread_tag(code: str) -> bool:
    """True when the code has an asset tag's shape but a wrong check character."""
    code = normalize(code)
    return looks_like_asset_tag(code) and not has_valid_check(code)


def _page_number(raw: str, problems: list[str]) -> int:
    # ASCII digits only, and few of them: int() accepts other scripts' digits,
    # and a huge offset overflows the database's integer.
    if raw.isascii() and raw.isdigit() and len(raw) <= 6 and int(raw) >= 1:
        return int(raw)
    problems.append(_("The page number must be a whole number, 1 or more."))
    return 1


def _page_links(page: int, pages: int) -> list[int | None]:
    """The page numbers to link: the ends and the neighbourhood of the current page."""
    wanted = {1, pages, *range(page - 2, page + 3)}
    links: list[int | None] = []
    for number in sorted(n for n in wanted if 1 <= n <= pages):
        if links and links[-1] is not None and number > links[-1] + 1:
            links.append(None)  # a gap, shown as an ellipsis
        links.append(number)
    return links


def _refusal(error: WorkshopError, device: Device, to: str | None) -> str:
    """What the service refused, in the user's language, with what to do about it."""
    if isinstance(error, Conflict) and to is not None and "expected_stage" in error.details:
        # A second click, or a page left open while a colleague moved the device.
        return _(
            "%(tag)s was already moved to %(stage)s. Nothing was changed: "
            "check the page before going on.",
            tag=device.asset_tag,
            stage=label_for("stage", error.details.get("stage", device.stage)),
        )
    text = error_text(error)
    if isinstance(error, GateUnmet) and "grade" in error.details.get("missing", ()):
        text += " " + _("Set the grade below, then move it again.")
    return text
