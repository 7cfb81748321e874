"""The yearly impact report over a million devices with their events, against one bare aggregate.

Fills a database with ten years of a large workshop (2016 to 2025, 100,000
devices a year for a million: intake, triage, erasure, diagnostics, qc, ready,
then sold (3 in 100 of them donated) or recycled with their weight, their events
at realistic times), and 200 people with employment periods, recognitions and
insertion exits. Then it computes the impact report of one year
(`inventory.impact.report`, every figure and the monthly breakdown) and, in
the same rounds, one bare SQL aggregate over the same tables (the year's sales
counted and weighed): the floor. It prints medians and the ratio, checks the
device figures against what the fill wrote, and fails (exit 1) when the report
takes a second or more.

    python benchmarks/impact.py --keep                  # SQLite; --keep reuses the filled file
    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE h_impact_bench'   # once
    python benchmarks/impact.py --keep --database-url postgresql+psycopg://postgres@127.0.0.1:5432/h_impact_bench
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.engine import Connection, Engine  # noqa: E402

from benchmarks.serving import refuse_unless_bench  # noqa: E402
from inventory import impact  # noqa: E402
from inventory.db import make_engine, make_sessionmaker  # noqa: E402
from inventory.models import Counter  # noqa: E402
from workshop.migrate import upgrade  # noqa: E402

FIRST_YEAR, YEARS = 2016, 10
BUDGET_MS = 1000.0
FILLED_MARKER = "impact_bench_filled"
CHUNK = 50_000
PEOPLE = 200
TIMEZONE = "Europe/Paris"

COLUMNS = {
    "devices": (
        "id", "asset_tag", "category", "make", "model", "specs", "weight_kg", "stage",
        "stage_entered_at", "grade", "cycle", "received_at", "version",
    ),
    "events": (
        "id", "kind", "device_id", "from_stage", "to_stage", "entered_by_id",
        "performed_by_id", "occurred_at", "recorded_at", "payload",
    ),
}  # fmt: skip


@dataclass
class Fill:
    """One chunk of rows to write, table by table."""

    devices: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class Expected:
    """What the fill wrote for the year measured: the device figures the report must find."""

    start: datetime
    end: datetime
    received: int = 0
    repaired: int = 0
    sold: int = 0
    donated: int = 0
    recycled: int = 0

    def count(self, kind: str, moment: datetime) -> None:
        if self.start <= moment < self.end:
            setattr(self, kind, getattr(self, kind) + 1)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL (its name must hold 'bench')"
    )
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=2024, help="The year reported.")
    parser.add_argument("--repeat", type=int, default=7, help="Timed rounds.")
    parser.add_argument("--warm-up", type=int, default=2, help="Untimed rounds first.")
    parser.add_argument("--keep", action="store_true", help="Reuse (or keep) the filled database.")
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args(argv)
    refuse_unless_bench(parser, args.database_url, "h_impact_bench")
    return args


def workshop_years(devices: int, seed: int, expected: Expected) -> Iterator[Fill]:
    """Ten years of devices, a tenth each year, with the events of their way through."""
    rng = random.Random(seed)
    per_year = max(devices // YEARS, 1)
    event_id = 0
    fill = Fill()
    now = datetime.now(UTC).replace(tzinfo=None)
    for number in range(1, devices + 1):
        year = FIRST_YEAR + min((number - 1) // per_year, YEARS - 1)
        received = datetime(year, 1, 1, 7) + timedelta(
            days=rng.randrange(365), minutes=rng.randrange(600)
        )
        weight = f"{rng.choice((1.4, 1.8, 2.2, 4.5, 7.9, 0.2)):.3f}"
        moves = [("intake", None, "received", received, {})]
        at = received
        fate = rng.random()
        if fate < 0.10:
            moves.append(("stage_change", "received", "triage", at := at + timedelta(days=1), {}))
            moves.append(
                (
                    "stage_change", "triage", "recycled", at := at + timedelta(days=2),
                    {"reason": "beyond_repair", "weight_kg": weight},
                )
            )  # fmt: skip
        else:
            for before, after, days in (
                ("received", "triage", 1),
                ("triage", "erasure", 1),
                ("erasure", "diagnostics", 1),
                ("diagnostics", "qc", 2),
                ("qc", "ready", 1),
            ):
                at += timedelta(days=days, minutes=rng.randrange(240))
                moves.append(("stage_change", before, after, at, {}))
            if fate < 0.95:
                channel = "donation" if rng.random() < 0.03 else rng.choice(("shop", "b2b"))
                at += timedelta(days=rng.randrange(5, 40))
                moves.append(
                    (
                        "stage_change", "ready", "sold", at,
                        {"order_id": number, "channel": channel, "price": "120.00"},
                    )
                )  # fmt: skip
        for kind, before, after, moment, payload in moves:
            event_id += 1
            fill.events.append(
                (
                    event_id, kind, number, before, after, None, None, moment, min(moment, now),
                    json.dumps(payload),
                )
            )  # fmt: skip
            if kind == "intake":
                expected.count("received", moment)
            elif after == "ready":
                expected.count("repaired", moment)
            elif after == "recycled":
                expected.count("recycled", moment)
            elif after == "sold":
                expected.count("donated" if payload["channel"] == "donation" else "sold", moment)
        last = moves[-1]
        fill.devices.append(
            (
                number, f"B{number:09d}", "laptop", "Dell", "Latitude 5490", "{}",
                weight, last[2], last[3], "B", 1, received, 2,
            )
        )  # fmt: skip
        if len(fill.devices) == CHUNK:
            yield fill
            fill = Fill()
    if fill.devices:
        yield fill


def people_rows(seed: int) -> dict[str, list[tuple[Any, ...]]]:
    """Staff over the ten years: periods, a rehire now and then, recognitions, insertion exits."""
    rng = random.Random(seed)
    staff, periods, recognitions, insertions = [], [], [], []
    stamp = datetime(2026, 1, 1)
    for number in range(1, PEOPLE + 1):
        staff.append((number, f"S{number:04d}", f"Person {number}", stamp, stamp))
        hired = date(2012, 1, 1) + timedelta(days=rng.randrange(365 * 13))
        left = hired + timedelta(days=rng.randrange(200, 3000)) if rng.random() < 0.4 else None
        contract = rng.choice(("permanent", "fixed_term", "insertion", "apprentice", "intern"))
        periods.append((number * 2, number, hired, left, contract, "1.000", stamp, stamp))
        if left is not None and rng.random() < 0.3:
            again = left + timedelta(days=rng.randrange(30, 400))
            periods.append(
                (number * 2 + 1, number, again, None, "permanent", "0.800", stamp, stamp)
            )
        if rng.random() < 0.3:
            recognitions.append((number, number, hired, None, None, stamp))
        if contract == "insertion" and left is not None:
            outcome = rng.choice(
                ("durable_employment", "transition_employment", "training", "other")
            )
            insertions.append((number, number, hired, left, outcome, stamp))
    return {
        "staff": staff,
        "employments": periods,
        "disability_recognitions": recognitions,
        "insertion_programmes": insertions,
    }


PEOPLE_COLUMNS = {
    "staff": ("id", "staff_number", "name", "created_at", "updated_at"),
    "employments": (
        "id", "person_id", "hired_on", "left_on", "contract", "fte", "created_at", "updated_at",
    ),
    "disability_recognitions": (
        "id", "person_id", "valid_from", "valid_until", "recorded_by_id", "recorded_at",
    ),
    "insertion_programmes": (
        "id", "person_id", "entered_on", "exited_on", "exit_outcome", "updated_at",
    ),
}  # fmt: skip


def _sqlite_value(value: Any) -> Any:
    # SQLAlchemy keeps SQLite timestamps as naive UTC text of this one shape.
    if isinstance(value, datetime):
        return value.isoformat(" ", "microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def write(connection: Connection, tables: dict[str, tuple[tuple[str, ...], list[Any]]]) -> None:
    """Rows in one transaction: executemany on SQLite, COPY on PostgreSQL."""
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with driver.transaction(), driver.cursor() as cursor:
            for table, (columns, rows) in tables.items():
                if rows:
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
        return
    cursor = driver.cursor()
    cursor.execute("BEGIN")
    for table, (columns, rows) in tables.items():
        if rows:
            marks = ", ".join("?" * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                ([_sqlite_value(value) for value in row] for row in rows),
            )
    cursor.execute("COMMIT")


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


def filled_with(engine: Engine) -> int:
    """How many devices a previous run left, complete; 0 when none or half-done."""
    with engine.connect() as connection:
        try:
            return (
                connection.scalar(select(Counter.value).where(Counter.name == FILLED_MARKER)) or 0
            )
        except Exception:  # no tables yet
            return 0


def fill_database(engine: Engine, devices: int, seed: int, expected: Expected) -> float:
    """Migrate and fill an empty database; the seconds it took."""
    started = time.perf_counter()
    upgrade(engine)
    postgresql = engine.dialect.name == "postgresql"
    done = 0
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        if postgresql:
            driver.rollback()
            driver.autocommit = True
            driver.execute("SET TIME ZONE 'UTC'")
            # Rows are consistent by construction: skip the per-row foreign key triggers.
            driver.execute("SET session_replication_role = replica")
        else:
            driver.execute("PRAGMA foreign_keys=OFF")
        for fill in workshop_years(devices, seed, expected):
            write(
                connection,
                {
                    "devices": (COLUMNS["devices"], fill.devices),
                    "events": (COLUMNS["events"], fill.events),
                },
            )
            done += len(fill.devices)
            if done % 200_000 == 0 or done == devices:
                print(f"  filled {done:,} devices in {time.perf_counter() - started:.0f} s")
        rows = people_rows(seed)
        write(connection, {table: (PEOPLE_COLUMNS[table], rows[table]) for table in rows})
        if postgresql:
            driver.execute("SET session_replication_role = DEFAULT")
            for table in ("devices", "events", "staff", "employments", "disability_recognitions",
                          "insertion_programmes"):  # fmt: skip
                driver.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            # What autovacuum would have done by now on a database this old.
            driver.execute("VACUUM ANALYZE")
            driver.autocommit = False
        else:
            driver.execute("PRAGMA foreign_keys=ON")
            driver.execute("ANALYZE")
            driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with engine.begin() as connection:
        connection.execute(Counter.__table__.insert().values(name=FILLED_MARKER, value=devices))
    return time.perf_counter() - started


def floor(connection: Connection, start: datetime, end: datetime) -> tuple[int, Any]:
    """One bare aggregate over the same tables: the year's sales, counted and weighed."""
    return connection.execute(
        text(
            "SELECT count(*), sum(d.weight_kg) FROM events e JOIN devices d ON d.id = e.device_id "
            "WHERE e.to_stage = 'sold' AND e.occurred_at >= :start AND e.occurred_at < :end"
        ),
        {"start": _bound(connection, start), "end": _bound(connection, end)},
    ).one()


