"""Core: users and tokens, lots, devices and identifiers, the event log, the scan log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_counters"),
    )
    op.execute("INSERT INTO counters (name, value) VALUES ('asset_tag', 0)")
    op.create_table(
        "lots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("donor", sa.String(200), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_lots"),
        sa.UniqueConstraint("code", name="uq_lots_code"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        timestamp("created_at"),
        timestamp("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_api_tokens_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_tag", sa.String(16), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("make", sa.String(100), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("specs", JSON, nullable=False),
        sa.Column("weight_kg", sa.Numeric(8, 3), nullable=True),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(20), nullable=False),
        timestamp("stage_entered_at"),
        sa.Column("grade", sa.String(1), nullable=True),
        sa.Column("cycle", sa.Integer(), nullable=False),
        timestamp("received_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "grade IS NULL OR grade IN ('A', 'B', 'C')", name="ck_devices_grade_known"
        ),
        sa.CheckConstraint(
            "weight_kg IS NULL OR weight_kg >= 0", name="ck_devices_weight_not_negative"
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name="fk_devices_lot_id_lots"),
        sa.PrimaryKeyConstraint("id", name="pk_devices"),
        sa.UniqueConstraint("asset_tag", name="uq_devices_asset_tag"),
    )
    op.create_index("ix_devices_lot_id", "devices", ["lot_id"])
    op.create_index("ix_devices_make_model", "devices", ["make", "model"])
    op.create_index("ix_devices_stage", "devices", ["stage"])
    op.create_index("ix_devices_stage_category", "devices", ["stage", "category"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("from_stage", sa.String(20), nullable=True),
        sa.Column("to_stage", sa.String(20), nullable=True),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("performed_by_id", sa.Integer(), nullable=True),
        timestamp("occurred_at"),
        timestamp("recorded_at"),
        sa.Column("payload", JSON, nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name="fk_events_device_id_devices"),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["users.id"], name="fk_events_entered_by_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["performed_by_id"], ["users.id"], name="fk_events_performed_by_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_device_id_id", "events", ["device_id", "id"])
    op.create_index("ix_events_kind_occurred_at", "events", ["kind", "occurred_at"])
    op.create_index("ix_events_to_stage_occurred_at", "events", ["to_stage", "occurred_at"])
    op.create_table(
        "identifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.String(100), nullable=False),
        timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name="fk_identifiers_device_id_devices"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_identifiers"),
        sa.UniqueConstraint("kind", "value", name="uq_identifiers_kind_value"),
    )
    op.create_index("ix_identifiers_device_id", "identifiers", ["device_id"])
    op.create_index("ix_identifiers_value", "identifiers", ["value"])
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(200), nullable=False),
        sa.Column("station", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        timestamp("scanned_at"),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name="fk_scans_device_id_devices"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_scans_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_scans"),
    )
    op.create_index("ix_scans_scanned_at", "scans", ["scanned_at"])
    op.create_index("ix_scans_user_id_id", "scans", ["user_id", "id"])
    _forbid_event_changes()


def _forbid_event_changes() -> None:
    """The event log is append-only: the database itself refuses UPDATE and DELETE."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'events are append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION events_append_only()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{operation.lower()} BEFORE {operation} ON events "
                f"BEGIN SELECT RAISE(ABORT, 'events are append-only: {operation} refused'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER events_append_only ON events")
        op.execute("DROP FUNCTION events_append_only()")
    else:
        op.execute("DROP TRIGGER events_no_update")
        op.execute("DROP TRIGGER events_no_delete")
    for table in ("scans", "identifiers", "events", "devices", "api_tokens", "users", "lots"):
        op.drop_table(table)
    op.drop_table("counters")
