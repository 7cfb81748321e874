"""Coded cosmetic defects and the grades they give.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    # The catalogue of defect codes is kept in inventory/grading.py, not in a table:
    # only the codes found on each device are stored.
    op.create_table(
        "gradings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("computed_grade", sa.String(1), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        timestamp("recorded_at"),
        sa.Column("override_grade", sa.String(1), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("overridden_by_id", sa.Integer(), nullable=True),
        timestamp("overridden_at", nullable=True),
        sa.CheckConstraint(
            "computed_grade IN ('A', 'B', 'C')", name="ck_gradings_computed_grade_known"
        ),
        sa.CheckConstraint(
            "override_grade IS NULL OR override_grade IN ('A', 'B', 'C')",
            name="ck_gradings_override_grade_known",
        ),
        sa.CheckConstraint(
            "override_grade IS NULL OR override_reason IS NOT NULL",
            name="ck_gradings_override_has_reason",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name="fk_gradings_device_id_devices"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name="fk_gradings_recorded_by_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["overridden_by_id"], ["users.id"], name="fk_gradings_overridden_by_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_gradings"),
        sa.UniqueConstraint("device_id", "cycle", name="uq_gradings_device_id_cycle"),
    )
    op.create_table(
        "grading_defects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grading_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(
            ["grading_id"], ["gradings.id"], name="fk_grading_defects_grading_id_gradings"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_grading_defects"),
        sa.UniqueConstraint("grading_id", "code", name="uq_grading_defects_grading_id_code"),
    )


def downgrade() -> None:
    op.drop_table("grading_defects")
    op.drop_table("gradings")
