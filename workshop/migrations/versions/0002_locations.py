"""Locations: shelves, bins and pallets, and where each device is.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('shelf', 'bin', 'pallet', 'area')", name="ck_locations_kind_known"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_locations"),
        sa.UniqueConstraint("code", name="uq_locations_code"),
    )
    op.execute("INSERT INTO counters (name, value) VALUES ('location_code', 0)")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a nullable column with its reference in place. Batch mode
        # would copy the table and drop the old one, which foreign keys refuse
        # as soon as a device has identifiers or events.
        op.execute(
            "ALTER TABLE devices ADD COLUMN location_id INTEGER "
            "CONSTRAINT fk_devices_location_id_locations REFERENCES locations (id)"
        )
    else:
        op.add_column("devices", sa.Column("location_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_devices_location_id_locations", "devices", "locations", ["location_id"], ["id"]
        )
    op.create_index("ix_devices_location_id", "devices", ["location_id"])


def downgrade() -> None:
    op.drop_index("ix_devices_location_id", "devices")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite has no DROP COLUMN for a column with a reference: batch mode
        # copies the table (workshop/migrate.py runs it with foreign keys off).
        with op.batch_alter_table("devices") as batch:
            batch.drop_column("location_id")
    else:
        op.drop_constraint("fk_devices_location_id_locations", "devices", type_="foreignkey")
        op.drop_column("devices", "location_id")
    op.execute("DELETE FROM counters WHERE name = 'location_code'")
    op.drop_table("locations")
