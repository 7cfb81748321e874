"""An administrator renames and reorders a fault by keyboard, in French; the page passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from inventory import repairs
from inventory.repair_models import RepairCode
from tests.conftest import PASSWORD
from tests.e2e.axe import violations
from tests.e2e.keyboard import enter, focused, tab_to
from tests.repair_helpers import _repair_lists  # noqa: F401  (an autouse fixture)

pytestmark = pytest.mark.e2e


def test_an_administrator_renames_and_moves_a_fault_by_keyboard(
    server, browser, make_user, sessions
):
    make_user("admin", "ada")
    with sessions() as session:
        before = [item.code for item in repairs.faults(session, "laptop")]
        hinge_id = session.scalar(select(RepairCode.id).where(RepairCode.code == "hinge"))
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(server + "/login")
        # The login form takes the keyboard once the page has put it on the username.
        assert focused(page) == "username"
        page.keyboard.type("ada")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        enter(page)
        page.goto(server + "/repairs/codes?category=laptop")
        assert violations(page) == []
        tab_to(page, f"a[href$='/repairs/codes/{hinge_id}']", limit=300)
        enter(page)
        # The English label has the focus; the French one is a Tab away, typed over.
        assert focused(page) == "label_en"
        page.keyboard.press("Tab")
        assert focused(page) == "label_fr"
        page.keyboard.press("Control+A")
        page.keyboard.type("Charnière ou capot")
        assert violations(page) == []
        enter(page)
        expect(page.locator(".flash-success")).to_contain_text("Enregistré : hinge.")
        expect(page.locator("#codes")).to_contain_text("Charnière ou capot")
        tab_to(page, f"form[action$='/{hinge_id}/up'] button", limit=300)
        enter(page)
    finally:
        context.close()
    with sessions() as session:
        after = [item.code for item in repairs.faults(session, "laptop")]
        at = before.index("hinge")
        assert after[at - 1 : at + 1] == ["hinge", before[at - 1]]
        hinge = session.scalar(select(RepairCode).where(RepairCode.code == "hinge"))
        assert hinge.label_fr == "Charnière ou capot" and hinge.label_en == "Hinge"
