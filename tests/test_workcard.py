"""The work card: a technician scans a device, reads what to do, grades it and finishes the stage."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from inventory import assignments
from inventory.accounts import User
from inventory.checks import answer_checks, device_checks
from inventory.devices import get_device
from inventory.grading import current_grading, override_grade, record_defects
from inventory.intake import receive_device
from inventory.lifecycle import STAGES
from inventory.models import Assignment, Event, Scan
from inventory.stages import move_to_stage
from tests.conftest import csrf_token, login, pass_diagnostics


def user(session, username):
    return session.scalar(select(User).where(User.username == username))


def receive(session, serial, by="marie"):
    return receive_device(
        session,
        serial_number=serial,
        category="laptop",
        make="Lenovo",
        model="ThinkPad T480",
        entered_by=user(session, by),
    ).device.asset_tag


def text(response):
    """The page as read on screen: apostrophes arrive as &#39; in the HTML."""
    return html.unescape(response.get_data(as_text=True))


def post(client, page, action, data=None):
    """Send a form from `page` the way the browser would, and follow the redirect."""
    token = csrf_token(client, page)
    return client.post(action, data={"csrf_token": token, **(data or {})}, follow_redirects=True)


def autofocused(page):
    """The id of the element the page puts the keyboard on."""
    match = re.search(r"<(?:input|button|section)[^>]*\bautofocus\b[^>]*>", page)
    assert match, "nothing has the focus"
    found = re.search(r'id="([^"]+)"', match.group(0))
    return found.group(1) if found else match.group(0)


@pytest.fixture
def staff(make_user):
    make_user("manager", "marie")
    make_user("technician", "theo")
    make_user("technician", "tina")
    make_user("warehouse", "wanda")
    make_user("hr", "helene")


@pytest.fixture
def tag(sessions, staff):
    with sessions() as session:
        tag = receive(session, "PF1CARD")
        session.commit()
    return tag


def test_the_card_renders_for_each_stage_with_what_to_do_and_pictograms_beside_words(
    client, sessions, tag
):
    login(client, "theo")
    seen = set()
    for stage in STAGES:
        with sessions() as session:
            device = get_device(session, tag)
            # A shortcut to each stage: only the page is under test here.
            device.stage = stage
            session.commit()
        response = client.get(f"/work/{tag}")
        assert response.status_code == 200, stage
        page = response.get_data(as_text=True)
        instruction = re.search(r'<p class="instruction">([^<]+)</p>', page).group(1)
        seen.add(instruction)
        assert tag in page and "Lenovo ThinkPad T480" in page
        assert f'class="stage stage-{stage}"' in page
        # Every pictogram is hidden from screen readers and has words beside it.
        assert page.count("<svg") == page.count(
            '<svg class="picto" viewBox="0 0 24 24" aria-hidden'
        )
        for after in re.findall(r"</svg>\s*(.{0,20})", page):
            assert after and not after.startswith("</"), after
        assert autofocused(page) == "card-code"
        assert 'id="checks"' in page
        gradable = stage not in ("sold", "recycled")
        assert ('name="defects-defects"' in page) is gradable
        assert "No defect." in page and "Only minor defects, 2 at most." in page
    assert len(seen) == len(STAGES)


def test_scanning_on_my_queue_opens_the_work_card_and_the_queue_links_to_it(client, tag):
    login(client, "theo")
    opened = post(client, "/queue/", "/queue/scan", {"code": tag.lower()})
    assert opened.request.path == f"/work/{tag}"
    page = opened.get_data(as_text=True)
    assert f"{tag} is now in your queue." in page
    assert "Assigned to theo since" in page
    assert f'href="/work/{tag}"' in client.get("/queue/").get_data(as_text=True)


