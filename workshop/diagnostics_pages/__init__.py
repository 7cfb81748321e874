"""Bench results and erasures on a device's pages, and the test limits an administrator keeps."""

from flask import Blueprint

# No prefix: a device's erasures live under /devices, the limits under /diagnostics.
bp = Blueprint("diagnostics", __name__)

# The views; runs: a run's message in the reader's language, and closing an abandoned run.
from workshop.diagnostics_pages import routes, runs  # noqa: E402,F401
