"""A bench test asked from the work card with the keyboard, followed without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from diagnostics import jobs
from diagnostics.results import RunResult
from inventory.accounts import User
from inventory.intake import receive_device
from inventory.models import BenchJob
from tests.conftest import PASSWORD
from tests.e2e.keyboard import enter, focused, tab_to

pytestmark = pytest.mark.e2e


def test_a_test_asked_from_the_card_shows_its_progress_and_end_without_a_reload(
    server, browser, make_user, sessions
):
    make_user("technician", "tom")
    make_user("technician", "agent")
    with sessions() as session:
        tom = session.scalar(select(User).where(User.username == "tom"))
        tag = receive_device(
            session,
            serial_number="5CG-BENCH-1",
            category="laptop",
            make="HP",
            model="EliteBook 840 G5",
            entered_by=tom,
        ).device.asset_tag
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
        page.goto(f"{server}/work/{tag}")

        # The test list, then the station, then Enter: the test is asked of the bench.
        tab_to(page, "#job-script", limit=200)
        page.keyboard.press("Tab")
        assert focused(page) == "job-station"
        page.keyboard.type("bench-2")
        enter(page)
        expect(page.locator(".flash-success")).to_contain_text(
            "The Battery test is asked of the station bench-2"
        )
        assert focused(page) == "job-script"
        live = page.locator("#job-live")
        expect(live).to_have_attribute("aria-live", "polite")
        expect(live).to_contain_text("Battery: waiting for the station bench-2")

        # The bench agent takes the job and reports, as it would over the API.
        with sessions() as session:
            agent = session.scalar(select(User).where(User.username == "agent"))
            job = jobs.claim_next(session, "bench-2", ["battery"], agent=agent)
            jobs.report_progress(session, job, agent=agent, percent=30, message="Discharging")
            session.commit()
            job_id = job.id
        expect(live).to_contain_text("Battery on the station bench-2: 30 % done. Discharging")
        expect(page.locator("#job-progress")).to_have_js_property("value", 30)

        with sessions() as session:
            agent = session.scalar(select(User).where(User.username == "agent"))
            job = session.get(BenchJob, job_id)
            jobs.report_progress(session, job, agent=agent, percent=70, message="Charging")
            session.commit()
        expect(live).to_contain_text("70 % done. Charging")

        with sessions() as session:
            agent = session.scalar(select(User).where(User.username == "agent"))
            job = session.get(BenchJob, job_id)
            started = job.run.started_at
            jobs.finish_job(
                session,
                job,
                RunResult(
                    script="battery",
                    outcome="pass",
                    code="",
                    message="",
                    started_at=started,
                    ended_at=started,
                ),
                agent=agent,
            )
            session.commit()
        expect(live).to_contain_text("Battery has ended: Passed.")
        expect(page.locator("#job-progress")).to_be_hidden()
        reload = page.locator("#job-reload a")
        expect(reload).to_be_visible()
        # No reload happened: the page still has the focus where the keyboard left it.
        assert focused(page) == "job-script"

        # The link brings the card with the full result, reached with the keyboard.
        tab_to(page, "#job-reload a", limit=200)
        enter(page)
        expect(page.locator("#script-battery")).to_contain_text("Passed")
    finally:
        context.close()
