"""The stage board and a serial search on a million devices: the real server, then bare SQL.

Fills a database with a workshop's two years: 1,000,000 devices in about 2,000
donor lots, each with its serial, its intake event and one event per stage move
(most sold or recycled long ago, the recent ones spread over the stages, a few
stuck), and what 25 technicians hold now and held before. Then starts the
server as it is shipped (`python run.py`, waitress), logs in as a manager and
asks, one request at a time, for the stage board (GET /board/) and for the
device list searching a serial prefix (GET /devices/?q=pf3k); in the same
rounds it runs the bare SQL those pages need (the same counts, the same search)
with SQLAlchemy Core on one connection: the floor. Prints the medians (20
rounds after 3 untimed ones), the ratio server/floor and the time the fill took.

    python benchmarks/board.py                   # SQLite file in a temporary folder
    python benchmarks/board.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/workshop_board_bench
    python benchmarks/board.py --keep            # keep the filled database for the next run

The PostgreSQL database is WIPED (its public schema is dropped) before it is
filled, so it must be one of its own: create it once with
    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE workshop_board_bench'
and never point this at the test database or a real one (the name must contain
"bench"). With --keep a filled database is used again as it is when it holds
the same number of devices (the SQLite file then lives in the system's temporary
folder, under workshop-board-bench/). Exits 1 when a page answers other than
200, shows other counts than the database holds, or takes 100 ms or more
(median).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, literal, select, text, union_all  # noqa: E402
from sqlalchemy.engine import Connection, Engine  # noqa: E402

from benchmarks.serving import (  # noqa: E402
    refuse_unless_bench,
    running_server,
    spread,
    sqlite_value,
    timed,
    wipe,
)
from inventory.accounts import User  # noqa: E402
from inventory.board import LEFT_STAGES, PRESENT_STAGES  # noqa: E402
from inventory.codes import asset_tag  # noqa: E402
from inventory.db import make_engine, make_sessionmaker  # noqa: E402
from inventory.lifecycle import STAGES  # noqa: E402
from inventory.models import CATEGORIES, Assignment, Counter, Device, Identifier, Lot  # noqa: E402
from workshop import accounts  # noqa: E402
from workshop.board.routes import LEFT_DAYS, SUGGESTED_LOTS  # noqa: E402
from workshop.migrate import upgrade  # noqa: E402

BUDGET_MS = 100.0
SERVER_START_TIMEOUT_S = 120
# The server's default (config STUCK_AFTER_DAYS); the floor asks the same.
STUCK_AFTER_DAYS = 7
# The server's default time zone (config TIMEZONE): where the board's days start.
WORKSHOP_ZONE = ZoneInfo("Europe/Paris")
MANAGER, PASSWORD = "bench-manager", "bench-password-1"
TECHNICIANS = 25
# Written last by the fill, so a half-filled database is never taken for a whole one.
FILLED_MARKER = "board_bench_devices"
DAYS = 730
CHUNK = 20_000
# Multiplying by a number prime to 36**7 shuffles the sequence numbers into
# serials that look random and never repeat.
SERIAL_SPACE = 36**7
SERIAL_SCRAMBLE = 1_000_003
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# (category, share of the intake, typical kg, [(make, model, serial prefix), ...])
CATALOGUE: list[tuple[str, float, float, list[tuple[str, str, str]]]] = [
    (
        "laptop",
        0.40,
        2.0,
        [
            ("Lenovo", "ThinkPad T480", "PF"),
            ("Lenovo", "ThinkPad X270", "PF"),
            ("Dell", "Latitude 5490", "CN"),
            ("Dell", "Latitude 7480", "CN"),
            ("HP", "EliteBook 840 G5", "5CG"),
            ("Apple", "MacBook Air 13", "C02"),
        ],
    ),
    (
        "desktop",
        0.20,
        6.5,
        [
            ("Dell", "OptiPlex 7050", "CN"),
            ("HP", "ProDesk 600 G3", "CZC"),
            ("Lenovo", "ThinkCentre M710q", "MJ"),
        ],
    ),
    (
        "monitor",
        0.15,
        4.5,
        [
            ("Dell", "P2214H", "CN"),
            ("HP", "E24 G4", "CNK"),
            ("Iiyama", "ProLite B2483HS", "11"),
        ],
    ),
    ("phone", 0.08, 0.2, [("Apple", "iPhone 8", "F2L"), ("Samsung", "Galaxy S9", "R58")]),
    ("tablet", 0.05, 0.5, [("Apple", "iPad 6", "DMP"), ("Samsung", "Galaxy Tab A", "R52")]),
    ("printer", 0.03, 9.0, [("HP", "LaserJet M404", "PHB"), ("Brother", "HL-L2350DW", "E7")]),
    ("server", 0.02, 18.0, [("Dell", "PowerEdge R630", "CN"), ("HP", "ProLiant DL360", "CZJ")]),
    ("network", 0.03, 1.5, [("Cisco", "Catalyst 2960", "FOC"), ("Netgear", "GS108", "3N")]),
    ("peripheral", 0.03, 0.6, [("Logitech", "K120", "LZ"), ("Logitech", "M100", "LZ")]),
    ("other", 0.01, 1.0, [("Various", "Mixed", "X")]),
]
DONORS = (
    "Mairie de Villeurbanne",
    "Crédit Local",
    "Lycée Ampère",
    "Hôpital Nord",
    "Transports Rhône",
    "Assurances du Centre",
    "Université Lumière",
    "Conseil départemental",
)
# The line most devices follow, and how many days each stage takes on average.
MAIN_LINE = ("triage", "erasure", "diagnostics", "repair", "qc", "ready", "sold")
MEAN_DAYS = {
    "received": 3.0,
    "triage": 1.0,
    "erasure": 1.0,
    "diagnostics": 2.0,
    "repair": 4.0,
    "qc": 1.0,
    "ready": 25.0,
    "sold": 60.0,
}
IN_PROGRESS = ("triage", "erasure", "diagnostics", "repair", "qc")
# Share of the devices in a stage held by a technician: now (about a dozen
# devices each), and in the past (finished assignments, kept as history).
HELD_NOW = 0.02
HELD_BEFORE = 0.03
RECYCLE_REASONS = ("beyond_repair", "obsolete", "no_demand")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL database to wipe and fill (its name must contain 'bench'); "
        "default: a SQLite file in a temporary folder",
    )
    parser.add_argument("--devices", type=int, default=1_000_000, help="devices (1,000,000)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page (20)")
    parser.add_argument("--warm-up", type=int, default=3, help="untimed requests first (3)")
    parser.add_argument(
        "--keep",
        "--reuse",
        action="store_true",
        help="keep the filled database, and use it again when it holds as many devices",
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the fill (2026)")
    args = parser.parse_args(argv)
    if args.devices < 1000 or args.repeat < 1 or args.warm_up < 0:
        parser.error("--devices must be at least 1000 and --repeat at least 1")
    refuse_unless_bench(parser, args.database_url, "workshop_board_bench")
    return args


# -- the workshop's two years ------------------------------------------------------------------


def serial_of(prefix: str, number: int) -> str:
    """A unique, random-looking manufacturer serial for device `number`."""
    value = number * SERIAL_SCRAMBLE % SERIAL_SPACE
    digits = []
    for _ in range(7):
        value, digit = divmod(value, 36)
        digits.append(ALPHABET[digit])
    return prefix + "".join(reversed(digits))


class Fill:
    """Rows of one chunk of devices, ready for the database: plain tuples, naive UTC times."""

    def __init__(self) -> None:
        self.lots: list[tuple] = []
        self.devices: list[tuple] = []
        self.identifiers: list[tuple] = []
        self.events: list[tuple] = []
        self.assignments: list[tuple] = []


def workshop_years(
    devices: int, users: list[int], technicians: list[int], now: datetime, seed: int
) -> Iterator[Fill]:
    """Two years of intake and work, CHUNK devices at a time, in the order they came in."""
    rng = random.Random(seed)
    start = now - timedelta(days=DAYS)
    categories = [entry[0] for entry in CATALOGUE]
    weights = [entry[1] for entry in CATALOGUE]
    by_category = {entry[0]: entry for entry in CATALOGUE}
    lot_id, lot_left, lot_code = 0, 0, ""
    fill = Fill()
    for number in range(1, devices + 1):
        received_at = start + timedelta(
            days=DAYS * (number - 1) / devices, seconds=rng.randrange(3600)
        )
        if lot_left == 0:
            lot_id += 1
            lot_left = rng.randint(50, 950)
            lot_code = f"L-{received_at.year}-{lot_id:04d}"
            fill.lots.append(
                (lot_id, lot_code, rng.choice(DONORS), received_at.date(), "", "", received_at)
            )
        lot_left -= 1
        category = rng.choices(categories, weights)[0]
        _name, _share, kilograms, models = by_category[category]
        make, model, prefix = rng.choice(models)
        serial = serial_of(prefix, number)
        clerk = rng.choice(users)

        # Walk the device along its line until its next move would be after now.
        fate = rng.random()
        if fate < 0.25:
            line = (*MAIN_LINE[: rng.choice((0, 1, 1, 2, 3, 3))], "recycled")
        elif fate < 0.28:
            line = (*MAIN_LINE, "returned")
        else:
            line = MAIN_LINE
        stuck_in = rng.choice(IN_PROGRESS) if rng.random() < 0.005 else ""
        stage, at = "received", received_at
        entered = at
        events = [
            (
                "intake",
                number,
                None,
                "received",
                clerk,
                clerk,
                at,
                at,
                f'{{"serial_number": "{serial}", "lot": "{lot_code}", "cycle": 1}}',
            )
        ]
        for to in line:
            days = rng.expovariate(1 / MEAN_DAYS.get(stage, 2.0))
            if stage == stuck_in:
                days += rng.uniform(20, 300)
            at_next = at + timedelta(days=days)
            if at_next > now:
                break
            at = at_next
            worker = rng.choice(technicians)
            if to == "recycled":
                payload = f'{{"reason": "{rng.choice(RECYCLE_REASONS)}"}}'
            elif to == "sold":
                payload = f'{{"order": "S{number:06d}"}}'
            else:
                payload = "{}"
            if stage in IN_PROGRESS and rng.random() < HELD_BEFORE:
                # The technician who held the device for that stage, finished on the move.
                held = (number, worker, stage, users[0], entered, at, "finished")
                fill.assignments.append(held)
            events.append(("stage_change", number, stage, to, worker, worker, at, at, payload))
            stage, entered = to, at
        graded = stage in ("ready", "sold", "returned")
        weighed = stage == "recycled" or rng.random() < 0.5
        fill.devices.append(
            (
                number,
                asset_tag(number),
                category,
                make,
                model,
                "{}",
                round(kilograms * rng.uniform(0.8, 1.2), 3) if weighed else None,
                lot_id,
                stage,
                at,
                rng.choice("AABBBC") if graded else None,
                1,
                received_at,
                len(events),
            )
        )
        fill.identifiers.append((number, "serial", serial, received_at))
        fill.events.extend(events)
        if stage in IN_PROGRESS and rng.random() < HELD_NOW:
            fill.assignments.append(
                (number, rng.choice(technicians), stage, users[0], at, None, None)
            )
        if len(fill.devices) == CHUNK:
            yield fill
            fill = Fill()
    if fill.devices:
        yield fill


COLUMNS = {
    "lots": ("id", "code", "donor", "received_on", "reference", "note", "created_at"),
    "devices": (
        "id",
        "asset_tag",
        "category",
        "make",
        "model",
        "specs",
        "weight_kg",
        "lot_id",
        "stage",
        "stage_entered_at",
        "grade",
        "cycle",
        "received_at",
        "version",
    ),
    "identifiers": ("device_id", "kind", "value", "created_at"),
    "events": (
        "kind",
        "device_id",
        "from_stage",
        "to_stage",
        "entered_by_id",
        "performed_by_id",
        "occurred_at",
        "recorded_at",
        "payload",
    ),
    "assignments": (
        "device_id",
        "technician_id",
        "stage",
        "assigned_by_id",
        "started_at",
        "ended_at",
        "end_reason",
    ),
}


def write_sqlite(connection: Connection, fill: Fill) -> None:
    """One chunk in one transaction, through the driver's executemany."""
    driver = connection.connection.driver_connection
    cursor = driver.cursor()
    cursor.execute("BEGIN")
    for table, columns in COLUMNS.items():
        rows = getattr(fill, table)
        if not rows:
            continue
        marks = ", ".join("?" * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
            ([sqlite_value(value) for value in row] for row in rows),
        )
    cursor.execute("COMMIT")


