"""The OpenAPI document says what the API does: every route, every body, every answer."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from sqlalchemy.exc import OperationalError

from tests import destruction_helpers, repair_helpers
from tests.conftest import check_codes, passing_result, result_json

API = "/api/v1"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
LAPTOP = {"serial_number": "PF1ABC42", "category": "laptop", "make": "Lenovo", "model": "T480"}
EVERY_CHECK_PASSED = {"results": dict.fromkeys(check_codes("laptop"), "pass")}
A_RUN = {"script": "battery", "outcome": "pass", "started_at": "2026-03-04T09:00:00+00:00"}
A_DRIVE = {
    "drive_model": "Samsung PM981",
    "drive_serial": "S4DYNX0M123456",
    "capacity_bytes": 256_060_514_304,
    "drive_type": "NVME",
    "method": "CRYPTO",
    "tool": "ShredOS nwipe 0.34",
    "log": "nwipe: Samsung PM981 S4DYNX0M123456: crypto erase, verified",
}


@pytest.fixture
def document(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def api_routes(app):
    """(documented path, method) for every rule of the api blueprint."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        assert path.startswith(API), rule.rule
        for method in rule.methods & METHODS:
            routes.add((path.removeprefix(API), method.lower()))
    return routes


def test_the_document_is_served_without_a_token_and_is_valid_openapi(document):
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": API}]
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    assert document["security"] == [{"bearerAuth": []}]


def test_every_route_is_documented_and_every_documented_path_exists(app, document):
    documented = {
        (path, method)
        for path, operations in document["paths"].items()
        for method in operations
        if method.upper() in METHODS
    }
    assert api_routes(app) == documented


def test_each_operation_names_the_permission_its_endpoint_checks(app, document):
    views = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule).removeprefix(API)
            for method in rule.methods & METHODS:
                views[(path, method.lower())] = app.view_functions[rule.endpoint]
    for (path, method), view in views.items():
        operation = document["paths"][path][method]
        # The decorator marks the view; an endpoint without a mark would be closed.
        assert hasattr(view, "api_permission"), (path, method)
        assert operation["x-permission"] == view.api_permission, (path, method)
        if view.api_permission is None:
            assert operation["security"] == []
        else:
            assert "security" not in operation, "inherits the bearer requirement"
            assert {"401", "403"} <= set(operation["responses"]), (path, method)


