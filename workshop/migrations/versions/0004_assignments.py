"""Assignments: a device given to a technician for its current stage.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("technician_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        timestamp("started_at"),
        timestamp("ended_at", nullable=True),
        sa.Column("end_reason", sa.String(20), nullable=True),
        sa.CheckConstraint(
            "end_reason IS NULL OR end_reason IN ('released', 'reassigned', 'finished')",
            name="ck_assignments_end_reason_known",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name="fk_assignments_device_id_devices"
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"], ["users.id"], name="fk_assignments_technician_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"], ["users.id"], name="fk_assignments_assigned_by_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_assignments"),
    )
    # Partial: ended assignments are history, only the active one must be unique.
    op.create_index(
        "ux_assignments_active_device",
        "assignments",
        ["device_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_index(
        "ix_assignments_technician_id_ended_at", "assignments", ["technician_id", "ended_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_assignments_technician_id_ended_at", table_name="assignments")
    op.drop_index("ux_assignments_active_device", table_name="assignments")
    op.drop_table("assignments")
