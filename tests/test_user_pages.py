"""The administrator's side: adding people, letting them go, tokens for scripts."""

from __future__ import annotations

import re

from sqlalchemy import select

from inventory.accounts import ApiToken, User
from tests.conftest import PASSWORD, csrf_token, login
from workshop import accounts


def add_user(client, **fields):
    data = {
        "username": "karim",
        "name": "Karim Haddad",
        "role": "technician",
        "password": PASSWORD,
        "confirm": PASSWORD,
        **fields,
    }
    data["csrf_token"] = csrf_token(client, "/users/")
    return client.post("/users/", data=data)


def set_active(client, username, active):
    token = csrf_token(client, "/users/")
    return client.post(
        f"/users/{username}/active", data={"csrf_token": token, "active": "1" if active else "0"}
    )


def user_named(sessions, username):
    with sessions() as session:
        return session.scalar(select(User).where(User.username == username))


def test_the_admin_adds_a_technician_who_can_then_log_in(client, app, logged_in, sessions):
    logged_in("admin", "root")
    response = add_user(client)
    assert response.status_code == 302
    page = client.get("/users/").get_data(as_text=True)
    assert "karim is added and can log in now." in page
    assert "Karim Haddad" in page and "Technician" in page
    assert user_named(sessions, "karim").role == "technician"

    newcomer = app.test_client()
    login(newcomer, "karim")
    assert newcomer.get("/devices/").status_code == 200


def test_adding_a_user_refuses_bad_input_and_creates_nobody(client, logged_in, sessions):
    logged_in("admin", "root")
    response = add_user(client, confirm="something else")
    assert response.status_code == 400
    assert "The passwords differ." in response.get_data(as_text=True)
    response = add_user(client, username="root")
    assert response.status_code == 400
    assert "The username root is taken." in response.get_data(as_text=True)
    response = add_user(client, username="karim haddad")
    assert response.status_code == 400
    assert "lower-case letters" in response.get_data(as_text=True)
    response = add_user(client, role="superuser")
    assert response.status_code == 400
    assert user_named(sessions, "karim") is None


def test_a_deactivated_user_cannot_log_in_and_is_logged_out(client, app, logged_in, make_user):
    make_user("technician", "karim")
    karim = app.test_client()
    login(karim, "karim")
    assert karim.get("/devices/").status_code == 200

    logged_in("admin", "root")
    response = set_active(client, "karim", False)
    assert response.status_code == 302
    assert "karim is deactivated" in client.get("/users/").get_data(as_text=True)

    assert karim.get("/devices/").status_code == 302  # back to the login page
    token = csrf_token(karim, "/login")
    refused = karim.post(
        "/login", data={"username": "karim", "password": PASSWORD, "csrf_token": token}
    )
    assert refused.status_code == 401

    set_active(client, "karim", True)
    login(app.test_client(), "karim")


def test_an_admin_cannot_deactivate_themselves(client, logged_in, sessions):
    logged_in("admin", "root")
    response = set_active(client, "root", False)
    assert response.status_code == 302
    assert "You cannot deactivate your own account" in client.get("/users/").get_data(as_text=True)
    assert user_named(sessions, "root").active


def test_deactivating_is_recorded_in_the_event_log(client, logged_in, make_user, sessions):
    from inventory.models import Event

    make_user("warehouse", "paul")
    logged_in("admin", "root")
    set_active(client, "paul", False)
    set_active(client, "paul", False)  # a second click changes nothing
    with sessions() as session:
        kinds = session.scalars(select(Event.kind).where(Event.kind.like("user_%"))).all()
    assert kinds == ["user_deactivated"]


def test_an_api_token_is_shown_once_and_works(client, logged_in, make_user, sessions):
    make_user("technician", "bench3")
    logged_in("admin", "root")
    token = csrf_token(client, "/users/")
    response = client.post(
        "/users/bench3/tokens", data={"csrf_token": token, "label": "Bench 3 agent"}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "Copy it now: it will not be shown again." in page
    issued = re.search(r'value="(wst_[^"]+)"', page).group(1)

    with sessions() as session:
        assert accounts.user_for_token(session, issued).username == "bench3"
        stored = session.scalars(select(ApiToken.token_hash)).all()
    assert issued not in stored
    assert issued not in client.get("/users/").get_data(as_text=True)


def test_user_administration_is_for_administrators_only(client, logged_in, make_user):
    make_user("technician", "karim")
    logged_in("technician", "yasmine")
    assert client.get("/users/").status_code == 403
    token = csrf_token(client, "/devices/")
    assert client.post("/users/", data={"csrf_token": token}).status_code == 403
    assert (
        client.post("/users/karim/active", data={"csrf_token": token, "active": "0"}).status_code
        == 403
    )
    assert client.post("/users/karim/tokens", data={"csrf_token": token}).status_code == 403


def test_forms_without_their_csrf_token_are_refused(client, logged_in, make_user, sessions):
    make_user("technician", "karim")
    logged_in("admin", "root")
    response = client.post(
        "/users/",
        data={
            "username": "eve",
            "role": "admin",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert response.status_code == 400
    assert user_named(sessions, "eve") is None
    assert client.post("/users/karim/active", data={"active": "0"}).status_code == 400
    assert user_named(sessions, "karim").active


def test_an_unknown_user_is_a_404(client, logged_in):
    logged_in("admin", "root")
    token = csrf_token(client, "/users/")
    response = client.post("/users/nobody/active", data={"csrf_token": token, "active": "0"})
    assert response.status_code == 404
