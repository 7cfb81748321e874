"""The sales pages: the list of orders, opening one, scanning devices in, completing it."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from inventory.errors import NotFound, WorkshopError
from inventory.models import SaleOrder
from inventory.sales import (
    NotReady,
    add_to_order,
    complete_order,
    get_order,
    list_orders,
    open_order,
    remove_from_order,
    return_device,
)
from inventory.scanning import resolve_code
from workshop.database import db
from workshop.display import error_text, label_for
from workshop.roles import requires
from workshop.sales import bp
from workshop.sales.forms import ButtonForm, OrderForm, ReturnForm, ScanForm


def _order_or_404(order_id: int) -> SaleOrder:
    try:
        return get_order(db(), order_id)
    except NotFound:
        abort(404)


def _not_ready_text(error: NotReady) -> str:
    """Every refused device with its stage, in the user's language."""
    listing = ", ".join(
        _("%(tag)s (%(stage)s)", tag=item["asset_tag"], stage=label_for("stage", item["stage"]))
        for item in error.details["refused"]
    )
    return _("Not ready for sale: %(listing)s.", listing=listing)


@bp.route("/")
@requires("sell")
def index() -> str:
    """The latest sale orders, newest first."""
    return render_template("sales/index.html", orders=list_orders(db()))


@bp.route("/new", methods=["GET", "POST"])
@requires("sell")
def new() -> Any:
    """Open an order for a customer, then scan its devices."""
    form = OrderForm()
    if form.validate_on_submit():
        session = db()
        try:
            order = open_order(
                session,
                customer=form.customer.data or "",
                channel=form.channel.data,
                entered_by=current_user._get_current_object(),
            )
        except WorkshopError as error:
            flash(error_text(error), "error")
            return render_template("sales/new.html", form=form), 400
        session.commit()
        return redirect(url_for("sales.show", order_id=order.id))
    return render_template("sales/new.html", form=form), (400 if form.errors else 200)


@bp.route("/<int:order_id>")
@requires("sell")
def show(order_id: int) -> str:
    """The order: its scan field while open, its lines, and the button to complete it."""
    order = _order_or_404(order_id)
    scan_form = ScanForm(formdata=None, price=request.args.get("price", "")[:20])
    return render_template("sales/show.html", order=order, scan_form=scan_form, button=ButtonForm())


@bp.route("/<int:order_id>/add", methods=["POST"])
@requires("sell")
def add(order_id: int) -> Any:
    """Add the scanned device at the price given; one not ready is refused with its stage."""
    session = db()
    order = _order_or_404(order_id)
    form = ScanForm()
    price = (form.price.data or "")[:20]
    back = url_for("sales.show", order_id=order.id, price=price or None)
    if not form.validate_on_submit() or not form.code.data:
        flash(_("Scan an asset tag, then press Enter."), "error")
        return redirect(back)
    if not price:
        flash(_("Give the price first, then scan the device again."), "error")
        return redirect(back)
    found = resolve_code(session, form.code.data)
    if found.kind != "device" or found.device is None:
        flash(error_text(found) or _("No device has this code."), "error")
        return redirect(back)
    device = found.device
    try:
        line = add_to_order(session, order, device, price)
    except NotReady as error:
        flash(_not_ready_text(error), "error")
        return redirect(back)
    except WorkshopError as error:
        flash(error_text(error), "error")
        return redirect(back)
    session.commit()
    flash(
        _(
            "%(tag)s added at %(price)s €.",
            tag=device.asset_tag,
            price=format_decimal(line.price, "#,##0.00"),
        ),
        "success",
    )
    return redirect(back)


@bp.route("/<int:order_id>/lines/<int:line_id>/remove", methods=["POST"])
@requires("sell")
def remove(order_id: int, line_id: int) -> Any:
    """Take a line off the open order."""
    session = db()
    order = _order_or_404(order_id)
    if not ButtonForm().validate_on_submit():
        flash(_("The request was incomplete. Nothing was changed."), "error")
        return redirect(url_for("sales.show", order_id=order.id))
    try:
        device = remove_from_order(session, order, line_id)
    except WorkshopError as error:
        flash(error_text(error), "error")
        return redirect(url_for("sales.show", order_id=order.id))
    session.commit()
    flash(_("%(tag)s taken off the order.", tag=device.asset_tag), "success")
    return redirect(url_for("sales.show", order_id=order.id))


@bp.route("/<int:order_id>/complete", methods=["GET", "POST"])
@requires("sell")
def complete(order_id: int) -> Any:
    """Ask to confirm, then sell every device of the order, or none."""
    session = db()
    order = _order_or_404(order_id)
    form = ButtonForm()
    if request.method == "GET" or order.status != "open":
        if order.status != "open" or not order.lines:
            return redirect(url_for("sales.show", order_id=order.id))
        return render_template("sales/complete.html", order=order, button=form)
    if not form.validate_on_submit():
        flash(_("The request was incomplete. Nothing was changed."), "error")
        return redirect(url_for("sales.show", order_id=order.id))
    try:
        complete_order(session, order, entered_by=current_user._get_current_object())
    except NotReady as error:
        session.rollback()
        flash(_("Nothing was sold.") + " " + _not_ready_text(error), "error")
        return redirect(url_for("sales.show", order_id=order_id))
    except WorkshopError as error:
        session.rollback()
        flash(error_text(error), "error")
        return redirect(url_for("sales.show", order_id=order_id))
    session.commit()
    flash(
        ngettext(
            "Sale %(number)s completed: %(num)d device sold.",
            "Sale %(number)s completed: %(num)d devices sold.",
            len(order.lines),
            number=order.number,
        ),
        "success",
    )
    return redirect(url_for("sales.show", order_id=order.id))


@bp.route("/returns", methods=["GET", "POST"])
@requires("sell")
def returns() -> Any:
    """Take back a sold device: scan it, say why, and it goes to stage returned."""
    form = ReturnForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("sales/returns.html", form=form), status
    session = db()
    found = resolve_code(session, form.code.data)
    if found.kind != "device":
        form.code.errors.append(
            error_text(found)
            if found.kind == "part"
            else _("%(code)s is not one of our devices: scan its asset tag.", code=found.code)
        )
        return render_template("sales/returns.html", form=form), 400
    device = found.device
    try:
        return_device(
            session,
            device,
            reason=form.reason.data,
            entered_by=current_user._get_current_object(),
        )
    except WorkshopError as error:
        session.rollback()
        form.code.errors.append(error_text(error))
        return render_template("sales/returns.html", form=form), 409
    session.commit()
    flash(
        _(
            "%(tag)s is back, in stage %(stage)s: triage it, or put it back on sale.",
            tag=device.asset_tag,
            stage=label_for("stage", device.stage),
        ),
        "success",
    )
    return redirect(url_for("sales.returns"))
