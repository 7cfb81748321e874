"""Eight terminals at once: the same serial scanned, the same device moved, the counter shared.

Every race starts its threads together on a barrier, each with its own session
begun as a writer (as the web app begins every POST), and is run several rounds
so that a lucky interleaving cannot pass for a proof.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from inventory.accounts import User
from inventory.codes import asset_tag
from inventory.db import begin_write
from inventory.devices import get_device
from inventory.errors import AlreadyReceived, Conflict, IllegalTransition, WorkshopError
from inventory.intake import receive_device
from inventory.lots import open_lot
from inventory.models import Device, Event, Identifier
from inventory.stages import move_to_stage

TERMINALS = 8
ROUNDS = 5
# A deadlock or a lock wait that never ends fails the test instead of hanging it.
RACE_TIMEOUT_S = 60
# "is in stage triage now", "is now in stage triage", "cannot move from triage";
# the API shows the stage's display name, "Triage".
NOW_IN_TRIAGE = re.compile(r"(in stage|from) triage\b", re.IGNORECASE)


def race(
    sessions: sessionmaker[Session], work: Callable[[Session, int], Any], terminals: int = TERMINALS
) -> list[Any]:
    """Run `work` on every terminal at the same instant; each gets its result or its error."""
    barrier = threading.Barrier(terminals)
    outcomes: list[Any] = [None] * terminals

    def terminal(number: int) -> None:
        with sessions() as session:
            try:
                barrier.wait(timeout=RACE_TIMEOUT_S)
                begin_write(session)
                outcomes[number] = work(session, number)
                session.commit()
            except Exception as error:  # anything but a WorkshopError is a bug to show
                session.rollback()
                outcomes[number] = error

    threads = [threading.Thread(target=terminal, args=(n,)) for n in range(terminals)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(RACE_TIMEOUT_S)
    assert not any(thread.is_alive() for thread in threads), "a terminal is stuck: deadlock?"
    unexpected = [
        o for o in outcomes if isinstance(o, Exception) and not isinstance(o, WorkshopError)
    ]
    assert not unexpected, f"errors the workshop does not explain: {unexpected!r}"
    return outcomes


def receive(session: Session, user_id: int, serial: str, lot: str | None = "L-RACE") -> str:
    """Scan a laptop's serial at intake; the new asset tag."""
    intake = receive_device(
        session,
        serial_number=serial,
        category="laptop",
        make="Lenovo",
        model="ThinkPad T480",
        lot=lot,
        entered_by=session.get(User, user_id),
        station="intake-1",
    )
    return intake.device.asset_tag


@pytest.fixture
def warehouse(make_user: Callable[..., User], sessions: sessionmaker[Session]) -> int:
    """A warehouse worker and an open lot; the worker's id."""
    user = make_user("warehouse", "wendy")
    with sessions() as session:
        open_lot(session, "L-RACE", donor="Mairie", entered_by=session.get(User, user.id))
        session.commit()
    return user.id


def count(session: Session, query: Any) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def test_eight_terminals_scanning_one_serial_create_one_device(sessions, warehouse):
    for round_ in range(ROUNDS):
        serial = f"PF1RACE{round_}"
        outcomes = race(sessions, lambda session, _n, s=serial: receive(session, warehouse, s))

        tags = [o for o in outcomes if isinstance(o, str)]
        refusals = [o for o in outcomes if isinstance(o, WorkshopError)]
        assert len(tags) == 1, outcomes
        assert len(refusals) == TERMINALS - 1
        for refusal in refusals:
            assert isinstance(refusal, AlreadyReceived), refusal
            assert tags[0] in refusal.message
            assert refusal.details["asset_tag"] == tags[0]

        with sessions() as session:
            device = get_device(session, tags[0])
            assert device.serial_number == serial
            assert count(session, select(Identifier).where(Identifier.value == serial)) == 1
            assert (
                count(session, select(Device).join(Identifier).where(Identifier.value == serial))
                == 1
            )
            intakes = select(Event).where(Event.device_id == device.id, Event.kind == "intake")
            assert count(session, intakes) == 1

    with sessions() as session:
        assert count(session, select(Device)) == ROUNDS
        assert count(session, select(Event).where(Event.kind == "intake")) == ROUNDS
        # Refused intakes gave their number back: the tags follow each other.
        tags = set(session.scalars(select(Device.asset_tag)))
        assert tags == {asset_tag(n) for n in range(1, ROUNDS + 1)}