def write_postgresql(connection: Connection, fill: Fill) -> None:
    """One chunk in one transaction, through COPY."""
    driver = connection.connection.driver_connection
    with driver.transaction(), driver.cursor() as cursor:
        for table, columns in COLUMNS.items():
            rows = getattr(fill, table)
            if not rows:
                continue
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


def filled_with(engine: Engine) -> int:
    """How many devices a previous run left, complete; 0 when none or half-done."""
    with engine.connect() as connection:
        try:
            return (
                connection.scalar(select(Counter.value).where(Counter.name == FILLED_MARKER)) or 0
            )
        except Exception:  # no tables yet
            return 0


def fill_database(engine: Engine, devices: int, seed: int) -> float:
    """Migrate and fill an empty database; the seconds it took."""
    started = time.perf_counter()
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        manager = accounts.create_user(session, MANAGER, "manager", PASSWORD, "Bench Manager")
        clerk = accounts.create_user(session, "bench-warehouse", "warehouse", PASSWORD)
        technicians = [
            accounts.create_user(session, f"tech{n:02d}", "technician", PASSWORD, f"Tech {n:02d}")
            for n in range(1, TECHNICIANS + 1)
        ]
        session.commit()
        users = [manager.id, clerk.id]
        technician_ids = [user.id for user in technicians]
    now = datetime.now(UTC).replace(tzinfo=None)
    postgresql = engine.dialect.name == "postgresql"
    write = write_postgresql if postgresql else write_sqlite
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
        for fill in workshop_years(devices, users, technician_ids, now, seed):
            write(connection, fill)
            done += len(fill.devices)
            if done % 200_000 == 0 or done == devices:
                elapsed = time.perf_counter() - started
                print(f"  filled {done:,} devices in {elapsed:.0f} s", flush=True)
        if postgresql:
            driver.execute("SET session_replication_role = DEFAULT")
            for table in ("lots", "devices", "identifiers", "events", "assignments"):
                driver.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            # What autovacuum would have done by now on a database this old.
            driver.execute("VACUUM ANALYZE")
            driver.autocommit = False
        else:
            driver.execute("PRAGMA foreign_keys=ON")
            # Fold the write-ahead log into the file, as SQLite does over a quiet night.
            driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with engine.begin() as connection:
        connection.execute(
            Counter.__table__.update().values(value=devices).where(Counter.name == "asset_tag")
        )
        connection.execute(Counter.__table__.insert().values(name=FILLED_MARKER, value=devices))
    return time.perf_counter() - started


