"""User administration."""

from flask import Blueprint

bp = Blueprint("users", __name__, url_prefix="/users")

from workshop.users import routes  # noqa: E402,F401  (registers the views)
