"""A device moves through the stages; the table and the gates say what is allowed."""

import pytest

from inventory.checks import answer_every_check
from inventory.errors import Conflict, GateUnmet, IllegalTransition, InvalidInput
from inventory.events import device_history
from inventory.intake import receive_device
from inventory.lifecycle import LEFT_STAGES, STAGES, TRANSITIONS
from inventory.stages import move_to_stage, set_grade
from tests.conftest import check_codes, enter_ready, pass_diagnostics

UNANSWERED = f"answers to the checks ({', '.join(check_codes('laptop'))})"
# What the benches must have said of a laptop (diagnostics/records.py).
BENCH_RESULTS = [
    "a passing battery run",
    "a passing disk-health run",
    "a passing erasure run",
    "an erasure record for every drive, or the device marked as having no storage",
]


@pytest.fixture
def laptop(session, make_user):
    tech = make_user("technician", "amina")
    device = receive_device(
        session,
        serial_number="R90ABCDE",
        category="laptop",
        make="Lenovo",
        model="ThinkPad T480",
        entered_by=tech,
    ).device
    session.commit()
    return device, tech


def test_the_transition_table_follows_the_design():
    assert set(TRANSITIONS) == set(STAGES)
    main_line = ["received", "triage", "erasure", "diagnostics", "repair", "qc", "ready", "sold"]
    for here, there in zip(main_line, main_line[1:], strict=False):
        assert there in TRANSITIONS[here]
    for stage in main_line[:-1]:
        assert "recycled" in TRANSITIONS[stage]
    assert "recycled" not in TRANSITIONS["sold"]
    assert TRANSITIONS["sold"] == ("returned",)
    assert TRANSITIONS["recycled"] == ()
    assert {"sold", "recycled"} == LEFT_STAGES
    assert all(target in STAGES for targets in TRANSITIONS.values() for target in targets)


def test_a_laptop_goes_from_received_to_sold_event_by_event(session, laptop):
    device, tech = laptop
    for stage in ("triage", "erasure", "diagnostics", "repair", "qc"):
        move_to_stage(session, device, stage, entered_by=tech, note=f"done {stage}")
    enter_ready(session, device, grade="B", entered_by=tech)
    move_to_stage(session, device, "sold", entered_by=tech)
    session.commit()
    history = device_history(session, device)
    moves = [(e.from_stage, e.to_stage) for e in history if e.kind == "stage_change"]
    assert moves[0] == ("received", "triage")
    assert moves[-1] == ("ready", "sold")
    assert len(moves) == 7
    assert [e.kind for e in history].count("graded") == 1
    assert [e.kind for e in history].count("checks") == 1
    assert history[1].payload["note"] == "done triage"
    assert device.stage == "sold"


def test_an_illegal_move_names_the_allowed_ones_and_changes_nothing(session, laptop):
    device, tech = laptop
    with pytest.raises(IllegalTransition) as refused:
        move_to_stage(session, device, "sold", entered_by=tech)
    assert "Allowed moves from received: triage, recycled" in refused.value.message
    assert refused.value.details["allowed"] == ["triage", "recycled"]
    assert device.stage == "received"
    assert len(device_history(session, device)) == 1


def test_entering_ready_needs_a_grade_every_check_passed_and_the_benches_passed(session, laptop):
    device, tech = laptop
    for stage in ("triage", "erasure", "diagnostics", "qc"):
        move_to_stage(session, device, stage, entered_by=tech)
    with pytest.raises(GateUnmet) as refused:
        move_to_stage(session, device, "ready", entered_by=tech)
    assert refused.value.details["missing"] == ["grade", UNANSWERED, *BENCH_RESULTS]
    assert device.stage == "qc"
    set_grade(session, device, "A", entered_by=tech)
    with pytest.raises(GateUnmet) as refused:
        move_to_stage(session, device, "ready", entered_by=tech)
    assert refused.value.details["missing"] == [UNANSWERED, *BENCH_RESULTS]
    answer_every_check(session, device, entered_by=tech)
    with pytest.raises(GateUnmet) as refused:
        move_to_stage(session, device, "ready", entered_by=tech)
    assert refused.value.details["missing"] == BENCH_RESULTS
    pass_diagnostics(session, device, operator=tech)
    move_to_stage(session, device, "ready", entered_by=tech)
    assert device.stage == "ready"


def test_recycling_is_allowed_before_sold_and_never_after(session, laptop):
    device, tech = laptop
    move_to_stage(session, device, "recycled", entered_by=tech, note="cracked chassis")
    with pytest.raises(IllegalTransition, match="Allowed moves from recycled: none"):
        move_to_stage(session, device, "triage", entered_by=tech)


def test_a_stale_page_cannot_move_a_device_twice(session, laptop):
    device, tech = laptop
    move_to_stage(session, device, "triage", entered_by=tech, expected_stage="received")
    with pytest.raises(Conflict, match="in stage triage now"):
        move_to_stage(session, device, "triage", entered_by=tech, expected_stage="received")
    assert len(device_history(session, device)) == 2


@pytest.mark.parametrize("grade", ["D", "a", "", None, 1])
def test_an_unknown_grade_is_refused(session, laptop, grade):
    device, tech = laptop
    with pytest.raises(InvalidInput) as refused:
        set_grade(session, device, grade, entered_by=tech)
    assert refused.value.details["field"] == "grade"
    assert device.grade is None


def test_an_unknown_stage_is_refused_as_input(session, laptop):
    device, tech = laptop
    with pytest.raises(InvalidInput, match="Unknown stage"):
        move_to_stage(session, device, "limbo", entered_by=tech)


def test_the_gate_list_takes_more_requirements(session, laptop, monkeypatch):
    from inventory import lifecycle

    device, tech = laptop
    monkeypatch.setitem(lifecycle.GATES, "ready", list(lifecycle.GATES["ready"]))
    lifecycle.add_gate("ready", lifecycle.Gate("erasure", lambda _s, _d: "erasure record"))
    for stage in ("triage", "erasure", "diagnostics", "qc"):
        move_to_stage(session, device, stage, entered_by=tech)
    with pytest.raises(GateUnmet) as refused:
        move_to_stage(session, device, "ready", entered_by=tech)
    assert refused.value.details["missing"] == [
        "grade",
        UNANSWERED,
        *BENCH_RESULTS,
        "erasure record",
    ]
