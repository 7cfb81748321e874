"""Printing labels from the pages: to this terminal's printer, or as a PDF the browser prints."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.codes import normalize
from inventory.devices import MAX_PER_PAGE, find_devices, get_device
from inventory.errors import InvalidInput, NotFound, WorkshopError
from inventory.models import Device, Lot
from inventory.printers import (
    FORMATS,
    METHODS,
    StationPrinter,
    find_station_printer,
    list_station_printers,
    remove_station_printer,
    set_station_printer,
)
from labels.media import DEFAULT_MEDIUM, MEDIA
from labels.printing import check_printer
from labels.sheets import MAX_COPIES, MAX_LABELS
from labels.svg import barcode_svg
from workshop import label_jobs
from workshop.database import db
from workshop.display import error_text, page_language
from workshop.downloads import file_response
from workshop.printing import bp
from workshop.printing.terminal import choose_station, terminal_printer, terminal_station
from workshop.roles import can, requires


def _back(default: str) -> str:
    """The page to return to: a path on this site only, never another site."""
    target = request.form.get("next", "") or request.args.get("next", "")
    parts = urlsplit(target)
    # "//host" and "/\\host" lead browsers to another site.
    if target.startswith("/") and target[1:2] not in ("/", "\\") and not parts.netloc:
        return target
    return default


@bp.route("/")
@requires("print_labels")
def index() -> Any:
    """This terminal's station, and for admins every station's printer."""
    session = db()
    return render_template(
        "printing/index.html",
        printers=list_station_printers(session),
        station=terminal_station(),
        media=MEDIA,
        methods=METHODS,
        formats=FORMATS,
        editing=request.args.get("station", ""),
    )


@bp.route("/terminal", methods=["POST"])
@requires("print_labels")
def terminal() -> Any:
    """Choose the station whose printer this terminal prints on."""
    station = request.form.get("station", "").strip()
    if station and find_station_printer(db(), station) is None:
        flash(_("The station %(station)s has no label printer.", station=station[:64]), "error")
    else:
        choose_station(station)
        if station:
            flash(_("This terminal prints its labels at %(station)s.", station=station), "ok")
        else:
            flash(_("This terminal opens its labels as PDF, to print from the browser."), "ok")
    return redirect(_back(url_for("printing.index")))


@bp.route("/printers", methods=["POST"])
@requires("manage_printers")
def save_printer() -> Any:
    """Give a station its printer, medium and format, or change them."""
    session = db()
    form = request.form
    method = form.get("method", "")
    medium = form.get("medium", "")
    try:
        if medium not in MEDIA:
            raise InvalidInput("Choose a label medium from the list.", field="medium")
        try:
            printer = check_printer(method, form.get("target", ""))
        except ValueError:
            raise InvalidInput(
                "Give a CUPS queue name for lp, or host or host:port for raw.", field="target"
            ) from None
        if form.get("format") == "zpl" and MEDIA[medium].is_sheet:
            raise InvalidInput(
                "%(medium)s is a sheet for office printers: print it as PDF, not ZPL.",
                field="format",
                medium=medium,
            )
        saved = set_station_printer(
            session,
            form.get("station", ""),
            method=printer.method,
            target=printer.target,
            medium=medium,
            format=form.get("format", ""),
            by=current_user._get_current_object(),
        )
    except WorkshopError as error:
        session.rollback()
        flash(error_text(error), "error")
        return redirect(url_for("printing.index"))
    session.commit()
    flash(
        _(
            "The station %(station)s prints on %(target)s.",
            station=saved.station,
            target=saved.target,
        ),
        "ok",
    )
    return redirect(url_for("printing.index"))


@bp.route("/printers/<int:printer_id>/remove", methods=["POST"])
@requires("manage_printers")
def remove_printer(printer_id: int) -> Any:
    """Take a station's printer away."""
    session = db()
    printer = session.get(StationPrinter, printer_id)
    if printer is None:
        abort(404)
    remove_station_printer(session, printer.station, by=current_user._get_current_object())
    session.commit()
    flash(_("The station %(station)s has no label printer now.", station=printer.station), "ok")
    return redirect(url_for("printing.index"))


@bp.route("/devices/<asset_tag>.pdf")
@requires("print_labels")
def device_pdf(asset_tag: str) -> Any:
    """A device's asset label as PDF, for the browser to print."""
    session = db()
    try:
        medium = label_jobs.medium_named(request.args.get("medium"))
        batch = label_jobs.devices_batch([get_device(session, asset_tag)], _workshop())
        data = label_jobs.render(batch, medium, "pdf")
    except NotFound as error:
        flash(error_text(error), "error")
        return redirect(url_for("devices.index"))
    except InvalidInput as error:
        flash(error_text(error), "error")
        return redirect(url_for("devices.show", asset_tag=asset_tag))
    return _pdf(data, f"{batch.codes[0]}-{medium.name}.pdf")


