"""A technician fixes a laptop with a harvested battery from the work card, keyboard only."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from diagnostics import records
from inventory.accounts import User
from inventory.repair_models import Part, RepairAction
from tests.conftest import PASSWORD, passing_result
from tests.e2e.axe import violations
from tests.e2e.keyboard import enter, focused, tab_to
from tests.repair_helpers import (
    _repair_lists,  # noqa: F401  (an autouse fixture)
    harvested_battery,
    in_repair,
)

pytestmark = pytest.mark.e2e


def test_a_technician_fits_a_harvested_battery_from_the_work_card(
    server, browser, make_user, sessions
):
    make_user("technician", "tom")
    with sessions() as session:
        tom = session.scalar(select(User).where(User.username == "tom"))
        device = in_repair(session, "PF1E2EREP", tom)
        # The battery bench test failed: the card proposes the battery's faults.
        failed = passing_result("battery")
        failed.outcome = "fail"
        records.record_run(session, device, failed, operator=tom, station="bench-1")
        part = harvested_battery(session, "PF1E2EDON", tom)
        session.commit()
        tag, code, donor = device.asset_tag, part.code, part.donor.asset_tag

    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(server + "/login")
        assert focused(page) == "username"
        page.keyboard.type("tom")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        enter(page)
        # The scanner types the asset tag and Enter on the queue: the work card opens.
        page.goto(server + "/queue/")
        assert focused(page) == "code"
        page.keyboard.type(tag)
        enter(page)
        expect(page.locator("h1")).to_contain_text(tag)

        tab_to(page, "#record-repair-link", limit=200)
        enter(page)
        # The fault list has the focus, the bench's proposals first.
        assert focused(page) == "fault"
        expect(page.locator("#proposed")).to_contain_text("Dead battery")
        assert page.locator("#fault").input_value() == "no_power"
        page.keyboard.press("ArrowDown")
        assert page.locator("#fault").input_value() == "dead_battery"
        page.keyboard.press("Tab")
        assert focused(page) == "action"
        assert page.locator("#action").input_value() == "replaced"
        page.keyboard.press("Tab")
        assert focused(page) == f"part-{code}"
        expect(page.locator(f"label[for='part-{code}']")).to_contain_text(f"harvested from {donor}")
        page.keyboard.press("Space")
        tab_to(page, "#minutes")
        page.keyboard.type("25")
        enter(page)

        expect(page.locator(".flash-success")).to_contain_text(
            f"Repair recorded on {tag}: Dead battery, Replaced. Parts taken from stock: {code}."
        )
        expect(page.locator("#repairs-done")).to_contain_text(code)
        expect(page.locator("#redo")).to_contain_text("Battery")
        assert violations(page) == []
        # The device page tells the repair, and the battery's donor where it went.
        page.goto(f"{server}/devices/{tag}")
        expect(page.locator("#device-repairs")).to_contain_text(code)
        assert violations(page) == []
        page.goto(f"{server}/devices/{donor}")
        expect(page.locator("#harvested-parts")).to_contain_text(tag)
        assert violations(page) == []
    finally:
        context.close()

    with sessions() as session:
        repair = session.scalar(select(RepairAction))
        assert (repair.fault, repair.action, repair.minutes) == ("dead_battery", "replaced", 25)
        assert repair.technician.username == "tom"
        used = session.scalar(select(Part).where(Part.code == code))
        assert (used.state, used.repair_id) == ("used", repair.id)
