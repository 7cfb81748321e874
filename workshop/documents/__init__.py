"""Documents to download: spec sheets, erasure certificates and donors' lot reports."""

from flask import Blueprint

bp = Blueprint("documents", __name__)

from workshop.documents import routes  # noqa: E402,F401  (registers the views)
