"""A warehouse worker's morning in a real browser: a lot of 40 laptops, scanner and keyboard only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from inventory.models import Device, Scan
from tests.conftest import PASSWORD
from tests.e2e.keyboard import enter, focused, tab_to

pytestmark = pytest.mark.e2e

LOT = "2024-06-LAPTOPS"
# Set to a folder to keep screenshots of the scan page and the filled-in form.
SCREENSHOTS = os.environ.get("WORKSHOP_E2E_SCREENSHOTS", "")


def screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=True)


def test_forty_laptops_take_forty_scans_and_forty_enters(server, browser, make_user, sessions):
    make_user("warehouse", "wanda")
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(server + "/")
        assert "/login" in page.url

        # Log in through the form: the username field has the focus.
        assert focused(page) == "username"
        page.keyboard.type("wanda")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        enter(page)
        assert page.url == server + "/intake/"
        assert focused(page) == "code"

        # Open the lot from the intake page, and come back to it selected.
        tab_to(page, "a[href='/lots/new?then=intake']", backwards=True)
        enter(page)
        assert page.url.endswith("/lots/new?then=intake")
        assert focused(page) == "code"
        page.keyboard.type(LOT)
        page.keyboard.press("Tab")
        page.keyboard.type("Town hall")
        enter(page)
        assert page.url == server + "/intake/"
        assert page.eval_on_selector("#lot", "el => el.value") == LOT
        assert focused(page) == "code"
        screenshot(page, "intake-scan-empty.png")

        for number in range(1, 41):
            serial = f"5CG7{number:04d}"
            # The scanner types the serial and Enter into the focused field.
            page.keyboard.type(serial)
            enter(page)
            assert "/intake/new?serial=" + serial in page.url
            if number == 1:
                # The first of the lot: say once what these laptops are.
                assert focused(page) == "category"
                page.keyboard.type("Laptop")
                page.keyboard.press("Tab")
                page.keyboard.type("Lenovo")
                page.keyboard.press("Tab")
                page.keyboard.type("ThinkPad T480")
                page.keyboard.press("Tab")
                page.keyboard.type("1,6")
            else:
                assert focused(page) == "save", f"Save lacks the focus for {serial}"
                assert page.eval_on_selector("#model", "el => el.value") == "ThinkPad T480"
                if number == 2:
                    screenshot(page, "intake-form-prefilled.png")
            enter(page)
            assert page.url == server + "/intake/"
            assert focused(page) == "code", f"the scan field lost the focus after {serial}"
            expect(page.locator("#scan-outcome")).to_contain_text(f"Received {serial} as A")

        screenshot(page, "intake-scan-after-40.png")
    finally:
        context.close()

    with sessions() as session:
        devices = session.scalars(select(Device)).all()
        assert len(devices) == 40
        assert len({device.asset_tag for device in devices}) == 40
        assert {(d.lot.code, d.category, d.make, d.model) for d in devices} == {
            (LOT, "laptop", "Lenovo", "ThinkPad T480")
        }
        assert len(session.scalars(select(Scan)).all()) == 40


def test_the_intake_page_speaks_french_to_a_french_browser(server, browser, make_user):
    make_user("warehouse", "wanda")
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(server + "/login")
        assert page.get_attribute("html", "lang") == "fr"
        assert focused(page) == "username"
        page.keyboard.type("wanda")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        enter(page)
        assert page.url == server + "/intake/"
        assert page.get_attribute("html", "lang") == "fr"
        assert focused(page) == "code"
        screenshot(page, "intake-scan-fr.png")
    finally:
        context.close()