def test_every_error_response_is_documented_with_the_error_schema(document):
    responses = document["components"]["responses"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if not status.startswith(("4", "5")):
                    continue
                if "$ref" in response:
                    response = responses[response["$ref"].rsplit("/", 1)[1]]
                schema = response["content"]["application/json"]["schema"]
                references = [item["$ref"] for item in schema.get("anyOf", [schema])]
                assert "#/components/schemas/Error" in references, (path, method, status)


def test_request_bodies_name_their_required_fields_and_refuse_others(client, document, bearer):
    headers = bearer("admin", "root")
    tag = client.post(f"{API}/devices", json=LAPTOP, headers=headers).get_json()["asset_tag"]
    shelf = client.post(
        f"{API}/locations", json={"name": "Shelf A3", "kind": "shelf"}, headers=headers
    ).get_json()["code"]
    examples = {
        ("/devices", "post"): LAPTOP | {"serial_number": "PF1OTHER"},
        ("/devices/{asset_tag}/transitions", "post"): {"to": "triage"},
        ("/devices/{asset_tag}/grade", "post"): {"grade": "A"},
        ("/scans", "post"): {"code": tag},
        ("/lots", "post"): {"code": "L-1"},
        ("/sales", "post"): {
            "customer": "Mme Durand",
            "channel": "shop",
            "lines": [{"asset_tag": tag, "price": "149.90"}],
        },
        ("/devices/{asset_tag}/return", "post"): {"reason": "Dead on arrival"},
        ("/devices/{asset_tag}/location", "post"): {"location": shelf},
        ("/locations", "post"): {"name": "Shelf B1", "kind": "shelf"},
        ("/devices/{asset_tag}/assignment", "post"): {"technician": "root"},
        ("/devices/{asset_tag}/checks", "post"): {"results": {"screen": "pass"}},
        ("/devices/{asset_tag}/diagnostics", "post"): A_RUN,
        ("/devices/{asset_tag}/erasures", "post"): A_DRIVE,
        ("/devices/{asset_tag}/no-storage", "post"): {"note": "The donor kept the drive."},
        ("/devices/{asset_tag}/jobs", "post"): {"script": "battery", "station": "bench-1"},
        ("/agent/claim", "post"): {"station": "bench-1", "scripts": ["battery"]},
        ("/agent/jobs/{job_id}/progress", "post"): {"percent": 10, "message": "Charging"},
        ("/agent/jobs/{job_id}/result", "post"): A_RUN,
        **repair_helpers.BODY_EXAMPLES,
        **destruction_helpers.BODY_EXAMPLES,
    }
    schemas = document["components"]["schemas"]
    with_bodies = {
        (path, method)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    }
    assert with_bodies == set(examples)
    for (path, method), example in examples.items():
        reference = document["paths"][path][method]["requestBody"]["content"]["application/json"]
        schema = schemas[reference["schema"]["$ref"].rsplit("/", 1)[1]]
        assert schema["additionalProperties"] is False
        Draft202012Validator(schema).validate(example)
        url = API + path.format(asset_tag=tag, job_id=1)
        for field in schema["required"]:
            partial = {key: value for key, value in example.items() if key != field}
            response = client.post(url, json=partial, headers=headers)
            assert response.status_code == 400, (path, field)
            assert response.get_json()["error"]["field"] == field
        response = client.post(url, json=example | {"undocumented": 1}, headers=headers)
        assert response.get_json()["error"]["field"] == "undocumented"


def test_times_are_checked_against_their_documented_format():
    # Without a date-time checker the format keyword would pass anything.
    assert "date-time" in Draft202012Validator.FORMAT_CHECKER.checkers


class DocumentedClient:
    """Sends requests and holds every answer against the document's schema for it."""

    def __init__(self, app, client, document):
        self.adapter = app.url_map.bind("localhost")
        self.client = client
        self.document = document
        self.seen: set[tuple[str, str, str]] = set()

    def __call__(self, method, url, headers=None, **kwargs):
        response = self.client.open(url, method=method, headers=headers or {}, **kwargs)
        rule, _args = self.adapter.match(url.split("?")[0], method=method, return_rule=True)
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule).removeprefix(API)
        operation = self.document["paths"][path][method.lower()]
        status = str(response.status_code)
        assert status in operation["responses"], (method, path, status, response.get_json())
        documented = operation["responses"][status]
        if "$ref" in documented:
            name = documented["$ref"].rsplit("/", 1)[1]
            documented = self.document["components"]["responses"][name]
        if "content" not in documented:
            # 204: nothing in the body.
            assert not response.data, (method, path, status)
            self.seen.add((path, method.lower(), status))
            return response
        if "application/json" not in documented["content"]:
            # A file (a label's PDF): the documented type, never empty.
            assert response.mimetype in documented["content"], (method, path, status)
            assert response.data, (method, path, status)
            self.seen.add((path, method.lower(), status))
            return response
        schema = documented["content"]["application/json"]["schema"]
        validator = Draft202012Validator(
            {**schema, "components": self.document["components"]},
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        problems = [
            f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(response.get_json())
        ]
        assert not problems, (method, path, status, problems)
        for header in documented.get("headers", {}):
            assert header in response.headers, (method, path, status, header)
        self.seen.add((path, method.lower(), status))
        return response


def test_real_answers_match_the_document_for_every_documented_status(
    app, client, document, bearer, monkeypatch
):
    call = DocumentedClient(app, client, document)
    warehouse = bearer("warehouse", "wanda")
    technician = bearer("technician", "theo")
    hr = bearer("hr", "helene")
    admin = bearer("admin", "root")

    call("GET", f"{API}/openapi.json")
    call("POST", f"{API}/lots", warehouse, json={"code": "L-1", "received_on": "2024-03-11"})
    call("POST", f"{API}/lots", warehouse, json={"code": "L-1"})
    call("GET", f"{API}/lots", warehouse)

    tag = call(
        "POST", f"{API}/devices", warehouse, json=LAPTOP | {"lot": "L-1", "weight_kg": 2.25}
    ).get_json()["asset_tag"]
    call("POST", f"{API}/devices", warehouse, json=LAPTOP)
    call("GET", f"{API}/devices?q=lenovo&per_page=5", technician)
    call("GET", f"{API}/devices/{tag}", technician)
    call("GET", f"{API}/devices/A0000042X", technician)

    move = f"{API}/devices/{tag}/transitions"
    call("POST", move, technician, json={"to": "ready"})
    for stage in ("triage", "erasure", "diagnostics", "qc"):
        call("POST", move, technician, json={"to": stage, "note": "ok"})
    call("POST", move, technician, json={"to": "ready"})
    call("POST", f"{API}/devices/{tag}/grade", technician, json={"grade": "A"})
    call("POST", f"{API}/devices/{tag}/checks", technician, json=EVERY_CHECK_PASSED)
    call("POST", move, technician, json={"to": "ready", "from": "qc"})
    call("POST", f"{API}/devices/{tag}/transitions", technician, json={"to": "sold", "from": "qc"})
    call("POST", move, technician, json={"to": "recycled", "reason": "obsolete"})
    call("POST", f"{API}/devices/{tag}/grade", technician, json={"grade": "B"})
    call("POST", f"{API}/devices/{tag}/checks", technician, json=EVERY_CHECK_PASSED)
    # A device that has left cannot be tested, erased or declared; nor can one that is not.
    for path, body in (("diagnostics", A_RUN), ("erasures", A_DRIVE), ("no-storage", {})):
        call("POST", f"{API}/devices/{tag}/{path}", technician, json=body)
        call("POST", f"{API}/devices/A0000042X/{path}", technician, json=body)
    call("POST", f"{API}/devices/A0000042X/checks", technician, json=EVERY_CHECK_PASSED)
    call("POST", f"{API}/devices/{tag}/assignment", admin, json={"technician": "theo"})
    call("GET", f"{API}/devices/{tag}", technician)
    call("POST", f"{API}/devices", warehouse, json=LAPTOP)

    for code in (tag, "PF1ABC42", "NOT-OURS", "A0000001Z"):
        call("POST", f"{API}/scans", technician, json={"code": code})

    shelf = call(
        "POST", f"{API}/locations", warehouse, json={"name": "Shelf A3", "kind": "shelf"}
    ).get_json()["code"]
    call("GET", f"{API}/locations", warehouse)
    call("POST", f"{API}/scans", warehouse, json={"code": shelf})
    other = call(
        "POST", f"{API}/devices", warehouse, json=LAPTOP | {"serial_number": "PF1OTHER"}
    ).get_json()["asset_tag"]
    put = f"{API}/devices/{other}/location"
    call("POST", put, warehouse, json={"location": shelf})
    call("POST", put, warehouse, json={"location": shelf, "from": ""})
    call("POST", put, warehouse, json={"location": "L99999X"})
    call("POST", f"{API}/devices/A0000042X/location", warehouse, json={"location": shelf})

    seller = bearer("warehouse", "sam")
    sold = call(
        "POST", f"{API}/devices", seller, json=LAPTOP | {"serial_number": "PF1SALE", "lot": "L-1"}
    ).get_json()["asset_tag"]
    for stage in ("triage", "erasure", "diagnostics", "qc"):
        call("POST", f"{API}/devices/{sold}/transitions", technician, json={"to": stage})
    call("POST", f"{API}/devices/{sold}/grade", technician, json={"grade": "B"})
    call("POST", f"{API}/devices/{sold}/checks", technician, json=EVERY_CHECK_PASSED)
    call("POST", f"{API}/devices/{sold}/transitions", technician, json={"to": "ready"})
    for script in ("battery", "disk-health", "erasure"):
        run = result_json(passing_result(script))
        call("POST", f"{API}/devices/{sold}/diagnostics", technician, json=run)
    call("POST", f"{API}/devices/{sold}/erasures", technician, json=A_DRIVE)
    call("POST", f"{API}/devices/{sold}/no-storage", technician, json={})
    call("POST", f"{API}/devices/{sold}/no-storage", technician, json={"note": "Twice"})
    call("POST", f"{API}/devices/{sold}/transitions", technician, json={"to": "ready"})
    call("GET", f"{API}/devices/{sold}", technician)
    # Documents: a spec sheet while it is ready, certificates of its erasures, its lot's report.
    documents = (
        f"{API}/devices/{sold}/spec-sheet.pdf",
        f"{API}/devices/{sold}/certificate.pdf",
        f"{API}/lots/L-1/certificate.pdf",
        f"{API}/lots/L-1/report.pdf",
    )
    for url in documents:
        call("GET", url, seller)
        call("GET", f"{url}?lang=xx", seller)
        call("GET", url)
        call("GET", url, hr)
    call("GET", f"{API}/devices/{other}/spec-sheet.pdf", seller)
    call("GET", f"{API}/devices/{other}/certificate.pdf", seller)
    call("POST", f"{API}/lots", warehouse, json={"code": "L-EMPTY"})
    call("GET", f"{API}/lots/L-EMPTY/certificate.pdf", seller)
    for url in (
        f"{API}/devices/A0000042X/spec-sheet.pdf",
        f"{API}/devices/A0000042X/certificate.pdf",
        f"{API}/lots/L-NONE/certificate.pdf",
        f"{API}/lots/L-NONE/report.pdf",
    ):
        call("GET", url, seller)
    sale = {
        "customer": "Mme Durand",
        "channel": "shop",
        "lines": [{"asset_tag": sold, "price": 99}],
    }
    call("POST", f"{API}/sales", seller, json=sale)
    call("POST", f"{API}/sales", seller, json=sale)
    call("POST", f"{API}/devices/{sold}/return", seller, json={"reason": "Dead on arrival"})
    call("POST", f"{API}/devices/{sold}/return", seller, json={"reason": "Twice"})
    call("POST", f"{API}/devices/A0000042X/return", seller, json={"reason": "Unknown"})
    for url, limit in (
        (f"{API}/devices/{sold}/diagnostics", 8 * 1024 * 1024),
        (f"{API}/devices/{sold}/erasures", 1024 * 1024),
    ):
        call("POST", url, admin, data=b"{" + b" " * limit + b"}", content_type="application/json")

    manager = bearer("manager", "marie")
    bench = bearer("technician", "tina")
    assigned = call(
        "POST", f"{API}/devices", seller, json=LAPTOP | {"serial_number": "PF1BENCH"}
    ).get_json()["asset_tag"]
    hand_out = f"{API}/devices/{assigned}/assignment"
    call("POST", hand_out, manager, json={"technician": "theo"})
    call("POST", hand_out, manager, json={"technician": "theo"})
    call("POST", hand_out, manager, json={"technician": "helene"})
    call("POST", f"{API}/devices/A0000042X/assignment", manager, json={"technician": "theo"})
    call("GET", f"{API}/me/queue", technician)
    call("DELETE", hand_out, bench)
    call("DELETE", hand_out, technician)
    call("DELETE", hand_out, technician)

    # A bench job: asked, claimed by the station's agent, reported on, ended.
    agent = bearer("technician", "agent")
    ask = {"script": "battery", "station": "bench-1"}
    jobs_url = f"{API}/devices/{other}/jobs"
    call("POST", jobs_url, technician, json=ask)
    call("POST", jobs_url, technician, json=ask)
    call("POST", f"{API}/devices/{tag}/jobs", technician, json=ask)
    call("POST", f"{API}/devices/A0000042X/jobs", technician, json=ask)
    call("GET", jobs_url, technician)
    call("GET", f"{API}/devices/A0000042X/jobs", technician)
    claim = f"{API}/agent/claim"
    call("POST", claim, agent, json={"station": "bench-2", "scripts": ["battery"]})
    job = call("POST", claim, agent, json={"station": "bench-1", "scripts": ["battery", "psu"]})
    job_url = f"{API}/agent/jobs/{job.get_json()['id']}"
    call("POST", f"{job_url}/progress", agent, json={"percent": 40, "message": "Discharging"})
    call("POST", f"{job_url}/progress", technician, json={"percent": 41})
    call("POST", f"{API}/agent/jobs/999999/progress", agent, json={})
    battery_run = result_json(passing_result("battery"))
    call("POST", f"{job_url}/result", agent, json=battery_run)
    # The same result again is taken as it was; another one is refused.
    call("POST", f"{job_url}/result", agent, json=battery_run)
    call("POST", f"{job_url}/result", agent, json={**battery_run, "outcome": "fail"})
    call("POST", f"{API}/agent/jobs/999999/result", agent, json=battery_run)
    big = b"{" + b" " * 8 * 1024 * 1024 + b"}"
    call("POST", f"{job_url}/result", agent, data=big, content_type="application/json")

    # Every refusal each operation documents, sent on purpose.
    writes = {
        f"{API}/devices": LAPTOP,
        f"{API}/devices/{tag}/transitions": {"to": "triage"},
        f"{API}/devices/{tag}/grade": {"grade": "A"},
        f"{API}/scans": {"code": tag},
        f"{API}/lots": {"code": "L-2"},
        f"{API}/sales": {
            "customer": "X",
            "channel": "b2b",
            "lines": [{"asset_tag": tag, "price": 1}],
        },
        f"{API}/devices/{tag}/return": {"reason": "Broken"},
        f"{API}/devices/{other}/location": {"location": shelf},
        f"{API}/locations": {"name": "Bin 4", "kind": "bin"},
        hand_out: {"technician": "theo"},
        f"{API}/devices/{tag}/checks": {"results": {"screen": "pass"}},
        f"{API}/devices/{tag}/diagnostics": A_RUN,
        f"{API}/devices/{tag}/erasures": A_DRIVE,
        f"{API}/devices/{tag}/no-storage": {},
        jobs_url: ask,
        claim: {"station": "bench-1", "scripts": ["battery"]},
        f"{job_url}/progress": {"percent": 50},
        f"{job_url}/result": battery_run,
    }
    for url, body in writes.items():
        call("POST", url, json=body)
        call("POST", url, hr, json=body)
        call("POST", url, admin, json=body | {"extra": 1})
        call("POST", url, admin, data=b"x=1", content_type="application/x-www-form-urlencoded")
        call("POST", url, admin, data=b"{" + b" " * 70_000 + b"}", content_type="application/json")
    for url in (f"{API}/devices/A0000042X/transitions", f"{API}/devices/A0000042X/grade"):
        call("POST", url, technician, json={"to": "triage", "grade": "A"})
    for url in (f"{API}/devices", f"{API}/devices/{tag}", f"{API}/lots", f"{API}/locations"):
        call("GET", url)
        call("GET", url, hr)
    call("GET", f"{API}/devices?stage=attic", technician)
    label = f"{API}/devices/{tag}/label.pdf"
    call("GET", f"{label}?medium=a4-24", warehouse)
    call("GET", f"{label}?medium=a5-99", warehouse)
    call("GET", f"{API}/devices/A0000042X/label.pdf", warehouse)
    call("GET", label)
    call("GET", label, hr)
    call("GET", jobs_url)
    call("GET", jobs_url, hr)
    for method, url in (("DELETE", hand_out), ("GET", f"{API}/me/queue")):
        call(method, url)
        call(method, url, hr)

    impact_report = f"{API}/reports/impact/2024"
    call("GET", impact_report, manager)
    call("GET", f"{impact_report}?lang=fr", hr)
    call("GET", f"{API}/reports/impact/nineteen", manager)
    call("GET", impact_report)
    call("GET", impact_report, technician)

    repair_calls = repair_helpers.exercise_repair_api(app, call, bearer)
    destruction_calls = destruction_helpers.exercise_destruction_api(call, bearer)

    def unreachable(*_args, **_kwargs):
        raise OperationalError("SELECT", {}, Exception("could not connect"))

    monkeypatch.setattr("workshop.api.auth.user_for_token", unreachable)
    for url in writes:
        call("POST", url, warehouse, json=writes[url])
    for url in (f"{API}/devices", f"{API}/devices/{tag}", f"{API}/lots", f"{API}/locations"):
        call("GET", url, warehouse)
    call("GET", label, warehouse)
    for url in documents:
        call("GET", url, warehouse)
    call("DELETE", hand_out, technician)
    call("GET", f"{API}/me/queue", technician)
    call("GET", jobs_url, technician)
    call("GET", impact_report, manager)
    repair_helpers.exercise_repair_api_busy(call, repair_calls)
    destruction_helpers.exercise_destruction_api_busy(call, destruction_calls)

    documented = {
        (path, method, status)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status in operation["responses"]
    }
    assert documented - call.seen == set()
