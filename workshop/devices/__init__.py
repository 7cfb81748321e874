"""The device list, the device page and its moves."""

from flask import Blueprint

bp = Blueprint("devices", __name__, url_prefix="/devices")

from workshop.devices import routes  # noqa: E402,F401  (registers the views)
