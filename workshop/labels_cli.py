"""`workshop labels`: asset, location, badge and part labels as a PDF or ZPL file, or straight to a printer.

workshop/cli.py adds this group to the `workshop` command; the helpers of workshop/cli.py
are looked up when a command runs, as workshop/bench_cli.py does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import current_app
from flask.cli import AppGroup

from inventory.db import transaction
from inventory.printers import (
    FORMATS,
    get_station_printer,
    list_station_printers,
    remove_station_printer,
    set_station_printer,
)
from labels.media import DEFAULT_MEDIUM, MEDIA
from labels.printing import check_printer
from labels.sheets import MAX_COPIES
from workshop import label_jobs

F = TypeVar("F", bound=Callable[..., Any])


def workshop_command(func: F) -> F:
    """workshop/cli.py's refusals and database failures as one clear line, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from workshop.cli import workshop_command as clear_errors

        return clear_errors(func)(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@click.group("labels", cls=AppGroup)
def labels_group() -> None:
    """Print asset, location, staff badge and spare part labels (PDF or ZPL), to a file or printer."""


def label_options(func: F) -> F:
    """The options every kind of label takes."""
    options = [
        click.option(
            "--medium",
            type=click.Choice(list(MEDIA)),
            default=None,
            help=f"Label roll or sheet (default: the station's, else {DEFAULT_MEDIUM}).",
        ),
        click.option(
            "--copies",
            type=click.IntRange(1, MAX_COPIES),
            default=1,
            show_default=True,
            help="Labels per code.",
        ),
        click.option(
            "--skip",
            type=click.IntRange(min=0),
            default=0,
            show_default=True,
            help="Positions already used on the first sheet.",
        ),
        click.option(
            "--format",
            "format_",
            type=click.Choice(FORMATS),
            default=None,
            help="pdf for office and Brother printers, zpl for Zebra (default: pdf).",
        ),
        click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, writable=True, path_type=Path),
            default=None,
            help="The file to write (- for standard output).",
        ),
        click.option(
            "--station",
            default=None,
            help="Send to this station's printer instead of a file, in its medium and format.",
        ),
        click.option(
            "--as",
            "as_user",
            metavar="USERNAME",
            envvar="WORKSHOP_USER",
            help="Record the print as done by this user (default: $WORKSHOP_USER).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _produce(
    kind: str,
    codes: tuple[str, ...],
    medium: str | None,
    copies: int,
    skip: int,
    format_: str | None,
    output: Path | None,
    station: str | None,
    as_user: str | None,
) -> None:
    from workshop.cli import Refused, _acting_user, _sessions

    if (output is None) == (station is None):
        raise click.UsageError("Give either -o FILE or --station NAME.")
    workshop = current_app.config["WORKSHOP_NAME"]
    with transaction(_sessions()) as session:
        user = _acting_user(session, as_user)
        if kind == "asset":
            batch = label_jobs.asset_batch(session, codes, workshop)
        elif kind == "location":
            batch = label_jobs.location_batch(session, codes)
        elif kind == "part":
            # The kind's name in the workshop's own language, as on its other labels.
            language = current_app.config.get("BABEL_DEFAULT_LOCALE")
            batch = label_jobs.part_batch(session, codes, language)
        else:
            batch = label_jobs.badge_batch(session, codes, workshop)
        if station is not None:
            printer = get_station_printer(session, station)
            if medium or format_:
                raise Refused(
                    f"The station {printer.station} prints on {printer.medium} as "
                    f"{printer.format}: --medium and --format go with -o only."
                )
            where = label_jobs.print_at_station(
                session, batch, printer, copies=copies, skip=skip, by=user
            )
            click.echo(f"{len(batch.labels) * copies} label(s) sent to {where}.")
            return
        chosen = label_jobs.medium_named(medium)
        data = label_jobs.render(batch, chosen, format_ or "pdf", copies=copies, skip=skip)
        assert output is not None
        if str(output) == "-":
            click.get_binary_stream("stdout").write(data)
        else:
            try:
                output.write_bytes(data)
            except OSError as error:
                raise Refused(f"Cannot write {output}: {error.strerror}.") from None
        label_jobs.log_print(
            session,
            batch,
            medium=chosen.name,
            copies=copies,
            station="cli",
            printer="file",
            by=user,
        )
    if str(output) != "-":
        click.echo(f"{len(batch.labels) * copies} label(s) on {chosen.name} written to {output}.")


