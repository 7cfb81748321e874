"""A big import leaves the query planner statistics, so the first report after it is quick."""

from __future__ import annotations

from sqlalchemy import text

from inventory.db import STATISTICS_AFTER_ROWS
from inventory.imports import import_file
from tests.import_helpers import csv_bytes, device


def _events_known(session) -> float:
    """How many events the planner believes the table holds (0 when it was never told)."""
    if session.get_bind().dialect.name == "sqlite":
        analysed = session.execute(
            text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        ).scalar()
        if not analysed:
            return 0
        # Each index's first figure estimates the rows (from a sample of each index).
        stats = session.scalars(text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'events'"))
        return max((float(stat.split()[0]) for stat in stats), default=0)
    # TRUNCATE between tests resets the estimate; only an analysis sets it again.
    return max(
        0.0,
        session.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'events'")).scalar(),
    )


def test_a_big_import_tells_the_planner_how_many_rows_it_brought(session):
    assert _events_known(session) < STATISTICS_AFTER_ROWS
    rows = csv_bytes(device(f"STAT{number:06d}") for number in range(STATISTICS_AFTER_ROWS))
    report = import_file(session, "devices", rows, "big.csv", entered_by=None)
    assert report.ok, report.errors[:3]
    session.commit()
    # Each imported device that was sold has four events (intake, graded, ready, sold);
    # SQLite's sampled estimate may be off, not by half.
    assert _events_known(session) >= 2 * STATISTICS_AFTER_ROWS
