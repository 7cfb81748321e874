"""Drives destroyed instead of erased: erasure records with the method DESTROY (NIST Destroy),
how the drive was destroyed, the destruction's reference, and whether another replaced it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TABLE = "erasure_records"
DESTRUCTIONS = "('shredded', 'crushed', 'drilled', 'disintegrated', 'incinerated')"
# IS NOT NULL first: a NULL in IN would make the whole check unknown, and unknown passes.
CONSISTENT = (
    "(method = 'DESTROY' AND nist_category = 'Destroy' AND destruction IS NOT NULL AND "
    f"destruction IN {DESTRUCTIONS}) OR "
    "(method <> 'DESTROY' AND nist_category <> 'Destroy' AND destruction IS NULL)"
)
# (name, before, after) of the checks that learn the new method and category.
CHECKS = (
    (
        "ck_erasure_records_method_known",
        "method IN ('OVERWRITE', 'CRYPTO', 'SANITIZE')",
        "method IN ('OVERWRITE', 'CRYPTO', 'SANITIZE', 'DESTROY')",
    ),
    (
        "ck_erasure_records_nist_category_known",
        "nist_category IN ('Clear', 'Purge')",
        "nist_category IN ('Clear', 'Purge', 'Destroy')",
    ),
)


def _columns() -> list[sa.Column]:
    # Existing rows are erasures: no destruction, no reference, nothing replaced.
    return [
        sa.Column("destruction", sa.String(20), nullable=True),
        sa.Column("reference", sa.String(200), nullable=False, server_default=""),
        sa.Column("replaced", sa.Boolean(), nullable=False, server_default=sa.false()),
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite changes a CHECK or a column's type only by copying the table: batch mode
        # (workshop/migrate.py runs it with foreign keys off).
        with op.batch_alter_table(TABLE) as batch:
            for column in _columns():
                batch.add_column(column)
            batch.alter_column(
                "nist_category", type_=sa.String(10), existing_type=sa.String(5), nullable=False
            )
            for name, _before, after in CHECKS:
                batch.drop_constraint(name, type_="check")
                batch.create_check_constraint(name, sa.text(after))
            batch.create_check_constraint(
                "ck_erasure_records_destruction_consistent", sa.text(CONSISTENT)
            )
    else:
        for column in _columns():
            op.add_column(TABLE, column)
        op.alter_column(
            TABLE,
            "nist_category",
            type_=sa.String(10),
            existing_type=sa.String(5),
            existing_nullable=False,
        )
        for name, _before, after in CHECKS:
            op.drop_constraint(name, TABLE, type_="check")
            op.create_check_constraint(name, TABLE, sa.text(after))
        op.create_check_constraint(
            "ck_erasure_records_destruction_consistent", TABLE, sa.text(CONSISTENT)
        )
    # Partial: erasures of one drive may repeat (erased again), a destruction may not.
    op.create_index(
        "ux_erasure_records_destroyed_drive",
        TABLE,
        ["device_id", "cycle", "drive_serial"],
        unique=True,
        sqlite_where=sa.text("method = 'DESTROY'"),
        postgresql_where=sa.text("method = 'DESTROY'"),
    )


def downgrade() -> None:
    op.drop_index("ux_erasure_records_destroyed_drive", table_name=TABLE)
    # The older schema cannot hold a destroyed drive. Each one's `drive_destroyed` event keeps
    # everything it said (the events are append-only), so the rows can be rebuilt from there.
    op.execute("DELETE FROM erasure_records WHERE method = 'DESTROY'")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(TABLE) as batch:
            batch.drop_constraint("ck_erasure_records_destruction_consistent", type_="check")
            for name, before, _after in CHECKS:
                batch.drop_constraint(name, type_="check")
                batch.create_check_constraint(name, sa.text(before))
            batch.alter_column(
                "nist_category", type_=sa.String(5), existing_type=sa.String(10), nullable=False
            )
            for column in reversed(_columns()):
                batch.drop_column(column.name)
    else:
        op.drop_constraint("ck_erasure_records_destruction_consistent", TABLE, type_="check")
        for name, before, _after in CHECKS:
            op.drop_constraint(name, TABLE, type_="check")
            op.create_check_constraint(name, TABLE, sa.text(before))
        op.alter_column(
            TABLE,
            "nist_category",
            type_=sa.String(5),
            existing_type=sa.String(10),
            existing_nullable=False,
        )
        for column in reversed(_columns()):
            op.drop_column(TABLE, column.name)
