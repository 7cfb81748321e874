"""A real browser against the real server: waitress on a loopback port, Debian's Chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from waitress.server import create_server

from workshop import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[str]:
    """The application served by waitress on a free loopback port; yields its base address."""
    app = create_app(
        {
            "DATABASE_URL": db_url,
            "SECRET_KEY": "e2e-secret",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "WORKSHOP_NAME": "Atelier E2E",
        }
    )
    # Port 0: the system picks a free port, so parallel runs never collide.
    wsgi = create_server(app, host="127.0.0.1", port=0, threads=4)
    stopping = threading.Event()

    def serve() -> None:
        # waitress's own run() loops until its sockets close: closing them from here
        # while it waits on them fails in its thread. This loop stops first.
        while not stopping.is_set():
            wsgi.asyncore.loop(timeout=0.05, map=wsgi._map, count=1)

    thread = threading.Thread(target=serve, name="waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{wsgi.effective_port}"
    finally:
        stopping.set()
        thread.join(timeout=5)
        wsgi.close()
        wsgi.task_dispatcher.shutdown()
        app.extensions["workshop.engine"].dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium; a missing browser fails the run (CI installs it), never skips."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium package "
            "(apt-get install chromium). They are never skipped.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
