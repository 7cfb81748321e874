"""Manual checks: the checklists an administrator keeps, and answering a device's checks."""

from flask import Blueprint

# No prefix: the checklists live under /checklists, a device's answers under /devices.
bp = Blueprint("checklists", __name__)

from workshop.checklists import routes  # noqa: E402,F401  (registers the views)
