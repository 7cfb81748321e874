"""Manual checklists per category and their answers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The checklists a new workshop starts with, as they were when this migration
# was written (inventory/checks.py keeps the same list for re-seeding).
DEFAULTS = {
    "laptop": (
        ("screen", "Screen", "Écran"),
        ("keyboard", "Keyboard", "Clavier"),
        ("touchpad", "Touchpad", "Pavé tactile"),
        ("webcam", "Webcam", "Webcam"),
        ("speakers", "Speakers", "Haut-parleurs"),
        ("microphone", "Microphone", "Microphone"),
        ("wifi", "Wi-Fi", "Wi-Fi"),
        ("usb_ports", "USB ports", "Ports USB"),
        ("hinges", "Hinges", "Charnières"),
        ("charger", "Charger", "Chargeur"),
    ),
    "desktop": (
        ("power", "Power button and power supply", "Bouton et alimentation"),
        ("usb_ports", "USB ports", "Ports USB"),
        ("video_outputs", "Video outputs", "Sorties vidéo"),
        ("network_port", "Network port", "Port réseau"),
        ("audio_jacks", "Audio jacks", "Prises audio"),
        ("fans", "Fans run quietly", "Ventilateurs silencieux"),
        ("case", "Case and feet", "Boîtier et pieds"),
    ),
    "monitor": (
        ("panel", "Panel: no dead pixels or marks", "Dalle : ni pixel mort ni marque"),
        ("backlight", "Even backlight", "Rétroéclairage uniforme"),
        ("inputs", "Video inputs", "Entrées vidéo"),
        ("buttons", "Buttons and menu", "Boutons et menu"),
        ("stand", "Stand", "Pied"),
        ("power_cable", "Power cable", "Câble d'alimentation"),
    ),
    "phone": (
        ("screen_touch", "Screen and touch", "Écran et tactile"),
        ("battery", "Battery holds its charge", "La batterie tient la charge"),
        ("cameras", "Cameras", "Appareils photo"),
        ("speaker_mic", "Speaker and microphone", "Haut-parleur et micro"),
        ("charging_port", "Charging port", "Port de charge"),
        ("buttons", "Buttons", "Boutons"),
        ("sim_slot", "SIM slot", "Emplacement SIM"),
        ("wifi_bluetooth", "Wi-Fi and Bluetooth", "Wi-Fi et Bluetooth"),
    ),
    "tablet": (
        ("screen_touch", "Screen and touch", "Écran et tactile"),
        ("battery", "Battery holds its charge", "La batterie tient la charge"),
        ("cameras", "Cameras", "Appareils photo"),
        ("speakers", "Speakers", "Haut-parleurs"),
        ("charging_port", "Charging port", "Port de charge"),
        ("buttons", "Buttons", "Boutons"),
        ("wifi", "Wi-Fi", "Wi-Fi"),
    ),
    "printer": (
        ("power", "Powers on", "S'allume"),
        ("paper_feed", "Paper feed", "Entraînement du papier"),
        ("print_quality", "Test page quality", "Qualité de la page de test"),
        ("connectivity", "USB or network connection", "Connexion USB ou réseau"),
        ("consumables", "Toner or ink present", "Toner ou encre présents"),
    ),
    "server": (
        ("power_supplies", "Power supplies", "Alimentations"),
        ("fans", "Fans", "Ventilateurs"),
        ("drive_bays", "Drive bays", "Baies de disques"),
        ("network_ports", "Network ports", "Ports réseau"),
        ("management", "Remote management console", "Console de gestion à distance"),
        ("rails", "Rails and front panel", "Rails et façade"),
    ),
    "network": (
        ("power", "Powers on", "S'allume"),
        ("ports", "Every port links", "Chaque port établit le lien"),
        ("factory_reset", "Factory reset done", "Remise à zéro effectuée"),
        ("fans", "Fans", "Ventilateurs"),
    ),
    "peripheral": (
        ("works", "Works when plugged in", "Fonctionne une fois branché"),
        ("buttons_keys", "Buttons and keys", "Boutons et touches"),
        ("cable", "Cable and connector", "Câble et connecteur"),
        ("clean", "Cleaned", "Nettoyé"),
    ),
    "other": (
        ("powers_on", "Powers on", "S'allume"),
        ("main_function", "Main function works", "La fonction principale marche"),
        ("clean", "Cleaned", "Nettoyé"),
    ),
}


def timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    items = op.create_table(
        "check_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("label_en", sa.String(200), nullable=False),
        sa.Column("label_fr", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_check_items"),
        sa.UniqueConstraint("category", "code", name="uq_check_items_category_code"),
    )
    op.create_index("ix_check_items_category_position", "check_items", ["category", "position"])
    op.create_table(
        "check_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(4), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        timestamp("answered_at"),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "result IN ('pass', 'fail', 'na')", name="ck_check_answers_result_known"
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name="fk_check_answers_device_id_devices"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["check_items.id"], name="fk_check_answers_item_id_check_items"
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["users.id"], name="fk_check_answers_answered_by_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_check_answers_event_id_events"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_check_answers"),
        # Also the index for reading one device's answers in one cycle.
        sa.UniqueConstraint(
            "device_id", "cycle", "item_id", name="uq_check_answers_device_id_cycle_item_id"
        ),
    )
    op.create_index("ix_check_answers_item_id", "check_answers", ["item_id"])

    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        # The models store naive UTC text on SQLite (inventory/types.py).
        now = now.replace(tzinfo=None)
    op.bulk_insert(
        items,
        [
            {
                "category": category,
                "code": code,
                "label_en": label_en,
                "label_fr": label_fr,
                "position": position,
                "active": True,
                "created_at": now,
            }
            for category, checks in DEFAULTS.items()
            for position, (code, label_en, label_fr) in enumerate(checks, start=1)
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_check_answers_item_id", table_name="check_answers")
    op.drop_table("check_answers")
    op.drop_index("ix_check_items_category_position", table_name="check_items")
    op.drop_table("check_items")
