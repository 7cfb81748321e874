"""Staff badges: issued by an administrator, scanned with a PIN at a workbench terminal."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from werkzeug.security import check_password_hash

from inventory import badges
from inventory.accounts import User
from inventory.codes import badge_code, has_valid_check, looks_like_location_code
from inventory.errors import InvalidInput
from inventory.models import Event, Scan
from inventory.scanning import resolve_code
from inventory.types import utcnow
from tests.conftest import csrf_token, login
from tests.test_api_openapi import API, DocumentedClient
from tests.test_migrations import empty_engine  # noqa: F401  (the fixture)
from workshop import create_app
from workshop.migrate import downgrade, upgrade

PIN = "4821"


# --- the badge and its PIN, as services --------------------------------------


def user_named(session, username):
    return session.scalar(select(User).where(User.username == username))


def with_badge(sessions, make_user, role="technician", username="theo", name="Théo Martin"):
    """A user with a badge and the PIN 4821; returns the badge code."""
    make_user(role, username, name)
    with sessions() as session:
        user = user_named(session, username)
        code = badges.issue_badge(session, user, by=None)
        badges.set_pin(session, user, PIN, by=None)
        session.commit()
    return code


def test_a_badge_code_has_its_own_prefix_and_a_check_character():
    assert badge_code(1) == "S000016"
    assert has_valid_check(badge_code(1))
    assert not looks_like_location_code(badge_code(1))
    assert badge_code(12) != badge_code(21)


def test_issuing_a_badge_takes_the_next_number_and_is_an_event(session, make_user):
    root = make_user("admin", "root")
    make_user("technician", "theo")
    make_user("technician", "tina")
    theo, tina = user_named(session, "theo"), user_named(session, "tina")
    first = badges.issue_badge(session, theo, by=session.merge(root))
    second = badges.issue_badge(session, tina, by=session.merge(root))
    session.commit()
    assert (first, second) == (badge_code(1), badge_code(2))
    event = session.scalars(select(Event).where(Event.kind == "badge_issued")).first()
    assert event.device_id is None
    assert event.entered_by_id == root.id
    assert event.payload == {"username": "theo", "badge": first}


def test_a_reissued_badge_replaces_the_old_one_which_stops_working(session, sessions, make_user):
    old = with_badge(sessions, make_user)
    theo = user_named(session, "theo")
    new = badges.issue_badge(session, theo, by=None)
    session.commit()
    assert new != old
    assert badges.badge_holder(session, new).username == "theo"
    assert badges.badge_holder(session, old) is None
    assert resolve_code(session, old).kind == "unknown"
    with pytest.raises(badges.WorkshopError, match="not a staff badge in use"):
        badges.badge_login(session, old, PIN)
    assert badges.badge_login(session, new, PIN).username == "theo"
    events = session.scalars(select(Event).where(Event.kind == "badge_issued").order_by(Event.id))
    assert [event.payload.get("replaced") for event in events] == [None, old]


@pytest.mark.real_password_hashing
def test_the_pin_is_kept_hashed_and_its_event_does_not_hold_it(session, make_user):
    make_user("technician", "theo")
    theo = user_named(session, "theo")
    badges.set_pin(session, theo, PIN, by=None)
    session.commit()
    assert theo.pin_hash.startswith("scrypt:") and PIN not in theo.pin_hash
    assert check_password_hash(theo.pin_hash, PIN)
    event = session.scalar(select(Event).where(Event.kind == "pin_set"))
    assert event.payload == {"username": "theo"}


@pytest.mark.parametrize("pin", ["", "123", "123456789", "12a4", " 1234"])
def test_a_pin_is_four_to_eight_digits(session, make_user, pin):
    make_user("technician", "theo")
    theo = user_named(session, "theo")
    with pytest.raises(InvalidInput, match="4 to 8 digits"):
        badges.set_pin(session, theo, pin, by=None)
    assert theo.pin_hash is None


def test_a_deactivated_user_gets_no_new_badge(session, make_user):
    make_user("technician", "theo")
    theo = user_named(session, "theo")
    theo.active = False
    with pytest.raises(InvalidInput, match="deactivated"):
        badges.issue_badge(session, theo, by=None)


# --- the workbench terminal ---------------------------------------------------


def scan_badge(client, code, pin=None, token=None):
    """Post the badge form as the scanner and keyboard fill it."""
    data = {"badge": code, "csrf_token": token or csrf_token(client, "/terminal")}
    if pin is not None:
        data["pin"] = pin
    return client.post("/terminal", data=data)


def input_tag(page, field_id):
    """The HTML of the <input> with this id."""
    match = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', page)
    assert match, field_id
    return match.group(0)


def whoami(client):
    """The username shown in the page header, or None when logged out."""
    response = client.get("/terminal")
    page = response.get_data(as_text=True)
    if "is logged in on this terminal" not in page:
        return None
    return page.split('<span class="who">', 1)[1].split(" · ", 1)[0]


def test_a_badge_and_its_pin_switch_the_user_of_a_terminal(client, sessions, make_user):
    code = with_badge(sessions, make_user)
    make_user("warehouse", "wanda", "Wanda")
    login(client, "wanda")
    assert whoami(client) == "Wanda"

    response = scan_badge(client, code.lower(), PIN)
    assert response.status_code == 302
    # A technician lands on their queue.
    assert response.headers["Location"] == "/queue/"
    assert whoami(client) == "Théo Martin"
    assert client.get("/intake/").status_code == 403
    with client.session_transaction() as cookie:
        assert "terminal_seen" in cookie
    with sessions() as session:
        scan = session.scalars(select(Scan).order_by(Scan.id.desc())).first()
        assert (scan.code, scan.outcome, scan.station) == (code, "badge_login", "terminal")


def test_a_badge_sent_alone_asks_for_the_pin_with_the_focus_there(client, sessions, make_user):
    code = with_badge(sessions, make_user)
    response = scan_badge(client, code)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Badge of Théo Martin: type your PIN." in page
    assert "autofocus" in input_tag(page, "pin") and "autofocus" not in input_tag(page, "badge")
    assert whoami(client) is None


def test_a_wrong_pin_is_refused_and_the_user_stays(client, sessions, make_user):
    code = with_badge(sessions, make_user)
    make_user("warehouse", "wanda", "Wanda")
    login(client, "wanda")
    response = scan_badge(client, code, "3579")
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Wrong PIN. Type it again. Tries left before the badge is locked: 4." in page
    # The PIN is never sent back, the badge is kept for the next try.
    assert "3579" not in page and f'value="{code}"' in page
    assert whoami(client) == "Wanda"
    with sessions() as session:
        assert user_named(session, "theo").pin_failures == 1


def test_five_wrong_pins_lock_the_badge_for_every_app_process(
    db_url, tmp_path, sessions, make_user
):
    code = with_badge(sessions, make_user)
    # Two app processes behind one proxy: the count lives in the database.
    apps = [
        create_app(
            {
                "TESTING": True,
                "DATABASE_URL": db_url,
                "SECRET_KEY": "test-secret",
                "INSTANCE_PATH": str(tmp_path / f"instance-{number}"),
            }
        )
        for number in (1, 2)
    ]
    try:
        clients = [app.test_client() for app in apps]
        for attempt in range(4):
            assert scan_badge(clients[attempt % 2], code, "9999").status_code == 401
        last = scan_badge(clients[0], code, "9999")
        assert "The badge is now locked for 10 min" in last.get_data(as_text=True)
        # Now even the right PIN is refused, on either process.
        refused = scan_badge(clients[1], code, PIN)
        assert refused.status_code == 401
        assert "This badge is locked after too many wrong PINs" in refused.get_data(as_text=True)
        assert whoami(clients[1]) is None
        with sessions() as session:
            theo = user_named(session, "theo")
            assert theo.badge_locked_until > utcnow() + timedelta(minutes=9)
            assert session.scalar(select(Event).where(Event.kind == "badge_locked")) is not None
            # Ten minutes later the badge works again.
            session.execute(
                update(User)
                .where(User.id == theo.id)
                .values(badge_locked_until=utcnow() - timedelta(seconds=1))
            )
            session.commit()
        assert scan_badge(clients[1], code, PIN).status_code == 302
        assert whoami(clients[1]) == "Théo Martin"
    finally:
        for app in apps:
            app.extensions["workshop.engine"].dispose()


def test_a_new_pin_from_the_administrator_unlocks_a_locked_badge(session, sessions, make_user):
    code = with_badge(sessions, make_user)
    for _ in range(badges.MAX_PIN_FAILURES):
        with pytest.raises(badges.WorkshopError):
            badges.badge_login(session, code, "1111")
    session.commit()
    with pytest.raises(badges.BadgeRefused, match="locked"):
        badges.badge_login(session, code, PIN)
    badges.set_pin(session, user_named(session, "theo"), "7777", by=None)
    assert badges.badge_login(session, code, "7777").username == "theo"


def test_the_badge_of_a_deactivated_user_does_not_work(client, sessions, make_user):
    code = with_badge(sessions, make_user)
    with sessions() as session:
        user_named(session, "theo").active = False
        session.commit()
    response = scan_badge(client, code, PIN)
    assert response.status_code == 401
    assert "deactivated account. Ask an administrator." in response.get_data(as_text=True)
    assert whoami(client) is None


def test_a_badge_without_a_pin_sends_its_holder_to_an_administrator(client, sessions, make_user):
    make_user("technician", "theo")
    with sessions() as session:
        code = badges.issue_badge(session, user_named(session, "theo"), by=None)
        session.commit()
    for pin in (None, "1234"):
        response = scan_badge(client, code, pin)
        assert response.status_code == 401
        page = response.get_data(as_text=True)
        assert "No PIN is set for this badge yet. Ask an administrator to set one." in page


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("S000017", "the badge was misread"),
        ("S000024", "not a staff badge in use"),
        ("A00000420", "not a staff badge in use"),
    ],
)
def test_a_code_that_is_no_badge_of_ours_is_refused(client, sessions, make_user, code, message):
    with_badge(sessions, make_user)
    response = scan_badge(client, code, PIN)
    assert response.status_code == 401
    assert message in response.get_data(as_text=True)


def test_the_badge_form_needs_its_csrf_token(client, sessions, make_user):
    code = with_badge(sessions, make_user)
    response = client.post("/terminal", data={"badge": code, "pin": PIN})
    assert response.status_code == 400
    assert whoami(client) is None


# --- the idle lock --------------------------------------------------------------


def idle_for(client, seconds):
    """Pretend the last request of this terminal came `seconds` ago."""
    with client.session_transaction() as cookie:
        cookie["terminal_seen"] = int(time.time() - seconds)


def test_an_idle_terminal_session_locks_itself_at_the_next_request(client, sessions, make_user):
    code = with_badge(sessions, make_user)
    scan_badge(client, code, PIN)
    idle_for(client, 4 * 60)
    assert client.get("/queue/").status_code == 200
    with client.session_transaction() as cookie:
        assert cookie["terminal_seen"] >= int(time.time()) - 5

    idle_for(client, 5 * 60 + 1)
    response = client.get("/queue/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/terminal"
    page = client.get("/terminal").get_data(as_text=True)
    assert "The terminal locked itself after 5 minutes without use." in page
    assert whoami(client) is None
    assert client.get("/queue/").headers["Location"].startswith("/login")


def test_the_idle_limit_comes_from_the_configuration(app, client, sessions, make_user):
    app.config["TERMINAL_IDLE_MINUTES"] = 1
    code = with_badge(sessions, make_user)
    scan_badge(client, code, PIN)
    idle_for(client, 61)
    assert client.get("/queue/").headers["Location"] == "/terminal"


def test_a_badge_scanned_on_a_locked_terminal_logs_in_at_once(client, sessions, make_user):
    code = with_badge(sessions, make_user)
    make_user("technician", "tina", "Tina")
    with sessions() as session:
        tina = user_named(session, "tina")
        other = badges.issue_badge(session, tina, by=None)
        badges.set_pin(session, tina, "5555", by=None)
        session.commit()
    scan_badge(client, code, PIN)
    # Théo opened the badge page to hand over, then left: it stayed on screen.
    token = csrf_token(client, "/terminal")
    idle_for(client, 10 * 60)
    response = scan_badge(client, other, "5555", token)
    assert response.status_code == 302
    assert whoami(client) == "Tina"


def test_a_password_login_does_not_lock_when_idle(client, make_user):
    make_user("technician", "theo")
    login(client, "theo")
    with client.session_transaction() as cookie:
        assert "terminal_seen" not in cookie
    assert client.get("/queue/").status_code == 200


def test_the_lock_form_and_the_alive_call_of_the_script(client, sessions, make_user):
    code = with_badge(sessions, make_user)
    scan_badge(client, code, PIN)
    page = client.get("/queue/").get_data(as_text=True)
    assert 'data-idle-seconds="300"' in page and 'data-lock-url="/terminal/lock"' in page
    assert client.get("/static/terminal.js").status_code == 200
    idle_for(client, 60)
    assert client.get("/terminal/alive").status_code == 204
    with client.session_transaction() as cookie:
        assert cookie["terminal_seen"] >= int(time.time()) - 5
    assert client.post("/terminal/lock").status_code == 400  # no CSRF token
    response = client.post("/terminal/lock", data={"csrf_token": csrf_token(client, "/queue/")})
    assert response.headers["Location"] == "/terminal"
    assert whoami(client) is None


def test_logging_out_of_a_terminal_leads_back_to_the_badge_page(client, sessions, make_user):
    code = with_badge(sessions, make_user)
    scan_badge(client, code, PIN)
    token = csrf_token(client, "/queue/")
    assert client.post("/logout", data={"csrf_token": token}).headers["Location"] == "/terminal"


def test_the_login_page_leads_to_the_badge_page(client, make_user):
    make_user("admin", "root")
    assert 'href="/terminal"' in client.get("/login").get_data(as_text=True)


# --- the administrator's side -----------------------------------------------------


def test_the_admin_issues_and_reissues_a_badge_and_sets_a_pin(
    client, logged_in, make_user, sessions
):
    logged_in("admin", "root")
    make_user("technician", "theo", "Théo Martin")
    token = csrf_token(client, "/users/")
    response = client.post("/users/theo/badge", data={"csrf_token": token})
    assert response.status_code == 302
    page = client.get("/users/").get_data(as_text=True)
    assert f"Badge {badge_code(1)} issued for theo: print it." in page
    response = client.post("/users/theo/badge", data={"csrf_token": token})
    page = client.get("/users/").get_data(as_text=True)
    assert (
        f"New badge {badge_code(2)} for theo: print it. Badge {badge_code(1)} no longer works."
        in page
    )

    response = client.post(
        "/users/theo/pin", data={"csrf_token": token, "pin": "90210", "confirm": "90210"}
    )
    page = client.get("/users/").get_data(as_text=True)
    assert "The PIN of theo is set." in page
    assert "90210" not in page
    with sessions() as session:
        theo = user_named(session, "theo")
        assert theo.badge_code == badge_code(2)
        assert check_password_hash(theo.pin_hash, "90210")
        kinds = session.scalars(select(Event.kind).where(Event.device_id.is_(None)))
        assert sorted(kinds) == ["badge_issued", "badge_issued", "pin_set"]

    other = client.application.test_client()
    assert scan_badge(other, badge_code(2), "90210").status_code == 302


def test_a_pin_the_admin_mistyped_is_refused_and_nothing_changes(
    client, logged_in, make_user, sessions
):
    logged_in("admin", "root")
    make_user("technician", "theo")
    token = csrf_token(client, "/users/")
    for data in ({"pin": "1234", "confirm": "1243"}, {"pin": "12", "confirm": "12"}):
        client.post("/users/theo/pin", data={"csrf_token": token, **data})
        page = client.get("/users/").get_data(as_text=True)
        assert "The PIN of theo was not changed." in page
    with sessions() as session:
        assert user_named(session, "theo").pin_hash is None


def test_only_an_administrator_issues_badges_and_pins(client, logged_in, make_user, sessions):
    make_user("technician", "theo")
    logged_in("manager", "marie")
    token = csrf_token(client, "/queue/")
    assert client.post("/users/theo/badge", data={"csrf_token": token}).status_code == 403
    data = {"csrf_token": token, "pin": "1234", "confirm": "1234"}
    assert client.post("/users/theo/pin", data=data).status_code == 403
    anonymous = client.application.test_client()
    response = anonymous.post("/users/theo/badge", data={"csrf_token": token})
    assert response.status_code in (302, 400)
    with sessions() as session:
        theo = user_named(session, "theo")
        assert theo.badge_code is None and theo.pin_hash is None


def test_the_badge_and_pin_forms_need_their_csrf_token(client, logged_in, make_user, sessions):
    logged_in("admin", "root")
    make_user("technician", "theo")
    assert client.post("/users/theo/badge").status_code == 400
    assert (
        client.post("/users/theo/pin", data={"pin": "1234", "confirm": "1234"}).status_code == 400
    )
    assert (
        client.post(
            "/users/nobody/badge", data={"csrf_token": csrf_token(client, "/users/")}
        ).status_code
        == 404
    )
    with sessions() as session:
        assert user_named(session, "theo").badge_code is None


# --- scan resolution -------------------------------------------------------------


def test_the_scans_api_tells_a_staff_badge_and_never_its_pin(
    app, client, bearer, sessions, make_user
):
    code = with_badge(sessions, make_user)
    headers = bearer("warehouse", "wanda")
    document = client.get(f"{API}/openapi.json").get_json()
    call = DocumentedClient(app, client, document)
    answer = call("POST", f"{API}/scans", headers, json={"code": f" {code.lower()}\n"})
    assert answer.get_json() == {
        "kind": "staff",
        "code": code,
        "staff": {"username": "theo", "name": "Théo Martin", "active": True},
        "message": f"{code} is a staff badge, not a device.",
    }
    assert "pin" not in answer.get_data(as_text=True).lower()
    misread = call("POST", f"{API}/scans", headers, json={"code": code[:-1] + "0"}).get_json()
    assert misread["kind"] == "invalid" and "the badge was misread" in misread["message"]
    unknown = call("POST", f"{API}/scans", headers, json={"code": badge_code(40)}).get_json()
    assert unknown == {
        "kind": "unknown",
        "code": badge_code(40),
        "message": f"No staff badge has the code {badge_code(40)}.",
    }
    with sessions() as session:
        outcomes = session.scalars(select(Scan.outcome).order_by(Scan.id))
        assert list(outcomes) == ["staff", "invalid", "unknown"]
    schema = document["components"]["schemas"]["ScanResult"]["properties"]["kind"]["enum"]
    assert "staff" in schema


def test_scan_resolution_finds_the_badge_holder_and_a_serial_shaped_like_a_badge(
    session, sessions, make_user
):
    from inventory.intake import receive_device

    code = with_badge(sessions, make_user)
    found = resolve_code(session, code)
    assert found.kind == "staff" and found.user.username == "theo" and found.device is None
    # A manufacturer serial that happens to look like a badge still finds its device.
    device = receive_device(
        session, serial_number="S12345X", category="phone", make="F", model="3", entered_by=None
    ).device
    assert resolve_code(session, "S12345X").device == device


def test_a_badge_scanned_where_a_device_is_expected_is_named(
    client, logged_in, sessions, make_user
):
    code = with_badge(sessions, make_user)
    logged_in("technician", "tina")
    token = csrf_token(client, "/queue/")
    client.post("/queue/scan", data={"csrf_token": token, "code": code})
    page = client.get("/queue/").get_data(as_text=True)
    assert f"{code} is a staff badge, not a device." in page


# --- the migration -----------------------------------------------------------------


def test_badges_survive_no_downgrade_but_users_and_their_events_do(empty_engine):  # noqa: F811
    from inventory.db import make_sessionmaker
    from workshop import accounts

    upgrade(empty_engine)
    with make_sessionmaker(empty_engine)() as session:
        theo = accounts.create_user(session, "theo", "technician", "long enough")
        badges.issue_badge(session, theo, by=theo)
        badges.set_pin(session, theo, PIN, by=theo)
        session.commit()
    downgrade(empty_engine, "0004")
    with empty_engine.connect() as connection:
        columns = connection.execute(text("SELECT * FROM users")).keys()
        assert "badge_code" not in columns
        assert connection.execute(text("SELECT count(*) FROM events")).scalar_one() == 2
    upgrade(empty_engine)
    with make_sessionmaker(empty_engine)() as session:
        theo = user_named(session, "theo")
        assert theo.badge_code is None and theo.pin_failures == 0
        assert badges.issue_badge(session, theo, by=None) == badge_code(1)


# --- the command line ----------------------------------------------------------------


def test_the_command_line_issues_a_badge_and_prints_its_code(app, make_user, sessions):
    from workshop.cli import cli

    make_user("admin", "root")
    make_user("technician", "theo")
    runner = app.test_cli_runner()
    first = runner.invoke(cli, ["users", "badge", "theo", "--as", "root"])
    assert (first.exit_code, first.stdout) == (0, badge_code(1) + "\n")
    again = runner.invoke(cli, ["users", "badge", "THEO"])
    assert again.stdout.strip() == badge_code(2)
    nobody = runner.invoke(cli, ["users", "badge", "nobody"])
    assert nobody.exit_code == 1 and "No user is called 'nobody'" in nobody.output
    with sessions() as session:
        assert user_named(session, "theo").badge_code == badge_code(2)
        issued = session.scalars(
            select(Event).where(Event.kind == "badge_issued").order_by(Event.id)
        )
        assert [event.entered_by_id for event in issued] == [1, None]
