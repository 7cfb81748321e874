"""Importing a workshop's year of devices from a spreadsheet, against a bare executemany.

Writes a CSV shaped like ATF Gaia's 2016 (103,419 devices, every one received,
repaired and sold in 2016, in about 400 donor lots), then imports it as
`workshop import devices` does (read, check every row, write, commit) into a
fresh database, and checks what arrived: every device, serial, four events
each (intake, graded, ready, sold) and a sale line each. Then, on another
fresh database of the same kind, the floor: the same rows already converted,
written by the driver's own executemany with raw SQL into the same tables in
one transaction. It prints both times and their ratio, and exits 1 when a row
is missing or, on SQLite, when the import takes 20 s or more.

    python benchmarks/import_devices.py                  # SQLite file in a temporary folder
    python benchmarks/import_devices.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/workshop_import_bench

The PostgreSQL database is WIPED (its public schema is dropped) before each
part: its name must contain "bench".
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

import inventory.models  # noqa: E402,F401  (the tables, before the services that use them)
from benchmarks.serving import refuse_unless_bench  # noqa: E402
from inventory.db import WRITE, make_engine, make_sessionmaker  # noqa: E402
from inventory.imports import Source, check_file, import_file  # noqa: E402
from inventory.imports.bulk import SQLITE_IMPORT_CACHE_KIB, insert_sql  # noqa: E402
from inventory.imports.devices import COLUMNS, TABLES, DeviceRow, RowMaker  # noqa: E402
from inventory.models import Lot  # noqa: E402
from workshop.migrate import upgrade  # noqa: E402

DEVICES = 103_419
LIMIT_S = 20.0
YEAR = 2016
MODELS = (
    ("laptop", "HP", "EliteBook 840 G3", "1.54"),
    ("laptop", "Dell", "Latitude E7470", "1.36"),
    ("laptop", "Lenovo", "ThinkPad T460", "1.70"),
    ("desktop", "Dell", "OptiPlex 7040", "5.60"),
    ("desktop", "HP", "EliteDesk 800 G2", "5.20"),
    ("monitor", "Dell", "P2214H", "4.30"),
    ("monitor", "Samsung", "S22E450", "3.80"),
    ("phone", "Apple", "iPhone 6", "0.13"),
    ("tablet", "Samsung", "Galaxy Tab A", "0.49"),
    ("printer", "Brother", "HL-L2340DW", "6.80"),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL of a database used only for this (its name contains 'bench'); "
        "SQLite files in a temporary folder by default.",
    )
    parser.add_argument("--devices", type=int, default=DEVICES, help="rows in the file")
    args = parser.parse_args(argv)
    refuse_unless_bench(parser, args.database_url, "workshop_import_bench")
    return args


def write_year(path: Path, count: int) -> None:
    """A year of a workshop as its spreadsheet: received, repaired and sold the same year."""
    rng = random.Random(2016)
    start = date(YEAR, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for number in range(count):
            category, make, model, weight = MODELS[number % len(MODELS)]
            received = start + timedelta(days=rng.randrange(0, 300))
            ready = received + timedelta(days=rng.randrange(1, 30))
            sold = ready + timedelta(days=rng.randrange(0, 30))
            writer.writerow(
                (
                    f"GAIA{YEAR}{number:07d}",
                    category,
                    make,
                    model,
                    weight,
                    f"{YEAR}-LOT{number % 400:03d}",
                    received.isoformat(),
                    ready.isoformat(),
                    sold.isoformat(),
                    "",
                    "ABC"[number % 3],
                    f"{rng.randrange(20, 400)}.00",
                )
            )


def fresh_database(url: str, folder: Path, name: str) -> str:
    """A migrated, empty database: a new SQLite file, or the PostgreSQL one emptied."""
    if not url:
        url = f"sqlite:///{folder / name}.db"
    else:
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def run_import(url: str, data: bytes) -> tuple[float, dict[str, int]]:
    """Import the file as the CLI does, in one transaction; the seconds and the counts."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    started = time.perf_counter()
    with sessions() as session:
        session.connection(execution_options={WRITE: True})
        report = import_file(session, "devices", data, "gaia-2016.csv", entered_by=None)
        if not report.ok:
            raise SystemExit(f"the file was refused: {[str(error) for error in report.errors[:5]]}")
        session.commit()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, report.written


