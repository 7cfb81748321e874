"""Warehouse locations: the list, adding one, and the continuous put-away page."""

from flask import Blueprint

bp = Blueprint("locations", __name__, url_prefix="/locations")

from workshop.locations import routes  # noqa: E402,F401  (registers the views)
