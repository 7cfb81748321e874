"""Issued certificates: the SHA-256 of each erasure certificate handed out, and what it covers.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column(
            "covers",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('device', 'lot')", name="ck_certificates_kind_known"),
        sa.CheckConstraint(
            "(kind = 'device' AND device_id IS NOT NULL) OR (kind = 'lot' AND lot_id IS NOT NULL)",
            name="ck_certificates_subject_given",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name="fk_certificates_device_id_devices"
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name="fk_certificates_lot_id_lots"),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name="fk_certificates_issued_by_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_certificates"),
        sa.UniqueConstraint("number", name="uq_certificates_number"),
        sa.UniqueConstraint("sha256", name="uq_certificates_sha256"),
    )
    op.create_index("ix_certificates_device_id", "certificates", ["device_id"])
    op.create_index("ix_certificates_lot_id", "certificates", ["lot_id"])


def downgrade() -> None:
    op.drop_index("ix_certificates_lot_id", table_name="certificates")
    op.drop_index("ix_certificates_device_id", table_name="certificates")
    op.drop_table("certificates")
