"""The yearly impact report over a million devices with their events, against one bare aggregate.

Fills a database with ten years of a large workshop (2016 to 2025, 100,000
devices a year for a million: intake, triage, erasure, diagnostics, qc, ready,
then sold (3 in 100 of them donated) or recycled with their weight, their events
at realistic times), and 200 people with employment periods, recognitions and
insertion exits. Four in ten devices made ready go through repair first, with
one or two repair actions (an event each), and about three repairs in ten use a
spare part, bought or harvested from a recycled device (three recycled devices
in ten give one). Then it computes the impact report of one year
(`inventory.impact.report`, every figure, the monthly breakdown and the repairs
appendix) and, in the same rounds, one bare SQL aggregate over the same tables
(the year's sales counted and weighed): the floor. The appendix alone
(`inventory.repair_figures.repair_figures`) is timed against its own floor, the
year's repairs and parts counted in bare SQL. It prints medians and the ratios,
checks the device and repair figures against what the fill wrote, and fails
(exit 1) when the report takes a second or more.

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

from benchmarks.serving import refuse_unless_bench, spread, sqlite_value, timed, wipe  # noqa: E402
from inventory import impact  # noqa: E402
from inventory.db import make_engine, make_sessionmaker  # noqa: E402
from inventory.models import Counter  # noqa: E402
from inventory.repair_figures import repair_figures  # noqa: E402
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
    "repair_actions": (
        "id", "device_id", "cycle", "fault", "action", "minutes", "note", "technician_id",
        "occurred_at", "event_id",
    ),
    "parts": (
        "id", "code", "kind_id", "reference", "attributes", "location_id", "state", "source",
        "supplier", "unit_cost", "donor_id", "received_by_id", "received_at", "repair_id",
        "used_at",
    ),
}  # fmt: skip
REPAIRED_SHARE, PART_SHARE, HARVESTED_SHARE, DONOR_SHARE = 0.40, 0.30, 0.40, 0.30
FAULTS = ("dead_battery", "broken_screen", "failing_disk", "missing_ram", "keyboard_keys", "hinge")
ACTIONS = ("replaced", "cleaned", "reseated", "upgraded", "reinstalled_os")
PART_KINDS = {
    "dead_battery": "battery",
    "broken_screen": "screen",
    "failing_disk": "ssd",
    "missing_ram": "ram",
    "keyboard_keys": "keyboard",
    "hinge": "hinge",
}


@dataclass
class Fill:
    """One chunk of rows to write, table by table."""

    devices: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    repairs: list[tuple[Any, ...]] = field(default_factory=list)
    parts: list[tuple[Any, ...]] = field(default_factory=list)


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

    repairs: int = 0
    parts_used_bought: int = 0
    parts_used_harvested: int = 0
    parts_harvested: int = 0
    units_made_ready: int = 0
    ready_after_repair: int = 0
    repaired_units: set[int] = field(default_factory=set)

    def count(self, kind: str, moment: datetime) -> None:
        if self.start <= moment < self.end:
            setattr(self, kind, getattr(self, kind) + 1)

    def fixed(self, device: int, moment: datetime) -> None:
        if self.start <= moment < self.end:
            self.repairs += 1
            self.repaired_units.add(device)


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


def workshop_years(
    devices: int, seed: int, expected: Expected, kinds: dict[str, int] | None = None
) -> Iterator[Fill]:
    """Ten years of devices, a tenth each year, with the events of their way through."""
    rng = random.Random(seed)
    per_year = max(devices // YEARS, 1)
    event_id = repair_id = part_id = 0
    # Parts harvested from recycled devices and not used yet: (donor, when, kind).
    harvested: list[tuple[int, datetime, str]] = []
    kinds = kinds or {}
    fill = Fill()
    now = datetime.now(UTC).replace(tzinfo=None)

    def part_row(
        source: str, kind: str, at: datetime, used: int | None, donor: int | None = None
    ) -> tuple[Any, ...]:
        nonlocal part_id
        part_id += 1
        return (
            part_id, f"P{part_id:09d}", kinds.get(kind, 1), f"REF-{kind}", "{}", None,
            "used" if used else "in_stock", source, "" if donor else "Pieces Pro",
            None if donor else "24.50", donor, None, at, used, at if used else None,
        )  # fmt: skip

    for number in range(1, devices + 1):
        year = FIRST_YEAR + min((number - 1) // per_year, YEARS - 1)
        received = datetime(year, 1, 1, 7) + timedelta(
            days=rng.randrange(365), minutes=rng.randrange(600)
        )
        weight = f"{rng.choice((1.4, 1.8, 2.2, 4.5, 7.9, 0.2)):.3f}"
        moves = [("intake", None, "received", received, {})]
        at = received
        fate = rng.random()
        fixes: list[tuple[str, str, int, datetime]] = []
        if fate < 0.10:
            moves.append(("stage_change", "received", "triage", at := at + timedelta(days=1), {}))
            moves.append(
                (
                    "stage_change", "triage", "recycled", at := at + timedelta(days=2),
                    {"reason": "beyond_repair", "weight_kg": weight},
                )
            )  # fmt: skip
            if rng.random() < DONOR_SHARE:
                harvested.append((number, at + timedelta(hours=2), rng.choice(FAULTS)))
        else:
            steps = [
                ("received", "triage", 1),
                ("triage", "erasure", 1),
                ("erasure", "diagnostics", 1),
                ("diagnostics", "qc", 2),
                ("qc", "ready", 1),
            ]
            if rng.random() < REPAIRED_SHARE:
                steps[3:4] = [("diagnostics", "repair", 1), ("repair", "qc", 1)]
            for before, after, days in steps:
                at += timedelta(days=days, minutes=rng.randrange(240))
                moves.append(("stage_change", before, after, at, {}))
                if after == "repair":
                    for _action in range(rng.choice((1, 1, 2))):
                        at += timedelta(minutes=rng.randrange(20, 180))
                        fault = rng.choice(FAULTS)
                        fixes.append((fault, rng.choice(ACTIONS), rng.randrange(5, 90), at))
                        moves.append(("repair", None, None, at, {"fault": fault}))
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
            if kind == "repair":
                fault, action, minutes, _at = fixes.pop(0)
                repair_id += 1
                fill.repairs.append(
                    (repair_id, number, 1, fault, action, minutes, "", None, moment, event_id)
                )
                expected.fixed(number, moment)
                if rng.random() < PART_SHARE:
                    if harvested and rng.random() < HARVESTED_SHARE:
                        donor, taken_at, _kind = harvested.pop(0)
                        fill.parts.append(
                            part_row("harvested", PART_KINDS[fault], taken_at, repair_id, donor)
                        )
                        expected.count("parts_harvested", taken_at)
                        expected.count("parts_used_harvested", moment)
                    else:
                        fill.parts.append(
                            part_row(
                                "bought", PART_KINDS[fault], moment - timedelta(days=20), repair_id
                            )
                        )
                        expected.count("parts_used_bought", moment)
            elif kind == "intake":
                expected.count("received", moment)
            elif after == "ready":
                expected.count("repaired", moment)
                expected.count("units_made_ready", moment)
                if any(move[0] == "repair" for move in moves):
                    expected.count("ready_after_repair", moment)
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
    # What no repair used stays on the shelves.
    for donor, taken_at, fault in harvested:
        fill.parts.append(part_row("harvested", PART_KINDS[fault], taken_at, None, donor))
        expected.count("parts_harvested", taken_at)
    if fill.devices or fill.parts:
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
                ([sqlite_value(value) for value in row] for row in rows),
            )
    cursor.execute("COMMIT")


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
        # The part kinds the migration seeded, read on a connection of their own.
        kinds = dict(connection.execute(text("SELECT code, id FROM part_kinds")).all())
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
        for fill in workshop_years(devices, seed, expected, kinds):
            write(
                connection,
                {
                    "devices": (COLUMNS["devices"], fill.devices),
                    "events": (COLUMNS["events"], fill.events),
                    "repair_actions": (COLUMNS["repair_actions"], fill.repairs),
                    "parts": (COLUMNS["parts"], fill.parts),
                },
            )
            done += len(fill.devices)
            if fill.devices and (done % 200_000 == 0 or done == devices):
                print(f"  filled {done:,} devices in {time.perf_counter() - started:.0f} s")
        rows = people_rows(seed)
        write(connection, {table: (PEOPLE_COLUMNS[table], rows[table]) for table in rows})
        if postgresql:
            driver.execute("SET session_replication_role = DEFAULT")
            for table in ("devices", "events", "staff", "employments", "disability_recognitions",
                          "insertion_programmes", "repair_actions", "parts"):  # fmt: skip
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


def repair_floor(connection: Connection, start: datetime, end: datetime) -> dict[str, int]:
    """The appendix's counts in bare SQL: the year's repairs, repaired units, parts by source."""
    bounds = {"start": _bound(connection, start), "end": _bound(connection, end)}
    repairs, units = connection.execute(
        text(
            "SELECT count(*), count(DISTINCT device_id) FROM repair_actions "
            "WHERE occurred_at >= :start AND occurred_at < :end"
        ),
        bounds,
    ).one()
    used = dict(
        connection.execute(
            text(
                "SELECT p.source, count(*) FROM parts p JOIN repair_actions r "
                "ON r.id = p.repair_id WHERE r.occurred_at >= :start AND r.occurred_at < :end "
                "GROUP BY p.source"
            ),
            bounds,
        ).all()
    )
    harvested = connection.scalar(
        text(
            "SELECT count(*) FROM parts WHERE source = 'harvested' "
            "AND received_at >= :start AND received_at < :end"
        ),
        bounds,
    )
    return {
        "repairs": repairs,
        "units_with_repair": units,
        "parts_used_bought": used.get("bought", 0),
        "parts_used_harvested": used.get("harvested", 0),
        "parts_harvested": harvested,
    }


def _bound(connection: Connection, moment: datetime) -> Any:
    return (
        sqlite_value(moment.replace(tzinfo=None)) if connection.dialect.name == "sqlite" else moment
    )


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
            for table in ("devices", "events", "repair_actions", "parts", "staff", "employments")
        }
    print("  rows: " + ", ".join(f"{n:,} {table}" for table, n in counts.items()))

    sessions = make_sessionmaker(engine)

    def report() -> dict[str, Any]:
        with sessions() as session:
            # Rolled back at the end: the health-data read it logs is not kept.
            return impact.report(session, args.year, timezone=TIMEZONE)

    def appendix() -> dict[str, Any]:
        with sessions() as session:
            if engine.dialect.name == "postgresql":
                for setting in impact.POSTGRESQL_SETTINGS:
                    session.execute(text(f"SET LOCAL {setting}"))
            return repair_figures(session, args.year, timezone=TIMEZONE)

    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # The floor runs under the settings the report takes for its own transaction.
            for setting in impact.POSTGRESQL_SETTINGS:
                connection.execute(text(f"SET {setting}"))
        (
            (report_times, data),
            (floor_times, (floor_count, _weight)),
            (appendix_times, _figures),
            (repair_floor_times, repair_counts),
        ) = timed(
            args.repeat,
            args.warm_up,
            report,
            lambda: floor(connection, starts[0], starts[12]),
            appendix,
            lambda: repair_floor(connection, starts[0], starts[12]),
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
    repairs = data["repairs"]
    repair_ratio = statistics.median(appendix_times) / statistics.median(repair_floor_times)
    print(
        f"\nrepairs appendix {args.year} ({repairs['repairs']:,} repairs on "
        f"{repairs['units_with_repair']:,} units, parts bought {repairs['parts_used_bought']:,} "
        f"and harvested {repairs['parts_used_harvested']:,}, "
        f"{repairs['share_needing_no_repair']} made ready without repair)"
    )
    print(f"  appendix (inventory.repair_figures, year and months)      {spread(appendix_times)}")
    print(
        f"  floor (the year's repairs and parts counted in bare SQL)  {spread(repair_floor_times)}"
    )
    print(f"  ratio appendix/floor: {repair_ratio:.1f}x")

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
    wrote = {
        "repairs": expected.repairs,
        "units_with_repair": len(expected.repaired_units),
        "parts_used_bought": expected.parts_used_bought,
        "parts_used_harvested": expected.parts_used_harvested,
        "parts_harvested": expected.parts_harvested,
        "units_made_ready": expected.units_made_ready,
    }
    for name, value in wrote.items():
        if repairs[name] != value:
            problems.append(f"repairs.{name} is {repairs[name]}, the fill wrote {value}")
        if name in repair_counts and repair_counts[name] != value:
            problems.append(f"the repair floor counts {repair_counts[name]} {name}, not {value}")
    if expected.units_made_ready:
        share = round(1 - expected.ready_after_repair / expected.units_made_ready, 4)
        if repairs["share_needing_no_repair"] != share:
            problems.append(
                f"share_needing_no_repair is {repairs['share_needing_no_repair']}, not {share}"
            )
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
    print("OK: every device and repair figure matches the fill, under the budget.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