@bp.route("/parts/<code>.pdf")
@requires("view_parts")
def part_pdf(code: str) -> Any:
    """A spare part's label as PDF, for the browser to print."""
    session = db()
    try:
        medium = label_jobs.medium_named(request.args.get("medium"))
        batch = label_jobs.part_batch(session, [code], page_language())
        data = label_jobs.render(batch, medium, "pdf")
    except NotFound as error:
        flash(error_text(error), "error")
        return redirect(url_for("repairs.finder"))
    except InvalidInput as error:
        flash(error_text(error), "error")
        return redirect(url_for("repairs.part", code=normalize(code)[:16]))
    return _pdf(data, f"{batch.codes[0]}-{medium.name}.pdf")


@bp.route("/print", methods=["POST"])
@requires("print_labels")
def print_labels() -> Any:
    """Print the labels a page asks for: to this terminal's printer, else as a PDF to print."""
    session = db()
    back = _back(url_for("devices.index"))
    kind = request.form.get("kind", "asset")
    if kind not in label_jobs.KINDS:
        abort(400)
    if kind == "badge" and not can("manage_users"):
        abort(403)
    if kind == "location" and not can("manage_locations"):
        abort(403)
    if kind == "part" and not can("view_parts"):
        abort(403)
    try:
        copies = _whole(request.form.get("copies", "1"), "copies")
        skip = _whole(request.form.get("skip", "0") or "0", "skip")
        batch = _batch(session, kind)
        printer = terminal_printer(session)
        user = current_user._get_current_object()
        if printer is not None:
            where = label_jobs.print_at_station(
                session, batch, printer, copies=copies, skip=skip, by=user
            )
            session.commit()
            count = len(batch.labels) * copies
            flash(
                ngettext(
                    "%(num)d label sent to %(printer)s.",
                    "%(num)d labels sent to %(printer)s.",
                    count,
                    printer=where,
                ),
                "ok",
            )
            return redirect(back)
        medium = label_jobs.medium_named(request.form.get("medium") or DEFAULT_MEDIUM)
        data = label_jobs.render(batch, medium, "pdf", copies=copies, skip=skip)
        label_jobs.log_print(
            session,
            batch,
            medium=medium.name,
            copies=copies,
            station="",
            printer="browser",
            by=user,
        )
    except WorkshopError as error:
        session.rollback()
        flash(error_text(error), "error")
        return redirect(back)
    session.commit()
    return _pdf(data, f"labels-{kind}.pdf")


def _batch(session: Session, kind: str) -> label_jobs.Batch:
    """The labels the form names: codes, a lot's or a search's devices, every badge, parts."""
    form = request.form
    codes = [code for code in form.getlist("code") if code.strip()]
    if kind == "location":
        return label_jobs.location_batch(session, codes)
    if kind == "part":
        return label_jobs.part_batch(session, codes, page_language())
    if kind == "badge":
        if form.get("all_badges"):
            return label_jobs.people_batch(label_jobs.users_with_badges(session), _workshop())
        return label_jobs.badge_batch(session, codes, _workshop())
    if form.get("lot"):
        lot = session.scalar(select(Lot).where(Lot.code == form["lot"]))
        if lot is None:
            raise NotFound("No lot has the code %(lot)s.", lot=form["lot"][:40])
        found = list(
            session.scalars(select(Device).where(Device.lot_id == lot.id).order_by(Device.id))
        )
        return label_jobs.devices_batch(found, _workshop())
    if form.get("search"):
        found: list[Device] = []
        number = 1
        while len(found) < MAX_LABELS:
            page = find_devices(
                session,
                q=form.get("q", ""),
                stage=form.get("stage", ""),
                category=form.get("category", ""),
                lot=form.get("search_lot", ""),
                page=number,
                per_page=MAX_PER_PAGE,
            )
            found.extend(page.items)
            if number >= page.pages:
                break
            number += 1
        return label_jobs.devices_batch(found, _workshop())
    return label_jobs.asset_batch(session, codes, _workshop())


def _whole(text: str, field: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InvalidInput(
            "Give a whole number from 0 to %(limit)s.", field=field, limit=MAX_COPIES
        ) from None


def _workshop() -> str:
    return current_app.config["WORKSHOP_NAME"]


def _pdf(data: bytes, filename: str) -> Response:
    return file_response(data, "application/pdf", filename, inline=True)


@bp.app_context_processor
def _printing_helpers() -> dict[str, Any]:
    """The barcode SVG and this terminal's printer, for the pages that print labels."""
    return {
        "barcode_svg": _barcode_svg,
        "label_printer": lambda: terminal_printer(db()),
        "label_media": MEDIA,
        "default_medium": DEFAULT_MEDIUM,
    }


def _barcode_svg(code: str, label: str = "") -> Markup:
    """Inline SVG of a code's barcode; the code comes from our own records."""
    return Markup(barcode_svg(code, label=label))
