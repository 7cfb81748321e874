"""Staff records: people, employment periods, insertion, skills; health data for hr and admin."""

from flask import Blueprint

bp = Blueprint("people", __name__, url_prefix="/people")

from workshop.people import routes  # noqa: E402,F401  (registers the views)
