"""Bench jobs: a technician asks a workstation's bench for a script, its bench agent runs it.

A job is `queued` until an agent of its station claims it; the claim starts the
device's run (records.start_run), so the run exists before the bench hears a
byte. The agent then reports progress (each report is a heartbeat, and its
answer says whether someone asked to stop) and finally the result
(records.finish_run). An agent that stops reporting for longer than
`LOST_AFTER` has its job marked `lost` and its run ended as an error: `sweep`
does that lazily, on every claim and every read, so no timer is needed. Like
the services in inventory/, these take the session first and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from diagnostics import records
from diagnostics.results import Limits, RunResult
from inventory.accounts import User
from inventory.db import transaction
from inventory.errors import N_, Conflict, IllegalTransition, InvalidInput, NotFound
from inventory.events import record_event
from inventory.lifecycle import LEFT_STAGES
from inventory.models import BenchJob, Device, DiagnosticRun
from inventory.types import utcnow

# An agent reports at least every few seconds while it runs; this much silence means it is gone.
LOST_AFTER = timedelta(seconds=60)
OPEN_STATES = ("queued", "running")
MAX_STATION = 64
MAX_MESSAGE = 200
AGENT_LOST = (
    "The bench agent stopped reporting during the run (its computer or the network went "
    "down): check the bench and the agent, then start the test again."
)


def _station(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(N_("%(field)s is required."), field="station")
    value = value.strip()
    if len(value) > MAX_STATION:
        raise InvalidInput(
            N_("%(field)s is at most %(limit)s characters."), field="station", limit=MAX_STATION
        )
    return value


def _lock(query: Any, session: Session) -> Any:
    """The query locking the rows it reads; rows another claim holds are skipped.

    PostgreSQL needs FOR UPDATE SKIP LOCKED for two agents not to take one job; on
    SQLite a writer holds the whole database, so claims are already one at a time.
    """
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def get_job(session: Session, job_id: int) -> BenchJob:
    """The job with this number, or NotFound."""
    job = session.get(BenchJob, job_id)
    if job is None:
        raise NotFound(N_("There is no bench job %(job)s."), job=job_id)
    return job


def jobs_for(session: Session, device: Device, *, limit: int = 20) -> list[BenchJob]:
    """A device's latest jobs, the newest first."""
    return list(
        session.scalars(
            select(BenchJob)
            .where(BenchJob.device_id == device.id)
            .order_by(BenchJob.requested_at.desc(), BenchJob.id.desc())
            .limit(limit)
        )
    )


def request_job(
    session: Session, device: Device, script: Any, station: Any, *, requested_by: User | None
) -> BenchJob:
    """Queue a script for a station's bench; refused while the same script is already asked."""
    if device.stage in LEFT_STAGES:
        raise IllegalTransition(
            N_("%(asset_tag)s has left the workshop (stage: %(stage)s): %(doing)s."),
            asset_tag=device.asset_tag,
            stage=device.stage,
            doing=N_("it cannot be tested"),
            allowed=[],
        )
    if script not in records.SCRIPT_NAMES:
        raise InvalidInput(
            N_("Unknown script %(value)r."),
            field="script",
            value=str(script)[:100],
            allowed=list(records.SCRIPT_NAMES),
        )
    station = _station(station)
    waiting = session.scalar(
        select(BenchJob).where(
            BenchJob.device_id == device.id,
            BenchJob.script == script,
            BenchJob.state.in_(OPEN_STATES),
        )
    )
    if waiting is not None:
        raise Conflict(
            N_(
                "The %(script)s test of %(asset_tag)s is already %(state)s on the station "
                "%(station)s: wait for it, or cancel it first."
            ),
            script=script,
            asset_tag=device.asset_tag,
            state=waiting.state,
            station=waiting.station,
            job=waiting.id,
        )
    job = BenchJob(
        device=device,
        cycle=device.cycle,
        script=script,
        station=station,
        state="queued",
        requested_by=requested_by,
        requested_at=utcnow(),
        message="",
        abort_requested=False,
    )
    session.add(job)
    session.flush()
    record_event(
        session,
        "bench_job_requested",
        device=device,
        entered_by=requested_by,
        cycle=device.cycle,
        stage=device.stage,
        script=script,
        station=station,
        job=job.id,
    )
    return job


