"""Intake scanning (stub, filled in by the web work)."""

from flask import render_template

from workshop.intake import bp
from workshop.roles import requires


@bp.route("/")
@requires("intake")
def scan() -> str:
    """The continuous scanning page."""
    return render_template("home.html")
