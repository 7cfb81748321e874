"""Station printers: the label printer, medium and format of each workstation.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "station_printers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station", sa.String(64), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("medium", sa.String(20), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("method IN ('lp', 'raw')", name="ck_station_printers_method_known"),
        sa.CheckConstraint("format IN ('pdf', 'zpl')", name="ck_station_printers_format_known"),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["users.id"], name="fk_station_printers_changed_by_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_station_printers"),
        sa.UniqueConstraint("station", name="uq_station_printers_station"),
    )


def downgrade() -> None:
    op.drop_table("station_printers")
