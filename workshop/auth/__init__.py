"""Logging in and out, badges at workbench terminals, the first administrator, the language."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from workshop.auth import routes, terminal  # noqa: E402,F401  (registers the views)
