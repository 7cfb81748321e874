"""Grading at the bench: the defects found give the grade, a manager may override it, with a reason."""

from __future__ import annotations

import threading

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from inventory import grading
from inventory.accounts import User
from inventory.db import begin_write
from inventory.devices import get_device
from inventory.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from inventory.grading import (
    CATALOGUE,
    OverrideRefused,
    clear_override,
    compute_grade,
    current_grading,
    override_grade,
    record_defects,
)
from inventory.intake import receive_device
from inventory.lifecycle import unmet_gates
from inventory.models import Event, Grading, GradingDefect
from inventory.recycling import recycle
from inventory.stages import move_to_stage, set_grade

API = "/api/v1"


def user(session, username):
    return session.scalar(select(User).where(User.username == username))


def events(session, device, *kinds):
    query = select(Event).where(Event.device_id == device.id).order_by(Event.id)
    return [event for event in session.scalars(query) if not kinds or event.kind in kinds]


@pytest.fixture
def staff(make_user):
    make_user("technician", "theo")
    make_user("manager", "marie")
    make_user("admin", "root")


@pytest.fixture
def laptop(session, staff):
    """A laptop at quality control, where it is graded."""
    theo = user(session, "theo")
    device = receive_device(
        session,
        serial_number="PF1GRADE",
        category="laptop",
        make="Lenovo",
        model="T480",
        entered_by=theo,
    ).device
    for stage in ("triage", "erasure", "diagnostics", "qc"):
        move_to_stage(session, device, stage, entered_by=theo)
    session.commit()
    return device


# The rule


@pytest.mark.parametrize(
    "codes, grade, rule",
    [
        ([], "A", "no_defect"),
        (["lid_scratch"], "B", "few_minor"),
        (["lid_scratch", "sticker_residue"], "B", "few_minor"),
        (["lid_scratch", "sticker_residue", "keyboard_worn"], "C", "many_minor"),
        (["lid_dent"], "C", "major"),
        (["screen_mark", "case_crack"], "C", "major"),
    ],
)
def test_the_rule_gives_each_grade_and_says_which_branch(codes, grade, rule):
    verdict = compute_grade(codes)
    assert (verdict.grade, verdict.rule) == (grade, rule)


def test_the_catalogue_is_coded_once_each_with_a_severity_and_a_name():
    codes = [kind.code for kind in CATALOGUE]
    assert len(codes) == len(set(codes))
    assert {kind.severity for kind in CATALOGUE} == {"minor", "major"}
    assert all(kind.label and kind.code.isidentifier() for kind in CATALOGUE)
    for code in ("lid_scratch", "lid_dent", "keyboard_worn", "screen_mark", "case_crack"):
        assert code in grading.DEFECTS


# Services


def test_recording_defects_sets_the_grade_with_one_event(session, laptop):
    theo = user(session, "theo")
    assert "grade" in unmet_gates(session, laptop, "ready")
    record_defects(session, laptop, ["sticker_residue", "lid_scratch"], entered_by=theo)
    session.commit()

    assert laptop.grade == "B"
    assert "grade" not in unmet_gates(session, laptop, "ready")
    found = current_grading(session, laptop)
    # Stored as codes, in the catalogue's order.
    assert found.codes == ["lid_scratch", "sticker_residue"]
    assert (found.computed_grade, found.recorded_by.username) == ("B", "theo")
    [event] = events(session, laptop, "graded")
    assert event.entered_by.username == "theo"
    assert event.payload == {
        "grade": "B",
        "source": "defects",
        "defects": ["lid_scratch", "sticker_residue"],
        "computed_grade": "B",
        "rule": "few_minor",
    }

    # Recorded again: the list is replaced, the grade follows, one more event.
    record_defects(session, laptop, ["lid_scratch", "case_crack"], entered_by=theo)
    session.commit()
    assert laptop.grade == "C"
    assert current_grading(session, laptop).codes == ["lid_scratch", "case_crack"]
    assert session.scalar(select(func.count()).select_from(GradingDefect)) == 2
    graded = events(session, laptop, "graded")
    assert [event.payload["previous_grade"] for event in graded[1:]] == ["B"]
    assert graded[-1].payload["rule"] == "major"

    record_defects(session, laptop, [], entered_by=theo)
    session.commit()
    assert laptop.grade == "A"
    assert current_grading(session, laptop).codes == []


