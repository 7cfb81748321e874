"""Lot views (stub, filled in by the web work)."""

from flask import render_template

from workshop.lots import bp
from workshop.roles import requires


@bp.route("/")
@requires("manage_lots")
def index() -> str:
    """Every lot."""
    return render_template("home.html")
