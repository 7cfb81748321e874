"""The parts finder over 100,000 parts and 5,000 device models, against the bare SQL.

Fills a database with a large stock (100,000 parts of the nine default kinds on
200 shelves, four in five in stock, the rest scrapped; 5,000 device models, each
fitting about eight references), then asks "the parts that fit this model, in
stock, nearest first" (`inventory.parts.parts_that_fit`, the ORM query the work
card and `GET /api/v1/parts` run) for a different model each round, with and
without a kind, and in the same rounds the same SELECT written as bare SQL on
one connection: the floor. It prints medians and the ratio, checks that both
found the same parts, and fails (exit 1) when the finder takes 50 ms or more.

    python benchmarks/parts.py                    # SQLite file in a temporary folder
    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE h_parts_bench'   # once
    python benchmarks/parts.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/h_parts_bench
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.engine import Connection, Engine  # noqa: E402

from benchmarks.serving import refuse_unless_bench, sqlite_value, wipe  # noqa: E402
from inventory import parts as stock  # noqa: E402
from inventory.codes import location_code, part_code  # noqa: E402
from inventory.db import make_engine, make_sessionmaker  # noqa: E402
from inventory.repair_models import PartKind  # noqa: E402
from workshop.migrate import upgrade  # noqa: E402

BUDGET_MS = 50.0
SHELVES = 200
FITS_PER_MODEL = 8
REFERENCES_PER_KIND = 1_500

FLOOR = """
SELECT parts.code FROM parts
JOIN part_fits ON part_fits.kind_id = parts.kind_id AND part_fits.reference = parts.reference
LEFT OUTER JOIN locations ON locations.id = parts.location_id
WHERE part_fits.model = :model AND parts.state = 'in_stock' {kind}
ORDER BY CASE WHEN locations.code IS NULL THEN 1 ELSE 0 END, locations.code, parts.code
LIMIT 100
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL; SQLite when not given.")
    parser.add_argument("--parts", type=int, default=100_000)
    parser.add_argument("--models", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=50, help="Timed rounds.")
    parser.add_argument("--warm-up", type=int, default=5, help="Untimed rounds first.")
    parser.add_argument("--seed", type=int, default=480)
    args = parser.parse_args(argv)
    refuse_unless_bench(parser, args.database_url, "h_parts_bench")
    return args


def write(connection: Connection, table: str, columns: tuple[str, ...], rows: list[Any]) -> None:
    """Rows in one go: COPY on PostgreSQL, executemany on SQLite."""
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    driver.cursor().executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
        ([sqlite_value(value) for value in row] for row in rows),
    )


