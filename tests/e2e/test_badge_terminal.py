"""A workbench terminal changing hands in a real browser: badge, PIN, and the idle lock."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from inventory import badges
from inventory.accounts import User
from tests.conftest import PASSWORD
from tests.e2e.test_intake_keyboard import enter, focused
from workshop.auth import terminal

pytestmark = pytest.mark.e2e


def badge_for(sessions, make_user, role, username, name, pin):
    """A user with a badge and a PIN; returns the badge code."""
    make_user(role, username, name)
    with sessions() as session:
        user = session.scalar(select(User).where(User.username == username))
        code = badges.issue_badge(session, user, by=None)
        badges.set_pin(session, user, pin, by=None)
        session.commit()
    return code


def test_a_technician_takes_over_a_terminal_with_badge_and_pin(
    server, browser, make_user, sessions
):
    theo = badge_for(sessions, make_user, "technician", "theo", "Théo Martin", "4821")
    make_user("warehouse", "wanda", "Wanda Petit")
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        # Wanda worked on this terminal with her password.
        page.goto(server + "/login")
        assert focused(page) == "username"
        page.keyboard.type("wanda")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        enter(page)
        expect(page.locator(".who")).to_contain_text("Wanda Petit")

        # Théo opens the badge page: the badge field has the focus.
        page.goto(server + "/terminal")
        assert focused(page) == "badge"
        started = time.monotonic()
        # The scanner types the code and Enter: the focus goes on to the PIN, no page load.
        page.keyboard.type(theo)
        page.keyboard.press("Enter")
        assert focused(page) == "pin"
        assert page.url == server + "/terminal"
        page.keyboard.type("4821")
        enter(page)
        took = time.monotonic() - started
        assert page.url == server + "/queue/"
        expect(page.locator(".who")).to_contain_text("Théo Martin")
        expect(page.locator(".flash-success")).to_contain_text("Hello Théo Martin")
        # Two seconds for the hand-over, typing included, with room for a slow machine.
        assert took < 4, f"switching user took {took:.2f} s"
    finally:
        context.close()


def test_a_wrong_pin_keeps_the_badge_and_asks_again(server, browser, make_user, sessions):
    theo = badge_for(sessions, make_user, "technician", "theo", "Théo Martin", "4821")
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    try:
        page.goto(server + "/terminal")
        assert focused(page) == "badge"
        page.keyboard.type(theo)
        page.keyboard.press("Enter")
        page.keyboard.type("1111")
        enter(page)
        expect(page.locator("#pin-errors")).to_contain_text("Wrong PIN")
        assert focused(page) == "pin"
        assert page.eval_on_selector("#badge", "el => el.value") == theo
        page.keyboard.type("4821")
        enter(page)
        assert page.url == server + "/queue/"
    finally:
        context.close()


def test_an_idle_terminal_page_locks_itself_without_a_click(
    server, browser, make_user, sessions, monkeypatch
):
    # Three seconds instead of minutes, for the server and for the page's script.
    monkeypatch.setattr(terminal, "idle_seconds", lambda: 3.0)
    theo = badge_for(sessions, make_user, "technician", "theo", "Théo Martin", "4821")
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    try:
        page.goto(server + "/terminal")
        assert focused(page) == "badge"
        page.keyboard.type(theo)
        page.keyboard.press("Enter")
        page.keyboard.type("4821")
        enter(page)
        assert page.url == server + "/queue/"
        # Nobody touches anything: the page goes to the lock screen by itself.
        page.wait_for_url(server + "/terminal", timeout=10_000)
        expect(page.locator(".flash-info")).to_contain_text("The terminal locked itself")
        assert focused(page) == "badge"
        page.goto(server + "/queue/")
        assert "/login" in page.url
    finally:
        context.close()
