"""On SQLite, writers of one process take turns in the order they came."""

import threading
import time

from inventory.db import _Turns


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
