"""The warehouse's intake scanning page and intake form."""

from flask import Blueprint

bp = Blueprint("intake", __name__, url_prefix="/intake")

from workshop.intake import routes  # noqa: E402,F401  (registers the views)
