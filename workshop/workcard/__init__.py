"""The work card: a technician's page for one device, from what to do to the next stage."""

from flask import Blueprint

bp = Blueprint("workcard", __name__, url_prefix="/work")

from workshop.workcard import routes  # noqa: E402,F401  (registers the views)
