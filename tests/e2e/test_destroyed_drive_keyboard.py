"""A technician records a dying drive as shredded from the device page, keyboard only."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from diagnostics import records
from inventory.accounts import User
from inventory.devices import get_device
from tests.conftest import PASSWORD
from tests.destruction_helpers import DYING, laptop_with_dying_drive
from tests.e2e.axe import violations
from tests.e2e.keyboard import enter, focused, tab_to

pytestmark = pytest.mark.e2e


def test_a_technician_records_a_drive_destroyed_by_keyboard_alone(
    server, browser, make_user, sessions
):
    make_user("technician", "tom")
    with sessions() as session:
        tom = session.scalar(select(User).where(User.username == "tom"))
        tag = laptop_with_dying_drive(session, "PF1E2EDES", tom).asset_tag
        session.commit()

    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(server + "/login")
        assert focused(page) == "username"
        page.keyboard.type("tom")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        enter(page)
        page.goto(f"{server}/devices/{tag}")
        expect(page.locator("#unerased")).to_contain_text(DYING["serial"])

        # The form opens from its summary; the drive list offers the dying drive first.
        tab_to(page, "#destroy-summary", limit=300)
        page.keyboard.press("Enter")
        expect(page.locator("details.destroy-drive")).to_have_attribute("open", "")
        page.keyboard.press("Tab")
        assert focused(page) == "destroy-drive"
        assert violations(page) == []
        # Sent with no drive chosen: the form comes back, the keyboard on the drive list.
        tab_to(page, "#destroy-how")
        page.keyboard.press("ArrowDown")
        tab_to(page, "form[action$='destroyed-drives'] button[type=submit]")
        enter(page)
        assert focused(page) == "destroy-drive"
        expect(page.locator("#destroy-drive-error")).to_contain_text("Choose the drive destroyed")
        assert page.locator("#destroy-how").input_value() == "shredded"
        assert violations(page) == []

        page.keyboard.press("ArrowDown")
        assert page.locator("#destroy-drive").input_value() == DYING["serial"]
        tab_to(page, "#destroy-reference")
        page.keyboard.type("DESTRUKT 2026-118")
        page.keyboard.press("Tab")
        assert focused(page) == "destroy-replaced-yes"
        # The arrow moves to "No" and checks it.
        page.keyboard.press("ArrowDown")
        assert focused(page) == "destroy-replaced-no"
        assert page.locator("#destroy-replaced-no").is_checked()
        tab_to(page, "button[type=submit]")
        enter(page)

        expect(page.locator(".flash-success")).to_contain_text(
            f"Drive {DYING['serial']} is recorded as destroyed on {tag}: Shredded."
        )
        expect(page.locator("table.erasures tr.destroyed")).to_contain_text(
            "destroyed: shredded, ref. DESTRUKT 2026-118 (NIST Destroy)"
        )
        expect(page.locator("#none-left")).to_be_visible()
        expect(page.locator("#unerased")).to_have_count(0)
        assert violations(page) == []
    finally:
        context.close()

    with sessions() as session:
        device = get_device(session, tag)
        [record] = records.erasures(session, device)
        assert (record.method, record.destruction, record.replaced) == (
            "DESTROY",
            "shredded",
            False,
        )
        assert record.recorded_by.username == "tom"
        assert records.storage_status(session, device).complete