# -- the server --------------------------------------------------------------------------------


class Browser:
    """One keep-alive connection with a session cookie, like a manager's browser tab."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookie = ""

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple:
        headers = {"Accept-Language": "en", "Cookie": self.cookie}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        page = response.read().decode()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, page

    def log_in(self) -> None:
        _status, page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if token is None:
            raise SystemExit("no CSRF token on the login page")
        status, page = self.request(
            "POST",
            "/login",
            {"csrf_token": token.group(1), "username": MANAGER, "password": PASSWORD, "next": ""},
        )
        if status != 302:
            raise SystemExit(f"logging in answered {status}:\n{page[:500]}")


# -- the floor ---------------------------------------------------------------------------------


def prefix_range(prefix: str) -> tuple[str, str]:
    """The serials starting with `prefix` are those >= it and < this next string."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def board_floor(connection: Connection, after_days: int, now: datetime) -> dict[str, Any]:
    """The questions the board asks, as bare SQL: counts, stuck devices, lots, technicians."""
    devices = Device.__table__
    waiting = [stage for stage in STAGES if stage not in ("sold", "recycled", "returned")]
    cutoff = now - timedelta(days=after_days)
    stuck = (devices.c.stage.in_(waiting), devices.c.stage_entered_at < cutoff)
    # What the workshop holds, and what it sold or recycled over the last LEFT_DAYS days.
    left_on = now.astimezone(WORKSHOP_ZONE).date() - timedelta(days=LEFT_DAYS)
    left_since = datetime.combine(left_on, datetime.min.time(), WORKSHOP_ZONE).astimezone(UTC)
    counted = (devices.c.stage, devices.c.category, func.count())
    # One statement: the grouped range, then one indexed count per (stage, category) pair.
    left = [
        select(
            literal(stage),
            literal(category),
            select(func.count())
            .select_from(devices)
            .where(
                devices.c.stage == stage,
                devices.c.category == category,
                devices.c.stage_entered_at >= left_since,
            )
            .scalar_subquery(),
        )
        for stage in LEFT_STAGES
        for category in CATEGORIES
    ]
    counts = [
        row
        for row in connection.execute(
            union_all(
                select(*counted)
                .where(devices.c.stage.in_(PRESENT_STAGES))
                .group_by(devices.c.stage, devices.c.category),
                *left,
            )
        )
        if row[2]
    ]
    stuck_total = connection.scalar(select(func.count()).select_from(devices).where(*stuck))
    # The 50 oldest of each stage from the (stage, date) index, then the 50 oldest of all.
    oldest = union_all(
        *(
            select(
                select(devices.c.id)
                .where(devices.c.stage == stage, devices.c.stage_entered_at < cutoff)
                .order_by(devices.c.stage_entered_at, devices.c.id)
                .limit(50)
                .subquery()
            )
            for stage in waiting
        )
    ).subquery()
    stuck_rows = connection.execute(
        select(devices.c.asset_tag, devices.c.category, devices.c.make, devices.c.model)
        .join(oldest, oldest.c.id == devices.c.id)
        .order_by(devices.c.stage_entered_at, devices.c.id)
        .limit(50)
    ).all()
    lots = connection.execute(
        select(Lot.__table__.c.code, Lot.__table__.c.donor)
        .order_by(Lot.__table__.c.id.desc())
        .limit(SUGGESTED_LOTS)
    ).all()
    assignments = Assignment.__table__
    users = User.__table__
    loads = connection.execute(
        select(users.c.username, devices.c.stage, func.count())
        .select_from(assignments)
        .join(users, assignments.c.technician_id == users.c.id)
        .join(devices, assignments.c.device_id == devices.c.id)
        .where(assignments.c.ended_at.is_(None))
        .group_by(users.c.username, devices.c.stage)
    ).all()
    return {
        "total": sum(n for _s, _c, n in counts),
        "present": sum(n for stage, _c, n in counts if stage not in LEFT_STAGES),
        "stuck": stuck_total,
        "stuck listed": len(stuck_rows),
        "lots": len(lots),
        "technicians": len({row[0] for row in loads}),
    }


