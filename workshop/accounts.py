"""User accounts: creating them, checking passwords, issuing API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from inventory.accounts import ROLES, ApiToken, User
from inventory.errors import AlreadyReceived, InvalidInput, NotFound
from inventory.events import record_event

MIN_PASSWORD = 8
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TOKEN_PREFIX = "wst_"


def has_users(session: Session) -> bool:
    """True once the first administrator exists."""
    return bool(session.scalar(select(func.count()).select_from(User)))


def create_user(session: Session, username: str, role: str, password: str, name: str = "") -> User:
    """Add a user with a hashed password."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise InvalidInput(
            "A username is 2 to 64 lower-case letters, digits, dots, dashes or underscores.",
            field="username",
        )
    if role not in ROLES:
        raise InvalidInput("Unknown role %(value)r.", field="role", value=role, allowed=list(ROLES))
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            "A password is at least %(limit)s characters.", field="password", limit=MIN_PASSWORD
        )
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AlreadyReceived(
            "The username %(username)s is taken.", field="username", username=username
        )
    user = User(
        username=username,
        role=role,
        name=name.strip(),
        password_hash=generate_password_hash(password),
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        raise AlreadyReceived(
            "The username %(username)s is taken.", field="username", username=username
        ) from None
    return user


def get_user(session: Session, username: str) -> User:
    """The user with this username, or NotFound."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound("No user is called %(username)r.", field="username", username=username)
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user whose password this is, or None."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active:
        # Hash anyway, so a wrong username takes as long as a wrong password.
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def hash_token(token: str) -> str:
    """The SHA-256 of a token, the only form stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, label: str = "") -> str:
    """Create an API token for a user and return it; it is never shown again."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, token_hash=hash_token(token), label=label[:200]))
    session.flush()
    return token


# Built once: every API request runs it, and building the statement cost more
# than the query itself.
_BY_TOKEN = (
    select(User)
    .join(ApiToken)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
)


def user_for_token(session: Session, token: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    user = session.scalar(_BY_TOKEN, {"token_hash": hash_token(token)})
    return user if user is not None and user.active else None


_DUMMY_HASH = generate_password_hash(secrets.token_hex(8))


def set_active(session: Session, user: User, active: bool, *, by: User | None = None) -> User:
    """Stop a user from logging in (their tokens stop too), or let them back in."""
    if not active and by is not None and by.id == user.id:
        # Otherwise the last administrator could lock everybody out.
        raise InvalidInput(
            "You cannot deactivate your own account: ask another administrator.",
            field="active",
        )
    if user.active == active:
        return user
    user.active = active
    session.flush()
    kind = "user_reactivated" if active else "user_deactivated"
    record_event(session, kind, device=None, entered_by=by, username=user.username)
    return user
