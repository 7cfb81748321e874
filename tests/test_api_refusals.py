"""What the API refuses, and how: no token, wrong role, malformed input, never a 500."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from inventory.accounts import ROLES, ApiToken, User
from inventory.models import Device, Lot, Scan
from inventory.types import utcnow
from workshop.api.validation import MAX_BODY
from workshop.roles import PERMISSIONS

API = "/api/v1"
LAPTOP = {"serial_number": "PF1ABC42", "category": "laptop", "make": "Lenovo", "model": "T480"}

# One request per endpoint, with the permission it needs. {tag} is a real device.
ENDPOINTS = [
    ("POST", "/devices", LAPTOP | {"serial_number": "PF1NEW01"}, "intake"),
    ("GET", "/devices", None, "view_devices"),
    ("GET", "/devices/{tag}", None, "view_devices"),
    ("POST", "/devices/{tag}/transitions", {"to": "triage"}, "move"),
    ("POST", "/devices/{tag}/grade", {"grade": "B"}, "grade"),
    ("POST", "/scans", {"code": "{tag}"}, "scan"),
    ("GET", "/lots", None, "manage_lots"),
    ("POST", "/lots", {"code": "L-NEW"}, "manage_lots"),
]


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    return body["error"]


@pytest.fixture
def warehouse(bearer):
    return bearer("warehouse", "wanda")


@pytest.fixture
def tag(client, warehouse):
    response = client.post(f"{API}/devices", json=LAPTOP, headers=warehouse)
    assert response.status_code == 201
    return response.get_json()["asset_tag"]


def call(client, method, path, body, tag, headers):
    path = API + path.format(tag=tag)
    if body is not None:
        body = json.loads(json.dumps(body).replace("{tag}", tag))
    return client.open(path, method=method, json=body, headers=headers)


def test_every_endpoint_refuses_a_request_without_a_token(client, tag, session):
    scans_before = session.scalar(select(func.count()).select_from(Scan))
    for method, path, body, _permission in ENDPOINTS:
        response = call(client, method, path, body, tag, {})
        assert response.status_code == 401, (method, path)
        assert error_of(response)["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # Nothing happened: the device is still where it was and no scan was logged.
    assert session.scalar(select(Device.stage)) == "received"
    assert session.scalar(select(func.count()).select_from(Scan)) == scans_before


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer wst_not-a-real-token",
        "Bearer ",
        "Basic d2FuZGE6c2VjcmV0",
        "wst_abc",
        "Bearer " + "x" * 5000,
    ],
)
def test_a_bad_token_is_refused(client, tag, authorization):
    response = client.get(f"{API}/devices/{tag}", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="workshop"')


def test_a_revoked_token_and_a_departed_user_are_refused(client, tag, bearer, sessions):
    revoked = bearer("technician", "rita")
    departed = bearer("technician", "dan")
    with sessions() as session:
        session.execute(
            update(ApiToken)
            .where(
                ApiToken.user_id == select(User.id).where(User.username == "rita").scalar_subquery()
            )
            .values(revoked_at=utcnow())
        )
        session.execute(update(User).where(User.username == "dan").values(active=False))
        session.commit()
    for headers in (revoked, departed):
        response = client.get(f"{API}/devices/{tag}", headers=headers)
        assert response.status_code == 401
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_the_endpoints_its_permissions_allow(client, tag, bearer, role):
    headers = bearer(role, f"{role}-api")
    for method, path, body, permission in ENDPOINTS:
        response = call(client, method, path, body, tag, headers)
        if role in PERMISSIONS[permission]:
            assert response.status_code in (200, 201), (role, method, path, response.get_json())
        else:
            assert response.status_code == 403, (role, method, path)
            error = error_of(response)
            assert (error["code"], error["permission"]) == ("forbidden", permission)


def test_a_refused_role_changes_nothing(client, tag, bearer, session):
    hr = bearer("hr", "helene")
    response = client.post(f"{API}/devices/{tag}/transitions", json={"to": "triage"}, headers=hr)
    assert response.status_code == 403
    assert client.post(f"{API}/lots", json={"code": "L-1"}, headers=hr).status_code == 403
    assert session.scalar(select(Device.stage)) == "received"
    assert session.scalar(select(func.count()).select_from(Lot)) == 0


MALFORMED = [
    pytest.param("{", id="broken JSON"),
    pytest.param("", id="empty body"),
    pytest.param("[]", id="a list"),
    pytest.param("null", id="null"),
    pytest.param('"PF1ABC42"', id="a string"),
    pytest.param("\xff\xfe", id="not UTF-8"),
    pytest.param('{"serial_number": NaN}', id="NaN"),
    pytest.param('{"weight_kg": 1' + "0" * 5000 + "}", id="a number with 5000 digits"),
]


@pytest.mark.parametrize("raw", MALFORMED)
def test_a_body_that_is_not_a_json_object_is_refused(client, warehouse, raw, session):
    data = raw.encode("latin-1") if raw == "\xff\xfe" else raw
    response = client.post(
        f"{API}/devices", data=data, content_type="application/json", headers=warehouse
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"
    assert session.scalar(select(func.count()).select_from(Device)) == 0


def test_deep_nesting_within_the_size_limit_is_refused_not_crashed(client, warehouse):
    depth = MAX_BODY // 2 - 1
    raw = "[" * depth + "]" * depth
    response = client.post(
        f"{API}/devices", data=raw, content_type="application/json", headers=warehouse
    )
    assert response.status_code == 400


WRONG_FIELDS = [
    pytest.param({"serial_number": 123}, "serial_number", id="serial as a number"),
    pytest.param({"serial_number": None}, "serial_number", id="serial null"),
    pytest.param({"serial_number": ["PF1"]}, "serial_number", id="serial as a list"),
    pytest.param({"serial_number": "   "}, "serial_number", id="blank serial"),
    pytest.param({"serial_number": "X" * 10_000}, "serial_number", id="huge serial"),
    pytest.param({"serial_number": "PF1\x00ABC"}, "serial_number", id="NUL in serial"),
    pytest.param({"category": "toaster"}, "category", id="unknown category"),
    pytest.param({"category": ["laptop"]}, "category", id="category as a list"),
    pytest.param({"make": ""}, "make", id="empty make"),
    pytest.param({"make": {"name": "Lenovo"}}, "make", id="make as an object"),
    pytest.param({"model": "T" * 201}, "model", id="model too long"),
    pytest.param({"weight_kg": [1.5]}, "weight_kg", id="weight as a list"),
    pytest.param({"weight_kg": "heavy"}, "weight_kg", id="weight as words"),
    pytest.param({"weight_kg": True}, "weight_kg", id="weight true"),
    pytest.param({"weight_kg": -1}, "weight_kg", id="negative weight"),
    pytest.param({"weight_kg": 1e308}, "weight_kg", id="huge weight"),
    pytest.param({"lot": 5}, "lot", id="lot as a number"),
    pytest.param({"lot": "L" * 65}, "lot", id="lot code too long"),
    pytest.param({"colour": "black"}, "colour", id="unknown field"),
]


@pytest.mark.parametrize("change, field", WRONG_FIELDS)
def test_a_wrong_member_of_an_intake_is_refused_naming_the_field(
    client, warehouse, change, field, session
):
    response = client.post(f"{API}/devices", json=LAPTOP | change, headers=warehouse)
    assert response.status_code == 400, response.get_json()
    error = error_of(response)
    assert (error["code"], error["field"]) == ("invalid", field)
    assert session.scalar(select(func.count()).select_from(Device)) == 0


@pytest.mark.parametrize("missing", ["serial_number", "category", "make", "model"])
def test_a_missing_member_is_named(client, warehouse, missing):
    body = {key: value for key, value in LAPTOP.items() if key != missing}
    response = client.post(f"{API}/devices", json=body, headers=warehouse)
    assert response.status_code == 400
    assert error_of(response)["field"] == missing


def test_a_number_too_large_for_a_float_is_refused_as_a_weight(client, warehouse):
    raw = json.dumps(LAPTOP)[:-1] + ', "weight_kg": 1e400}'
    response = client.post(
        f"{API}/devices", data=raw, content_type="application/json", headers=warehouse
    )
    assert response.status_code == 400
    assert error_of(response)["field"] == "weight_kg"


def test_a_lone_surrogate_is_refused_naming_the_field(client, warehouse):
    raw = json.dumps(LAPTOP)[:-1] + ', "make": "Len\\ud800ovo"}'
    response = client.post(
        f"{API}/devices", data=raw, content_type="application/json", headers=warehouse
    )
    assert response.status_code == 400
    assert error_of(response)["field"] == "make"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"to": "nowhere"}, "to"),
        ({"to": 3}, "to"),
        ({}, "to"),
        ({"to": "triage", "from": 3}, "from"),
        ({"to": "triage", "from": "attic"}, "from"),
        ({"to": "triage", "note": "n" * 2001}, "note"),
        ({"to": "triage", "note": ["a"]}, "note"),
        ({"to": "triage", "by": "theo"}, "by"),
    ],
)
def test_a_wrong_transition_is_refused_naming_the_field(client, warehouse, tag, body, field):
    response = client.post(f"{API}/devices/{tag}/transitions", json=body, headers=warehouse)
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["field"]) == ("invalid", field)


@pytest.mark.parametrize(
    "body, field",
    [({"grade": "D"}, "grade"), ({"grade": 1}, "grade"), ({"grade": "a"}, "grade"), ({}, "grade")],
)
def test_a_wrong_grade_is_refused_naming_the_field(client, bearer, tag, body, field):
    response = client.post(f"{API}/devices/{tag}/grade", json=body, headers=bearer("technician"))
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["field"]) == ("invalid", field)


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "code"),
        ({"code": 42}, "code"),
        ({"code": "A1", "station": "s" * 65}, "station"),
        ({"code": "A1", "station": 7}, "station"),
        ({"code": "A1", "where": "bench"}, "where"),
    ],
)
def test_a_malformed_scan_is_refused_naming_the_field(client, warehouse, body, field):
    response = client.post(f"{API}/scans", json=body, headers=warehouse)
    assert response.status_code == 400
    assert error_of(response)["field"] == field


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "code"),
        ({"code": ""}, "code"),
        ({"code": 2024}, "code"),
        ({"code": "L1", "received_on": "11/03/2024"}, "received_on"),
        ({"code": "L1", "received_on": "2024-02-30"}, "received_on"),
        ({"code": "L1", "received_on": 20240311}, "received_on"),
        ({"code": "L1", "donor": "D" * 201}, "donor"),
        ({"code": "L1", "reference": "R" * 201}, "reference"),
        ({"code": "L1", "donor": "Banque\x00Martin"}, "donor"),
    ],
)
def test_a_malformed_lot_is_refused_naming_the_field(client, warehouse, body, field, session):
    response = client.post(f"{API}/lots", json=body, headers=warehouse)
    assert response.status_code == 400
    assert error_of(response)["field"] == field
    assert session.scalar(select(func.count()).select_from(Lot)) == 0


@pytest.mark.parametrize(
    "query, field",
    [
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=99999999999999999999", "page"),
        ("per_page=1000", "per_page"),
        ("per_page=1.5", "per_page"),
        ("category=toaster", "category"),
        ("q=%00", "q"),
        ("q=" + "x" * 201, "q"),
        ("stgae=triage", "stgae"),
    ],
)
def test_a_wrong_query_parameter_is_refused_naming_it(client, warehouse, query, field):
    response = client.get(f"{API}/devices?{query}", headers=warehouse)
    assert response.status_code == 400
    assert error_of(response)["field"] == field


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", None],
)
def test_a_body_that_is_not_declared_as_json_gets_415(client, warehouse, content_type):
    headers = dict(warehouse)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post(f"{API}/devices", data=json.dumps(LAPTOP), headers=headers)
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_json_with_a_charset_or_a_json_suffix_is_accepted(client, warehouse):
    for number, content_type in enumerate(
        ["application/json; charset=utf-8", "application/merge-patch+json"]
    ):
        body = LAPTOP | {"serial_number": f"PF1CT{number}"}
        response = client.post(
            f"{API}/devices", data=json.dumps(body), content_type=content_type, headers=warehouse
        )
        assert response.status_code == 201


def test_a_huge_body_gets_413_as_json(client, warehouse, session):
    body = LAPTOP | {"model": "T" * (MAX_BODY + 1)}
    response = client.post(f"{API}/devices", json=body, headers=warehouse)
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"
    assert session.scalar(select(func.count()).select_from(Device)) == 0


def test_a_huge_body_sent_without_a_length_is_cut_off_too(client, warehouse):
    stream = io.BytesIO(b'{"model": "' + b"T" * (4 * MAX_BODY) + b'"}')
    response = client.post(
        f"{API}/devices",
        input_stream=stream,
        content_type="application/json",
        headers=warehouse,
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413


def test_unknown_addresses_and_methods_under_the_api_answer_json(client, warehouse, tag):
    for path in (f"{API}/nothing", "/api/v2/devices", f"{API}/devices/{tag}/paint", f"{API}/lots/"):
        response = client.get(path, headers=warehouse)
        assert response.status_code == 404, path
        assert response.mimetype == "application/json"
        assert error_of(response)["code"] == "not_found"

    response = client.delete(f"{API}/devices/{tag}", headers=warehouse)
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_pages_outside_the_api_still_answer_html(client, bearer):
    bearer("admin", "root")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_a_database_too_busy_to_commit_gets_503_and_saves_nothing(
    client, warehouse, session, monkeypatch
):
    def locked(_self):
        raise OperationalError("COMMIT", {}, Exception("database is locked"))

    monkeypatch.setattr(Session, "commit", locked)
    response = client.post(f"{API}/lots", json={"code": "L-BUSY"}, headers=warehouse)
    monkeypatch.undo()
    assert response.status_code == 503
    assert error_of(response)["code"] == "busy"
    assert int(response.headers["Retry-After"]) > 0
    assert session.scalar(select(func.count()).select_from(Lot)) == 0


def test_a_clash_at_commit_gets_409_conflict(client, warehouse, tag, monkeypatch):
    def clash(_self):
        raise IntegrityError("COMMIT", {}, Exception("duplicate key"))

    monkeypatch.setattr(Session, "commit", clash)
    response = client.post(
        f"{API}/devices/{tag}/transitions", json={"to": "triage"}, headers=warehouse
    )
    monkeypatch.undo()
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"
    device = client.get(f"{API}/devices/{tag}", headers=warehouse).get_json()
    assert device["stage"] == "received"


def test_a_value_the_database_refuses_gets_400_not_500(client, warehouse, monkeypatch):
    def refused(_self):
        raise DataError("INSERT", {}, Exception("value too long for type character varying"))

    monkeypatch.setattr(Session, "commit", refused)
    response = client.post(f"{API}/lots", json={"code": "L-1"}, headers=warehouse)
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"


def test_an_application_wide_size_limit_answers_json_too(app, client, warehouse):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    body = LAPTOP | {"model": "T" * 2000}
    response = client.post(f"{API}/devices", json=body, headers=warehouse)
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


def test_a_database_that_does_not_answer_a_read_gets_503(client, warehouse, monkeypatch):
    def unreachable(*_args, **_kwargs):
        raise OperationalError("SELECT", {}, Exception("could not connect"))

    monkeypatch.setattr("workshop.api.auth.user_for_token", unreachable)
    response = client.get(f"{API}/devices", headers=warehouse)
    assert response.status_code == 503
    assert error_of(response)["code"] == "busy"
