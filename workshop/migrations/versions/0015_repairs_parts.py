"""Repairs and spare parts: coded faults and actions, part kinds, fits, parts, repair actions.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-22
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

CATEGORIES = (
    "laptop",
    "desktop",
    "monitor",
    "phone",
    "tablet",
    "printer",
    "server",
    "network",
    "peripheral",
    "other",
)

# The lists a new workshop starts with, as they were when this migration was
# written (inventory/repairs.py and inventory/parts.py keep the same for re-seeding).
ACTIONS = (
    ("replaced", "Replaced", "Remplacé"),
    ("cleaned", "Cleaned", "Nettoyé"),
    ("reseated", "Reseated", "Remis en place"),
    ("upgraded", "Upgraded", "Amélioré"),
    ("reinstalled_os", "Reinstalled the operating system", "Système réinstallé"),
    ("no_fault_found", "No fault found", "Aucun défaut trouvé"),
)
FAULTS = {
    "laptop": (
        ("no_power", "No power", "Ne s'allume pas", ("charger",), ("battery",)),
        ("dead_battery", "Dead battery", "Batterie morte", (), ("battery",)),
        ("broken_screen", "Broken screen", "Écran cassé", ("screen",), ()),
        ("failing_disk", "Failing disk", "Disque défaillant", (), ("disk-health", "erasure")),
        ("missing_ram", "Missing or faulty memory", "Mémoire absente ou défectueuse", (), ()),
        ("keyboard_keys", "Keyboard keys", "Touches du clavier", ("keyboard",), ()),
        ("touchpad", "Touchpad", "Pavé tactile", ("touchpad",), ()),
        ("hinge", "Hinge", "Charnière", ("hinges",), ()),
        (
            "liquid_damage",
            "Liquid damage",
            "Dégât des eaux",
            ("keyboard", "touchpad", "usb_ports"),
            ("battery",),
        ),
        ("wifi", "Wi-Fi", "Wi-Fi", ("wifi",), ()),
        ("usb_ports", "USB ports", "Ports USB", ("usb_ports",), ()),
        ("webcam", "Webcam", "Webcam", ("webcam",), ()),
        (
            "sound",
            "Speakers or microphone",
            "Haut-parleurs ou micro",
            ("speakers", "microphone"),
            (),
        ),
        ("charger", "Charger", "Chargeur", ("charger",), ()),
        ("os_problem", "Operating system does not start", "Le système ne démarre pas", (), ()),
    ),
    "desktop": (
        ("no_power", "No power", "Ne s'allume pas", ("power",), ("psu",)),
        ("power_supply", "Power supply", "Alimentation", ("power",), ("psu",)),
        ("failing_disk", "Failing disk", "Disque défaillant", (), ("disk-health", "erasure")),
        ("missing_ram", "Missing or faulty memory", "Mémoire absente ou défectueuse", (), ()),
        ("fan_noise", "Noisy or dead fan", "Ventilateur bruyant ou mort", ("fans",), ()),
        ("usb_ports", "USB ports", "Ports USB", ("usb_ports",), ()),
        ("video_output", "Video output", "Sortie vidéo", ("video_outputs",), ()),
        ("network_port", "Network port", "Port réseau", ("network_port",), ()),
        ("os_problem", "Operating system does not start", "Le système ne démarre pas", (), ()),
    ),
    "monitor": (
        ("no_power", "No power", "Ne s'allume pas", ("power_cable",), ()),
        ("panel", "Damaged panel", "Dalle abîmée", ("panel",), ()),
        ("backlight", "Backlight", "Rétroéclairage", ("backlight",), ()),
        ("inputs", "Video inputs", "Entrées vidéo", ("inputs",), ()),
        ("stand", "Stand", "Pied", ("stand",), ()),
    ),
    "phone": (
        ("no_power", "No power", "Ne s'allume pas", ("battery", "charging_port"), ()),
        ("dead_battery", "Dead battery", "Batterie morte", ("battery",), ()),
        ("broken_screen", "Broken screen", "Écran cassé", ("screen_touch",), ()),
        ("charging_port", "Charging port", "Port de charge", ("charging_port",), ()),
        ("cameras", "Cameras", "Appareils photo", ("cameras",), ()),
        (
            "liquid_damage",
            "Liquid damage",
            "Dégât des eaux",
            ("screen_touch", "speaker_mic", "charging_port"),
            (),
        ),
        ("os_problem", "Operating system does not start", "Le système ne démarre pas", (), ()),
    ),
    "tablet": (
        ("no_power", "No power", "Ne s'allume pas", ("battery", "charging_port"), ()),
        ("dead_battery", "Dead battery", "Batterie morte", ("battery",), ()),
        ("broken_screen", "Broken screen", "Écran cassé", ("screen_touch",), ()),
        ("charging_port", "Charging port", "Port de charge", ("charging_port",), ()),
        ("os_problem", "Operating system does not start", "Le système ne démarre pas", (), ()),
    ),
}
GENERIC_FAULTS = (
    ("no_power", "No power", "Ne s'allume pas", (), ()),
    ("damaged", "Physical damage", "Dégât physique", (), ()),
    (
        "does_not_work",
        "Main function does not work",
        "La fonction principale ne marche pas",
        (),
        (),
    ),
)
KINDS = (
    ("battery", "Battery", "Batterie", ("part_number",), 2),
    ("ram", "RAM module", "Barrette de mémoire", ("ram_type", "form_factor", "size_gb"), 4),
    ("ssd", "SSD", "SSD", ("interface", "form_factor", "size_gb"), 4),
    ("hdd", "Hard disk", "Disque dur", ("interface", "form_factor", "size_gb"), 2),
    ("keyboard", "Keyboard", "Clavier", ("layout", "part_number"), 2),
    ("screen", "Screen panel", "Dalle d'écran", ("size_in", "connector", "resolution"), 1),
    ("charger", "Charger", "Chargeur", ("watts", "connector"), 3),
    ("hinge", "Hinge", "Charnière", ("part_number",), 1),
    ("fan", "Fan", "Ventilateur", ("part_number",), 1),
)


def timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def json_column(name: str) -> sa.Column:
    return sa.Column(name, sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False)


def upgrade() -> None:
    codes = op.create_table(
        "repair_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("label_en", sa.String(200), nullable=False),
        sa.Column("label_fr", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        json_column("checks"),
        json_column("scripts"),
        sa.Column("active", sa.Boolean(), nullable=False),
        timestamp("created_at"),
        sa.CheckConstraint("kind IN ('fault', 'action')", name="ck_repair_codes_kind_known"),
        sa.PrimaryKeyConstraint("id", name="pk_repair_codes"),
        sa.UniqueConstraint("kind", "category", "code", name="uq_repair_codes_kind_category_code"),
    )
    kinds = op.create_table(
        "part_kinds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("label_en", sa.String(200), nullable=False),
        sa.Column("label_fr", sa.String(200), nullable=False),
        json_column("attributes"),
        sa.Column("low_stock", sa.Integer(), nullable=False),
        timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_part_kinds"),
        sa.UniqueConstraint("code", name="uq_part_kinds_code"),
    )
    op.create_table(
        "part_fits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("kind_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["kind_id"], ["part_kinds.id"], name="fk_part_fits_kind_id_part_kinds"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_part_fits"),
        sa.UniqueConstraint(
            "model", "kind_id", "reference", name="uq_part_fits_model_kind_id_reference"
        ),
    )
    op.create_index("ix_part_fits_kind_id_reference", "part_fits", ["kind_id", "reference"])
    op.create_table(
        "repair_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("fault", sa.String(40), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("technician_id", sa.Integer(), nullable=True),
        timestamp("occurred_at"),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "minutes IS NULL OR minutes >= 0", name="ck_repair_actions_minutes_not_negative"
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name="fk_repair_actions_device_id_devices"
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"], ["users.id"], name="fk_repair_actions_technician_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_repair_actions_event_id_events"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_repair_actions"),
    )
    op.create_index("ix_repair_actions_device_id_cycle", "repair_actions", ["device_id", "cycle"])
    op.create_index("ix_repair_actions_occurred_at", "repair_actions", ["occurred_at"])
    op.create_table(
        "parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("kind_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        json_column("attributes"),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("unit_cost", sa.Numeric(10, 2), nullable=True),
        sa.Column("donor_id", sa.Integer(), nullable=True),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        timestamp("received_at"),
        sa.Column("repair_id", sa.Integer(), nullable=True),
        timestamp("used_at", nullable=True),
        sa.CheckConstraint(
            "state IN ('in_stock', 'used', 'scrapped')", name="ck_parts_state_known"
        ),
        sa.CheckConstraint("source IN ('bought', 'harvested')", name="ck_parts_source_known"),
        sa.CheckConstraint(
            "(source = 'harvested') = (donor_id IS NOT NULL)", name="ck_parts_donor_when_harvested"
        ),
        sa.CheckConstraint(
            "unit_cost IS NULL OR unit_cost >= 0", name="ck_parts_unit_cost_not_negative"
        ),
        sa.CheckConstraint(
            "(state = 'used') = (repair_id IS NOT NULL)", name="ck_parts_used_in_a_repair"
        ),
        sa.ForeignKeyConstraint(["kind_id"], ["part_kinds.id"], name="fk_parts_kind_id_part_kinds"),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name="fk_parts_location_id_locations"
        ),
        sa.ForeignKeyConstraint(["donor_id"], ["devices.id"], name="fk_parts_donor_id_devices"),
        sa.ForeignKeyConstraint(
            ["received_by_id"], ["users.id"], name="fk_parts_received_by_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["repair_id"], ["repair_actions.id"], name="fk_parts_repair_id_repair_actions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_parts"),
        sa.UniqueConstraint("code", name="uq_parts_code"),
    )
    op.create_index("ix_parts_kind_id_reference_state", "parts", ["kind_id", "reference", "state"])
    op.create_index("ix_parts_donor_id", "parts", ["donor_id"])
    op.create_index("ix_parts_repair_id", "parts", ["repair_id"])
    op.create_index("ix_parts_location_id", "parts", ["location_id"])
    op.execute("INSERT INTO counters (name, value) VALUES ('part', 0)")

    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        # The models store naive UTC text on SQLite (inventory/types.py).
        now = now.replace(tzinfo=None)
    rows = [("action", "", action + ((), ())) for action in ACTIONS]
    for category in CATEGORIES:
        rows += [("fault", category, fault) for fault in FAULTS.get(category, GENERIC_FAULTS)]
    positions: dict[tuple[str, str], int] = {}
    seeded = []
    for kind, category, (code, label_en, label_fr, checks, scripts) in rows:
        positions[(kind, category)] = positions.get((kind, category), 0) + 1
        seeded.append(
            {
                "kind": kind,
                "category": category,
                "code": code,
                "label_en": label_en,
                "label_fr": label_fr,
                "position": positions[(kind, category)],
                "checks": list(checks),
                "scripts": list(scripts),
                "active": True,
                "created_at": now,
            }
        )
    op.bulk_insert(codes, seeded)
    op.bulk_insert(
        kinds,
        [
            {
                "code": code,
                "label_en": label_en,
                "label_fr": label_fr,
                "attributes": list(attributes),
                "low_stock": low_stock,
                "created_at": now,
            }
            for code, label_en, label_fr, attributes, low_stock in KINDS
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE name = 'part'")
    for index in (
        "ix_parts_location_id",
        "ix_parts_repair_id",
        "ix_parts_donor_id",
        "ix_parts_kind_id_reference_state",
    ):
        op.drop_index(index, table_name="parts")
    op.drop_table("parts")
    op.drop_index("ix_repair_actions_occurred_at", table_name="repair_actions")
    op.drop_index("ix_repair_actions_device_id_cycle", table_name="repair_actions")
    op.drop_table("repair_actions")
    op.drop_index("ix_part_fits_kind_id_reference", table_name="part_fits")
    op.drop_table("part_fits")
    op.drop_table("part_kinds")
    op.drop_table("repair_codes")
