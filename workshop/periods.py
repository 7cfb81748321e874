"""Days as the workshop counts them: from midnight in its own time zone, stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask_babel import get_timezone


def day_start(day: date) -> datetime:
    """The first instant of a day in the workshop's time zone, in UTC."""
    return datetime.combine(day, time(), get_timezone()).astimezone(UTC)


def period(since: date, until: date) -> tuple[datetime, datetime]:
    """From the start of the first day to the end of the last, in the workshop's time zone."""
    return day_start(since), day_start(until + timedelta(days=1))
