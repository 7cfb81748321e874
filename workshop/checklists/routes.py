"""Checklist administration, and answering a device's checks from a page or the work card."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from inventory import checks
from inventory.devices import get_device
from inventory.errors import NotFound, WorkshopError
from inventory.lifecycle import LEFT_STAGES
from inventory.models import CATEGORIES, CheckItem, Device
from workshop.checklists import bp
from workshop.checklists.forms import AnswersForm, ButtonForm, ItemLabelsForm, NewItemForm
from workshop.database import db
from workshop.display import error_text, label_for
from workshop.roles import requires
from workshop.web import select_locale

RESULTS = {"pass": _l("Pass"), "fail": _l("Fail"), "na": _l("Not applicable")}


def _user() -> Any:
    # The proxy is not a mapped object: events need the real user.
    return current_user._get_current_object()


@bp.app_context_processor
def _check_helpers() -> dict[str, Any]:
    """Let any page (the device page, the work card) show a device's checks."""
    return {
        "device_checks": lambda device: checks.device_checks(db(), device),
        "check_result": lambda code: str(RESULTS.get(code, code or "")),
        "check_results": tuple(RESULTS),
        "checks_open": lambda device: device.stage not in LEFT_STAGES,
        "checks_labels": lambda lines: ", ".join(
            line.item.label(select_locale()) for line in lines
        ),
    }


# -- the checklists, for administrators ---------------------------------------------------------


@bp.get("/checklists/")
@requires("manage_checklists")
def index() -> Any:
    """Every category with how many checks it asks."""
    return render_template(
        "checklists/index.html",
        categories=CATEGORIES,
        counts=checks.count_per_category(db()),
    )


def _category_or_404(category: str) -> str:
    if category not in CATEGORIES:
        abort(404)
    return category


def _item_forms(items: list[CheckItem]) -> dict[int, ItemLabelsForm]:
    return {
        item.id: ItemLabelsForm(
            formdata=None,
            prefix=f"item{item.id}",
            label_en=item.label_en,
            label_fr=item.label_fr,
            position=item.position,
        )
        for item in items
    }


def _category_page(
    category: str,
    new_form: NewItemForm | None = None,
    forms: dict[int, ItemLabelsForm] | None = None,
    status: int = 200,
    focus: str = "",
) -> Any:
    items = checks.checklist(db(), category, retired=True)
    item_forms = _item_forms(items)
    item_forms.update(forms or {})
    return render_template(
        "checklists/category.html",
        category=category,
        items=items,
        forms=item_forms,
        new_form=new_form or NewItemForm(formdata=None, prefix="new"),
        language=select_locale(),
        focus=focus or request.args.get("focus", ""),
    ), status


@bp.route("/checklists/<category>", methods=["GET", "POST"])
@requires("manage_checklists")
def category(category: str) -> Any:
    """One category's checklist, each check editable, and the form to add one."""
    _category_or_404(category)
    if request.method == "GET":
        return _category_page(category)
    form = NewItemForm(prefix="new")
    if not form.validate_on_submit():
        return _category_page(category, new_form=form, status=400, focus="new")
    session = db()
    try:
        item = checks.add_item(
            session,
            category,
            form.code.data,
            form.label_en.data,
            form.label_fr.data,
            position=form.position.data,
            entered_by=_user(),
        )
    except WorkshopError as error:
        session.rollback()
        field = getattr(form, error.details.get("field", ""), None) or form.code
        field.errors = [*field.errors, error_text(error)]
        return _category_page(category, new_form=form, status=400, focus="new")
    session.commit()
    flash(
        _("The check %(label)s was added to the list.", label=item.label(select_locale())),
        "success",
    )
    return redirect(url_for("checklists.category", category=category, focus="new"))


def _item_or_404(category: str, item_id: int) -> CheckItem:
    _category_or_404(category)
    try:
        return checks.get_item(db(), category, item_id)
    except NotFound:
        abort(404)


@bp.post("/checklists/<category>/<int:item_id>")
@requires("manage_checklists")
def edit(category: str, item_id: int) -> Any:
    """Change a check's labels or its place in the list."""
    item = _item_or_404(category, item_id)
    form = ItemLabelsForm(prefix=f"item{item.id}")
    if not form.validate_on_submit():
        return _category_page(category, forms={item.id: form}, status=400, focus=f"item{item.id}")
    session = db()
    try:
        changed = checks.edit_item(
            session,
            item,
            label_en=form.label_en.data,
            label_fr=form.label_fr.data,
            position=form.position.data,
            entered_by=_user(),
        )
    except WorkshopError as error:
        session.rollback()
        field = getattr(form, error.details.get("field", ""), None) or form.label_en
        field.errors = [*field.errors, error_text(error)]
        return _category_page(category, forms={item.id: form}, status=400, focus=f"item{item.id}")
    session.commit()
    if changed:
        flash(_("The check %(code)s was saved.", code=item.code), "success")
    else:
        flash(_("Nothing was changed on the check %(code)s.", code=item.code), "info")
    return redirect(url_for("checklists.category", category=category, focus=f"item{item.id}"))


