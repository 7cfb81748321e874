"""One SQLAlchemy session per request; the request is the transaction boundary."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.orm import Session, sessionmaker

from inventory.db import begin_write, make_engine, make_sessionmaker

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def init_app(app: Flask) -> None:
    """Create the engine and the session factory, and close sessions after requests."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["workshop.engine"] = engine
    app.extensions["workshop.sessions"] = make_sessionmaker(engine)
    app.teardown_appcontext(_close_session)


def sessions() -> sessionmaker[Session]:
    """The session factory of the current app."""
    return current_app.extensions["workshop.sessions"]


def db() -> Session:
    """The session of the current request, begun as a writer for POST and friends."""
    if "db_session" not in g:
        session = sessions()()
        if has_request_context() and request.method in WRITE_METHODS:
            begin_write(session)
        g.db_session = session
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        # Anything the view did not commit is rolled back here.
        session.close()
