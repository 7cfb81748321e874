"""An index for the board's sold and recycled lately, counted per stage and category.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Each (stage, category) pair is then one range of dates, read from the index alone.
    op.create_index(
        "ix_devices_stage_category_stage_entered_at",
        "devices",
        ["stage", "category", "stage_entered_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_devices_stage_category_stage_entered_at", table_name="devices")
