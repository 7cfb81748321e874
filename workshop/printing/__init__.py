"""Label printing: this terminal's station, each station's printer, and printing labels."""

from flask import Blueprint

bp = Blueprint("printing", __name__, url_prefix="/labels")

from workshop.printing import routes  # noqa: E402,F401  (registers the views)
