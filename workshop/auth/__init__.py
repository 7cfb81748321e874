"""Logging in and out, the first administrator, the language switch."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from workshop.auth import routes  # noqa: E402,F401  (registers the views)
