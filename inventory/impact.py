"""The yearly impact figures: one written definition each, computed from the event log and staff.

A calendar year runs from 1 January 00:00 to 31 December 24:00 in the workshop's
time zone. Device figures are aggregate queries over the event log, each device
counted once a year, in the month of its first counted event. Staff figures come
from the employment periods, insertion programmes and disability recognitions;
recognitions are only ever read here to count totals, and that read is logged.

Publishing a year freezes its figures with a hash of the events and of the staff
records they came from; a later recomputation says what changed since and why.

The report carries an appendix, `repairs`: the repair figures of the year and its
months (inventory/repair_figures.py). Publishing freezes it with the rest; a year
published before the appendix existed shows it as computed now.
"""

from __future__ import annotations

import calendar
import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Integer,
    Numeric,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased

from inventory.accounts import User
from inventory.errors import N_, Conflict, InvalidInput, NotFound
from inventory.models import Device, Event
from inventory.people import (
    PAID_CONTRACTS,
    POSITIVE_EXITS,
    DisabilityRecognition,
    Employment,
    ImpactPublication,
    InsertionProgramme,
)
from inventory.recognition import spans_for_totals
from inventory.types import UTCDateTime, utcnow

DEFAULT_TIMEZONE = "Europe/Paris"
LANGUAGES = ("en", "fr")
FIRST_YEAR, LAST_YEAR = 1990, 2200


@dataclass(frozen=True)
class Figure:
    """One figure of the yearly report: its key, its label and its definition, in both languages."""

    key: str
    label_en: str
    label_fr: str
    definition_en: str
    definition_fr: str

    def label(self, language: str) -> str:
        """The label in French or English."""
        return self.label_fr if language == "fr" else self.label_en

    def definition(self, language: str) -> str:
        """The definition in French or English."""
        return self.definition_fr if language == "fr" else self.definition_en


