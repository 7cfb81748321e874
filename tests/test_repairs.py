"""Repairs: coded faults and actions, one event per action, parts taken once, checked again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from diagnostics import records
from inventory import checks, repairs
from inventory.accounts import User
from inventory.db import begin_write, make_sessionmaker
from inventory.devices import get_device
from inventory.errors import Conflict, GateUnmet, IllegalTransition, InvalidInput
from inventory.models import Event
from inventory.repair_models import Part, RepairCode
from inventory.stages import move_to_stage, set_grade
from tests.conftest import pass_diagnostics, passing_result
from tests.repair_helpers import (
    _repair_lists,  # noqa: F401  (an autouse fixture)
    bought,
    harvested_battery,
    in_repair,
    laptop,
)
from tests.test_concurrency import race
from tests.test_migrations import empty_engine  # noqa: F401  (a fixture)
from workshop.migrate import upgrade


@pytest.fixture
def tech(make_user):
    return make_user("technician", "theo")


def _user(session, user):
    return session.get(User, user.id)


def test_the_migration_seeds_the_same_lists_the_code_knows(empty_engine):  # noqa: F811
    upgrade(empty_engine)
    with make_sessionmaker(empty_engine)() as session:
        seeded = {
            (
                code.kind,
                code.category,
                code.code,
                code.label_fr,
                tuple(code.checks),
                tuple(code.scripts),
            )
            for code in session.scalars(select(RepairCode))
        }
        assert repairs.seed_default_codes(session) == 0
    expected = {("action", "", code, fr, (), ()) for code, _en, fr in repairs.DEFAULT_ACTIONS}
    for category in ("laptop", "desktop", "monitor", "phone", "tablet", "printer", "other"):
        expected |= {
            ("fault", category, code, fr, tuple(touched), tuple(scripts))
            for code, _en, fr, touched, scripts in repairs.default_faults(category)
        }
    assert expected <= seeded


def test_every_default_fault_names_checks_and_scripts_that_exist():
    for category, faults in repairs.DEFAULT_FAULTS.items():
        codes = {code for code, _en, _fr in checks.DEFAULT_CHECKLISTS[category]}
        for code, _en, _fr, touched, scripts in faults:
            assert set(touched) <= codes, (category, code)
            assert set(scripts) <= set(records.SCRIPT_NAMES), (category, code)


def test_a_repair_is_one_event_and_takes_its_part_from_stock(session, tech):
    user = _user(session, tech)
    device = in_repair(session, "PF1REP01", user)
    part = harvested_battery(session, "PF1DON01", user)
    repair = repairs.record_repair(
        session,
        device,
        "dead_battery",
        "replaced",
        [part.code.lower()],
        25,
        " New battery ",
        by=user,
    )
    session.commit()
    assert [p.code for p in repair.parts] == [part.code]
    session.refresh(part)
    assert (part.state, part.repair_id) == ("used", repair.id)
    event = session.get(Event, repair.event_id)
    assert event.kind == "repair"
    assert event.payload == {
        "cycle": 1,
        "stage": "repair",
        "fault": "dead_battery",
        "action": "replaced",
        "parts": [part.code],
        "minutes": 25,
        "note": "New battery",
    }
    assert event.performed_by_id == tech.id
    assert repairs.repairs_of(session, device) == [repair]


def test_a_repair_outside_the_repair_stage_is_refused(session, tech):
    user = _user(session, tech)
    device = laptop(session, "PF1REP02", user)
    with pytest.raises(IllegalTransition, match="stage repair"):
        repairs.record_repair(session, device, "dead_battery", "replaced", by=user)


def test_unknown_codes_are_refused_with_the_list(session, tech):
    user = _user(session, tech)
    device = in_repair(session, "PF1REP03", user)
    with pytest.raises(InvalidInput) as refused:
        repairs.record_repair(session, device, "paper_jam", "replaced", by=user)
    assert refused.value.details["field"] == "fault"
    assert "dead_battery" in refused.value.details["allowed"]
    with pytest.raises(InvalidInput) as refused:
        repairs.record_repair(session, device, "hinge", "glued", by=user)
    assert refused.value.details["field"] == "action"
    for minutes in (-1, 10_000, "ten", True):
        with pytest.raises(InvalidInput, match="minutes"):
            repairs.record_repair(session, device, "hinge", "replaced", minutes=minutes, by=user)
    with pytest.raises(InvalidInput, match="No part"):
        repairs.record_repair(session, device, "hinge", "replaced", ["P999999X"], by=user)


def test_a_part_cannot_be_used_twice_and_a_refused_repair_keeps_nothing(sessions, tech):
    with sessions() as session:
        user = _user(session, tech)
        first = in_repair(session, "PF1REP04", user)
        second = in_repair(session, "PF1REP05", user)
        used = harvested_battery(session, "PF1DON02", user)
        [spare] = bought(session, user)
        repairs.record_repair(session, first, "dead_battery", "replaced", [used.code], by=user)
        session.commit()
        codes = (first.asset_tag, second.asset_tag, used.code, spare.code)
    with sessions() as session:
        second = get_device(session, codes[1])
        with pytest.raises(Conflict, match="not in stock"):
            repairs.record_repair(
                session,
                second,
                "dead_battery",
                "replaced",
                [codes[3], codes[2]],
                by=_user(session, tech),
            )
        session.rollback()
    with sessions() as session:
        spare = session.scalar(select(Part).where(Part.code == codes[3]))
        assert spare.state == "in_stock"
        second = get_device(session, codes[1])
        assert repairs.repairs_of(session, second) == []
        assert not session.scalars(
            select(Event).where(Event.device_id == second.id, Event.kind == "repair")
        ).all()


def test_two_technicians_racing_for_the_last_part_one_gets_it(sessions, make_user):
    with sessions() as session:
        user = _user(session, make_user("technician", "tina"))
        tags = [in_repair(session, f"PF1RACE{n}", user).asset_tag for n in range(2)]
        code = harvested_battery(session, "PF1DONRACE", user).code
        session.commit()
        user_id = user.id

    def take(session, number):
        device = get_device(session, tags[number])
        return repairs.record_repair(
            session, device, "dead_battery", "replaced", [code], 15, by=session.get(User, user_id)
        ).id

    outcomes = race(sessions, take, terminals=2)
    won = [outcome for outcome in outcomes if isinstance(outcome, int)]
    lost = [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert code in lost[0].message
    with sessions() as session:
        part = session.scalar(select(Part).where(Part.code == code))
        assert (part.state, part.repair_id) == ("used", won[0])
        assert session.scalar(select(Event).where(Event.kind == "repair")) is not None
        assert len(session.scalars(select(Event).where(Event.kind == "repair")).all()) == 1


def _through_qc(session, device, user):
    """Everything ready asks before any repair: grade, checks, benches; then to qc."""
    set_grade(session, device, "A", entered_by=user)
    checks.answer_every_check(session, device, entered_by=user)
    pass_diagnostics(session, device, operator=user)


def test_after_a_repair_ready_waits_for_what_it_touched_to_be_done_again(session, tech):
    user = _user(session, tech)
    device = in_repair(session, "PF1GATE1", user)
    _through_qc(session, device, user)
    repairs.record_repair(session, device, "dead_battery", "replaced", by=user)
    repairs.record_repair(session, device, "hinge", "replaced", by=user)
    move_to_stage(session, device, "qc", entered_by=user)
    with pytest.raises(GateUnmet) as refused:
        move_to_stage(session, device, "ready", entered_by=user)
    assert "hinges" in refused.value.message and "battery" in refused.value.message
    assert repairs.to_redo(session, device) == repairs.ToRedo(("hinges",), ("battery",))
    # The other checks stay answered: only the hinges are asked again.
    checks.answer_checks(session, device, {"hinges": "pass"}, entered_by=user)
    assert repairs.to_redo(session, device) == repairs.ToRedo((), ("battery",))
    records.record_run(session, device, passing_result("battery"), operator=user, station="t")
    assert not repairs.to_redo(session, device)
    move_to_stage(session, device, "ready", entered_by=user)
    assert device.stage == "ready"


def test_a_repair_with_no_fault_found_asks_nothing_again(session, tech):
    user = _user(session, tech)
    device = in_repair(session, "PF1GATE2", user)
    _through_qc(session, device, user)
    repairs.record_repair(session, device, "missing_ram", "no_fault_found", by=user)
    move_to_stage(session, device, "qc", entered_by=user)
    move_to_stage(session, device, "ready", entered_by=user)


def test_a_failed_check_or_diagnostic_proposes_the_matching_fault(session, tech):
    user = _user(session, tech)
    device = in_repair(session, "PF1PROP1", user)
    assert repairs.proposed_faults(session, device) == []
    checks.answer_checks(session, device, {"hinges": "fail", "screen": "pass"}, entered_by=user)
    assert [fault.code for fault in repairs.proposed_faults(session, device)] == ["hinge"]
    failing = passing_result("battery")
    failing.outcome = "fail"
    records.record_run(session, device, failing, operator=user, station="t")
    assert [fault.code for fault in repairs.proposed_faults(session, device)] == [
        "no_power",
        "dead_battery",
        "hinge",
        "liquid_damage",
    ]


def test_an_administrator_edits_the_lists_and_retired_codes_are_refused(session, make_user):
    admin = _user(session, make_user("admin", "root"))
    item = repairs.add_code(
        session,
        "fault",
        "Bios_Password",
        "BIOS password set",
        "Mot de passe BIOS",
        category="laptop",
        scripts=["battery"],
        entered_by=admin,
    )
    assert item.code == "bios_password"
    assert repairs.faults(session, "laptop")[-1] is item
    with pytest.raises(InvalidInput, match="already"):
        repairs.add_code(session, "fault", "hinge", "x", "y", category="laptop", entered_by=admin)
    with pytest.raises(InvalidInput, match="unknown code"):
        repairs.add_code(
            session,
            "fault",
            "scanner",
            "x",
            "y",
            category="laptop",
            checks=["nope"],
            entered_by=admin,
        )
    repairs.edit_code(
        session, item, label_en="BIOS locked", label_fr="BIOS verrouillé", entered_by=admin
    )
    assert item.label("fr") == "BIOS verrouillé"
    repairs.retire_code(session, item, entered_by=admin)
    device = in_repair(session, "PF1CODE1", admin)
    with pytest.raises(InvalidInput, match="bios_password"):
        repairs.record_repair(session, device, "bios_password", "replaced", by=admin)
    kinds = [
        event.kind
        for event in session.scalars(select(Event).where(Event.kind.like("repair_code_%")))
    ]
    assert kinds == ["repair_code_added", "repair_code_changed", "repair_code_retired"]


def test_a_move_decided_before_a_repair_was_recorded_is_a_conflict(sessions, tech):
    with sessions() as session:
        tag = in_repair(session, "PF1TURN1", _user(session, tech)).asset_tag
        session.commit()
    with sessions() as mover, sessions() as fixer:
        # The mover's terminal read the device before the repair was recorded...
        seen = get_device(mover, tag)
        mover.expunge(seen)
        mover.rollback()
        begin_write(fixer)
        repairs.record_repair(
            fixer, get_device(fixer, tag), "hinge", "replaced", by=_user(fixer, tech)
        )
        fixer.commit()
        # ...and moves it on what it saw: refused, not decided on a stale device.
        begin_write(mover)
        with pytest.raises(Conflict):
            move_to_stage(mover, mover.merge(seen, load=False), "qc", entered_by=None)
