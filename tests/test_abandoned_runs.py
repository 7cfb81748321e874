"""Runs whose program died: closed by `workshop bench close-abandoned`, or by hand on the page.

A `workshop bench run --device` that is killed leaves its run `running` for ever;
the device page then says "running since ..." with nothing running.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import timedelta

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from diagnostics import jobs, records
from diagnostics.scripts import SCRIPTS
from inventory.devices import get_device
from inventory.intake import receive_device
from inventory.models import BenchJob, DiagnosticRun, Event
from inventory.types import utcnow
from tests.conftest import csrf_token
from workshop.bench_cli import abandoned_after
from workshop.cli import cli

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


@pytest.fixture
def workshop(app: Flask) -> Callable[..., Result]:
    """Run `workshop ...` against the test database, as a shell would."""
    runner = app.test_cli_runner()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(cli, list(args), env=env)

    return run


@pytest.fixture
def tag(sessions) -> str:
    """A laptop just received; its asset tag."""
    with sessions() as session:
        device = receive_device(
            session,
            serial_number="PF1GONE",
            category="laptop",
            make="Lenovo",
            model="T480",
            entered_by=None,
        ).device
        session.commit()
        return device.asset_tag


def started(sessions, tag: str, script: str, ago: timedelta, station: str = "cli") -> int:
    """A run stored as started `ago`, as `workshop bench run --device` stores it; its id."""
    with sessions() as session:
        run = records.start_run(
            session,
            get_device(session, tag),
            script,
            operator=None,
            station=station,
            started_at=utcnow() - ago,
        )
        session.commit()
        return run.id


def state(sessions, run_id: int) -> tuple[str, str, bool]:
    with sessions() as session:
        run = session.get(DiagnosticRun, run_id)
        return run.outcome, run.code, run.running


def closing_events(sessions) -> list[Event]:
    with sessions() as session:
        return list(
            session.scalars(select(Event).where(Event.kind == "diagnostic_run").order_by(Event.id))
        )


# -- the command ----------------------------------------------------------------------------------


def test_the_command_closes_the_runs_past_their_script_longest_run_and_says_which(
    workshop, sessions, tag
):
    killed = started(sessions, tag, "battery", timedelta(hours=7))
    # An erasure may take 30 hours: seven hours in, it is still going.
    erasing = started(sessions, tag, "erasure", timedelta(hours=7))
    fresh = started(sessions, tag, "psu", timedelta(minutes=5))

    result = workshop("bench", "close-abandoned")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Closed run {killed} of {tag} (battery, station cli), started ")
    assert lines[0].endswith(" UTC: aborted, abandoned.")
    assert lines[-1] == "1 abandoned run closed."
    assert len(lines) == 2
    assert state(sessions, killed) == ("aborted", "abandoned", False)
    assert state(sessions, erasing)[2] and state(sessions, fresh)[2]
    with sessions() as session:
        run = session.get(DiagnosticRun, killed)
        assert run.message == (
            "The run never reported its end: the program running it stopped. Run it again."
        )
    [event] = closing_events(sessions)
    assert (event.payload["run"], event.payload["code"]) == (killed, "abandoned")


def test_the_command_with_nothing_stale_closes_nothing(workshop, sessions, tag):
    fresh = started(sessions, tag, "battery", timedelta(minutes=30))

    result = workshop("bench", "close-abandoned")

    assert result.exit_code == 0, result.output
    assert result.stdout == "No abandoned run to close.\n"
    assert state(sessions, fresh) == ("aborted", "", True)
    assert closing_events(sessions) == []
    # Run twice, it finds nothing more the second time either.
    assert workshop("bench", "close-abandoned").stdout == "No abandoned run to close.\n"


def test_older_than_gives_one_age_for_every_script_and_names_who_closed(
    workshop, sessions, tag, make_user
):
    make_user("manager", "mona")
    erasing = started(sessions, tag, "erasure", timedelta(hours=2))
    fresh = started(sessions, tag, "battery", timedelta(minutes=59))

    result = workshop("bench", "close-abandoned", "--older-than", "60", "--as", "mona")

    assert result.exit_code == 0, result.output
    assert f"Closed run {erasing} of {tag} (erasure, station cli)" in result.stdout
    assert result.stdout.splitlines()[-1] == "1 abandoned run closed."
    assert state(sessions, erasing)[1:] == ("abandoned", False)
    assert state(sessions, fresh)[2]
    [event] = closing_events(sessions)
    with sessions() as session:
        assert session.get(Event, event.id).entered_by.username == "mona"


@pytest.mark.parametrize("minutes", ["0", "-5", "soon"])
def test_a_bad_age_is_refused_and_nothing_is_closed(workshop, sessions, tag, minutes):
    old = started(sessions, tag, "battery", timedelta(days=3))

    result = workshop("bench", "close-abandoned", "--older-than", minutes)

    assert result.exit_code == 2
    assert "--older-than" in result.stderr
    assert state(sessions, old)[2]


def test_an_unknown_user_is_refused_before_anything_is_closed(workshop, sessions, tag):
    old = started(sessions, tag, "battery", timedelta(days=3))

    result = workshop("bench", "close-abandoned", "--as", "nobody")

    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert state(sessions, old)[2]


def test_the_default_ages_cover_each_script_whole_time_limit():
    for script in SCRIPTS.values():
        longest = sum(step.time_limit_s for step in script.steps)
        assert abandoned_after(script) > timedelta(seconds=longest)
    assert abandoned_after(SCRIPTS["psu"]) < timedelta(hours=1)
    assert abandoned_after(SCRIPTS["erasure"]) > timedelta(hours=30)


def test_a_run_a_bench_agent_drives_is_left_to_the_sweep_while_it_reports(workshop, sessions, tag):
    long_ago = utcnow() - timedelta(hours=40)
    with sessions() as session:
        device = get_device(session, tag)
        job = jobs.request_job(session, device, "battery", "bench-1", requested_by=None)
        jobs.claim_next(session, "bench-1", ["battery"], agent=None, now=long_ago)
        # Its agent still reports, so it is not abandoned whatever its age.
        jobs.report_progress(session, job, agent=None, percent=50)
        session.commit()
        job_id, run_id = job.id, job.run_id

    result = workshop("bench", "close-abandoned", "--older-than", "1")

    assert result.stdout == "No abandoned run to close.\n"
    assert state(sessions, run_id)[2]
    with sessions() as session:
        job = session.get(BenchJob, job_id)
        job.heartbeat_at = utcnow() - timedelta(minutes=10)
        session.commit()

    # Once its agent has gone silent, the command ends it as the work card would: lost.
    result = workshop("bench", "close-abandoned")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        f"Job {job_id} (battery of {tag}, station bench-1): its bench agent stopped reporting; "
        "its run ended as an error."
    )
    assert state(sessions, run_id) == ("error", "agent_lost", False)


# -- on the device page ------------------------------------------------------------------------------


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_a_technician_closes_a_stuck_run_from_the_device_page_in_french(
    client, logged_in, sessions, tag
):
    run_id = started(sessions, tag, "battery", timedelta(minutes=40))
    logged_in("technician", "theo")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = FRENCH["Accept-Language"]

    page = page_text(client.get(f"/devices/{tag}"))
    assert "en cours depuis le" in page
    action = f"/devices/{tag}/runs/{run_id}/abandoned"
    assert f'action="{action}"' in page
    assert "Ce test a été abandonné" in page

    token = csrf_token(client, f"/devices/{tag}")
    closed = client.post(
        action, data={"csrf_token": token, "back": "devices.show"}, follow_redirects=True
    )

    assert closed.status_code == 200
    text = page_text(closed)
    assert "Le test Batterie est clos comme abandonné\u00a0: relancez le test." in text
    # The run now says why it ended, in French, and the button is gone.
    assert (
        "Le test n'a jamais signalé sa fin\u00a0: le programme qui le menait s'est arrêté. "
        "Relancez-le." in text
    )
    assert f'action="{action}"' not in text
    assert state(sessions, run_id) == ("aborted", "abandoned", False)
    [event] = closing_events(sessions)
    with sessions() as session:
        assert session.get(Event, event.id).entered_by.username == "theo"

    # A second click (the page was open twice) changes nothing.
    again = client.post(action, data={"csrf_token": token}, follow_redirects=True)
    assert "était déjà terminé" in page_text(again)
    assert len(closing_events(sessions)) == 1


def test_the_work_card_sends_the_technician_back_to_the_card(client, logged_in, sessions, tag):
    run_id = started(sessions, tag, "battery", timedelta(minutes=40))
    logged_in("technician")

    token = csrf_token(client, f"/devices/{tag}")
    answer = client.post(
        f"/devices/{tag}/runs/{run_id}/abandoned",
        data={"csrf_token": token, "back": "workcard.show"},
    )

    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/work/{tag}#diagnostics")


def test_closing_a_run_checks_the_role_the_form_and_the_device(
    client, logged_in, sessions, tag, make_user
):
    run_id = started(sessions, tag, "battery", timedelta(minutes=40))
    action = f"/devices/{tag}/runs/{run_id}/abandoned"
    logged_in("warehouse")
    token = csrf_token(client, f"/devices/{tag}")

    page = page_text(client.get(f"/devices/{tag}"))
    assert f'action="{action}"' not in page
    assert client.post(action, data={"csrf_token": token}).status_code == 403
    assert client.get(action).status_code == 405

    client.post("/logout", data={"csrf_token": token})
    logged_in("manager")
    assert client.post(action, data={}).status_code == 400  # no CSRF token
    token = csrf_token(client, f"/devices/{tag}")
    with sessions() as session:
        other = receive_device(
            session,
            serial_number="PF1OTHER",
            category="laptop",
            make="Lenovo",
            model="T480",
            entered_by=None,
        ).device.asset_tag
        session.commit()
    assert (
        client.post(
            f"/devices/{other}/runs/{run_id}/abandoned", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert (
        client.post(f"/devices/{tag}/runs/999999/abandoned", data={"csrf_token": token}).status_code
        == 404
    )
    assert (
        client.post(
            f"/devices/A9999999X/runs/{run_id}/abandoned", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert state(sessions, run_id)[2]


def test_a_run_a_bench_agent_drives_is_stopped_from_the_card_not_closed(
    client, logged_in, sessions, tag
):
    with sessions() as session:
        device = get_device(session, tag)
        job = jobs.request_job(session, device, "battery", "bench-1", requested_by=None)
        jobs.claim_next(session, "bench-1", ["battery"], agent=None)
        session.commit()
        run_id = job.run_id
    logged_in("technician")
    action = f"/devices/{tag}/runs/{run_id}/abandoned"

    page = page_text(client.get(f"/devices/{tag}"))
    assert f'action="{action}"' not in page

    token = csrf_token(client, f"/devices/{tag}")
    refused = client.post(action, data={"csrf_token": token}, follow_redirects=True)

    assert refused.status_code == 200
    assert "driven by the bench agent of the station bench-1" in page_text(refused)
    assert state(sessions, run_id)[2]
    with sessions() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Event).where(Event.kind == "diagnostic_run")
            )
            == 0
        )
