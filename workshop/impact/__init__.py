"""The manager's impact page: this year against last year, charts, downloads, publishing."""

from flask import Blueprint

bp = Blueprint("impact", __name__, url_prefix="/impact")

from workshop.impact import routes  # noqa: E402,F401  (registers the views)
