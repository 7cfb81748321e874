"""Time spent per stage and per technician, derived from the event log alone.

A stay in a stage runs from the event that moved the device into it to the
next event that moved it on. A technician's span runs from the event that gave
them the device (assigned, claimed) to the one that ended it (reassigned,
released, finished). Only stays and spans that ended within the period count,
so a figure for a past month never changes once the month is over.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.accounts import User
from inventory.lifecycle import STAGES
from inventory.models import Event
from inventory.types import UTCDateTime

STARTS = ("assigned", "claimed")
ENDS = ("reassigned", "released", "finished")


@dataclass(frozen=True)
class TimeSpent:
    """How many stays (or spans) ended in the period and how long they lasted."""

    stage: str
    count: int
    total: timedelta
    median: timedelta
    longest: timedelta
    technician: str = ""
    name: str = ""

    @property
    def mean(self) -> timedelta:
        """The average length of one stay."""
        return self.total / self.count


def _summary(
    stage: str, lengths: list[timedelta], technician: str = "", name: str = ""
) -> TimeSpent:
    return TimeSpent(
        stage=stage,
        count=len(lengths),
        total=sum(lengths, timedelta()),
        median=statistics.median(lengths),
        longest=max(lengths),
        technician=technician,
        name=name,
    )


def time_per_stage(session: Session, since: datetime, until: datetime) -> list[TimeSpent]:
    """Per stage, the stays that ended between `since` and `until`, in lifecycle order."""
    left_at = (
        func.lead(Event.occurred_at, type_=UTCDateTime())
        .over(partition_by=Event.device_id, order_by=(Event.occurred_at, Event.id))
        .label("left_at")
    )
    stays = (
        select(Event.to_stage, Event.occurred_at.label("entered_at"), left_at)
        .where(Event.to_stage.is_not(None), Event.device_id.is_not(None))
        .subquery()
    )
    rows = session.execute(
        select(stays.c.to_stage, stays.c.entered_at, stays.c.left_at).where(
            stays.c.left_at >= since, stays.c.left_at < until
        )
    )
    lengths: dict[str, list[timedelta]] = defaultdict(list)
    for stage, entered_at, left in rows:
        lengths[stage].append(left - entered_at)
    return [_summary(stage, lengths[stage]) for stage in STAGES if lengths.get(stage)]


def time_per_technician(session: Session, since: datetime, until: datetime) -> list[TimeSpent]:
    """Per technician and stage, the spans holding a device that ended in the period."""
    events = session.execute(
        select(Event.device_id, Event.kind, Event.occurred_at, Event.payload)
        .where(Event.kind.in_(STARTS + ENDS), Event.device_id.is_not(None))
        # Spans that end in the period may have begun long before it.
        .where(Event.occurred_at < until)
        .order_by(Event.device_id, Event.occurred_at, Event.id)
    )
    held: dict[int, tuple[str, str, datetime]] = {}
    lengths: dict[tuple[str, str], list[timedelta]] = defaultdict(list)
    for device_id, kind, occurred_at, payload in events:
        when = occurred_at
        if kind in STARTS:
            held[device_id] = (payload.get("technician", ""), payload.get("stage", ""), when)
            continue
        start = held.pop(device_id, None)
        if start is not None and since <= when < until:
            username, stage, began = start
            lengths[(username, stage)].append(when - began)
    usernames = {username for username, _stage in lengths}
    query = select(User.username, User.name).where(User.username.in_(usernames))
    names = {username: name for username, name in session.execute(query)}
    order = {stage: index for index, stage in enumerate(STAGES)}
    return [
        _summary(stage, spans, technician=username, name=names.get(username, ""))
        for (username, stage), spans in sorted(
            lengths.items(), key=lambda item: (item[0][0], order.get(item[0][1], len(order)))
        )
    ]
