"""The impact page: a year against the one before, the report's charts, downloads, publishing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from reportlab.graphics import renderSVG

from inventory import impact
from inventory.db import begin_write
from inventory.errors import WorkshopError
from inventory.repair_figures import SCALAR_KEYS as REPAIR_KEYS
from labels.impact_report import device_chart, headcount_chart
from workshop.database import db
from workshop.display import error_text
from workshop.downloads import file_response
from workshop.impact import bp
from workshop.reports.impact import FORMATS, render
from workshop.roles import can, requires


def _language() -> str:
    language = str(get_locale() or "en")[:2]
    return language if language in impact.LANGUAGES else "en"


def _writing_session() -> Any:
    """The request's session as a writer: counting health-data totals logs the read."""
    session = db()
    session.commit()
    begin_write(session)
    return session


def _this_year() -> int:
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).year


def _svg(drawing: Any, title: str) -> Markup:
    """A reportlab drawing as inline SVG, named for screen readers (the table says the same)."""
    svg = renderSVG.drawToString(drawing)
    svg = svg[svg.index("<svg") :]
    label = Markup.escape(title)
    return Markup(svg.replace("<svg", f'<svg role="img" aria-label="{label}"', 1))


# How many faults and actions the page ranks.
TOP = 5


def _top(group: str, current: dict[str, Any], previous: dict[str, Any]) -> list[dict[str, Any]]:
    """The most frequent fault or action codes of the two years, this year's first."""
    now, before = current["repairs"][group], previous["repairs"][group]
    names = {
        **previous["repairs"][group.replace("repairs_by_", "") + "_labels"],
        **current["repairs"][group.replace("repairs_by_", "") + "_labels"],
    }
    codes = sorted(set(now) | set(before), key=lambda c: (-now.get(c, 0), -before.get(c, 0), c))
    return [
        {"code": code, "label": names.get(code, code), "current": now.get(code, 0),
         "previous": before.get(code, 0)}
        for code in codes[:TOP]
    ]  # fmt: skip


@bp.route("/")
@requires("view_impact")
def index() -> Any:
    """A year's figures against the year before (this year by default), with the charts."""
    raw = request.args.get("year", "")
    try:
        year = impact.check_year(raw) if raw else _this_year()
    except WorkshopError as error:
        flash(error_text(error), "error")
        return redirect(url_for("impact.index"))
    if year <= impact.FIRST_YEAR:
        year = impact.FIRST_YEAR + 1
    language = _language()
    session = _writing_session()
    reader = current_user._get_current_object()
    timezone = current_app.config["TIMEZONE"]
    current = impact.report(session, year, language=language, timezone=timezone, reader=reader)
    previous = impact.report(session, year - 1, language=language, timezone=timezone, reader=reader)
    session.commit()
    charts = {
        report["year"]: (
            _svg(
                device_chart(report, language),
                _("Devices per month in %(year)s", year=report["year"]),
            ),
            _svg(
                headcount_chart(report, language),
                _("Headcount at the end of each month in %(year)s", year=report["year"]),
            ),
        )
        for report in (current, previous)
    }
    return render_template(
        "impact/index.html",
        current=current,
        previous=previous,
        charts=charts,
        keys=impact.KEYS,
        monthly_keys=(*impact.MONTHLY_KEYS, "headcount"),
        formats=FORMATS,
        language=language,
        changes={
            report["year"]: impact.explain_changes(report["publication"], language)
            for report in (current, previous)
        },
        repair_keys=REPAIR_KEYS,
        top_faults=_top("repairs_by_fault", current, previous),
        top_actions=_top("repairs_by_action", current, previous),
        can_publish=can("publish_impact"),
        year_over=impact.year_is_over(year - 1, timezone),
        this_year_over=impact.year_is_over(year, timezone),
    )


@bp.route("/<int:year>.<fmt>")
@requires("view_impact")
def download(year: int, fmt: str) -> Response:
    """The report of a year as a JSON, CSV, XLSX or PDF file, in ?lang=fr or en."""
    if fmt not in FORMATS:
        abort(404)
    language = request.args.get("lang") or _language()
    if language not in impact.LANGUAGES:
        abort(400)
    session = _writing_session()
    try:
        data = impact.report(
            session,
            year,
            language=language,
            timezone=current_app.config["TIMEZONE"],
            reader=current_user._get_current_object(),
        )
    except WorkshopError:
        abort(404)
    session.commit()
    report = render(data, fmt, language=language, workshop=current_app.config["WORKSHOP_NAME"])
    return file_response(report.body, report.mimetype, report.filename)


@bp.route("/<int:year>/publish", methods=["POST"])
@requires("publish_impact")
def publish(year: int) -> Any:
    """Freeze a finished year's figures; a second time, or before the year is over, is refused."""
    session = db()
    try:
        publication = impact.publish(
            session,
            year,
            by=current_user._get_current_object(),
            timezone=current_app.config["TIMEZONE"],
        )
    except WorkshopError as error:
        session.rollback()
        flash(error_text(error), "error")
    else:
        session.commit()
        flash(
            _(
                "The figures of %(year)s are published (%(count)s events, hash %(hash)s).",
                year=year,
                count=publication.events_count,
                hash=publication.events_hash[:12],
            ),
            "success",
        )
    return redirect(url_for("impact.index", year=request.form.get("back") or None))
