"""Diagnostic runs on the test benches, their measurements, erasure records and limits.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def user(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["users.id"], name=f"fk_{table}_{column}_users")


def device(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["device_id"], ["devices.id"], name=f"fk_{table}_device_id_devices"
    )


def upgrade() -> None:
    op.create_table(
        "diagnostic_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("script", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("bench_maker", sa.String(100), nullable=False),
        sa.Column("bench_model", sa.String(40), nullable=False),
        sa.Column("bench_serial", sa.String(100), nullable=False),
        sa.Column("bench_firmware", sa.String(40), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("station", sa.String(64), nullable=False),
        timestamp("started_at"),
        timestamp("ended_at", nullable=True),
        sa.Column("limits", JSON, nullable=False),
        sa.Column("steps", JSON, nullable=False),
        sa.Column("drives", JSON, nullable=False),
        sa.Column("transcript", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('pass', 'fail', 'error', 'timeout', 'aborted')",
            name="ck_diagnostic_runs_outcome_known",
        ),
        device("diagnostic_runs"),
        user("diagnostic_runs", "operator_id"),
        sa.PrimaryKeyConstraint("id", name="pk_diagnostic_runs"),
    )
    # The gate reads a device's latest run of each script in its cycle.
    op.create_index(
        "ix_diagnostic_runs_device_id_cycle_script",
        "diagnostic_runs",
        ["device_id", "cycle", "script"],
    )
    # Runs left open by a dead process are found by their start.
    op.create_index(
        "ix_diagnostic_runs_ended_at_started_at", "diagnostic_runs", ["ended_at", "started_at"]
    )
    op.create_table(
        "diagnostic_measurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("low", sa.Float(), nullable=True),
        sa.Column("high", sa.Float(), nullable=True),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('pass', 'fail', 'not_measured')",
            name="ck_diagnostic_measurements_outcome_known",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["diagnostic_runs.id"],
            name="fk_diagnostic_measurements_run_id_diagnostic_runs",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_diagnostic_measurements"),
    )
    op.create_index("ix_diagnostic_measurements_run_id", "diagnostic_measurements", ["run_id"])
    op.create_table(
        "erasure_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("drive_model", sa.String(200), nullable=False),
        sa.Column("drive_serial", sa.String(100), nullable=False),
        sa.Column("capacity_bytes", sa.BigInteger(), nullable=False),
        sa.Column("drive_type", sa.String(4), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("nist_category", sa.String(5), nullable=False),
        sa.Column("tool", sa.String(200), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        timestamp("started_at"),
        timestamp("ended_at"),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("verification", sa.Text(), nullable=False),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("log", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        timestamp("recorded_at"),
        sa.CheckConstraint(
            "drive_type IN ('HDD', 'SSD', 'NVME')", name="ck_erasure_records_drive_type_known"
        ),
        sa.CheckConstraint(
            "method IN ('OVERWRITE', 'CRYPTO', 'SANITIZE')", name="ck_erasure_records_method_known"
        ),
        sa.CheckConstraint(
            "nist_category IN ('Clear', 'Purge')", name="ck_erasure_records_nist_category_known"
        ),
        sa.CheckConstraint("capacity_bytes >= 0", name="ck_erasure_records_capacity_not_negative"),
        device("erasure_records"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["diagnostic_runs.id"], name="fk_erasure_records_run_id_diagnostic_runs"
        ),
        user("erasure_records", "operator_id"),
        user("erasure_records", "recorded_by_id"),
        sa.PrimaryKeyConstraint("id", name="pk_erasure_records"),
    )
    op.create_index("ix_erasure_records_device_id_cycle", "erasure_records", ["device_id", "cycle"])
    op.create_index("ix_erasure_records_run_id", "erasure_records", ["run_id"])
    op.create_table(
        "no_storage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("declared_by_id", sa.Integer(), nullable=True),
        timestamp("declared_at"),
        sa.Column("event_id", sa.Integer(), nullable=False),
        device("no_storage"),
        user("no_storage", "declared_by_id"),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name="fk_no_storage_event_id_events"),
        sa.PrimaryKeyConstraint("id", name="pk_no_storage"),
        sa.UniqueConstraint("device_id", "cycle", name="uq_no_storage_device_id_cycle"),
    )
    op.create_table(
        "diagnostic_limits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("script", sa.String(40), nullable=False),
        sa.Column("measurement", sa.String(60), nullable=False),
        sa.Column("low", sa.Float(), nullable=True),
        sa.Column("high", sa.Float(), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        timestamp("changed_at"),
        sa.CheckConstraint(
            "low IS NULL OR high IS NULL OR low <= high",
            name="ck_diagnostic_limits_low_not_above_high",
        ),
        user("diagnostic_limits", "changed_by_id"),
        sa.PrimaryKeyConstraint("id", name="pk_diagnostic_limits"),
        sa.UniqueConstraint(
            "category",
            "script",
            "measurement",
            name="uq_diagnostic_limits_category_script_measurement",
        ),
    )


def downgrade() -> None:
    op.drop_table("diagnostic_limits")
    op.drop_table("no_storage")
    op.drop_index("ix_erasure_records_run_id", table_name="erasure_records")
    op.drop_index("ix_erasure_records_device_id_cycle", table_name="erasure_records")
    op.drop_table("erasure_records")
    op.drop_index("ix_diagnostic_measurements_run_id", table_name="diagnostic_measurements")
    op.drop_table("diagnostic_measurements")
    op.drop_index("ix_diagnostic_runs_ended_at_started_at", table_name="diagnostic_runs")
    op.drop_index("ix_diagnostic_runs_device_id_cycle_script", table_name="diagnostic_runs")
    op.drop_table("diagnostic_runs")
