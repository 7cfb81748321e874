"""Keyboard-only moves in a real browser: what a scanner and a keyboard can do, nothing more."""

from __future__ import annotations

from playwright.sync_api import TimeoutError as PlaywrightTimeout


def focused(page) -> str:
    """The id (or tag) of the element holding the keyboard focus, once the page settled on one."""
    settled = "() => document.activeElement && document.activeElement !== document.body"
    try:
        page.wait_for_function(settled, timeout=2000)
    except PlaywrightTimeout:
        return "BODY"
    return page.evaluate("() => document.activeElement.id || document.activeElement.tagName")


def tab_to(page, selector: str, backwards: bool = False, limit: int = 40) -> None:
    """Press Tab (or Shift+Tab) until the element matching `selector` has the focus."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{selector} cannot be reached with {key}")


def enter(page) -> None:
    """Press Enter and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")
