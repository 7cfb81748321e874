"""Bench tests asked from the work card: a technician starts one, follows it, cancels it."""

from __future__ import annotations

import html
import time

import pytest
from sqlalchemy import select

from diagnostics import jobs
from diagnostics.results import RunResult
from inventory.accounts import User
from inventory.devices import get_device
from inventory.intake import receive_device
from inventory.models import BenchJob
from tests.conftest import csrf_token, login
from tests.test_badges import PIN, idle_for, scan_badge, with_badge


def user(session, username):
    return session.scalar(select(User).where(User.username == username))


def text(response):
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def tag(sessions, make_user):
    make_user("technician", "theo")
    make_user("warehouse", "wanda")
    make_user("technician", "agent")
    with sessions() as session:
        tag = receive_device(
            session,
            serial_number="PF1BENCH",
            category="laptop",
            make="Lenovo",
            model="ThinkPad T480",
            entered_by=user(session, "theo"),
        ).device.asset_tag
        session.commit()
    return tag


def ask(client, tag, script="battery", station="bench-2"):
    card = f"/work/{tag}"
    token = csrf_token(client, card)
    return client.post(
        f"/work/{tag}/jobs",
        data={"csrf_token": token, "job-script": script, "job-station": station},
        follow_redirects=True,
    )


def job_list(sessions, tag):
    with sessions() as session:
        device = get_device(session, tag)
        return [(job.script, job.station, job.state) for job in jobs.jobs_for(session, device)]


def test_a_technician_asks_a_bench_test_from_the_card_and_the_station_is_remembered(
    client, sessions, tag
):
    login(client, "theo")
    card = text(client.get(f"/work/{tag}"))
    assert 'id="bench-jobs"' in card and "static/jobs.js" in card
    # The laptop's scripts are offered, and no station is known yet.
    for script in ("battery", "disk-health", "erasure"):
        assert f'<option value="{script}">' in card
    assert 'name="job-station" value=""' in card

    page = ask(client, tag, "battery", " bench-2 ")
    assert page.status_code == 200
    shown = text(page)
    assert "The Battery test is asked of the station bench-2" in shown
    assert job_list(sessions, tag) == [("battery", "bench-2", "queued")]
    # The card lists it with a button to cancel it, and the next form knows the station.
    assert "waiting for the station's bench agent" in shown
    assert "Cancel this test" in shown
    assert 'name="job-station" value="bench-2"' in shown
    assert 'data-job-open="yes"' in shown
    # The script's sentences are the template's, with the names for it to fill in.
    assert 'data-text-running="{script} on the station {station}: {percent} % done. {message}"' in (
        shown
    )


def test_the_same_test_cannot_be_asked_twice_while_it_waits_or_runs(client, sessions, tag):
    login(client, "theo")
    ask(client, tag, "battery", "bench-2")
    again = text(ask(client, tag, "battery", "bench-3"))
    assert (
        f"The Battery test of {tag} is already waiting for the station bench-2: wait for it, "
        "or cancel it below." in again
    )
    with sessions() as session:
        jobs.claim_next(session, "bench-2", ["battery"], agent=user(session, "agent"))
        session.commit()
    again = text(ask(client, tag, "battery", "bench-2"))
    assert "is already running on the station bench-2" in again
    # Another script is another test.
    ask(client, tag, "disk-health", "bench-2")
    assert sorted(job_list(sessions, tag)) == [
        ("battery", "bench-2", "running"),
        ("disk-health", "bench-2", "queued"),
    ]


def test_bad_requests_change_nothing_and_say_what_to_do(client, sessions, tag):
    login(client, "theo")
    assert "Type the name of the station" in text(ask(client, tag, "battery", "  "))
    assert "at most 64 characters" in text(ask(client, tag, "battery", "x" * 65))
    # A script the category does not offer is refused by the form.
    assert "Choose a test from the list" in text(ask(client, tag, "psu", "bench-2"))
    assert "Choose a test from the list" in text(ask(client, tag, "nonsense", "bench-2"))
    # Without the CSRF token, nothing is asked.
    response = client.post(
        f"/work/{tag}/jobs", data={"job-script": "battery", "job-station": "bench-2"}
    )
    assert response.status_code in (302, 400)
    assert job_list(sessions, tag) == []


