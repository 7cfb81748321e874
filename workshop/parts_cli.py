"""`workshop parts import FILE [--dry-run]`: spare parts into stock, the whole file or nothing."""

from __future__ import annotations

from flask.cli import AppGroup

from workshop.import_cli import kind_command

parts_group = AppGroup("parts", help="Spare parts: import a stock list.")
# The same command as `workshop import parts`, where a workshop looks for it first.
parts_group.add_command(kind_command("parts"), "import")
