"""`workshop impact YEAR`: the yearly impact figures as JSON, CSV, XLSX or PDF; `--publish` freezes them.

The report carries its repairs appendix in every format; publishing freezes it too.

workshop/cli.py adds this command to the `workshop` command; its helpers are looked
up when the command runs, as in workshop/bench_cli.py.

    0  done
    1  refused (publishing a year that is not over, or published already)
    2  wrong usage (bad year, format or language; XLSX or PDF without -o)
    4  the database cannot be reached, or is not migrated yet
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import current_app
from flask.cli import with_appcontext

from inventory import impact
from inventory.db import transaction
from workshop.reports.impact import FORMATS, render

F = TypeVar("F", bound=Callable[..., Any])


def workshop_command(func: F) -> F:
    """workshop/cli.py's refusals and database failures as one clear line, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from workshop.cli import workshop_command as clear_errors

        return clear_errors(func)(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@click.command("impact")
@click.argument("year", type=click.IntRange(impact.FIRST_YEAR, impact.LAST_YEAR))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="json",
    show_default=True,
    help="json and csv go to standard output unless -o is given; xlsx and pdf need -o.",
)
@click.option(
    "--lang",
    "language",
    type=click.Choice(impact.LANGUAGES),
    default="en",
    show_default=True,
    help="The language of labels and definitions.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file.",
)
@click.option(
    "--publish",
    is_flag=True,
    help="Freeze the year's figures first, with the hash of the events counted.",
)
@click.option(
    "--as",
    "as_user",
    metavar="USERNAME",
    envvar="WORKSHOP_USER",
    help="Who asks (recorded in the health-data read log, and as the publisher).",
)
@with_appcontext
@workshop_command
def impact_command(
    year: int,
    fmt: str,
    language: str,
    output: Path | None,
    publish: bool,
    as_user: str | None,
) -> None:
    """Print or write the impact figures of calendar YEAR, with their definitions and repairs."""
    from workshop.cli import _acting_user, _sessions

    if fmt in ("xlsx", "pdf") and output is None:
        raise click.UsageError(f"A {fmt} report is a file: give it a name with -o FILE.")
    timezone = current_app.config["TIMEZONE"]
    with transaction(_sessions()) as session:
        reader = _acting_user(session, as_user)
        if publish:
            publication = impact.publish(session, year, by=reader, timezone=timezone)
            click.echo(
                f"Published the figures of {year}: {publication.events_count} events, "
                f"hash {publication.events_hash}.",
                err=True,
            )
        data = impact.report(session, year, language=language, timezone=timezone, reader=reader)
    report = render(data, fmt, language=language, workshop=current_app.config["WORKSHOP_NAME"])
    if output is None:
        sys.stdout.buffer.write(report.body)
        sys.stdout.flush()
        return
    try:
        output.write_bytes(report.body)
    except OSError as error:
        from workshop.cli import Refused

        raise Refused(f"Cannot write {output}: {error.strerror or error}.") from None
    click.echo(f"Wrote {output}.", err=True)
