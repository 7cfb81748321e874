"""`workshop bench`: ask a test bench who it is, and run a diagnostic script on it from a terminal.

workshop/cli.py adds this group to the `workshop` command; so that `python -m workshop.cli`
works too, the helpers of workshop/cli.py are looked up when a command runs, not on import.

`workshop bench close-abandoned` ends the runs whose program died (a killed
`workshop bench run --device`), which would otherwise show as running for ever.

`workshop bench run` exits with the run's outcome, so that a shell script can
act on it:

    0  pass
    1  fail: the device is faulty (or a refusal, like an unknown asset tag)
    2  error, timeout or aborted: the test setup failed or the run was stopped
    4  the database cannot be reached, or is not migrated yet (with --device)
"""

from __future__ import annotations

import functools
import json
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any, TypeVar

import click
from flask.cli import AppGroup

from diagnostics import benches, jobs, records
from diagnostics.link import BenchError
from diagnostics.results import RunResult
from diagnostics.runner import run_script
from diagnostics.scripts import SCRIPTS, Script, default_limits, longest_run_s, with_limits
from inventory import devices
from inventory.accounts import User
from inventory.db import transaction
from inventory.models import Device, DiagnosticRun

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_NOT_PASSED = 2
EXIT_CODES = {"pass": EXIT_PASS, "fail": EXIT_FAIL}

F = TypeVar("F", bound=Callable[..., Any])


