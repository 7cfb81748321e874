"""A server's SQLite log is checkpointed by a thread of its own, never by a committing request."""

from __future__ import annotations

import os
import time

from sqlalchemy import text

from inventory.checkpoints import Checkpointer, checkpoint_in_background
from inventory.db import make_engine

PAGE = 4096


def write_rows(engine, transactions: int) -> None:
    """Many small transactions, as intakes are: each appends its pages to the log."""
    for n in range(transactions):
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO notes (body) VALUES (:body)"), {"body": f"{n:06d}" + "x" * 3000}
            )


def test_commits_leave_the_log_alone_and_the_thread_copies_it_back(tmp_path):
    path = tmp_path / "workshop.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    checkpointer = checkpoint_in_background(engine)
    assert isinstance(checkpointer, Checkpointer)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0

    # With SQLite's own checkpoints the log would be reused past 1,000 pages; here it grows.
    wal = tmp_path / "workshop.db-wal"
    write_rows(engine, 1500)
    assert os.path.getsize(wal) > 2000 * PAGE
    size_before = os.path.getsize(path)

    checkpointer.start()
    try:
        deadline = time.monotonic() + 10
        while checkpointer.checkpoints < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert checkpointer.checkpoints >= 2
        # The pages reached the database file, so the log starts over instead of growing.
        assert os.path.getsize(path) > size_before + 1000 * PAGE
        wal_size = os.path.getsize(wal)
        write_rows(engine, 300)
        assert os.path.getsize(wal) <= wal_size
    finally:
        checkpointer.stop()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM notes")).scalar() == 1800
    engine.dispose()


def test_only_an_sqlite_file_gets_a_checkpointer(tmp_path):
    assert checkpoint_in_background(make_engine("sqlite://")) is None
    assert checkpoint_in_background(make_engine("postgresql+psycopg://nobody@127.0.0.1/x")) is None
