"""The JSON API under /api/v1, for scripts, scanners and bench agents."""

from flask import Blueprint

from workshop.api import errors
from workshop.api.auth import refuse_undeclared

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(refuse_undeclared)
errors.register(bp)

from workshop.api import routes  # noqa: E402,F401  (registers the endpoints)
