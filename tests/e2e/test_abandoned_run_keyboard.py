"""A run left open by a killed terminal, closed from the device page with the keyboard, in French."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from diagnostics import records
from inventory.intake import receive_device
from inventory.models import DiagnosticRun
from inventory.types import utcnow
from tests.conftest import PASSWORD
from tests.e2e.axe import violations
from tests.e2e.keyboard import enter, focused, tab_to

pytestmark = pytest.mark.e2e


def test_a_technician_closes_a_stuck_run_by_keyboard_and_reads_why_in_french(
    server, browser, make_user, sessions, tmp_path
):
    make_user("technician", "tom")
    with sessions() as session:
        device = receive_device(
            session,
            serial_number="5CG-GONE-1",
            category="laptop",
            make="HP",
            model="EliteBook 840 G5",
            entered_by=None,
        ).device
        run = records.start_run(
            session,
            device,
            "battery",
            operator=None,
            station="cli",
            started_at=utcnow() - timedelta(hours=2),
        )
        session.commit()
        tag, run_id = device.asset_tag, run.id

    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(server + "/login")
        assert focused(page) == "username"
        page.keyboard.type("tom")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        enter(page)
        page.goto(f"{server}/devices/{tag}")
        expect(page.locator("#script-battery h3")).to_contain_text("en cours depuis le")
        assert violations(page) == []

        tab_to(page, "#abandon-battery", limit=300)
        page.screenshot(path=str(tmp_path / "abandon.png"), full_page=True)
        enter(page)

        expect(page.locator(".flash-success")).to_contain_text(
            "Le test Batterie est clos comme abandonné"
        )
        battery = page.locator("#script-battery")
        expect(battery).to_contain_text("Interrompu avant la fin")
        expect(battery).to_contain_text("Le test n'a jamais signalé sa fin")
        expect(page.locator("#abandon-battery")).to_have_count(0)
        with sessions() as session:
            closed = session.get(DiagnosticRun, run_id)
            assert (closed.outcome, closed.code, closed.running) == ("aborted", "abandoned", False)
    finally:
        context.close()
