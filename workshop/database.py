"""One SQLAlchemy session per request; the request is the transaction boundary."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.orm import Session, sessionmaker

from inventory.db import begin_write, make_engine, make_sessionmaker

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

T = TypeVar("T")


def init_app(app: Flask) -> None:
    """Create the engine and the session factory, and close sessions after requests."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["workshop.engine"] = engine
    app.extensions["workshop.sessions"] = make_sessionmaker(engine)
    app.teardown_appcontext(_close_session)


def sessions() -> sessionmaker[Session]:
    """The session factory of the current app."""
    return current_app.extensions["workshop.sessions"]


def _session() -> Session:
    if "db_session" not in g:
        g.db_session = sessions()()
    return g.db_session


def _writes() -> bool:
    return has_request_context() and request.method in WRITE_METHODS


def db() -> Session:
    """The session of the current request, begun as a writer for POST and friends."""
    session = _session()
    if _writes():
        begin_write(session)
    return session


def before_writing(look_up: Callable[[Session], T]) -> T:
    """Run a look-up that comes before a request's writes (who is asking) outside its write turn."""
    session = _session()
    if not _writes() or session.in_transaction() or session.get_bind().dialect.name != "sqlite":
        return look_up(db())
    # On SQLite the write turn is the whole database's: ending this read first
    # keeps the turn for the work itself, while other terminals wait for it.
    found = look_up(session)
    session.commit()
    return found


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        # Anything the view did not commit is rolled back here.
        session.close()
