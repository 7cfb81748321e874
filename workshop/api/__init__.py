"""The JSON API under /api/v1, for scripts, scanners and bench agents."""

from flask import Blueprint

from workshop.api import errors
from workshop.api.auth import refuse_undeclared

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(refuse_undeclared)
errors.register(bp)

from workshop.api import (  # noqa: E402  (each module registers its endpoints on bp)
    documents,  # noqa: F401  (spec sheets, certificates, lot reports)
    impact,  # noqa: F401  (the yearly impact report)
    labels,  # noqa: F401  (the label endpoints)
    repairs,  # noqa: F401  (repairs, harvests and spare parts)
    routes,  # noqa: F401  (registers the endpoints)
)
