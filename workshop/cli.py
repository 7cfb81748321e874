"""The `workshop` command: the database, users, tokens, lots, intake, devices and scanners.

Each command is one transaction: it commits when it succeeds and changes
nothing when it fails. Scripts can rely on what goes to standard output (the
asset tag, the token) and on the exit status:

    0  done
    1  refused (the message on standard error says why)
    2  wrong usage (unknown option, bad value)
    3  already there: the serial was already received, or the username or
       lot code is taken
    4  the database cannot be reached, or is not migrated yet
"""

from __future__ import annotations

import functools
import json
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click
from alembic.util.exc import CommandError
from flask import current_app
from flask.cli import FlaskGroup
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from diagnostics import records
from inventory import badges, devices, intake, lots, stages
from inventory.accounts import ROLES, User
from inventory.db import transaction
from inventory.errors import AlreadyReceived, IllegalTransition, WorkshopError
from inventory.events import device_history
from inventory.lifecycle import STAGES, allowed_moves
from inventory.models import CATEGORIES, GRADES, Lot
from inventory.recycling import REASONS as RECYCLING_REASONS
from inventory.recycling import recycle
from workshop import accounts, create_app, migrate
from workshop.api.serialize import device_json, erasure_json, event_json, run_json
from workshop.bench_cli import bench_group
from workshop.documents_cli import certificates_group, documents_group
from workshop.impact_cli import impact_command
from workshop.import_cli import import_group
from workshop.labels_cli import labels_group
from workshop.parts_cli import parts_group
from workshop.scanner import Listener

EXIT_REFUSED = 1
EXIT_ALREADY_THERE = 3
EXIT_DATABASE = 4

# Events entered from a terminal say so, as events entered at a scanning station do.
STATION = "cli"

F = TypeVar("F", bound=Callable[..., Any])