def test_unknown_or_repeated_defects_are_refused_and_nothing_changes(session, laptop):
    theo = user(session, "theo")
    for codes, field in (
        (["lid_scratch", "dust"], "defects[1]"),
        (["lid_scratch", "lid_scratch"], "defects[1]"),
        ([42], "defects[0]"),
        ("lid_scratch", "defects"),
    ):
        with pytest.raises(InvalidInput) as refused:
            record_defects(session, laptop, codes, entered_by=theo)
        assert refused.value.details["field"] == field
    session.rollback()
    assert laptop.grade is None
    assert current_grading(session, laptop) is None


def test_a_manager_overrides_with_a_reason_and_the_override_is_its_own_event(session, laptop):
    theo, marie = user(session, "theo"), user(session, "marie")
    record_defects(session, laptop, ["lid_scratch"], entered_by=theo)
    session.commit()

    with pytest.raises(OverrideRefused) as refused:
        override_grade(session, laptop, "A", reason="Looks new", entered_by=theo)
    assert refused.value.details["permission"] == "override_grade"
    for reason in (None, "", "   "):
        with pytest.raises(InvalidInput) as refused:
            override_grade(session, laptop, "A", reason=reason, entered_by=marie)
        assert refused.value.details["field"] == "reason"
    assert laptop.grade == "B"

    override_grade(
        session, laptop, "A", reason="The scratch polished out completely", entered_by=marie
    )
    session.commit()
    assert laptop.grade == "A"
    found = current_grading(session, laptop)
    assert (found.override_grade, found.overridden_by.username) == ("A", "marie")
    assert found.overridden and found.computed_grade == "B"
    [event] = events(session, laptop, "grade_overridden")
    assert event.entered_by.username == "marie"
    assert event.payload == {
        "grade": "A",
        "previous_grade": "B",
        "computed_grade": "B",
        "reason": "The scratch polished out completely",
    }


def test_the_override_stands_when_defects_are_recorded_again_until_a_manager_clears_it(
    session, laptop
):
    theo, marie, root = user(session, "theo"), user(session, "marie"), user(session, "root")
    record_defects(session, laptop, ["case_crack"], entered_by=theo)
    override_grade(session, laptop, "B", reason="Crack is under the foot", entered_by=root)
    session.commit()

    record_defects(session, laptop, [], entered_by=theo)
    session.commit()
    assert laptop.grade == "B"
    found = current_grading(session, laptop)
    assert (found.computed_grade, found.codes, found.override_grade) == ("A", [], "B")
    [event] = events(session, laptop, "defects_recorded")
    assert event.payload["override_stands"] is True
    assert (event.payload["grade"], event.payload["computed_grade"]) == ("B", "A")

    with pytest.raises(OverrideRefused):
        clear_override(session, laptop, entered_by=theo)
    clear_override(session, laptop, entered_by=marie)
    session.commit()
    assert laptop.grade == "A"
    assert not current_grading(session, laptop).overridden
    [cleared] = events(session, laptop, "grade_override_cleared")
    assert cleared.payload == {
        "grade": "A",
        "previous_grade": "B",
        "computed_grade": "A",
        "override_grade": "B",
    }
    with pytest.raises(NotFound):
        clear_override(session, laptop, entered_by=marie)


