"""Staff badges and PINs: who is at a workbench terminal.

A badge is scanned, then its holder types a short PIN. Wrong PINs are counted
on the user's row, not in a process, so every app process sees the same count.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from inventory.accounts import User
from inventory.codes import badge_code, has_valid_check, looks_like_badge_code, normalize
from inventory.counters import take_number
from inventory.errors import N_, InvalidInput, NotFound, WorkshopError
from inventory.events import record_event
from inventory.types import utcnow

BADGE_COUNTER = "staff_badge"
PIN = re.compile(r"^[0-9]{4,8}$")
# After this many wrong PINs in a row the badge is refused for LOCK_MINUTES.
MAX_PIN_FAILURES = 5
LOCK_MINUTES = 10


class BadgeRefused(WorkshopError):
    """A badge that cannot log anyone in: unknown, without PIN, deactivated or locked."""

    code = "badge_refused"


class WrongPin(WorkshopError):
    """The PIN does not match the badge; `left` says how many tries remain."""

    code = "wrong_pin"


def issue_badge(session: Session, user: User, *, by: User | None) -> str:
    """Give a user a new badge code; the one they had stops working."""
    if not user.active:
        raise InvalidInput(
            "%(username)s is deactivated: reactivate them first.",
            field="badge",
            username=user.username,
        )
    replaced = user.badge_code
    code = badge_code(take_number(session, BADGE_COUNTER))
    user.badge_code = code
    # A new badge starts with a clean slate of tries.
    user.pin_failures = 0
    user.badge_locked_until = None
    session.flush()
    record_event(
        session,
        "badge_issued",
        device=None,
        entered_by=by,
        username=user.username,
        badge=code,
        replaced=replaced,
    )
    return code


def set_pin(session: Session, user: User, pin: str, *, by: User | None) -> None:
    """Set the PIN typed after the badge; only its hash is kept, and a lockout ends."""
    if not PIN.match(pin or ""):
        raise InvalidInput("A PIN is 4 to 8 digits.", field="pin")
    user.pin_hash = generate_password_hash(pin)
    user.pin_failures = 0
    user.badge_locked_until = None
    session.flush()
    # The event says that the PIN changed, never what it is.
    record_event(session, "pin_set", device=None, entered_by=by, username=user.username)


def badge_holder(session: Session, code: str) -> User | None:
    """The user holding this badge code (active or not), or None."""
    code = normalize(code)
    if not looks_like_badge_code(code) or not has_valid_check(code):
        return None
    return session.scalar(select(User).where(User.badge_code == code))


def check_badge(session: Session, code: str, *, now: datetime | None = None) -> User:
    """The user a scanned badge may log in, before the PIN; refuses with the reason."""
    now = now or utcnow()
    code = normalize(code)
    if looks_like_badge_code(code) and not has_valid_check(code):
        raise BadgeRefused(
            N_(
                "%(code)s looks like a badge but its check character is wrong: "
                "the badge was misread. Scan it again."
            ),
            code=code,
        )
    user = badge_holder(session, code)
    if user is None:
        raise NotFound("%(code)s is not a staff badge in use. Scan your badge again.", code=code)
    if not user.active:
        raise BadgeRefused(
            N_("This badge belongs to a deactivated account. Ask an administrator."), code=code
        )
    if user.pin_hash is None:
        raise BadgeRefused(
            N_("No PIN is set for this badge yet. Ask an administrator to set one."), code=code
        )
    if user.badge_locked_until is not None and user.badge_locked_until > now:
        raise BadgeRefused(
            N_(
                "This badge is locked after too many wrong PINs. Try again later "
                "(in %(minutes)s min), or ask an administrator to set a new PIN."
            ),
            code=code,
            minutes=_minutes_left(user.badge_locked_until, now),
        )
    return user


def badge_login(session: Session, code: str, pin: str, *, now: datetime | None = None) -> User:
    """The user whose badge and PIN these are; a wrong PIN is counted, and locks when too many."""
    now = now or utcnow()
    user = check_badge(session, code, now=now)
    assert user.pin_hash is not None
    if PIN.match(pin or "") and check_password_hash(user.pin_hash, pin):
        if user.pin_failures or user.badge_locked_until is not None:
            user.pin_failures = 0
            user.badge_locked_until = None
            session.flush()
        return user
    # Counted in the database in one statement: two terminals typing at once both count.
    failures = session.scalar(
        update(User)
        .where(User.id == user.id)
        .values(pin_failures=User.pin_failures + 1)
        .returning(User.pin_failures)
        .execution_options(synchronize_session=False)
    )
    assert failures is not None
    if failures >= MAX_PIN_FAILURES:
        until = now + timedelta(minutes=LOCK_MINUTES)
        session.execute(
            update(User)
            .where(User.id == user.id)
            .values(pin_failures=0, badge_locked_until=until)
            .execution_options(synchronize_session=False)
        )
        session.expire(user, ["pin_failures", "badge_locked_until"])
        record_event(
            session,
            "badge_locked",
            device=None,
            entered_by=None,
            username=user.username,
            badge=user.badge_code,
            minutes=LOCK_MINUTES,
        )
        raise BadgeRefused(
            N_(
                "Wrong PIN. The badge is now locked for %(minutes)s min; "
                "an administrator can unlock it by setting a new PIN."
            ),
            code=user.badge_code,
            minutes=LOCK_MINUTES,
        )
    session.expire(user, ["pin_failures"])
    raise WrongPin(
        N_("Wrong PIN. Type it again. Tries left before the badge is locked: %(left)s."),
        code=user.badge_code,
        left=MAX_PIN_FAILURES - failures,
    )


def _minutes_left(until: datetime, now: datetime) -> int:
    """Whole minutes until `until`, rounded up so a lock never reads as 0 minutes."""
    seconds = (until - now).total_seconds()
    return max(1, int(-(-seconds // 60)))