def _bound(connection: Connection, moment: datetime) -> Any:
    return (
        _sqlite_value(moment.replace(tzinfo=None))
        if connection.dialect.name == "sqlite"
        else moment
    )


def timed(repeat: int, warm_up: int, *asks: Any) -> list[tuple[list[float], Any]]:
    """Run each ask in turn, round after round; the times (ms) of the timed rounds and the last answer."""
    results: list[tuple[list[float], Any]] = [([], None) for _ in asks]
    for round_number in range(warm_up + repeat):
        for index, ask in enumerate(asks):
            started = time.perf_counter()
            answer = ask()
            elapsed = (time.perf_counter() - started) * 1000
            if round_number >= warm_up:
                results[index][0].append(elapsed)
            results[index] = (results[index][0], answer)
    return results


def spread(values: list[float]) -> str:
    ordered = sorted(values)
    return f"median {statistics.median(ordered):7.1f} ms  (min {ordered[0]:.1f}, max {ordered[-1]:.1f})"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder = Path(tempfile.gettempdir()) / "workshop-impact-bench"
    folder.mkdir(exist_ok=True)
    url = args.database_url or f"sqlite:///{folder / f'impact-{args.devices}.db'}"
    engine = make_engine(url)
    kind = "SQLite" if engine.dialect.name == "sqlite" else "PostgreSQL"
    print(
        f"Impact benchmark on {kind}: {args.devices:,} devices, year {args.year}, "
        f"{os.cpu_count()} CPUs"
    )
    starts = impact.month_starts(args.year, TIMEZONE)
    expected = Expected(start=starts[0].replace(tzinfo=None), end=starts[12].replace(tzinfo=None))
    if args.keep and filled_with(engine) == args.devices:
        upgrade(engine)
        # The fill is seeded: walking it again tells what it wrote, without writing.
        for _fill in workshop_years(args.devices, args.seed, expected):
            pass
        print("  using the database filled by an earlier run (--keep)")
    else:
        wipe(engine)
        engine = make_engine(url)
        seconds = fill_database(engine, args.devices, args.seed, expected)
        print(f"  fill: {seconds:.0f} s, migrations included")
    with engine.connect() as connection:
        counts = {
            table: connection.scalar(text(f"SELECT count(*) FROM {table}"))
            for table in ("devices", "events", "staff", "employments")
        }
    print("  rows: " + ", ".join(f"{n:,} {table}" for table, n in counts.items()))

    sessions = make_sessionmaker(engine)

    def report() -> dict[str, Any]:
        with sessions() as session:
            # Rolled back at the end: the health-data read it logs is not kept.
            return impact.report(session, args.year, timezone=TIMEZONE)

    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # The floor runs under the settings the report takes for its own transaction.
            for setting in impact.POSTGRESQL_SETTINGS:
                connection.execute(text(f"SET {setting}"))
        (report_times, data), (floor_times, (floor_count, _weight)) = timed(
            args.repeat,
            args.warm_up,
            report,
            lambda: floor(connection, starts[0], starts[12]),
        )
    engine.dispose()
    if not args.keep and not args.database_url:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{engine.url.database}{suffix}").unlink(missing_ok=True)

    ratio = statistics.median(report_times) / statistics.median(floor_times)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"\nimpact report {args.year} (units received {data['units_received']:,}, "
        f"sold {data['units_sold']:,}, jobs sustained {data['jobs_sustained']})"
    )
    print(f"  report (inventory.impact.report, every figure and month)  {spread(report_times)}")
    print(f"  floor (one bare aggregate: the year's sales and weight)   {spread(floor_times)}")
    print(f"  ratio report/floor: {ratio:.1f}x  (load average {load:.1f} on {os.cpu_count()} CPUs)")

    problems = []
    found = {
        "received": data["units_received"],
        "repaired": data["units_repaired"],
        "sold": data["units_sold"],
        "donated": data["units_donated"],
        "recycled": data["units_recycled"],
    }
    for name, value in found.items():
        if value != getattr(expected, name):
            problems.append(f"units_{name} is {value}, the fill wrote {getattr(expected, name)}")
    if data["units_sold"] + data["units_donated"] != floor_count:
        problems.append(
            f"sold and donated make {data['units_sold'] + data['units_donated']}, "
            f"the floor counts {floor_count} sales"
        )
    if statistics.median(report_times) >= BUDGET_MS:
        problems.append(
            f"the report takes {statistics.median(report_times):.0f} ms, over {BUDGET_MS:.0f}"
        )
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print("OK: every device figure matches the fill, under the budget.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