def test_eight_terminals_scanning_different_serials_get_eight_distinct_tags(sessions, warehouse):
    for round_ in range(ROUNDS):
        outcomes = race(
            sessions, lambda session, n, r=round_: receive(session, warehouse, f"5CG{r}X{n:02d}")
        )
        assert all(isinstance(o, str) for o in outcomes), outcomes
        assert len(set(outcomes)) == TERMINALS

    with sessions() as session:
        total = ROUNDS * TERMINALS
        assert count(session, select(Device)) == total
        assert set(session.scalars(select(Device.asset_tag))) == {
            asset_tag(n) for n in range(1, total + 1)
        }
        assert count(session, select(Identifier)) == total
        assert count(session, select(Event).where(Event.kind == "intake")) == total


# What the losers hear depends on what their screen showed. A page that showed
# "received" sends expected_stage: a terminal that read the device after the
# winner committed is refused by that check, one that read it before is refused
# by the device's version column when its UPDATE matches no row; both are a
# Conflict. A bench agent that sends no expected_stage and reads the device late
# gets IllegalTransition (triage to triage is no move), or a Conflict if it read
# early. Every refusal says the device is in triage now.
@pytest.mark.parametrize(
    ("expected_stage", "refused_with"),
    [("received", (Conflict,)), (None, (Conflict, IllegalTransition))],
    ids=["page-expecting-received", "agent-without-expectation"],
)
def test_eight_terminals_moving_one_device_to_triage_move_it_once(
    sessions, warehouse, expected_stage, refused_with
):
    for round_ in range(ROUNDS):
        with sessions() as session:
            tag = receive(session, warehouse, f"R9MOVE{round_}")
            session.commit()

        def move(session: Session, _n: int, tag: str = tag) -> str:
            device = get_device(session, tag)
            move_to_stage(
                session,
                device,
                "triage",
                expected_stage=expected_stage,
                entered_by=session.get(User, warehouse),
            )
            return device.stage

        outcomes = race(sessions, move)

        moves = [o for o in outcomes if o == "triage"]
        refusals = [o for o in outcomes if isinstance(o, WorkshopError)]
        assert len(moves) == 1, outcomes
        assert len(refusals) == TERMINALS - 1
        for refusal in refusals:
            assert isinstance(refusal, refused_with), refusal
            assert tag in refusal.message
            assert NOW_IN_TRIAGE.search(refusal.message), refusal.message
            assert refusal.details["stage"] == "triage"

        with sessions() as session:
            device = get_device(session, tag)
            assert device.stage == "triage"
            assert device.version == 2
            history = list(
                session.scalars(
                    select(Event).where(Event.device_id == device.id).order_by(Event.id)
                )
            )
            assert [(e.kind, e.from_stage, e.to_stage) for e in history] == [
                ("intake", None, "received"),
                ("stage_change", "received", "triage"),
            ]


def test_a_terminal_that_gives_up_mid_intake_does_not_hold_up_the_next_one(sessions, warehouse):
    # Writers take turns; a turn must end with the transaction, however it ends.
    with sessions() as session:
        begin_write(session)
        receive(session, warehouse, "5CD8ABANDON")
        # The page was closed before the commit: nothing is saved.
    with sessions() as session, pytest.raises(WorkshopError):
        begin_write(session)
        receive(session, warehouse, "5CD8ABANDON", lot="NO-SUCH-LOT")
    started = time.monotonic()
    with sessions() as session:
        begin_write(session)
        tag = receive(session, warehouse, "5CD8ABANDON")
        session.commit()
    assert time.monotonic() - started < 5, "the next terminal waited for a turn never given back"
    assert tag == asset_tag(1)


