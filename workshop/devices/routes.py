"""Device views (stub, filled in by the web work)."""

from flask import render_template

from workshop.devices import bp
from workshop.roles import requires


@bp.route("/")
@requires("view_devices")
def index() -> str:
    """The searchable device list."""
    return render_template("home.html")
