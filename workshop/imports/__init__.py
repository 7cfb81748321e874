"""Imports from spreadsheets: upload, check and preview, then confirm once."""

from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/imports")

from workshop.imports import routes  # noqa: E402,F401  (registers the views)