def workshop_command(func: F) -> F:
    """workshop/cli.py's refusals and database failures as one clear line, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from workshop.cli import workshop_command as clear_errors

        return clear_errors(func)(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# An AppGroup, like the groups made by cli.group(): its commands run with the app.
@click.group("bench", cls=AppGroup)
def bench_group() -> None:
    """Test benches on serial lines: identify one, run a diagnostic script on it."""


port_option = click.option(
    "--port",
    "url",
    required=True,
    help="The bench's port: /dev/ttyUSB0, or any pyserial URL (socket://host:port, rfc2217://).",
)


@bench_group.command("identify")
@port_option
@click.option("--json", "as_json", is_flag=True, help="Print the identity as a JSON object.")
@workshop_command
def bench_identify(url: str, as_json: bool) -> None:
    """Print the identity of the bench on --port (its answer to *IDN?); nothing is switched on."""
    from workshop.cli import Refused

    try:
        identity = benches.identify(url)
    except BenchError as error:
        raise Refused(error.message, EXIT_NOT_PASSED) from None
    if as_json:
        click.echo(json.dumps(_bench_json(identity)))
    else:
        click.echo(
            f"{identity.maker} {identity.model}, serial {identity.serial}, "
            f"firmware {identity.firmware}"
        )


def _bench_json(identity: Any) -> dict[str, str] | None:
    if identity is None:
        return None
    return {
        "maker": identity.maker,
        "model": identity.model,
        "serial": identity.serial,
        "firmware": identity.firmware,
    }


def result_json(result: RunResult) -> dict[str, Any]:
    """The run as `workshop bench run --json` prints it."""
    return {
        "outcome": result.outcome,
        "code": result.code,
        "message": result.message,
        "bench": _bench_json(result.bench),
        "measurements": [
            {
                "name": item.name,
                "value": item.value,
                "unit": item.unit,
                "low": item.low,
                "high": item.high,
                "outcome": item.outcome,
            }
            for item in result.measurements
        ],
        "started_at": result.started_at.isoformat(),
        "ended_at": result.ended_at.isoformat() if result.ended_at else None,
    }


def _limits_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{low:g}" if low == high else f"{low:g} to {high:g}"
    if low is not None:
        return f">= {low:g}"
    if high is not None:
        return f"<= {high:g}"
    return ""


def _summary(result: RunResult) -> list[str]:
    """The run as a person reads it in a terminal: one measurement per line."""
    bench = result.bench
    on = f" on {bench.maker} {bench.model} (serial {bench.serial})" if bench else ""
    lines = [f"{result.script}{on}: {result.outcome.upper()}", f"  {result.message}"]
    for item in result.measurements:
        value = "-" if item.value is None else f"{item.value:g}"
        limits = _limits_text(item.low, item.high)
        unit = item.unit
        optional = "" if item.required else " (for information)"
        lines.append(
            f"  {item.name:<24} {value:>10} {unit:<8} {limits:<16} {item.outcome}{optional}"
        )
    for erasure in result.erasures:
        verdict = "verified" if erasure.verified else "NOT verified"
        lines.append(
            f"  Erased {erasure.drive_type} {erasure.drive_model} (serial {erasure.drive_serial}) "
            f"with {erasure.method}: NIST SP 800-88 {erasure.nist_category}, {verdict}"
        )
    ended = result.ended_at.strftime("%H:%M:%S") if result.ended_at else "-"
    lines.append(f"  Started {result.started_at:%Y-%m-%d %H:%M:%S} UTC, ended {ended} UTC")
    return lines


@bench_group.command("run")
@port_option
@click.option("--script", "script_name", required=True, type=click.Choice(list(SCRIPTS)))
@click.option(
    "--device",
    "tag",
    default=None,
    help="The asset tag of the device under test: the run is stored on it, with its limits.",
)
@click.option(
    "--operator",
    default=None,
    metavar="USERNAME",
    envvar="WORKSHOP_USER",
    help="Who runs the test (default: $WORKSHOP_USER, else nobody).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@workshop_command
def bench_run(
    url: str, script_name: str, tag: str | None, operator: str | None, as_json: bool
) -> None:
    """Run a diagnostic script on the bench on --port; Ctrl+C stops it safely.

    Exit status: 0 pass, 1 fail, 2 error, timeout or aborted.
    """
    from workshop.cli import STATION, _acting_user, _sessions

    script = SCRIPTS[script_name]
    limits = default_limits(script)
    device_id: int | None = None
    operator_id: int | None = None
    asset_tag = ""
    if tag is not None:
        # Refuse an unknown tag or user before the bench hears anything.
        with transaction(_sessions(), write=False) as session:
            device = devices.get_device(session, tag)
            user = _acting_user(session, operator)
            device_id, operator_id = device.id, (user.id if user else None)
            asset_tag = device.asset_tag
            limits = records.limits_for(session, device.category, script.name)
    run_ids: list[int] = []

    def store_start(started: RunResult) -> None:
        if device_id is None:
            return
        with transaction(_sessions()) as session:
            run = records.start_run(
                session,
                session.get(Device, device_id),
                script.name,
                operator=session.get(User, operator_id) if operator_id else None,
                station=STATION,
                started_at=started.started_at,
            )
            run_ids.append(run.id)

    stop = threading.Event()

    def stop_running(_signum: int, _frame: Any) -> None:
        stop.set()

    previous = {
        number: signal.signal(number, stop_running) for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        result = run_script(
            script,
            url,
            limits=limits,
            on_start=store_start,
            should_abort=stop.is_set,
            on_progress=_show_progress() if sys.stderr.isatty() else None,
        )
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if as_json:
        click.echo(json.dumps(result_json(result), ensure_ascii=False))
    else:
        click.echo("\n".join(_summary(result)))
    if run_ids:
        with transaction(_sessions()) as session:
            run = session.get(DiagnosticRun, run_ids[0])
            records.finish_run(
                session,
                run,
                result,
                limits_applied=default_limits(with_limits(script, limits)),
            )
        click.echo(f"Stored on {asset_tag} as run {run_ids[0]}.", err=True)
    click.get_current_context().exit(EXIT_CODES.get(result.outcome, EXIT_NOT_PASSED))


def _show_progress() -> Any:
    """Progress on standard error for a person watching; only when it changes."""
    last: list[str] = [""]

    def show(step: str, percent: int | None, message: str) -> None:
        line = f"{step}: {message}"
        if line != last[0]:
            last[0] = line
            click.echo(line, err=True)

    return show


# A run is surely abandoned once it has outlasted its script's longest run by this much.
ABANDONED_MARGIN = timedelta(minutes=15)


def abandoned_after(script: Script) -> timedelta:
    """How long after its start a run of the script can only have been abandoned."""
    return timedelta(seconds=longest_run_s(script)) + ABANDONED_MARGIN


def _duration_text(duration: timedelta) -> str:
    minutes = round(duration.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _abandoned_help() -> str:
    ages = ", ".join(
        f"{name} {_duration_text(abandoned_after(script))}" for name, script in SCRIPTS.items()
    )
    return (
        "Close the open runs started more than MINUTES ago. Default: those that outlasted "
        f"their script's longest run by {_duration_text(ABANDONED_MARGIN)} ({ages})."
    )


def _closed_line(run: DiagnosticRun) -> str:
    station = f", station {run.station}" if run.station else ""
    return (
        f"Closed run {run.id} of {run.device.asset_tag} ({run.script}{station}), started "
        f"{run.started_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC: aborted, abandoned."
    )


@bench_group.command("close-abandoned")
@click.option(
    "--older-than",
    "minutes",
    type=click.IntRange(min=1),
    default=None,
    metavar="MINUTES",
    help=_abandoned_help(),
)
@click.option(
    "--as",
    "as_user",
    metavar="USERNAME",
    envvar="WORKSHOP_USER",
    help="Record the closing as entered by this user (default: $WORKSHOP_USER, else nobody).",
)
@workshop_command
def bench_close_abandoned(minutes: int | None, as_user: str | None) -> None:
    """End the runs left open by a program that died, as stopped (code `abandoned`).

    A killed `workshop bench run --device` leaves its run `running` for ever. Runs of
    bench agents that stopped reporting are ended first, as errors, as the work card does.
    Prints each run it ends.
    """
    from flask import current_app

    from workshop.cli import _acting_user, _sessions

    lost_after = timedelta(seconds=current_app.config.get("BENCH_AGENT_LOST_AFTER", 60))
    lines: list[str] = []
    with transaction(_sessions()) as session:
        user = _acting_user(session, as_user)
        for job in jobs.sweep(session, lost_after=lost_after):
            lines.append(
                f"Job {job.id} ({job.script} of {job.device.asset_tag}, station {job.station}): "
                "its bench agent stopped reporting; its run ended as an error."
            )
        if minutes is None:
            closed = [
                run
                for name, script in SCRIPTS.items()
                for run in records.close_abandoned_runs(
                    session, abandoned_after(script), script=name, entered_by=user
                )
            ]
        else:
            closed = records.close_abandoned_runs(
                session, timedelta(minutes=minutes), entered_by=user
            )
        lines += [_closed_line(run) for run in sorted(closed, key=lambda run: run.id)]
    if closed:
        count = len(closed)
        lines.append(f"{count} abandoned run{'s' if count > 1 else ''} closed.")
    else:
        lines.append("No abandoned run to close.")
    click.echo("\n".join(lines))


@bench_group.command("agent", with_appcontext=False)
@click.option("--server", required=True, help="The workshop's address, e.g. http://atelier:8000.")
@click.option(
    "--token",
    required=True,
    envvar="WORKSHOP_TOKEN",
    help="An API token of a technician (workshop tokens add USERNAME); or $WORKSHOP_TOKEN.",
)
@click.option("--station", required=True, help="This workbench's name, as the work card offers it.")
@click.option(
    "--bench",
    "bench_ports",
    multiple=True,
    required=True,
    metavar="KIND=PORT",
    help="A bench and its port: battery=/dev/ttyUSB0, psu=..., disk=... (repeat for each).",
)
@click.option("--poll", "poll_s", default=1.5, show_default=True, help="Seconds between claims.")
@click.option(
    "--outbox",
    default=None,
    envvar="WORKSHOP_AGENT_OUTBOX",
    metavar="FOLDER",
    help="Where results wait until the server takes them; or $WORKSHOP_AGENT_OUTBOX "
    "(default: ~/.local/state/workshop/agent/STATION/outbox).",
)
def bench_agent(
    server: str,
    token: str,
    station: str,
    bench_ports: tuple[str, ...],
    poll_s: float,
    outbox: str | None,
) -> None:
    """Run the jobs the work card asks of this station's benches, until SIGTERM or Ctrl+C.

    A run under way when it is stopped is aborted (the bench made safe) and posted as such.
    Each result is written to the outbox before it is sent, and stays there until the
    server takes it: one the agent could not send goes out when it starts again.
    """
    import logging

    from diagnostics.agent import Agent, Api, parse_benches

    try:
        ports = parse_benches(bench_ports)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--bench") from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        agent = Agent(Api(server, token), station.strip(), ports, outbox=outbox, poll_s=poll_s)
    except OSError as error:
        raise click.ClickException(f"The outbox folder cannot be used: {error}") from None

    def stop_agent(_signum: int, _frame: Any) -> None:
        agent.stop()

    previous = {
        number: signal.signal(number, stop_agent) for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        agent.run()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    click.echo(f"agent of {station} stopped", err=True)
