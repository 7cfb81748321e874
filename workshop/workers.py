"""Worker processes for `python run.py`: forked once started, replaced when one dies."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from typing import Any, NoReturn

from inventory.db import share_write_turns

log = logging.getLogger(__name__)

# More deaths than this within the window is a fault that restarting will not
# cure (a broken database, a full disk): stop instead of forking forever.
MAX_RESTARTS = 5
RESTART_WINDOW_S = 60.0
STOP_TIMEOUT_S = 10.0


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def _stop_with_parent(parent: int) -> None:
    """Stop this worker when the process that forked it is gone (killed outright)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class Balance:
    """Open connections kept even across the workers, seen through a table they share.

    A connection stays with the worker that accepted it (browsers and scanners
    keep theirs open), so a worker that took more than its share would serve
    them slower while another idles: a worker holding more connections than
    the least loaded one leaves the next to the others.
    """

    # A worker silent this long (wedged, or gone) no longer holds the others back.
    STALE_S = 3.0

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("fork")
        self.count = count
        self._open = context.Array("i", count, lock=False)
        self._seen = context.Array("d", count, lock=False)

    def should_accept(self, slot: int, held: int) -> bool:
        """Record what this worker holds; True unless another live worker holds fewer."""
        now = time.monotonic()
        self._open[slot], self._seen[slot] = held, now
        fewest = min(
            self._open[other]
            for other in range(self.count)
            if other == slot or now - self._seen[other] < self.STALE_S
        )
        return held <= fewest

    def watch(self, server: Any, slot: int) -> None:
        """Make a waitress server accept new connections only when it is not ahead of the rest."""
        readable = server.readable

        def balanced_readable() -> bool:
            # The map holds the listening socket and the trigger as well, in every
            # worker alike, so its size compares connections fairly.
            return bool(readable()) and self.should_accept(slot, len(server._map))

        server.readable = balanced_readable


class Workers:
    """A fixed number of forked processes each running `work(slot)`; the parent only watches."""

    def __init__(self, work: Callable[[int], None], count: int) -> None:
        self.work = work
        self.count = count
        self.pids: dict[int, int] = {}
        self.failed = ""
        self._deaths: deque[float] = deque()
        # Made before the first fork, so that every worker shares them.
        self._turns = share_write_turns()
        self.balance = Balance(count)

    def run(self) -> None:
        """Start the workers and replace those that die, until stopped or failing."""
        for slot in range(self.count):
            self._spawn(slot)
        while self.pids:
            pid, status = os.wait()
            if pid not in self.pids:
                continue
            slot = self.pids.pop(pid)
            self._turns.free_after(pid)
            if self._too_many_deaths():
                self.failed = (
                    f"Worker processes stopped {len(self._deaths)} times within "
                    f"{RESTART_WINDOW_S:.0f} s (the last with status "
                    f"{os.waitstatus_to_exitcode(status)}): the workshop stops. "
                    "The messages above say why."
                )
                return
            log.warning(
                "Worker process %s stopped with status %s; starting another.",
                pid,
                os.waitstatus_to_exitcode(status),
            )
            self._spawn(slot)

    def stop(self) -> None:
        """Ask every worker to finish (SIGTERM), then kill those that do not in time."""
        for pid in self.pids:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while self.pids:
            for pid in list(self.pids):
                try:
                    done, _status = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    done = pid
                if done:
                    self.pids.pop(pid, None)
            if self.pids and time.monotonic() > deadline:
                for pid in self.pids:
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                deadline = float("inf")
            time.sleep(0.02)

    def _too_many_deaths(self) -> bool:
        now = time.monotonic()
        self._deaths.append(now)
        while now - self._deaths[0] > RESTART_WINDOW_S:
            self._deaths.popleft()
        return len(self._deaths) > MAX_RESTARTS

    def _spawn(self, slot: int) -> None:
        pid = os.fork()
        if pid == 0:
            self._be_worker(slot)
        self.pids[pid] = slot

    def _be_worker(self, slot: int) -> NoReturn:
        status = 0
        try:
            signal.signal(signal.SIGTERM, _interrupt)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            _stop_with_parent(os.getppid())
            self.work(slot)
        except KeyboardInterrupt:
            pass
        except BaseException:
            traceback.print_exc()
            status = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            # Never back into the parent's code: the worker's life ends here.
            os._exit(status)
