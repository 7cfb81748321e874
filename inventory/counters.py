"""Named sequences (asset tags, location codes) shared safely by every app process."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session

from inventory.models import Counter

# On the table, not the mapped class, and built once: the ORM's bulk UPDATE
# machinery and the statement's construction cost more than running it, and
# intake takes a number on every device.
_COUNTERS = Counter.__table__
_TAKE = (
    update(_COUNTERS)
    .where(_COUNTERS.c.name == bindparam("counter"))
    .values(value=_COUNTERS.c.value + 1)
    .returning(_COUNTERS.c.value)
)


def take_number(session: Session, counter: str) -> int:
    """The next number of a counter; the row stays locked until the transaction ends."""
    number = session.scalar(_TAKE, {"counter": counter})
    if number is None:
        session.execute(insert(_COUNTERS).values(name=counter, value=1))
        number = 1
    return number