@bp.post("/checklists/<category>/<int:item_id>/retire")
@requires("manage_checklists")
def retire(category: str, item_id: int) -> Any:
    """Stop asking a check; its past answers stay."""
    return _switch(category, item_id, checks.retire_item)


@bp.post("/checklists/<category>/<int:item_id>/restore")
@requires("manage_checklists")
def restore(category: str, item_id: int) -> Any:
    """Ask a retired check again."""
    return _switch(category, item_id, checks.restore_item)


def _switch(category: str, item_id: int, service: Any) -> Any:
    item = _item_or_404(category, item_id)
    back = url_for("checklists.category", category=category, focus=f"item{item.id}")
    if not ButtonForm().validate_on_submit():
        flash(_("The form had expired. Nothing was changed: try again."), "error")
        return redirect(back)
    session = db()
    service(session, item, entered_by=_user())
    session.commit()
    label = item.label(select_locale())
    if item.active:
        flash(_("The check %(label)s is asked again.", label=label), "success")
    else:
        flash(_("The check %(label)s is retired: it is no longer asked.", label=label), "success")
    return redirect(back)


# -- a device's answers ------------------------------------------------------------------------


def _device_or_404(asset_tag: str) -> Device:
    try:
        return get_device(db(), asset_tag)
    except NotFound:
        abort(404)


def _safe_next(value: str | None) -> str | None:
    """A return address on this site only (a path), never another site."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if not value.isprintable() or len(value) > 500:
        return None
    return value


@bp.get("/devices/<asset_tag>/checks")
@requires("check_devices")
def answer_page(asset_tag: str) -> Any:
    """The device's checklist on a page of its own, ready to answer by keyboard."""
    device = _device_or_404(asset_tag)
    if device.asset_tag != asset_tag:
        return redirect(url_for("checklists.answer_page", asset_tag=device.asset_tag))
    return render_template("checks/answer.html", device=device)


@bp.post("/devices/<asset_tag>/checks")
@requires("check_devices")
def answer(asset_tag: str) -> Any:
    """Save the answers that changed, as one event, and go back where the form was."""
    session = db()
    device = _device_or_404(asset_tag)
    form = AnswersForm()
    back = _safe_next(form.next.data) or url_for(
        "devices.show", asset_tag=device.asset_tag, _anchor="checks"
    )
    if not form.validate_on_submit():
        flash(_("The form had expired. Nothing was saved: reload the page and try again."), "error")
        return redirect(back)
    results = {
        name.removeprefix("result-"): value
        for name, value in request.form.items()
        if name.startswith("result-") and value
    }
    notes = {
        name.removeprefix("note-"): value
        for name, value in request.form.items()
        if name.startswith("note-") and value.strip()
    }
    now = checks.device_checks(session, device)
    labels = {line.item.code: line.item.label(select_locale()) for line in now.lines}
    lonely = [code for code in notes if code not in results]
    if lonely:
        flash(
            _(
                "A note goes with an answer: choose pass, fail or not applicable for %(checks)s. "
                "Nothing was saved.",
                checks=", ".join(labels.get(code, code) for code in lonely),
            ),
            "error",
        )
        return redirect(back)
    if not results:
        flash(_("Choose pass, fail or not applicable for at least one check."), "error")
        return redirect(back)
    changed, changed_notes = checks.changed_answers(now, results, notes)
    if not changed:
        flash(_("The answers are the same as before. Nothing was changed."), "info")
        return redirect(back)
    try:
        checks.answer_checks(session, device, changed, changed_notes, entered_by=_user())
    except WorkshopError as error:
        session.rollback()
        flash(error_text(error), "error")
        return redirect(back)
    session.commit()
    flash(_saved_message(checks.device_checks(session, device), labels), "success")
    return redirect(back)


def _saved_message(now: checks.DeviceChecks, labels: dict[str, str]) -> str:
    tag = now.device.asset_tag
    if now.complete:
        return _("Checks saved for %(tag)s: every check is answered and none failed.", tag=tag)
    parts = [_("Checks saved for %(tag)s.", tag=tag)]
    if now.unanswered:
        names = ", ".join(labels.get(code, code) for code in now.unanswered)
        parts.append(_("Still to answer: %(checks)s.", checks=names))
    if now.failed:
        names = ", ".join(labels.get(code, code) for code in now.failed)
        parts.append(
            _(
                "Failed: %(checks)s. Repair, then answer again before %(stage)s.",
                checks=names,
                stage=label_for("stage", "ready"),
            )
        )
    return " ".join(parts)
