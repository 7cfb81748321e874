"""Staff records, employment periods, insertion, skills, disability recognitions, impact figures.

Also the event log's indexes for the yearly figures: the device joins the (kind, time)
and (stage, time) indexes, so a year's events are counted from the index alone, and a
small index holds each device's entries into ready.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CONTRACTS = (
    "'permanent', 'fixed_term', 'insertion', 'apprentice', 'subsidised', 'intern', 'volunteer'"
)
OUTCOMES = "'durable_employment', 'transition_employment', 'training', 'other'"


def timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_number", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        timestamp("created_at"),
        timestamp("updated_at"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_staff_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_staff"),
        sa.UniqueConstraint("staff_number", name="uq_staff_staff_number"),
    )
    op.create_index("ux_staff_user_id", "staff", ["user_id"], unique=True)
    op.create_table(
        "employments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("hired_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("contract", sa.String(20), nullable=False),
        sa.Column("fte", sa.Numeric(4, 3), nullable=False),
        timestamp("created_at"),
        timestamp("updated_at"),
        sa.CheckConstraint(f"contract IN ({CONTRACTS})", name="ck_employments_contract_known"),
        sa.CheckConstraint("fte >= 0 AND fte <= 1", name="ck_employments_fte_in_range"),
        sa.CheckConstraint(
            "left_on IS NULL OR left_on >= hired_on", name="ck_employments_left_after_hired"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["staff.id"], name="fk_employments_person_id_staff"),
        sa.PrimaryKeyConstraint("id", name="pk_employments"),
    )
    op.create_index("ix_employments_person_id_hired_on", "employments", ["person_id", "hired_on"])
    op.create_table(
        "insertion_programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column("exited_on", sa.Date(), nullable=True),
        sa.Column("exit_outcome", sa.String(30), nullable=True),
        timestamp("updated_at"),
        sa.CheckConstraint(
            f"exit_outcome IS NULL OR exit_outcome IN ({OUTCOMES})",
            name="ck_insertion_programmes_exit_outcome_known",
        ),
        sa.CheckConstraint(
            "exited_on IS NULL OR exited_on >= entered_on",
            name="ck_insertion_programmes_exit_after_entry",
        ),
        sa.CheckConstraint(
            "exit_outcome IS NULL OR exited_on IS NOT NULL",
            name="ck_insertion_programmes_outcome_has_exit",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["staff.id"], name="fk_insertion_programmes_person_id_staff"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_insertion_programmes"),
    )
    op.create_index("ix_insertion_programmes_person_id", "insertion_programmes", ["person_id"])
    op.create_table(
        "skills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("level", sa.String(12), nullable=False),
        timestamp("updated_at"),
        sa.CheckConstraint(
            "level IN ('learning', 'autonomous', 'trainer')", name="ck_skills_level_known"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["staff.id"], name="fk_skills_person_id_staff"),
        sa.PrimaryKeyConstraint("id", name="pk_skills"),
        sa.UniqueConstraint("person_id", "stage", name="uq_skills_person_id_stage"),
    )
    op.create_table(
        "disability_recognitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        timestamp("recorded_at"),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from",
            name="ck_disability_recognitions_until_after_from",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["staff.id"], name="fk_disability_recognitions_person_id_staff"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name="fk_disability_recognitions_recorded_by_id_users",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_disability_recognitions"),
    )
    op.create_index(
        "ix_disability_recognitions_person_id", "disability_recognitions", ["person_id"]
    )
    op.create_table(
        "health_data_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reader_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(40), nullable=False),
        timestamp("read_at"),
        sa.ForeignKeyConstraint(
            ["reader_id"], ["users.id"], name="fk_health_data_reads_reader_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["staff.id"], name="fk_health_data_reads_person_id_staff"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_health_data_reads"),
    )
    op.create_index("ix_health_data_reads_person_id", "health_data_reads", ["person_id"])
    op.create_index("ix_health_data_reads_read_at", "health_data_reads", ["read_at"])
    op.create_table(
        "impact_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        timestamp("published_at"),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("events_hash", sa.String(64), nullable=False),
        sa.Column("events_count", sa.Integer(), nullable=False),
        sa.Column("staff_hash", sa.String(64), nullable=False),
        sa.Column(
            "figures",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["users.id"], name="fk_impact_publications_published_by_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_impact_publications"),
        sa.UniqueConstraint("year", name="uq_impact_publications_year"),
    )

    op.create_index(
        "ix_events_kind_occurred_at_device_id", "events", ["kind", "occurred_at", "device_id"]
    )
    op.drop_index("ix_events_kind_occurred_at", table_name="events")
    op.create_index(
        "ix_events_to_stage_occurred_at_device_id",
        "events",
        ["to_stage", "occurred_at", "device_id"],
    )
    op.drop_index("ix_events_to_stage_occurred_at", table_name="events")
    op.create_index(
        "ix_events_ready_device_id_occurred_at",
        "events",
        ["device_id", "occurred_at"],
        sqlite_where=sa.text("to_stage = 'ready'"),
        postgresql_where=sa.text("to_stage = 'ready'"),
    )
    op.create_index(
        "ix_events_donations_occurred_at",
        "events",
        ["occurred_at", "device_id"],
        sqlite_where=sa.text(
            "to_stage = 'sold' AND json_extract(payload, '$.channel') = 'donation'"
        ),
        postgresql_where=sa.text("to_stage = 'sold' AND (payload ->> 'channel') = 'donation'"),
    )


def downgrade() -> None:
    op.drop_index("ix_events_donations_occurred_at", table_name="events")
    op.drop_index("ix_events_ready_device_id_occurred_at", table_name="events")
    op.create_index("ix_events_to_stage_occurred_at", "events", ["to_stage", "occurred_at"])
    op.drop_index("ix_events_to_stage_occurred_at_device_id", table_name="events")
    op.create_index("ix_events_kind_occurred_at", "events", ["kind", "occurred_at"])
    op.drop_index("ix_events_kind_occurred_at_device_id", table_name="events")
    op.drop_table("impact_publications")
    op.drop_index("ix_health_data_reads_read_at", table_name="health_data_reads")
    op.drop_index("ix_health_data_reads_person_id", table_name="health_data_reads")
    op.drop_table("health_data_reads")
    op.drop_index("ix_disability_recognitions_person_id", table_name="disability_recognitions")
    op.drop_table("disability_recognitions")
    op.drop_table("skills")
    op.drop_index("ix_insertion_programmes_person_id", table_name="insertion_programmes")
    op.drop_table("insertion_programmes")
    op.drop_index("ix_employments_person_id_hired_on", table_name="employments")
    op.drop_table("employments")
    op.drop_index("ux_staff_user_id", table_name="staff")
    op.drop_table("staff")
