"""The migrations build exactly what the models describe, and go down again cleanly."""

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from inventory.db import Base, make_engine
from tests.conftest import TEST_DATABASE_URL
from workshop.migrate import downgrade, upgrade

SCHEMA = "migration_check"


@pytest.fixture
def empty_engine(tmp_path) -> Iterator[Engine]:
    """An empty database: a new SQLite file, or a schema of its own on PostgreSQL."""
    if not TEST_DATABASE_URL:
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    admin = make_engine(TEST_DATABASE_URL)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine = make_engine(TEST_DATABASE_URL, connect_args={"options": f"-csearch_path={SCHEMA}"})
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))
    admin.dispose()


def differences(engine: Engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_a_migrated_database_matches_the_models(empty_engine):
    upgrade(empty_engine)
    assert differences(empty_engine) == []


def test_downgrade_to_nothing_and_up_again_ends_identical(empty_engine):
    upgrade(empty_engine)
    before = sorted(inspect(empty_engine).get_table_names())
    downgrade(empty_engine, "base")
    assert inspect(empty_engine).get_table_names() == ["alembic_version"]
    upgrade(empty_engine)
    assert sorted(inspect(empty_engine).get_table_names()) == before
    assert differences(empty_engine) == []


def test_the_asset_tag_counter_is_seeded(empty_engine):
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        value = connection.execute(text("SELECT value FROM counters WHERE name = 'asset_tag'"))
        assert value.scalar_one() == 0


def test_a_populated_database_goes_down_and_up_again_with_its_devices(empty_engine):
    from inventory.db import make_sessionmaker
    from inventory.intake import receive_device
    from inventory.stages import move_to_stage

    upgrade(empty_engine)
    with make_sessionmaker(empty_engine)() as session:
        device = receive_device(
            session,
            serial_number="5CG7",
            category="laptop",
            make="HP",
            model="840 G5",
            entered_by=None,
        ).device
        move_to_stage(session, device, "triage", entered_by=None)
        session.commit()
    downgrade(empty_engine, "0001")
    upgrade(empty_engine)
    assert differences(empty_engine) == []
    with empty_engine.connect() as connection:
        counts = connection.execute(
            text("SELECT (SELECT count(*) FROM devices), (SELECT count(*) FROM events)")
        ).one()
    assert tuple(counts) == (1, 2)
