"""Repairs on the floor: recording a repair action, the parts finder, the low-stock list."""

from flask import Blueprint

bp = Blueprint("repairs", __name__, url_prefix="/repairs")

from workshop.repairs import routes  # noqa: E402,F401  (registers the views)
