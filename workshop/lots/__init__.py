"""Donor lots: list and opening a new one."""

from flask import Blueprint

bp = Blueprint("lots", __name__, url_prefix="/lots")

from workshop.lots import routes  # noqa: E402,F401  (registers the views)
