"""`workshop import KIND FILE [--dry-run]`: a spreadsheet (CSV or XLSX) imported whole or not at all.

One command per kind of import (inventory/imports/: devices, and whichever
others register themselves), made when this module loads. Every row is
checked before anything is written; any bad row and nothing is imported. The
bad rows go to standard error as `line N, column: reason`, and the exit
status says what happened:

    0  imported (or, with --dry-run, every row is good and nothing was written)
    1  refused: a bad row, a missing column, a file that is not CSV or XLSX
    2  wrong usage: no such file, unknown option
    4  the database cannot be reached, or is not migrated yet

workshop/cli.py adds this group to the `workshop` command; its helpers are
looked up when a command runs, so that `python -m workshop.cli` works too.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup, with_appcontext

from inventory.db import transaction
from inventory.imports import Report, import_file, kinds

# Bad rows printed before the rest are only counted: the first ones show what to fix.
MAX_ERRORS_SHOWN = 200


@click.group("import", cls=AppGroup)
def import_group() -> None:
    """Import a spreadsheet (CSV or XLSX): every row or none."""


class ProgressBar:
    """A bar drawn on a terminal once the rows are counted; nothing when output is not a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        """Show `done` of `total` rows written."""
        if not sys.stdout.isatty():
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stdout)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        """End the bar's line, if one was drawn."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _say_errors(report: Report) -> None:
    for error in report.errors[:MAX_ERRORS_SHOWN]:
        click.echo(str(error), err=True)
    hidden = len(report.errors) - MAX_ERRORS_SHOWN
    if hidden > 0:
        click.echo(f"... and {hidden} more problems.", err=True)


def _outcome(report: Report, noun: str) -> str:
    if report.dry_run:
        return (
            f"{report.rows} {noun} checked in {report.filename}: every row is good. "
            "Nothing was written (--dry-run)."
        )
    written = ", ".join(
        f"{count} {name.replace('_', ' ')}" for name, count in report.written.items()
    )
    return f"Imported {report.rows} {noun} from {report.filename}: {written}."


def kind_command(name: str) -> click.Command:
    """The `workshop import NAME FILE [--dry-run]` command for one kind of import."""
    kind = kinds()[name]

    @click.command(name, help=f"{kind.__doc__}\n\nHeader: {','.join(kind.columns)}")
    @with_appcontext
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
    @click.option(
        "--as",
        "as_user",
        metavar="USERNAME",
        envvar="WORKSHOP_USER",
        help="Record the import as entered by this user (default: $WORKSHOP_USER, else nobody).",
    )
    def command(file: Path, dry_run: bool, as_user: str | None) -> None:
        from workshop.cli import Refused, _acting_user, _sessions, workshop_command

        @workshop_command
        def run() -> Report:
            data = file.read_bytes()
            bar = ProgressBar(f"Importing {name}")
            try:
                with transaction(_sessions(), write=not dry_run) as session:
                    return import_file(
                        session,
                        name,
                        data,
                        file.name,
                        entered_by=_acting_user(session, as_user),
                        dry_run=dry_run,
                        progress=bar,
                    )
            finally:
                bar.close()

        report = run()
        if not report.ok:
            _say_errors(report)
            raise Refused(
                f"Nothing was imported: {report.bad_lines} of the {report.rows} rows of "
                f"{file.name} have problems (listed above)."
                if report.rows
                else f"Nothing was imported from {file.name} (see above)."
            )
        click.echo(_outcome(report, kind.noun))

    return command


for _name in kinds():
    import_group.add_command(kind_command(_name))