def sweep(
    session: Session, *, now: datetime | None = None, lost_after: timedelta = LOST_AFTER
) -> list[BenchJob]:
    """Mark `lost` the running jobs whose agent went silent, and end their runs as errors."""
    now = now or utcnow()
    query = (
        select(BenchJob)
        .where(BenchJob.state == "running", BenchJob.heartbeat_at < now - lost_after)
        .order_by(BenchJob.id)
    )
    lost = list(session.scalars(_lock(query, session)))
    for job in lost:
        job.state = "lost"
        job.ended_at = now
        job.message = "Lost: the bench agent stopped reporting."
        run = job.run
        if run is not None and run.running:
            ended = RunResult(
                script=run.script,
                outcome="error",
                code="agent_lost",
                message=AGENT_LOST,
                started_at=run.started_at,
                ended_at=max(now, run.started_at),
            )
            records.finish_run(session, run, ended, limits_applied={})
    session.flush()
    return lost


def sweep_when_stale(
    factory: sessionmaker[Session], *, lost_after: timedelta = LOST_AFTER
) -> list[BenchJob]:
    """Sweep in a write of its own, but only when a read finds a silent agent's job."""
    # Pages and agents look at jobs every second: a write each time would queue
    # behind every other writer of the workshop.
    with transaction(factory, write=False) as session:
        stale = session.scalar(
            select(BenchJob.id)
            .where(BenchJob.state == "running", BenchJob.heartbeat_at < utcnow() - lost_after)
            .limit(1)
        )
    if stale is None:
        return []
    with transaction(factory) as session:
        return sweep(session, lost_after=lost_after)


def claim_next(
    session: Session,
    station: Any,
    scripts: Iterable[str],
    *,
    agent: User | None,
    now: datetime | None = None,
    lost_after: timedelta = LOST_AFTER,
) -> BenchJob | None:
    """The oldest queued job of the station that the agent's benches can run, now running.

    Its run is started here, before the agent opens the bench. A job whose device has
    left, or came back for a new cycle since it was asked, is cancelled on the way.
    """
    now = now or utcnow()
    station = _station(station)
    scripts = [script for script in scripts if script in records.SCRIPT_NAMES]
    sweep(session, now=now, lost_after=lost_after)
    if not scripts:
        return None
    query = (
        select(BenchJob)
        .where(
            BenchJob.station == station,
            BenchJob.state == "queued",
            BenchJob.script.in_(scripts),
        )
        .order_by(BenchJob.requested_at, BenchJob.id)
        .limit(1)
    )
    while True:
        job = session.scalar(_lock(query, session))
        if job is None:
            return None
        device = job.device
        if device.stage in LEFT_STAGES or device.cycle != job.cycle:
            job.state = "cancelled"
            job.ended_at = now
            job.message = "Cancelled: the device left the workshop before the test began."
            session.flush()
            continue
        job.state = "running"
        job.agent = agent
        job.claimed_at = now
        job.heartbeat_at = now
        job.percent = 0
        job.message = ""
        job.run = records.start_run(
            session,
            device,
            job.script,
            operator=job.requested_by,
            station=station,
            started_at=now,
        )
        session.flush()
        return job


def _check_running(job: BenchJob, agent: User | None) -> None:
    if job.state != "running":
        raise Conflict(
            N_("The bench job %(job)s is no longer running (%(state)s): stop working on it."),
            job=job.id,
            state=job.state,
        )
    if job.agent_id is not None and (agent is None or agent.id != job.agent_id):
        raise Conflict(
            N_("The bench job %(job)s was claimed by another agent."),
            job=job.id,
            state=job.state,
        )


