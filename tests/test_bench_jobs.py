"""Bench jobs in the database: asked on the work card, claimed once by a station's agent, ended."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from diagnostics import jobs
from inventory.db import transaction
from inventory.errors import Conflict, IllegalTransition, InvalidInput
from inventory.intake import receive_device
from inventory.models import BenchJob, DiagnosticRun, Event
from inventory.recycling import recycle
from inventory.types import utcnow
from tests.conftest import passing_result


@pytest.fixture
def laptop(session):
    device = receive_device(
        session,
        serial_number="PF1JOB",
        category="laptop",
        make="Lenovo",
        model="T480",
        entered_by=None,
    ).device
    session.commit()
    return device


def ask(session, device, script="battery", station="bench-1"):
    job = jobs.request_job(session, device, script, station, requested_by=None)
    session.commit()
    return job


def test_a_job_is_claimed_once_by_an_agent_of_its_station_that_has_the_bench(session, laptop):
    job = ask(session, laptop)
    assert job.state == "queued" and job.run is None
    assert jobs.claim_next(session, "bench-2", ["battery"], agent=None) is None
    assert jobs.claim_next(session, "bench-1", ["psu", "disk-health"], agent=None) is None
    claimed = jobs.claim_next(session, "bench-1", ["battery"], agent=None)
    session.commit()
    assert claimed.id == job.id and claimed.state == "running"
    # The run exists before the agent opens the bench, and says it is going on.
    assert claimed.run.running and claimed.run.station == "bench-1"
    assert jobs.claim_next(session, "bench-1", ["battery"], agent=None) is None


def test_the_same_script_cannot_be_asked_twice_while_waiting_and_bad_input_names_the_field(
    session, laptop
):
    ask(session, laptop)
    with pytest.raises(Conflict):
        ask(session, laptop)
    session.rollback()
    with pytest.raises(InvalidInput) as refused:
        ask(session, laptop, script="toaster")
    assert refused.value.details["field"] == "script"
    with pytest.raises(InvalidInput) as refused:
        ask(session, laptop, script="psu", station="  ")
    assert refused.value.details["field"] == "station"


def claim_at_once(sessions, count):
    """`count` agents of one station claim at the same moment; what each got."""
    barrier = threading.Barrier(count)
    got: list[int | None] = [None] * count
    errors: list[BaseException] = []

    def agent(index):
        try:
            barrier.wait()
            with transaction(sessions) as session:
                job = jobs.claim_next(session, "bench-1", ["battery", "psu"], agent=None)
                got[index] = job.id if job else None
        except BaseException as error:  # pragma: no cover - shown by the assertion
            errors.append(error)

    threads = [threading.Thread(target=agent, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return got


def test_two_agents_claiming_at_once_get_different_jobs_or_none(sessions, session, laptop):
    first, second = ask(session, laptop), ask(session, laptop, script="psu")
    got = claim_at_once(sessions, 3)
    assert sorted(job for job in got if job) == sorted([first.id, second.id])
    assert got.count(None) == 1
    with sessions() as check:
        runs = check.query(DiagnosticRun).all()
        assert len(runs) == 2


def test_progress_is_a_heartbeat_and_its_answer_carries_a_stop_request(session, laptop):
    ask(session, laptop)
    job = jobs.claim_next(session, "bench-1", ["battery"], agent=None)
    assert (
        jobs.report_progress(session, job, agent=None, percent=30, message="Discharging") is False
    )
    assert (job.percent, job.message) == (30, "Discharging")
    jobs.cancel_job(session, job, by=None)
    assert job.state == "running"
    assert jobs.report_progress(session, job, agent=None, percent=31) is True
    stopped = passing_result("battery")
    stopped.outcome, stopped.code, stopped.message = "aborted", "aborted", "Stopped."
    run = jobs.finish_job(session, job, stopped, agent=None)
    session.commit()
    assert job.state == "cancelled" and run.outcome == "aborted" and not run.running
    with pytest.raises(Conflict):
        jobs.report_progress(session, job, agent=None, percent=40)


def test_a_queued_job_is_cancelled_at_once_and_never_claimed(session, laptop):
    job = ask(session, laptop)
    jobs.cancel_job(session, job, by=None)
    session.commit()
    assert job.state == "cancelled"
    assert jobs.claim_next(session, "bench-1", ["battery"], agent=None) is None


def test_a_finished_job_stores_its_run_with_the_measurements(session, laptop):
    ask(session, laptop)
    job = jobs.claim_next(session, "bench-1", ["battery"], agent=None)
    run = jobs.finish_job(session, job, passing_result("battery"), agent=None)
    session.commit()
    assert job.state == "done" and job.percent == 100
    assert run.outcome == "pass" and [item.name for item in run.measurements] == ["battery_ok"]
    # The same script may be asked again once the job has ended.
    assert ask(session, laptop).state == "queued"


def test_a_silent_agent_leaves_its_job_lost_and_its_run_an_error_never_running(session, laptop):
    ask(session, laptop)
    start = utcnow()
    job = jobs.claim_next(session, "bench-1", ["battery"], agent=None, now=start)
    session.commit()
    assert jobs.sweep(session, now=start + timedelta(seconds=59)) == []
    # The next claim sweeps first: no timer is needed.
    assert (
        jobs.claim_next(
            session, "bench-1", ["battery"], agent=None, now=start + timedelta(seconds=61)
        )
        is None
    )
    session.commit()
    assert job.state == "lost"
    run = session.get(DiagnosticRun, job.run_id)
    assert (run.outcome, run.code, run.running) == ("error", "agent_lost", False)


def test_a_lost_job_takes_its_own_agent_s_late_result_and_no_other(session, laptop, make_user):
    """An agent back from a power cut sends the result it kept: the run gets its real end."""
    agent, other = make_user("technician", "agent-1"), make_user("technician", "agent-2")
    ask(session, laptop)
    start = utcnow()
    job = jobs.claim_next(session, "bench-1", ["battery"], agent=agent, now=start)
    session.commit()
    jobs.sweep(session, now=start + timedelta(seconds=61))
    session.commit()
    assert job.state == "lost" and job.run.code == "agent_lost"

    result = passing_result("battery")
    with pytest.raises(Conflict):
        jobs.finish_job(session, job, result, agent=other)
    session.rollback()
    run = jobs.finish_job(session, job, result, agent=agent)
    session.commit()
    assert (job.state, run.id, run.outcome, run.running) == ("done", job.run_id, "pass", False)
    assert [item.name for item in run.measurements] == ["battery_ok"]
    ends = session.scalars(
        select(Event.payload)
        .where(Event.kind == "diagnostic_run", Event.device_id == laptop.id)
        .order_by(Event.id)
    ).all()
    # The history keeps the sweep's verdict, then the real end.
    assert [payload["outcome"] for payload in ends] == ["error", "pass"]
    # Sent once more (the answer was lost too): the same run, nothing added.
    again = jobs.finish_job(session, job, result, agent=agent)
    assert again.id == run.id and len(run.measurements) == 1


def test_a_run_closed_by_a_person_takes_no_late_result(session, laptop):
    ask(session, laptop)
    start = utcnow()
    job = jobs.claim_next(session, "bench-1", ["battery"], agent=None, now=start)
    session.commit()
    jobs.sweep(session, now=start + timedelta(seconds=61))
    job.run.code = "abandoned"  # as if a technician had closed it before the sweep
    session.commit()
    with pytest.raises(Conflict):
        jobs.finish_job(session, job, passing_result("battery"), agent=None)


def test_a_job_asked_in_an_earlier_cycle_is_cancelled_not_run(session, laptop):
    job = ask(session, laptop)
    recycle(session, laptop, reason="obsolete", weight_kg=2, entered_by=None)
    session.commit()
    with pytest.raises(IllegalTransition):
        ask(session, laptop, script="psu")
    session.rollback()
    back = receive_device(
        session,
        serial_number="PF1JOB",
        category="laptop",
        make="Lenovo",
        model="T480",
        entered_by=None,
    )
    session.commit()
    assert back.new_cycle
    assert jobs.claim_next(session, "bench-1", ["battery"], agent=None) is None
    session.commit()
    assert session.get(BenchJob, job.id).state == "cancelled"
    # In its new cycle the device can be tested again.
    fresh = ask(session, laptop)
    assert jobs.claim_next(session, "bench-1", ["battery"], agent=None).id == fresh.id
