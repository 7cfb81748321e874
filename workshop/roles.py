"""What each role may do; every view and endpoint asks here."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from inventory.grading import OVERRIDE_ROLES

PERMISSIONS: dict[str, frozenset[str]] = {
    "view_devices": frozenset({"technician", "warehouse", "manager", "admin"}),
    "intake": frozenset({"warehouse", "manager", "admin"}),
    "scan": frozenset({"technician", "warehouse", "manager", "admin"}),
    "move": frozenset({"technician", "warehouse", "manager", "admin"}),
    "grade": frozenset({"technician", "manager", "admin"}),
    "manage_lots": frozenset({"warehouse", "manager", "admin"}),
    "manage_users": frozenset({"admin"}),
    "put_away": frozenset({"warehouse", "manager", "admin"}),
    "manage_locations": frozenset({"warehouse", "manager", "admin"}),
    "sell": frozenset({"warehouse", "manager", "admin"}),
    "assign": frozenset({"manager", "admin"}),
    # Who may hold assignments and so has a queue of their own.
    "work_queue": frozenset({"technician", "manager", "admin"}),
    # The board holds counts and asset tags, no personal data: the whole floor may see it.
    "view_board": frozenset({"technician", "warehouse", "manager", "admin"}),
    # Time per technician says how fast each person works: for those who plan the work.
    "view_worktime": frozenset({"manager", "admin"}),
    # Answering a device's manual checks; editing the checklists themselves is admin work.
    "check_devices": frozenset({"technician", "manager", "admin"}),
    "manage_checklists": frozenset({"admin"}),
    # Putting one's own grade in place of the one the recorded defects give (inventory/grading.py).
    "override_grade": frozenset(OVERRIDE_ROLES),
    # The technician's page for one device: what to do, the checks, the grade, the next move.
    "work_card": frozenset({"technician", "manager", "admin"}),
    # Bench runs, erasure records and "no storage": the bench's work (agents use a bench token).
    "record_diagnostics": frozenset({"technician", "manager", "admin"}),
    # The limits each category's measurements are held against.
    "manage_diagnostic_limits": frozenset({"admin"}),
    # Asset and location labels, to a file or the station's printer; badges need manage_users.
    "print_labels": frozenset({"technician", "warehouse", "manager", "admin"}),
    # Which printer, medium and format each workstation uses.
    "manage_printers": frozenset({"admin"}),
    # Erasure certificates are handed to donors and buyers: each issue is kept (SHA-256).
    "issue_certificates": frozenset({"warehouse", "manager", "admin"}),
    # Staff records (contracts, working time, insertion, skills), never health data.
    "view_staff": frozenset({"manager", "hr", "admin"}),
    "manage_staff": frozenset({"manager", "hr", "admin"}),
    # Disability recognitions are health data (GDPR article 9): human resources and admin only.
    "health_data": frozenset({"hr", "admin"}),
    # The yearly impact figures, totals only, for those who report to funders.
    "view_impact": frozenset({"manager", "hr", "admin"}),
    "publish_impact": frozenset({"manager", "admin"}),
    # Spreadsheet imports; each kind names the roles that may import it (inventory/imports/).
    "import_files": frozenset({"warehouse", "manager", "hr", "admin"}),
    # Repairs and spare parts (inventory/repairs.py, inventory/parts.py).
    "repair": frozenset({"technician", "manager", "admin"}),
    "view_parts": frozenset({"technician", "warehouse", "manager", "admin"}),
    "harvest_parts": frozenset({"technician", "warehouse", "manager", "admin"}),
    "receive_parts": frozenset({"warehouse", "manager", "admin"}),
    "manage_repair_codes": frozenset({"admin"}),
}

F = TypeVar("F", bound=Callable[..., Any])


def can(permission: str, user: Any = None) -> bool:
    """True when the user (by default the logged-in one) holds the permission."""
    user = current_user if user is None else user
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role in PERMISSIONS[permission]


def requires(permission: str) -> Callable[[F], F]:
    """Page decorator: log in first, then 403 unless the role holds the permission."""
    if permission not in PERMISSIONS:
        raise KeyError(permission)

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
