"""The stage board: where the workshop's devices are, and which ones wait too long."""

from flask import Blueprint

bp = Blueprint("board", __name__, url_prefix="/board")

from workshop.board import routes  # noqa: E402,F401  (registers the views)
