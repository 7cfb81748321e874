"""Indexes for the stage board: the devices waiting in a stage, oldest first.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The board counts and lists the devices stuck in a stage since before a
    # date; with the date in the index neither reads the devices themselves.
    op.create_index("ix_devices_stage_stage_entered_at", "devices", ["stage", "stage_entered_at"])


def downgrade() -> None:
    op.drop_index("ix_devices_stage_stage_entered_at", table_name="devices")
