"""Migration 0017: erasure records kept as they were, destroyed drives taken and held to their
rules by the database, and back down to 0016 and up again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError

from diagnostics import records
from inventory.db import make_sessionmaker
from inventory.intake import receive_device
from inventory.models import Device, ErasureRecord
from inventory.types import UTCDateTime
from tests.test_migrations import differences, empty_engine  # noqa: F401  (a fixture)
from workshop.migrate import downgrade, upgrade

WHEN = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
# The table as 0016 has it: the columns an erasure of that time was written with.
ERASURES_0016 = sa.table(
    "erasure_records",
    *(
        sa.column(name)
        for name in (
            "device_id",
            "cycle",
            "run_id",
            "drive_model",
            "drive_serial",
            "capacity_bytes",
            "drive_type",
            "method",
            "nist_category",
            "tool",
            "operator_id",
            "verified",
            "verification",
            "manual",
            "log",
            "recorded_by_id",
        )
    ),  # fmt: skip
    sa.column("started_at", UTCDateTime()),
    sa.column("ended_at", UTCDateTime()),
    sa.column("recorded_at", UTCDateTime()),
)


def erasure_0016(engine: Engine, device_id: int, serial: str, **changes) -> None:
    row = {
        "device_id": device_id, "cycle": 1, "run_id": None, "drive_model": "WDC WD5000",
        "drive_serial": serial, "capacity_bytes": 500_107_862_016, "drive_type": "HDD",
        "method": "OVERWRITE", "nist_category": "Clear", "tool": "ShredOS nwipe 0.34",
        "operator_id": None, "verified": True, "verification": "PASS", "manual": True,
        "log": "nwipe: verified", "recorded_by_id": None, "started_at": WHEN, "ended_at": WHEN,
        "recorded_at": WHEN,
    }  # fmt: skip
    with engine.begin() as connection:
        connection.execute(sa.insert(ERASURES_0016).values(row | changes))


def refused(engine: Engine, device_id: int, **changes) -> bool:
    """True when the database refuses an erasure record with these values."""
    try:
        erasure_0016(engine, device_id, "REFUSED", **changes)
    except (IntegrityError, DataError):
        return True
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM erasure_records WHERE drive_serial = 'REFUSED'"))
    return False


def test_0017_keeps_the_erasures_takes_destroyed_drives_and_goes_down_again(empty_engine):  # noqa: F811
    upgrade(empty_engine, "0016")
    sessions = make_sessionmaker(empty_engine)
    with sessions() as session:
        device_id = receive_device(
            session, serial_number="5CG0017", category="laptop", make="HP", model="840",
            entered_by=None,
        ).device.id  # fmt: skip
        session.commit()
    erasure_0016(empty_engine, device_id, "WD-OLD")

    upgrade(empty_engine)
    assert differences(empty_engine) == []
    with sessions() as session:
        old = session.scalars(select(ErasureRecord)).one()
        assert (old.drive_serial, old.method, old.verified, old.manual) == (
            "WD-OLD",
            "OVERWRITE",
            True,
            True,
        )
        assert (old.destruction, old.reference, old.replaced, old.destroyed) == (
            None,
            "",
            False,
            False,
        )
        destroyed = records.record_destroyed_drive(
            session, session.get(Device, device_id), drive_serial="WD-GONE",
            drive_model="Seagate", capacity_bytes=10**12, drive_type="HDD",
            destruction="disintegrated", replaced=True, reference="CD-4471", entered_by=None,
        )  # fmt: skip
        session.commit()
        assert (destroyed.nist_category, destroyed.reference) == ("Destroy", "CD-4471")

    # The database holds a destroyed drive to its rules, whatever writes to it.
    for bad in (
        {"method": "DESTROY", "nist_category": "Destroy"},  # destroyed, but how?
        {"method": "DESTROY", "nist_category": "Purge"},
        {"method": "OVERWRITE", "nist_category": "Destroy"},
        {"method": "HAMMER"},
    ):
        assert refused(empty_engine, device_id, **bad), bad
    with empty_engine.begin() as connection:
        extra = "UPDATE erasure_records SET destruction = 'crushed' WHERE drive_serial = 'WD-OLD'"
        with pytest.raises(IntegrityError):
            connection.execute(text(extra))
    assert not refused(empty_engine, device_id, method="CRYPTO", nist_category="Purge")

    # Down to 0016: the destroyed drive cannot be held there (its event keeps it), the rest is.
    downgrade(empty_engine, "0016")
    columns = {column["name"] for column in inspect(empty_engine).get_columns("erasure_records")}
    assert not {"destruction", "reference", "replaced"} & columns
    with empty_engine.connect() as connection:
        kept = connection.execute(text("SELECT drive_serial, method FROM erasure_records")).all()
        kinds = connection.execute(text("SELECT kind FROM events ORDER BY id")).scalars().all()
    assert [tuple(row) for row in kept] == [("WD-OLD", "OVERWRITE")]
    assert kinds[-1] == "drive_destroyed"
    # The older checks are back.
    assert refused(empty_engine, device_id, method="DESTROY", nist_category="Purge")
    assert refused(empty_engine, device_id, nist_category="Destroy")

    upgrade(empty_engine)
    assert differences(empty_engine) == []
