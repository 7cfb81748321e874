"""What the benchmarks share: the server as shipped, its CPU time, a safe database, timings."""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

ROOT = Path(__file__).resolve().parent.parent
# A server on a million devices checks its migrations before it says it runs.
SERVER_START_TIMEOUT_S = 120


def refuse_unless_bench(parser: argparse.ArgumentParser, url: str, example: str) -> None:
    """Stop unless a PostgreSQL URL names a database of the benchmarks' own: it gets wiped."""
    if url and "bench" not in (make_url(url).database or ""):
        parser.error(
            "the benchmark wipes its database: use one whose name contains 'bench', "
            f"e.g. CREATE DATABASE {example}"
        )


def _stat(pid: int | str) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a server and its worker processes so far; 0 without /proc."""
    total = 0
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        fields = _stat(entry.name)
        # fields[1] is the parent's pid: the server itself, or one of its workers.
        if fields and (int(entry.name) == pid or int(fields[1]) == pid):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(
    url: str, instance: Path, *, threads: int = 0, processes: int = 0
) -> Iterator[tuple[int, int]]:
    """Start `python run.py` on the database and wait until it serves; (port, pid)."""
    port = free_port()
    command = [sys.executable, str(ROOT / "run.py"), "--port", str(port)]
    if threads:
        command += ["--threads", str(threads)]
    if processes:
        command += ["--processes", str(processes)]
    environment = {
        **os.environ,
        "WORKSHOP_DATABASE_URL": url,
        "WORKSHOP_INSTANCE_PATH": str(instance),
        "WORKSHOP_SECRET_KEY": "benchmark",
    }
    log_path = instance / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=environment
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while b"is running" not in log_path.read_bytes():
            if server.poll() is not None:
                raise SystemExit(f"the server stopped at start:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                raise SystemExit(f"the server did not start in time:\n{log_path.read_text()}")
            time.sleep(0.05)
        yield port, server.pid
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# -- filling and timing, shared by the million-row benchmarks --------------------------------


def wipe(engine: Engine) -> None:
    """Start from nothing: a new SQLite file, or the PostgreSQL schema dropped."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{engine.url.database}{suffix}").unlink(missing_ok=True)


def sqlite_value(value: Any) -> Any:
    """A value as SQLAlchemy stores it in SQLite: timestamps are naive UTC text of one shape."""
    if isinstance(value, datetime):
        return value.isoformat(" ", "microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def timed(repeat: int, warm_up: int, *asks: Callable[[], Any]) -> list[tuple[list[float], Any]]:
    """Milliseconds of `repeat` rounds after `warm_up` untimed ones; and the last answers.

    Each round asks every question once, in turn, so that whatever else the
    machine is doing weighs on the server and on the floor alike.
    """
    answers: list[Any] = [None] * len(asks)
    times: list[list[float]] = [[] for _ in asks]
    for round_number in range(warm_up + repeat):
        for number, ask in enumerate(asks):
            started = time.perf_counter()
            answers[number] = ask()
            if round_number >= warm_up:
                times[number].append((time.perf_counter() - started) * 1000)
    return list(zip(times, answers, strict=True))


def spread(values: list[float]) -> str:
    """The median of timings in milliseconds, with the fastest and the slowest."""
    ordered = sorted(values)
    return f"median {statistics.median(ordered):7.1f} ms  (min {ordered[0]:.1f}, max {ordered[-1]:.1f})"