def fill(engine: Engine, parts: int, models: int, seed: int) -> list[str]:
    """Migrate and fill; the model names."""
    upgrade(engine)
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with engine.connect() as connection:
        kinds = list(connection.execute(select(PartKind.id, PartKind.code)).all())
    names = [f"Model {number:05d}" for number in range(models)]
    references = {
        kind_id: [f"{code}-{n:05d}" for n in range(REFERENCES_PER_KIND)] for kind_id, code in kinds
    }
    fits: set[tuple[str, int, str]] = set()
    for name in names:
        mine: set[tuple[str, int, str]] = set()
        while len(mine) < FITS_PER_MODEL:
            kind_id = rng.choice(kinds)[0]
            mine.add((name, kind_id, rng.choice(references[kind_id])))
        fits |= mine
    part_rows = []
    for number in range(1, parts + 1):
        kind_id = rng.choice(kinds)[0]
        state = "in_stock" if rng.random() < 0.8 else "scrapped"
        part_rows.append(
            (
                number,
                part_code(number),
                kind_id,
                rng.choice(references[kind_id]),
                "{}",
                rng.randint(1, SHELVES) if rng.random() < 0.95 else None,
                state,
                "bought",
                "Bench supplier",
                "10.00",
                now,
            )
        )
    with engine.begin() as connection:
        write(
            connection,
            "locations",
            ("id", "code", "name", "kind", "active", "created_at"),
            [
                (n, location_code(n), f"Shelf {n}", "shelf", True, now)
                for n in range(1, SHELVES + 1)
            ],
        )
        write(
            connection,
            "part_fits",
            ("model", "kind_id", "reference", "created_at"),
            [(*fit, now) for fit in sorted(fits)],
        )
        write(
            connection,
            "parts",
            (
                "id", "code", "kind_id", "reference", "attributes", "location_id", "state",
                "source", "supplier", "unit_cost", "received_at",
            ),
            part_rows,
        )  # fmt: skip
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT setval('parts_id_seq', :n)"), {"n": parts})
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("COMMIT"))
            connection.execute(text("ANALYZE"))
        else:
            connection.execute(text("ANALYZE"))
    return names


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder = Path(tempfile.gettempdir()) / "workshop-parts-bench"
    folder.mkdir(exist_ok=True)
    url = args.database_url or f"sqlite:///{folder / 'parts.db'}"
    engine = make_engine(url)
    kind_name = "SQLite" if engine.dialect.name == "sqlite" else "PostgreSQL"
    print(f"Parts benchmark on {kind_name}: {args.parts:,} parts, {args.models:,} models")
    wipe(engine)
    engine = make_engine(url)
    started = time.perf_counter()
    names = fill(engine, args.parts, args.models, args.seed)
    print(f"  fill: {time.perf_counter() - started:.0f} s, migrations included")
    rng = random.Random(args.seed + 1)
    rounds = [rng.choice(names) for _ in range(args.warm_up + args.repeat)]
    sessions = make_sessionmaker(engine)
    times: dict[str, list[float]] = {"finder": [], "finder_kind": [], "floor": [], "floor_kind": []}
    problems = []
    with sessions() as session, engine.connect() as connection:
        battery = stock.get_kind(session, "battery")
        for number, model in enumerate(rounds):
            asks = {
                "finder": lambda m=model: [p.code for p in stock.parts_that_fit(session, m)],
                "finder_kind": lambda m=model: [
                    p.code for p in stock.parts_that_fit(session, m, kind=battery)
                ],
                "floor": lambda m=model: list(
                    connection.scalars(text(FLOOR.format(kind="")), {"model": m})
                ),
                "floor_kind": lambda m=model: list(
                    connection.scalars(
                        text(FLOOR.format(kind="AND parts.kind_id = :kind")),
                        {"model": m, "kind": battery.id},
                    )
                ),
            }
            found = {}
            for name, ask in asks.items():
                begun = time.perf_counter()
                found[name] = ask()
                elapsed = (time.perf_counter() - begun) * 1000
                if number >= args.warm_up:
                    times[name].append(elapsed)
            # The ORM's objects stay in the session otherwise: each round starts clean.
            session.expunge_all()
            if found["finder"] != found["floor"] or found["finder_kind"] != found["floor_kind"]:
                problems.append(f"{model}: the finder and the floor found different parts")
    engine.dispose()
    if not args.database_url:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{engine.url.database}{suffix}").unlink(missing_ok=True)

    def median(name: str) -> float:
        return statistics.median(times[name])

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n  finder, any kind     median {median('finder'):6.2f} ms")
    print(f"  floor,  any kind     median {median('floor'):6.2f} ms")
    print(f"  finder, batteries    median {median('finder_kind'):6.2f} ms")
    print(f"  floor,  batteries    median {median('floor_kind'):6.2f} ms")
    print(
        f"  ratio finder/floor: {median('finder') / median('floor'):.1f}x any kind, "
        f"{median('finder_kind') / median('floor_kind'):.1f}x batteries "
        f"(load average {load:.1f} on {os.cpu_count()} CPUs)"
    )
    for name in ("finder", "finder_kind"):
        if median(name) >= BUDGET_MS:
            problems.append(f"{name} takes {median(name):.1f} ms, over {BUDGET_MS:.0f}")
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems[:10]), file=sys.stderr)
        return 1
    print("OK: the finder and the floor agree, under the budget.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
