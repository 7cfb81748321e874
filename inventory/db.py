"""Declarative base, engines and sessions shared by the web app, the CLI and bench agents."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Execution option that asks SQLite for a write lock at BEGIN. Without it, two
# transactions that both read then write collide with "database is locked"
# instead of waiting their turn under the busy timeout.
WRITE = "workshop_write"
SQLITE_BUSY_TIMEOUT_MS = 15_000


class Base(DeclarativeBase):
    """Base class of every table; one metadata with named constraints."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _Turns:
    """A lock handed to its waiters in the order they came, so no writer waits twice."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held = False
        self._waiting: deque[threading.Lock] = deque()

    def acquire(self, timeout: float) -> bool:
        """Wait for our turn; False if it did not come within `timeout` seconds."""
        with self._guard:
            if not self._held:
                self._held = True
                return True
            gate = threading.Lock()
            gate.acquire()
            self._waiting.append(gate)
        if gate.acquire(timeout=timeout):
            return True
        with self._guard:
            if gate in self._waiting:
                self._waiting.remove(gate)
                return False
        # The turn was handed over just as we gave up: it is ours now.
        return True

    def release(self) -> None:
        """Hand the turn to the longest waiter, or free it."""
        with self._guard:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._held = False


class _SQLiteConnection(sqlite3.Connection):
    """A SQLite connection whose writers queue on their process's lock for the file.

    SQLite's busy handler makes a waiting writer poll with sleeps that grow to
    100 ms, so under load an unlucky writer keeps losing the race and waits for
    seconds. Writers of one process instead wait on a lock and go as soon as it
    is free, then the worker processes of one server take turns the same way
    (`share_write_turns`). SQLite's own lock still guards the file: this only
    orders the waiting, and any other process (a CLI command) still waits in the
    busy handler.
    """

    writer: _Turns | None = None
    holds_writer = False
    holds_across = False

    def take_writer(self, timeout: float) -> bool:
        """Wait for this process's write turn, then the server's; False if it did not come."""
        if self.writer is None:
            return True
        self.holds_writer = self.writer.acquire(timeout=timeout)
        if self.holds_writer and _ACROSS_PROCESSES is not None:
            self.holds_across = _ACROSS_PROCESSES.acquire()
        return self.holds_writer

    def give_back_writer(self) -> None:
        """End this connection's write turn, if it has one."""
        if self.holds_across:
            self.holds_across = False
            assert _ACROSS_PROCESSES is not None
            _ACROSS_PROCESSES.release()
        if self.holds_writer:
            self.holds_writer = False
            assert self.writer is not None
            self.writer.release()

    # The turn ends once SQLite has ended the transaction, not before: SQLAlchemy's
    # commit and rollback events fire before the database has done either.
    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.give_back_writer()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.give_back_writer()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.give_back_writer()


class ProcessTurns:
    """The write turn shared by the worker processes of one server, made before they fork.

    A process that waits here sleeps in the kernel and wakes as soon as the
    turn is free, where SQLite's busy handler would poll it with growing sleeps.
    """

    # Waiting longer than this means the turn was lost (a worker killed while
    # holding it): the writer then goes on under SQLite's own lock alone,
    # which is what keeps the file consistent in any case.
    PATIENCE_S = 2.0

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._lock = context.Lock()
        self._owner = context.Value("q", 0, lock=False)

    def acquire(self) -> bool:
        """Wait for the turn among processes; False if it did not come in time."""
        if not self._lock.acquire(timeout=self.PATIENCE_S):
            return False
        self._owner.value = os.getpid()
        return True

    def release(self) -> None:
        """Hand the turn to the next process."""
        self._owner.value = 0
        self._lock.release()

    def free_after(self, pid: int) -> None:
        """Give back the turn a dead worker held, so the others need not wait it out."""
        if self._owner.value == pid:
            self.release()


_ACROSS_PROCESSES: ProcessTurns | None = None


def share_write_turns() -> ProcessTurns:
    """Make the writers of processes forked from now on take turns with each other."""
    global _ACROSS_PROCESSES
    if _ACROSS_PROCESSES is None:
        _ACROSS_PROCESSES = ProcessTurns()
    return _ACROSS_PROCESSES


_WRITERS: dict[str, _Turns] = {}
_WRITERS_GUARD = threading.Lock()


def _writer_for(database: str | None) -> _Turns | None:
    """The lock shared by every engine of this process on one database file."""
    if database in (None, "", ":memory:"):
        return None
    path = os.path.realpath(database)
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(path, _Turns())


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine, with WAL, foreign keys and a busy timeout on SQLite."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {})
        kwargs["connect_args"].setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        kwargs["connect_args"].setdefault("check_same_thread", False)
        kwargs["connect_args"].setdefault("factory", _SQLiteConnection)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    writer = _writer_for(engine.url.database)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        if isinstance(dbapi_connection, _SQLiteConnection):
            dbapi_connection.writer = writer
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if not connection.get_execution_options().get(WRITE):
            connection.exec_driver_sql("BEGIN")
            return
        dbapi_connection = connection.connection.dbapi_connection
        queued = isinstance(dbapi_connection, _SQLiteConnection)
        if queued and not dbapi_connection.take_writer(SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise OperationalError(
                "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
            )
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if queued:
                dbapi_connection.give_back_writer()
            raise


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def begin_write(session: Session) -> None:
    """Start the session's transaction as a writer (a no-op once it has begun)."""
    if not session.in_transaction():
        session.connection(execution_options={WRITE: True})


@contextmanager
def transaction(factory: sessionmaker[Session], write: bool = True) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        if write:
            session.connection(execution_options={WRITE: True})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# Rows an import must bring before the planners' statistics are refreshed with it.
STATISTICS_AFTER_ROWS = 1_000
# Index entries SQLite reads per index when it analyses: enough for the planner, quick at 1M rows.
SQLITE_ANALYSIS_LIMIT = 1_000


def refresh_statistics(session: Session) -> None:
    """Tell the query planner how big the tables now are, in the session's transaction.

    SQLite has no statistics until something runs ANALYZE, and PostgreSQL's own
    analysis comes minutes after a bulk load: until then a planner may choose a
    plan that reads a whole index once per row of a year just imported.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}"))
    session.execute(text("ANALYZE"))