@labels_group.command("asset")
@click.argument("tags", nargs=-1, required=True)
@label_options
@workshop_command
def labels_asset(tags: tuple[str, ...], **options: Any) -> None:
    """Asset labels for the devices with these TAGS (barcode, tag, make and model)."""
    _produce("asset", tags, **options)


@labels_group.command("location")
@click.argument("codes", nargs=-1, required=True)
@label_options
@workshop_command
def labels_location(codes: tuple[str, ...], **options: Any) -> None:
    """Location labels for these CODES, readable from two metres."""
    _produce("location", codes, **options)


@labels_group.command("badge")
@click.argument("usernames", nargs=-1, required=True)
@label_options
@workshop_command
def labels_badge(usernames: tuple[str, ...], **options: Any) -> None:
    """Staff badge labels for these USERNAMES (each needs a badge: `workshop users badge`)."""
    _produce("badge", usernames, **options)


@labels_group.command("part")
@click.argument("codes", nargs=-1, required=True)
@label_options
@workshop_command
def labels_part(codes: tuple[str, ...], **options: Any) -> None:
    """Spare part labels for these part CODES (barcode, kind, reference, donor or supplier)."""
    _produce("part", codes, **options)


@labels_group.command("printers")
@workshop_command
def labels_printers() -> None:
    """List each station's label printer, medium and format."""
    from workshop.cli import _sessions

    with transaction(_sessions(), write=False) as session:
        for printer in list_station_printers(session):
            click.echo(
                f"{printer.station:<20} {printer.method:<4} {printer.target:<30} "
                f"{printer.medium:<10} {printer.format}"
            )


@labels_group.command("printer")
@click.argument("station")
@click.option("--lp", "queue", default=None, help="Send through CUPS to this queue.")
@click.option("--raw", "address", default=None, help="Send to HOST[:PORT] (9100 by default).")
@click.option("--medium", type=click.Choice(list(MEDIA)), default=DEFAULT_MEDIUM, show_default=True)
@click.option("--format", "format_", type=click.Choice(FORMATS), default="pdf", show_default=True)
@click.option("--remove", is_flag=True, help="Take the station's printer away.")
@click.option(
    "--as", "as_user", metavar="USERNAME", envvar="WORKSHOP_USER", help="Who makes the change."
)
@workshop_command
def labels_printer(
    station: str,
    queue: str | None,
    address: str | None,
    medium: str,
    format_: str,
    remove: bool,
    as_user: str | None,
) -> None:
    """Give STATION its label printer (--lp QUEUE or --raw HOST[:PORT]), or --remove it."""
    from workshop.cli import Refused, _acting_user, _sessions

    with transaction(_sessions()) as session:
        user = _acting_user(session, as_user)
        if remove:
            remove_station_printer(session, station, by=user)
            click.echo(f"The station {station.strip()} has no label printer now.")
            return
        if (queue is None) == (address is None):
            raise click.UsageError("Give either --lp QUEUE or --raw HOST[:PORT].")
        method, target = ("lp", queue) if queue is not None else ("raw", address)
        try:
            printer = check_printer(method, target or "")
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint=f"--{method}") from None
        if format_ == "zpl" and MEDIA[medium].is_sheet:
            raise Refused(f"{medium} is a sheet for office printers: print it as PDF, not ZPL.")
        saved = set_station_printer(
            session,
            station,
            method=printer.method,
            target=printer.target,
            medium=medium,
            format=format_,
            by=user,
        )
        click.echo(
            f"The station {saved.station} prints on {printer.describe()}, {medium}, {format_}."
        )
