"""On SQLite, writers take turns: in the order they came within a process, and across workers."""

import os
import threading
import time
import traceback

from sqlalchemy import select, text

from inventory import db
from inventory.counters import take_number
from inventory.db import _Turns, begin_write, make_engine, make_sessionmaker, transaction
from inventory.models import Counter
from workshop.database import sessions
from workshop.migrate import upgrade


def sessions_of(app):
    with app.app_context():
        return sessions()


def test_writers_get_their_turn_in_arrival_order():
    turns = _Turns()
    assert turns.acquire(timeout=1)
    order: list[int] = []
    threads = []
    for number in range(5):
        thread = threading.Thread(
            target=lambda n=number: (turns.acquire(timeout=5), order.append(n), turns.release())
        )
        thread.start()
        threads.append(thread)
        time.sleep(0.05)  # so that each one is waiting before the next arrives
    turns.release()
    for thread in threads:
        thread.join(timeout=5)
    assert order == [0, 1, 2, 3, 4]


def test_a_writer_that_waits_too_long_gives_up_and_leaves_the_queue():
    turns = _Turns()
    assert turns.acquire(timeout=1)
    started = time.monotonic()
    assert turns.acquire(timeout=0.1) is False
    assert time.monotonic() - started < 1
    turns.release()
    # The one who gave up is not handed the turn: the next comer gets it at once.
    assert turns.acquire(timeout=0.1) is True


def _write_many(url: str, count: int) -> None:
    """In a forked worker: `count` one-row write transactions, then exit 0 (1 on any error)."""
    status = 0
    try:
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        for _ in range(count):
            with transaction(factory) as session:
                take_number(session, "turns")
        engine.dispose()
    except BaseException:
        traceback.print_exc()
        status = 1
    os._exit(status)


def test_worker_processes_take_write_turns_without_sqlite_ever_saying_busy(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'turns.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    monkeypatch.setattr(db, "_ACROSS_PROCESSES", db.ProcessTurns())
    # No busy handler at all: a writer that found the file locked would fail at once.
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 0)

    workers = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            _write_many(url, 150)
        workers.append(pid)
    statuses = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in workers]

    assert statuses == [0, 0, 0]
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.scalar(select(Counter.value).where(Counter.name == "turns")) == 450
    engine.dispose()


def test_a_turn_held_by_a_killed_worker_is_given_back(monkeypatch):
    turns = db.ProcessTurns()
    monkeypatch.setattr(db.ProcessTurns, "PATIENCE_S", 0.2)
    pid = os.fork()
    if pid == 0:
        turns.acquire()
        os._exit(0)  # dies holding the turn, as a worker killed mid-write would
    os.waitpid(pid, 0)

    # Until the parent notices, a writer gives up waiting and goes on under SQLite's lock.
    started = time.monotonic()
    assert turns.acquire() is False
    assert 0.15 < time.monotonic() - started < 2
    turns.free_after(pid)
    assert turns.acquire() is True
    turns.free_after(os.getpid() + 1)  # someone else's death does not take our turn
    assert turns.acquire() is False
    turns.release()


def test_who_is_asking_is_looked_up_without_waiting_for_the_write_turn(app, client, bearer):
    headers = bearer("warehouse")
    body = {"serial_number": "SN-TURN-1", "category": "laptop", "make": "HP", "model": "840"}
    # Another terminal is in the middle of a write (on SQLite: it holds the database's turn).
    holder = sessions_of(app)()
    begin_write(holder)
    holder.execute(text("UPDATE counters SET value = value WHERE name = 'asset_tag'"))
    try:
        started = time.monotonic()
        refused = client.post("/api/v1/devices", json=body, headers={"Authorization": "Bearer x"})
        assert refused.status_code == 401
        # Answered at once, where waiting for the turn would take the busy timeout (15 s).
        assert time.monotonic() - started < 3
    finally:
        holder.rollback()
        holder.close()
    assert client.post("/api/v1/devices", json=body, headers=headers).status_code == 201
