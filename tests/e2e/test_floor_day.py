"""A device's way across the floor in a real browser, keyboard and scanner only.

A technician logs in at a workbench terminal with a badge and a PIN, takes a
laptop from `received` to `ready` on its work card (the stages, the manual
checks, the defects that give the grade), and a manager sells it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from inventory.accounts import User
from inventory.badges import issue_badge, set_pin
from inventory.checks import device_checks
from inventory.intake import receive_device
from inventory.models import Device, Event
from tests.conftest import PASSWORD, pass_diagnostics
from tests.e2e.keyboard import enter, focused, tab_to

pytestmark = pytest.mark.e2e

PIN = "4711"
STAGE_NAMES = {
    "triage": "Triage",
    "erasure": "Erasure",
    "diagnostics": "Diagnostics",
    "qc": "Quality control",
    "ready": "Ready for sale",
}
# Enough presses to cross the longest page: the work card with a laptop's ten checks.
FAR = 200


@pytest.fixture
def floor(sessions, make_user) -> dict[str, str]:
    """A technician with a badge, a manager, and a laptop received this morning."""
    make_user("manager", "maud")
    technician = make_user("technician", "tom", name="Tom")
    with sessions() as session:
        tom = session.get(User, technician.id)
        badge = issue_badge(session, tom, by=None)
        set_pin(session, tom, PIN, by=None)
        laptop = receive_device(
            session,
            serial_number="5CG-FLOOR-1",
            category="laptop",
            make="HP",
            model="EliteBook 840 G5",
            entered_by=tom,
        ).device
        session.commit()
        return {"badge": badge, "tag": laptop.asset_tag}


def finish_stage(page, to: str) -> None:
    """Reach the button that finishes the stage toward `to`, and press it."""
    tab_to(page, f"button[name=to][value={to}]", limit=FAR)
    enter(page)
    expect(page.locator("#stage-now")).to_contain_text(STAGE_NAMES[to])


def test_a_badge_a_pin_a_work_card_and_a_sale(server, browser, floor, sessions):
    tag = floor["tag"]
    bench = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = bench.new_page()
    try:
        page.goto(server + "/terminal")
        assert focused(page) == "badge"
        page.keyboard.type(floor["badge"])
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.activeElement.id === 'pin'")
        page.keyboard.type(PIN)
        enter(page)
        assert page.url == server + "/queue/"
        assert focused(page) == "code"

        # Scanning a free laptop at the bench takes it and opens its work card.
        page.keyboard.type(tag)
        enter(page)
        assert page.url.startswith(f"{server}/work/{tag}")
        expect(page.locator("#holder-now")).to_contain_text("Tom")

        for stage in ("triage", "erasure", "diagnostics", "qc"):
            finish_stage(page, stage)
        with sessions() as session:
            assert session.scalar(select(Device.stage).where(Device.asset_tag == tag)) == "qc"

        # Not ready yet: the button says what is missing.
        expect(page.locator("#needs-ready")).to_be_visible()
        # Every check passes: Space ticks the focused choice. The benches' agent has
        # posted its passing runs meanwhile.
        with sessions() as session:
            device = session.scalar(select(Device).where(Device.asset_tag == tag))
            codes = [line.item.code for line in device_checks(session, device).lines]
            pass_diagnostics(session, device)
            session.commit()
        assert len(codes) >= 5
        for code in codes:
            tab_to(page, f"#check-{code}-pass", limit=FAR)
            page.keyboard.press("Space")
        tab_to(page, "form.checks-form button[type=submit]", limit=FAR)
        enter(page)
        # No defect found: saving the empty list grades it A by the rule.
        tab_to(page, "form.defects-form button[type=submit]", limit=FAR)
        enter(page)
        expect(page.locator("#grade-now")).to_contain_text("A")
        finish_stage(page, "ready")
    finally:
        bench.close()

    office = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = office.new_page()
    try:
        page.goto(server + "/login")
        assert focused(page) == "username"
        page.keyboard.type("maud")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        enter(page)
        assert "/login" not in page.url
        page.goto(server + "/sales/new")
        assert focused(page) == "customer"
        page.keyboard.type("Boutique solidaire")
        enter(page)
        assert focused(page) == "code"
        page.keyboard.press("Shift+Tab")
        page.keyboard.type("149")
        page.keyboard.press("Tab")
        page.keyboard.type(tag)
        enter(page)
        expect(page.locator("table")).to_contain_text(tag)
        tab_to(page, "a[href$='/complete']", limit=FAR)
        enter(page)
        # The confirmation's button has the focus (tab_to returns at once): Enter sells.
        tab_to(page, "main form button[type=submit]")
        enter(page)
        expect(page.locator("main")).to_contain_text("completed: 1 device sold")
    finally:
        office.close()

    with sessions() as session:
        device = session.scalar(select(Device).where(Device.asset_tag == tag))
        assert (device.stage, device.grade) == ("sold", "A")
        kinds = session.scalars(
            select(Event.kind).where(Event.device_id == device.id).order_by(Event.id)
        ).all()
        assert "claimed" in kinds and "checks" in kinds and "graded" in kinds
        assert kinds[-1] in ("sold", "stage_change")