def report_progress(
    session: Session,
    job: BenchJob,
    *,
    agent: User | None,
    percent: int | None,
    message: str = "",
    now: datetime | None = None,
) -> bool:
    """Note how far the run is (a heartbeat too); True when someone asked it to stop."""
    _check_running(job, agent)
    if percent is not None and not 0 <= percent <= 100:
        raise InvalidInput(
            N_("%(field)s must be between %(minimum)s and %(maximum)s."),
            field="percent",
            minimum="0",
            maximum="100",
        )
    job.heartbeat_at = now or utcnow()
    if percent is not None:
        job.percent = percent
    job.message = (message or "")[:MAX_MESSAGE]
    session.flush()
    return job.abort_requested


def _already_ended_with(job: BenchJob, result: RunResult, agent: User | None) -> bool:
    """True when the job already ended with this result, sent by the agent that claimed it."""
    run = job.run
    if job.state not in ("done", "cancelled") or run is None or run.running:
        return False
    if job.agent_id is not None and (agent is None or agent.id != job.agent_id):
        return False
    if (run.script, run.outcome, run.code) != (
        result.script,
        result.outcome,
        (result.code or "")[:40],
    ):
        return False
    # The end is the one finish_job stored: never before the start.
    ended_at = result.ended_at
    if ended_at is not None and ended_at < run.started_at:
        ended_at = run.started_at
    return ended_at is None or ended_at == run.ended_at


def _late_from_its_agent(job: BenchJob, agent: User | None) -> bool:
    """True when the sweep gave the job up for lost, and the agent that claimed it reports after all."""
    run = job.run
    if job.state != "lost" or run is None or run.code != "agent_lost":
        return False
    return job.agent_id is None or (agent is not None and agent.id == job.agent_id)


def finish_job(
    session: Session,
    job: BenchJob,
    result: RunResult,
    *,
    agent: User | None,
    limits_applied: Mapping[str, Limits] | None = None,
) -> DiagnosticRun:
    """End a running job with the agent's result, stored on its run with its measurements.

    The same result sent again (the agent never heard the first answer) changes nothing
    and gives back the run it ended. A job the sweep gave up for lost takes the result
    of the agent that claimed it, however late.
    """
    if _already_ended_with(job, result, agent):
        return job.run  # type: ignore[return-value]
    if _late_from_its_agent(job, agent):
        # "Lost" was the sweep's guess from the silence: the agent was down (a reboot, the
        # network), not the test. Its result, kept on its disk, is the run's real end; the
        # event of the guess stays in the history.
        job.state = "running"
        job.run.ended_at = None  # type: ignore[union-attr]
    _check_running(job, agent)
    run = job.run
    assert run is not None, "a running job has its run"
    if limits_applied is None:
        # The limits applied are the ones each measurement carries.
        limits_applied = {item.name: Limits(item.low, item.high) for item in result.measurements}
    # The agent's clock may be behind ours: a run never ends before it started here.
    if result.ended_at is not None and result.ended_at < run.started_at:
        result = replace(result, ended_at=run.started_at)
    records.finish_run(session, run, result, limits_applied=limits_applied)
    stopped = job.abort_requested and result.outcome == "aborted"
    job.state = "cancelled" if stopped else "done"
    job.ended_at = run.ended_at
    job.heartbeat_at = utcnow()
    if result.outcome == "pass":
        job.percent = 100
    job.message = (result.message or "")[:MAX_MESSAGE]
    session.flush()
    return run


def cancel_job(session: Session, job: BenchJob, *, by: User | None) -> BenchJob:
    """Stop a job: a queued one at once; a running one is asked to stop (the agent aborts it)."""
    if job.state == "queued":
        job.state = "cancelled"
        job.ended_at = utcnow()
        job.message = "Cancelled before the test began."
    elif job.state == "running":
        job.abort_requested = True
    else:
        return job
    session.flush()
    record_event(
        session,
        "bench_job_cancelled",
        device=job.device,
        entered_by=by,
        cycle=job.cycle,
        stage=job.device.stage,
        script=job.script,
        station=job.station,
        job=job.id,
        run=job.run_id,
    )
    return job
