"""Configuration: defaults, then the instance folder, then WORKSHOP_ environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

SECRET_KEY_FILE = "secret_key"
DATABASE_FILE = "workshop.db"


def default_database_url(instance_path: str) -> str:
    """The embedded SQLite database in the instance folder."""
    return f"sqlite:///{Path(instance_path) / DATABASE_FILE}"


def instance_secret_key(instance_path: str) -> str:
    """The secret key kept in the instance folder, created on first start."""
    path = Path(instance_path) / SECRET_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written with O_EXCL so two processes starting at once keep the same key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill app.config from defaults, instance/config.py, the environment and test_config."""
    app.config.from_mapping(
        WORKSHOP_NAME="Workshop",
        DATABASE_URL=None,
        SECRET_KEY=None,
        LANGUAGES=("en", "fr"),
        BABEL_DEFAULT_LOCALE="en",
        # Times are stored in UTC and shown in the workshop's own time zone.
        TIMEZONE="Europe/Paris",
        PER_PAGE=50,
        # A device waiting longer than this in one stage is shown as stuck on the board.
        STUCK_AFTER_DAYS=7,
        # A workbench terminal logged in by badge locks itself after this many idle minutes.
        TERMINAL_IDLE_MINUTES=5,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("WORKSHOP")
    else:
        app.config.from_mapping(test_config)
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = default_database_url(app.instance_path)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