def test_claiming_and_releasing_from_the_card(client, sessions, tag):
    login(client, "theo")
    page = client.get(f"/work/{tag}").get_data(as_text=True)
    assert "No one is assigned this device." in page
    taken = post(client, f"/work/{tag}", f"/work/{tag}/claim")
    assert taken.request.path == f"/work/{tag}"
    assert f"{tag} is now in your queue." in taken.get_data(as_text=True)
    assert "Release it" in taken.get_data(as_text=True)

    other = client.application.test_client()
    login(other, "tina")
    refused = post(other, f"/work/{tag}", f"/work/{tag}/claim")
    assert f"{tag} is already assigned to theo since " in refused.get_data(as_text=True)
    assert "Release it" not in refused.get_data(as_text=True)
    assert (
        other.post(
            f"/work/{tag}/release", data={"csrf_token": csrf_token(other, f"/work/{tag}")}
        ).status_code
        == 403
    )

    released = post(client, f"/work/{tag}", f"/work/{tag}/release")
    assert f"{tag} is released" in released.get_data(as_text=True)
    with sessions() as session:
        device = get_device(session, tag)
        assert assignments.active_assignment(session, device) is None
        kinds = [e.kind for e in session.scalars(select(Event).where(Event.device_id == device.id))]
        assert kinds[-2:] == ["claimed", "released"]


def test_finishing_a_stage_from_the_card_and_being_told_what_a_gate_lacks(client, sessions, tag):
    login(client, "theo")
    post(client, f"/work/{tag}", f"/work/{tag}/claim")
    page = client.get(f"/work/{tag}").get_data(as_text=True)
    assert 'name="to" value="triage"' in page and 'value="recycled"' not in page
    done = post(
        client,
        f"/work/{tag}",
        f"/work/{tag}/finish",
        {"to": "triage", "expected_stage": "received"},
    )
    page = done.get_data(as_text=True)
    assert done.request.path == f"/work/{tag}"
    assert f"Received finished: {tag} moved to Triage" in page
    assert 'class="stage stage-triage"' in page
    # The stage is over, so is the assignment: the card offers to take it again.
    assert "Take it: add it to my queue" in page
    twice = post(
        client,
        f"/work/{tag}",
        f"/work/{tag}/finish",
        {"to": "triage", "expected_stage": "received"},
    )
    assert f"{tag} was already moved to Triage. Nothing was changed" in twice.get_data(as_text=True)

    with sessions() as session:
        device = get_device(session, tag)
        for stage in ("erasure", "diagnostics", "qc"):
            move_to_stage(session, device, stage, entered_by=user(session, "theo"))
        session.commit()
    page = client.get(f"/work/{tag}").get_data(as_text=True)
    assert re.search(r'id="needs-ready">.*Still needs a grade', page, re.S)
    refused = client.post(
        f"/work/{tag}/finish",
        data={
            "to": "ready",
            "expected_stage": "qc",
            "csrf_token": csrf_token(client, f"/work/{tag}"),
        },
    )
    assert refused.headers["Location"] == f"/work/{tag}?focus=grade"
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert f"{tag} cannot enter Ready for sale yet: missing a grade" in page
    assert "Do what is missing above, then finish again." in page
    # The keyboard lands on the defects, where the grade is made.
    assert autofocused(page) == "defect-lid_dent"
    with sessions() as session:
        assert get_device(session, tag).stage == "qc"

    sold = post(
        client, f"/work/{tag}", f"/work/{tag}/finish", {"to": "sold", "expected_stage": "qc"}
    )
    assert "recorded from the device page" in sold.get_data(as_text=True)


