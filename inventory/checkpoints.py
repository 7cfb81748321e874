"""SQLite's write-ahead log copied back into the database file by a thread, not by requests.

By default SQLite checkpoints after a commit that takes the log past 1,000 pages:
the request that happens to commit then copies every page and waits for two
disk syncs while holding its write turn, so every writer queued behind it waits
too. That is where the slowest intakes came from. A server turns that off for
its connections and runs one thread per process that checkpoints a few times a
second instead; PASSIVE checkpoints never block readers or writers.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

# Often enough that the log stays a few megabytes under a steady stream of intakes.
INTERVAL_S = 0.2


class Checkpointer:
    """A thread that checkpoints one SQLite database's log until stopped."""

    def __init__(self, path: str, interval: float = INTERVAL_S) -> None:
        self.path = path
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.checkpoints = 0

    def start(self) -> Checkpointer:
        """Start checkpointing from a daemon thread of this process."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoints", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread after one last checkpoint."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=1, isolation_level=None)
        complained = False
        try:
            while True:
                stopping = self._stop.wait(self.interval)
                try:
                    # Another process's checkpointer may hold the turn: it answers
                    # "busy" at once and this one tries again next time.
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.checkpoints += 1
                except sqlite3.Error as error:
                    if not complained:
                        log.warning("checkpoint of %s failed, will retry: %s", self.path, error)
                        complained = True
                if stopping:
                    return
        finally:
            connection.close()


def checkpoint_in_background(engine: Engine) -> Checkpointer | None:
    """Stop this engine's commits from checkpointing; the returned Checkpointer must do it.

    Returns None for anything but an SQLite file. Call before connections are
    handed to requests (and before forking workers); start the Checkpointer in
    each process that serves requests, after the fork, since threads do not
    survive one.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        return None

    @event.listens_for(engine, "connect")
    def _no_checkpoint_on_commit(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    # Connections opened earlier (migrations) would still checkpoint on commit.
    engine.dispose()
    return Checkpointer(database)
