"""Bench jobs: scripts asked of a workstation's bench, claimed and run by its bench agent.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "bench_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("script", sa.String(40), nullable=False),
        sa.Column("station", sa.String(64), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        timestamp("requested_at"),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        timestamp("claimed_at", nullable=True),
        timestamp("heartbeat_at", nullable=True),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("message", sa.String(200), nullable=False),
        sa.Column("abort_requested", sa.Boolean(), nullable=False),
        timestamp("ended_at", nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'done', 'cancelled', 'lost')",
            name="ck_bench_jobs_state_known",
        ),
        sa.CheckConstraint(
            "percent IS NULL OR percent BETWEEN 0 AND 100", name="ck_bench_jobs_percent_in_range"
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name="fk_bench_jobs_device_id_devices"
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name="fk_bench_jobs_requested_by_id_users"
        ),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name="fk_bench_jobs_agent_id_users"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["diagnostic_runs.id"], name="fk_bench_jobs_run_id_diagnostic_runs"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_bench_jobs"),
    )
    # An agent looks for the oldest queued job of its station.
    op.create_index("ix_bench_jobs_station_state", "bench_jobs", ["station", "state"])
    # The work card shows a device's jobs, the newest first.
    op.create_index(
        "ix_bench_jobs_device_id_requested_at", "bench_jobs", ["device_id", "requested_at"]
    )
    op.create_index("ix_bench_jobs_run_id", "bench_jobs", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_bench_jobs_run_id", table_name="bench_jobs")
    op.drop_index("ix_bench_jobs_device_id_requested_at", table_name="bench_jobs")
    op.drop_index("ix_bench_jobs_station_state", table_name="bench_jobs")
    op.drop_table("bench_jobs")
