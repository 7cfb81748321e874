"""Refusals the workshop explains to the user: each has a code, a message and details.

Messages are %-templates filled from the details, so that the web app can show
them translated; the `pybabel extract` keywords list each class below.
"""

from __future__ import annotations

from typing import Any


class WorkshopError(Exception):
    """A request the workshop refuses, with a stable code for scripts."""

    code = "invalid"

    def __init__(self, template: str, **details: Any) -> None:
        # The template stays untranslated here (no Flask below the web app);
        # the interface translates it and fills in the same details.
        self.template = template
        self.details = details
        self.message = template % details
        super().__init__(self.message)


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


def N_(text: str) -> str:
    """Mark a message for translation by the interface; returns it unchanged."""
    return text
