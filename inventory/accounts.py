"""Who uses the workshop: user accounts, their roles and API tokens.

They live here, below the web app, because every event names the user who
entered it and the one who did the work.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.db import Base
from inventory.types import UTCDateTime, utcnow

ROLES = ("technician", "warehouse", "manager", "hr", "admin")


class User(Base):
    """A person who logs in, with one role."""

    __tablename__ = "users"
    # An index rather than a constraint: SQLite adds it to the existing table in place.
    __table_args__ = (Index("ux_users_badge_code", "badge_code", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The staff badge scanned at workbench terminals, and the PIN typed after it.
    badge_code: Mapped[str | None] = mapped_column(String(16), default=None)
    pin_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    # Wrong PINs in a row, and until when the badge is refused after too many.
    pin_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    badge_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    # The four members a login manager asks of a user object.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def has_pin(self) -> bool:
        """True once an administrator has set a PIN for the badge."""
        return self.pin_hash is not None

    @property
    def display_name(self) -> str:
        """The name to show, falling back to the username."""
        return self.name or self.username

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"


class ApiToken(Base):
    """A bearer token for scripts and bench agents; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    user: Mapped[User] = relationship(back_populates="tokens")
