"""Staff badges and PINs for workbench terminals.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Added nullable or with a default, so SQLite adds them in place: users is
# referenced by nearly every table, and copying it is best left to downgrades.
COLUMNS = ("badge_code", "pin_hash", "pin_failures", "badge_locked_until")


def upgrade() -> None:
    op.add_column("users", sa.Column("badge_code", sa.String(16), nullable=True))
    op.add_column("users", sa.Column("pin_hash", sa.String(255), nullable=True))
    op.add_column(
        "users", sa.Column("pin_failures", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "users", sa.Column("badge_locked_until", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index("ux_users_badge_code", "users", ["badge_code"], unique=True)
    op.execute("INSERT INTO counters (name, value) VALUES ('staff_badge', 0)")


def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE name = 'staff_badge'")
    op.drop_index("ux_users_badge_code", table_name="users")
    if op.get_bind().dialect.name == "sqlite":
        # Batch mode copies the table (workshop/migrate.py runs it with foreign keys off).
        with op.batch_alter_table("users") as batch:
            for column in reversed(COLUMNS):
                batch.drop_column(column)
    else:
        for column in reversed(COLUMNS):
            op.drop_column("users", column)