# The one place the figures are defined; every report prints these words. French uses
# a no-break space before the colon, as French typography asks.
FIGURES = (
    Figure(
        "units_received",
        "Units received",
        "Appareils reçus",
        "Devices whose intake is in the year (a device received twice counts once).",
        "Appareils dont la réception a eu lieu dans l'année (un appareil reçu deux fois compte "
        "une fois).",
    ),
    Figure(
        "units_repaired",
        "Units repaired",
        "Appareils reconditionnés",
        "Devices whose first entry into the stage ready (for sale) is in the year.",
        "Appareils dont la première entrée dans l'étape « prêt à la vente » a eu lieu dans "
        "l'année.",
    ),
    Figure(
        "units_sold",
        "Units sold",
        "Appareils vendus",
        "Devices sold in the year through any channel but donation, each device once.",
        "Appareils vendus dans l'année par tout canal sauf le don, chaque appareil une fois.",
    ),
    Figure(
        "units_donated",
        "Units donated",
        "Appareils donnés",
        "Devices given in the year through the donation channel, each device once.",
        "Appareils cédés dans l'année par le canal don, chaque appareil une fois.",
    ),
    Figure(
        "units_recycled",
        "Units recycled",
        "Appareils recyclés",
        "Devices that entered the stage recycled in the year, each device once.",
        "Appareils entrés dans l'étape « recyclé » dans l'année, chaque appareil une fois.",
    ),
    Figure(
        "weight_reused_kg",
        "Weight reused (kg)",
        "Poids réemployé (kg)",
        "Weight in kilograms of the devices sold or donated in the year, each device once.",
        "Poids en kilogrammes des appareils vendus ou donnés dans l'année, chaque appareil une "
        "fois.",
    ),
    Figure(
        "weight_recycled_kg",
        "Weight recycled (kg)",
        "Poids recyclé (kg)",
        "Weight in kilograms of the devices recycled in the year, as weighed when recycled.",
        "Poids en kilogrammes des appareils recyclés dans l'année, tel que pesé au recyclage.",
    ),
    Figure(
        "reuse_rate",
        "Reuse rate",
        "Taux de réemploi",
        "weight_reused_kg / (weight_reused_kg + weight_recycled_kg); empty when both are 0.",
        "weight_reused_kg / (weight_reused_kg + weight_recycled_kg)\u00a0; vide si les deux "
        "valent 0.",
    ),
    Figure(
        "jobs_created",
        "Jobs created",
        "Emplois créés",
        "People on paid contracts (all but intern and volunteer) whose hire date is in the year.",
        "Personnes sous contrat rémunéré (tous sauf stage et bénévolat) dont la date d'embauche "
        "est dans l'année.",
    ),
    Figure(
        "jobs_created_disabled",
        "of which for disabled workers",
        "dont pour des travailleurs handicapés",
        "Of the jobs created, people whose disability recognition is valid on their hire date "
        "(their first hire of the year).",
        "Parmi les emplois créés, personnes dont la reconnaissance de handicap est valide à leur "
        "date d'embauche (leur première embauche de l'année).",
    ),
    Figure(
        "jobs_sustained",
        "Jobs sustained",
        "Emplois maintenus",
        "People on paid contracts hired before 1 January of the year and still employed on "
        "31 December of the year (in the same employment period).",
        "Personnes sous contrat rémunéré embauchées avant le 1er janvier de l'année et "
        "toujours employées le 31 décembre de l'année (dans la même période d'emploi).",
    ),
    Figure(
        "headcount_end",
        "Headcount on 31 December",
        "Effectif au 31 décembre",
        "People on paid contracts employed on 31 December of the year.",
        "Personnes sous contrat rémunéré employées le 31 décembre de l'année.",
    ),
    Figure(
        "fte_average",
        "Average full-time equivalents",
        "Équivalents temps plein moyens",
        "Sum over paid people of FTE x days employed in the year, divided by the days of the "
        "year (365, or 366 in a leap year).",
        "Somme, pour les personnes rémunérées, de l'ETP x les jours employés dans l'année, "
        "divisée par le nombre de jours de l'année (365, ou 366 une année bissextile).",
    ),
    Figure(
        "disabled_fte_share",
        "Share of FTE worked by disabled workers",
        "Part des ETP travaillés par des travailleurs handicapés",
        "The part of fte_average worked on days when the person's disability recognition is "
        "valid, as a fraction of fte_average (0 to 1); empty when fte_average is 0.",
        "La part de fte_average travaillée les jours où la reconnaissance de handicap de la "
        "personne est valide, en fraction de fte_average (0 à 1)\u00a0; vide si fte_average "
        "vaut 0.",
    ),
    Figure(
        "insertion_exits",
        "Insertion exits",
        "Sorties d'insertion",
        "Insertion programme participants whose exit date is in the year.",
        "Participants à un parcours d'insertion dont la date de sortie est dans l'année.",
    ),
    Figure(
        "insertion_exits_positive",
        "Positive insertion exits",
        "Sorties d'insertion positives",
        "Of those, exits to durable employment, transition employment or training.",
        "Parmi elles, les sorties vers un emploi durable, un emploi de transition ou une "
        "formation.",
    ),
    Figure(
        "units_repaired_per_fte",
        "Units repaired per FTE",
        "Appareils reconditionnés par ETP",
        "units_repaired / fte_average, both as printed; empty when fte_average is 0.",
        "units_repaired / fte_average, tels qu'imprimés\u00a0; vide si fte_average vaut 0.",
    ),
)
KEYS = tuple(figure.key for figure in FIGURES)
BY_KEY = {figure.key: figure for figure in FIGURES}
# The device figures broken down by month, and the headcount at each month's end.
MONTHLY_KEYS = (
    "units_received",
    "units_repaired",
    "units_sold",
    "units_donated",
    "units_recycled",
    "weight_reused_kg",
    "weight_recycled_kg",
)
HEADCOUNT = Figure(
    "headcount",
    "Headcount at the month's end",
    "Effectif en fin de mois",
    "People on paid contracts employed on the last day of the month.",
    "Personnes sous contrat rémunéré employées le dernier jour du mois.",
)
MONTHLY_FIGURES = (*(BY_KEY[key] for key in MONTHLY_KEYS), HEADCOUNT)
# The stages whose entry a figure counts; intake is the event kind `intake`.
COUNTED_STAGES = ("ready", "sold", "recycled")

KG = Decimal("0.001")
# For the report's own transaction on PostgreSQL: these queries are short, so compiling
# them (JIT) takes longer than running them; a year's devices are grouped in memory, not
# on disk; and they are read through indexes, as cheaply as an SSD makes it.
POSTGRESQL_SETTINGS = ("jit = off", "work_mem = '64MB'", "random_page_cost = 1.1")