def test_the_database_itself_refuses_to_change_or_delete_an_event(sessions, warehouse):
    with sessions() as session:
        receive(session, warehouse, "EVT0001")
        session.commit()
        event_id, kind = session.execute(
            select(Event.id, Event.kind).where(Event.kind == "intake")
        ).one()

    for statement in (
        "UPDATE events SET kind = 'forged' WHERE id = :id",
        "DELETE FROM events WHERE id = :id",
    ):
        with sessions() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                session.execute(text(statement), {"id": event_id})
            session.rollback()

    with sessions() as session:
        assert session.scalar(select(Event.kind).where(Event.id == event_id)) == kind
        assert count(session, select(Event)) == 2  # the lot opened, the intake


# -- the same races through the JSON API, on the real server -----------------------------------


@pytest.fixture
def server(app: Flask) -> Iterator[int]:
    """The application served over HTTP on a free port of this machine, a thread per request."""
    served = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield served.server_port
    served.shutdown()
    served.server_close()
    thread.join(RACE_TIMEOUT_S)


def http_race(port: int, token: str, path: str, bodies: list[dict[str, Any]]) -> list[tuple]:
    """Every terminal posts its body at the same instant; (status, JSON answer) each."""
    barrier = threading.Barrier(len(bodies))
    answers: list[Any] = [None] * len(bodies)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def terminal(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=RACE_TIMEOUT_S)
        try:
            # Connected before the barrier, so the requests themselves race.
            connection.connect()
            barrier.wait(timeout=RACE_TIMEOUT_S)
            connection.request("POST", path, body=json.dumps(bodies[number]), headers=headers)
            response = connection.getresponse()
            answers[number] = (response.status, json.loads(response.read()))
        except Exception as error:
            answers[number] = (None, error)
        finally:
            connection.close()

    threads = [threading.Thread(target=terminal, args=(n,)) for n in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(RACE_TIMEOUT_S)
    assert not any(thread.is_alive() for thread in threads), "a terminal got no answer"
    return answers


def laptop(serial: str) -> dict[str, Any]:
    return {
        "serial_number": serial,
        "category": "laptop",
        "make": "HP",
        "model": "EliteBook 840 G5",
        "lot": "L-RACE",
    }


def test_eight_scanners_posting_one_serial_to_the_api_create_one_device(
    server, warehouse, make_token, sessions
):
    with sessions() as session:
        token = make_token(session.get(User, warehouse))
    for round_ in range(ROUNDS):
        serial = f"CND{round_}HTTP"
        answers = http_race(server, token, "/api/v1/devices", [laptop(serial)] * TERMINALS)

        created = [body for status, body in answers if status == 201]
        refused = [body for status, body in answers if status == 409]
        assert len(created) == 1, answers
        assert len(refused) == TERMINALS - 1, answers
        tag = created[0]["asset_tag"]
        for body in refused:
            assert body["error"]["code"] == "already_received"
            assert tag in body["error"]["message"]
            assert body["error"]["asset_tag"] == tag

    with sessions() as session:
        assert count(session, select(Device)) == ROUNDS
        assert count(session, select(Identifier)) == ROUNDS
        assert count(session, select(Event).where(Event.kind == "intake")) == ROUNDS


def test_eight_benches_posting_the_same_move_to_the_api_move_once(
    server, warehouse, make_token, sessions
):
    with sessions() as session:
        token = make_token(session.get(User, warehouse))
    for round_ in range(ROUNDS):
        with sessions() as session:
            tag = receive(session, warehouse, f"CND{round_}MOVE")
            session.commit()
        move = {"to": "triage", "from": "received"}
        answers = http_race(server, token, f"/api/v1/devices/{tag}/transitions", [move] * TERMINALS)

        moved = [body for status, body in answers if status == 200]
        refused = [body for status, body in answers if status == 409]
        assert len(moved) == 1, answers
        assert moved[0]["stage"] == "triage"
        assert len(refused) == TERMINALS - 1, answers
        for body in refused:
            assert body["error"]["code"] == "conflict"
            assert body["error"]["stage"] == "triage"
            assert NOW_IN_TRIAGE.search(body["error"]["message"]), body

        with sessions() as session:
            device = get_device(session, tag)
            moves = select(Event).where(Event.device_id == device.id, Event.kind == "stage_change")
            assert count(session, moves) == 1
            assert (device.stage, device.version) == ("triage", 2)
