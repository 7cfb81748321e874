"""Indexes for the repairs appendix of the impact report: was a device repaired before ready?

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-23
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The covering index below starts with the same column: this one would only cost writes.
    op.drop_index("ix_repair_actions_occurred_at", table_name="repair_actions")
    # The year's repairs counted by month, fault, action, device and minutes, and joined to
    # their parts, from the index alone.
    op.create_index(
        "ix_repair_actions_occurred_at_figures",
        "repair_actions",
        ["occurred_at", "device_id", "fault", "action", "minutes", "id"],
    )
    # For each entry into ready of the year: a repair of the device before it, and its cycle,
    # read from the index alone.
    op.create_index(
        "ix_repair_actions_device_id_occurred_at",
        "repair_actions",
        ["device_id", "occurred_at", "cycle"],
    )


def downgrade() -> None:
    op.drop_index("ix_repair_actions_device_id_occurred_at", table_name="repair_actions")
    op.drop_index("ix_repair_actions_occurred_at_figures", table_name="repair_actions")
    op.create_index("ix_repair_actions_occurred_at", "repair_actions", ["occurred_at"])
