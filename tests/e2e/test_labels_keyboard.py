"""Save and print at intake in a real browser, keyboard only: the label reaches the printer."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from inventory.codes import asset_tag
from inventory.intake import receive_device
from inventory.lots import open_lot
from inventory.printers import set_station_printer
from labels.media import MEDIA
from tests.conftest import PASSWORD
from tests.e2e.axe import violations
from tests.e2e.keyboard import enter, focused, tab_to
from tests.label_helpers import decode_positions, printer_server

pytestmark = pytest.mark.e2e

printer = pytest.fixture(printer_server)


def test_save_and_print_at_intake_by_keyboard_alone(
    server, browser, make_user, sessions, printer, tmp_path
):
    make_user("warehouse", "wanda")
    with sessions() as session:
        open_lot(session, "L-E2E", donor="School", entered_by=None)
        set_station_printer(
            session,
            "dock-1",
            method="raw",
            target=printer.address,
            medium="62x29",
            format="pdf",
            by=None,
        )
        session.commit()
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(server + "/login")
        # The login form takes the keyboard once the page has put it on the username.
        assert focused(page) == "username"
        page.keyboard.type("wanda")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        enter(page)

        # This terminal prints at dock-1: chosen once, by keyboard.
        tab_to(page, "a[href='/labels/']")
        enter(page)
        tab_to(page, "#terminal-station")
        page.keyboard.press("ArrowDown")
        assert page.eval_on_selector("#terminal-station", "el => el.value") == "dock-1"
        tab_to(page, "#choose-station")
        enter(page)
        assert "This terminal prints its labels at dock-1." in page.inner_text("main")

        tab_to(page, "a[href='/intake/']", backwards=True)
        enter(page)
        assert focused(page) == "code"
        page.keyboard.type("5CG8PRINT1")
        enter(page)
        # No lot chosen yet: its code is typed (a scanner could read it off the lot's sheet).
        assert focused(page) == "lot"
        page.keyboard.type("L-E2E")
        page.keyboard.press("Tab")
        page.keyboard.type("Laptop")
        page.keyboard.press("Tab")
        page.keyboard.type("Lenovo")
        page.keyboard.press("Tab")
        page.keyboard.type("ThinkPad T480s")
        tab_to(page, "#save-print")
        enter(page)

        # Back on the scan page: the label went to the printer, the scan field is ready.
        tag = asset_tag(1)
        expect(page.locator("#scan-outcome")).to_contain_text(
            f"Received 5CG8PRINT1 as {tag}. Label sent to {printer.address} (raw TCP)."
        )
        assert focused(page) == "code"
        assert printer.received.wait(5)
        assert decode_positions(printer.jobs[0], MEDIA["62x29"], 203, tmp_path) == [[tag]]

        # Without a printer at this terminal, the label comes up focused: one Enter opens it.
        page.goto(server + "/labels/")
        tab_to(page, "#terminal-station")
        page.keyboard.press("ArrowUp")
        tab_to(page, "#choose-station")
        enter(page)
        page.goto(server + "/intake/")
        page.keyboard.type("5CG8PRINT2")
        enter(page)
        tab_to(page, "#save-print")
        enter(page)
        assert focused(page) == "open-label"
        with context.expect_page() as opened:
            page.keyboard.press("Enter")
        label = opened.value
        label.wait_for_load_state()
        assert label.url.endswith(f"/labels/devices/{asset_tag(2)}.pdf?medium=62x29")
        assert len(printer.jobs) == 1
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["en-GB", "fr-FR"])
def test_the_printing_pages_break_no_wcag_21_a_or_aa_rule(
    server, browser, make_user, sessions, locale
):
    make_user("admin", "root")
    with sessions() as session:
        open_lot(session, "L-AXE", donor="School", entered_by=None)
        receive_device(
            session,
            serial_number="5CG8AXE1",
            category="laptop",
            make="HP",
            model="EliteBook 840 G5",
            lot="L-AXE",
            entered_by=None,
        )
        set_station_printer(
            session, "dock-1", method="lp", target="brother", medium="62x29", format="pdf", by=None
        )
        session.commit()
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(server + "/login")
        # The login form takes the keyboard once the page has put it on the username.
        assert focused(page) == "username"
        page.keyboard.type("root")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        enter(page)
        found = {}
        for path in ("/labels/", f"/devices/{asset_tag(1)}", "/lots/L-AXE", "/users/"):
            page.goto(server + path)
            found[path] = violations(page)
        assert found == {path: [] for path in found}
        page.goto(server + f"/devices/{asset_tag(1)}")
        svg = page.locator("svg.barcode")
        expect(svg).to_have_attribute("data-code", asset_tag(1))
        box = svg.bounding_box()
        assert box["width"] > 200 and box["height"] > 40
    finally:
        context.close()
