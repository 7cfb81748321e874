"""Intake under load: 8 terminals posting devices to the real server, then the Core floor.

Starts the server as it is shipped (`python run.py`, waitress) on a fresh
database, sends intakes over keep-alive connections from concurrent clients,
prints the latency percentiles, the rate and the server's CPU time, checks that
every device arrived exactly once, and compares with the same rows written by
bare SQLAlchemy Core, one transaction per intake from as many threads (the floor).

    python benchmarks/intake.py                  # SQLite file in a temporary folder
    python benchmarks/intake.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/workshop_bench

The PostgreSQL database is WIPED (its public schema is dropped) before each
part, so it must be one of its own: create it once with
    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE workshop_bench'
and never point this at the test database or a real one (the name must contain
"bench"). Exits 1 when a device is lost or duplicated or a request fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.serving import cpu_seconds, refuse_unless_bench, running_server  # noqa: E402
from inventory.accounts import User  # noqa: E402
from inventory.codes import asset_tag  # noqa: E402
from inventory.db import WRITE, make_engine, make_sessionmaker  # noqa: E402
from inventory.lots import open_lot  # noqa: E402
from inventory.models import Counter, Device, Event, Identifier, Lot  # noqa: E402
from inventory.types import utcnow  # noqa: E402
from workshop import accounts  # noqa: E402
from workshop.migrate import upgrade  # noqa: E402

LOT = "BENCH-LOT"
REQUEST_TIMEOUT_S = 60


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL database to wipe and use (its name must contain 'bench'); "
        "default: a SQLite file in a temporary instance folder",
    )
    parser.add_argument("--intakes", type=int, default=2000, help="devices to receive (2000)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument(
        "--server-threads", type=int, default=0, help="waitress threads (default: run.py's)"
    )
    parser.add_argument(
        "--server-processes",
        type=int,
        default=0,
        help="worker processes (default: run.py's, one per CPU)",
    )
    parser.add_argument("--no-floor", action="store_true", help="skip the SQLAlchemy Core floor")
    args = parser.parse_args(argv)
    if args.intakes < 1 or args.clients < 1:
        parser.error("--intakes and --clients must be at least 1")
    refuse_unless_bench(parser, args.database_url, "workshop_bench")
    return args


# -- the database ------------------------------------------------------------------------------


def fresh_database(url: str, folder: Path, name: str) -> str:
    """An empty, migrated database: a new SQLite file, or the PostgreSQL schema reset."""
    if not url:
        url = f"sqlite:///{folder / name}.db"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    engine.dispose()
    return url


def prepare_warehouse(url: str) -> str:
    """A warehouse user with an API token and an open lot; the token."""
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        user = accounts.create_user(session, "bench", "warehouse", "bench-password-1")
        token = accounts.issue_token(session, user, "benchmark")
        open_lot(session, LOT, donor="Benchmark", entered_by=user)
        session.commit()
    engine.dispose()
    return token


def check_intakes(url: str, serials: list[str]) -> list[str]:
    """What is wrong in the database after the run (nothing when every device is there once)."""
    engine = make_engine(url)
    problems = []
    n = len(serials)
    with engine.connect() as connection:

        def scalar(query: Any) -> int:
            return connection.scalar(query) or 0

        figures = {
            "devices": scalar(select(func.count()).select_from(Device)),
            "distinct asset tags": scalar(select(func.count(func.distinct(Device.asset_tag)))),
            "serial identifiers": scalar(
                select(func.count()).select_from(Identifier).where(Identifier.kind == "serial")
            ),
            "distinct serials": scalar(select(func.count(func.distinct(Identifier.value)))),
            "intake events": scalar(
                select(func.count()).select_from(Event).where(Event.kind == "intake")
            ),
            "devices with an intake event": scalar(
                select(func.count(func.distinct(Event.device_id))).where(Event.kind == "intake")
            ),
            "devices in the lot": scalar(
                select(func.count()).select_from(Device).join(Lot).where(Lot.code == LOT)
            ),
        }
        for what, found in figures.items():
            if found != n:
                problems.append(f"{found} {what}, expected {n}")
        stored = set(connection.scalars(select(Identifier.value)))
        if stored != set(serials):
            missing = sorted(set(serials) - stored)[:5]
            problems.append(f"serials missing from the database, e.g. {missing}")
        tags = set(connection.scalars(select(Device.asset_tag)))
        if tags != {asset_tag(number) for number in range(1, n + 1)}:
            problems.append("asset tags are not A0000001 to the last, once each")
    engine.dispose()
    return problems


# -- the server --------------------------------------------------------------------------------


# -- the load ----------------------------------------------------------------------------------


Outcome = tuple[list[float], float, list[str]]


def in_parallel(clients: int, work: Callable[[int, threading.Barrier], list[float]]) -> Outcome:
    """Run `work(client, barrier)` on every client thread; (latencies, wall seconds, errors)."""
    barrier = threading.Barrier(clients + 1)
    results: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []

    def client(number: int) -> None:
        try:
            results[number] = work(number, barrier)
        except Exception as error:  # reported below; the run fails loudly
            errors.append(f"client {number}: {error!r}")
            barrier.abort()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    with suppress(threading.BrokenBarrierError):
        barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return [latency for latencies in results for latency in latencies], wall, errors


def share(serials: list[str], clients: int, number: int) -> list[str]:
    return serials[number::clients]


def post_intakes(port: int, token: str, serials: list[str], clients: int) -> Outcome:
    """Every client posts its share of the serials over one keep-alive connection."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def work(number: int, barrier: threading.Barrier) -> list[float]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
        # One request first, so the connection is open before the clock starts.
        connection.request("GET", "/api/v1/devices?per_page=1", headers=headers)
        warm = connection.getresponse()
        warm.read()
        if warm.status != 200:
            raise RuntimeError(f"warm-up answered {warm.status}")
        barrier.wait()
        latencies = []
        for serial in share(serials, clients, number):
            body = json.dumps(
                {
                    "serial_number": serial,
                    "category": "laptop",
                    "make": "Dell",
                    "model": "Latitude 5490",
                    "lot": LOT,
                }
            )
            started = time.perf_counter()
            connection.request("POST", "/api/v1/devices", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            latencies.append(time.perf_counter() - started)
            if response.status != 201:
                raise RuntimeError(f"{serial}: {response.status} {answer[:300]!r}")
        connection.close()
        return latencies

    return in_parallel(clients, work)


def core_intakes(url: str, serials: list[str], clients: int) -> Outcome:
    """The floor: the same rows, one transaction per intake, in bare SQLAlchemy Core."""
    engine = make_engine(url, pool_size=clients)
    devices, identifiers, events = Device.__table__, Identifier.__table__, Event.__table__
    with engine.connect() as connection:
        lot_id = connection.scalar(select(Lot.id).where(Lot.code == LOT))
        user_id = connection.scalar(select(User.id).where(User.username == "bench"))

    def work(number: int, barrier: threading.Barrier) -> list[float]:
        latencies = []
        with engine.connect() as warm:
            warm.scalar(select(1))
        barrier.wait()
        for serial in share(serials, clients, number):
            started = time.perf_counter()
            with (
                engine.connect().execution_options(**{WRITE: True}) as connection,
                connection.begin(),
            ):
                now = utcnow()
                tag_number = connection.scalar(
                    update(Counter)
                    .where(Counter.name == "asset_tag")
                    .values(value=Counter.value + 1)
                    .returning(Counter.value)
                )
                device_id = connection.scalar(
                    insert(devices)
                    .values(
                        asset_tag=asset_tag(tag_number),
                        category="laptop",
                        make="Dell",
                        model="Latitude 5490",
                        specs={},
                        lot_id=lot_id,
                        stage="received",
                        stage_entered_at=now,
                        received_at=now,
                        cycle=1,
                        version=1,
                    )
                    .returning(devices.c.id)
                )
                connection.execute(
                    insert(identifiers).values(
                        device_id=device_id, kind="serial", value=serial, created_at=now
                    )
                )
                connection.execute(
                    insert(events).values(
                        kind="intake",
                        device_id=device_id,
                        to_stage="received",
                        entered_by_id=user_id,
                        performed_by_id=user_id,
                        occurred_at=now,
                        recorded_at=now,
                        payload={"serial_number": serial, "lot": LOT, "cycle": 1},
                    )
                )
            latencies.append(time.perf_counter() - started)
        return latencies

    try:
        return in_parallel(clients, work)
    finally:
        engine.dispose()


# -- the report --------------------------------------------------------------------------------


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ordered list."""
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def report(title: str, latencies: list[float], wall: float) -> float:
    """Print the figures of one part; its mean latency in ms."""
    ordered = sorted(latencies)
    ms = [value * 1000 for value in ordered]
    mean = statistics.fmean(ms)
    print(f"{title}: {len(ms)} intakes in {wall:.2f} s")
    print(
        f"  latency ms  p50 {percentile(ms, 0.50):.1f}  p90 {percentile(ms, 0.90):.1f}  "
        f"p99 {percentile(ms, 0.99):.1f}  max {ms[-1]:.1f}  mean {mean:.2f}"
    )
    print(f"  {len(ms) / wall:.0f} intakes/s, {wall * 1000 / len(ms):.2f} ms of wall time each")
    return mean


def database_kind(url: str) -> str:
    return "SQLite" if not url else make_url(url).get_backend_name()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    serials = [f"BENCH{number:07d}" for number in range(1, args.intakes + 1)]
    print(
        f"Intake benchmark on {database_kind(args.database_url)}: {args.intakes} intakes, "
        f"{args.clients} clients, {os.cpu_count()} CPUs"
    )
    failed = False
    with tempfile.TemporaryDirectory(prefix="workshop-bench-") as folder:
        instance = Path(folder)
        url = fresh_database(args.database_url, instance, "server")
        token = prepare_warehouse(url)
        server = running_server(
            url, instance, threads=args.server_threads, processes=args.server_processes
        )
        with server as (port, pid):
            cpu_before = cpu_seconds(pid)
            latencies, wall, errors = post_intakes(port, token, serials, args.clients)
            server_cpu = cpu_seconds(pid) - cpu_before
        if errors:
            print("REQUESTS FAILED:\n  " + "\n  ".join(errors[:10]), file=sys.stderr)
            return 1
        server_mean = report("server (HTTP, run.py under waitress)", latencies, wall)
        if server_cpu:
            print(
                f"  server CPU (all its processes): {server_cpu * 1000 / args.intakes:.2f} ms per intake"
            )
        server_wall = wall
        problems = check_intakes(url, serials)
        if problems:
            print("DEVICES LOST OR DUPLICATED:\n  " + "\n  ".join(problems), file=sys.stderr)
            failed = True
        else:
            print(f"  checked: {args.intakes} devices, tags, serials and intake events, once each")

        if not args.no_floor:
            url = fresh_database(args.database_url, instance, "floor")
            prepare_warehouse(url)
            latencies, wall, errors = core_intakes(url, serials, args.clients)
            if errors:
                print("CORE FLOOR FAILED:\n  " + "\n  ".join(errors[:10]), file=sys.stderr)
                return 1
            core_mean = report("floor (SQLAlchemy Core, same rows)", latencies, wall)
            problems = check_intakes(url, serials)
            if problems:
                print("FLOOR LOST ROWS:\n  " + "\n  ".join(problems), file=sys.stderr)
                failed = True
            print(
                f"ratio server/floor: {server_mean / core_mean:.1f}x per intake (mean latency), "
                f"{server_wall / wall:.1f}x in wall time"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