def test_a_technician_works_a_laptop_at_quality_control_to_ready_from_the_card(
    client, sessions, tag
):
    with sessions() as session:
        device = get_device(session, tag)
        theo = user(session, "theo")
        for stage in ("triage", "erasure", "diagnostics", "qc"):
            move_to_stage(session, device, stage, entered_by=theo)
        # The checks are the checklists area's; here they are all ticked as passed.
        unanswered = device_checks(session, device).unanswered
        if unanswered:
            answer_checks(session, device, dict.fromkeys(unanswered, "pass"), entered_by=theo)
        # And the benches passed it.
        pass_diagnostics(session, device, operator=theo)
        session.commit()
    login(client, "theo")
    graded = post(
        client,
        f"/work/{tag}",
        f"/work/{tag}/defects",
        {"defects-defects": ["sticker_residue", "lid_scratch"], "defects-note": "Cleaned"},
    )
    page = graded.get_data(as_text=True)
    assert "Defects saved: grade B (2 minor defects and no major one)." in page
    assert "From the defects recorded by theo" in page
    assert re.search(r'value="lid_scratch" checked', page)
    assert not re.search(r'value="lid_dent" checked', page)
    assert autofocused(page).startswith('<button type="submit" name="to" value="ready"')
    ready = post(
        client, f"/work/{tag}", f"/work/{tag}/finish", {"to": "ready", "expected_stage": "qc"}
    )
    assert "Quality control finished" in ready.get_data(as_text=True)
    with sessions() as session:
        device = get_device(session, tag)
        assert (device.stage, device.grade) == ("ready", "B")
        assert current_grading(session, device).codes == ["lid_scratch", "sticker_residue"]

    # Nothing ticked means no defect: grade A.
    with sessions() as session:
        get_device(session, tag).stage = "qc"
        session.commit()
    none = post(client, f"/work/{tag}", f"/work/{tag}/defects", {})
    assert "Defects saved: grade A (no defect was found)." in none.get_data(as_text=True)
    wrong = post(client, f"/work/{tag}", f"/work/{tag}/defects", {"defects-defects": "dust"})
    assert "Tick the defects in the list" in wrong.get_data(as_text=True)


def test_a_manager_overrides_on_the_card_and_the_card_says_so(client, sessions, tag):
    with sessions() as session:
        record_defects(session, get_device(session, tag), ["case_crack"], entered_by=None)
        session.commit()
    login(client, "theo")
    page = client.get(f"/work/{tag}").get_data(as_text=True)
    assert "Manager: override the grade" not in page
    token = csrf_token(client, f"/work/{tag}")
    refused = client.post(
        f"/work/{tag}/override",
        data={"csrf_token": token, "override-grade": "A", "override-reason": "Fine"},
    )
    assert refused.status_code == 403
    assert client.post(f"/work/{tag}/override/clear", data={"csrf_token": token}).status_code == 403

    manager = client.application.test_client()
    login(manager, "marie")
    page = manager.get(f"/work/{tag}").get_data(as_text=True)
    assert "Manager: override the grade" in page
    missing = post(manager, f"/work/{tag}", f"/work/{tag}/override", {"override-grade": "B"})
    assert "Say why the grade differs from the defects' grade." in text(missing)
    assert missing.request.args.get("focus") == "override"
    done = post(
        manager,
        f"/work/{tag}",
        f"/work/{tag}/override",
        {"override-grade": "B", "override-reason": "The crack is under the rubber foot"},
    )
    page = done.get_data(as_text=True)
    assert f"Grade overridden on {tag}: C → B." in page
    assert "Overridden by marie on" in page and "the defects give C (1 major defect)" in page
    assert "The crack is under the rubber foot" in page
    assert "The override stands until a manager clears it" in page

    # The technician records the defects again: the override stands, and they are told.
    again = post(client, f"/work/{tag}", f"/work/{tag}/defects", {"defects-defects": "lid_scratch"})
    page = again.get_data(as_text=True)
    assert "they give grade B (1 minor defect and no major one)" in page
    assert "The manager's grade B stands until a manager clears the override." in text(again)
    assert "Only a manager can change or clear an overridden grade." in page

    cleared = post(manager, f"/work/{tag}", f"/work/{tag}/override/clear")
    assert f"The override is cleared: {tag} has grade B from its defects again." in (
        cleared.get_data(as_text=True)
    )
    device_page = manager.get(f"/devices/{tag}").get_data(as_text=True)
    assert f'href="/work/{tag}"' in device_page
    assert "From the recorded defects: 1 minor defect and no major one. (Scratch on the lid)" in (
        device_page
    )
    assert "Grade overridden" in device_page and "Grade override cleared" in device_page


