"""My queue: the devices a technician is assigned, and claiming one by scanning it."""

from flask import Blueprint

bp = Blueprint("queue", __name__, url_prefix="/queue")

from workshop.queue import routes  # noqa: E402,F401  (registers the views)
