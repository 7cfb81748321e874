"""Bench results and erasures on a device's pages, and the test limits an administrator keeps."""

from flask import Blueprint

# No prefix: a device's erasures live under /devices, the limits under /diagnostics.
bp = Blueprint("diagnostics", __name__)

from workshop.diagnostics_pages import routes  # noqa: E402,F401  (registers the views)