def check_alone(url: str, data: bytes) -> tuple[float, list[DeviceRow]]:
    """Reading and checking alone (what --dry-run does); the seconds and the checked rows."""
    engine = make_engine(url)
    started = time.perf_counter()
    with make_sessionmaker(engine)() as session:
        report = check_file(session, "devices", data, "gaia-2016.csv")
    elapsed = time.perf_counter() - started
    engine.dispose()
    assert report.ok, report.errors[:5]
    return elapsed, report.records


def run_floor(url: str, records: list[DeviceRow]) -> float:
    """The same rows, built beforehand, written by the driver's executemany in one transaction."""
    engine = make_engine(url)
    dialect = engine.dialect
    lot_ids = {code: number for number, code in enumerate(sorted({r.lot for r in records}), 1)}
    maker = RowMaker(dialect, None, Source("floor", "", 1), lot_ids, {"shop": 1})
    rows = maker.rows(records, list(range(1, len(records) + 1)), 1)
    today = maker.day(date(YEAR, 1, 1))
    lots = [(number, code, "", "", "", today) for code, number in lot_ids.items()]
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        started = time.perf_counter()
        cursor = raw.cursor()
        if dialect.name == "sqlite":
            # The same page cache as the import's (inventory/imports/bulk.py).
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB}")
            cursor.execute("BEGIN IMMEDIATE")
        cursor.execute(
            "INSERT INTO sale_orders (id, customer, channel, reference, status, created_at) "
            "VALUES (1, '', 'shop', 'floor', 'completed', CURRENT_TIMESTAMP)"
        )
        lot_sql = insert_sql(
            Lot.__table__, ("id", "code", "donor", "reference", "note", "created_at"), dialect
        )
        cursor.executemany(lot_sql, lots)
        for table, columns in TABLES:
            cursor.executemany(insert_sql(table, columns, dialect), rows[table.name])
        raw.commit()
        elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def count_rows(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as connection:
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("devices", "identifiers", "sale_lines")
        }
        counts["device_events"] = connection.execute(
            text("SELECT count(*) FROM events WHERE device_id IS NOT NULL")
        ).scalar_one()
        counts["devices_sold_2016"] = connection.execute(
            text(
                "SELECT count(DISTINCT device_id) FROM events WHERE to_stage = 'sold' "
                "AND occurred_at >= :start AND occurred_at < :end"
            ),
            {
                "start": datetime(YEAR, 1, 1, tzinfo=UTC).replace(tzinfo=None)
                if url.startswith("sqlite")
                else datetime(YEAR, 1, 1, tzinfo=UTC),
                "end": datetime(YEAR + 1, 1, 1, tzinfo=UTC).replace(tzinfo=None)
                if url.startswith("sqlite")
                else datetime(YEAR + 1, 1, 1, tzinfo=UTC),
            },
        ).scalar_one()
    engine.dispose()
    return counts


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    kind = "PostgreSQL" if args.database_url else "SQLite"
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        path = folder / "gaia-2016.csv"
        write_year(path, args.devices)
        data = path.read_bytes()
        print(f"{kind}: {args.devices:,} devices, {len(data) / 1e6:.1f} MB of CSV")

        url = fresh_database(args.database_url, folder, "check")
        checking, records = check_alone(url, data)
        url = fresh_database(args.database_url, folder, "import")
        total, written = run_import(url, data)
        counts = count_rows(url)
        url = fresh_database(args.database_url, folder, "floor")
        floor = run_floor(url, records)
    print(f"  check alone (--dry-run):              {checking:6.2f} s")
    print(f"  import (read, check, write, commit):  {total:6.2f} s   {written}")
    print(f"  floor (bare executemany, same rows):  {floor:6.2f} s")
    print(f"  ratio import / floor:                 {total / floor:6.2f}")

    expected = {
        "devices": args.devices,
        "identifiers": args.devices,
        "device_events": 4 * args.devices,
        "sale_lines": args.devices,
        "devices_sold_2016": args.devices,
    }
    failures = [
        f"{name}: {counts[name]} != {value}"
        for name, value in expected.items()
        if counts[name] != value
    ]
    if not args.database_url and total >= LIMIT_S:
        failures.append(f"the import took {total:.1f} s, not under {LIMIT_S:.0f} s")
    for failure in failures:
        print(f"FAIL {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
