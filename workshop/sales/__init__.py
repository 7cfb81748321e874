"""Sales: orders filled by scanning ready devices, completed all at once."""

from flask import Blueprint

bp = Blueprint("sales", __name__, url_prefix="/sales")

from workshop.sales import routes  # noqa: E402,F401  (registers the views)