def test_cancel_a_waiting_test_or_stop_a_running_one(client, sessions, tag):
    login(client, "theo")
    ask(client, tag, "battery", "bench-2")
    ask(client, tag, "erasure", "bench-2")
    with sessions() as session:
        by_script = {job.script: job.id for job in session.scalars(select(BenchJob))}
        jobs.claim_next(session, "bench-2", ["erasure"], agent=user(session, "agent"))
        session.commit()

    token = csrf_token(client, f"/work/{tag}")
    page = client.post(
        f"/work/{tag}/jobs/{by_script['battery']}/cancel",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "The Battery test is cancelled: it will not start." in text(page)
    page = client.post(
        f"/work/{tag}/jobs/{by_script['erasure']}/cancel",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "The Disk erasure test is asked to stop" in text(page)
    with sessions() as session:
        battery = session.get(BenchJob, by_script["battery"])
        erasure = session.get(BenchJob, by_script["erasure"])
        assert battery.state == "cancelled"
        assert erasure.state == "running" and erasure.abort_requested
        # The agent hears it at its next report.
        assert jobs.report_progress(session, erasure, agent=user(session, "agent"), percent=5)
        session.commit()
    # Cancelling again changes nothing; a job of another device is not found from this card.
    page = client.post(
        f"/work/{tag}/jobs/{by_script['battery']}/cancel",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "had already ended (cancelled). Nothing was changed." in text(page)
    assert (
        client.post(f"/work/{tag}/jobs/999999/cancel", data={"csrf_token": token}).status_code
        == 404
    )


def test_the_card_follows_its_jobs_as_json(client, sessions, tag):
    login(client, "theo")
    ask(client, tag, "battery", "bench-2")
    body = client.get(f"/work/{tag}/jobs.json").get_json()
    (job,) = body["items"]
    assert (
        job["state"] == "queued" and job["state_label"] == "waiting for the station's bench agent"
    )
    assert job["script_label"] == "Battery" and job["station"] == "bench-2"
    assert job["percent"] is None and job["outcome"] is None

    with sessions() as session:
        agent = user(session, "agent")
        claimed = jobs.claim_next(session, "bench-2", ["battery"], agent=agent)
        jobs.report_progress(session, claimed, agent=agent, percent=40, message="Discharging")
        session.commit()
    (job,) = client.get(f"/work/{tag}/jobs.json").get_json()["items"]
    assert (job["state"], job["percent"], job["message"]) == ("running", 40, "Discharging")

    with sessions() as session:
        agent = user(session, "agent")
        running = session.get(BenchJob, job["id"])
        run = running.run
        jobs.finish_job(
            session,
            running,
            RunResult(
                script="battery",
                outcome="fail",
                code="out_of_limits",
                message="Health 55 % under 70 %",
                started_at=run.started_at,
                ended_at=run.started_at,
            ),
            agent=agent,
        )
        session.commit()
    response = client.get(f"/work/{tag}/jobs.json")
    assert response.headers["Cache-Control"] == "no-store"
    (job,) = response.get_json()["items"]
    assert job["state"] == "done" and job["outcome"] == "fail"
    assert job["outcome_label"] == "Failed: the device is faulty"
    assert job["message"] == ""


@pytest.mark.parametrize(
    ("sent", "english", "french"),
    [
        (
            "capacity_test: Capacity test: 60 %",
            "Step: capacity test.",
            "Étape\u00a0: test de capacité.",
        ),
        ("power_on: power on: starting", "Step: power on.", "Étape\u00a0: mise sous tension."),
        (
            "identify: WDC WD5000 WX41A (HDD)",
            "Step: drive identification. WDC WD5000 WX41A (HDD)",
            "Étape\u00a0: identification du disque. WDC WD5000 WX41A (HDD)",
        ),
        ("Discharging", "Discharging", "Discharging"),
    ],
)
def test_the_agent_s_progress_names_its_step_in_the_reader_s_language(
    client, sessions, tag, sent, english, french
):
    login(client, "theo")
    ask(client, tag, "battery", "bench-2")
    with sessions() as session:
        agent = user(session, "agent")
        claimed = jobs.claim_next(session, "bench-2", ["battery"], agent=agent)
        jobs.report_progress(session, claimed, agent=agent, percent=60, message=sent)
        session.commit()
    url = f"/work/{tag}/jobs.json"
    (job,) = client.get(url, headers={"Accept-Language": "en"}).get_json()["items"]
    assert job["message"] == english
    (job,) = client.get(url, headers={"Accept-Language": "fr"}).get_json()["items"]
    assert job["message"] == french


def test_the_json_and_the_forms_check_the_role(client, sessions, tag):
    # Not logged in: sent to log in, no JSON.
    assert client.get(f"/work/{tag}/jobs.json").status_code == 302
    login(client, "wanda")
    assert client.get(f"/work/{tag}/jobs.json").status_code == 403
    token = csrf_token(client, "/")
    refused = client.post(
        f"/work/{tag}/jobs",
        data={"csrf_token": token, "job-script": "battery", "job-station": "bench-2"},
    )
    assert refused.status_code == 403
    assert job_list(sessions, tag) == []
    client.post("/logout", data={"csrf_token": token})
    login(client, "theo")
    assert client.get("/work/NOSUCH1/jobs.json").status_code == 404


def test_the_progress_polling_does_not_keep_a_badge_terminal_awake(client, sessions, tag):
    # theo exists already (the fixture): with_badge only gives him a badge and a PIN.
    code = with_badge(sessions, lambda *args: None, username="theo")
    scan_badge(client, code, PIN)
    idle_for(client, 4 * 60)
    assert client.get(f"/work/{tag}/jobs.json").status_code == 200
    with client.session_transaction() as cookie:
        # The page asked by itself: the last time someone used the terminal stays.
        assert cookie["terminal_seen"] <= int(time.time()) - 4 * 60 + 5
    idle_for(client, 5 * 60 + 1)
    assert client.get(f"/work/{tag}/jobs.json").headers["Location"] == "/terminal"
