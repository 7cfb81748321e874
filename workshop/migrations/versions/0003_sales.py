"""Sales: orders and their lines; returns.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sale_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        timestamp("created_at"),
        timestamp("completed_at", nullable=True),
        sa.CheckConstraint(
            "channel IN ('shop', 'b2b', 'online', 'donation')",
            name="ck_sale_orders_channel_known",
        ),
        sa.CheckConstraint(
            "status IN ('open', 'completed', 'cancelled')", name="ck_sale_orders_status_known"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name="fk_sale_orders_created_by_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sale_orders"),
    )
    op.create_index("ix_sale_orders_status_id", "sale_orders", ["status", "id"])
    op.create_table(
        "sale_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
        timestamp("added_at"),
        sa.CheckConstraint("price >= 0", name="ck_sale_lines_price_not_negative"),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name="fk_sale_lines_device_id_devices"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sale_orders.id"], name="fk_sale_lines_order_id_sale_orders"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sale_lines"),
        sa.UniqueConstraint("order_id", "device_id", name="uq_sale_lines_order_id_device_id"),
    )
    op.create_index("ix_sale_lines_device_id", "sale_lines", ["device_id"])
    op.create_index("ix_sale_lines_order_id", "sale_lines", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_sale_lines_order_id", table_name="sale_lines")
    op.drop_index("ix_sale_lines_device_id", table_name="sale_lines")
    op.drop_table("sale_lines")
    op.drop_index("ix_sale_orders_status_id", table_name="sale_orders")
    op.drop_table("sale_orders")