class Refused(click.ClickException):
    """A refusal shown as one line on standard error, with its exit status."""

    def __init__(self, message: str, exit_code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def workshop_command(func: F) -> F:
    """Turn the workshop's refusals and database failures into one clear line, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AlreadyReceived as error:
            raise Refused(error.message, EXIT_ALREADY_THERE) from None
        except WorkshopError as error:
            raise Refused(error.message) from None
        except CommandError as error:
            raise Refused(f"Migration refused: {error}") from None
        except DBAPIError as error:
            raise database_trouble(_engine(), error) from None

    return wrapper  # type: ignore[return-value]


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def database_trouble(engine: Engine, error: BaseException) -> Refused:
    """Say whether the database is unreachable, not migrated, or refused this one operation."""
    try:
        current, head = schema_revisions(engine)
    except DBAPIError as unreachable:
        return Refused(
            f"Cannot reach the database at {_where(engine)}: {_first_line(unreachable)}",
            EXIT_DATABASE,
        )
    if current != head:
        return Refused(
            f"The database at {_where(engine)} is at revision {current or 'none'} but this "
            f"version of Workshop needs {head}: run `workshop db upgrade` first.",
            EXIT_DATABASE,
        )
    return Refused(
        f"The database refused the operation: {_first_line(error)}. Nothing was changed."
    )


def schema_revisions(engine: Engine) -> tuple[str | None, str | None]:
    """The revision the database is at (None when empty) and the newest one this code has."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config(_where(engine)))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, script.get_current_head()


def _engine() -> Engine:
    return current_app.extensions["workshop.engine"]


def _sessions() -> sessionmaker[Session]:
    return current_app.extensions["workshop.sessions"]


def _acting_user(session: Session, username: str | None) -> User | None:
    """The user named by --as (or WORKSHOP_USER); None means the event came from the terminal."""
    if not username:
        return None
    user = accounts.get_user(session, username)
    if not user.active:
        raise Refused(f"The user {user.username} is deactivated: they cannot enter events.")
    return user


def as_option(func: F) -> F:
    """The --as option: who is entering this, recorded on the event."""
    return click.option(
        "--as",
        "as_user",
        metavar="USERNAME",
        envvar="WORKSHOP_USER",
        help="Record the event as entered by this user (default: $WORKSHOP_USER, else nobody).",
    )(func)


cli = FlaskGroup(
    create_app=create_app,
    help="Manage a Workshop: database, users, API tokens, lots, intake and devices.\n\n"
    "Configured by WORKSHOP_DATABASE_URL, WORKSHOP_SECRET_KEY and WORKSHOP_INSTANCE_PATH. "
    "Exit status: 0 done, 1 refused, 2 wrong usage, 3 already there "
    "(serial already received, name taken), 4 database unreachable or not migrated.",
)

# The application is always ours, made by create_app from the environment.
cli.params = [param for param in cli.params if param.name != "app"]
cli.add_command(bench_group)
cli.add_command(certificates_group)
cli.add_command(documents_group)
cli.add_command(labels_group)
cli.add_command(impact_command)
cli.add_command(import_group)
cli.add_command(parts_group)


# --- database -----------------------------------------------------------------


@cli.group("db")
def db_group() -> None:
    """Create, upgrade and inspect the database tables."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@workshop_command
def db_upgrade(revision: str) -> None:
    """Apply the migrations up to REVISION (the newest by default)."""
    engine = _engine()
    migrate.upgrade(engine, revision)
    current, _head = schema_revisions(engine)
    click.echo(f"The database at {_where(engine)} is at revision {current}.")


@db_group.command("downgrade")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@workshop_command
def db_downgrade(revision: str, yes: bool) -> None:
    """Take the database back down to REVISION ("base" removes every table and all data)."""
    engine = _engine()
    if not yes:
        click.confirm(
            f"Downgrading {_where(engine)} to {revision} drops tables and the data in them. Go on?",
            abort=True,
            err=True,
        )
    migrate.downgrade(engine, revision)
    current, _head = schema_revisions(engine)
    click.echo(f"The database at {_where(engine)} is at revision {current or 'base (empty)'}.")


@db_group.command("current")
@workshop_command
def db_current() -> None:
    """Print the revision the database is at, and whether it is the newest."""
    current, head = schema_revisions(_engine())
    if current is None:
        click.echo("none (empty database: run `workshop db upgrade`)")
    elif current == head:
        click.echo(f"{current} (head)")
    else:
        click.echo(f"{current} (behind {head}: run `workshop db upgrade`)")


# --- users and tokens ---------------------------------------------------------


@cli.group("users")
def users_group() -> None:
    """People who log in."""


def _read_password() -> str:
    """The first line of standard input when a script pipes it, else asked twice, hidden."""
    # sys.stdin as it is now: click's test runner replaces it, and get_text_stream is going away.
    stdin = sys.stdin
    if not stdin.isatty():
        line = stdin.readline()
        if not line:
            raise Refused("No password on standard input: give it as the first line.")
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)


@users_group.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the user may do.")
@click.option("--name", default="", help="The person's full name, shown on screens.")
@workshop_command
def users_add(username: str, role: str, name: str) -> None:
    """Add a user; the password is read from standard input or asked for."""
    with transaction(_sessions(), write=False) as session:
        # Say so before anyone types a password twice for nothing.
        taken = session.scalar(select(User.id).where(User.username == username.strip().lower()))
    if taken is not None:
        raise Refused(f"The username {username.strip().lower()} is taken.", EXIT_ALREADY_THERE)
    password = _read_password()
    with transaction(_sessions()) as session:
        user = accounts.create_user(session, username, role, password, name)
    click.echo(f"Added {user.username} ({user.role}).")


@users_group.command("list")
@workshop_command
def users_list() -> None:
    """List the users, their roles and whether they are active."""
    with transaction(_sessions(), write=False) as session:
        for user in session.scalars(select(User).order_by(User.username)):
            state = "" if user.active else "  (deactivated)"
            click.echo(f"{user.username:<20} {user.role:<11} {user.name}{state}")


@users_group.command("badge")
@click.argument("username")
@as_option
@workshop_command
def users_badge(username: str, as_user: str | None) -> None:
    """Issue a staff badge for USERNAME (the old one stops working) and print its code."""
    with transaction(_sessions()) as session:
        user = accounts.get_user(session, username)
        code = badges.issue_badge(session, user, by=_acting_user(session, as_user))
    click.echo(code)


@cli.group("tokens")
def tokens_group() -> None:
    """API tokens for scripts, scanners and bench agents."""


@tokens_group.command("add")
@click.argument("username")
@click.option("--label", default="cli", help="What the token is for (default: cli).")
@workshop_command
def tokens_add(username: str, label: str) -> None:
    """Issue an API token for USERNAME and print it; only its hash is kept."""
    with transaction(_sessions()) as session:
        user = accounts.get_user(session, username)
        if not user.active:
            raise Refused(f"The user {user.username} is deactivated: no token issued.")
        token = accounts.issue_token(session, user, label)
    click.echo(token)


# --- lots and intake ----------------------------------------------------------


@cli.group("lots")
def lots_group() -> None:
    """Donor lots: where each collection came from."""


@lots_group.command("add")
@click.argument("code")
@click.option("--donor", default="", help="Who gave the devices.")
@click.option(
    "--date",
    "received_on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="When the collection arrived (YYYY-MM-DD).",
)
@click.option("--reference", default="", help="The donor's or the carrier's reference.")
@click.option("--note", default="", help="Anything worth knowing about the collection.")
@as_option
@workshop_command
def lots_add(
    code: str,
    donor: str,
    received_on: datetime | None,
    reference: str,
    note: str,
    as_user: str | None,
) -> None:
    """Record a lot arriving from a donor, so its devices can be received."""
    with transaction(_sessions()) as session:
        lot = lots.open_lot(
            session,
            code,
            donor=donor,
            received_on=received_on.date() if received_on else None,
            reference=reference,
            note=note,
            entered_by=_acting_user(session, as_user),
        )
    click.echo(f"Opened lot {lot.code}" + (f" from {lot.donor}." if lot.donor else "."))


@lots_group.command("list")
@workshop_command
def lots_list() -> None:
    """List the lots, newest first."""
    with transaction(_sessions(), write=False) as session:
        for lot in lots.list_lots(session):
            day = lot.received_on.isoformat() if lot.received_on else "-"
            click.echo(f"{lot.code:<20} {day:<10} {lot.donor}")


@cli.command("intake")
@click.argument("serial")
@click.option("--category", required=True, type=click.Choice(CATEGORIES))
@click.option("--make", required=True, help="Manufacturer, e.g. Dell.")
@click.option("--model", required=True, help="Model, e.g. Latitude 5490.")
@click.option("--lot", default=None, help="Code of the donor lot (create it with `lots add`).")
@click.option("--weight-kg", default=None, help="Weight in kilograms, e.g. 1.6.")
@as_option
@workshop_command
def intake_command(
    serial: str,
    category: str,
    make: str,
    model: str,
    lot: str | None,
    weight_kg: str | None,
    as_user: str | None,
) -> None:
    """Receive a device by its manufacturer SERIAL and print its new asset tag.

    A serial already in the workshop is refused (exit status 3) and nothing is
    created; a device that was sold or recycled and comes back starts a new
    cycle under its old asset tag.
    """
    with transaction(_sessions()) as session:
        result = intake.receive_device(
            session,
            serial_number=serial,
            category=category,
            make=make,
            model=model,
            lot=lot,
            weight_kg=weight_kg,
            entered_by=_acting_user(session, as_user),
            station=STATION,
        )
        tag, cycle = result.device.asset_tag, result.device.cycle
    if result.new_cycle:
        click.echo(f"{tag} came back: cycle {cycle} starts, its history is kept.", err=True)
    click.echo(tag)


# --- devices ------------------------------------------------------------------


@cli.group("device")
def device_group() -> None:
    """Look at a device and move it through the workshop."""


def _summary(data: dict[str, Any], lot: Lot | None) -> list[str]:
    """A device as a person reads it in a terminal."""
    weight = f"{data['weight_kg']:g} kg" if data["weight_kg"] is not None else "-"
    lot_text = "-"
    if lot is not None:
        lot_text = lot.code + (f" ({lot.donor})" if lot.donor else "")
    lines = [
        f"{data['asset_tag']}  {data['make']} {data['model']} ({data['category']})",
        f"  Stage:       {data['stage']} since {_short(data['stage_entered_at'])}",
        f"  Grade:       {data['grade'] or '-'}",
        f"  Next moves:  {', '.join(data['allowed_moves']) or 'none'}",
        f"  Lot:         {lot_text}",
        f"  Weight:      {weight}",
        f"  Received:    {_short(data['received_at'])} (cycle {data['cycle']})",
    ]
    for identifier in data["identifiers"]:
        lines.append(
            f"  {identifier['kind'].replace('_', ' ').capitalize() + ':':<12} {identifier['value']}"
        )
    for name, value in data["specs"].items():
        lines.append(f"  {name.replace('_', ' ')}: {value}")
    lines.append("")
    lines.append("History")
    for event in data["events"]:
        lines.append("  " + _event_line(event))
    return lines


def _short(moment: str | None) -> str:
    if moment is None:
        return "-"
    return datetime.fromisoformat(moment).strftime("%Y-%m-%d %H:%M UTC")


def _event_line(event: dict[str, Any]) -> str:
    what = event["kind"].replace("_", " ")
    if event["to_stage"]:
        what += f" {event['from_stage'] or '-'} -> {event['to_stage']}"
    payload = event["payload"]
    if "grade" in payload:
        what += f" {payload['grade']}"
    who = event["performed_by"] or event["entered_by"] or payload.get("station") or "-"
    if event["entered_by"] and event["entered_by"] != event["performed_by"]:
        who += f" (entered by {event['entered_by']})"
    line = f"{_short(event['occurred_at'])}  {what}  by {who}"
    if payload.get("note"):
        line += f"  \u2014 {payload['note']}"
    return line


@device_group.command("show")
@click.argument("tag")
@click.option("--json", "as_json", is_flag=True, help="Print the device as the API returns it.")
@workshop_command
def device_show(tag: str, as_json: bool) -> None:
    """Show a device, where it stands and its whole history."""
    with transaction(_sessions(), write=False) as session:
        device = devices.get_device(session, tag)
        # The same shape as GET /api/v1/devices/<tag>, so scripts can use either.
        data = device_json(device)
        data["events"] = [event_json(event) for event in device_history(session, device)]
        data["diagnostics"] = [run_json(run) for run in records.runs(session, device)]
        data["erasures"] = [erasure_json(item) for item in records.all_erasures(session, device)]
        lot = device.lot
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(_summary(data, lot)))


@device_group.command("move")
@click.argument("tag")
@click.argument("stage", type=click.Choice(STAGES))
@click.option("--note", default=None, help="Why, for whoever looks at the history.")
@click.option(
    "--reason",
    type=click.Choice(RECYCLING_REASONS),
    default=None,
    help="Why the device is recycled (needed to move it to recycled).",
)
@click.option(
    "--weight-kg", default=None, help="Its weight, when recycling a device with none recorded."
)
@as_option
@workshop_command
def device_move(
    tag: str,
    stage: str,
    note: str | None,
    reason: str | None,
    weight_kg: str | None,
    as_user: str | None,
) -> None:
    """Move device TAG to STAGE, if the lifecycle allows it."""
    with transaction(_sessions()) as session:
        device = devices.get_device(session, tag)
        previous = device.stage
        user = _acting_user(session, as_user)
        if stage in ("sold", "returned"):
            # A sale has its order and price, a return its reason: recorded where they are asked.
            moves = [
                move for move in allowed_moves(device.stage) if move not in ("sold", "returned")
            ]
            raise IllegalTransition(
                "%(asset_tag)s is sold with a sale order and taken back with a reason, on the "
                "sales pages or through the API. Moves from %(stage)s here: %(moves)s.",
                asset_tag=device.asset_tag,
                stage=device.stage,
                to=stage,
                allowed=moves,
                moves=", ".join(moves) or "none",
            )
        if stage == "recycled":
            # Recycled kilograms are a yearly figure: the reason and weight go with it.
            recycle(session, device, reason=reason, weight_kg=weight_kg, entered_by=user, note=note)
        else:
            stages.move_to_stage(
                session, device, stage, entered_by=user, note=note, station=STATION
            )
    click.echo(f"{device.asset_tag}: {previous} -> {stage}")


@device_group.command("grade")
@click.argument("tag")
@click.argument("grade", type=click.Choice(GRADES))
@click.option("--note", default=None, help="What the grade is based on.")
@as_option
@workshop_command
def device_grade(tag: str, grade: str, note: str | None, as_user: str | None) -> None:
    """Set the cosmetic grade (A, B or C) of device TAG."""
    with transaction(_sessions()) as session:
        device = devices.get_device(session, tag)
        stages.set_grade(
            session, device, grade, entered_by=_acting_user(session, as_user), note=note
        )
    click.echo(f"{device.asset_tag}: grade {grade}")


# --- serial scanners -------------------------------------------------------------


@cli.group("scanner")
def scanner_group() -> None:
    """Fixed-mount and USB serial scanners feeding the scan log."""


@scanner_group.command("listen")
@click.option(
    "--port",
    "url",
    required=True,
    help="The scanner's port: /dev/ttyUSB0, or any pyserial URL (socket://host:port, loop://).",
)
@click.option("--station", required=True, help="The station name the scans are logged under.")
@click.option("--baudrate", type=click.IntRange(min=1), default=9600, show_default=True)
@click.option(
    "--retry-seconds",
    type=click.FloatRange(min=0.05),
    default=1.0,
    show_default=True,
    help="How often to try again to open an unplugged scanner.",
)
@as_option
@workshop_command
def scanner_listen(
    url: str, station: str, baudrate: int, retry_seconds: float, as_user: str | None
) -> None:
    """Log every code read on a serial scanner as a scan at STATION, until Ctrl+C.

    One line per scan goes to standard output; an unplugged scanner is reported
    on standard error and listened to again as soon as it comes back.
    """
    station = station.strip()
    if not station or len(station) > 64:
        raise click.BadParameter(
            "give a station name of 1 to 64 characters", param_hint="--station"
        )
    with transaction(_sessions(), write=False) as session:
        user = _acting_user(session, as_user)
        user_id = user.id if user else None
    stop = threading.Event()

    def stop_listening(_signum: int, _frame: Any) -> None:
        stop.set()

    previous = {
        number: signal.signal(number, stop_listening) for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        Listener(
            url,
            station,
            _sessions(),
            user_id=user_id,
            baudrate=baudrate,
            retry_seconds=retry_seconds,
            say=click.echo,
            warn=lambda text: click.echo(text, err=True),
            stop=stop,
        ).run()
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--port") from None
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    click.echo(f"stopped listening on {url}", err=True)


if __name__ == "__main__":
    cli.main(prog_name="workshop")