def test_a_grade_by_hand_is_a_first_grade_then_an_override_for_managers_only(session, laptop):
    theo, marie = user(session, "theo"), user(session, "marie")
    # No defects recorded: anyone who grades may set it, as before.
    set_grade(session, laptop, "B", entered_by=theo)
    set_grade(session, laptop, "A", entered_by=theo)
    assert laptop.grade == "A"
    assert events(session, laptop, "graded")[-1].payload == {"grade": "A", "previous_grade": "B"}
    with pytest.raises(InvalidInput):
        override_grade(session, laptop, "C", reason="No defects yet", entered_by=marie)

    record_defects(session, laptop, ["screen_mark"], entered_by=theo)
    session.commit()
    with pytest.raises(OverrideRefused):
        set_grade(session, laptop, "A", entered_by=theo)
    # The grade it already has is no override.
    set_grade(session, laptop, "B", entered_by=theo)
    with pytest.raises(InvalidInput) as refused:
        set_grade(session, laptop, "A", entered_by=marie)
    assert refused.value.details["field"] == "reason"
    # On the device page the note is the reason.
    set_grade(session, laptop, "A", entered_by=marie, note="Mark wiped off")
    session.commit()
    assert laptop.grade == "A"
    assert events(session, laptop, "grade_overridden")[-1].payload["reason"] == "Mark wiped off"


def test_a_device_that_left_cannot_be_graded_and_a_new_cycle_starts_with_no_defects(
    session, laptop
):
    theo = user(session, "theo")
    record_defects(session, laptop, ["lid_scratch"], entered_by=theo)
    recycle(session, laptop, reason="no_demand", weight_kg="2.1", entered_by=theo)
    session.commit()
    with pytest.raises(IllegalTransition):
        record_defects(session, laptop, [], entered_by=theo)
    session.rollback()

    again = receive_device(
        session,
        serial_number="PF1GRADE",
        category="laptop",
        make="Lenovo",
        model="T480",
        entered_by=theo,
    )
    session.commit()
    assert again.new_cycle and laptop.cycle == 2
    assert laptop.grade is None
    assert current_grading(session, laptop) is None
    # The first cycle's defects stay as history.
    old = session.scalar(select(Grading).where(Grading.device_id == laptop.id))
    assert (old.cycle, old.codes) == (1, ["lid_scratch"])
    record_defects(session, laptop, ["bezel_chip"], entered_by=theo)
    session.commit()
    assert current_grading(session, laptop).codes == ["bezel_chip"]


