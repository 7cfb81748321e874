"""Errors as {"error": {"code", "message", ...}} with the right HTTP status."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


def error_response(status: int, code: str, message: str, **details: Any) -> tuple[Response, int]:
    """A JSON error body with its status."""
    return jsonify({"error": {"code": code, "message": message, **details}}), status