def test_the_device_page_says_an_override_and_refuses_a_technicians_other_grade(
    client, sessions, tag
):
    with sessions() as session:
        device = get_device(session, tag)
        record_defects(session, device, ["lid_dent"], entered_by=None)
        override_grade(
            session, device, "B", reason="Dent hidden", entered_by=user(session, "marie")
        )
        session.commit()
    login(client, "theo")
    page = client.get(f"/devices/{tag}").get_data(as_text=True)
    assert "Overridden by marie: Dent hidden (the defects give C)." in page
    refused = post(client, f"/devices/{tag}", f"/devices/{tag}/grade", {"grade-grade": "A"})
    assert "only a manager can change it" in refused.get_data(as_text=True)
    with sessions() as session:
        assert get_device(session, tag).grade == "B"


def test_the_scan_field_opens_another_card_and_every_scan_is_logged(client, sessions, tag):
    with sessions() as session:
        other = receive(session, "PF1OTHER")
        session.commit()
    login(client, "theo")
    opened = post(
        client, f"/work/{tag}", "/work/scan", {"code": f" {other.lower()} ", "current": tag}
    )
    assert opened.request.path == f"/work/{other}"
    # Opening a card takes nothing: the device is still free.
    assert "No one is assigned this device." in opened.get_data(as_text=True)
    unknown = post(client, f"/work/{tag}", "/work/scan", {"code": "NOT-OURS", "current": tag})
    assert unknown.request.path == f"/work/{tag}"
    assert "NOT-OURS" in unknown.get_data(as_text=True)
    empty = post(client, f"/work/{tag}", "/work/scan", {"code": "", "current": tag})
    assert "Scan a device's asset tag." in text(empty)
    nowhere = post(client, "/queue/", "/work/scan", {"code": "NOT-OURS", "current": "../x"})
    assert nowhere.request.path == "/queue/"
    with sessions() as session:
        scans = session.scalars(select(Scan).where(Scan.station == "workcard")).all()
        assert [scan.outcome for scan in scans] == ["device", "unknown", "unknown"]
    missing = client.get("/work/A0009999Z")
    assert missing.status_code == 404
    assert 'id="card-code"' in missing.get_data(as_text=True)


def test_who_may_open_the_card(client, make_user, tag):
    assert client.get(f"/work/{tag}").status_code == 302
    for name in ("wanda", "helene"):
        other = client.application.test_client()
        login(other, name)
        assert other.get(f"/work/{tag}").status_code == 403
        token = csrf_token(other, "/login")
        for action in ("claim", "defects", "finish", "override"):
            assert (
                other.post(f"/work/{tag}/{action}", data={"csrf_token": token}).status_code == 403
            )
    login(client, "marie")
    page = client.get(f"/work/{tag}").get_data(as_text=True)
    assert "Take it: add it to my queue" in page
    assert client.get("/work/").headers["Location"] == "/queue/"


def test_the_card_speaks_french(client, tag):
    login(client, "theo")
    client.post(
        "/language",
        data={"language": "fr", "next": "/queue/", "csrf_token": csrf_token(client, "/queue/")},
    )
    page = client.get(f"/work/{tag}").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert re.search(r"Étape\s:", page) and "Reçu" in page
    assert "Cet appareil n'est attribué à personne." in html.unescape(page)


def test_a_finished_stage_ends_the_assignment_made_from_the_card(client, sessions, tag):
    login(client, "theo")
    post(client, f"/work/{tag}", f"/work/{tag}/claim")
    post(
        client,
        f"/work/{tag}",
        f"/work/{tag}/finish",
        {"to": "triage", "expected_stage": "received"},
    )
    with sessions() as session:
        [assignment] = session.scalars(select(Assignment)).all()
        assert (assignment.stage, assignment.end_reason) == ("received", "finished")