def search_floor(connection: Connection, prefix: str) -> tuple[int, list[str]]:
    """A serial prefix search as bare SQL: how many match, and the newest 50 with their serial."""
    identifiers = Identifier.__table__
    devices = Device.__table__
    low, high = prefix_range(prefix)
    match = (identifiers.c.kind == "serial", identifiers.c.value >= low, identifiers.c.value < high)
    total = connection.scalar(select(func.count()).select_from(identifiers).where(*match)) or 0
    rows = connection.execute(
        select(devices.c.asset_tag, devices.c.stage, identifiers.c.value)
        .join(identifiers, identifiers.c.device_id == devices.c.id)
        .where(*match)
        .order_by(devices.c.id.desc())
        .limit(50)
    ).all()
    return total, [row.asset_tag for row in rows]


# -- the run -----------------------------------------------------------------------------------


@contextmanager
def database(args: argparse.Namespace) -> Iterator[tuple[str, Path]]:
    """The database's URL and a folder for the server's instance, kept or temporary."""
    if args.keep and not args.database_url:
        folder = Path(tempfile.gettempdir()) / "workshop-board-bench"
        folder.mkdir(exist_ok=True)
        yield f"sqlite:///{folder / f'board-{args.devices}.db'}", folder
        return
    with tempfile.TemporaryDirectory(prefix="workshop-board-bench-") as name:
        folder = Path(name)
        yield args.database_url or f"sqlite:///{folder / 'board.db'}", folder


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    failed = False
    with database(args) as (url, folder):
        engine = make_engine(url)
        kind = "SQLite" if engine.dialect.name == "sqlite" else "PostgreSQL"
        print(f"Board benchmark on {kind}: {args.devices:,} devices, {os.cpu_count()} CPUs")
        if args.keep and filled_with(engine) == args.devices:
            upgrade(engine)
            print("  using the database filled by an earlier run (--keep)")
        else:
            wipe(engine)
            engine = make_engine(url)
            seconds = fill_database(engine, args.devices, args.seed)
            print(f"  fill: {seconds:.0f} s, migrations included")
        with engine.connect() as connection:
            figures = {
                table: connection.scalar(text(f"SELECT count(*) FROM {table}"))
                for table in ("lots", "devices", "identifiers", "events", "assignments")
            }
        print("  rows: " + ", ".join(f"{n:,} {table}" for table, n in figures.items()))
        # What a technician types: the first four characters of a Lenovo serial.
        prefix = serial_of("PF", args.devices // 2)[:4]

        now = datetime.now(UTC)
        page_path = f"/devices/?q={quote(prefix.lower())}"
        with running_server(url, folder) as (port, _pid), engine.connect() as connection:
            browser = Browser(port)
            browser.log_in()
            (
                (board_page_times, (board_status, board_page)),
                (board_times, board_answer),
                (search_page_times, (search_status, search_page)),
                (search_times, (search_total, search_tags)),
            ) = timed(
                args.repeat,
                args.warm_up,
                lambda: browser.request("GET", "/board/"),
                lambda: board_floor(connection, STUCK_AFTER_DAYS, now),
                lambda: browser.request("GET", page_path),
                lambda: search_floor(connection, prefix),
            )
        engine.dispose()

        print(
            f"\nstage board, GET /board/ ({board_answer['present']:,} devices in the workshop, "
            f"{board_answer['total'] - board_answer['present']:,} left in {LEFT_DAYS} days, "
            f"{board_answer['stuck']:,} stuck, {board_answer['lots']:,} lots)"
        )
        print(f"  server (HTTP, run.py under waitress)  {spread(board_page_times)}")
        print(f"  floor (bare SQL, same questions)      {spread(board_times)}")
        print(
            f"  ratio server/floor: {statistics.median(board_page_times) / statistics.median(board_times):.1f}x"
        )
        print(f"\nserial search, GET {page_path} ({search_total} devices match)")
        print(f"  server (HTTP, run.py under waitress)  {spread(search_page_times)}")
        print(f"  floor (bare SQL, same search)         {spread(search_times)}")
        print(
            f"  ratio server/floor: {statistics.median(search_page_times) / statistics.median(search_times):.1f}x"
        )

        problems = []
        if board_status != 200:
            problems.append(f"the board answered {board_status}")
        elif f"{board_answer['present']} devices in the workshop" not in board_page:
            problems.append("the board does not show the devices the workshop holds")
        if search_status != 200:
            problems.append(f"the search answered {search_status}")
        elif f"{search_total} devices" not in search_page:
            problems.append(f"the search does not say {search_total} devices")
        elif any(tag not in search_page for tag in search_tags):
            problems.append("the search does not list the newest matching devices")
        for what, times in (("board", board_page_times), ("search", search_page_times)):
            if statistics.median(times) >= BUDGET_MS:
                problems.append(
                    f"the {what} takes {statistics.median(times):.0f} ms, over {BUDGET_MS:.0f}"
                )
        if problems:
            print("FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
            failed = True
        else:
            print(
                f"\nchecked: both pages answer 200 with the database's counts, "
                f"each under {BUDGET_MS:.0f} ms (median)"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
