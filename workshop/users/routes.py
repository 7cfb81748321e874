"""User views (stub, filled in by the web work)."""

from flask import render_template

from workshop.roles import requires
from workshop.users import bp


@bp.route("/")
@requires("manage_users")
def index() -> str:
    """Every user."""
    return render_template("home.html")
