"""Refusals the workshop explains to the user: each has a code, a message and details."""

from __future__ import annotations

from typing import Any


class WorkshopError(Exception):
    """A request the workshop refuses, with a stable code for scripts."""

    code = "invalid"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(WorkshopError):
    """A value that cannot be used as given (names the field)."""

    code = "invalid"


class NotFound(WorkshopError):
    """No such device, lot or user."""

    code = "not_found"


class AlreadyReceived(WorkshopError):
    """The serial belongs to a device that is already in the workshop."""

    code = "already_received"


class IllegalTransition(WorkshopError):
    """The move is not in the lifecycle table."""

    code = "illegal_transition"


class GateUnmet(WorkshopError):
    """The device lacks what the target stage requires."""

    code = "gate_unmet"


class Conflict(WorkshopError):
    """Someone else changed the same record at the same moment."""

    code = "conflict"
