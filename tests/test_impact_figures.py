"""Every yearly impact figure, from small histories written by hand, at the edges of the year."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from inventory import impact, recognition, staff
from inventory.accounts import User
from inventory.errors import Conflict, InvalidInput
from inventory.intake import receive_device
from inventory.models import Event
from inventory.people import HealthDataRead
from inventory.sales import add_to_order, complete_order, open_order, return_device
from inventory.stages import move_to_stage
from inventory.types import utcnow
from tests.conftest import enter_ready
from tests.people_helpers import History, at, write_histories


def _figures(session, year):
    return impact.compute(session, year)["figures"]


def test_device_figures_count_each_device_once_in_the_right_year_and_month(session):
    d1, _d2, _d3, _d4, _d5, d6 = write_histories(
        session,
        [
            # Received in the last minute of 2023, ready in the first of 2024, sold on 29 February.
            History("2023-12-31 23:59", ready="2024-01-01 00:00", sold="2024-02-29"),
            # Received in the first minute of 2024, ready in its last minute.
            History("2024-01-01 00:00", ready="2024-12-31 23:59"),
            # Sold in the first minute of 2025: not a 2024 sale.
            History("2024-06-15", ready="2024-07-01", sold="2025-01-01 00:00"),
            History("2024-03-10", recycled="2024-03-20", weight_kg="5.500"),
            History(
                "2024-04-01",
                ready="2024-04-02",
                sold="2024-05-05",
                channel="donation",
                weight_kg="3.250",
            ),
            # Repaired in 2023, sold in 2024.
            History("2023-11-01", ready="2023-12-01", sold="2024-01-15", weight_kg="1.500"),
        ],
    )
    now = utcnow()
    # d6 comes back, is ready again and sold again in 2024: still one repair (in 2023), one sale.
    session.execute(
        insert(Event.__table__),
        [
            {
                "kind": "stage_change",
                "device_id": d6,
                "from_stage": "sold",
                "to_stage": "returned",
                "occurred_at": at("2024-02-01"),
                "recorded_at": now,
                "payload": {},
            },
            {
                "kind": "stage_change",
                "device_id": d6,
                "from_stage": "returned",
                "to_stage": "ready",
                "occurred_at": at("2024-02-10"),
                "recorded_at": now,
                "payload": {},
            },
            {
                "kind": "stage_change",
                "device_id": d6,
                "from_stage": "ready",
                "to_stage": "sold",
                "occurred_at": at("2024-03-01"),
                "recorded_at": now,
                "payload": {"channel": "b2b"},
            },
        ],
    )
    session.commit()

    figures = _figures(session, 2024)
    assert figures["units_received"] == 4
    assert figures["units_repaired"] == 4
    assert figures["units_sold"] == 2
    assert figures["units_donated"] == 1
    assert figures["units_recycled"] == 1
    assert figures["weight_reused_kg"] == Decimal("6.750")
    assert figures["weight_recycled_kg"] == Decimal("5.500")
    assert figures["reuse_rate"] == Decimal("0.5510")

    monthly = {row["month"]: row for row in impact.compute(session, 2024)["monthly"]}
    assert [monthly[m]["units_received"] for m in range(1, 13)] == [
        1,
        0,
        1,
        1,
        0,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
    ]
    assert [monthly[m]["units_repaired"] for m in range(1, 13)] == [
        1,
        0,
        0,
        1,
        0,
        0,
        1,
        0,
        0,
        0,
        0,
        1,
    ]
    assert monthly[1]["units_sold"] == 1 and monthly[2]["units_sold"] == 1  # d6, then d1
    assert monthly[3]["units_sold"] == 0  # d6's second sale is the same device
    assert monthly[5]["units_donated"] == 1
    assert monthly[3]["units_recycled"] == 1
    assert monthly[3]["weight_recycled_kg"] == Decimal("5.500")
    assert monthly[1]["weight_reused_kg"] == Decimal("1.500")
    assert monthly[2]["weight_reused_kg"] == Decimal("2.000")
    assert monthly[5]["weight_reused_kg"] == Decimal("3.250")
    for key in impact.MONTHLY_KEYS:
        assert sum(row[key] for row in monthly.values()) == figures[key], key

    before = _figures(session, 2023)
    assert before["units_received"] == 2  # d1 on 31 December, d6 in November
    assert before["units_repaired"] == 1  # d6
    assert before["units_sold"] == 0
    assert _figures(session, 2025)["units_sold"] == 1
    assert d1 < d6


def test_a_real_donation_order_and_a_resale_after_a_return(session, make_user):
    clerk = session.merge(make_user("manager", "mona"))
    device = receive_device(
        session,
        serial_number="5CG001",
        category="laptop",
        make="HP",
        model="840",
        weight_kg="1.8",
        entered_by=clerk,
        occurred_at=at("2024-01-05"),
    ).device
    for stage, day in (
        ("triage", "2024-01-06"),
        ("erasure", "2024-01-07"),
        ("diagnostics", "2024-01-08"),
        ("qc", "2024-01-09"),
    ):
        move_to_stage(session, device, stage, entered_by=clerk, occurred_at=at(day))
    enter_ready(session, device, entered_by=clerk, occurred_at=at("2024-01-10"))
    order = open_order(session, customer="Secours populaire", channel="donation", entered_by=clerk)
    add_to_order(session, order, device, "0")
    complete_order(session, order, entered_by=clerk, occurred_at=at("2024-02-01"))
    return_device(
        session, device, reason="wrong model", entered_by=clerk, occurred_at=at("2024-02-03")
    )
    move_to_stage(session, device, "ready", entered_by=clerk, occurred_at=at("2024-02-04"))
    shop = open_order(session, customer="Mme Diallo", channel="shop", entered_by=clerk)
    add_to_order(session, shop, device, "120")
    complete_order(session, shop, entered_by=clerk, occurred_at=at("2024-03-02"))
    session.commit()

    figures = _figures(session, 2024)
    assert figures["units_received"] == 1
    assert figures["units_repaired"] == 1
    # Given, then sold: it counts in each channel, and its weight once.
    assert (figures["units_donated"], figures["units_sold"]) == (1, 1)
    assert figures["weight_reused_kg"] == Decimal("1.800")


@pytest.fixture
def hr(session, make_user) -> User:
    user = session.merge(make_user("hr", "hana"))
    # Ends the session's read, so that users made later in the test are seen.
    session.commit()
    return user


def _person(session, number, *periods, insertion=None, recognised=None, by=None):
    person = staff.add_person(session, staff_number=number, name=f"Person {number}")
    for hired, left, contract, fte in periods:
        staff.add_employment(
            session, person, hired_on=hired, left_on=left, contract=contract, fte=fte
        )
    if insertion:
        staff.add_insertion(
            session,
            person,
            entered_on=insertion[0],
            exited_on=insertion[1],
            exit_outcome=insertion[2],
        )
    for valid_from, valid_until in recognised or ():
        recognition.add_recognition(
            session, person, valid_from=valid_from, valid_until=valid_until, by=by
        )
    return person


def test_staff_figures_over_a_leap_year_with_a_rehire_and_an_expiring_recognition(session, hr):
    _person(session, "P1", ("2020-01-01", None, "permanent", "1"))
    _person(
        session,
        "P2",
        ("2024-01-01", None, "fixed_term", "0.5"),
        recognised=[("2023-01-01", "2024-06-30")],
        by=hr,
    )
    _person(
        session,
        "P3",
        ("2023-03-01", "2024-12-31", "insertion", "1"),
        insertion=("2023-03-01", "2024-12-31", "durable_employment"),
    )
    # Apprentice until March, rehired in September on a permanent contract.
    _person(
        session,
        "P4",
        ("2022-09-01", "2024-03-31", "apprentice", "1"),
        ("2024-09-01", None, "permanent", "0.8"),
        recognised=[("2024-09-01", None)],
        by=hr,
    )
    _person(session, "P5", ("2024-02-01", None, "intern", "1"))  # not a paid job
    _person(session, "P6", ("2024-12-31", None, "subsidised", "1"))  # hired on 31 December
    _person(session, "P7", ("2025-01-01", None, "permanent", "1"))  # hired on 1 January after
    _person(session, "P8", ("2019-05-01", "2024-12-30", "permanent", "1"))
    _person(session, "P9", insertion=("2023-06-01", "2024-01-01", "training"))
    _person(session, "P10", insertion=("2023-01-01", "2023-12-31", "durable_employment"))
    _person(session, "P11", insertion=("2024-01-15", "2024-06-01", "other"))
    session.commit()

    figures = _figures(session, 2024)
    assert figures["jobs_created"] == 3  # P2, P4 (rehired), P6
    assert figures["jobs_created_disabled"] == 2  # P2, P4
    assert figures["jobs_sustained"] == 2  # P1, P3 (left on 31 December, still employed that day)
    assert figures["headcount_end"] == 5  # P1, P2, P3, P4, P6
    # FTE x days: P1 366, P2 0.5 x 366, P3 366, P4 91 + 0.8 x 122, P6 1, P8 365; over 366 days.
    days = Decimal("366") + Decimal("183") + 366 + Decimal("188.6") + 1 + 365
    assert figures["fte_average"] == (days / 366).quantize(Decimal("0.001"))
    assert figures["fte_average"] == Decimal("4.015")
    # P2 recognised for 182 days of 2024 (to 30 June), P4 from September.
    assert figures["disabled_fte_share"] == ((Decimal("91") + Decimal("97.6")) / days).quantize(
        Decimal("0.0001")
    )
    assert figures["insertion_exits"] == 3  # P3, P9 (on 1 January), P11
    assert figures["insertion_exits_positive"] == 2
    assert figures["units_repaired_per_fte"] == Decimal("0.00")
    assert figures["reuse_rate"] is None

    headcount = [row["headcount"] for row in impact.compute(session, 2024)["monthly"]]
    assert headcount == [5, 5, 5, 4, 4, 4, 4, 4, 5, 5, 5, 5]

    before = _figures(session, 2023)
    assert before["jobs_created"] == 1  # P3
    assert before["jobs_created_disabled"] == 0
    assert before["jobs_sustained"] == 3  # P1, P4, P8
    assert before["insertion_exits"] == 1  # P10 on 31 December
    after = _figures(session, 2025)
    assert after["jobs_created"] == 1  # P7 on 1 January
    assert after["jobs_sustained"] == 4  # P1, P2, P4, P6
    assert after["fte_average"] == Decimal("4.300")  # 1 + 0.5 + 0.8 + 1 (P6) + 1 (P7)


def test_a_recognition_given_after_the_hire_does_not_make_the_job_one_for_a_disabled_worker(
    session, hr
):
    _person(
        session,
        "Q1",
        ("2021-03-01", None, "permanent", "1"),
        recognised=[("2021-03-02", None)],
        by=hr,
    )
    session.commit()
    assert _figures(session, 2021)["jobs_created_disabled"] == 0
    share = _figures(session, 2021)["disabled_fte_share"]
    # Employed 306 days of 2021, recognised on all but the first.
    assert share == (Decimal(305) / 306).quantize(Decimal("0.0001"))


def test_counting_totals_logs_a_read_of_everyones_recognitions(session, hr, make_user):
    manager = session.merge(make_user("manager", "max"))
    impact.compute(session, 2024, reader=manager)
    session.commit()
    read = session.scalars(select(HealthDataRead)).one()
    assert (read.reader_id, read.person_id, read.purpose) == (manager.id, None, "impact_totals")


def test_publishing_freezes_the_figures_and_a_late_event_explains_the_change(session, make_user):
    manager = session.merge(make_user("manager", "max"))
    write_histories(session, [History("2023-05-02", ready="2023-06-01", sold="2023-07-01")])
    session.commit()
    with pytest.raises(InvalidInput):
        impact.publish(session, 2023, by=manager, now=at("2023-12-31", "23:59"))
    publication = impact.publish(session, 2023, by=manager)
    session.commit()
    assert publication.events_count == 3
    assert len(publication.events_hash) == 64
    with pytest.raises(Conflict):
        impact.publish(session, 2023, by=manager)
    session.rollback()

    unchanged = impact.report(session, 2023)
    assert unchanged["status"] == "published"
    assert unchanged["publication"]["changed"] is False
    assert unchanged["publication"]["recomputed_events_hash"] == publication.events_hash

    # A device received in December 2023, entered only in February 2024.
    write_histories(session, [History("2023-12-20", weight_kg="1.000")])
    session.commit()
    later = impact.report(session, 2023, language="fr")
    assert later["units_received"] == 1  # the published figure stands
    assert later["publication"]["changed"] is True
    assert later["publication"]["changes"] == [
        {"key": "units_received", "published": 1, "recomputed": 2}
    ]
    assert later["publication"]["late_events"] == [{"what": "intake", "count": 1}]
    assert later["publication"]["recomputed_events_hash"] != publication.events_hash
    lines = impact.explain_changes(later["publication"], "fr")
    assert lines[0] == "Appareils reçus\u00a0: 1 → 2"
    assert "1 réceptions de l'année enregistrées après la publication" in lines


def test_the_report_holds_every_key_its_definition_and_twelve_months(session):
    data = impact.report(session, 2016, language="en")
    assert data["year"] == 2016
    assert set(impact.KEYS) <= set(data)
    assert set(data["definitions"]) == set(impact.KEYS)
    assert [row["month"] for row in data["monthly"]] == list(range(1, 13))
    assert data["units_received"] == 0 and data["reuse_rate"] is None
    with pytest.raises(InvalidInput):
        impact.report(session, "twenty")
    with pytest.raises(InvalidInput):
        impact.report(session, 2016, language="de")


def test_the_year_follows_the_workshops_clock_not_utc(session):
    # 23:30 in Paris on 31 December 2024 is 22:30 UTC; 00:30 on 1 January is 23:30 UTC.
    write_histories(session, [History("2024-12-31 23:30"), History("2025-01-01 00:30")])
    session.commit()
    assert at("2025-01-01", "00:30") - at("2024-12-31", "23:30") == timedelta(hours=1)
    assert _figures(session, 2024)["units_received"] == 1
    assert _figures(session, 2025)["units_received"] == 1
    assert impact.compute(session, 2025, timezone="UTC")["figures"]["units_received"] == 0
    assert session.scalar(select(func.count()).select_from(Event)) == 2


def test_a_device_given_then_sold_without_a_channel_counts_once_in_each(session):
    (device,) = write_histories(
        session,
        [History("2022-01-03", ready="2022-01-10", sold="2022-01-20", channel="donation")],
    )
    now = utcnow()
    session.execute(
        insert(Event.__table__),
        [
            {"kind": "stage_change", "device_id": device, "from_stage": "sold",
             "to_stage": "returned", "occurred_at": at("2022-02-01"), "recorded_at": now,
             "payload": {}},
            {"kind": "stage_change", "device_id": device, "from_stage": "returned",
             "to_stage": "ready", "occurred_at": at("2022-02-02"), "recorded_at": now,
             "payload": {}},
            # An old sale that names no channel: not a donation.
            {"kind": "stage_change", "device_id": device, "from_stage": "ready",
             "to_stage": "sold", "occurred_at": at("2022-03-15"), "recorded_at": now,
             "payload": {}},
        ],
    )  # fmt: skip
    session.commit()
    data = impact.compute(session, 2022)
    assert (data["figures"]["units_donated"], data["figures"]["units_sold"]) == (1, 1)
    monthly = data["monthly"]
    assert monthly[0]["units_donated"] == 1 and monthly[2]["units_sold"] == 1
    assert monthly[0]["units_sold"] == 0
    assert data["figures"]["weight_reused_kg"] == Decimal("2.000")