@pytest.mark.parametrize("round_", range(3))
def test_two_terminals_recording_defects_at_once_leave_one_consistent_grading(
    sessions, laptop, round_
):
    barrier = threading.Barrier(2)
    lists = (["lid_scratch"], ["case_crack", "screen_mark"])
    outcomes: list[object] = [None, None]

    def terminal(number: int) -> None:
        with sessions() as session:
            try:
                barrier.wait(timeout=30)
                begin_write(session)
                device = get_device(session, laptop.asset_tag)
                record_defects(session, device, lists[number], entered_by=user(session, "theo"))
                session.commit()
                outcomes[number] = "saved"
            except Conflict as error:
                session.rollback()
                outcomes[number] = error

    threads = [threading.Thread(target=terminal, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # Both are saved one after the other, or the second is told someone was first.
    assert "saved" in outcomes and all(o == "saved" or isinstance(o, Conflict) for o in outcomes)
    with sessions() as session:
        device = get_device(session, laptop.asset_tag)
        [found] = session.scalars(select(Grading).where(Grading.device_id == device.id)).all()
        assert found.codes in lists
        assert device.grade == compute_grade(found.codes).grade
        assert len(events(session, device, "graded")) == outcomes.count("saved")


# The API


def grade(client, headers, tag, **body):
    return client.post(f"{API}/devices/{tag}/grade", json=body, headers=headers)


@pytest.fixture
def tag(laptop):
    return laptop.asset_tag


@pytest.fixture
def tokens(make_token, sessions, staff):
    with sessions() as session:
        people = {name: user(session, name) for name in ("theo", "marie", "root")}
    return {
        name: {"Authorization": f"Bearer {make_token(person)}"} for name, person in people.items()
    }


def test_the_api_grades_from_defects_and_says_where_the_grade_comes_from(
    client, tag, tokens, sessions
):
    response = grade(client, tokens["theo"], tag, defects=["keyboard_worn"], note="Shiny keys")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["grade"] == "B"
    assert body["grading"]["defects"] == ["keyboard_worn"]
    assert (body["grading"]["computed_grade"], body["grading"]["override"]) == ("B", None)
    assert body["grading"]["recorded_by"] == "theo"

    history = client.get(f"{API}/devices/{tag}", headers=tokens["theo"]).get_json()["events"]
    assert history[-1]["kind"] == "graded"
    assert history[-1]["payload"]["source"] == "defects"
    assert history[-1]["payload"]["note"] == "Shiny keys"

    document = client.get(f"{API}/openapi.json").get_json()
    schema = {"$ref": "#/components/schemas/GradeResult", "components": document["components"]}
    Draft202012Validator(schema).validate(body)


def test_over_the_defects_grade_a_technician_is_refused_and_a_manager_needs_a_reason(
    client, tag, tokens, sessions
):
    assert grade(client, tokens["theo"], tag, defects=["lid_dent"]).status_code == 200
    refused = grade(client, tokens["theo"], tag, grade="A", reason="Looks fine to me")
    assert refused.status_code == 403
    error = refused.get_json()["error"]
    assert (error["code"], error["permission"]) == ("forbidden", "override_grade")
    assert "manager" in error["message"]

    no_reason = grade(client, tokens["marie"], tag, grade="B")
    assert no_reason.status_code == 400
    assert no_reason.get_json()["error"]["field"] == "reason"

    done = grade(client, tokens["marie"], tag, grade="B", reason="Dent is under the battery")
    assert done.status_code == 200
    override = done.get_json()["grading"]["override"]
    assert override["grade"] == "B" and override["by"] == "marie"
    assert override["reason"] == "Dent is under the battery"
    assert done.get_json()["grade"] == "B"

    # The technician may record defects again; the override stands.
    again = grade(client, tokens["theo"], tag, defects=[])
    assert again.status_code == 200
    assert again.get_json()["grade"] == "B"
    assert again.get_json()["grading"]["computed_grade"] == "A"
    assert grade(client, tokens["theo"], tag, grade="C").status_code == 403
    with sessions() as session:
        device = get_device(session, tag)
        assert device.grade == "B"
        assert [e.kind for e in events(session, device, "graded", "grade_overridden")] == [
            "graded",
            "grade_overridden",
        ]


def test_the_api_still_takes_a_plain_grade_before_any_defects(client, tag, tokens):
    for who in ("theo", "marie"):
        response = grade(client, tokens[who], tag, grade="B")
        assert response.status_code == 200
        assert response.get_json()["grading"] is None


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "grade"),
        ({"note": "x"}, "grade"),
        ({"grade": "A", "defects": []}, "defects"),
        ({"defects": "lid_scratch"}, "defects"),
        ({"defects": {"lid_scratch": True}}, "defects"),
        ({"defects": ["dust"]}, "defects[0]"),
        ({"defects": [1]}, "defects[0]"),
        ({"defects": ["lid_scratch", "lid_scratch"]}, "defects[1]"),
        ({"defects": [], "reason": "why"}, "reason"),
        ({"grade": "A", "reason": 5}, "reason"),
        ({"grade": "A", "reason": "r" * 501}, "reason"),
        ({"grade": "E"}, "grade"),
    ],
)
def test_malformed_grading_bodies_are_refused_naming_the_field(client, tag, tokens, body, field):
    response = grade(client, tokens["root"], tag, **body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == ("invalid", field)


def test_the_document_describes_both_forms_of_the_grading_body(client):
    document = client.get(f"{API}/openapi.json").get_json()
    schema = document["components"]["schemas"]["GradeRequest"]
    validator = Draft202012Validator(schema)
    assert validator.is_valid({"grade": "A"})
    assert validator.is_valid({"defects": []})
    assert validator.is_valid({"grade": "C", "reason": "Deep scratch", "note": "Boxed"})
    assert not validator.is_valid({})
    assert not validator.is_valid({"grade": "A", "defects": ["lid_scratch"]})
    assert not validator.is_valid({"defects": ["dust"]})
    description = document["paths"]["/devices/{asset_tag}/grade"]["post"]["description"]
    assert "no defect gives A" in description and "`lid_scratch`" in description
