"""`workshop certificates` and `workshop documents`: issue and verify erasure certificates, and
write spec sheets and donors' lot reports, from a terminal.

workshop/cli.py adds these groups to the `workshop` command; its helpers are looked up when a
command runs, so that importing this module does not import the CLI.

`workshop certificates verify FILE.pdf` exits 0 when the file is a certificate this workshop
issued, unaltered, and 1 otherwise, so that a script can rely on it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import current_app
from flask.cli import AppGroup

from inventory import certificates, devices, lots
from inventory.db import transaction
from labels.documents import LANGUAGES
from workshop.documents import build

F = TypeVar("F", bound=Callable[..., Any])


def workshop_command(func: F) -> F:
    """workshop/cli.py's refusals and database failures as one clear line, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from workshop.cli import workshop_command as clear_errors

        return clear_errors(func)(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _sessions() -> Any:
    from workshop.cli import _sessions as sessions

    return sessions()


output_option = click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The PDF file to write.",
)
lang_option = click.option(
    "--lang",
    "language",
    type=click.Choice(LANGUAGES),
    default=None,
    help="The document's language (default: the --as user's, else English).",
)


as_option = click.option(
    "--as",
    "as_user",
    metavar="USERNAME",
    envvar="WORKSHOP_USER",
    help="Issue it as this user, named on it (default: $WORKSHOP_USER, else nobody).",
)


def _language(asked: str | None, user: Any) -> str:
    if asked:
        return asked
    own = getattr(user, "language", None)
    return own if own in LANGUAGES else LANGUAGES[0]


def _write(output: Path, data: bytes) -> None:
    try:
        output.write_bytes(data)
    except OSError as error:
        from workshop.cli import Refused

        raise Refused(f"Cannot write {output}: {error.strerror or error}.") from None


def _issue(output: Path, issue: Callable[[Any], tuple[Any, bytes]]) -> Any:
    """Issue in one transaction and write the file: both, or neither (no stray file)."""
    written = False
    try:
        with transaction(_sessions()) as session:
            issued, data = issue(session)
            _write(output, data)
            written = True
    except BaseException:
        if written:
            output.unlink(missing_ok=True)
        raise
    return issued


def _settings() -> build.Settings:
    return build.settings_from(current_app.config)


@click.group("certificates", cls=AppGroup)
def certificates_group() -> None:
    """Erasure certificates: issue one for a device or a donor's lot, verify a file."""


@certificates_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@workshop_command
def certificates_verify(file: Path) -> None:
    """Say whether FILE is a certificate this workshop issued, unaltered (exit 0), or not (1)."""
    from workshop.cli import Refused

    data = file.read_bytes()
    with transaction(_sessions(), write=False) as session:
        issued = certificates.verify_certificate(session, data)
        if issued is None:
            raise Refused(
                f"{file} is NOT a certificate issued by this workshop, or it was altered: its "
                f"SHA-256 {certificates.fingerprint(data)} matches none of the certificates "
                "issued."
            )
        subject = (
            f"device {issued.device.asset_tag}"
            if issued.device is not None
            else f"lot {issued.lot.code}"  # type: ignore[union-attr]
        )
        who = f" by {issued.issued_by.display_name}" if issued.issued_by else ""
        when = issued.issued_at.isoformat(timespec="seconds")
        click.echo(
            f"{file}: genuine and unaltered. Certificate {issued.number}, of {subject}, "
            f"issued {when}{who} ({issued.language})."
        )


@certificates_group.command("device")
@click.argument("tag")
@output_option
@lang_option
@as_option
@workshop_command
def certificates_device(tag: str, output: Path, language: str | None, as_user: str | None) -> None:
    """Issue the erasure certificate of the device TAG and write it to -o FILE."""
    from workshop.cli import _acting_user

    def issue(session: Any) -> tuple[Any, bytes]:
        user = _acting_user(session, as_user)
        device = devices.get_device(session, tag)
        return build.issue_device_certificate(
            session, device, _language(language, user), _settings(), issued_by=user
        )

    issued = _issue(output, issue)
    click.echo(f"Certificate {issued.number} written to {output} (SHA-256 {issued.sha256}).")


@certificates_group.command("lot")
@click.argument("lot")
@output_option
@lang_option
@as_option
@workshop_command
def certificates_lot(lot: str, output: Path, language: str | None, as_user: str | None) -> None:
    """Issue the erasure certificate of the donor's lot LOT and write it to -o FILE."""
    from workshop.cli import _acting_user

    def issue(session: Any) -> tuple[Any, bytes]:
        user = _acting_user(session, as_user)
        found = lots.get_lot(session, lot)
        return build.issue_lot_certificate(
            session, found, _language(language, user), _settings(), issued_by=user
        )

    issued = _issue(output, issue)
    click.echo(f"Certificate {issued.number} written to {output} (SHA-256 {issued.sha256}).")


@click.group("documents", cls=AppGroup)
def documents_group() -> None:
    """Spec sheets of devices ready for sale, and donors' lot reports, as PDF."""


@documents_group.command("spec-sheet")
@click.argument("tag")
@output_option
@click.option("--lang", "language", type=click.Choice(LANGUAGES), default=LANGUAGES[0])
@workshop_command
def documents_spec_sheet(tag: str, output: Path, language: str) -> None:
    """Write the spec sheet of the device TAG, ready for sale, to -o FILE."""
    with transaction(_sessions(), write=False) as session:
        device = devices.get_device(session, tag)
        data = build.spec_sheet(session, device, language, _settings())
    _write(output, data)
    click.echo(f"Spec sheet of {device.asset_tag} written to {output}.")


@documents_group.command("lot-report")
@click.argument("lot")
@output_option
@click.option("--lang", "language", type=click.Choice(LANGUAGES), default=LANGUAGES[0])
@workshop_command
def documents_lot_report(lot: str, output: Path, language: str) -> None:
    """Write the donor's report of the lot LOT to -o FILE."""
    with transaction(_sessions(), write=False) as session:
        found = lots.get_lot(session, lot)
        data = build.lot_report(session, found, language, _settings())
    _write(output, data)
    click.echo(f"Report of lot {found.code} written to {output}.")