def _round(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def check_year(year: Any) -> int:
    """A calendar year as an integer, within reason."""
    try:
        number = int(str(year).strip())
    except ValueError:
        raise InvalidInput(N_("The year must be a number like 2016."), field="year") from None
    if not FIRST_YEAR <= number <= LAST_YEAR:
        raise InvalidInput(
            N_("The year must be between %(first)s and %(last)s."),
            field="year",
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
    return number


def month_starts(year: int, timezone: str) -> list[datetime]:
    """The 13 instants (UTC) that open each month of the year and the next year, locally."""
    zone = ZoneInfo(timezone)
    starts = [date(year, month, 1) for month in range(1, 13)] + [date(year + 1, 1, 1)]
    return [datetime.combine(day, time(), zone).astimezone(UTC) for day in starts]


def _month_of(column: ColumnElement[Any], starts: list[datetime]) -> ColumnElement[int]:
    """SQL for the month (1 to 12) an instant of the year falls in; NULL stays NULL."""
    return case(
        *((column < start, month) for month, start in enumerate(starts[1:12], start=1)),
        else_=case((column.is_(None), None), else_=12),
    )


def _first_in_year(condition: ColumnElement[bool], start: datetime, end: datetime) -> Any:
    """Each device with an event matching `condition` in the year, and the first such moment."""
    return (
        select(Event.device_id.label("device_id"), func.min(Event.occurred_at).label("at"))
        .where(condition, Event.occurred_at >= start, Event.occurred_at < end)
        .group_by(Event.device_id)
    )


def dialect_name(session: Session) -> str:
    """The database the session talks to: sqlite or postgresql."""
    return session.get_bind().dialect.name


def _gift_channel(dialect: str, table: str) -> str:
    """SQL true when a sale event's channel is donation (NULL when it names no channel)."""
    if dialect == "postgresql":
        return f"({table}.payload ->> 'channel') = 'donation'"
    return f"json_extract({table}.payload, '$.channel') = 'donation'"


def donation_sql(dialect: str, table: str) -> str:
    """SQL true for a sale through the donation channel, written as its index is."""
    return f"{table}.to_stage = 'sold' AND {_gift_channel(dialect, table)}"


def _weight_of(device_id: Any) -> Any:
    """The device's weight, looked up by its key for each of the year's devices."""
    # A look-up per device, not a join: PostgreSQL would otherwise read every device ever
    # received to hash them, when a year holds a tenth of them.
    return select(Device.weight_kg).where(Device.id == device_id).scalar_subquery()


def _per_month(rows: Any, months: list[str], weight: str | None = None) -> Any:
    """Count the rows (and sum their weight) per combination of their month columns."""
    # Grouping by the months of a subquery, not by the CASE itself: PostgreSQL would see
    # the CASE's parameters in SELECT and in GROUP BY as two different expressions.
    table = rows.subquery()
    keys = [table.c[name] for name in months]
    totals = [func.count()] + ([func.sum(table.c[weight])] if weight else [])
    return select(*keys, *totals).group_by(*keys)


def _empty_months() -> list[dict[str, Any]]:
    return [
        {
            "month": month,
            **{key: 0 for key in MONTHLY_KEYS[:5]},
            **{key: Decimal("0") for key in MONTHLY_KEYS[5:]},
        }
        for month in range(1, 13)
    ]


def _first_entry_into_ready(dialect: str, ready: Any) -> Any:
    """SQL for the first time ever the device of a `ready` row entered ready."""
    if dialect == "sqlite":
        # SQLite would read every device's entries into ready for each device when the
        # database has no statistics yet (just imported, never analysed); SQLAlchemy
        # has no hint for SQLite, so the index is named in SQL.
        return literal_column(
            "(SELECT min(entry.occurred_at) FROM events AS entry"
            " INDEXED BY ix_events_ready_device_id_occurred_at"
            f" WHERE entry.device_id = {ready.name}.device_id AND entry.to_stage = 'ready')",
            type_=UTCDateTime(),
        )
    earlier = aliased(Event)
    return (
        select(func.min(earlier.occurred_at))
        .where(
            earlier.device_id == ready.c.device_id,
            # Written out, not bound: the planner then sees that the index of entries into
            # ready (only those rows) answers it, one look-up per device.
            earlier.to_stage == literal_column("'ready'"),
        )
        .scalar_subquery()
    )


def device_figures(session: Session, year: int, timezone: str = DEFAULT_TIMEZONE) -> dict[str, Any]:
    """The device figures of the year and their monthly breakdown, by aggregate queries."""
    starts = month_starts(year, timezone)
    start, end = starts[0], starts[12]
    months = _empty_months()

    if dialect_name(session) == "postgresql":
        for setting in POSTGRESQL_SETTINGS:
            session.execute(text(f"SET LOCAL {setting}"))

    def add(month: int | None, key: str, value: Any) -> None:
        if month is not None and value:
            months[month - 1][key] += value

    # Received: each device once, in the month of its first intake of the year.
    received = _first_in_year(Event.kind == "intake", start, end).subquery()
    query = _per_month(select(_month_of(received.c.at, starts).label("month")), ["month"])
    for month, count in session.execute(query):
        add(month, "units_received", count)

    # Repaired: the device's first entry into ready ever, when it falls in the year.
    ready = _first_in_year(Event.to_stage == "ready", start, end).subquery("ready")
    first_ready = _first_entry_into_ready(dialect_name(session), ready)
    query = _per_month(
        select(_month_of(ready.c.at, starts).label("month")).where(first_ready >= start),
        ["month"],
    )
    for month, count in session.execute(query):
        add(month, "units_repaired", count)

    # Sold and donated. The channel is in the event's payload; donations are few, so they
    # have an index of their own and every other sale is counted from the stage index alone.
    dialect = dialect_name(session)
    in_year = and_(Event.occurred_at >= start, Event.occurred_at < end)
    sales = (
        select(
            Event.device_id.label("device_id"),
            func.min(Event.occurred_at).label("any_at"),
            func.count().label("sales"),
        )
        .where(Event.to_stage == literal_column("'sold'"), in_year)
        .group_by(Event.device_id)
        .subquery()
    )
    # SQLite would pick the stage index and read every sale's payload: it is told which.
    hint = " INDEXED BY ix_events_donations_occurred_at" if dialect == "sqlite" else ""
    gifts = (
        text(
            "SELECT device_id, min(occurred_at) AS donated_at, count(*) AS gifts "
            f"FROM events{hint} WHERE {donation_sql(dialect, 'events')} "
            "AND occurred_at >= :start AND occurred_at < :end GROUP BY device_id"
        )
        .bindparams(
            bindparam("start", start, type_=UTCDateTime()),
            bindparam("end", end, type_=UTCDateTime()),
        )
        .columns(device_id=Integer(), donated_at=UTCDateTime(), gifts=Integer())
        .subquery("gifts")
    )
    # A device both given and sold in the year (rare) has its first sale looked up.
    other = aliased(Event, name="other_sale")
    first_sale_month = (
        select(_month_of(func.min(other.occurred_at), starts))
        .where(
            other.device_id == sales.c.device_id,
            other.to_stage == literal_column("'sold'"),
            other.occurred_at >= start,
            other.occurred_at < end,
            # A sale that names no channel is no donation.
            text(f"NOT coalesce({_gift_channel(dialect, 'other_sale')}, false)"),
        )
        .scalar_subquery()
    )
    sold_month = case(
        (gifts.c.device_id.is_(None), _month_of(sales.c.any_at, starts)),
        (sales.c.sales > gifts.c.gifts, first_sale_month),
        else_=None,
    )
    query = _per_month(
        select(
            _month_of(sales.c.any_at, starts).label("any_month"),
            sold_month.label("sold_month"),
            _month_of(gifts.c.donated_at, starts).label("donated_month"),
            _weight_of(sales.c.device_id).label("weight"),
        )
        .select_from(sales)
        .outerjoin(gifts, gifts.c.device_id == sales.c.device_id),
        ["any_month", "sold_month", "donated_month"],
        "weight",
    )
    for any_month, sold_month, donated_month, count, weight in session.execute(query):
        add(sold_month, "units_sold", count)
        add(donated_month, "units_donated", count)
        add(any_month, "weight_reused_kg", Decimal(str(weight or 0)))

    # Recycled: the weight recorded with the recycling, else the device's.
    weighed = Event.payload["weight_kg"].as_string()
    recycled = (
        select(
            Event.device_id.label("device_id"),
            func.min(Event.occurred_at).label("at"),
            func.max(weighed).label("weight"),
        )
        .where(Event.to_stage == "recycled", Event.occurred_at >= start, Event.occurred_at < end)
        .group_by(Event.device_id)
        .subquery()
    )
    query = _per_month(
        select(
            _month_of(recycled.c.at, starts).label("month"),
            func.coalesce(_as_number(recycled.c.weight), _weight_of(recycled.c.device_id)).label(
                "weight"
            ),
        ),
        ["month"],
        "weight",
    )
    for month, count, weight in session.execute(query):
        add(month, "units_recycled", count)
        add(month, "weight_recycled_kg", Decimal(str(weight or 0)))

    for row in months:
        for key in MONTHLY_KEYS[5:]:
            row[key] = _round(row[key], "0.001")
    totals: dict[str, Any] = {key: sum(row[key] for row in months) for key in MONTHLY_KEYS}
    return {"totals": totals, "monthly": months}


def _as_number(column: Any) -> Any:
    return cast(column, Numeric(12, 3))


def _overlap(a: date, b: date, c: date, d: date) -> int:
    """Days in common between [a, b] and [c, d], both ends included."""
    return max(0, (min(b, d) - max(a, c)).days + 1)


def _merged(spans: list[tuple[date, date | None]]) -> list[tuple[date, date]]:
    """Recognition spans as disjoint closed intervals, an open end as date.max."""
    out: list[tuple[date, date]] = []
    for start, end in sorted((start, end or date.max) for start, end in spans):
        if out and (out[-1][1] == date.max or start <= out[-1][1] + timedelta(days=1)):
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def staff_figures(session: Session, year: int, *, reader: User | None = None) -> dict[str, Any]:
    """The employment figures of the year, from the staff records (recognitions as totals)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    days = 366 if calendar.isleap(year) else 365
    periods = list(
        session.execute(
            select(
                Employment.person_id, Employment.hired_on, Employment.left_on, Employment.fte
            ).where(Employment.contract.in_(PAID_CONTRACTS))
        )
    )
    spans = {
        person: _merged(found) for person, found in spans_for_totals(session, reader=reader).items()
    }

    def recognised(person: int, day: date) -> bool:
        return any(start <= day <= end for start, end in spans.get(person, ()))

    def employed(left_on: date | None, hired_on: date, day: date) -> bool:
        return hired_on <= day and (left_on is None or left_on >= day)

    first_hire: dict[int, date] = {}
    sustained: set[int] = set()
    at_end: set[int] = set()
    fte_days = Decimal(0)
    disabled_fte_days = Decimal(0)
    month_ends = [date(year, m, calendar.monthrange(year, m)[1]) for m in range(1, 13)]
    headcount = [set() for _ in month_ends]
    for person, hired_on, left_on, fte in periods:
        if first <= hired_on <= last:
            first_hire[person] = min(first_hire.get(person, hired_on), hired_on)
        if hired_on < first and employed(left_on, hired_on, last):
            sustained.add(person)
        if employed(left_on, hired_on, last):
            at_end.add(person)
        for index, month_end in enumerate(month_ends):
            if employed(left_on, hired_on, month_end):
                headcount[index].add(person)
        worked_from, worked_to = max(hired_on, first), min(left_on or last, last)
        if worked_from > worked_to:
            continue
        worked = (worked_to - worked_from).days + 1
        fte = Decimal(fte)
        fte_days += fte * worked
        recognised_days = sum(
            _overlap(worked_from, worked_to, start, end) for start, end in spans.get(person, ())
        )
        disabled_fte_days += fte * recognised_days

    exits = list(
        session.execute(
            select(InsertionProgramme.person_id, InsertionProgramme.exit_outcome).where(
                InsertionProgramme.exited_on >= first, InsertionProgramme.exited_on <= last
            )
        )
    )
    fte_average = _round(fte_days / days, "0.001")
    return {
        "totals": {
            "jobs_created": len(first_hire),
            "jobs_created_disabled": sum(
                1 for person, hired in first_hire.items() if recognised(person, hired)
            ),
            "jobs_sustained": len(sustained),
            "headcount_end": len(at_end),
            "fte_average": fte_average,
            "disabled_fte_share": (
                _round(disabled_fte_days / fte_days, "0.0001") if fte_days else None
            ),
            "insertion_exits": len({person for person, _outcome in exits}),
            "insertion_exits_positive": len(
                {person for person, outcome in exits if outcome in POSITIVE_EXITS}
            ),
        },
        "headcount": [len(people) for people in headcount],
    }


def compute(
    session: Session,
    year: Any,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    reader: User | None = None,
) -> dict[str, Any]:
    """Every figure of the year, recomputed now, with numbers as Decimal and int."""
    year = check_year(year)
    devices = device_figures(session, year, timezone)
    staff = staff_figures(session, year, reader=reader)
    figures: dict[str, Any] = {**devices["totals"], **staff["totals"]}
    reused, recycled = figures["weight_reused_kg"], figures["weight_recycled_kg"]
    figures["reuse_rate"] = (
        _round(reused / (reused + recycled), "0.0001") if reused + recycled else None
    )
    fte = figures["fte_average"]
    figures["units_repaired_per_fte"] = (
        _round(Decimal(figures["units_repaired"]) / fte, "0.01") if fte else None
    )
    monthly = [
        {**row, "headcount": count}
        for row, count in zip(devices["monthly"], staff["headcount"], strict=True)
    ]
    return {"year": year, "figures": {key: figures[key] for key in KEYS}, "monthly": monthly}


# -- the report as data: JSON-ready, with definitions and the publication ----------------------


def plain(value: Any) -> Any:
    """A figure as JSON holds it: Decimal as a number, None as null."""
    return float(value) if isinstance(value, Decimal) else value


def report(
    session: Session,
    year: Any,
    *,
    language: str = "en",
    timezone: str = DEFAULT_TIMEZONE,
    reader: User | None = None,
) -> dict[str, Any]:
    """The yearly report: the figures (as published, when the year is), monthly, definitions."""
    if language not in LANGUAGES:
        raise InvalidInput(
            N_("Unknown language %(value)r: use en or fr."), field="lang", value=str(language)
        )
    computed = compute(session, year, timezone=timezone, reader=reader)
    year = computed["year"]
    live = {key: plain(value) for key, value in computed["figures"].items()}
    live_monthly = [
        {key: plain(value) for key, value in row.items()} for row in computed["monthly"]
    ]
    live_repairs = _repair_appendix(session, year, timezone)
    publication = session.scalar(select(ImpactPublication).where(ImpactPublication.year == year))
    out: dict[str, Any] = {"year": year}
    repairs, repairs_status = live_repairs, "computed"
    if publication is None:
        out.update(live)
        out["monthly"] = live_monthly
        out["status"] = "computed"
        out["publication"] = None
    else:
        frozen = publication.figures
        out.update({key: frozen.get(key) for key in KEYS})
        out["monthly"] = frozen.get("monthly", [])
        out["status"] = "published"
        out["publication"] = _publication_json(
            session, publication, live, live_monthly, live_repairs, timezone
        )
        # Published before the appendix existed: it is shown as computed now, and says so.
        if frozen.get("repairs") is not None:
            repairs, repairs_status = frozen["repairs"], "published"
    out["definitions"] = {figure.key: figure.definition(language) for figure in FIGURES}
    out["labels"] = {figure.key: figure.label(language) for figure in FIGURES}
    out["monthly_labels"] = {figure.key: figure.label(language) for figure in MONTHLY_FIGURES}
    out["monthly_definitions"] = {
        figure.key: figure.definition(language) for figure in MONTHLY_FIGURES
    }
    out["repairs"] = _repairs_json(session, repairs, repairs_status, language)
    out["language"] = language
    out["timezone"] = timezone
    out["computed_at"] = utcnow().isoformat(timespec="seconds")
    return out


def _repair_appendix(session: Session, year: int, timezone: str) -> dict[str, Any]:
    """The repair figures of the year and its months, as the report and its publication hold them."""
    # Imported here: repair_figures builds on this module's months and Figure.
    from inventory.repair_figures import repair_figures

    figures = repair_figures(session, year, timezone=timezone)
    return {key: value for key, value in figures.items() if key not in ("year", "timezone")}


def _repairs_json(
    session: Session, figures: dict[str, Any], status: str, language: str
) -> dict[str, Any]:
    """The appendix: its figures (codes as codes), their words, and the codes' labels."""
    from inventory.repair_figures import FIGURES as REPAIR_FIGURES  # (as above)
    from inventory.repair_figures import code_labels

    return {
        **figures,
        "status": status,
        "labels": {figure.key: figure.label(language) for figure in REPAIR_FIGURES},
        "definitions": {figure.key: figure.definition(language) for figure in REPAIR_FIGURES},
        **code_labels(session, figures, language),
    }


def _counted_events(year: int, timezone: str) -> Any:
    """The events the device figures of the year are counted from."""
    starts = month_starts(year, timezone)
    return select(Event).where(
        or_(Event.kind == "intake", Event.to_stage.in_(COUNTED_STAGES)),
        Event.device_id.is_not(None),
        Event.occurred_at >= starts[0],
        Event.occurred_at < starts[12],
    )


def events_fingerprint(session: Session, year: int, timezone: str) -> tuple[str, int]:
    """SHA-256 of the events the year's device figures come from, and how many there are."""
    digest = hashlib.sha256()
    count = 0
    query = (
        _counted_events(year, timezone)
        .with_only_columns(
            Event.id,
            Event.kind,
            Event.device_id,
            Event.to_stage,
            Event.occurred_at,
            Event.payload["channel"].as_string(),
        )
        .order_by(Event.id)
        .execution_options(yield_per=10_000)
    )
    for event_id, kind, device_id, to_stage, occurred_at, channel in session.execute(query):
        digest.update(
            f"{event_id}|{kind}|{device_id}|{to_stage}|{occurred_at.isoformat()}|{channel}\n".encode()
        )
        count += 1
    return digest.hexdigest(), count


def staff_fingerprint(session: Session) -> str:
    """SHA-256 of the staff records the employment figures come from (recognitions included)."""
    digest = hashlib.sha256()
    for row in session.execute(
        select(
            Employment.id,
            Employment.person_id,
            Employment.hired_on,
            Employment.left_on,
            Employment.contract,
            Employment.fte,
        ).order_by(Employment.id)
    ):
        digest.update(("E" + "|".join(map(str, row)) + "\n").encode())
    for row in session.execute(
        select(
            InsertionProgramme.id,
            InsertionProgramme.person_id,
            InsertionProgramme.entered_on,
            InsertionProgramme.exited_on,
            InsertionProgramme.exit_outcome,
        ).order_by(InsertionProgramme.id)
    ):
        digest.update(("I" + "|".join(map(str, row)) + "\n").encode())
    for row in session.execute(
        select(
            DisabilityRecognition.id,
            DisabilityRecognition.person_id,
            DisabilityRecognition.valid_from,
            DisabilityRecognition.valid_until,
        ).order_by(DisabilityRecognition.id)
    ):
        digest.update(("R" + "|".join(map(str, row)) + "\n").encode())
    return digest.hexdigest()


def year_is_over(year: int, timezone: str, now: datetime | None = None) -> bool:
    """True once 31 December of the year has ended in the workshop's time zone."""
    return (now or utcnow()) >= month_starts(year, timezone)[12]


def publish(
    session: Session,
    year: Any,
    *,
    by: User | None,
    timezone: str = DEFAULT_TIMEZONE,
    now: datetime | None = None,
) -> ImpactPublication:
    """Freeze a finished year's figures with the hashes of what they came from."""
    year = check_year(year)
    if not year_is_over(year, timezone, now):
        raise InvalidInput(
            N_("%(year)s is not over yet: a year is published once 31 December has passed."),
            field="year",
            year=year,
        )
    existing = session.scalar(select(ImpactPublication).where(ImpactPublication.year == year))
    if existing is not None:
        raise Conflict(
            N_("The figures of %(year)s were already published on %(when)s."),
            year=year,
            when=existing.published_at.strftime("%Y-%m-%d"),
        )
    computed = compute(session, year, timezone=timezone, reader=by)
    events_hash, events_count = events_fingerprint(session, year, timezone)
    figures = {key: plain(value) for key, value in computed["figures"].items()}
    figures["monthly"] = [
        {key: plain(value) for key, value in row.items()} for row in computed["monthly"]
    ]
    # The appendix is frozen with the figures: a funder's published figure never changes.
    figures["repairs"] = _repair_appendix(session, year, timezone)
    publication = ImpactPublication(
        year=year,
        published_at=now or utcnow(),
        published_by=by,
        events_hash=events_hash,
        events_count=events_count,
        staff_hash=staff_fingerprint(session),
        figures=figures,
    )
    session.add(publication)
    session.flush()
    return publication


def get_publication(session: Session, year: int) -> ImpactPublication:
    """The publication of a year, or NotFound."""
    publication = session.scalar(select(ImpactPublication).where(ImpactPublication.year == year))
    if publication is None:
        raise NotFound(N_("The figures of %(year)s are not published."), year=year)
    return publication


def _publication_json(
    session: Session,
    publication: ImpactPublication,
    live: dict[str, Any],
    live_monthly: list[dict[str, Any]],
    live_repairs: dict[str, Any],
    timezone: str,
) -> dict[str, Any]:
    """What was published, and what a recomputation now gives differently, and why."""
    year = publication.year
    events_hash, events_count = events_fingerprint(session, year, timezone)
    frozen = publication.figures
    changes = [
        {"key": key, "published": frozen.get(key), "recomputed": live[key]}
        for key in KEYS
        if frozen.get(key) != live[key]
    ]
    late = Counter()
    query = (
        _counted_events(year, timezone)
        .with_only_columns(Event.kind, Event.to_stage, func.count())
        .where(Event.recorded_at > publication.published_at)
        .group_by(Event.kind, Event.to_stage)
    )
    for kind, to_stage, count in session.execute(query):
        late["intake" if kind == "intake" else to_stage] += count
    stamp = publication.published_at
    staff_changed = sum(
        session.scalar(select(func.count()).where(column > stamp)) or 0
        for column in (
            Employment.updated_at,
            InsertionProgramme.updated_at,
            DisabilityRecognition.recorded_at,
        )
    )
    # None when the year was published before the appendix existed: nothing was frozen.
    repairs_changed = None if frozen.get("repairs") is None else frozen["repairs"] != live_repairs
    return {
        "published_at": publication.published_at.isoformat(timespec="seconds"),
        "published_by": publication.published_by.username if publication.published_by else None,
        "events_hash": publication.events_hash,
        "events_count": publication.events_count,
        "staff_hash": publication.staff_hash,
        "recomputed_events_hash": events_hash,
        "recomputed_events_count": events_count,
        "recomputed_staff_hash": staff_fingerprint(session),
        "changed": bool(changes)
        or events_hash != publication.events_hash
        or frozen.get("monthly") != live_monthly
        or bool(repairs_changed),
        "changes": changes,
        "repairs_changed": repairs_changed,
        # Events of the year recorded after publication, by what they record: the reason
        # a recomputation differs (the log is append-only, so nothing else can change it).
        "late_events": [
            {"what": what, "count": late[what]}
            for what in ("intake", *COUNTED_STAGES)
            if late[what]
        ],
        "staff_records_changed": staff_changed,
    }


def explain_changes(publication: dict[str, Any], language: str) -> list[str]:
    """The changes since publication as sentences, for the text reports."""
    if not publication:
        return []
    lines = []
    french = language == "fr"
    for change in publication["changes"]:
        label = BY_KEY[change["key"]].label(language)
        lines.append(
            f"{label}\u00a0: {change['published']} → {change['recomputed']}"
            if french
            else f"{label}: {change['published']} → {change['recomputed']}"
        )
    names = {
        "intake": ("intakes", "réceptions"),
        "ready": ("entries into ready", "entrées en « prêt à la vente »"),
        "sold": ("sales and donations", "ventes et dons"),
        "recycled": ("recyclings", "recyclages"),
    }
    for late in publication["late_events"]:
        english, french_name = names[late["what"]]
        lines.append(
            f"{late['count']} {french_name} de l'année enregistrées après la publication"
            if french
            else f"{late['count']} {english} of the year recorded after publication"
        )
    if publication.get("repairs_changed"):
        lines.append(
            "Les chiffres des réparations recalculés diffèrent de ceux publiés"
            if french
            else "The repair figures recomputed now differ from those published"
        )
    if publication["staff_records_changed"]:
        count = publication["staff_records_changed"]
        lines.append(
            f"{count} fiches du personnel modifiées après la publication"
            if french
            else f"{count} staff records changed after publication"
        )
    return lines
