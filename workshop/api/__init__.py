"""The JSON API under /api/v1, for scripts, scanners and bench agents."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from workshop.api import routes  # noqa: E402,F401  (registers the endpoints)
