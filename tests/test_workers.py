"""Worker processes share their open connections so that none takes more than its share."""

from __future__ import annotations

from workshop import workers
from workshop.workers import Balance


def test_a_worker_ahead_of_the_others_leaves_new_connections_to_them():
    balance = Balance(3)
    assert balance.should_accept(0, 5)
    assert balance.should_accept(1, 3)
    assert balance.should_accept(2, 3)
    # Worker 0 holds more than the least loaded: it waits; the others go on.
    assert not balance.should_accept(0, 5)
    assert balance.should_accept(1, 3)
    assert balance.should_accept(2, 4) is False
    assert balance.should_accept(0, 3)


def test_a_worker_silent_too_long_no_longer_holds_the_others_back(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(workers.time, "monotonic", lambda: now[0])
    balance = Balance(2)
    assert balance.should_accept(1, 2)  # then worker 1 wedges (or dies) with few connections
    assert not balance.should_accept(0, 6)
    now[0] += Balance.STALE_S + 0.1
    assert balance.should_accept(0, 6)


def test_a_waitress_server_only_accepts_when_its_worker_is_not_ahead():
    class Server:
        def __init__(self, connections: int) -> None:
            self._map = dict.fromkeys(range(connections))

        def readable(self) -> bool:
            return True

    balance = Balance(2)
    busy, idle = Server(6), Server(2)
    balance.watch(busy, 0)
    balance.watch(idle, 1)
    assert idle.readable() and not busy.readable()
    # Once the other has caught up (as it tells at its next poll), both accept.
    idle._map.update(dict.fromkeys(range(10, 14)))
    assert idle.readable()
    assert busy.readable()
